/**
 * @module The fault suite's driver: runs each fault `runs` times while a PolicyWriter keeps
 * writing and a Prober keeps probing, and measures, per fault:
 *
 * - writes acknowledged while the fault was on (from injection until every agent converged after
 *   it) and acknowledged writes lost (the writer checks every one, see writer.ts);
 * - convergence, in ms: for `kill`, each write acknowledged while the member is down, from
 *   sending it until every agent programmed it ("new policy after a kill"); for `partition`,
 *   from when the heal took effect (its `heal()` returned: the partition's nft table is deleted
 *   by then) until every agent programmed the last write acknowledged before the heal (the
 *   figure from when the heal command started, which adds the command's own 50-650 ms, is kept
 *   as `sinceCommand…`); programmed-at is each agent's apply time (src/agent/loop.ts); for
 *   `restart`, from the restart until every agent (the restarted one after its restart) programmed
 *   the last write acknowledged before it;
 * - denied-port connections accepted and allowed connections dropped in that window.
 *
 * Every wait is bounded (`convergeTimeoutMs`); a fault that does not converge is an error.
 */
import type { ConvergenceWatch, FreshAfter } from './convergence.js';
import type { Prober } from './prober.js';
import { percentile } from './stats.js';
import type { PolicyWriter, WriteRecord } from './writer.js';

export interface FaultCase {
  /** `kill etcd-2`, `partition worker2`, `restart agent worker1`. */
  readonly name: string;
  readonly kind: 'kill' | 'partition' | 'restart';
  inject(): Promise<void>;
  /** Ends the fault (restart the member, remove the partition); none for `restart`. */
  heal?(): Promise<void>;
  /** How long the fault stays on before heal (default 2,000 ms). */
  readonly holdMs?: number;
  /** Nodes whose agent restarts with the fault: they must apply again after it. */
  readonly restartsAgentsOf?: readonly string[];
}

export interface FaultRun {
  readonly fault: string;
  readonly start: number;
  readonly end: number;
  readonly samplesMs: readonly number[];
  /** partition: from when the heal command started (samplesMs: from when it took effect). */
  readonly sinceCommandMs?: readonly number[];
}

export interface FaultRow {
  readonly fault: string;
  readonly kind: FaultCase['kind'];
  readonly runs: number;
  readonly writesAcked: number;
  readonly writesLost: number;
  readonly writesFailed: number;
  readonly convergenceSamples: number;
  readonly convergeP50Ms: number;
  readonly convergeP99Ms: number;
  /** partition: the same from when the heal command started (undefined for other kinds). */
  readonly sinceCommandP50Ms?: number;
  readonly sinceCommandP99Ms?: number;
  readonly deniedAccepted: number;
  readonly deniedProbes: number;
  readonly allowedDropped: number;
  readonly allowedProbes: number;
  readonly probeErrors: number;
}

export interface SuiteHarness {
  readonly writer: PolicyWriter;
  readonly prober: Prober;
  readonly watch: ConvergenceWatch;
  readonly log?: (line: string) => void;
}

export interface SuiteOptions {
  readonly runs: number;
  /** Bound on each convergence wait (default 30 s). */
  readonly convergeTimeoutMs?: number;
  /** Pause between runs (default 500 ms). */
  readonly gapMs?: number;
}

const _now = (): number => performance.timeOrigin + performance.now();
const _sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The last write acknowledged so far, waiting (bounded) for one if there is none yet. */
async function _lastAcked(w: PolicyWriter, timeoutMs: number): Promise<WriteRecord> {
  const deadline = _now() + timeoutMs;
  for (;;) {
    const r = w.lastAcked();
    if (r !== undefined) return r;
    if (_now() > deadline) throw new Error(`no write acknowledged within ${timeoutMs} ms (last error: ${w.lastError ?? 'none'})`);
    await _sleep(50);
  }
}

/** The first write acknowledged after `t` (sent after it), waiting (bounded). */
async function _firstAckedAfter(w: PolicyWriter, t: number, timeoutMs: number): Promise<WriteRecord> {
  const deadline = _now() + timeoutMs;
  for (;;) {
    const r = w.records.find((x) => x.sentAt >= t);
    if (r !== undefined) return r;
    if (_now() > deadline) throw new Error(`no write acknowledged within ${timeoutMs} ms of the fault (last error: ${w.lastError ?? 'none'})`);
    await _sleep(50);
  }
}

