/**
 * Decode + validation tables for networking.k8s.io/v1 NetworkPolicy and the staged variant.
 * Success and error cases are taken from kubernetes pkg/apis/networking/validation/
 * validation_test.go (TestValidateNetworkPolicy) and apimachinery's label selector validation;
 * the seed cases from the IBM page Tabby starts from.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateFragment, validateResource, decodeResource } from '../validate-resource.js';
import { kindByAlias, kindFor } from '../kinds.js';
import { FieldPath } from '../field/path.js';
import { formatLine } from '../field/format.js';
import type { FieldErrorType } from '../field/errors.js';
import { defaultK8sNetworkPolicy } from './defaults.js';
import type { K8sNetworkPolicy } from './types.js';

type Want = readonly (readonly [FieldErrorType, string])[];

const got = (raw: unknown): Want => validateResource(raw).map((e) => [e.type, e.path] as const);

const np = (spec: Record<string, unknown>, metadata: Record<string, unknown> = { name: 'foo', namespace: 'bar' }) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata,
  spec: { podSelector: { matchLabels: { a: 'b' } }, ...spec },
});

const ipv4 = { cidr: '192.168.0.0/16', except: ['192.168.3.0/24', '192.168.4.0/24'] };
const ipv6 = { cidr: 'fd00:192:168::/48', except: ['fd00:192:168:3::/64', 'fd00:192:168:4::/64'] };
const cd = { matchLabels: { c: 'd' } };
const mixedPorts = [
  { port: 80 },
  { protocol: 'TCP' },
  { protocol: 'TCP', port: 443 },
  { protocol: 'UDP', port: 'dns' },
  { protocol: 'SCTP', port: 7777 },
];
const badSelector = { matchLabels: { 'NoUppercaseOrSpecialCharsLike=Equals': 'b' } };

const valid: { name: string; spec: Record<string, unknown> }[] = [
  { name: 'empty ingress rule', spec: { ingress: [{}] } },
  { name: 'empty port', spec: { ingress: [{ ports: [{}] }] } },
  { name: 'ingress ports of every kind', spec: { ingress: [{ ports: mixedPorts }] } },
  { name: 'from podSelector', spec: { ingress: [{ from: [{ podSelector: cd }] }] } },
  { name: 'from namespaceSelector', spec: { ingress: [{ from: [{ namespaceSelector: cd }] }] } },
  {
    name: 'podSelector and namespaceSelector in one peer (AND)',
    spec: { ingress: [{ from: [{ podSelector: { matchLabels: { e: 'f' } }, namespaceSelector: cd }] }] },
  },
  { name: 'egress namespaceSelector, ingress ipBlock', spec: { egress: [{ to: [{ namespaceSelector: cd }] }], ingress: [{ from: [{ ipBlock: ipv4 }] }] } },
  { name: 'ingress ipBlock v4', spec: { ingress: [{ from: [{ ipBlock: ipv4 }] }] } },
  { name: 'egress ipBlock v4, Egress', spec: { egress: [{ to: [{ ipBlock: ipv4 }] }], policyTypes: ['Egress'] } },
  { name: 'egress ipBlock v4, Ingress+Egress', spec: { egress: [{ to: [{ ipBlock: ipv4 }] }], policyTypes: ['Ingress', 'Egress'] } },
  { name: 'egress ports of every kind', spec: { egress: [{ ports: mixedPorts }] } },
  { name: 'egress namespaceSelector, ingress ipBlock v6', spec: { egress: [{ to: [{ namespaceSelector: cd }] }], ingress: [{ from: [{ ipBlock: ipv6 }] }] } },
  { name: 'ingress ipBlock v6', spec: { ingress: [{ from: [{ ipBlock: ipv6 }] }] } },
  { name: 'egress ipBlock v6, Egress', spec: { egress: [{ to: [{ ipBlock: ipv6 }] }], policyTypes: ['Egress'] } },
  { name: 'egress ipBlock v6, Ingress+Egress', spec: { egress: [{ to: [{ ipBlock: ipv6 }] }], policyTypes: ['Ingress', 'Egress'] } },
  { name: 'port range and named port', spec: { egress: [{ ports: [{ port: 32000, endPort: 32768 }, { protocol: 'UDP', port: 'dns' }] }] } },
  {
    name: 'overlapping ranges, single-port range',
    spec: {
      egress: [{ to: [{ namespaceSelector: cd }], ports: [{ port: 30000, endPort: 32768 }, { port: 32000, endPort: 32768 }] }],
      ingress: [{ from: [{ podSelector: { matchLabels: { e: 'f' } } }], ports: [{ protocol: 'TCP', port: 32768, endPort: 32768 }] }],
    },
  },
  { name: 'ipBlock cidr with host bits (legacy validation)', spec: { ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.1/8' } }] }] } },
  { name: 'no podSelector at all', spec: { podSelector: undefined } },
  {
    name: 'matchExpressions of every operator',
    spec: {
      podSelector: {
        matchExpressions: [
          { key: 'a', operator: 'In', values: ['x', 'y'] },
          { key: 'b', operator: 'NotIn', values: ['z'] },
          { key: 'c', operator: 'Exists' },
          { key: 'example.com/d', operator: 'DoesNotExist' },
        ],
      },
    },
  },
];

for (const c of valid) {
  void test(`NetworkPolicy valid: ${c.name}`, () => assert.deepEqual(got(np(c.spec)), []));
}

const invalidCases: { name: string; spec: Record<string, unknown>; want: Want }[] = [
  {
    name: 'namespaceSelector and ipBlock',
    spec: { ingress: [{ from: [{ namespaceSelector: cd, ipBlock: ipv4 }] }] },
    want: [['Forbidden', 'spec.ingress[0].from[0]']],
  },
  {
    name: 'podSelector and ipBlock',
    spec: { egress: [{ to: [{ podSelector: cd, ipBlock: ipv4 }] }] },
    want: [['Forbidden', 'spec.egress[0].to[0]']],
  },
  {
    name: 'missing from and to type',
    spec: { ingress: [{ from: [{}] }], egress: [{ to: [{}] }] },
    want: [
      ['Required', 'spec.ingress[0].from[0]'],
      ['Required', 'spec.egress[0].to[0]'],
    ],
  },
  { name: 'invalid spec.podSelector', spec: { podSelector: badSelector }, want: [['Invalid', 'spec.podSelector.matchLabels']] },
  {
    name: 'invalid ingress.ports.protocol',
    spec: { ingress: [{ ports: [{ protocol: 'ICMP', port: 80 }] }] },
    want: [['NotSupported', 'spec.ingress[0].ports[0].protocol']],
  },
  {
    name: 'invalid ingress.ports.port (int)',
    spec: { ingress: [{ ports: [{ protocol: 'TCP', port: 123456789 }] }] },
    want: [['Invalid', 'spec.ingress[0].ports[0].port']],
  },
  {
    name: 'invalid ingress.ports.port (str)',
    spec: { ingress: [{ ports: [{ protocol: 'TCP', port: '!@#$' }] }] },
    want: [
      ['Invalid', 'spec.ingress[0].ports[0].port'],
      ['Invalid', 'spec.ingress[0].ports[0].port'],
    ],
  },
  {
    name: 'invalid ingress.from.podSelector',
    spec: { ingress: [{ from: [{ podSelector: badSelector }] }] },
    want: [['Invalid', 'spec.ingress[0].from[0].podSelector.matchLabels']],
  },
  {
    name: 'invalid egress.to.podSelector',
    spec: { egress: [{ to: [{ podSelector: badSelector }] }] },
    want: [['Invalid', 'spec.egress[0].to[0].podSelector.matchLabels']],
  },
  {
    name: 'invalid egress.ports.protocol',
    spec: { egress: [{ ports: [{ protocol: 'ICMP', port: 80 }] }] },
    want: [['NotSupported', 'spec.egress[0].ports[0].protocol']],
  },
  {
    name: 'invalid egress.ports.port (int)',
    spec: { egress: [{ ports: [{ protocol: 'TCP', port: 123456789 }] }] },
    want: [['Invalid', 'spec.egress[0].ports[0].port']],
  },
  {
    name: 'invalid egress.ports.port (str)',
    spec: { egress: [{ ports: [{ protocol: 'TCP', port: '!@#$' }] }] },
    want: [
      ['Invalid', 'spec.egress[0].ports[0].port'],
      ['Invalid', 'spec.egress[0].ports[0].port'],
    ],
  },
  {
    name: 'invalid ingress.from.namespaceSelector',
    spec: { ingress: [{ from: [{ namespaceSelector: badSelector }] }] },
    want: [['Invalid', 'spec.ingress[0].from[0].namespaceSelector.matchLabels']],
  },
  {
    name: 'missing cidr field',
    spec: { ingress: [{ from: [{ ipBlock: { ...ipv4, cidr: '' } }] }] },
    want: [['Required', 'spec.ingress[0].from[0].ipBlock.cidr']],
  },
  {
    name: 'invalid cidr format',
    spec: { ingress: [{ from: [{ ipBlock: { ...ipv4, cidr: '192.168.5.6' } }] }] },
    want: [['Invalid', 'spec.ingress[0].from[0].ipBlock.cidr']],
  },
  {
    name: 'invalid ipv6 cidr format',
    spec: { ingress: [{ from: [{ ipBlock: { ...ipv6, cidr: 'fd00:192:168::' } }] }] },
    want: [['Invalid', 'spec.ingress[0].from[0].ipBlock.cidr']],
  },
  {
    name: 'except field is an empty string',
    spec: { ingress: [{ from: [{ ipBlock: { ...ipv4, except: [''] } }] }] },
    want: [['Invalid', 'spec.ingress[0].from[0].ipBlock.except[0]']],
  },
  {
    name: 'except field is a space string',
    spec: { ingress: [{ from: [{ ipBlock: { ...ipv4, except: [' '] } }] }] },
    want: [['Invalid', 'spec.ingress[0].from[0].ipBlock.except[0]']],
  },
  {
    name: 'except field is an invalid ip',
    spec: { ingress: [{ from: [{ ipBlock: { ...ipv4, except: ['300.300.300.300'] } }] }] },
    want: [['Invalid', 'spec.ingress[0].from[0].ipBlock.except[0]']],
  },
  {
    name: 'except IP is outside of CIDR range',
    spec: { ingress: [{ from: [{ ipBlock: { cidr: '192.168.8.0/24', except: ['192.168.9.1/32'] } }] }] },
    want: [['Invalid', 'spec.ingress[0].from[0].ipBlock.except[0]']],
  },
  {
    name: 'except IP is not strictly within CIDR range',
    spec: { ingress: [{ from: [{ ipBlock: { cidr: '192.168.0.0/24', except: ['192.168.0.0/24'] } }] }] },
    want: [['Invalid', 'spec.ingress[0].from[0].ipBlock.except[0]']],
  },
  {
    name: 'except IPv6 is outside of CIDR range',
    spec: { ingress: [{ from: [{ ipBlock: { cidr: 'fd00:192:168:1::/64', except: ['fd00:192:168:2::/64'] } }] }] },
    want: [['Invalid', 'spec.ingress[0].from[0].ipBlock.except[0]']],
  },
  {
    name: 'except of the other IP family',
    spec: { ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['fd00::/64'] } }] }] },
    want: [['Invalid', 'spec.ingress[0].from[0].ipBlock.except[0]']],
  },
  {
    name: 'invalid policyTypes',
    spec: { egress: [{ to: [{ ipBlock: ipv4 }] }], policyTypes: ['foo', 'bar'] },
    want: [
      ['NotSupported', 'spec.policyTypes[0]'],
      ['NotSupported', 'spec.policyTypes[1]'],
    ],
  },
  {
    name: 'too many policyTypes',
    spec: { egress: [{ to: [{ ipBlock: ipv4 }] }], policyTypes: ['foo', 'bar', 'baz'] },
    want: [['Invalid', 'spec.policyTypes']],
  },
  {
    name: 'lower-case policyType',
    spec: { policyTypes: ['ingress'] },
    want: [['NotSupported', 'spec.policyTypes[0]']],
  },
  {
    name: 'multiple ports defined, one port range is invalid',
    spec: { egress: [{ to: [{ namespaceSelector: cd }], ports: [{ protocol: 'UDP', port: 35000, endPort: 32768 }, { port: 32000, endPort: 32768 }] }] },
    want: [['Invalid', 'spec.egress[0].ports[0].endPort']],
  },
  {
    name: 'endPort defined with named/string port',
    spec: { egress: [{ to: [{ namespaceSelector: cd }], ports: [{ protocol: 'UDP', port: 'dns', endPort: 32768 }, { port: 32000, endPort: 32768 }] }] },
    want: [['Invalid', 'spec.egress[0].ports[0].endPort']],
  },
  {
    name: 'endPort defined without port defined',
    spec: { egress: [{ to: [{ namespaceSelector: cd }], ports: [{ protocol: 'TCP', endPort: 32768 }] }] },
    want: [['Invalid', 'spec.egress[0].ports[0].endPort']],
  },
  {
    name: 'port is greater than endPort',
    spec: { egress: [{ to: [{ namespaceSelector: cd }], ports: [{ protocol: 'SCTP', port: 35000, endPort: 32768 }] }] },
    want: [['Invalid', 'spec.egress[0].ports[0].endPort']],
  },
  {
    name: 'multiple invalid port ranges defined',
    spec: {
      egress: [
        {
          to: [{ namespaceSelector: cd }],
          ports: [
            { protocol: 'UDP', port: 35000, endPort: 32768 },
            { protocol: 'TCP', endPort: 32768 },
            { protocol: 'TCP', port: 'https', endPort: 32768 },
          ],
        },
      ],
    },
    want: [
      ['Invalid', 'spec.egress[0].ports[0].endPort'],
      ['Invalid', 'spec.egress[0].ports[1].endPort'],
      ['Invalid', 'spec.egress[0].ports[2].endPort'],
    ],
  },
  {
    name: 'invalid endport range defined',
    spec: { egress: [{ to: [{ namespaceSelector: cd }], ports: [{ protocol: 'TCP', port: 30000, endPort: 65537 }] }] },
    want: [['Invalid', 'spec.egress[0].ports[0].endPort']],
  },
  {
    name: 'port 0',
    spec: { ingress: [{ ports: [{ port: 0 }] }] },
    want: [['Invalid', 'spec.ingress[0].ports[0].port']],
  },
  {
    name: 'named port too long, upper case',
    spec: { ingress: [{ ports: [{ port: 'Very-long-port-name' }] }] },
    want: [
      ['Invalid', 'spec.ingress[0].ports[0].port'],
      ['Invalid', 'spec.ingress[0].ports[0].port'],
    ],
  },
  {
    name: 'In without values',
    spec: { podSelector: { matchExpressions: [{ key: 'a', operator: 'In' }] } },
    want: [['Required', 'spec.podSelector.matchExpressions[0].values']],
  },
  {
    name: 'Exists with values',
    spec: { podSelector: { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] } },
    want: [['Forbidden', 'spec.podSelector.matchExpressions[0].values']],
  },
  {
    name: 'unknown operator',
    spec: { podSelector: { matchExpressions: [{ key: 'a', operator: 'Equals', values: ['x'] }] } },
    want: [['Invalid', 'spec.podSelector.matchExpressions[0].operator']],
  },
  {
    name: 'invalid expression key and value',
    spec: { ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: 'a b', operator: 'In', values: ['ok', 'not ok'] }] } }] }] },
    want: [
      ['Invalid', 'spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].key'],
      ['Invalid', 'spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].values[1]'],
    ],
  },
  {
    name: 'invalid matchLabels value',
    spec: { podSelector: { matchLabels: { app: 'has space' } } },
    want: [['Invalid', 'spec.podSelector.matchLabels[app]']],
  },
];

for (const c of invalidCases) {
  void test(`NetworkPolicy invalid: ${c.name}`, () => assert.deepEqual(got(np(c.spec)), c.want));
}

// Decoding: wrong shapes and unknown fields, reported together with their paths.
const decodeCases: { name: string; raw: unknown; want: Want }[] = [
  {
    // The seed's accounts-allow exactly as printed: `ports:` sits at the indentation of the peer's
    // keys, so YAML makes it a field of from[0].
    name: 'seed accounts-allow as printed',
    raw: {
      kind: 'NetworkPolicy',
      apiVersion: 'networking.k8s.io/v1',
      metadata: { Namespace: 'accounts', name: 'accounts-allow' },
      spec: {
        podSelector: { matchLabels: { app: 'Srv1', Tier: 'backend' } },
        ingress: [{ from: [{ NamespaceSelector: { matchLabels: { usage: 'finance' } }, ports: { port: 3111 } }] }],
      },
    },
    want: [
      ['Unknown', 'metadata.Namespace'],
      ['Unknown', 'spec.ingress[0].from[0].NamespaceSelector'],
      ['Unknown', 'spec.ingress[0].from[0].ports'],
    ],
  },
  {
    // The same policy with `ports:` at the rule level, as the page's prose means it.
    name: 'seed accounts-allow, ports at the rule level',
    raw: {
      kind: 'NetworkPolicy',
      apiVersion: 'networking.k8s.io/v1',
      metadata: { Namespace: 'accounts', name: 'accounts-allow' },
      spec: {
        podSelector: { matchLabels: { app: 'Srv1', Tier: 'backend' } },
        ingress: [{ from: [{ NamespaceSelector: { matchLabels: { usage: 'finance' } } }], ports: { port: 3111 } }],
      },
    },
    want: [
      ['Unknown', 'metadata.Namespace'],
      ['Unknown', 'spec.ingress[0].from[0].NamespaceSelector'],
      ['TypeInvalid', 'spec.ingress[0].ports'],
    ],
  },
  {
    name: 'to in an ingress rule',
    raw: np({ ingress: [{ to: [{ podSelector: {} }] }] }),
    want: [['Unknown', 'spec.ingress[0].to']],
  },
  {
    name: 'from in an egress rule',
    raw: np({ egress: [{ from: [{ podSelector: {} }] }] }),
    want: [['Unknown', 'spec.egress[0].from']],
  },
  { name: 'fractional port', raw: np({ ingress: [{ ports: [{ port: 80.5 }] }] }), want: [['TypeInvalid', 'spec.ingress[0].ports[0].port']] },
  { name: 'policyTypes as a string', raw: np({ policyTypes: 'Ingress' }), want: [['TypeInvalid', 'spec.policyTypes']] },
  {
    name: 'numeric label value',
    raw: np({ podSelector: { matchLabels: { version: 1 } } }),
    want: [['TypeInvalid', 'spec.podSelector.matchLabels[version]']],
  },
  { name: 'unknown spec field', raw: np({ podSelektor: {} }), want: [['Unknown', 'spec.podSelektor']] },
  { name: 'status is not a NetworkPolicy field', raw: { ...np({}), status: {} }, want: [['Unknown', 'status']] },
  {
    name: 'wrong apiVersion',
    raw: { ...np({}), apiVersion: 'extensions/v1beta1' },
    want: [['NotSupported', 'apiVersion']],
  },
];

for (const c of decodeCases) {
  void test(`NetworkPolicy decode: ${c.name}`, () => assert.deepEqual(got(c.raw), c.want));
}

void test('seed accounts-allow: messages name the fields and hint the fix', () => {
  const lines = validateResource(decodeCases[0]!.raw).map(formatLine);
  assert.deepEqual(lines, [
    'metadata.Namespace: Unknown field: unknown field; did you mean "namespace"?',
    'spec.ingress[0].from[0].NamespaceSelector: Unknown field: unknown field; did you mean "namespaceSelector"?',
    'spec.ingress[0].from[0].ports: Unknown field: unknown field; `ports` belongs to the rule, not to a peer: indent it to the level of `from`',
  ]);
});

void test('rendered messages in the Kubernetes voice', () => {
  const lines = validateResource(
    np({
      ingress: [{ from: [{ namespaceSelector: cd, ipBlock: ipv4 }], ports: [{ protocol: 'TCP', port: 35000, endPort: 32768 }] }],
    }),
  ).map(formatLine);
  assert.deepEqual(lines, [
    'spec.ingress[0].ports[0].endPort: Invalid value: 32768: must be greater than or equal to `port`',
    'spec.ingress[0].from[0]: Forbidden: may not specify both ipBlock and another peer',
  ]);
});

void test('seed access-nginx is valid; defaulting adds policyTypes and TCP', () => {
  const raw = {
    kind: 'NetworkPolicy',
    apiVersion: 'networking.k8s.io/v1',
    metadata: { name: 'access-nginx' },
    spec: {
      podSelector: { matchLabels: { run: 'nginx' } },
      ingress: [{ from: [{ podSelector: { matchLabels: { run: 'access' } } }], ports: [{ port: 80 }] }],
    },
  };
  const r = decodeResource(raw);
  assert.ok(r.ok);
  const spec = (r.value.resource as K8sNetworkPolicy).spec;
  assert.deepEqual(spec?.policyTypes, ['Ingress']);
  assert.deepEqual(spec?.ingress?.[0]?.ports, [{ port: 80, protocol: 'TCP' }]);
});

const defaultCases: { name: string; spec: K8sNetworkPolicy['spec']; wantTypes: string[] }[] = [
  { name: 'no rules', spec: {}, wantTypes: ['Ingress'] },
  { name: 'egress rules', spec: { egress: [{}] }, wantTypes: ['Ingress', 'Egress'] },
  { name: 'empty egress list', spec: { egress: [] }, wantTypes: ['Ingress'] },
  { name: 'explicit types kept', spec: { egress: [{}], policyTypes: ['Egress'] }, wantTypes: ['Egress'] },
];
for (const c of defaultCases) {
  void test(`NetworkPolicy defaults: ${c.name}`, () => {
    const input: K8sNetworkPolicy = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', ...(c.spec ? { spec: c.spec } : {}) };
    const before = JSON.stringify(input);
    const out = defaultK8sNetworkPolicy(input);
    assert.deepEqual(out.spec?.policyTypes, c.wantTypes);
    assert.equal(JSON.stringify(input), before, 'input unchanged');
  });
}

// StagedKubernetesNetworkPolicy: the k8s spec plus stagedAction.
const staged = (spec: Record<string, unknown>) => ({
  apiVersion: 'projectcalico.org/v3',
  kind: 'StagedKubernetesNetworkPolicy',
  metadata: { name: 'foo', namespace: 'bar' },
  spec,
});
const stagedCases: { name: string; raw: unknown; want: Want }[] = [
  { name: 'valid Set', raw: staged({ stagedAction: 'Set', podSelector: cd, ingress: [{ from: [{ podSelector: {} }] }] }), want: [] },
  { name: 'no stagedAction', raw: staged({ podSelector: {} }), want: [] },
  {
    name: 'bad stagedAction and bad peer',
    raw: staged({ stagedAction: 'Apply', ingress: [{ from: [{}] }] }),
    want: [
      ['NotSupported', 'spec.stagedAction'],
      ['Required', 'spec.ingress[0].from[0]'],
    ],
  },
  { name: 'unknown field', raw: staged({ stagedActions: 'Set' }), want: [['Unknown', 'spec.stagedActions']] },
  { name: 'Delete with an empty spec', raw: staged({ stagedAction: 'Delete', podSelector: {} }), want: [] },
  { name: 'Delete with rules', raw: staged({ stagedAction: 'Delete', ingress: [] }), want: [['Forbidden', 'spec']] },
  { name: 'Delete with a selector', raw: staged({ stagedAction: 'Delete', podSelector: cd }), want: [['Forbidden', 'spec']] },
];
for (const c of stagedCases) {
  void test(`StagedKubernetesNetworkPolicy: ${c.name}`, () => assert.deepEqual(got(c.raw), c.want));
}

void test('registry: NetworkPolicy kinds by apiVersion, alias and short name', () => {
  assert.equal(kindFor('networking.k8s.io/v1', 'NetworkPolicy')?.plural, 'networkpolicies');
  assert.equal(kindByAlias('netpol', 'networking.k8s.io')?.kind, 'NetworkPolicy');
  assert.equal(kindFor('projectcalico.org/v3', 'StagedKubernetesNetworkPolicy')?.namespaced, true);
  assert.equal(kindByAlias('sknp', 'projectcalico.org')?.kind, 'StagedKubernetesNetworkPolicy');
  assert.equal(kindByAlias('StagedKubernetesNetworkPolicies', 'projectcalico.org')?.kind, 'StagedKubernetesNetworkPolicy');
});

void test('fragment K8sNetworkPolicySpec', () => {
  assert.deepEqual(validateFragment('K8sNetworkPolicySpec', { podSelector: {}, ingress: [{ from: [{}] }] }).map((e) => e.path), [
    'ingress[0].from[0]',
  ]);
  assert.deepEqual(validateFragment('K8sNetworkPolicySpec', { podSelector: {} }), []);
});

void test('error paths round-trip through FieldPath.parse', () => {
  for (const e of validateResource(np({ ingress: [{ from: [{ podSelector: badSelector }] }] })))
    assert.equal(FieldPath.parse(e.path).toString(), e.path);
});
