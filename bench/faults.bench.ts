/**
 * @module Faults under load (issue 15, `npm run bench -- faults`, root only): the fault suite of
 * test/e2e/faults.test.ts, 5 runs of each fault, on the distributed lab (3 etcd members, 2 API
 * servers, each worker's agent a joined process in its own namespace: kill etcd-2, kill
 * apiserver-1, partition worker-2, restart agent worker-1) and on the single-machine lab
 * (restart agent, partition). During every fault a writer keeps applying policies through the
 * Kubernetes API and a prober keeps opening real TCP connections between pods on every worker on
 * an allowed and a denied port (test/support/fault-lab.ts).
 *
 * Per fault: writes acknowledged and lost (goal 0), convergence p50/p99 (wall-clock: for a kill,
 * each write sent while the member is down until every agent programmed it; after a partition
 * heals, from when the heal took effect (`tabby lab fault heal` returned: the partition's nft
 * table is deleted) until every agent programmed the last write before it (an informational row
 * gives the same from when the heal command started); after an agent
 * restart, from the restart until every agent — the restarted one after restarting — programmed
 * the last write before it), denied-port connections accepted (goal 0) and allowed connections
 * dropped. Goals (issue 15): every agent converges within 5 s p99 after an API server or etcd
 * member is killed, within 2 s p99 after a partition heals. The agents' times are their own
 * apply times (tabby.dev/programmed-at), so polling does not add to them.
 */
import { netnsSkipReason, findOnPath } from '../src/sys/index.js';
import { formatFaultTable, runFaultSuite, type FaultRow } from '../src/lab/faults/index.js';
import { startFaultLab, type FaultLab } from '../test/support/fault-lab.js';
import type { BenchResult } from './run.js';

const RUNS = 5;

function _goal(r: FaultRow): string {
  if (r.kind === 'kill') return '<= 5000';
  if (r.kind === 'partition') return '<= 2000';
  return 'informational';
}

function _rows(lab: string, rows: readonly FaultRow[], lost: number): BenchResult[] {
  const out: BenchResult[] = [];
  for (const r of rows) {
    const n = `faults (${lab}): ${r.fault}`;
    out.push(
      { name: `${n}: writes acknowledged during the fault (${r.writesFailed} failed)`, value: r.writesAcked, unit: 'writes', goal: 'informational' },
      { name: `${n}: acknowledged writes lost`, value: r.writesLost, unit: 'writes', goal: '<= 0' },
      { name: `${n}: every agent converged, p50 (${r.convergenceSamples} samples, ${r.runs} runs)`, value: r.convergeP50Ms, unit: 'ms', goal: 'informational' },
      { name: `${n}: every agent converged, p99${r.kind === 'partition' ? ' (from when the heal took effect)' : ''}`, value: r.convergeP99Ms, unit: 'ms', goal: _goal(r) },
    );
    if (r.sinceCommandP99Ms !== undefined)
      out.push({ name: `${n}: every agent converged, p99 from when the heal command started (p50 ${r.sinceCommandP50Ms})`, value: r.sinceCommandP99Ms, unit: 'ms', goal: 'informational' });
    out.push(
      { name: `${n}: denied-port connections accepted (of ${r.deniedProbes})`, value: r.deniedAccepted, unit: 'connections', goal: '<= 0' },
      { name: `${n}: allowed connections dropped (of ${r.allowedProbes})`, value: r.allowedDropped, unit: 'connections', goal: 'informational' },
    );
  }
  out.push({ name: `faults (${lab}): acknowledged writes lost, whole run (read back at the end)`, value: lost, unit: 'writes', goal: '<= 0' });
  return out;
}

async function _suite(distributed: boolean): Promise<BenchResult[]> {
  const lab = distributed ? 'distributed lab' : 'single-machine lab';
  let f: FaultLab | undefined;
  try {
    f = await startFaultLab({ distributed });
    f.writer.start();
    f.prober.start();
    const { rows } = await runFaultSuite({ writer: f.writer, prober: f.prober, watch: f.watch, log: (m) => process.stderr.write(`faults: ${m}\n`) }, f.cases(2000), { runs: RUNS, convergeTimeoutMs: 60_000 });
    await f.writer.stop();
    await f.prober.stop();
    const report = await f.writer.verify();
    process.stderr.write(`faults (${lab}):\n${formatFaultTable(rows)}\n`);
    return _rows(lab, rows, report.lost.length);
  } finally {
    await f?.stop();
  }
}

export async function run(): Promise<BenchResult[]> {
  const skip = (await netnsSkipReason()) ?? (findOnPath('nft') === undefined ? 'nft is not on PATH' : undefined);
  if (skip !== undefined) {
    process.stderr.write(`faults bench skipped: ${skip}\n`);
    return [];
  }
  const out: BenchResult[] = [];
  if (findOnPath('etcd') !== undefined) out.push(...(await _suite(true)));
  else process.stderr.write('faults bench: etcd is not on PATH: the distributed lab is left out\n');
  out.push(...(await _suite(false)));
  return out;
}
