/**
 * Calico's Kubernetes NetworkPolicy → Calico NetworkPolicy conversion cases, replayed through
 * Tabby's library API (issue 2 acceptance).
 *
 * Source: projectcalico/calico libcalico-go/lib/backend/k8s/conversion/conversion_test.go:
 * "Test selector conversion" (table), "Test NetworkPolicy conversion", "Test NetworkPolicy
 * conversion (k8s <= 1.7, no policyTypes)" and "Test port simplification" (table). Each case is
 * named after the upstream `It`/`Entry` and states upstream's expectations (name, order, selector,
 * rules, types, conversion errors). Every case goes through the package root:
 * `convertKubernetesNetworkPolicy(obj)` → `{ policy, errors }`.
 *
 * Translation notes: Go `numorstring.Port` values appear in their JSON form (single port → number,
 * range → "min:max", named port → name); a Go `EntityRule{}` is `{}`; a nil Protocol is an absent
 * `protocol`. Upstream's direct calls of the internal helpers (`k8sSelectorToCalico`,
 * `k8sPeerToCalicoFields`, `SimplifyPorts`) are replayed through a whole policy whose output
 * contains the helper's result (the policy selector, a rule's source fields, a rule's ports).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convertKubernetesNetworkPolicy } from '../../index.js';

type Obj = Record<string, unknown>;

const ORCH = "projectcalico.org/orchestrator == 'k8s'";
const KV = `${ORCH} && k == 'v' && k2 == 'v2'`;
const LABELS2 = `${ORCH} && label == 'value' && label2 == 'value2'`;
const LABEL1 = `${ORCH} && label == 'value'`;

const twoLabels = { matchLabels: { label: 'value', label2: 'value2' } };
const oneLabel = { matchLabels: { label: 'value' } };
const podKV = { podSelector: { matchLabels: { k: 'v', k2: 'v2' } } };

interface Want {
  readonly name?: string;
  readonly selector: string;
  readonly ingress?: readonly Obj[];
  readonly egress?: readonly Obj[];
  readonly types: readonly string[];
  /** Details of the conversion errors (dropped rules), in order. */
  readonly errors?: readonly string[];
}

interface Case {
  readonly name: string;
  readonly spec: Obj;
  readonly want: Want;
  readonly k8sName?: string;
}

function convert(spec: Obj, name = 'test.policy'): ReturnType<typeof convertKubernetesNetworkPolicy> {
  return convertKubernetesNetworkPolicy({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace: 'default' },
    spec,
  });
}

function check(c: Case): void {
  const { policy, errors } = convert(c.spec, c.k8sName);
  const p = policy as unknown as { kind: string; apiVersion: string; metadata: { name: string; namespace: string }; spec: Obj };
  assert.equal(p.kind, 'NetworkPolicy');
  assert.equal(p.apiVersion, 'projectcalico.org/v3');
  assert.equal(p.metadata.name, c.want.name ?? `knp.default.${c.k8sName ?? 'test.policy'}`);
  assert.equal(p.metadata.namespace, 'default');
  assert.equal(p.spec['order'], 1000);
  assert.equal(p.spec['selector'], c.want.selector);
  assert.deepEqual(p.spec['ingress'] ?? [], c.want.ingress ?? [], 'ingress rules');
  assert.deepEqual(p.spec['egress'] ?? [], c.want.egress ?? [], 'egress rules');
  assert.deepEqual(p.spec['types'], c.want.types, 'types');
  assert.deepEqual(
    errors.map((e) => e.detail),
    c.want.errors ?? [],
    'conversion errors',
  );
}

const allow = (r: Obj): Obj => ({ action: 'Allow', source: {}, destination: {}, ...r });
const bad1 = "k8s rule couldn't be converted: failed to parse k8s port: invalid port -50:-1: invalid name for named port (-50:-1)";
const bad2 = "k8s rule couldn't be converted: failed to parse k8s port: invalid port -22:-3: invalid name for named port (-22:-3)";
const ipBlock2 = { cidr: '192.168.0.0/16', except: ['192.168.3.0/24', '192.168.4.0/24'] };
const ipBlock3 = { cidr: '192.168.0.0/16', except: ['192.168.3.0/24', '192.168.4.0/24', '192.168.5.0/24'] };
const nets2 = { nets: ['192.168.0.0/16'], notNets: ['192.168.3.0/24', '192.168.4.0/24'] };
const nets3 = { nets: ['192.168.0.0/16'], notNets: ['192.168.3.0/24', '192.168.4.0/24', '192.168.5.0/24'] };
const expr = (key: string, operator: string, values?: string[]): Obj => ({ key, operator, ...(values ? { values } : {}) });

