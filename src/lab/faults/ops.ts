/**
 * @module The faults `tabby lab fault` injects into a running lab, from its state file alone:
 *
 * - `partition W`: real packet drops between worker W's namespace and the rest of the lab
 *   (partition.ts: one nftables `bridge` table in the lab's fabric namespace cutting every link
 *   W has there). Recorded in `<stateDir>/faults.json` before anything else happens, so `heal`
 *   always knows what to remove.
 * - `heal`: removes every partition faults.json records (exactly those tables), and restarts
 *   every member `kill` stopped.
 * - `restart agent W`: in the single-machine lab the agents run inside the lab daemon, which is
 *   asked through its fault channel (requests.ts) to stop W's agent and start a new one.
 *
 * Worker names are the lab's node names; `worker-N` also names worker N (the spelling).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { CommandRunner } from '../../sys/index.js';
import type { LabState } from '../lab-context.js';
import type { WorkerPlan } from '../topology.js';
import { applyPartition, partitionDrops, partitionTable, removePartition, type PartitionSpec } from './partition.js';
import { sendFaultRequest } from './requests.js';
import { memberNamed, readMembers, startMember, stopMember, type MemberRecord } from '../distributed/members.js';
import { socketDirOf } from '../distributed/control-plane.js';
import { request } from 'node:https';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';

export const FAULTS_FILE = 'faults.json';

export interface PartitionRecord extends PartitionSpec {
  readonly worker: string;
  /** ISO time it was installed. */
  readonly since: string;
}

export interface KilledRecord {
  /** The member's name in the distributed lab's member list (`etcd-2`, `apiserver-1`). */
  readonly member: string;
  /** The pid killed (absent: it was not running). */
  readonly pid?: number;
  readonly since: string;
}

export interface FaultsState {
  readonly partitions: readonly PartitionRecord[];
  readonly killed: readonly KilledRecord[];
}

export function readFaults(stateDir: string): FaultsState {
  const f = join(stateDir, FAULTS_FILE);
  if (!existsSync(f)) return { partitions: [], killed: [] };
  const raw = JSON.parse(readFileSync(f, 'utf8')) as { partitions?: unknown; killed?: unknown };
  return { partitions: Array.isArray(raw.partitions) ? (raw.partitions as PartitionRecord[]) : [], killed: Array.isArray(raw.killed) ? (raw.killed as KilledRecord[]) : [] };
}

function _writeFaults(stateDir: string, s: FaultsState): void {
  const f = join(stateDir, FAULTS_FILE);
  const tmp = `${f}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(s, null, 2)}\n`);
  renameSync(tmp, f);
}

/** The worker `name` names: a node name, or `worker-N` / `workerN` for worker N. */
export function resolveWorker(st: Pick<LabState, 'plan'>, name: string): WorkerPlan {
  const exact = st.plan.workers.find((w) => w.name === name);
  if (exact !== undefined) return exact;
  const m = /^worker-?(\d{1,3})$/.exec(name);
  const byIndex = m === null ? undefined : st.plan.workers.find((w) => w.index === Number(m[1]));
  if (byIndex !== undefined) return byIndex;
  throw new Error(`no worker ${JSON.stringify(name)} in lab ${(st.plan as { prefix: string }).prefix} (workers: ${st.plan.workers.map((w) => w.name).join(', ')})`);
}

/** The fabric namespace's ports (bridge members) whose other end is in `netns`. */
export async function fabricPortsOf(runner: CommandRunner, fabricNetns: string, netns: string): Promise<string[]> {
  const r = await runner.run({ argv: ['ip', '-n', fabricNetns, '-o', 'link', 'show'], timeoutMs: 10_000 });
  if (r.code !== 0) throw new Error(`ip -n ${fabricNetns} link show failed (${r.code}): ${r.stderr.trim()}`);
  const ports: string[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^\d+:\s+([^@:\s]+)(?:@\S+)?:.*\smaster\s+\S+.*\slink-netns\s+(\S+)/.exec(line);
    if (m !== null && m[2] === netns) ports.push(m[1]!);
  }
  return ports.sort();
}

