// Tier through validateResource / validateFragment / decodeResource.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeResource, validateFragment, validateResource } from '../validate-resource.js';

interface Want {
  readonly type: string;
  readonly path: string;
}
const e = (type: string, path: string): Want => ({ type, path });
const uniq = (ws: readonly Want[]): string[] => [...new Set(ws.map((w) => `${w.type} ${w.path}`))].sort();

const tier = (name: string, spec?: object): object => ({
  apiVersion: 'projectcalico.org/v3',
  kind: 'Tier',
  metadata: { name },
  ...(spec === undefined ? {} : { spec }),
});

const cases: readonly { name: string; input: unknown; want: readonly Want[] }[] = [
  { name: 'accepts a tier with an order', input: tier('security', { order: 100 }), want: [] },
  { name: 'accepts a tier without spec', input: tier('security'), want: [] },
  { name: 'accepts defaultAction Pass', input: tier('security', { order: 10.5, defaultAction: 'Pass' }), want: [] },
  { name: 'rejects defaultAction Allow', input: tier('security', { defaultAction: 'Allow' }), want: [e('NotSupported', 'spec.defaultAction')] },
  { name: 'rejects a dotted name', input: tier('my.tier'), want: [e('Invalid', 'metadata.name')] },
  { name: 'rejects an upper-case name', input: tier('Security'), want: [e('Invalid', 'metadata.name')] },
  { name: 'accepts a 63-character name', input: tier('t'.repeat(63)), want: [] },
  { name: 'rejects a 64-character name', input: tier('t'.repeat(64)), want: [e('Invalid', 'metadata.name')] },
  { name: 'accepts the default tier with its order', input: tier('default', { order: 1_000_000 }), want: [] },
  { name: 'rejects the default tier without an order', input: tier('default'), want: [e('Required', 'spec.order')] },
  { name: 'rejects the default tier with another order', input: tier('default', { order: 5 }), want: [e('Invalid', 'spec.order')] },
  {
    name: 'rejects the default tier with defaultAction Pass',
    input: tier('default', { order: 1_000_000, defaultAction: 'Pass' }),
    want: [e('Invalid', 'spec.defaultAction')],
  },
  { name: 'accepts the adminnetworkpolicy tier at 1000', input: tier('adminnetworkpolicy', { order: 1000 }), want: [] },
  { name: 'rejects the adminnetworkpolicy tier elsewhere', input: tier('adminnetworkpolicy', { order: 2000 }), want: [e('Invalid', 'spec.order')] },
  { name: 'accepts the baselineadminnetworkpolicy tier at 1e7', input: tier('baselineadminnetworkpolicy', { order: 10_000_000 }), want: [] },
  { name: 'rejects a string order', input: tier('security', { order: 'first' }), want: [e('TypeInvalid', 'spec.order')] },
  { name: 'rejects an unknown spec field', input: tier('security', { selector: 'all()' }), want: [e('Unknown', 'spec.selector')] },
  { name: 'rejects a namespace', input: { ...tier('security'), metadata: { name: 'security', namespace: 'x' } }, want: [e('Invalid', 'metadata.namespace')] },
];

for (const c of cases) {
  void test(c.name, () => {
    const got = validateResource(c.input);
    assert.deepEqual(uniq(got), uniq(c.want), got.map((x) => `${x.type} ${x.path}: ${x.message}`).join('\n'));
  });
}

void test('defaultAction defaults to Deny, input unchanged', () => {
  const input = tier('security', { order: 1 });
  const r = decodeResource(input);
  assert.ok(r.ok);
  assert.deepEqual((r.value.resource as { spec?: object }).spec, { order: 1, defaultAction: 'Deny' });
  assert.deepEqual(input, tier('security', { order: 1 }));
});

void test('TierSpec fragment', () => {
  assert.deepEqual(validateFragment('TierSpec', { order: 3 }), []);
  assert.deepEqual(
    validateFragment('TierSpec', { defaultAction: 'deny' }).map((x) => `${x.type} ${x.path}`),
    ['NotSupported defaultAction'],
  );
});
