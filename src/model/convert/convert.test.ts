/**
 * Kubernetes NetworkPolicy → Calico NetworkPolicy. Most cases are transcribed from Calico's
 * libcalico-go/lib/backend/k8s/conversion/conversion_test.go ("Test NetworkPolicy conversion",
 * "k8s <= 1.7, no policyTypes", "selector conversion table"), with the full expected Calico spec;
 * the rest pin calico-semantics §c bullets and the seed's access-nginx example.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NetworkPolicySpec } from '../calico/types.js';
import { validateResource } from '../validate-resource.js';
import { formatLine } from '../field/format.js';
import type { FieldErrorType } from '../field/errors.js';
import type { LabelSelector } from '../k8s/types.js';
import {
  convertKubernetesNetworkPolicy,
  convertStagedKubernetesNetworkPolicy,
  convertUID,
  k8sSelectorToCalico,
  portFromString,
  portToJSON,
  simplifyPorts,
  type SelectorRole,
} from './index.js';

const ORCH = "projectcalico.org/orchestrator == 'k8s'";
const KV = `${ORCH} && k == 'v' && k2 == 'v2'`;
const LABELS = `${ORCH} && label == 'value' && label2 == 'value2'`;

const knp = (spec: Record<string, unknown>, metadata: Record<string, unknown> = { name: 'test.policy', namespace: 'default' }) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata,
  spec,
});

const podKV = { podSelector: { matchLabels: { k: 'v', k2: 'v2' } } };
const twoLabels = { matchLabels: { label: 'value', label2: 'value2' } };
const oneLabel = { matchLabels: { label: 'value' } };
const ipBlock2 = { cidr: '192.168.0.0/16', except: ['192.168.3.0/24', '192.168.4.0/24'] };
const ipBlock3 = { cidr: '192.168.0.0/16', except: ['192.168.3.0/24', '192.168.4.0/24', '192.168.5.0/24'] };
const nets2 = { nets: ['192.168.0.0/16'], notNets: ['192.168.3.0/24', '192.168.4.0/24'] };
const nets3 = { nets: ['192.168.0.0/16'], notNets: ['192.168.3.0/24', '192.168.4.0/24', '192.168.5.0/24'] };

interface Case {
  readonly name: string;
  readonly spec: Record<string, unknown>;
  readonly want: NetworkPolicySpec;
  /** [path, detail] of each dropped rule. */
  readonly errors?: readonly (readonly [string, string])[];
}