const CASES: Case[] = [
  // ---- "Test selector conversion" table (k8sSelectorToCalico), through a whole policy.
  {
    name: 'selector conversion table: should handle an empty pod selector',
    spec: { podSelector: {}, policyTypes: ['Ingress'] },
    want: { selector: ORCH, types: ['Ingress'] },
  },
  {
    name: 'selector conversion table: should handle an empty namespace selector',
    spec: { podSelector: {}, ingress: [{ from: [{ namespaceSelector: {} }] }], policyTypes: ['Ingress'] },
    want: { selector: ORCH, ingress: [allow({ source: { selector: ORCH, namespaceSelector: 'all()' } })], types: ['Ingress'] },
  },
  {
    name: 'selector conversion table: should handle an OpDoesNotExist namespace selector',
    spec: { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchExpressions: [expr('toast', 'DoesNotExist')] } }] }], policyTypes: ['Ingress'] },
    want: { selector: ORCH, ingress: [allow({ source: { selector: ORCH, namespaceSelector: '! has(toast)' } })], types: ['Ingress'] },
  },
  {
    name: 'selector conversion table: should handle an OpExists namespace selector',
    spec: { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchExpressions: [expr('toast', 'Exists')] } }] }], policyTypes: ['Ingress'] },
    want: { selector: ORCH, ingress: [allow({ source: { selector: ORCH, namespaceSelector: 'has(toast)' } })], types: ['Ingress'] },
  },
  {
    name: 'selector conversion table: should handle an OpIn namespace selector',
    spec: { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchExpressions: [expr('toast', 'In', ['butter', 'jam'])] } }] }], policyTypes: ['Ingress'] },
    want: { selector: ORCH, ingress: [allow({ source: { selector: ORCH, namespaceSelector: "toast in { 'butter', 'jam' }" } })], types: ['Ingress'] },
  },
  {
    name: 'selector conversion table: should handle an OpNotIn namespace selector',
    spec: {
      podSelector: {},
      ingress: [{ from: [{ namespaceSelector: { matchExpressions: [expr('toast', 'NotIn', ['marmite', 'milk'])] } }] }],
      policyTypes: ['Ingress'],
    },
    want: { selector: ORCH, ingress: [allow({ source: { selector: ORCH, namespaceSelector: "toast not in { 'marmite', 'milk' }" } })], types: ['Ingress'] },
  },
  {
    name: 'selector conversion table: should handle an OpDoesNotExist pod selector',
    spec: { podSelector: { matchExpressions: [expr('toast', 'DoesNotExist')] }, policyTypes: ['Ingress'] },
    want: { selector: `${ORCH} && ! has(toast)`, types: ['Ingress'] },
  },
  {
    name: 'selector conversion table: should handle nil pod selector (a peer with only a namespaceSelector)',
    spec: { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { a: 'b' } } }] }], policyTypes: ['Ingress'] },
    want: { selector: ORCH, ingress: [allow({ source: { selector: ORCH, namespaceSelector: "a == 'b'" } })], types: ['Ingress'] },
  },
  {
    name: 'selector conversion table: should handle nil namespace selector (a peer with only a podSelector)',
    spec: { podSelector: {}, ingress: [{ from: [{ podSelector: { matchLabels: { a: 'b' } } }] }], policyTypes: ['Ingress'] },
    want: { selector: ORCH, ingress: [allow({ source: { selector: `${ORCH} && a == 'b'` } })], types: ['Ingress'] },
  },

  // ---- "Test NetworkPolicy conversion"
  {
    name: 'should parse a basic k8s NetworkPolicy to a NetworkPolicy',
    spec: { podSelector: twoLabels, ingress: [{ ports: [{ port: 80 }, { port: 'foo' }], from: [podKV] }], policyTypes: ['Ingress'] },
    want: { selector: LABELS2, ingress: [allow({ protocol: 'TCP', source: { selector: KV }, destination: { ports: [80, 'foo'] } })], types: ['Ingress'] },
  },
  {
    name: 'should parse a k8s NetworkPolicy with no ports',
    spec: { podSelector: twoLabels, ingress: [{ from: [podKV] }], policyTypes: ['Ingress'] },
    want: { selector: LABELS2, ingress: [allow({ source: { selector: KV } })], types: ['Ingress'] },
  },
  {
    name: 'should parse a k8s NetworkPolicy with blank ports',
    spec: { podSelector: twoLabels, ingress: [{ ports: [{ port: 80 }, {}], from: [podKV] }], policyTypes: ['Ingress'] },
    want: { selector: LABELS2, ingress: [allow({ protocol: 'TCP', source: { selector: KV } })], types: ['Ingress'] },
  },
  {
    name: 'should parse a k8s egress NetworkPolicy with blank ports',
    spec: {
      podSelector: twoLabels,
      egress: [{ ports: [{}, { port: 80 }], to: [podKV] }, { ports: [{ port: 53, protocol: 'UDP' }] }],
      policyTypes: ['Egress'],
    },
    want: {
      selector: LABELS2,
      egress: [allow({ protocol: 'TCP', destination: { selector: KV } }), allow({ protocol: 'UDP', destination: { ports: [53] } })],
      types: ['Egress'],
    },
  },
  {
    name: 'should drop rules with invalid ports in a k8s NetworkPolicy (ingress)',
    spec: {
      podSelector: twoLabels,
      ingress: [
        { ports: [{ port: 80 }, { port: 'foo' }], from: [podKV] },
        { ports: [{ port: 80 }, { port: '-50:-1' }], from: [podKV] },
      ],
      policyTypes: ['Ingress'],
    },
    want: { selector: LABELS2, ingress: [allow({ protocol: 'TCP', source: { selector: KV }, destination: { ports: [80, 'foo'] } })], types: ['Ingress'], errors: [bad1] },
  },
  {
    name: 'should drop rules with invalid ports in a k8s NetworkPolicy (egress)',
    spec: {
      podSelector: twoLabels,
      egress: [
        { ports: [{ port: 80 }, { port: 'foo' }], to: [podKV] },
        { ports: [{ port: 80 }, { port: '-50:-1' }], to: [podKV] },
        { ports: [{ port: 80 }, { port: '-22:-3' }], to: [podKV] },
      ],
      policyTypes: ['Ingress'],
    },
    want: {
      selector: LABELS2,
      egress: [allow({ protocol: 'TCP', destination: { ports: [80, 'foo'], selector: KV } })],
      types: ['Ingress'],
      errors: [bad1, bad2],
    },
  },
  {
    name: 'should parse a NetworkPolicy with no rules',
    spec: { podSelector: oneLabel, policyTypes: ['Ingress'] },
    want: { selector: LABEL1, types: ['Ingress'] },
  },
  {
    name: 'should parse a default-deny egress NetworkPolicy',
    k8sName: 'testPolicy',
    spec: { podSelector: {}, policyTypes: ['Egress'] },
    want: { name: 'knp.default.testPolicy', selector: ORCH, types: ['Egress'] },
  },
  {
    name: 'should parse a NetworkPolicy with multiple peers',
    spec: {
      podSelector: oneLabel,
      ingress: [{ ports: [{}], from: [{ podSelector: { matchLabels: { k: 'v' } } }, { podSelector: { matchLabels: { k2: 'v2' } } }] }],
      policyTypes: ['Ingress'],
    },
    want: {
      selector: LABEL1,
      ingress: [allow({ protocol: 'TCP', source: { selector: `${ORCH} && k == 'v'` } }), allow({ protocol: 'TCP', source: { selector: `${ORCH} && k2 == 'v2'` } })],
      types: ['Ingress'],
    },
  },
  {
    name: 'should parse a k8s NetworkPolicy with a DoesNotExist expression',
    spec: {
      podSelector: twoLabels,
      ingress: [{ ports: [{ port: 80 }, { port: 'foo' }], from: [{ podSelector: { matchExpressions: [expr('toast', 'DoesNotExist')] } }] }],
      policyTypes: ['Ingress'],
    },
    want: {
      selector: LABELS2,
      ingress: [allow({ protocol: 'TCP', source: { selector: `${ORCH} && ! has(toast)` }, destination: { ports: [80, 'foo'] } })],
      types: ['Ingress'],
    },
  },
  {
    name: 'should parse a NetworkPolicy with multiple peers and ports',
    spec: {
      podSelector: oneLabel,
      ingress: [
        {
          ports: [
            { port: 90, protocol: 'UDP' },
            { port: 80, protocol: 'TCP' },
          ],
          from: [{ podSelector: { matchLabels: { k: 'v' } } }, { podSelector: { matchLabels: { k2: 'v2' } } }],
        },
      ],
      policyTypes: ['Ingress'],
    },
    want: {
      selector: LABEL1,
      ingress: [
        allow({ protocol: 'TCP', source: { selector: `${ORCH} && k == 'v'` }, destination: { ports: [80] } }),
        allow({ protocol: 'TCP', source: { selector: `${ORCH} && k2 == 'v2'` }, destination: { ports: [80] } }),
        allow({ protocol: 'UDP', source: { selector: `${ORCH} && k == 'v'` }, destination: { ports: [90] } }),
        allow({ protocol: 'UDP', source: { selector: `${ORCH} && k2 == 'v2'` }, destination: { ports: [90] } }),
      ],
      types: ['Ingress'],
    },
  },
  {
    name: 'should parse a NetworkPolicy with empty podSelector',
    spec: { podSelector: {}, policyTypes: ['Ingress'] },
    want: { selector: ORCH, types: ['Ingress'] },
  },
  {
    name: 'should parse a NetworkPolicy with a namespaceSelector',
    spec: { podSelector: oneLabel, ingress: [{ from: [{ namespaceSelector: { matchLabels: { namespaceRole: 'dev', namespaceFoo: 'bar' } } }] }], policyTypes: ['Ingress'] },
    want: {
      selector: LABEL1,
      ingress: [allow({ source: { selector: ORCH, namespaceSelector: "namespaceFoo == 'bar' && namespaceRole == 'dev'" } })],
      types: ['Ingress'],
    },
  },
  {
    name: 'should parse a NetworkPolicy with a nil namespace selector',
    spec: { podSelector: oneLabel, ingress: [{ from: [{ podSelector: {} }] }], policyTypes: ['Ingress'] },
    want: { selector: LABEL1, ingress: [allow({ source: { selector: ORCH } })], types: ['Ingress'] },
  },
  {
    name: 'should parse a NetworkPolicy with an empty namespaceSelector',
    spec: { podSelector: oneLabel, ingress: [{ from: [{ namespaceSelector: { matchLabels: {} } }] }], policyTypes: ['Ingress'] },
    want: { selector: LABEL1, ingress: [allow({ source: { selector: ORCH, namespaceSelector: 'all()' } })], types: ['Ingress'] },
  },
  {
    name: 'should parse a NetworkPolicy with pod and namespace selectors',
    spec: {
      podSelector: oneLabel,
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchLabels: { namespaceRole: 'dev', namespaceFoo: 'bar' } },
              podSelector: { matchLabels: { podA: 'B', podC: 'D' } },
            },
          ],
        },
      ],
      policyTypes: ['Ingress'],
    },
    want: {
      selector: LABEL1,
      ingress: [allow({ source: { selector: `${ORCH} && podA == 'B' && podC == 'D'`, namespaceSelector: "namespaceFoo == 'bar' && namespaceRole == 'dev'" } })],
      types: ['Ingress'],
    },
  },
  {
    name: 'should parse a NetworkPolicy with podSelector.MatchExpressions',
    spec: { podSelector: { matchExpressions: [expr('k', 'In', ['v1', 'v2'])] }, policyTypes: ['Ingress'] },
    want: { selector: `${ORCH} && k in { 'v1', 'v2' }`, types: ['Ingress'] },
  },
  {
    name: 'should parse a NetworkPolicy with Ports only',
    spec: { podSelector: {}, ingress: [{ ports: [{ protocol: 'TCP', port: 80 }] }], policyTypes: ['Ingress'] },
    want: { selector: ORCH, ingress: [allow({ protocol: 'TCP', destination: { ports: [80] } })], types: ['Ingress'] },
  },
  {
    name: 'should parse a NetworkPolicy with Port Range only',
    spec: { podSelector: {}, ingress: [{ ports: [{ protocol: 'TCP', port: 32000, endPort: 32768 }] }], policyTypes: ['Ingress'] },
    want: { selector: ORCH, ingress: [allow({ protocol: 'TCP', destination: { ports: ['32000:32768'] } })], types: ['Ingress'] },
  },
  {
    name: 'should parse a NetworkPolicy with Ports only (egress)',
    spec: { podSelector: {}, egress: [{ ports: [{ protocol: 'TCP', port: 80 }] }], policyTypes: ['Egress'] },
    want: { selector: ORCH, egress: [allow({ protocol: 'TCP', destination: { ports: [80] } })], types: ['Egress'] },
  },
  {
    name: 'should parse a NetworkPolicy with Port Range only (egress)',
    spec: { podSelector: {}, egress: [{ ports: [{ protocol: 'TCP', port: 32000, endPort: 32768 }] }], policyTypes: ['Egress'] },
    want: { selector: ORCH, egress: [allow({ protocol: 'TCP', destination: { ports: ['32000:32768'] } })], types: ['Egress'] },
  },
  {
    name: 'should parse a NetworkPolicy with an Ingress rule with an IPBlock Peer',
    spec: { podSelector: {}, ingress: [{ from: [{ ipBlock: ipBlock2 }] }], policyTypes: ['Ingress'] },
    want: { selector: ORCH, ingress: [allow({ source: nets2 })], types: ['Ingress'] },
  },
  {
    name: 'should parse a NetworkPolicy with an Egress rule with an IPBlock Peer',
    spec: { podSelector: {}, egress: [{ to: [{ ipBlock: ipBlock3 }] }], policyTypes: ['Egress'] },
    want: { selector: ORCH, egress: [allow({ destination: nets3 })], types: ['Egress'] },
  },
  {
    name: 'should parse a NetworkPolicy with an Egress rule with IPBlock and Ports',
    spec: {
      podSelector: {},
      egress: [
        {
          ports: [
            { port: 90, protocol: 'UDP' },
            { port: 80, protocol: 'TCP' },
          ],
          to: [{ ipBlock: ipBlock3 }],
        },
      ],
      policyTypes: ['Egress'],
    },
    want: {
      selector: ORCH,
      egress: [allow({ protocol: 'TCP', destination: { ...nets3, ports: [80] } }), allow({ protocol: 'UDP', destination: { ...nets3, ports: [90] } })],
      types: ['Egress'],
    },
  },
  {
    name: 'should parse a NetworkPolicyPeer with an IPBlock Peer and no Except field',
    spec: { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '192.168.0.0/16' } }] }], policyTypes: ['Ingress'] },
    want: { selector: ORCH, ingress: [allow({ source: { nets: ['192.168.0.0/16'] } })], types: ['Ingress'] },
  },
  {
    name: 'should have empty and Nil NetworkPolicyPeerfields when an IPBlock is invalid',
    spec: { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '192.168.0.0/55' } }] }], policyTypes: ['Ingress'] },
    want: { selector: ORCH, ingress: [allow({})], types: ['Ingress'] },
  },
  {
    name: 'should parse a NetworkPolicyPeer with an CIDR and Except field',
    spec: { podSelector: {}, ingress: [{ from: [{ ipBlock: ipBlock3 }] }], policyTypes: ['Ingress'] },
    want: { selector: ORCH, ingress: [allow({ source: nets3 })], types: ['Ingress'] },
  },
  {
    name: 'should parse a NetworkPolicy with both an Egress and an Ingress rule',
    spec: {
      podSelector: {},
      ingress: [{ from: [{ ipBlock: ipBlock2 }] }],
      egress: [{ to: [{ ipBlock: { cidr: '10.10.0.0/16', except: ['192.168.13.0/24', '192.168.14.0/24', '192.168.15.0/24'] } }] }],
      policyTypes: ['Egress', 'Ingress'],
    },
    want: {
      selector: ORCH,
      ingress: [allow({ source: nets2 })],
      egress: [allow({ destination: { nets: ['10.10.0.0/16'], notNets: ['192.168.13.0/24', '192.168.14.0/24', '192.168.15.0/24'] } })],
      types: ['Ingress', 'Egress'],
    },
  },

  // ---- "Test NetworkPolicy conversion (k8s <= 1.7, no policyTypes)"
  {
    name: 'no policyTypes: should parse a basic NetworkPolicy to a Policy',
    spec: { podSelector: twoLabels, ingress: [{ ports: [{ port: 80 }], from: [podKV] }] },
    want: { selector: LABELS2, ingress: [allow({ protocol: 'TCP', source: { selector: KV }, destination: { ports: [80] } })], types: ['Ingress'] },
  },
  {
    name: 'no policyTypes: should parse a NetworkPolicy with no rules',
    spec: { podSelector: oneLabel },
    want: { selector: LABEL1, types: ['Ingress'] },
  },
  {
    name: 'no policyTypes: should parse a NetworkPolicy with multiple peers',
    spec: { podSelector: oneLabel, ingress: [{ ports: [{}], from: [{ podSelector: { matchLabels: { k: 'v' } } }, { podSelector: { matchLabels: { k2: 'v2' } } }] }] },
    want: {
      selector: LABEL1,
      ingress: [allow({ protocol: 'TCP', source: { selector: `${ORCH} && k == 'v'` } }), allow({ protocol: 'TCP', source: { selector: `${ORCH} && k2 == 'v2'` } })],
      types: ['Ingress'],
    },
  },
  {
    name: 'no policyTypes: should parse a NetworkPolicy with multiple peers and ports',
    spec: {
      podSelector: oneLabel,
      ingress: [
        {
          ports: [
            { port: 90, protocol: 'UDP' },
            { port: 80, protocol: 'TCP' },
          ],
          from: [{ podSelector: { matchLabels: { k: 'v' } } }, { podSelector: { matchLabels: { k2: 'v2' } } }],
        },
      ],
    },
    want: {
      selector: LABEL1,
      ingress: [
        allow({ protocol: 'TCP', source: { selector: `${ORCH} && k == 'v'` }, destination: { ports: [80] } }),
        allow({ protocol: 'TCP', source: { selector: `${ORCH} && k2 == 'v2'` }, destination: { ports: [80] } }),
        allow({ protocol: 'UDP', source: { selector: `${ORCH} && k == 'v'` }, destination: { ports: [90] } }),
        allow({ protocol: 'UDP', source: { selector: `${ORCH} && k2 == 'v2'` }, destination: { ports: [90] } }),
      ],
      types: ['Ingress'],
    },
  },
  {
    name: 'no policyTypes: should parse a NetworkPolicy with empty podSelector',
    spec: { podSelector: {} },
    want: { selector: ORCH, types: ['Ingress'] },
  },
  {
    name: 'no policyTypes: should parse a NetworkPolicy with podSelector.MatchExpressions',
    spec: { podSelector: { matchExpressions: [expr('k', 'In', ['v1', 'v2'])] } },
    want: { selector: `${ORCH} && k in { 'v1', 'v2' }`, types: ['Ingress'] },
  },
  {
    name: 'no policyTypes: should parse a NetworkPolicy with Ports only',
    spec: { podSelector: {}, ingress: [{ ports: [{ protocol: 'TCP', port: 80 }] }] },
    want: { selector: ORCH, ingress: [allow({ protocol: 'TCP', destination: { ports: [80] } })], types: ['Ingress'] },
  },
];

