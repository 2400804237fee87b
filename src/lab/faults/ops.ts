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

export const FAULTS_FILE = 'faults.json';

export interface PartitionRecord extends PartitionSpec {
  readonly worker: string;
  /** ISO time it was installed. */
  readonly since: string;
}

export interface FaultsState {
  readonly partitions: readonly PartitionRecord[];
}

export function readFaults(stateDir: string): FaultsState {
  const f = join(stateDir, FAULTS_FILE);
  if (!existsSync(f)) return { partitions: [] };
  const raw = JSON.parse(readFileSync(f, 'utf8')) as { partitions?: unknown };
  return { partitions: Array.isArray(raw.partitions) ? (raw.partitions as PartitionRecord[]) : [] };
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
}

/** Removes every recorded partition (only the tables faults.json lists, only in the lab's fabric). */
export async function healPartitions(runner: CommandRunner, st: LabState): Promise<HealReport> {
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

/** Restarts worker `name`'s agent in a single-machine lab (through the lab daemon). */
export async function restartLabAgent(st: LabState, name: string, timeoutMs = 30_000): Promise<string> {
  const w = resolveWorker(st, name);
  const a = await sendFaultRequest(st.stateDir, { op: 'restart-agent', node: w.name }, timeoutMs);
  if (!a.ok) throw new Error(`restart agent ${w.name}: ${a.message}`);
  return a.message;
}
