/**
 * @module A lab's state file (`<stateDir>/lab.json`) and the teardown that works from it alone:
 * used by `tabby lab down` and `tabby down` to remove a lab whose daemon (or `tabby up`) is in
 * another process or died. It stops the daemon, kills only processes whose command line names a
 * lab namespace or the state directory, and a distributed lab's members by their recorded pids
 * (distributed/members.json), and deletes only the namespaces the state lists.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { STATE_FILE, type LabState } from './controller.js';
import { deleteNamespaces, listNamespaces } from './netns-builder.js';
import { stopMembers } from './distributed/control-plane.js';
import { isAlive, nodeRunner } from '../sys/index.js';

export function readLabState(dir: string): LabState | undefined {
  const f = join(dir, STATE_FILE);
  if (!existsSync(f)) return undefined;
  return JSON.parse(readFileSync(f, 'utf8')) as LabState;
}

const _sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface LabTeardown {
  /** The namespaces the state listed that still existed (removed unless `errors` says otherwise). */
  readonly namespaces: readonly string[];
  readonly errors: readonly string[];
}

/** Removes a lab from its state file: stops the daemon, then whatever it left behind. */
export async function downFromState(dir: string, log: (s: string) => void = () => undefined): Promise<LabTeardown> {
  const st = readLabState(dir);
  if (st === undefined) return { namespaces: [], errors: [`no lab state in ${dir}`] };
  if (st.daemonPid !== undefined && st.daemonPid !== process.pid && isAlive(st.daemonPid)) {
    process.kill(st.daemonPid, 'SIGTERM');
    for (let i = 0; i < 300 && isAlive(st.daemonPid); i++) await _sleep(100);
    if (isAlive(st.daemonPid)) log(`daemon ${st.daemonPid} did not stop in 30 s`);
  }
  const after = readLabState(dir) ?? st;
  for (const pid of after.pids) {
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmd.includes(`${st.prefix}-`) || cmd.includes(dir)) process.kill(pid, 'SIGKILL');
  }
  // A distributed lab's members (etcd, API servers, relay, agents) run detached: killed by their recorded pids.
  const memberErrors = await stopMembers(dir);
  // Only what still exists is reported removed (a lab already gone is not removed again).
  const existing = await listNamespaces(nodeRunner);
  const namespaces = [...after.namespaces].reverse().filter((n) => existing.has(n));
  const errors = [...memberErrors, ...(await deleteNamespaces(nodeRunner, st.prefix, namespaces))];
  if (errors.length === 0) rmSync(join(dir, STATE_FILE), { force: true });
  return { namespaces, errors };
}
