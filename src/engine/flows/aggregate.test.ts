import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FlowAggregator, recordMatches } from './index.js';
import type { FlowEndpoint, FlowEvent, FlowPolicyHit } from '../../model/flows.js';

const W = 15_000;

const pod = (namespace: string, name: string, ip: string, labels: Record<string, string> = { app: name }): FlowEndpoint => ({ kind: 'wep', namespace, name, ip, labels });
const allowHit = (ns: string, name: string, dir: 'ingress' | 'egress'): FlowPolicyHit => ({ tier: 'default', kind: 'KubernetesNetworkPolicy', namespace: ns, name, ruleIndex: 0, direction: dir, action: 'allow' });

function ev(o: Partial<FlowEvent> & { time: number }): FlowEvent {
  return {
    node: 'n1',
    reporter: 'dst',
    source: pod('a', 'client', '198.18.0.2'),
    dest: pod('b', 'server', '198.18.0.3'),
    protocol: 'tcp',
    sourcePort: 40000,
    destPort: 80,
    action: 'allow',
    enforced: [allowHit('b', 'allow-client', 'ingress')],
    pending: [],
    packetsOut: 3,
    bytesOut: 180,
    packetsIn: 2,
    bytesIn: 120,
    ...o,
  };
}

test('events of one window and key fold into one record; counts add; source ports fold', () => {
  const a = new FlowAggregator();
  a.add(ev({ time: 1000, sourcePort: 40001 }));
  a.add(ev({ time: 2000, sourcePort: 40002, node: 'n0', packetsOut: 1, bytesOut: 60 }));
  a.add(ev({ time: 3000, destPort: 443 }));
  assert.deepEqual(a.query(), [], 'nothing before the window closes');
  a.advance(W + 5000);
  const rs = a.query();
  assert.equal(rs.length, 2);
  const r80 = rs.find((r) => r.destPort === 80)!;
  assert.equal(r80.connections, 2);
  assert.equal(r80.packetsOut, 4);
  assert.equal(r80.bytesOut, 240);
  assert.equal(r80.packetsIn, 4);
  assert.deepEqual(r80.nodes, ['n0', 'n1']);
  assert.equal(r80.startTime, 0);
  assert.equal(r80.endTime, W);
});

test('windows are fixed by event time; a different trace or action is a different record', () => {
  const a = new FlowAggregator({ graceMs: 0 });
  a.add(ev({ time: 100 }));
  a.add(ev({ time: W + 100 }));
  a.add(ev({ time: 200, action: 'deny', enforced: [{ ...allowHit('b', 'deny-all', 'ingress'), action: 'deny' }] }));
  a.add(ev({ time: 300, pending: [{ ...allowHit('b', 'staged-deny', 'ingress'), kind: 'StagedKubernetesNetworkPolicy', action: 'deny' }] }));
  a.advance(2 * W);
  const rs = a.query();
  assert.equal(rs.length, 4);
  assert.equal(rs[0]!.startTime, W, 'newest window first');
  assert.deepEqual(a.query({ action: 'deny' }).map((r) => r.action), ['deny']);
  assert.equal(a.query({ policy: 'staged-deny' }).length, 1, 'policy filter looks at the pending trace');
  assert.equal(a.query({ policy: 'b/deny-all' }).length, 1);
  assert.equal(a.query({ policy: 'default.allow-client' }).length, 3, 'tier.name');
  assert.equal(a.query({ since: W + 1 }).length, 1);
  assert.equal(a.query({ limit: 2 }).length, 2);
  assert.equal(a.query({ namespace: 'a' }).length, 4);
  assert.equal(a.query({ namespace: 'c' }).length, 0);
});

test('labels are intersected across folded events', () => {
  const a = new FlowAggregator({ graceMs: 0 });
  a.add(ev({ time: 1, source: pod('a', 'client', '198.18.0.2', { app: 'client', v: '1' }) }));
  a.add(ev({ time: 2, source: pod('a', 'client', '198.18.0.2', { app: 'client', v: '2' }) }));
  a.advance(W);
  assert.deepEqual(a.query()[0]!.source.labels, { app: 'client' });
});

