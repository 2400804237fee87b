// GlobalNetworkSet and NetworkSet through validateResource and validateFragment. Cases marked
// [calico] are replayed from libcalico-go validator/v3 validator_test.go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeResource, validateFragment, validateResource } from '../validate-resource.js';
import { kindByAlias } from '../kinds.js';

interface Want {
  readonly type: string;
  readonly path: string;
}
interface Case {
  readonly name: string;
  readonly via: string;
  readonly value: unknown;
  readonly want: readonly Want[];
}

const e = (type: string, path: string): Want => ({ type, path });
const uniq = (ws: readonly Want[]): string[] => [...new Set(ws.map((w) => `${w.type} ${w.path}`))].sort();

const API = 'projectcalico.org/v3';
const gns = (spec: unknown, metadata: unknown = { name: 'testset' }): unknown => ({ apiVersion: API, kind: 'GlobalNetworkSet', metadata, spec });
const ns = (spec: unknown, metadata: unknown = { name: 'testset', namespace: 'default' }): unknown => ({
  apiVersion: API,
  kind: 'NetworkSet',
  metadata,
  spec,
});
const MIXED = ['10.0.0.1', '11.0.0.0/8', 'dead:beef::', 'dead:beef::/96'];

const cases: readonly Case[] = [
  // Specs [calico]
  { name: 'GlobalNetworkSetSpec accepts CIDRs and IPs [calico]', via: 'GlobalNetworkSetSpec', value: { nets: MIXED }, want: [] },
  { name: 'GlobalNetworkSetSpec rejects a bad CIDR [calico]', via: 'GlobalNetworkSetSpec', value: { nets: ['garbage'] }, want: [e('Invalid', 'nets[0]')] },
  { name: 'NetworkSetSpec accepts CIDRs and IPs [calico]', via: 'NetworkSetSpec', value: { nets: MIXED }, want: [] },
  { name: 'NetworkSetSpec rejects a bad CIDR [calico]', via: 'NetworkSetSpec', value: { nets: ['garbage'] }, want: [e('Invalid', 'nets[0]')] },
  { name: 'NetworkSetSpec accepts host bits (not strictly masked)', via: 'NetworkSetSpec', value: { nets: ['10.0.0.1/24', 'fd00::1/64'] }, want: [] },
  { name: 'NetworkSetSpec rejects /33', via: 'NetworkSetSpec', value: { nets: ['10.0.0.0/8', '1.2.3.4/33'] }, want: [e('Invalid', 'nets[1]')] },
  { name: 'NetworkSetSpec rejects /129', via: 'NetworkSetSpec', value: { nets: ['aa:bb::/129'] }, want: [e('Invalid', 'nets[0]')] },
  { name: 'NetworkSetSpec accepts no nets', via: 'NetworkSetSpec', value: {}, want: [] },
  { name: 'NetworkSetSpec rejects an unknown field', via: 'NetworkSetSpec', value: { nets: [], allowedEgressDomains: ['x.com'] }, want: [e('Unknown', 'allowedEgressDomains')] },

  // Resources [calico]
  { name: 'GlobalNetworkSet accepts labels [calico]', via: 'resource', value: gns({ nets: ['10.0.0.1'] }, { name: 'testset', labels: { a: 'b' } }), want: [] },
  {
    name: 'GlobalNetworkSet rejects the reserved namespace label [calico]',
    via: 'resource',
    value: gns({ nets: ['10.0.0.1'] }, { name: 'testset', labels: { 'projectcalico.org/namespace': 'foo' } }),
    want: [e('Invalid', 'metadata.labels')],
  },
  { name: 'GlobalNetworkSet rejects a bad name [calico]', via: 'resource', value: gns({ nets: ['10.0.0.1'] }, { name: 'test$set' }), want: [e('Invalid', 'metadata.name')] },
  { name: 'GlobalNetworkSet rejects a namespace', via: 'resource', value: gns({}, { name: 'x', namespace: 'default' }), want: [e('Invalid', 'metadata.namespace')] },
  { name: 'GlobalNetworkSet accepts no spec', via: 'resource', value: { apiVersion: API, kind: 'GlobalNetworkSet', metadata: { name: 'x' } }, want: [] },
  { name: 'GlobalNetworkSet reports bad nets with paths', via: 'resource', value: gns({ nets: ['1.2.3.4', 'nope', '::1/200'] }), want: [e('Invalid', 'spec.nets[1]'), e('Invalid', 'spec.nets[2]')] },
  { name: 'NetworkSet accepts labels [calico]', via: 'resource', value: ns({ nets: ['10.0.0.1'] }, { name: 'testset', namespace: 'default', labels: { a: 'b' } }), want: [] },
  { name: 'NetworkSet accepts no namespace (defaulted by the client)', via: 'resource', value: ns({ nets: ['10.0.0.1'] }, { name: 'testset' }), want: [] },
  {
    name: 'NetworkSet rejects the reserved namespace label [calico]',
    via: 'resource',
    value: ns({ nets: ['10.0.0.1'] }, { name: 'testset', namespace: 'default', labels: { 'projectcalico.org/namespace': 'foo' } }),
    want: [e('Invalid', 'metadata.labels')],
  },
  { name: 'NetworkSet rejects a bad name [calico]', via: 'resource', value: ns({ nets: ['10.0.0.1'] }, { name: 'test$set', namespace: 'default' }), want: [e('Invalid', 'metadata.name')] },
  { name: 'NetworkSet rejects a bad namespace', via: 'resource', value: ns({}, { name: 'x', namespace: 'Bad_NS' }), want: [e('Invalid', 'metadata.namespace')] },
  { name: 'NetworkSet rejects nets given as a string', via: 'resource', value: ns({ nets: '10.0.0.0/8' }), want: [e('TypeInvalid', 'spec.nets')] },
  { name: 'NetworkSet rejects a null net', via: 'resource', value: ns({ nets: ['10.0.0.0/8', null] }), want: [e('TypeInvalid', 'spec.nets[1]')] },
];

for (const c of cases) {
  void test(`NetworkSet: ${c.name}`, () => {
    const got = c.via === 'resource' ? validateResource(c.value) : validateFragment(c.via, c.value);
    assert.deepEqual(uniq(got), uniq(c.want), `errors were:\n${got.map((x) => `${x.type} ${x.path}: ${x.message}`).join('\n')}`);
  });
}

void test('NetworkSet: decoding keeps nets as written', () => {
  const r = decodeResource(ns({ nets: ['10.0.0.1/24'] }));
  assert.ok(r.ok);
  assert.deepEqual((r.value.resource as { spec?: unknown }).spec, { nets: ['10.0.0.1/24'] });
  assert.equal(r.value.info.namespaced, true);
});

void test('NetworkSet: calicoctl aliases resolve', () => {
  const want: readonly (readonly [string, string])[] = [
    ['globalnetworkset', 'GlobalNetworkSet'],
    ['globalnetworksets', 'GlobalNetworkSet'],
    ['gnetsets', 'GlobalNetworkSet'],
    ['networkset', 'NetworkSet'],
    ['networksets', 'NetworkSet'],
    ['netsets', 'NetworkSet'],
  ];
  for (const [alias, kind] of want) assert.equal(kindByAlias(alias, 'projectcalico.org')?.kind, kind, alias);
});
