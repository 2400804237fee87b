/**
 * @module The cluster a command acts on, found from its data directory (paths.ts): the datastore
 * file, whether `tabby up` is running there (its pid file and a live process), the calicoctl
 * configuration it wrote, and its lab. Reading this never creates anything.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from '../sys/index.js';
import { ADMIN_KUBECONFIG, CALICOCTL_CFG, DATASTORE_FILE, LAB_DIR, UP_STATE_FILE, resolveDataDir } from './paths.js';

export interface UpState {
  readonly pid: number;
  readonly url: string;
  readonly profile: string;
  readonly workers: readonly string[];
  readonly lab: boolean;
  readonly startedAt: string;
}

export interface ClusterDir {
  readonly dir: string;
  readonly datastore: string;
  readonly labDir: string;
  readonly calicoctlCfg: string;
  readonly kubeconfig: string;
  /** The pid file, whether or not its process lives. */
  readonly up: UpState | undefined;
  /** `tabby up` is running on this directory. */
  readonly running: boolean;
}

export function readUpState(dataDir: string): UpState | undefined {
  try {
    const v: unknown = JSON.parse(readFileSync(join(dataDir, UP_STATE_FILE), 'utf8'));
    if (typeof v === 'object' && v !== null && typeof (v as { pid?: unknown }).pid === 'number') return v as UpState;
  } catch {
    // missing or unreadable: nobody is up
  }
  return undefined;
}

export function clusterDir(dir: string): ClusterDir {
  const up = readUpState(dir);
  return {
    dir,
    datastore: join(dir, DATASTORE_FILE),
    labDir: join(dir, LAB_DIR),
    calicoctlCfg: join(dir, CALICOCTL_CFG),
    kubeconfig: join(dir, ADMIN_KUBECONFIG),
    up,
    running: up !== undefined && isAlive(up.pid),
  };
}

/** The cluster of `--data-dir` (else TABBY_DATA_DIR, else the default). */
export function locateCluster(flag: string | undefined, env: Readonly<Record<string, string | undefined>>): ClusterDir {
  return clusterDir(resolveDataDir(flag, env));
}

/** One line: no cluster runs here, where we looked, and how to point elsewhere. */
export function noClusterMessage(c: ClusterDir): string {
  const why = c.up === undefined ? `no ${UP_STATE_FILE}` : `its tabby up (pid ${c.up.pid}) is not running`;
  return `no running cluster in ${c.dir} (${why}); start one with: tabby up --data-dir ${c.dir}, or name another with --data-dir or TABBY_DATA_DIR`;
}

/** True when the datastore file exists (reading commands never create one). */
export function hasDatastore(c: ClusterDir): boolean {
  return existsSync(c.datastore);
}