test('level name folds pod addresses but keeps an outside address', () => {
  const a = new FlowAggregator({ graceMs: 0, level: 'name' });
  a.add(ev({ time: 1, source: pod('a', 'client', '198.18.0.2') }));
  a.add(ev({ time: 2, source: pod('a', 'client', '198.18.0.9') }));
  a.add(ev({ time: 3, reporter: 'src', dest: { kind: 'net', namespace: '', name: '', ip: '198.19.0.1', labels: {} } }));
  a.add(ev({ time: 4, reporter: 'src', dest: { kind: 'net', namespace: '', name: '', ip: '198.19.0.2', labels: {} } }));
  a.advance(W);
  const rs = a.query();
  assert.equal(rs.length, 3);
  assert.equal(rs.find((r) => r.reporter === 'dst')!.connections, 2);
  assert.equal(rs.find((r) => r.reporter === 'dst')!.source.ip, '');
  assert.deepEqual(rs.filter((r) => r.reporter === 'src').map((r) => r.dest.ip).sort(), ['198.19.0.1', '198.19.0.2']);
});

test('late events are counted, never folded into a closed window', () => {
  const a = new FlowAggregator({ graceMs: 1000 });
  a.add(ev({ time: 10 }));
  a.advance(W + 999);
  assert.equal(a.query().length, 0, 'still in grace');
  a.advance(W + 1000);
  assert.equal(a.query()[0]!.connections, 1);
  assert.equal(a.add(ev({ time: 20 })), false);
  assert.equal(a.drops().eventsLate, 1);
  assert.equal(a.query()[0]!.connections, 1);
});

test('retention in time drops old windows; watch resumes by sequence number', () => {
  const a = new FlowAggregator({ graceMs: 0, retentionMs: 2 * W });
  a.add(ev({ time: 10 }));
  a.add(ev({ time: W + 10 }));
  const first = a.advance(2 * W);
  assert.deepEqual(first.map((c) => c.seq), [1, 2]);
  assert.deepEqual(a.since(1).map((c) => c.seq), [2]);
  a.advance(3 * W + 1);
  assert.equal(a.query().length, 1, 'the first window (ended at W) is past 2W of retention');
  assert.equal(a.oldestSeq(), 2);
  assert.equal(a.drops().recordsEvicted, 0, 'expiry is not eviction');
});

test('the byte bound evicts the oldest closed records first, then refuses and counts', () => {
  const probe = new FlowAggregator();
  probe.add(ev({ time: 1 }));
  const one = probe.bytes;
  const a = new FlowAggregator({ graceMs: 0, maxBytes: one * 10 + one / 2 });
  for (let i = 0; i < 10; i++) a.add(ev({ time: 1, destPort: 1000 + i }));
  a.advance(W);
  for (let i = 0; i < 4; i++) assert.equal(a.add(ev({ time: W + 1, destPort: 2000 + i })), true);
  assert.equal(a.drops().recordsEvicted, 4);
  assert.equal(a.query().filter((r) => r.startTime === 0).length, 6);
  for (let i = 0; i < 6; i++) a.add(ev({ time: W + 1, destPort: 3000 + i }));
  assert.equal(a.drops().recordsEvicted, 10);
  assert.equal(a.add(ev({ time: W + 1, destPort: 4000 })), false, 'only the open window is left');
  assert.equal(a.drops().eventsDropped, 1);
  assert.equal(a.add(ev({ time: W + 2, destPort: 2000 })), true, 'folding into an existing record never needs room');
  assert.ok(a.bytes <= a.maxBytes);
});

// ------------------------------------------------------------------ properties

const arbEvent = (windows: number): fc.Arbitrary<FlowEvent> =>
  fc
    .record({
      t: fc.integer({ min: 0, max: windows * W - 1 }),
      s: fc.integer({ min: 0, max: 5 }),
      d: fc.integer({ min: 0, max: 5 }),
      port: fc.constantFrom(53, 80, 443),
      deny: fc.boolean(),
      node: fc.constantFrom('n1', 'n2'),
      reporter: fc.constantFrom('src' as const, 'dst' as const),
      extra: fc.boolean(),
      pkts: fc.integer({ min: 0, max: 100 }),
      bytes: fc.integer({ min: 0, max: 100_000 }),
    })
    .map((o) =>
      ev({
        time: o.t,
        node: o.node,
        reporter: o.reporter,
        source: pod(`ns${o.s % 2}`, `p${o.s}`, `198.18.0.${o.s + 1}`, o.extra ? { app: `p${o.s}`, extra: 'x' } : { app: `p${o.s}` }),
        dest: pod(`ns${o.d % 2}`, `p${o.d}`, `198.18.0.${o.d + 1}`),
        destPort: o.port,
        action: o.deny ? 'deny' : 'allow',
        enforced: [{ ...allowHit(`ns${o.d % 2}`, o.deny ? 'deny' : 'allow', o.reporter === 'src' ? 'egress' : 'ingress'), action: o.deny ? 'deny' : 'allow' }],
        packetsOut: o.pkts,
        bytesOut: o.bytes,
        packetsIn: o.pkts >> 1,
        bytesIn: o.bytes >> 1,
      }),
    );

