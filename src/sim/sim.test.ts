/**
 * The scale harness is correct, not only fast: a small simulation (real API server, real agents
 * in a worker process, pods churned through the REST API) ends with every node's recorded
 * programming equal to what the engine computes for that node from the final datastore state —
 * on the embedded SQLite datastore, on a 3-member etcd, and with the agents watching through a
 * fan-out server. The nodes' programmings differ from
 * each other (each has its own pods), so equality per node is not vacuous. Timings are not
 * asserted (they go to bench/scale.bench.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findOnPath } from '../sys/index.js';
import { runSim, type SimOptions } from './index.js';

const small = (datastore: SimOptions['datastore'], nodes: number): SimOptions => ({
  nodes,
  endpoints: 40 * nodes,
  policies: 50,
  namespaces: 10,
  churn: 20,
  durationS: 3,
  datastore,
  nodesPerWorker: 3,
  verify: true,
  timeoutS: 120,
});

const check = async (o: SimOptions): Promise<void> => {
  const r = await runSim(o);
  assert.equal(r.churn.errors, 0, `churn writes failed: ${r.churn.firstError ?? ''}`);
  assert.equal(r.churn.writes, Math.round(o.churn * o.durationS), 'every churn write was made');
  assert.deepEqual(r.mismatches, [], 'every node programmed what the engine computes for it');
  assert.equal(r.distinctProgrammings, o.nodes, 'each node has its own programming');
  assert.equal(r.propagationMs.unreached, 0, 'every write reached every node');
  assert.equal(r.watchLagMs.unreached, 0);
  assert.equal(r.startOfDayMs.n, o.nodes);
  assert.ok(r.watch.bytes > 0, 'the watch connections\' bytes are counted');
  assert.ok(r.agents.applies > 0 && r.servers.rssBytes > 0, 'the measurements saw applies and the server process');
  if ((o.fanouts ?? 0) > 0) assert.ok(r.fanout !== undefined && r.fanout.rssBytes > 0, 'the fan-out process is measured');
};

test('tabby sim (sqlite): 5 nodes, 200 endpoints, 50 policies, churn: every node programs what the engine computes', { timeout: 300_000 }, () => check(small('sqlite', 5)));

const etcdMissing = findOnPath('etcd') === undefined ? 'etcd is not installed' : undefined;
test('tabby sim (3-member etcd): 3 nodes, churn: every node programs what the engine computes', { timeout: 300_000, skip: process.env['CI'] === 'true' ? false : (etcdMissing ?? false) }, () =>
  check(small('etcd', 3)),
);

test('tabby sim through a fan-out server (tabby server --role fanout): 3 nodes watch through it and program what the engine computes', { timeout: 300_000 }, () =>
  check({ ...small('sqlite', 3), fanouts: 1 }),
);
