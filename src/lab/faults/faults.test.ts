import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openMemoryDatastore, type StoredObject } from '../../datastore/index.js';
import { partitionScript, partitionTable } from './partition.js';
import { decodeFaultRequest } from './requests.js';
import { percentile } from './stats.js';
import { PolicyWriter, SEQ_LABEL } from './writer.js';
import { Prober } from './prober.js';

const GNP = { group: 'projectcalico.org', plural: 'globalnetworkpolicies' } as const;

test('faults: partition script drops both directions of exactly the worker\'s ports', () => {
  const s = partitionScript({ fabricNetns: 'tbyabc-fab', ports: ['w2priv', 'w2pub'], table: partitionTable('worker2') });
  assert.match(s, /^table bridge tabby_fault_worker2 \{$/m);
  assert.match(s, /iifname \{ "w2priv", "w2pub" \} counter drop/);
  assert.match(s, /oifname \{ "w2priv", "w2pub" \} counter drop/);
  assert.equal(partitionTable('kube-dal10.w1'), 'tabby_fault_kube_dal10_w1');
  assert.throws(() => partitionScript({ fabricNetns: 'x', ports: ['a"; flush ruleset'], table: 't' }), /invalid interface name/);
  assert.throws(() => partitionScript({ fabricNetns: 'x', ports: [], table: 't' }), /no ports/);
});

test('faults: fault requests are decoded field by field', () => {
  assert.deepEqual(decodeFaultRequest({ op: 'restart-agent', node: 'worker1' }), { ok: true, value: { op: 'restart-agent', node: 'worker1' } });
  const bad: [unknown, RegExp][] = [
    [null, /JSON object/],
    [{ op: 'rm -rf', node: 'w' }, /^op: unsupported/],
    [{ op: 'restart-agent', node: '../x' }, /^node:/],
    [JSON.parse('{"__proto__": {"op": "restart-agent"}, "node": "w"}'), /^op: unsupported/],
  ];
  for (const [raw, want] of bad) {
    const r = decodeFaultRequest(raw);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error, want);
  }
});

test('faults: percentile by nearest rank', () => {
  assert.equal(percentile([5, 1, 3], 50), 3);
  assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99), 10);
  assert.ok(Number.isNaN(percentile([], 50)));
});

test('faults: the writer finds an acknowledged write that went missing or was rolled back', async () => {
  const ds = await openMemoryDatastore();
  const logs: string[] = [];
  const w = new PolicyWriter({ datastore: ds, selector: "app == 'x'", prefix: 'fw', slots: 2, log: (l) => logs.push(l) });
  for (let i = 0; i < 4; i++) assert.ok(await w.writeOnce());
  assert.deepEqual((await w.verify()).lost, []);
  // Slot 0's acknowledged write (seq 3) is rolled back to an older content; slot 1's (seq 4) vanishes.
  const cur = await ds.get({ ...GNP, namespace: '', name: 'fw-0' });
  await ds.update(GNP, { ...cur, metadata: { ...cur.metadata, labels: { [SEQ_LABEL]: '1' } } } as StoredObject);
  await ds.delete({ ...GNP, namespace: '', name: 'fw-1' });
  assert.ok(await w.writeOnce(), 'the next write of slot 0 succeeds after reading it back');
  const r = await w.verify();
  assert.deepEqual(
    r.lost.map((l) => [l.seq, l.name, l.found]),
    [
      [3, 'fw-0', 'seq 1'],
      [4, 'fw-1', 'absent'],
    ],
  );
  assert.equal(r.acked, 5);
  await ds.close();
});

test('faults: the prober counts a denied port that opens as accepted', async () => {
  const p = new Prober({
    probe: async (_f, _ip, port) => (port === 1 ? 'open' : port === 2 ? 'open' : 'timeout'),
    pairs: [{ from: 'default/a', fromNode: 'w1', to: 'default/b', toNode: 'w2', ip: '198.19.2.2' }],
    allowedPort: 1,
    deniedPort: 2,
  });
  await p.round();
  assert.deepEqual(p.summary(), { allowedOpen: 1, allowedDropped: 0, deniedClosed: 0, deniedAccepted: 1, errors: 0 });
});