const cases: Case[] = [
  // ---- conversion_test.go, "Test NetworkPolicy conversion"
  {
    name: 'basic k8s NetworkPolicy',
    spec: { podSelector: twoLabels, ingress: [{ ports: [{ port: 80 }, { port: 'foo' }], from: [podKV] }], policyTypes: ['Ingress'] },
    want: {
      order: 1000,
      ingress: [{ action: 'Allow', protocol: 'TCP', source: { selector: KV }, destination: { ports: [80, 'foo'] } }],
      selector: LABELS,
      types: ['Ingress'],
    },
  },
  {
    name: 'no ports',
    spec: { podSelector: twoLabels, ingress: [{ from: [podKV] }], policyTypes: ['Ingress'] },
    want: { order: 1000, ingress: [{ action: 'Allow', source: { selector: KV }, destination: {} }], selector: LABELS, types: ['Ingress'] },
  },
  {
    name: 'blank ports',
    spec: { podSelector: twoLabels, ingress: [{ ports: [{ port: 80 }, {}], from: [podKV] }], policyTypes: ['Ingress'] },
    want: {
      order: 1000,
      ingress: [{ action: 'Allow', protocol: 'TCP', source: { selector: KV }, destination: {} }],
      selector: LABELS,
      types: ['Ingress'],
    },
  },
  {
    name: 'egress with blank ports',
    spec: {
      podSelector: twoLabels,
      egress: [{ ports: [{}, { port: 80 }], to: [podKV] }, { ports: [{ port: 53, protocol: 'UDP' }] }],
      policyTypes: ['Egress'],
    },
    want: {
      order: 1000,
      egress: [
        { action: 'Allow', protocol: 'TCP', source: {}, destination: { selector: KV } },
        { action: 'Allow', protocol: 'UDP', source: {}, destination: { ports: [53] } },
      ],
      selector: LABELS,
      types: ['Egress'],
    },
  },
  {
    name: 'drops ingress rules with invalid ports',
    spec: {
      podSelector: twoLabels,
      ingress: [
        { ports: [{ port: 80 }, { port: 'foo' }], from: [podKV] },
        { ports: [{ port: 80 }, { port: '-50:-1' }], from: [podKV] },
      ],
      policyTypes: ['Ingress'],
    },
    want: {
      order: 1000,
      ingress: [{ action: 'Allow', protocol: 'TCP', source: { selector: KV }, destination: { ports: [80, 'foo'] } }],
      selector: LABELS,
      types: ['Ingress'],
    },
    errors: [
      [
        'spec.ingress[1].ports[1]',
        "k8s rule couldn't be converted: failed to parse k8s port: invalid port -50:-1: invalid name for named port (-50:-1)",
      ],
    ],
  },
  {
    name: 'drops egress rules with invalid ports',
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
      order: 1000,
      egress: [{ action: 'Allow', protocol: 'TCP', source: {}, destination: { selector: KV, ports: [80, 'foo'] } }],
      selector: LABELS,
      types: ['Ingress'],
    },
    errors: [
      [
        'spec.egress[1].ports[1]',
        "k8s rule couldn't be converted: failed to parse k8s port: invalid port -50:-1: invalid name for named port (-50:-1)",
      ],
      [
        'spec.egress[2].ports[1]',
        "k8s rule couldn't be converted: failed to parse k8s port: invalid port -22:-3: invalid name for named port (-22:-3)",
      ],
    ],
  },
  {
    name: 'no rules',
    spec: { podSelector: oneLabel, policyTypes: ['Ingress'] },
    want: { order: 1000, selector: `${ORCH} && label == 'value'`, types: ['Ingress'] },
  },
  {
    name: 'default-deny egress',
    spec: { podSelector: {}, policyTypes: ['Egress'] },
    want: { order: 1000, selector: ORCH, types: ['Egress'] },
  },
  {
    name: 'multiple peers',
    spec: {
      podSelector: oneLabel,
      ingress: [{ ports: [{}], from: [{ podSelector: { matchLabels: { k: 'v' } } }, { podSelector: { matchLabels: { k2: 'v2' } } }] }],
      policyTypes: ['Ingress'],
    },
    want: {
      order: 1000,
      ingress: [
        { action: 'Allow', protocol: 'TCP', source: { selector: `${ORCH} && k == 'v'` }, destination: {} },
        { action: 'Allow', protocol: 'TCP', source: { selector: `${ORCH} && k2 == 'v2'` }, destination: {} },
      ],
      selector: `${ORCH} && label == 'value'`,
      types: ['Ingress'],
    },
  },
  {
    name: 'DoesNotExist expression',
    spec: {
      podSelector: twoLabels,
      ingress: [
        {
          ports: [{ port: 80 }, { port: 'foo' }],
          from: [{ podSelector: { matchExpressions: [{ key: 'toast', operator: 'DoesNotExist' }] } }],
        },
      ],
      policyTypes: ['Ingress'],
    },
    want: {
      order: 1000,
      ingress: [{ action: 'Allow', protocol: 'TCP', source: { selector: `${ORCH} && ! has(toast)` }, destination: { ports: [80, 'foo'] } }],
      selector: LABELS,
      types: ['Ingress'],
    },
  },
  {
    name: 'multiple peers and ports: one rule per (protocol, peer), protocols sorted',
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
      order: 1000,
      ingress: [
        { action: 'Allow', protocol: 'TCP', source: { selector: `${ORCH} && k == 'v'` }, destination: { ports: [80] } },
        { action: 'Allow', protocol: 'TCP', source: { selector: `${ORCH} && k2 == 'v2'` }, destination: { ports: [80] } },
        { action: 'Allow', protocol: 'UDP', source: { selector: `${ORCH} && k == 'v'` }, destination: { ports: [90] } },
        { action: 'Allow', protocol: 'UDP', source: { selector: `${ORCH} && k2 == 'v2'` }, destination: { ports: [90] } },
      ],
      selector: `${ORCH} && label == 'value'`,
      types: ['Ingress'],
    },
  },
  {
    name: 'empty podSelector',
    spec: { podSelector: {}, policyTypes: ['Ingress'] },
    want: { order: 1000, selector: ORCH, types: ['Ingress'] },
  },
  {
    name: 'namespaceSelector',
    spec: {
      podSelector: oneLabel,
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { namespaceRole: 'dev', namespaceFoo: 'bar' } } }] }],
      policyTypes: ['Ingress'],
    },
    want: {
      order: 1000,
      ingress: [{ action: 'Allow', source: { selector: ORCH, namespaceSelector: "namespaceFoo == 'bar' && namespaceRole == 'dev'" }, destination: {} }],
      selector: `${ORCH} && label == 'value'`,
      types: ['Ingress'],
    },
  },
  {
    name: 'nil namespaceSelector',
    spec: { podSelector: oneLabel, ingress: [{ from: [{ podSelector: {} }] }], policyTypes: ['Ingress'] },
    want: {
      order: 1000,
      ingress: [{ action: 'Allow', source: { selector: ORCH }, destination: {} }],
      selector: `${ORCH} && label == 'value'`,
      types: ['Ingress'],
    },
  },
  {
    name: 'empty namespaceSelector',
    spec: { podSelector: oneLabel, ingress: [{ from: [{ namespaceSelector: { matchLabels: {} } }] }], policyTypes: ['Ingress'] },
    want: {
      order: 1000,
      ingress: [{ action: 'Allow', source: { selector: ORCH, namespaceSelector: 'all()' }, destination: {} }],
      selector: `${ORCH} && label == 'value'`,
      types: ['Ingress'],
    },
  },
  {
    name: 'pod and namespace selectors in one peer',
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
      order: 1000,
      ingress: [
        {
          action: 'Allow',
          source: { selector: `${ORCH} && podA == 'B' && podC == 'D'`, namespaceSelector: "namespaceFoo == 'bar' && namespaceRole == 'dev'" },
          destination: {},
        },
      ],
      selector: `${ORCH} && label == 'value'`,
      types: ['Ingress'],
    },
  },
  {
    name: 'podSelector.matchExpressions',
    spec: { podSelector: { matchExpressions: [{ key: 'k', operator: 'In', values: ['v1', 'v2'] }] }, policyTypes: ['Ingress'] },
    want: { order: 1000, selector: `${ORCH} && k in { 'v1', 'v2' }`, types: ['Ingress'] },
  },
  {
    name: 'ports only',
    spec: { podSelector: {}, ingress: [{ ports: [{ protocol: 'TCP', port: 80 }] }], policyTypes: ['Ingress'] },
    want: { order: 1000, ingress: [{ action: 'Allow', protocol: 'TCP', source: {}, destination: { ports: [80] } }], selector: ORCH, types: ['Ingress'] },
  },
  {
    name: 'port range only',
    spec: { podSelector: {}, ingress: [{ ports: [{ protocol: 'TCP', port: 32000, endPort: 32768 }] }], policyTypes: ['Ingress'] },
    want: {
      order: 1000,
      ingress: [{ action: 'Allow', protocol: 'TCP', source: {}, destination: { ports: ['32000:32768'] } }],
      selector: ORCH,
      types: ['Ingress'],
    },
  },
  {
    name: 'ports only (egress)',
    spec: { podSelector: {}, egress: [{ ports: [{ protocol: 'TCP', port: 80 }] }], policyTypes: ['Egress'] },
    want: { order: 1000, egress: [{ action: 'Allow', protocol: 'TCP', source: {}, destination: { ports: [80] } }], selector: ORCH, types: ['Egress'] },
  },
  {
    name: 'port range only (egress)',
    spec: { podSelector: {}, egress: [{ ports: [{ protocol: 'TCP', port: 32000, endPort: 32768 }] }], policyTypes: ['Egress'] },
    want: {
      order: 1000,
      egress: [{ action: 'Allow', protocol: 'TCP', source: {}, destination: { ports: ['32000:32768'] } }],
      selector: ORCH,
      types: ['Egress'],
    },
  },
  {
    name: 'ingress ipBlock peer',
    spec: { podSelector: {}, ingress: [{ from: [{ ipBlock: ipBlock2 }] }], policyTypes: ['Ingress'] },
    want: { order: 1000, ingress: [{ action: 'Allow', source: nets2, destination: {} }], selector: ORCH, types: ['Ingress'] },
  },
  {
    name: 'egress ipBlock peer',
    spec: { podSelector: {}, egress: [{ to: [{ ipBlock: ipBlock3 }] }], policyTypes: ['Egress'] },
    want: { order: 1000, egress: [{ action: 'Allow', source: {}, destination: nets3 }], selector: ORCH, types: ['Egress'] },
  },
  {
    name: 'egress ipBlock and ports',
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
      order: 1000,
      egress: [
        { action: 'Allow', protocol: 'TCP', source: {}, destination: { ...nets3, ports: [80] } },
        { action: 'Allow', protocol: 'UDP', source: {}, destination: { ...nets3, ports: [90] } },
      ],
      selector: ORCH,
      types: ['Egress'],
    },
  },
  {
    name: 'ipBlock without except',
    spec: { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '192.168.0.0/16' } }] }], policyTypes: ['Ingress'] },
    want: { order: 1000, ingress: [{ action: 'Allow', source: { nets: ['192.168.0.0/16'] }, destination: {} }], selector: ORCH, types: ['Ingress'] },
  },
  {
    name: 'invalid ipBlock cidr: the peer becomes empty (matches everything)',
    spec: { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '192.168.0.0/55' } }] }], policyTypes: ['Ingress'] },
    want: { order: 1000, ingress: [{ action: 'Allow', source: {}, destination: {} }], selector: ORCH, types: ['Ingress'] },
  },
  {
    name: 'egress and ingress; types in Ingress, Egress order',
    spec: {
      podSelector: {},
      ingress: [{ from: [{ ipBlock: ipBlock2 }] }],
      egress: [{ to: [{ ipBlock: { cidr: '10.10.0.0/16', except: ['192.168.13.0/24', '192.168.14.0/24', '192.168.15.0/24'] } }] }],
      policyTypes: ['Egress', 'Ingress'],
    },
    want: {
      order: 1000,
      ingress: [{ action: 'Allow', source: nets2, destination: {} }],
      egress: [
        {
          action: 'Allow',
          source: {},
          destination: { nets: ['10.10.0.0/16'], notNets: ['192.168.13.0/24', '192.168.14.0/24', '192.168.15.0/24'] },
        },
      ],
      selector: ORCH,
      types: ['Ingress', 'Egress'],
    },
  },
  // ---- conversion_test.go, "k8s <= 1.7, no policyTypes"
  {
    name: 'no policyTypes: basic',
    spec: { podSelector: twoLabels, ingress: [{ ports: [{ port: 80 }], from: [podKV] }] },
    want: {
      order: 1000,
      ingress: [{ action: 'Allow', protocol: 'TCP', source: { selector: KV }, destination: { ports: [80] } }],
      selector: LABELS,
      types: ['Ingress'],
    },
  },
  {
    name: 'no policyTypes: no rules',
    spec: { podSelector: oneLabel },
    want: { order: 1000, selector: `${ORCH} && label == 'value'`, types: ['Ingress'] },
  },
  // ---- calico-semantics §c bullets
  {
    name: 'no policyTypes with egress rules: types [Ingress], egress kept',
    spec: { podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }] },
    want: { order: 1000, egress: [{ action: 'Allow', source: {}, destination: { nets: ['10.0.0.0/8'] } }], selector: ORCH, types: ['Ingress'] },
  },
  {
    name: 'numeric ports merged into minimal ranges, named first',
    spec: {
      podSelector: {},
      ingress: [
        {
          ports: [
            { port: 81, endPort: 90 },
            { port: 4 },
            { port: 2 },
            { port: 'foo' },
            { port: 80, endPort: 81 },
            { port: 3 },
            { port: 1 },
            { port: 9090 },
            { port: 'http' },
          ],
        },
      ],
    },
    want: {
      order: 1000,
      ingress: [{ action: 'Allow', protocol: 'TCP', source: {}, destination: { ports: ['foo', 'http', '1:4', '80:90', 9090] } }],
      selector: ORCH,
      types: ['Ingress'],
    },
  },
  {
    name: 'a single numeric port keeps the written order',
    spec: { podSelector: {}, ingress: [{ ports: [{ port: 80 }, { port: 'http' }] }] },
    want: { order: 1000, ingress: [{ action: 'Allow', protocol: 'TCP', source: {}, destination: { ports: [80, 'http'] } }], selector: ORCH, types: ['Ingress'] },
  },
  {
    name: 'duplicate ports collapse',
    spec: { podSelector: {}, ingress: [{ ports: [{ port: 443 }, { port: 443 }] }] },
    want: { order: 1000, ingress: [{ action: 'Allow', protocol: 'TCP', source: {}, destination: { ports: [443] } }], selector: ORCH, types: ['Ingress'] },
  },
  {
    name: 'protocols sorted SCTP < TCP < UDP',
    spec: { podSelector: {}, ingress: [{ ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'SCTP', port: 7777 }, { port: 80 }] }] },
    want: {
      order: 1000,
      ingress: [
        { action: 'Allow', protocol: 'SCTP', source: {}, destination: { ports: [7777] } },
        { action: 'Allow', protocol: 'TCP', source: {}, destination: { ports: [80] } },
        { action: 'Allow', protocol: 'UDP', source: {}, destination: { ports: [53] } },
      ],
      selector: ORCH,
      types: ['Ingress'],
    },
  },
  {
    name: 'protocol-only entry means all ports of that protocol (after)',
    spec: { podSelector: {}, ingress: [{ ports: [{ protocol: 'TCP', port: 80 }, { protocol: 'TCP' }, { protocol: 'UDP', port: 53 }] }] },
    want: {
      order: 1000,
      ingress: [
        { action: 'Allow', protocol: 'TCP', source: {}, destination: {} },
        { action: 'Allow', protocol: 'UDP', source: {}, destination: { ports: [53] } },
      ],
      selector: ORCH,
      types: ['Ingress'],
    },
  },
  {
    name: 'protocol-only entry means all ports of that protocol (before)',
    spec: { podSelector: {}, ingress: [{ ports: [{ protocol: 'UDP' }, { protocol: 'UDP', port: 53 }] }] },
    want: { order: 1000, ingress: [{ action: 'Allow', protocol: 'UDP', source: {}, destination: {} }], selector: ORCH, types: ['Ingress'] },
  },
  {
    name: 'protocol names canonicalised (tcp → TCP) and grouped',
    spec: { podSelector: {}, ingress: [{ ports: [{ protocol: 'tcp', port: 80 }, { port: 81 }] }] },
    want: { order: 1000, ingress: [{ action: 'Allow', protocol: 'TCP', source: {}, destination: { ports: ['80:81'] } }], selector: ORCH, types: ['Ingress'] },
  },
  {
    name: 'CIDRs canonicalised',
    spec: { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.1/24', except: ['10.0.0.129/25'] } }] }] },
    want: {
      order: 1000,
      ingress: [{ action: 'Allow', source: { nets: ['10.0.0.0/24'], notNets: ['10.0.0.128/25'] }, destination: {} }],
      selector: ORCH,
      types: ['Ingress'],
    },
  },
  {
    name: 'IPv6 CIDRs canonicalised',
    spec: { podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: 'FD00:0:0:0::1/64' } }] }], policyTypes: ['Egress'] },
    want: { order: 1000, egress: [{ action: 'Allow', source: {}, destination: { nets: ['fd00::/64'] } }], selector: ORCH, types: ['Egress'] },
  },
  {
    name: 'bad except entry keeps what was parsed before it',
    spec: { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/16', except: ['10.0.1.0/24', 'bad', '10.0.2.0/24'] } }] }] },
    want: {
      order: 1000,
      ingress: [{ action: 'Allow', source: { nets: ['10.0.0.0/16'], notNets: ['10.0.1.0/24'] }, destination: {} }],
      selector: ORCH,
      types: ['Ingress'],
    },
  },
  {
    name: 'ipBlock wins over selectors in the same peer',
    spec: { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' }, podSelector: { matchLabels: { a: 'b' } } }] }] },
    want: { order: 1000, ingress: [{ action: 'Allow', source: { nets: ['10.0.0.0/8'] }, destination: {} }], selector: ORCH, types: ['Ingress'] },
  },
  {
    name: 'empty peer selects all pods of the namespace',
    spec: { podSelector: {}, ingress: [{ from: [{}] }] },
    want: { order: 1000, ingress: [{ action: 'Allow', source: { selector: ORCH }, destination: {} }], selector: ORCH, types: ['Ingress'] },
  },
  {
    name: 'egress peer with only a namespaceSelector',
    spec: { podSelector: {}, egress: [{ to: [{ namespaceSelector: {} }] }], policyTypes: ['Egress'] },
    want: {
      order: 1000,
      egress: [{ action: 'Allow', source: {}, destination: { selector: ORCH, namespaceSelector: 'all()' } }],
      selector: ORCH,
      types: ['Egress'],
    },
  },
  {
    name: 'empty rule list and empty from list',
    spec: { podSelector: {}, ingress: [{ from: [] }], egress: [], policyTypes: ['Ingress', 'Egress'] },
    want: { order: 1000, ingress: [{ action: 'Allow', source: {}, destination: {} }], selector: ORCH, types: ['Ingress', 'Egress'] },
  },
  {
    name: 'selector values are quoted, not escaped',
    spec: { podSelector: { matchLabels: { a: "it's" } } },
    want: { order: 1000, selector: `${ORCH} && a == 'it's'`, types: ['Ingress'] },
  },
  {
    name: 'endPort below port drops the rule',
    spec: { podSelector: {}, ingress: [{ ports: [{ port: 90, endPort: 80 }] }, { ports: [{ port: 22 }] }] },
    want: { order: 1000, ingress: [{ action: 'Allow', protocol: 'TCP', source: {}, destination: { ports: [22] } }], selector: ORCH, types: ['Ingress'] },
    errors: [
      [
        'spec.ingress[0].ports[0]',
        "k8s rule couldn't be converted: failed to parse k8s port: invalid port 90:80: minimum port number (90) is greater than maximum port number (80) in port range",
      ],
    ],
  },
  {
    name: 'port beyond 65535 drops the rule',
    spec: { podSelector: {}, egress: [{ ports: [{ port: 70000 }] }], policyTypes: ['Egress'] },
    want: { order: 1000, selector: ORCH, types: ['Egress'] },
    errors: [['spec.egress[0].ports[0]', "k8s rule couldn't be converted: failed to parse k8s port: invalid port 70000: invalid port format (70000)"]],
  },
  {
    // R8: the seed's accounts-allow, corrected, with both selectors in one peer (AND).
    name: 'accounts-allow, corrected',
    spec: {
      podSelector: { matchLabels: { app: 'Srv1', tier: 'backend' } },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { usage: 'finance' } }, podSelector: { matchLabels: { app: 'Srv2' } } }], ports: [{ port: 3111 }] }],
    },
    want: {
      order: 1000,
      ingress: [
        {
          action: 'Allow',
          protocol: 'TCP',
          source: { selector: `${ORCH} && app == 'Srv2'`, namespaceSelector: "usage == 'finance'" },
          destination: { ports: [3111] },
        },
      ],
      selector: `${ORCH} && app == 'Srv1' && tier == 'backend'`,
      types: ['Ingress'],
    },
  },
];

