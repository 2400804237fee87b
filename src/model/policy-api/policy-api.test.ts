/**
 * Decode + validation tables for policy.networking.k8s.io/v1alpha1 AdminNetworkPolicy and
 * BaselineAdminNetworkPolicy against the CRD schema + CEL rules Calico v3.31 installs
 * (network-policy-api v0.1.5, experimental channel). Valid cases: the upstream documentation's
 * examples as the v1alpha1 schema spells them, and the API's features one by one. Invalid cases:
 * one per schema / CEL rule, each rejected at its field path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { decodeResource, validateFragment, validateResource } from '../validate-resource.js';
import { kindByAlias } from '../kinds.js';
import type { FieldErrorType } from '../field/errors.js';

type Want = readonly (readonly [FieldErrorType, string])[];
const got = (raw: unknown): Want => validateResource(raw).map((e) => [e.type, e.path] as const);

const V = 'policy.networking.k8s.io/v1alpha1';
const anp = (spec: Record<string, unknown>, name = 'p') => ({ apiVersion: V, kind: 'AdminNetworkPolicy', metadata: { name }, spec });
const banp = (spec: Record<string, unknown>, name = 'default') => ({ apiVersion: V, kind: 'BaselineAdminNetworkPolicy', metadata: { name }, spec });
const allNs = { namespaces: {} };
const rule = (extra: Record<string, unknown>) => ({ action: 'Allow', from: [allNs], ...extra });
const egressRule = (extra: Record<string, unknown>) => ({ action: 'Allow', to: [allNs], ...extra });

test('registry: kinds by short name, cluster-scoped, group policy.networking.k8s.io', () => {
  const a = kindByAlias('anp', 'policy.networking.k8s.io');
  const b = kindByAlias('banp', 'policy.networking.k8s.io');
  assert.equal(a?.kind, 'AdminNetworkPolicy');
  assert.equal(a?.plural, 'adminnetworkpolicies');
  assert.equal(a?.namespaced, false);
  assert.equal(b?.kind, 'BaselineAdminNetworkPolicy');
  assert.equal(b?.plural, 'baselineadminnetworkpolicies');
});

/**
 * The documentation's examples (user stories 1, 2, 3, 5 and the "Getting started" blog post at
 * v0.1.5) are written in an older shape of the API: `namespaces: {namespaceSelector: …}`,
 * `sameLabels`, lower-case `matchlabels`, `pods: {namespaces: …}`. Against the CRD, the API
 * server with kubectl's default strict field validation rejects them at exactly these fields,
 * and so does Tabby.
 */
test('upstream documentation examples: rejected where the v1alpha1 CRD rejects them, and nowhere else', () => {
  const text = readFileSync(join(import.meta.dirname, 'testdata', 'upstream-docs.yaml'), 'utf8');
  const docs = parseAllDocuments(text).map((d) => d.toJS() as { kind: string; metadata: { name: string } });
  const byName = Object.fromEntries(docs.map((d) => [`${d.kind}/${d.metadata.name}`, got(d)]));
  assert.deepEqual(byName, {
    'AdminNetworkPolicy/cluster-wide-deny-example': [['Unknown', 'spec.ingress[0].from[0].namespaces.namespaceSelector']],
    'AdminNetworkPolicy/cluster-wide-allow-example': [
      ['Unknown', 'spec.ingress[0].from[0].namespaces.namespaceSelector'],
      ['Unknown', 'spec.egress[0].to[0].pods.namespaces'],
      ['Unknown', 'spec.egress[0].to[0].pods.podSelector.matchlabels'],
    ],
    'AdminNetworkPolicy/pub-svc-delegate-example': [],
    'BaselineAdminNetworkPolicy/default': [
      // user-story-5 and the blog's BANP share the name; the later document (the blog's) wins here
      ['Unknown', 'spec.subject.namespaces.namespaceSelector'],
      ['Unknown', 'spec.egress[0].to[0].namespaces.sameLabels'],
      ['Unknown', 'spec.egress[1].to[0].namespaces.namespaceSelector'],
    ],
    'AdminNetworkPolicy/cluster-basic-allow': [
      ['Unknown', 'spec.ingress[0].from[0].namespaces.namespaceSelector'],
      ['Unknown', 'spec.egress[0].to[0].namespaces.namespaceSelector'],
      ['Unknown', 'spec.egress[0].to[0].pods.podSelector.matchlabels'],
    ],
    'NetworkPolicy/allow-access-to-web': [],
  });
  const story5 = docs.filter((d) => d.kind === 'BaselineAdminNetworkPolicy')[0];
  assert.deepEqual(got(story5), [['Unknown', 'spec.ingress[0].from[0].namespaces.namespaceSelector']]);
});

