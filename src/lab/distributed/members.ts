/**
 * @module The distributed lab's member list (`<stateDir>/members.json`) and the two operations
 * on one member: start it from its recorded argv/env/cwd, stop it by pid with a signal. Used by
 * the lab itself (bring-up, teardown) and by `tabby lab fault` (kill, restart) from another
 * process: the file is rewritten whole (write to a temporary name, rename) under a lock file,
 * so concurrent writers never lose each other's pid updates.
 *
 * A member runs as `ip netns exec <netns> <program…>`: `ip` enters the namespace and execs the
 * program, so the recorded pid is the program's own and `/proc/<pid>/ns/net` is the namespace's.
 * A member is identified by its pid and its start time (`/proc/<pid>/stat` field 22, set at fork,
 * kept across exec): not by its command line, which is briefly empty while the kernel loads a
 * new program (between installing the new address space and writing its arguments; a check in
 * that window, right after a spawn, took live members for dead ones and left them running).
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
  /** That process's start time (`/proc/<pid>/stat` field 22, clock ticks since boot): with pid, its identity. */
  readonly startTime?: string;
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

/**
 * The state and start time of process PID from `/proc/<pid>/stat` (fields 3 and 22; the command
 * name, field 2, may hold spaces and parentheses, so fields are counted after the last ')');
 * undefined when there is no such process.
 */
export function procStat(pid: number): { state: string; startTime: string; pgrp: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = f[0];
  const startTime = f[19];
  if (state === undefined || startTime === undefined || !/^\d+$/.test(startTime)) return undefined;
  return { state, startTime, pgrp: Number(f[2]) };
}

/**
 * Sends SIGNAL to member process PID and, when it leads its own process group (members are
 * started detached), to the whole group: what a member started (tsx's esbuild service under a
 * `node --import tsx` member) goes with it instead of staying behind in the namespace.
 */
export function signalMember(pid: number, signal: NodeJS.Signals): void {
  process.kill(procStat(pid)?.pgrp === pid ? -pid : pid, signal);
}

/** A started member: its pid and start time. */
export interface Spawned {
  readonly pid: number;
  readonly startTime?: string;
}

/** Spawns a member's recorded command, detached, appending to its log; returns its pid and start time. */
export function spawnMember(m: MemberRecord): Spawned {
  const fd = openSync(m.logFile, 'a');
  try {
    const child = spawn(m.argv[0]!, m.argv.slice(1), { cwd: m.cwd, env: { ...m.env }, detached: true, stdio: ['ignore', fd, fd] });
    child.unref();
    if (child.pid === undefined) throw new Error(`lab member ${m.name}: ${m.argv[0]} did not start`);
    // Read at once: the child cannot be reaped before this process's event loop runs again.
    const st = procStat(child.pid);
    return st === undefined ? { pid: child.pid } : { pid: child.pid, startTime: st.startTime };
  } finally {
    closeSync(fd);
  }
}

/** LIST with member NAME's process recorded as SPAWNED (undefined: stopped, no pid). */
export function setSpawned(list: MemberList, name: string, spawned: Spawned | undefined): MemberList {
  return {
    ...list,
    members: list.members.map((x) => {
      if (x.name !== name) return x;
      const { pid: _old, startTime: _oldStart, ...rest } = x;
      if (spawned === undefined) return rest;
      return spawned.startTime === undefined ? { ...rest, pid: spawned.pid } : { ...rest, pid: spawned.pid, startTime: spawned.startTime };
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
    const next = setSpawned(list, name, spawnMember(m));
    return { list: next, result: memberNamed(next, name) };
  });
}

/**
 * Whether PID is still this member's process: it exists, is not a zombie (or dead), and started
 * at the member's recorded start time (a pid reused by another process has another). A record
 * without a start time (written before it was kept) is checked by its command line, the
 * program's or the `ip netns exec` one; an empty command line (a program being loaded) counts
 * as this member.
 */
export function isMemberProcess(m: MemberRecord, pid: number): boolean {
  const st = procStat(pid);
  if (st === undefined || st.state === 'Z' || st.state === 'X' || st.state === 'x') return false;
  if (m.startTime !== undefined) return m.pid === pid && st.startTime === m.startTime;
  let cmd: string[];
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return false;
  }
  if (cmd.length === 1 && cmd[0] === '') return true;
  const prog = m.argv.slice(4);
  return prog.every((a, i) => cmd[i] === a) || m.argv.every((a, i) => cmd[i] === a);
}

/** Whether member M's process PID is gone for good: no such pid, or one that started at another time. */
function _reaped(m: MemberRecord, pid: number): boolean {
  const st = procStat(pid);
  if (st === undefined) return true;
  return m.startTime !== undefined ? st.startTime !== m.startTime : !isAlive(pid);
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
    await withMembers(stateDir, (list) => ({ list: setSpawned(list, name, undefined), result: undefined }));
    return undefined;
  }
  signalMember(pid, signal);
  if (signal !== 'SIGKILL' && signal !== 'SIGTERM' && signal !== 'SIGINT') return pid;
  const deadline = Date.now() + timeoutMs;
  // Gone: no process any more, or another process on a reused pid. A zombie is no longer the
  // member (it runs nothing) but is waited for too, bounded, until its parent reaps it.
  while (!_reaped(m, pid) && Date.now() < deadline) await _sleep(20);
  if (isMemberProcess(m, pid)) {
    signalMember(pid, 'SIGKILL');
    for (let i = 0; i < 100 && !_reaped(m, pid); i++) await _sleep(20);
  }
  await withMembers(stateDir, (list) => ({ list: memberNamed(list, name).pid === pid ? setSpawned(list, name, undefined) : list, result: undefined }));
  return pid;
}