for (const c of cases) {
  void test(`convert: ${c.name}`, () => {
    const r = convertKubernetesNetworkPolicy(knp(c.spec));
    assert.deepEqual(r.policy?.spec, c.want);
    assert.deepEqual(
      r.errors.map((e) => [e.path, e.detail]),
      c.errors ?? [],
    );
    for (const e of r.errors) assert.equal(e.type, 'Invalid');
  });
}

// Every converted policy must itself be a valid Calico NetworkPolicy, except where the k8s input
// makes Calico emit something invalid (a label value containing a quote breaks the selector).
const invalidOnPurpose = new Set(['selector values are quoted, not escaped']);
for (const c of cases.filter((x) => !invalidOnPurpose.has(x.name))) {
  void test(`convert: output is a valid Calico NetworkPolicy: ${c.name}`, () => {
    const r = convertKubernetesNetworkPolicy(knp(c.spec));
    assert.deepEqual(validateResource(r.policy).map(formatLine), []);
  });
}

void test('convert: seed access-nginx', () => {
  const r = convertKubernetesNetworkPolicy({
    kind: 'NetworkPolicy',
    apiVersion: 'networking.k8s.io/v1',
    metadata: { name: 'access-nginx' },
    spec: { podSelector: { matchLabels: { run: 'nginx' } }, ingress: [{ from: [{ podSelector: { matchLabels: { run: 'access' } } }] }] },
  });
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.policy, {
    apiVersion: 'projectcalico.org/v3',
    kind: 'NetworkPolicy',
    metadata: { name: 'knp.default.access-nginx' },
    spec: {
      order: 1000,
      ingress: [{ action: 'Allow', source: { selector: "projectcalico.org/orchestrator == 'k8s' && run == 'access'" }, destination: {} }],
      selector: "projectcalico.org/orchestrator == 'k8s' && run == 'nginx'",
      types: ['Ingress'],
    },
  });
});