/** Cuts worker `name` off the rest of the lab (see the module doc); returns what was installed. */
export async function partitionWorker(runner: CommandRunner, st: LabState, name: string): Promise<PartitionRecord> {
  const w = resolveWorker(st, name);
  const ports = await fabricPortsOf(runner, st.plan.fabric, w.netns);
  if (ports.length === 0) throw new Error(`worker ${w.name} has no link in the fabric namespace ${st.plan.fabric}`);
  const rec: PartitionRecord = { worker: w.name, fabricNetns: st.plan.fabric, ports, table: partitionTable(w.name), since: new Date().toISOString() };
  const cur = readFaults(st.stateDir);
  _writeFaults(st.stateDir, { ...cur, partitions: [...cur.partitions.filter((p) => p.table !== rec.table), rec] });
  await applyPartition(runner, rec);
  return rec;
}

export interface HealReport {
  /** Partitions removed: worker, and how many frames each dropped. */
  readonly partitions: readonly { readonly worker: string; readonly dropped: number | undefined }[];
  /** Members started again, with their new pids. */
  readonly started: readonly { readonly member: string; readonly pid: number | undefined }[];
}

/** Removes every recorded partition, then starts every killed member again and waits (bounded) until each answers. */
export async function heal(runner: CommandRunner, st: LabState, readyTimeoutMs = 120_000): Promise<HealReport> {
  const { partitions } = await healPartitions(runner, st);
  const started: { member: string; pid: number | undefined }[] = [];
  for (const k of readFaults(st.stateDir).killed) started.push({ member: k.member, pid: (await startKilled(st, k.member)).pid });
  for (const s of started) await waitMemberReady(st, s.member, readyTimeoutMs);
  return { partitions, started };
}

/** Removes every recorded partition (only the tables faults.json lists, only in the lab's fabric). */
export async function healPartitions(runner: CommandRunner, st: LabState): Promise<Pick<HealReport, 'partitions'>> {
  const cur = readFaults(st.stateDir);
  const done: { worker: string; dropped: number | undefined }[] = [];
  const left: PartitionRecord[] = [];
  for (const p of cur.partitions) {
    if (p.fabricNetns !== st.plan.fabric || !/^tabby_fault_[A-Za-z0-9_]{1,52}$/.test(p.table)) {
      left.push(p);
      continue;
    }
    const dropped = await partitionDrops(runner, p);
    await removePartition(runner, p);
    done.push({ worker: p.worker, dropped });
  }
  _writeFaults(st.stateDir, { ...cur, partitions: left });
  return { partitions: done };
}

const _killable = new Set(['etcd', 'apiserver']);

function _distributed(st: LabState, what: string): void {
  if (st.distributed === undefined || readMembers(st.stateDir) === undefined)
    throw new Error(`${what}: the lab ${st.prefix} in ${st.stateDir} is a single-machine lab, whose datastore and API server run inside the lab daemon; killing an etcd member or API server needs the distributed lab (tabby lab up --distributed)`);
}

/** Kills (SIGKILL) an etcd member or API server of a distributed lab; recorded so heal starts it again. */
export async function killMember(st: LabState, name: string): Promise<KilledRecord> {
  _distributed(st, `kill ${name}`);
  const m = memberNamed(readMembers(st.stateDir)!, name);
  if (!_killable.has(m.role)) throw new Error(`kill ${name}: a ${m.role} member; kill takes etcd-N or apiserver-N (an agent: tabby lab fault restart agent <worker>)`);
  const cur = readFaults(st.stateDir);
  const pending: KilledRecord = { member: name, since: new Date().toISOString() };
  _writeFaults(st.stateDir, { ...cur, killed: [...cur.killed.filter((k) => k.member !== name), pending] });
  const pid = await stopMember(st.stateDir, name, 'SIGKILL');
  const rec: KilledRecord = pid === undefined ? pending : { ...pending, pid };
  const after = readFaults(st.stateDir);
  _writeFaults(st.stateDir, { ...after, killed: [...after.killed.filter((k) => k.member !== name), rec] });
  return rec;
}

