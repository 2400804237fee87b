/**
 * The fault suite (issue 15, root only): each fault at least 3 times while a writer keeps
 * applying policies through the Kubernetes API and a prober keeps opening real TCP connections
 * between pods on every worker, on a port policy allows and one it denies. Faults are injected
 * with `tabby lab fault …`. Afterwards: no acknowledged write lost, no denied-port connection
 * accepted, every agent converged after every fault (each run waits for it, bounded), and the
 * partition really dropped packets (allowed connections across it failed; heal reports the drop
 * count). The per-fault table is printed; its timings are figures (bench/faults.bench.ts), not
 * assertions.
 *
 * Two labs: the single-machine lab (restart agent, partition worker; there the agents run inside
 * the lab's process and read the datastore directly, so a partition cuts the workers' pod
 * traffic but not their agents' view of the datastore), and the distributed lab (3 etcd members,
 * 2 API servers, each agent a joined process in its worker's namespace: kill etcd-2, kill
 * apiserver-1, partition worker-2 — which cuts that agent off the API servers too — and restart
 * agent worker-1, which kills the agent's process and starts it again).
 *
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { netnsSkipReason } from '../../src/sys/index.js';
import { formatFaultTable, runFaultSuite } from '../../src/lab/faults/index.js';
import { required, requireTool } from '../support/tools.js';
import { startFaultLab, type FaultLab } from '../support/fault-lab.js';

const skip = required(await netnsSkipReason()) || requireTool('nft');
const RUNS = 3;

async function suite(distributed: boolean): Promise<void> {
  let f: FaultLab | undefined;
  try {
    f = await startFaultLab({ distributed });
    // startFaultLab returned once the base policy held on every pair (so the suite's zeros mean something).
    const t0 = performance.timeOrigin + performance.now();
    f.writer.start();
    f.prober.start();
    const { rows } = await runFaultSuite({ writer: f.writer, prober: f.prober, watch: f.watch, log: (m) => console.log(`# ${m}`) }, f.cases(2000), { runs: RUNS, convergeTimeoutMs: distributed ? 60_000 : 30_000 });
    await f.writer.stop();
    await f.prober.stop();
    const report = await f.writer.verify();
    console.log(`# ${formatFaultTable(rows).split('\n').join('\n# ')}`);
    console.log(`# writes: ${report.acked} acknowledged, ${report.failed} failed, ${report.lost.length} lost; probes: ${f.prober.events.length}`);
    assert.deepEqual(report.lost, [], 'no acknowledged write lost');
    assert.ok(report.acked > 20, `the writer kept writing (${report.acked} acknowledged)`);
    const all = f.prober.summary(t0);
    assert.equal(all.deniedAccepted, 0, `no denied-port connection accepted, ever\n${f.log.filter((l) => l.includes('VIOLATION')).join('\n')}`);
    for (const r of rows) {
      assert.equal(r.runs, RUNS, `${r.fault}: ${RUNS} runs`);
      assert.equal(r.writesLost, 0, `${r.fault}: no write lost`);
      assert.equal(r.deniedAccepted, 0, `${r.fault}: no denied connection accepted`);
      assert.ok(r.deniedProbes > 0 && r.allowedProbes > 0, `${r.fault}: probed during the fault`);
      assert.ok(r.writesAcked > 0, `${r.fault}: writes acknowledged during the fault`);
      assert.equal(r.convergenceSamples >= RUNS, true, `${r.fault}: converged after each run`);
    }
    const part = rows.find((r) => r.kind === 'partition')!;
    assert.ok(part.allowedDropped < part.allowedProbes, 'allowed connections opened outside the partition');
    const kills = rows.filter((r) => r.kind === 'kill');
    for (const r of kills) assert.ok(r.allowedDropped < r.allowedProbes, `${r.fault}: allowed connections kept opening`);
    assert.ok(part.allowedDropped > 0, 'the partition dropped allowed connections across it');
    assert.equal(f.healDrops.length, RUNS);
    assert.ok(f.healDrops.every((n) => n > 0), `each partition dropped packets (${f.healDrops.join(', ')})`);
    if (distributed) for (const k of ['kill etcd-2', 'kill apiserver-1']) assert.ok(rows.some((r) => r.fault === k), `${k} ran`);
  } finally {
    await f?.stop();
  }
}

test('fault suite (single-machine lab): restart agent and partition worker, 3 times each, under writes and probes', { skip, timeout: 300_000 }, () => suite(false));

test('fault suite (distributed lab): kill etcd-2, kill apiserver-1, partition worker-2, restart agent worker-1, 3 times each', { skip: skip || requireTool('etcd'), timeout: 600_000 }, () => suite(true));