void test('convert: metadata name, namespace, uid, resourceVersion, creationTimestamp', () => {
  const r = convertKubernetesNetworkPolicy(
    knp(
      { podSelector: {} },
      {
        name: 'allow-web',
        namespace: 'shop',
        uid: '30316465-6365-4463-ad63-3564622d3638',
        resourceVersion: '4711',
        creationTimestamp: '2024-05-01T10:00:00Z',
        labels: { a: 'b' },
        annotations: { x: 'y' },
        generation: 3,
      },
    ),
  );
  assert.deepEqual(r.policy?.metadata, {
    name: 'knp.default.allow-web',
    namespace: 'shop',
    uid: '0c8c26a6-c6a6-44c6-adc6-ac2646b46c1c',
    resourceVersion: '4711',
    creationTimestamp: '2024-05-01T10:00:00Z',
  });
});

const failing: { name: string; raw: unknown; want: readonly (readonly [FieldErrorType, string])[] }[] = [
  {
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
  { name: 'not an object', raw: 'NetworkPolicy', want: [['TypeInvalid', '']] },
  { name: 'Calico apiVersion', raw: { ...knp({}), apiVersion: 'projectcalico.org/v3' }, want: [['NotSupported', 'apiVersion']] },
  { name: 'another kind', raw: { ...knp({}), kind: 'GlobalNetworkPolicy' }, want: [['Invalid', 'kind']] },
  { name: 'unparsable uid', raw: knp({}, { name: 'a', uid: 'not-a-uid' }), want: [['Invalid', 'metadata.uid']] },
];
for (const c of failing) {
  void test(`convert fails: ${c.name}`, () => {
    const r = convertKubernetesNetworkPolicy(c.raw);
    assert.equal(r.policy, undefined);
    assert.deepEqual(
      r.errors.map((e) => [e.type, e.path]),
      c.want,
    );
  });
}

void test('convert: unparsable uid message', () => {
  const r = convertKubernetesNetworkPolicy(knp({}, { name: 'a', uid: 'not-a-uid' }));
  assert.equal(r.errors[0]?.detail, 'failed to parse UID for resource: invalid UUID length: 9');
});

void test('convert: input is not modified', () => {
  const raw = knp({ podSelector: { matchLabels: { b: '2', a: '1' } }, ingress: [{ ports: [{ port: 2 }, { port: 1 }] }] });
  const before = JSON.stringify(raw);
  convertKubernetesNetworkPolicy(raw);
  assert.equal(JSON.stringify(raw), before);
});

// ---- StagedKubernetesNetworkPolicy → StagedNetworkPolicy
const stagedCases: { name: string; spec: Record<string, unknown>; want: Record<string, unknown> }[] = [
  {
    name: 'Set',
    spec: { stagedAction: 'Set', podSelector: {}, ingress: [{ ports: [{ port: 80 }] }] },
    want: {
      stagedAction: 'Set',
      order: 1000,
      ingress: [{ action: 'Allow', protocol: 'TCP', source: {}, destination: { ports: [80] } }],
      selector: ORCH,
      types: ['Ingress'],
    },
  },
  { name: 'no stagedAction', spec: { podSelector: {} }, want: { order: 1000, selector: ORCH, types: ['Ingress'] } },
  { name: 'Delete kept for the caller', spec: { stagedAction: 'Delete' }, want: { stagedAction: 'Delete', order: 1000, selector: ORCH, types: ['Ingress'] } },
];
for (const c of stagedCases) {
  void test(`convert staged: ${c.name}`, () => {
    const r = convertStagedKubernetesNetworkPolicy({
      apiVersion: 'projectcalico.org/v3',
      kind: 'StagedKubernetesNetworkPolicy',
      metadata: { name: 'name1', namespace: 'namespace1' },
      spec: c.spec,
    });
    assert.deepEqual(r.errors, []);
    assert.equal(r.policy?.kind, 'StagedNetworkPolicy');
    assert.equal(r.policy?.apiVersion, 'projectcalico.org/v3');
    assert.deepEqual(r.policy?.metadata, { name: 'knp.default.name1', namespace: 'namespace1' });
    assert.deepEqual(r.policy?.spec, c.want);
  });
}

void test('convert staged: wrong apiVersion and a NetworkPolicy body are rejected', () => {
  assert.deepEqual(
    convertStagedKubernetesNetworkPolicy({ apiVersion: 'networking.k8s.io/v1', kind: 'StagedKubernetesNetworkPolicy', metadata: { name: 'a' } }).errors.map(
      (e) => e.path,
    ),
    ['apiVersion'],
  );
  assert.equal(convertStagedKubernetesNetworkPolicy(knp({})).policy, undefined);
});

// ---- selector text (conversion_test.go "selector conversion table" + extras)
const selectorCases: { name: string; sel: LabelSelector | undefined; role: SelectorRole; want: string }[] = [
  { name: 'empty pod selector', sel: {}, role: 'pod', want: ORCH },
  { name: 'empty namespace selector', sel: {}, role: 'namespace', want: 'all()' },
  { name: 'DoesNotExist namespace selector', sel: { matchExpressions: [{ key: 'toast', operator: 'DoesNotExist' }] }, role: 'namespace', want: '! has(toast)' },
  { name: 'Exists namespace selector', sel: { matchExpressions: [{ key: 'toast', operator: 'Exists' }] }, role: 'namespace', want: 'has(toast)' },
  {
    name: 'In namespace selector',
    sel: { matchExpressions: [{ key: 'toast', operator: 'In', values: ['butter', 'jam'] }] },
    role: 'namespace',
    want: "toast in { 'butter', 'jam' }",
  },
  {
    name: 'NotIn namespace selector',
    sel: { matchExpressions: [{ key: 'toast', operator: 'NotIn', values: ['marmite', 'milk'] }] },
    role: 'namespace',
    want: "toast not in { 'marmite', 'milk' }",
  },
  { name: 'DoesNotExist pod selector', sel: { matchExpressions: [{ key: 'toast', operator: 'DoesNotExist' }] }, role: 'pod', want: `${ORCH} && ! has(toast)` },
  { name: 'nil pod selector', sel: undefined, role: 'pod', want: ORCH },
  { name: 'nil namespace selector', sel: undefined, role: 'namespace', want: '' },
  {
    name: 'matchLabels sorted, then expressions in order',
    sel: {
      matchLabels: { zone: 'a', app: 'web', 'example.com/tier': 'front' },
      matchExpressions: [
        { key: 'z', operator: 'Exists' },
        { key: 'a', operator: 'In', values: ['2', '1'] },
      ],
    },
    role: 'pod',
    want: `${ORCH} && app == 'web' && example.com/tier == 'front' && zone == 'a' && has(z) && a in { '2', '1' }`,
  },
  { name: 'byte order: upper case before lower case', sel: { matchLabels: { b: '1', B: '2', a: '3' } }, role: 'namespace', want: "B == '2' && a == '3' && b == '1'" },
  { name: 'unknown operator is skipped', sel: { matchExpressions: [{ key: 'x', operator: 'Equals', values: ['y'] }] }, role: 'pod', want: ORCH },
];
for (const c of selectorCases) {
  void test(`selector: ${c.name}`, () => assert.equal(k8sSelectorToCalico(c.sel, c.role), c.want));
}

// ---- ports
const portCases: [string, string | number | undefined, string | undefined][] = [
  ['80', 80, undefined],
  ['080', 80, undefined],
  ['0', 0, undefined],
  ['65535', 65535, undefined],
  ['65536', undefined, 'invalid port format (65536)'],
  ['80:90', '80:90', undefined],
  ['90:90', 90, undefined],
  ['90:80', undefined, 'minimum port number (90) is greater than maximum port number (80) in port range'],
  ['1:70000', undefined, 'invalid maximum port number in range (1:70000)'],
  ['70000:1', undefined, 'invalid minimum port number in range (70000:1)'],
  ['http', 'http', undefined],
  ['-5', '-5', undefined],
  ['http:90', undefined, 'invalid name for named port (http:90)'],
  ['', undefined, 'invalid name for named port ()'],
  ['a'.repeat(129), undefined, `invalid name for named port (${'a'.repeat(129)})`],
];
for (const [input, want, err] of portCases) {
  void test(`portFromString ${JSON.stringify(input.length > 20 ? `${input.slice(0, 8)}…` : input)}`, () => {
    const r = portFromString(input);
    if (r.ok) assert.deepEqual([portToJSON(r.value), undefined], [want, err]);
    else assert.deepEqual([undefined, r.error], [want, err]);
  });
}

const simplifyCases: [string, string[], (string | number)[]][] = [
  ['empty', [], []],
  ['one', ['80'], [80]],
  ['one range stays', ['80:90'], ['80:90']],
  ['adjacent singles', ['80', '81', '82', '9090', 'foo'], ['foo', '80:82', 9090]],
  ['overlapping ranges', ['1:10', '5:20', '22'], ['1:20', 22]],
  ['touching ranges', ['1:10', '11:20'], ['1:20']],
  ['duplicates', ['5', '5', '5'], [5]],
  ['named only keep order', ['b', 'a'], ['b', 'a']],
  ['one numeric among named keeps order', ['b', '7', 'a'], ['b', '7', 'a'].map((x) => (x === '7' ? 7 : x))],
];
for (const [name, input, want] of simplifyCases) {
  void test(`simplifyPorts: ${name}`, () => {
    const parsed = input.map((s) => {
      const r = portFromString(s);
      assert.ok(r.ok);
      return r.value;
    });
    assert.deepEqual(simplifyPorts(parsed).map(portToJSON), want);
  });
}

// ---- UID transform (vectors derived by hand: bit-reverse every byte but bytes 6 and 8)
const uidCases: [string, string | undefined][] = [
  ['30316465-6365-4463-ad63-3564622d3638', '0c8c26a6-c6a6-44c6-adc6-ac2646b46c1c'],
  ['{30316465-6365-4463-ad63-3564622d3638}', '0c8c26a6-c6a6-44c6-adc6-ac2646b46c1c'],
  ['urn:uuid:30316465-6365-4463-ad63-3564622d3638', '0c8c26a6-c6a6-44c6-adc6-ac2646b46c1c'],
  ['3031646563654463AD633564622D3638', '0c8c26a6-c6a6-44c6-adc6-ac2646b46c1c'],
  ['9a1b3c5d-0000-4000-8000-ffffffff0001', '59d83cba-0000-4000-8000-ffffffff0080'],
  ['30316465-6365-4463-ad63-3564622d363', undefined],
  ['30316465x6365-4463-ad63-3564622d3638', undefined],
  ['3031646g-6365-4463-ad63-3564622d3638', undefined],
  ['urx:uuid:30316465-6365-4463-ad63-3564622d3638', undefined],
];
for (const [input, want] of uidCases) {
  void test(`convertUID ${input}`, () => {
    const r = convertUID(input);
    assert.equal(r.ok ? r.value : undefined, want);
  });
}

void test('convertUID is an involution on the transformed bytes', () => {
  const once = convertUID('9a1b3c5d-0000-4000-8000-ffffffff0001');
  assert.ok(once.ok);
  const twice = convertUID(once.value);
  assert.ok(twice.ok);
  assert.equal(twice.value, '9a1b3c5d-0000-4000-8000-ffffffff0001');
});