/** GET `path` of a member over the relay's socket for it (TLS checked against its address); the status code, 0 without an answer. */
function _probeMember(st: LabState, m: MemberRecord, path: string, tls: { ca: string; cert?: string; key?: string }): Promise<number> {
  return new Promise((ok) => {
    const req = request(
      {
        socketPath: join(socketDirOf(st.prefix), `${m.name}.sock`),
        path,
        method: 'GET',
        ...tls,
        headers: { host: m.address },
        checkServerIdentity: (_h: string, cert: PeerCertificate) => checkServerIdentity(m.address, cert),
        timeout: 2000,
        agent: false,
      },
      (res) => {
        res.resume();
        res.on('end', () => ok(res.statusCode ?? 0));
        res.on('error', () => ok(0));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => ok(0));
    req.end();
  });
}

/**
 * Waits (bounded) until member `name` answers again: an API server's /readyz, an etcd member's
 * /health (with an API server's etcd client certificate), through the lab's relay sockets.
 */
export async function waitMemberReady(st: LabState, name: string, timeoutMs: number): Promise<void> {
  const list = readMembers(st.stateDir)!;
  const m = memberNamed(list, name);
  const a1 = list.members.find((x) => x.role === 'apiserver');
  if (a1 === undefined) throw new Error('no API server in the member list');
  const read = (...p: string[]): string => readFileSync(join(...p), 'utf8');
  const tls =
    m.role === 'apiserver'
      ? { ca: read(m.dir, 'pki', 'ca.crt') }
      : { ca: read(m.dir, 'pki', 'ca.crt'), cert: read(a1.dir, 'etcd', 'client.crt'), key: read(a1.dir, 'etcd', 'client.key') };
  const path = m.role === 'apiserver' ? '/readyz' : '/health';
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await _probeMember(st, m, path, tls)) === 200) return;
    if (Date.now() > deadline) throw new Error(`${name} did not answer ${path} within ${Math.round(timeoutMs / 1000)} s (see ${m.logFile})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Starts a killed member again (from its member record) and forgets it in faults.json. */
export async function startKilled(st: LabState, name: string): Promise<{ pid: number | undefined }> {
  _distributed(st, `start ${name}`);
  const m = memberNamed(readMembers(st.stateDir)!, name);
  if (!_killable.has(m.role)) throw new Error(`start ${name}: a ${m.role} member; start takes etcd-N or apiserver-N`);
  let pid: number | undefined;
  try {
    pid = (await startMember(st.stateDir, name)).pid;
  } catch (e) {
    if (!/already running/.test(e instanceof Error ? e.message : String(e))) throw e;
  }
  const cur = readFaults(st.stateDir);
  _writeFaults(st.stateDir, { ...cur, killed: cur.killed.filter((k) => k.member !== name) });
  return { pid };
}

/**
 * Restarts worker `name`'s agent: in a distributed lab its process is killed (SIGKILL) and
 * started again from its member record; in a single-machine lab the lab daemon (which runs the
 * agents) is asked to stop it and start a new one.
 */
export async function restartLabAgent(st: LabState, name: string, timeoutMs = 30_000): Promise<string> {
  const w = resolveWorker(st, name);
  if (st.distributed !== undefined) {
    const member = `agent-${w.name}`;
    const old = await stopMember(st.stateDir, member, 'SIGKILL', timeoutMs);
    const m = await startMember(st.stateDir, member);
    return `agent ${w.name} killed (pid ${old ?? '-'}) and started again (pid ${m.pid ?? '-'})`;
  }
  const a = await sendFaultRequest(st.stateDir, { op: 'restart-agent', node: w.name }, timeoutMs);
  if (!a.ok) throw new Error(`restart agent ${w.name}: ${a.message}`);
  return a.message;
}
