/**
 * @module What the parts of the lab share: the options and records (LabOptions, PodRecord,
 * LabState), the constants, and LabContext, the handle through which the pod manager
 * (lab-pods.ts), the reconcile loop (lab-loop.ts) and the services allocator (services.ts) reach
 * the lab's datastore, runner, topology and state file without knowing the Lab class.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResourceClient } from '../client/index.js';
import type { Datastore, ResourceType, StoredObject } from '../datastore/index.js';
import type { CommandRunner } from '../sys/index.js';
import type { PodProcess } from './pod-process.js';
import type { DistributedState, LabCa } from './distributed/control-plane.js';
import type { LabPlan } from './topology.js';

export const STATE_FILE = 'lab.json';
export const NFLOG_GROUP = 7;
export const POD_TYPE: ResourceType = { group: '', plural: 'pods' };
export const SVC_TYPE: ResourceType = { group: '', plural: 'services' };
export const RESPONDER_LIFETIME_MS = 7 * 24 * 3600_000;

export interface LabOptions {
  readonly stateDir: string;
  readonly workers: number;
  readonly prefix?: string;
  /** Node names, `{i}` for the worker's index (`kube-dal10-…-w{i}.cloud.ibm`); default `worker{i}`. */
  readonly nodeNames?: string;
  /** Labels on every worker's Node (the cluster profile's). */
  readonly nodeLabels?: Readonly<Record<string, string>>;
  /** The agents' dataplane: iptables + ipset (default) or native nftables. */
  readonly dataplane?: 'iptables' | 'nft';
  /** With the iptables dataplane: which iptables binaries (`iptables-save` = the system's, `-nft` or `-legacy`). Default `default`. */
  readonly iptablesBackend?: 'default' | 'nft' | 'legacy';
  /**
   * Dual stack: workers and pods also get IPv6 addresses from 2001:db8::/32 (inside the lab's
   * namespaces only), declared on their Nodes and Pods, and the agents program IPv6 too.
   * Default false (IPv4 only).
   */
  readonly dualStack?: boolean;
  /** Default: SQLite at `<stateDir>/tabby.db` (closed by down). A passed-in one is not closed. */
  readonly datastore?: Datastore;
  /** Where a passed-in datastore lives (recorded in the state, so other commands read the same one). */
  readonly datastorePath?: string;
  readonly runner?: CommandRunner;
  readonly log?: (line: string) => void;
  /** Register a HostEndpoint for each worker's public interface (`ibm.role: worker_public`). */
  readonly hostEndpoints?: boolean;
  /**
   * Flow logs (issue 17): the agents mark every verdict of new connections (NFLOG groups 1/2),
   * read them with ulogd2 and write FlowEvents to `<stateDir>/flows-<worker>.jsonl`. Default true;
   * FelixConfiguration `flowLogsLocalReporter: Disabled` turns the marks off too.
   */
  readonly flowLogs?: boolean;
  /** Run ulogd per worker (NFLOG → `<stateDir>/<worker>.syslog`). Default: when ulogd exists. */
  readonly logs?: boolean;
  /**
   * Record the scheduler's and kubelet's Events (Scheduled, Pulled, Created, Started) for each
   * pod, as `tabby up` does. Off by default: every write moves the store's revision, which
   * `settle()` follows, and `tabby lab verify` settles thousands of times.
   */
  readonly events?: boolean;
  /**
   * A distributed lab (src/lab/distributed): etcd members, API servers and each worker's agent
   * as separate processes in their own namespaces, joined over the fabric with TLS. The lab then
   * reads and writes through the API servers (`datastore` must be absent).
   */
  readonly distributed?: DistributedLabOptions;
}

export interface DistributedLabOptions {
  readonly etcd: number;
  readonly apiservers: number;
  /** The command that runs Tabby's CLI (`node [--import tsx] bin/tabby.ts`). */
  readonly tabbyArgv: readonly string[];
  /** Makes a CA (apiserver/pki.ts's createCa). */
  readonly newCa: (commonName: string) => Promise<LabCa>;
  readonly etcdBin?: string;
}

export interface PodRecord {
  readonly key: string;
  readonly uid: string;
  readonly netns: string;
  readonly ip: string;
  /** The pod's IPv6 address in a dual-stack lab. */
  readonly ip6?: string;
  readonly node: string;
  readonly iface: string;
  readonly tcp: readonly number[];
  readonly udp: readonly number[];
  /** The container log (kubectl logs): nginx's access log, or what the pod's command wrote. */
  readonly logFile?: string;
  readonly image?: string;
  /** The container's command + args, run with the lab's applets (busybox.ts); none: a responder only. */
  readonly command?: readonly string[];
}

export interface LabState {
  readonly version: 1;
  readonly prefix: string;
  readonly stateDir: string;
  readonly plan: LabPlan;
  readonly namespaces: readonly string[];
  readonly pids: readonly number[];
  readonly pods: readonly PodRecord[];
  readonly logFiles: Readonly<Record<string, string>>;
  readonly daemonPid?: number;
  readonly ready: boolean;
  /** The SQLite file of the lab's datastore (absent in older state files: `<stateDir>/tabby.db`). */
  readonly datastorePath?: string;
  /** A distributed lab: its control plane, member list and host port (src/lab/distributed). */
  readonly distributed?: DistributedState;
}

/** The lab as its parts see it (the Lab class provides it). */
export interface LabContext {
  readonly opts: LabOptions;
  readonly ds: Datastore;
  readonly client: ResourceClient;
  readonly runner: CommandRunner;
  readonly log: (line: string) => void;
  /** The current topology (replaced when a worker or client is added). */
  plan(): LabPlan;
  /** Every responder and listener by name: pods (`ns/name`), workers (`node:<name>`), clients. */
  readonly procs: Map<string, PodProcess>;
  /** Records a namespace the lab created (in the state file before anything else happens). */
  trackNamespace(ns: string): void;
  untrackNamespace(ns: string): void;
  saveState(): void;
  /** A write of the lab's own: settle() waits for the agents to program at least its revision. */
  noteWrite(o: StoredObject): void;
  /** Something changed that the reconcile loop must handle. */
  markDirty(): void;
}

/** A datastore object with the spec and status the lab reads. */
export type Obj = StoredObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

/** Writes `<stateDir>/lab.json` atomically (temporary file, rename): readers in other processes never see half of it. */
export function writeLabState(stateDir: string, st: LabState): void {
  const f = join(stateDir, STATE_FILE);
  const tmp = `${f}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(st, null, 2)}\n`);
  renameSync(tmp, f);
}

export async function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, rej) => (t = setTimeout(() => rej(new Error(`${what} (after ${Math.round(ms)} ms)`)), ms)))]);
  } finally {
    clearTimeout(t);
  }
}