for (const c of CASES) test(c.name, () => check(c));

// ---- "Test port simplification" table (SimplifyPorts), through the ports of one TCP rule.
// Input items: "n" → {port: n}; "a:b" → {port: a, endPort: b}; a name → {port: name}.
const SIMPLIFY: readonly (readonly [string, string])[] = [
  ['1', '1'],
  ['65535', '65535'],
  ['1,2', '1:2'],
  ['2,1', '1:2'],
  ['1,2,4', '1:2,4'],
  ['1,2,3,4,80:81,81:90,9090', '1:4,80:90,9090'],
  ['81:90,4,2,80:81,3,1,9090', '1:4,80:90,9090'],
  ['81:90,4,2,foo,80:81,3,1,9090,http', 'foo,http,1:4,80:90,9090'],
  ['foo', 'foo'],
];
const toK8sPort = (s: string): Obj => {
  const range = /^(\d+):(\d+)$/.exec(s);
  if (range) return { port: Number(range[1]), endPort: Number(range[2]) };
  return /^\d+$/.test(s) ? { port: Number(s) } : { port: s };
};
const toCalicoPort = (s: string): number | string => (/^\d+$/.test(s) ? Number(s) : s);

for (const [input, output] of SIMPLIFY) {
  test(`port simplification ${input} -> ${output}`, () => {
    const { policy, errors } = convert({ podSelector: {}, ingress: [{ ports: input.split(',').map(toK8sPort) }], policyTypes: ['Ingress'] });
    assert.deepEqual(errors, []);
    const ingress = (policy as unknown as { spec: { ingress: Obj[] } }).spec.ingress;
    assert.deepEqual(ingress, [allow({ protocol: 'TCP', destination: { ports: output.split(',').map(toCalicoPort) } })]);
  });
}

test(
  '[skipped ×3] port simplification "" -> "", "0" -> "0", "0:65535" -> "0:65535"',
  { skip: 'not expressible through convertKubernetesNetworkPolicy: an empty port list means "all ports" and port 0 is not a Kubernetes port; SimplifyPorts itself is not in the library API' },
  () => {},
);
test(
  '[skipped] conversion_test.go Pod, Namespace, ServiceAccount and name-parsing tests',
  { skip: 'pod → WorkloadEndpoint and namespace/service account → Profile conversions are not part of the library API of issue 2 (convertKubernetesNetworkPolicy only)' },
  () => {},
);
