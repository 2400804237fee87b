import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSnapshot } from '../index.js';
import { lint } from './index.js';
import { decodeResource } from '../../model/validate-resource.js';
import type { Resource } from '../../model/meta.js';

function run(raws: unknown[]): { code: string; at: string; message: string }[] {
  const { snapshot, invalid } = loadSnapshot(raws);
  assert.deepEqual(invalid.map((i) => i.errors.map((e) => e.message)), []);
  const resources = raws.map((r) => {
    const d = decodeResource(r);
    assert.ok(d.ok);
    return d.value.resource as Resource;
  });
  return lint(resources, snapshot).map((f) => ({ code: f.code, at: `${f.resource.kind} ${f.resource.name} ${f.path.toString()}`, message: f.message }));
}

const ns = (name: string, labels: Record<string, string> = {}): unknown => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
const pod = (namespace: string, name: string, ip: string, labels: Record<string, string>, node = 'w1'): unknown => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels },
  spec: { nodeName: node, containers: [{ name: 'c' }] },
  status: { podIP: ip },
});
const gnp = (name: string, spec: Record<string, unknown>): unknown => ({ apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name }, spec });
const nodeRes = (name: string, ip: string): unknown => ({ apiVersion: 'v1', kind: 'Node', metadata: { name }, status: { addresses: [{ type: 'InternalIP', address: ip }] } });
const hep = (name: string, node: string, ip: string): unknown => ({
  apiVersion: 'projectcalico.org/v3',
  kind: 'HostEndpoint',
  metadata: { name, labels: { role: 'worker' } },
  spec: { node, interfaceName: 'eth0', expectedIPs: [ip] },
});

const base = [ns('default'), pod('default', 'web', '10.0.0.1', { app: 'web', tier: 'frontend' }), pod('default', 'db', '10.0.0.2', { app: 'db' })];