test('upstream documentation examples, in the v1alpha1 shape: all valid', () => {
  const text = readFileSync(join(import.meta.dirname, 'testdata', 'upstream-docs-v1alpha1.yaml'), 'utf8');
  const docs = parseAllDocuments(text).map((d) => d.toJS() as unknown);
  assert.ok(docs.length >= 6);
  for (const d of docs) assert.deepEqual(got(d), [], JSON.stringify(d));
});

const valid: { name: string; obj: unknown }[] = [
  { name: 'minimal ANP (no rules)', obj: anp({ priority: 0, subject: allNs }) },
  { name: 'priority 1000', obj: anp({ priority: 1000, subject: allNs }) },
  {
    name: 'pods subject, every peer kind, every port kind',
    obj: anp({
      priority: 50,
      subject: { pods: { namespaceSelector: { matchLabels: { env: 'prod' } }, podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['a', 'b'] }] } } },
      ingress: [
        rule({ name: 'r1', action: 'Pass', from: [allNs, { pods: { namespaceSelector: {}, podSelector: {} } }], ports: [{ portNumber: { protocol: 'UDP', port: 53 } }, { namedPort: 'web' }, { portRange: { protocol: 'SCTP', start: 1, end: 65535 } }] }),
      ],
      egress: [
        egressRule({ action: 'Deny', to: [{ networks: ['10.0.0.0/8', 'fd00::/8', '0.0.0.0/0'] }, { nodes: { matchLabels: { 'node-role.kubernetes.io/control-plane': '' } } }], ports: [{ portNumber: { port: 443 } }] }),
        egressRule({ to: [allNs], ports: [{ namedPort: 'dns' }] }),
      ],
    }),
  },
  { name: 'rule name of 100 characters', obj: anp({ priority: 1, subject: allNs, ingress: [rule({ name: 'x'.repeat(100) })] }) },
  { name: '100 ingress rules', obj: anp({ priority: 1, subject: allNs, ingress: Array.from({ length: 100 }, () => rule({})) }) },
  { name: '25 networks', obj: anp({ priority: 1, subject: allNs, egress: [egressRule({ to: [{ networks: Array.from({ length: 25 }, (_, i) => `10.${i}.0.0/16`) }] })] }) },
  { name: 'port range start > end (no schema rule in v0.1.5; conversion fails closed)', obj: anp({ priority: 1, subject: allNs, ingress: [rule({ ports: [{ portRange: { start: 40, end: 20 } }] })] }) },
  { name: 'BANP named default', obj: banp({ subject: allNs, ingress: [rule({ action: 'Deny' })], egress: [egressRule({ to: [{ networks: ['192.0.2.0/24'] }] })] }) },
  {
    name: 'status with a condition',
    obj: { ...anp({ priority: 1, subject: allNs }), status: { conditions: [{ type: 'Ready', status: 'True', reason: 'Setup', message: 'ok', lastTransitionTime: '2026-01-01T00:00:00Z' }] } },
  },
];

for (const c of valid) test(`valid: ${c.name}`, () => assert.deepEqual(got(c.obj), []));

test('defaults: a port without protocol gets TCP (CRD default)', () => {
  const r = decodeResource(anp({ priority: 1, subject: allNs, ingress: [rule({ ports: [{ portNumber: { port: 80 } }, { portRange: { start: 1, end: 2 } }] })] }));
  assert.ok(r.ok);
  const spec = (r.value.resource as unknown as { spec: { ingress: { ports: unknown[] }[] } }).spec;
  assert.deepEqual(spec.ingress[0]!.ports, [{ portNumber: { port: 80, protocol: 'TCP' } }, { portRange: { start: 1, end: 2, protocol: 'TCP' } }]);
});