test('property: counts are conserved (folded + dropped + late = fed; packets and bytes add up)', () => {
  fc.assert(
    fc.property(fc.array(arbEvent(4), { maxLength: 300 }), fc.integer({ min: 2_000, max: 200_000 }), (events, maxBytes) => {
      const a = new FlowAggregator({ graceMs: 0, maxBytes });
      let accepted = 0;
      let pkts = 0;
      let bytes = 0;
      for (const e of events)
        if (a.add(e)) {
          accepted++;
          pkts += e.packetsOut + e.packetsIn;
          bytes += e.bytesOut + e.bytesIn;
        }
      const d = a.drops();
      assert.equal(accepted + d.eventsDropped + (d.eventsLate ?? 0), events.length);
      assert.ok(a.bytes <= maxBytes);
      if (d.recordsEvicted === 0) {
        a.advance(4 * W);
        const rs = a.query();
        assert.equal(rs.reduce((n, r) => n + r.connections, 0), accepted);
        assert.equal(rs.reduce((n, r) => n + r.packetsOut + r.packetsIn, 0), pkts);
        assert.equal(rs.reduce((n, r) => n + r.bytesOut + r.bytesIn, 0), bytes);
      }
    }),
    { numRuns: 200 },
  );
});

test('property: the order of arrival within a window does not change the result', () => {
  fc.assert(
    fc.property(
      fc.array(arbEvent(3), { maxLength: 200 }).chain((events) => fc.tuple(fc.constant(events), fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }))),
      ([events, shuffled]) => {
        const a = new FlowAggregator({ graceMs: 0 });
        const b = new FlowAggregator({ graceMs: 0 });
        for (const e of events) a.add(e);
        for (const e of shuffled) b.add(e);
        a.advance(3 * W);
        b.advance(3 * W);
        assert.deepEqual(b.query(), a.query());
      },
    ),
    { numRuns: 200 },
  );
});

test('property: every query result passes its filters, newest window first', () => {
  fc.assert(
    fc.property(
      fc.array(arbEvent(3), { maxLength: 100 }),
      fc.record({ namespace: fc.option(fc.constantFrom('ns0', 'ns1'), { nil: undefined }), action: fc.option(fc.constantFrom('allow' as const, 'deny' as const), { nil: undefined }), limit: fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }) }),
      (events, q0) => {
        const q = Object.fromEntries(Object.entries(q0).filter(([, v]) => v !== undefined));
        const a = new FlowAggregator({ graceMs: 0 });
        for (const e of events) a.add(e);
        a.advance(3 * W);
        const rs = a.query(q);
        for (const r of rs) assert.ok(recordMatches(r, q));
        for (let i = 1; i < rs.length; i++) assert.ok(rs[i - 1]!.startTime >= rs[i]!.startTime);
        if (q0.limit !== undefined) assert.ok(rs.length <= q0.limit);
        else assert.equal(rs.length, a.query().filter((r) => recordMatches(r, q)).length);
      },
    ),
    { numRuns: 100 },
  );
});

test('memory bound holds for 100k active flows (estimated bytes never pass maxBytes; the excess is counted)', () => {
  const maxBytes = 32 * 1024 * 1024;
  const a = new FlowAggregator({ maxBytes });
  let refused = 0;
  for (let i = 0; i < 100_000; i++) {
    const s = pod('load', `client-${i}`, `198.18.${(i >> 8) & 255}.${i & 255}`);
    if (!a.add(ev({ time: 1000, source: s, sourcePort: 1024 + (i % 60000) }))) refused++;
    if ((i & 4095) === 0) assert.ok(a.bytes <= maxBytes);
  }
  assert.ok(a.bytes <= maxBytes);
  assert.ok(refused > 0, 'the bound was reached');
  assert.equal(a.drops().eventsDropped, refused);
  assert.equal(a.records + refused, 100_000);
  const big = new FlowAggregator({ maxBytes: 1024 * 1024 * 1024 });
  for (let i = 0; i < 100_000; i++) big.add(ev({ time: 1000, source: pod('load', `client-${i}`, `198.18.${(i >> 8) & 255}.${i & 255}`) }));
  assert.equal(big.records, 100_000);
  assert.equal(big.drops().eventsDropped, 0);
});