/** Runs one fault once; returns its window and convergence samples. */
export async function runFaultOnce(h: SuiteHarness, c: FaultCase, o: SuiteOptions): Promise<FaultRun> {
  const timeout = o.convergeTimeoutMs ?? 30_000;
  const log = h.log ?? ((): void => undefined);
  const start = _now();
  const fresh: FreshAfter[] = [];
  const samples: number[] = [];
  if (c.kind === 'restart') {
    const before = await _lastAcked(h.writer, timeout);
    const t0 = _now();
    await c.inject();
    for (const n of c.restartsAgentsOf ?? []) fresh.push({ node: n, after: t0 });
    const at = await h.watch.waitConverged(before.resourceVersion, timeout, fresh);
    samples.push(Math.max(0, at - t0));
    log(`${c.name}: every agent programmed revision ${before.resourceVersion} ${Math.round(at - t0)} ms after the restart`);
    return { fault: c.name, start, end: _now(), samplesMs: samples };
  }
  const t0 = _now();
  await c.inject();
  await _sleep(c.holdMs ?? 2000);
  if (c.kind === 'kill') {
    // New policy while the member is down: every write sent after the kill and acknowledged before the heal.
    await _firstAckedAfter(h.writer, t0, timeout);
    const during = h.writer.records.filter((r) => r.sentAt >= t0);
    const tHeal = _now();
    await c.heal?.();
    for (const r of during) {
      if (r.ackAt > tHeal) break;
      const at = await h.watch.waitConverged(r.resourceVersion, timeout);
      samples.push(Math.max(0, at - r.sentAt));
    }
    const last = await _lastAcked(h.writer, timeout);
    await h.watch.waitConverged(last.resourceVersion, timeout);
    log(`${c.name}: ${samples.length} writes while down, every agent programmed each within ${Math.round(Math.max(...samples))} ms`);
  } else {
    const before = await _lastAcked(h.writer, timeout);
    const tCommand = _now();
    await c.heal?.();
    // the partition is gone once heal() returns (its nft table deleted): the clock starts here
    const tHeal = _now();
    const at = await h.watch.waitConverged(before.resourceVersion, timeout);
    samples.push(Math.max(0, at - tHeal));
    const sinceCommand = [Math.max(0, at - tCommand)];
    log(`${c.name}: every agent programmed revision ${before.resourceVersion} ${Math.round(at - tHeal)} ms after the heal took effect (the heal command took ${Math.round(tHeal - tCommand)} ms)`);
    return { fault: c.name, start, end: _now(), samplesMs: samples, sinceCommandMs: sinceCommand };
  }
  return { fault: c.name, start, end: _now(), samplesMs: samples };
}

/** Runs every case `runs` times (interleaved per case) and summarises per fault. */
export async function runFaultSuite(h: SuiteHarness, cases: readonly FaultCase[], o: SuiteOptions): Promise<{ rows: FaultRow[]; runs: FaultRun[] }> {
  const runs: FaultRun[] = [];
  for (const c of cases) {
    for (let i = 0; i < o.runs; i++) {
      runs.push(await runFaultOnce(h, c, o));
      await _sleep(o.gapMs ?? 500);
    }
  }
  return { rows: summarise(h, cases, runs), runs };
}

/** Per-fault rows from the runs (lost writes counted by when they were acknowledged). */
export function summarise(h: Pick<SuiteHarness, 'writer' | 'prober'>, cases: readonly FaultCase[], runs: readonly FaultRun[]): FaultRow[] {
  return cases.map((c) => {
    const mine = runs.filter((r) => r.fault === c.name);
    const inside = (t: number): boolean => mine.some((r) => t >= r.start && t < r.end);
    const samples = mine.flatMap((r) => r.samplesMs);
    const sinceCommand = mine.flatMap((r) => r.sinceCommandMs ?? []);
    let allowedOpen = 0;
    let allowedDropped = 0;
    let deniedAccepted = 0;
    let deniedClosed = 0;
    let errors = 0;
    for (const r of mine) {
      const s = h.prober.summary(r.start, r.end);
      allowedOpen += s.allowedOpen;
      allowedDropped += s.allowedDropped;
      deniedAccepted += s.deniedAccepted;
      deniedClosed += s.deniedClosed;
      errors += s.errors;
    }
    const ackedSeqs = new Set(h.writer.records.filter((r) => inside(r.ackAt)).map((r) => r.seq));
    return {
      fault: c.name,
      kind: c.kind,
      runs: mine.length,
      writesAcked: ackedSeqs.size,
      writesLost: h.writer.lost.filter((l) => ackedSeqs.has(l.seq)).length,
      writesFailed: h.writer.failedAt.filter(inside).length,
      convergenceSamples: samples.length,
      convergeP50Ms: Math.round(percentile(samples, 50)),
      convergeP99Ms: Math.round(percentile(samples, 99)),
      ...(sinceCommand.length === 0 ? {} : { sinceCommandP50Ms: Math.round(percentile(sinceCommand, 50)), sinceCommandP99Ms: Math.round(percentile(sinceCommand, 99)) }),
      deniedAccepted,
      deniedProbes: deniedAccepted + deniedClosed,
      allowedDropped,
      allowedProbes: allowedOpen + allowedDropped,
      probeErrors: errors,
    };
  });
}

/** The per-fault table (plain text). */
export function formatFaultTable(rows: readonly FaultRow[]): string {
  const head = ['fault', 'runs', 'writes acked', 'lost', 'failed', 'converge p50 ms', 'p99 ms', 'from heal cmd p50/p99', 'denied accepted', 'allowed dropped', 'probe errors'];
  const body = rows.map((r) => [
    r.fault,
    String(r.runs),
    String(r.writesAcked),
    String(r.writesLost),
    String(r.writesFailed),
    String(r.convergeP50Ms),
    String(r.convergeP99Ms),
    r.sinceCommandP50Ms === undefined ? '-' : `${r.sinceCommandP50Ms}/${r.sinceCommandP99Ms}`,
    `${r.deniedAccepted}/${r.deniedProbes}`,
    `${r.allowedDropped}/${r.allowedProbes}`,
    String(r.probeErrors),
  ]);
  const w = head.map((x, i) => Math.max(x.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((x, i) => (i === 0 ? x.padEnd(w[i]!) : x.padStart(w[i]!))).join('  ');
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...body.map(line)].join('\n');
}