const invalid: { name: string; obj: unknown; want: Want }[] = [
  { name: 'spec missing', obj: { apiVersion: V, kind: 'AdminNetworkPolicy', metadata: { name: 'p' } }, want: [['Required', 'spec']] },
  { name: 'priority missing', obj: anp({ subject: allNs }), want: [['Required', 'spec.priority']] },
  { name: 'priority 1001', obj: anp({ priority: 1001, subject: allNs }), want: [['Invalid', 'spec.priority']] },
  { name: 'priority -1', obj: anp({ priority: -1, subject: allNs }), want: [['Invalid', 'spec.priority']] },
  { name: 'priority not an integer', obj: anp({ priority: 1.5, subject: allNs }), want: [['TypeInvalid', 'spec.priority']] },
  { name: 'subject missing', obj: anp({ priority: 1 }), want: [['Required', 'spec.subject']] },
  { name: 'subject empty', obj: anp({ priority: 1, subject: {} }), want: [['Invalid', 'spec.subject']] },
  { name: 'subject with both', obj: anp({ priority: 1, subject: { namespaces: {}, pods: { namespaceSelector: {}, podSelector: {} } } }), want: [['Invalid', 'spec.subject']] },
  {
    name: 'subject pods without selectors',
    obj: anp({ priority: 1, subject: { pods: {} } }),
    want: [
      ['Required', 'spec.subject.pods.namespaceSelector'],
      ['Required', 'spec.subject.pods.podSelector'],
    ],
  },
  { name: 'bad selector operator', obj: anp({ priority: 1, subject: { namespaces: { matchExpressions: [{ key: 'a', operator: 'Equals', values: ['b'] }] } } }), want: [['Invalid', 'spec.subject.namespaces.matchExpressions[0].operator']] },
  { name: '101 ingress rules', obj: anp({ priority: 1, subject: allNs, ingress: Array.from({ length: 101 }, () => rule({})) }), want: [['TooMany', 'spec.ingress']] },
  { name: '101 egress rules', obj: anp({ priority: 1, subject: allNs, egress: Array.from({ length: 101 }, () => egressRule({})) }), want: [['TooMany', 'spec.egress']] },
  { name: 'rule name of 101 characters', obj: anp({ priority: 1, subject: allNs, ingress: [rule({ name: 'x'.repeat(101) })] }), want: [['TooLong', 'spec.ingress[0].name']] },
  { name: 'action missing', obj: anp({ priority: 1, subject: allNs, ingress: [{ from: [allNs] }] }), want: [['Required', 'spec.ingress[0].action']] },
  { name: 'action not in enum', obj: anp({ priority: 1, subject: allNs, egress: [egressRule({ action: 'Log' })] }), want: [['NotSupported', 'spec.egress[0].action']] },
  { name: 'BANP action Pass', obj: banp({ subject: allNs, ingress: [rule({ action: 'Pass' })] }), want: [['NotSupported', 'spec.ingress[0].action']] },
  { name: 'from missing', obj: anp({ priority: 1, subject: allNs, ingress: [{ action: 'Deny' }] }), want: [['Required', 'spec.ingress[0].from']] },
  { name: 'from empty', obj: anp({ priority: 1, subject: allNs, ingress: [rule({ from: [] })] }), want: [['Invalid', 'spec.ingress[0].from']] },
  { name: 'to empty', obj: anp({ priority: 1, subject: allNs, egress: [egressRule({ to: [] })] }), want: [['Invalid', 'spec.egress[0].to']] },
  { name: '101 peers', obj: anp({ priority: 1, subject: allNs, ingress: [rule({ from: Array.from({ length: 101 }, () => allNs) })] }), want: [['TooMany', 'spec.ingress[0].from']] },
  { name: 'peer empty', obj: anp({ priority: 1, subject: allNs, ingress: [rule({ from: [{}] })] }), want: [['Invalid', 'spec.ingress[0].from[0]']] },
  { name: 'peer with two fields', obj: anp({ priority: 1, subject: allNs, egress: [egressRule({ to: [{ namespaces: {}, networks: ['10.0.0.0/8'] }] })] }), want: [['Invalid', 'spec.egress[0].to[0]']] },
  { name: 'ingress peer networks (egress only)', obj: anp({ priority: 1, subject: allNs, ingress: [rule({ from: [{ networks: ['10.0.0.0/8'] }] })] }), want: [['Unknown', 'spec.ingress[0].from[0].networks']] },
  { name: 'ingress peer nodes (egress only)', obj: anp({ priority: 1, subject: allNs, ingress: [rule({ from: [{ nodes: {} }] })] }), want: [['Unknown', 'spec.ingress[0].from[0].nodes']] },
  { name: 'networks empty', obj: anp({ priority: 1, subject: allNs, egress: [egressRule({ to: [{ networks: [] }] })] }), want: [['Invalid', 'spec.egress[0].to[0].networks']] },
  { name: '26 networks', obj: anp({ priority: 1, subject: allNs, egress: [egressRule({ to: [{ networks: Array.from({ length: 26 }, (_, i) => `10.${i}.0.0/16`) }] })] }), want: [['TooMany', 'spec.egress[0].to[0].networks']] },
  { name: 'networks duplicate (listType set)', obj: anp({ priority: 1, subject: allNs, egress: [egressRule({ to: [{ networks: ['10.0.0.0/8', '10.0.0.0/8'] }] })] }), want: [['Duplicate', 'spec.egress[0].to[0].networks[1]']] },
  { name: 'network IPv4 in IPv6 (CEL)', obj: anp({ priority: 1, subject: allNs, egress: [egressRule({ to: [{ networks: ['::ffff:10.0.0.0/104'] }] })] }), want: [['Invalid', 'spec.egress[0].to[0].networks[0]']] },
  { name: 'network not a CIDR', obj: anp({ priority: 1, subject: allNs, egress: [egressRule({ to: [{ networks: ['10.0.0.300/8'] }] })] }), want: [['Invalid', 'spec.egress[0].to[0].networks[0]']] },
  { name: 'network longer than 43', obj: anp({ priority: 1, subject: allNs, egress: [egressRule({ to: [{ networks: [`${'1'.repeat(40)}.0.0.0/8`] }] })] }), want: [['TooLong', 'spec.egress[0].to[0].networks[0]']] },
  {
    name: 'namedPort with a networks peer (CEL)',
    obj: anp({ priority: 1, subject: allNs, egress: [egressRule({ to: [{ networks: ['10.0.0.0/8'] }], ports: [{ namedPort: 'web' }] })] }),
    want: [['Invalid', 'spec.egress[0]']],
  },
  {
    name: 'namedPort with a nodes peer (CEL, BANP too)',
    obj: banp({ subject: allNs, egress: [egressRule({ to: [allNs, { nodes: {} }], ports: [{ portNumber: { port: 1 } }, { namedPort: 'web' }] })] }),
    want: [['Invalid', 'spec.egress[0]']],
  },
  { name: 'port empty', obj: anp({ priority: 1, subject: allNs, ingress: [rule({ ports: [{}] })] }), want: [['Invalid', 'spec.ingress[0].ports[0]']] },
  { name: 'port with two fields', obj: anp({ priority: 1, subject: allNs, ingress: [rule({ ports: [{ namedPort: 'a', portNumber: { port: 1 } }] })] }), want: [['Invalid', 'spec.ingress[0].ports[0]']] },
  { name: 'port 0', obj: anp({ priority: 1, subject: allNs, ingress: [rule({ ports: [{ portNumber: { port: 0 } }] })] }), want: [['Invalid', 'spec.ingress[0].ports[0].portNumber.port']] },
  { name: 'port 65536', obj: anp({ priority: 1, subject: allNs, ingress: [rule({ ports: [{ portNumber: { port: 65536 } }] })] }), want: [['Invalid', 'spec.ingress[0].ports[0].portNumber.port']] },
  { name: 'portNumber without port', obj: anp({ priority: 1, subject: allNs, ingress: [rule({ ports: [{ portNumber: { protocol: 'TCP' } }] })] }), want: [['Required', 'spec.ingress[0].ports[0].portNumber.port']] },
  {
    name: 'portRange out of range and incomplete',
    obj: anp({ priority: 1, subject: allNs, ingress: [rule({ ports: [{ portRange: { start: 0 } }] })] }),
    want: [
      ['Invalid', 'spec.ingress[0].ports[0].portRange.start'],
      ['Required', 'spec.ingress[0].ports[0].portRange.end'],
    ],
  },
  { name: 'protocol ICMP', obj: anp({ priority: 1, subject: allNs, ingress: [rule({ ports: [{ portNumber: { protocol: 'ICMP', port: 1 } }] })] }), want: [['NotSupported', 'spec.ingress[0].ports[0].portNumber.protocol']] },
  { name: '101 ports', obj: anp({ priority: 1, subject: allNs, ingress: [rule({ ports: Array.from({ length: 101 }, () => ({ portNumber: { port: 1 } })) })] }), want: [['TooMany', 'spec.ingress[0].ports']] },
  { name: 'unknown spec field', obj: anp({ priority: 1, subject: allNs, tier: 'Admin' }), want: [['Unknown', 'spec.tier']] },
  { name: 'BANP not named default (CEL)', obj: banp({ subject: allNs }, 'other'), want: [['Invalid', 'metadata.name']] },
  { name: 'BANP with priority', obj: banp({ subject: allNs, priority: 1 }), want: [['Unknown', 'spec.priority']] },
  { name: 'BANP subject missing', obj: banp({}), want: [['Required', 'spec.subject']] },
  { name: 'namespace on a cluster-scoped kind', obj: { ...anp({ priority: 1, subject: allNs }), metadata: { name: 'p', namespace: 'x' } }, want: [['Invalid', 'metadata.namespace']] },
  {
    name: 'status condition incomplete',
    obj: { ...anp({ priority: 1, subject: allNs }), status: { conditions: [{ type: 'Ready', status: 'Maybe' }] } },
    want: [
      ['Required', 'status.conditions[0].reason'],
      ['Required', 'status.conditions[0].message'],
      ['Required', 'status.conditions[0].lastTransitionTime'],
      ['NotSupported', 'status.conditions[0].status'],
    ],
  },
];

