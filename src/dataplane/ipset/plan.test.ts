import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIpsetSave, planIpsetAdds, planIpsetRemovals, type CanonicalIpSet, type IpSetState } from './plan.js';

const SAVE = `create cali40a hash:net family inet hashsize 1024 maxelem 1048576 bucketsize 12 initval 0xaf3c0576
add cali40a 10.1.0.0/16
add cali40a 10.0.0.1
create cali60b hash:net family inet6 hashsize 1024 maxelem 65536 bucketsize 12 initval 0xa522482a
add cali60b 2001:db8::1
create KUBE-foo hash:ip family inet hashsize 1024 maxelem 65536
add KUBE-foo 1.2.3.4
create cali4t0 hash:ip family inet hashsize 1024 maxelem 65536
`;

const set = (name: string, members: string[], type: CanonicalIpSet['type'] = 'hash:net', family: 4 | 6 = 4): CanonicalIpSet => ({
  name,
  type,
  family,
  members: new Set(members),
});

test('parseIpsetSave keeps only owned sets', () => {
  const s = parseIpsetSave(SAVE);
  assert.deepEqual([...s.keys()], ['cali40a', 'cali60b', 'cali4t0']);
  assert.deepEqual(s.get('cali40a'), { type: 'hash:net', family: 4, members: new Set(['10.1.0.0/16', '10.0.0.1']) });
  assert.equal(s.get('cali60b')?.family, 6);
});

const actual = parseIpsetSave(SAVE);

const cases: { name: string; desired: CanonicalIpSet[]; lines: string[]; created?: string[]; updated?: string[]; rewritten?: string[] }[] = [
  { name: 'in sync', desired: [set('cali40a', ['10.0.0.1', '10.1.0.0/16'])], lines: [] },
  {
    name: 'new set',
    desired: [set('cali40new', ['10.0.0.2', '10.0.0.1'])],
    created: ['cali40new'],
    lines: ['create cali40new hash:net family inet maxelem 1048576', 'add cali40new 10.0.0.1', 'add cali40new 10.0.0.2'],
  },
  {
    name: 'member delta: deletions first',
    desired: [set('cali40a', ['10.0.0.1', '10.9.0.0/16'])],
    updated: ['cali40a'],
    lines: ['del cali40a 10.1.0.0/16', 'add cali40a 10.9.0.0/16'],
  },
  {
    name: 'a large delta rewrites through a temp set (skipping the stale cali4t0)',
    desired: [set('cali40a', Array.from({ length: 20 }, (_, i) => `10.2.${i}.0/24`))],
    rewritten: ['cali40a'],
    lines: [
      'create cali4t1 hash:net family inet maxelem 1048576',
      ...Array.from({ length: 20 }, (_, i) => `add cali4t1 10.2.${i}.0/24`).sort(),
      'swap cali4t1 cali40a',
      'destroy cali4t1',
    ],
  },
  {
    name: 'a type change destroys and re-creates',
    desired: [set('cali40a', ['10.0.0.1'], 'hash:ip')],
    rewritten: ['cali40a'],
    lines: ['destroy cali40a', 'create cali40a hash:ip family inet maxelem 1048576', 'add cali40a 10.0.0.1'],
  },
];
for (const c of cases) {
  test(`planIpsetAdds: ${c.name}`, () => {
    const p = planIpsetAdds(c.desired, actual);
    assert.deepEqual(p.script === '' ? [] : p.script.trimEnd().split('\n'), c.lines);
    assert.deepEqual(p.created, c.created ?? []);
    assert.deepEqual(p.updated, c.updated ?? []);
    assert.deepEqual(p.rewritten, c.rewritten ?? []);
    assert.deepEqual(p.destroyed, []);
    assert.equal(planIpsetAdds(c.desired, p.after).script, '', 'idempotent against the predicted state');
  });
}

test('planIpsetRemovals destroys unwanted owned sets (temp leftovers too), never foreign ones', () => {
  const withForeign = new Map<string, IpSetState>([...actual, ['KUBE-foo', { type: 'hash:ip', family: 4, members: new Set() }]]);
  const p = planIpsetRemovals(new Set(['cali40a']), withForeign);
  assert.deepEqual(p.destroyed, ['cali4t0', 'cali60b']);
  assert.equal(p.script, 'destroy cali4t0\ndestroy cali60b\n');
  assert.deepEqual([...p.after.keys()].sort(), ['KUBE-foo', 'cali40a']);
});
