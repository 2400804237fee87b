/**
 * @module The distributed lab's member list (`<stateDir>/members.json`) and the two operations
 * on one member: start it from its recorded argv/env/cwd, stop it by pid with a signal. Used by
 * the lab itself (bring-up, teardown) and by `tabby lab fault` (kill, restart) from another
 * process: the file is rewritten whole (write to a temporary name, rename) under a lock file,
 * so concurrent writers never lose each other's pid updates.
 *
 * A member runs as `ip netns exec <netns> <program…>`: `ip` enters the namespace and execs the
 * program, so the recorded pid is the program's own and `/proc/<pid>/ns/net` is the namespace's.
 * Members are detached (own process group) and log to `logFile`; they outlive the process that
 * started them, which is what a fault injector and `tabby lab down` from another shell need.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from '../../sys/index.js';

export const MEMBERS_FILE = 'members.json';

export type MemberRole = 'etcd' | 'apiserver' | 'agent' | 'relay';

/** One control-plane or node process of the distributed lab. */
export interface MemberRecord {
  /** `etcd-1`…, `apiserver-1`…, `agent-<node>` (one per worker), `relay` (the admin host's forwarder). */
  readonly name: string;
  readonly role: MemberRole;
  /** Agents: the worker's node name. */
  readonly node?: string;
  /** The network namespace it runs in. */
  readonly netns: string;
  /** The pid of the running process (undefined: not started, or stopped by stopMember). */
  readonly pid?: number;
  /** The full command, `ip netns exec <netns> …` included: what startMember runs. */
  readonly argv: readonly string[];
  /** The whole environment it runs with (nothing inherited). */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  /** Its lab address (198.18.0.0/15). */
  readonly address: string;
  /** etcd: client URL; API server: its https URL; agent: the API server URLs it uses, comma-separated. */
  readonly url: string;
  /** etcd: peer URL. */
  readonly peerUrl?: string;
  /** stdout and stderr (appended across restarts). */
  readonly logFile: string;
  /** The member's own directory (data, certificates, state). */
  readonly dir: string;
}

export interface MemberList {
  readonly version: 1;
  readonly prefix: string;
  readonly members: readonly MemberRecord[];
}

const _sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function readMembers(stateDir: string): MemberList | undefined {
  const f = join(stateDir, MEMBERS_FILE);
  if (!existsSync(f)) return undefined;
  return JSON.parse(readFileSync(f, 'utf8')) as MemberList;
}

export function writeMembers(stateDir: string, list: MemberList): void {
  const f = join(stateDir, MEMBERS_FILE);
  const tmp = `${f}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(list, null, 2)}\n`);
  renameSync(tmp, f);
}

/** Runs FN holding `<stateDir>/members.lock` (bounded wait; a lock whose holder died is taken over). */
export async function withMembers<T>(stateDir: string, fn: (list: MemberList) => { list?: MemberList; result: T }): Promise<T> {
  const lock = join(stateDir, 'members.lock');
  for (let i = 0; ; i++) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch {
      let holder: number;
      try {
        holder = Number(readFileSync(lock, 'utf8'));
      } catch {
        continue;
      }
      if (!Number.isInteger(holder) || !isAlive(holder) || i > 200) rmSync(lock, { force: true });
      else await _sleep(25);
    }
  }
  try {
    const cur = readMembers(stateDir);
    if (cur === undefined) throw new Error(`no member list in ${stateDir} (not a distributed lab)`);
    const { list, result } = fn(cur);
    if (list !== undefined) writeMembers(stateDir, list);
    return result;
  } finally {
    rmSync(lock, { force: true });
  }
}

/** The member named NAME; throws naming the known ones. */
export function memberNamed(list: MemberList, name: string): MemberRecord {
  const m = list.members.find((x) => x.name === name);
  if (m === undefined) throw new Error(`no lab member ${JSON.stringify(name)} (members: ${list.members.map((x) => x.name).join(', ')})`);
  return m;
}

/** Spawns a member's recorded command, detached, appending to its log; returns the pid. */
export function spawnMember(m: MemberRecord): number {
  const fd = openSync(m.logFile, 'a');
  try {
    const child = spawn(m.argv[0]!, m.argv.slice(1), { cwd: m.cwd, env: { ...m.env }, detached: true, stdio: ['ignore', fd, fd] });
    child.unref();
    if (child.pid === undefined) throw new Error(`lab member ${m.name}: ${m.argv[0]} did not start`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

function _setPid(list: MemberList, name: string, pid: number | undefined): MemberList {
  return {
    ...list,
    members: list.members.map((x) => {
      if (x.name !== name) return x;
      const { pid: _old, ...rest } = x;
      return pid === undefined ? rest : { ...rest, pid };
    }),
  };
}

/**
 * Starts member NAME of the lab in STATEDIR from its recorded argv/env/cwd (refused while its
 * recorded process still runs) and records the new pid. Returns the updated record.
 */
export async function startMember(stateDir: string, name: string): Promise<MemberRecord> {
  return withMembers(stateDir, (list) => {
    const m = memberNamed(list, name);
    if (m.pid !== undefined && isMemberProcess(m, m.pid)) throw new Error(`lab member ${name} is already running (pid ${m.pid})`);
    const pid = spawnMember(m);
    const next = _setPid(list, name, pid);
    return { list: next, result: memberNamed(next, name) };
  });
}

/** Whether PID is still this member's process (alive and running its command line). */
export function isMemberProcess(m: MemberRecord, pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    // After `ip netns exec` execs, the command line is the program's: argv minus the `ip netns exec NS` head.
    const prog = m.argv.slice(4);
    return prog.every((a, i) => cmd[i] === a) || m.argv.every((a, i) => cmd[i] === a);
  } catch {
    return false;
  }
}

/**
 * Sends SIGNAL to member NAME's process and, for SIGKILL/SIGTERM, waits (bounded by
 * `timeoutMs`) until it is gone, then records it as stopped (no pid). Other signals (SIGSTOP,
 * SIGCONT) only signal. A member not running is not an error. Returns the pid signalled.
 */
export async function stopMember(stateDir: string, name: string, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<number | undefined> {
  const m = memberNamed(readMembers(stateDir) ?? { version: 1, prefix: '', members: [] }, name);
  const pid = m.pid;
  if (pid === undefined || !isMemberProcess(m, pid)) {
    await withMembers(stateDir, (list) => ({ list: _setPid(list, name, undefined), result: undefined }));
    return undefined;
  }
  process.kill(pid, signal);
  if (signal !== 'SIGKILL' && signal !== 'SIGTERM' && signal !== 'SIGINT') return pid;
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await _sleep(20);
  if (isAlive(pid)) {
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 100 && isAlive(pid); i++) await _sleep(20);
  }
  await withMembers(stateDir, (list) => ({ list: memberNamed(list, name).pid === pid ? _setPid(list, name, undefined) : list, result: undefined }));
  return pid;
}