for (const c of invalid) test(`invalid: ${c.name}`, () => assert.deepEqual(got(c.obj), c.want));

test('messages in the API server voice', () => {
  const msg = (o: unknown): string[] => validateResource(o).map((e) => `${e.path}: ${e.message}`);
  assert.deepEqual(msg(anp({ priority: 1001, subject: allNs })), ['spec.priority: Invalid value: 1001: spec.priority in body should be less than or equal to 1000']);
  assert.deepEqual(msg(anp({ priority: 1, subject: {} })), ['spec.subject: Invalid value: 0: spec.subject in body should have at least 1 properties']);
  assert.deepEqual(msg(anp({ priority: 1, subject: allNs, egress: [egressRule({ to: [{ nodes: {} }], ports: [{ namedPort: 'x' }] })] })), [
    'spec.egress[0]: Invalid value: "object": networks/nodes peer cannot be set with namedPorts since there are no namedPorts for networks/nodes',
  ]);
  assert.deepEqual(msg(banp({ subject: allNs }, 'x')), [
    'metadata.name: Invalid value: "x": Only one baseline admin network policy with metadata.name="default" can be created in the cluster',
  ]);
});

test('fragments: AdminNetworkPolicySpec and BaselineAdminNetworkPolicySpec', () => {
  assert.deepEqual(validateFragment('AdminNetworkPolicySpec', { priority: 2000, subject: allNs }).map((e) => e.path), ['priority']);
  assert.deepEqual(validateFragment('BaselineAdminNetworkPolicySpec', { subject: allNs }), []);
});