const cases: { name: string; input: unknown[]; want: { code: string; at: string; message?: RegExp }[] }[] = [
  {
    name: 'a peer selector with a capitalised key selects nothing, with the case hint',
    input: [
      ...base,
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'db-allow', namespace: 'default' },
        spec: { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ podSelector: { matchLabels: { Tier: 'frontend' } } }] }] },
      },
    ],
    want: [{ code: 'selector-matches-nothing', at: 'NetworkPolicy db-allow spec.ingress[0].from[0].podSelector.matchLabels[Tier]', message: /`Tier` is not `tier`/ }],
  },
  {
    name: 'a rule after a catch-all Deny is shadowed; a Log rule after it is unreachable',
    input: [...base, gnp('p', { selector: 'all()', types: ['Ingress'], ingress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: [80] } }, { action: 'Deny' }, { action: 'Allow', protocol: 'TCP', destination: { ports: [80] } }, { action: 'Log' }] })],
    want: [
      { code: 'rule-shadowed', at: 'GlobalNetworkPolicy p spec.ingress[2]', message: /redundant: rule 0/ },
      { code: 'log-unreachable', at: 'GlobalNetworkPolicy p spec.ingress[3]', message: /rule 1 \(Deny\)/ },
    ],
  },
  {
    name: 'port ranges and nets: narrower rules after wider ones are shadowed',
    input: [...base, gnp('p', { selector: 'all()', types: ['Egress'], egress: [{ action: 'Deny', destination: { nets: ['10.0.0.0/8'], ports: ['1:1024'] }, protocol: 'TCP' }, { action: 'Allow', protocol: 'TCP', destination: { nets: ['10.1.0.0/16'], ports: [443] } }, { action: 'Allow', protocol: 'UDP', destination: { ports: [53] } }] })],
    want: [{ code: 'rule-shadowed', at: 'GlobalNetworkPolicy p spec.egress[1]', message: /never reached: rule 0 \(Deny\)/ }],
  },
  {
    name: 'a Log policy behind a tier with no Pass is never reached',
    input: [
      ...base,
      { apiVersion: 'projectcalico.org/v3', kind: 'Tier', metadata: { name: 'security' }, spec: { order: 10 } },
      gnp('security.allow-web', { tier: 'security', selector: 'all()', types: ['Ingress'], ingress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: [80] } }] }),
      gnp('log-denied', { selector: 'all()', order: 3000, types: ['Ingress'], ingress: [{ action: 'Log' }] }),
    ],
    want: [{ code: 'log-unreachable', at: 'GlobalNetworkPolicy log-denied spec.ingress[0]', message: /tier security applies first and has no Pass/ }],
  },
  {
    name: 'the seed log-denied-packets pattern is fine (no finding)',
    input: [
      ...base,
      { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'web', namespace: 'default' }, spec: { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'db' } } }] }] } },
      { apiVersion: 'projectcalico.org/v3', kind: 'NetworkPolicy', metadata: { name: 'log-denied', namespace: 'default' }, spec: { selector: "app == 'web'", order: 3000, types: ['Ingress'], ingress: [{ action: 'Log' }] } },
    ],
    want: [],
  },
  {
    name: 'default-deny egress without DNS; with a DNS rule, nothing',
    input: [...base, { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny-egress', namespace: 'default' }, spec: { podSelector: {}, policyTypes: ['Egress'] } }],
    want: [
      { code: 'egress-without-dns', at: 'NetworkPolicy deny-egress spec.egress', message: /no egress rule allows UDP 53/ },
    ],
  },
  {
    name: 'an AdminNetworkPolicy egress rule alone is no default-deny (its tier passes by default)',
    input: [
      ...base,
      {
        apiVersion: 'policy.networking.k8s.io/v1alpha1',
        kind: 'AdminNetworkPolicy',
        metadata: { name: 'deny-web' },
        spec: { priority: 1, subject: { namespaces: {} }, egress: [{ action: 'Deny', to: [{ networks: ['192.0.2.0/24'] }], ports: [{ portNumber: { port: 80 } }] }] },
      },
    ],
    want: [],
  },
  {
    name: 'egress with DNS allowed is fine',
    input: [...base, { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny-egress', namespace: 'default' }, spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ port: 53, protocol: 'UDP' }] }] } }],
    want: [],
  },
  {
    // tcp:22 is taken out of the failsafe ports: Felix jumps to the failsafe chain first in the
    // mangle (preDNAT) chains too, so with the default ports a preDNAT deny of ssh cuts nothing.
    name: 'host endpoint policy that allows only HTTP cuts kubelet and VRRP between workers; preDNAT deny of ssh (not failsafe) locks the operator out',
    input: [
      { apiVersion: 'projectcalico.org/v3', kind: 'FelixConfiguration', metadata: { name: 'default' }, spec: { failsafeInboundHostPorts: [{ protocol: 'UDP', port: 68 }] } },
      nodeRes('w1', '10.10.0.1'),
      nodeRes('w2', '10.10.0.2'),
      hep('w1-eth0', 'w1', '10.10.0.1'),
      hep('w2-eth0', 'w2', '10.10.0.2'),
      gnp('web-only', { selector: "role == 'worker'", types: ['Ingress', 'Egress'], ingress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: [80] } }], egress: [{ action: 'Allow' }] }),
      gnp('no-ssh', { selector: "role == 'worker'", preDNAT: true, applyOnForward: true, order: 10, types: ['Ingress'], ingress: [{ action: 'Deny', protocol: 'TCP', destination: { ports: [22] } }] }),
    ],
    want: [
      { code: 'host-management-cut', at: 'GlobalNetworkPolicy no-ssh spec.ingress[0]', message: /SSH tcp:22 from outside the cluster/ },
      { code: 'host-management-cut', at: 'GlobalNetworkPolicy web-only spec.ingress', message: /kubelet tcp:10250 from node w2 to hep:w1-eth0.*VRRP from node w2/ },
    ],
  },
];

for (const c of cases)
  test(`lint: ${c.name}`, () => {
    const got = run(c.input);
    assert.deepEqual(
      got.map((g) => ({ code: g.code, at: g.at })),
      c.want.map((w) => ({ code: w.code, at: w.at })),
      JSON.stringify(got, null, 1),
    );
    c.want.forEach((w, i) => {
      if (w.message) assert.match(got[i]!.message, w.message);
    });
  });
