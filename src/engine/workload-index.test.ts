import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IpIndex, SortedKeyMap } from './workload-index.js';
import { ipFromText } from './ip.js';

interface Item {
  readonly key: string;
  readonly index: number;
  readonly ips: readonly string[];
}

const arbIp = fc.oneof(
  fc.tuple(fc.constantFrom(0, 10, 192, 255), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 255 })).map(([a, b, c]) => `${a}.0.${b}.${c}`),
  fc.constantFrom('fd00::1', 'fd00::2', '2001:db8::a'),
);

test('IpIndex answers like a Map filled in workload order, and reports the same conflicts', () => {
  fc.assert(
    fc.property(fc.array(fc.uniqueArray(arbIp, { minLength: 1, maxLength: 3 }), { maxLength: 40 }), fc.array(arbIp, { maxLength: 10 }), (lists, probes) => {
      const items: Item[] = lists.map((ips, index) => ({ key: `k${String(index).padStart(3, '0')}`, index, ips: ips.map((t) => ipFromText(t)!.text) }));
      const want = new Map<string, Item>();
      const wantConflicts: string[] = [];
      for (const it of items)
        for (const t of it.ips) {
          const o = want.get(t);
          if (o === undefined) want.set(t, it);
          else wantConflicts.push(`${it.key} ${t} ${o.key}`);
        }
      const idx = new IpIndex(items, (it) => it.ips);
      assert.deepEqual(idx.conflicts.map((c) => `${c.loser.key} ${c.ip} ${c.owner.key}`), wantConflicts);
      assert.equal(idx.size, want.size);
      for (const t of [...want.keys(), ...probes, '010.0.0.1', '10.0.0.01', 'x']) assert.equal(idx.get(t), want.get(t), t);
      assert.deepEqual(new Map(idx), new Map([...want].sort((a, b) => (a[0] < b[0] ? -1 : 1))));
    }),
  );
});

test('SortedKeyMap finds every key of a sorted array, and nothing else', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.string({ maxLength: 5 }), { maxLength: 50 }), fc.array(fc.string({ maxLength: 5 })), (keys, probes) => {
      const items = [...keys].sort().map((key) => ({ key }));
      const m = new SortedKeyMap(items);
      const ref = new Map(items.map((i) => [i.key, i]));
      for (const k of [...keys, ...probes]) assert.equal(m.get(k), ref.get(k));
      assert.deepEqual([...m.keys()], [...ref.keys()]);
    }),
  );
});
