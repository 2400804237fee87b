import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFlows, evaluateFlow, loadSnapshot, runVerdicts, verdictMatrix, resolveFlow, decide } from './index.js';
import type { Resource } from '../model/meta.js';

const ns = (name: string, labels: Record<string, string> = {}): unknown => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
const pod = (namespace: string, name: string, ip: string, labels: Record<string, string>, node = 'n1'): unknown => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels },
  spec: { nodeName: node, containers: [{ name: 'c' }] },
  status: { podIP: ip },
});

const base = [
  ns('default'),
  pod('default', 'nginx', '10.0.0.5', { run: 'nginx' }),
  pod('default', 'access', '10.0.0.6', { run: 'access' }),
  pod('default', 'other', '10.0.0.7', { run: 'other' }, 'n2'),
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'access-nginx', namespace: 'default' },
    spec: { podSelector: { matchLabels: { run: 'nginx' } }, ingress: [{ from: [{ podSelector: { matchLabels: { run: 'access' } } }] }] },
  },
  {
    apiVersion: 'projectcalico.org/v3',
    kind: 'NetworkPolicy',
    metadata: { name: 'log-denied-packets', namespace: 'default' },
    spec: { selector: "projectcalico.org/orchestrator == 'k8s' && run == 'nginx'", order: 3000, types: ['Ingress'], ingress: [{ action: 'Log' }] },
  },
];

test('loadSnapshot reports invalid resources and builds from the rest', () => {
  const { snapshot, invalid } = loadSnapshot([...base, { apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name: 'bad' }, spec: { ingress: [{ action: 'allow' }] } }]);
  assert.equal(invalid.length, 1);
  assert.equal(invalid[0]!.name, 'bad');
  assert.equal(snapshot.workloads.length, 3);
});

test('Log does not end evaluation and is kept in the trace', () => {
  const { snapshot } = loadSnapshot(base);
  const v = evaluateFlow(snapshot, { from: 'default/other', to: 'default/nginx', port: 80 });
  assert.equal(v.action, 'Deny');
  const last = v.stages[v.stages.length - 1]!;
  assert.equal(last.stage, 'destinationIngress');
  assert.deepEqual(last.logged, [{ tier: 'default', policy: 'default/log-denied-packets', ruleIndex: 0, action: 'Log' }]);
  assert.deepEqual(last.decidedBy, { kind: 'endOfTier', tier: 'default', action: 'Deny' });
  assert.equal(last.nearMiss?.policy, 'default/knp.default.access-nginx');
});

test('runVerdicts prints the input fields, the action and the trace; unknown endpoints are errors', () => {
  const { snapshot } = loadSnapshot(base);
  const out = runVerdicts(snapshot, [
    { from: 'default/access', to: '10.0.0.5', port: 80, protocol: 'TCP' },
    { from: 'default/nope', to: '10.0.0.5', port: 80 },
  ]);
  assert.equal(out[0]!.action, 'Allow');
  assert.equal(out[0]!.port, 80);
  assert.equal(out[0]!.protocol, 'TCP');
  assert.ok(out[0]!.trace.length >= 2);
  assert.equal(out[1]!.action, 'Deny');
  assert.match(out[1]!.error ?? '', /unknown endpoint/);
});

test('runVerdicts takes decoded resources too', () => {
  const out = runVerdicts([] as Resource[], [{ from: '1.2.3.4', to: '5.6.7.8', port: 1 }]);
  assert.equal(out[0]!.action, 'Allow');
});

test('decodeFlows checks every flow', () => {
  const r = decodeFlows([{ from: 'a/b', to: '1.2.3.4', port: 80 }, { from: 1, to: 'x', port: 70000 }, 'x']);
  assert.equal(r.flows.length, 1);
  assert.deepEqual(r.errors, ['flows[1]: `from` must be a string', 'flows[1]: `port` must be an integer 0-65535', 'flows[2]: expected an object']);
});

test('verdictMatrix agrees with decide for every pair', () => {
  const { snapshot } = loadSnapshot(base);
  const m = verdictMatrix(snapshot, { port: 80 });
  const n = m.pods.length;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const r = resolveFlow(snapshot, { from: m.pods[i]!, to: m.pods[j]!, port: 80 });
      assert.ok(r.ok);
      const v = evaluateFlow(snapshot, { from: m.pods[i]!, to: m.pods[j]!, port: 80 });
      assert.equal(m.allowed[i * n + j] === 1, v.action === 'Allow', `${m.pods[i]} → ${m.pods[j]}`);
      assert.equal(decide(snapshot, r.flow), v.action === 'Allow');
    }
});

test('host endpoints: failsafe before untracked/preDNAT, untracked replies, no DNAT when untracked, forward chains see the pre-SNAT client', () => {
  const node = (name: string, internal: string, external: string): unknown => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    status: { addresses: [{ type: 'InternalIP', address: internal }, { type: 'ExternalIP', address: external }] },
  });
  const hep = (n: string, ip: string): unknown => ({
    apiVersion: 'projectcalico.org/v3',
    kind: 'HostEndpoint',
    metadata: { name: `${n}-public`, labels: { role: 'public' } },
    spec: { node: n, interfaceName: 'eth1', expectedIPs: [ip] },
  });
  const gnp = (name: string, spec: Record<string, unknown>): unknown => ({ apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name }, spec: { selector: "role == 'public'", ...spec } });
  const svc = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default' },
    spec: { type: 'LoadBalancer', selector: { app: 'web' }, clusterIP: '10.96.0.10', ports: [{ port: 80, targetPort: 80, nodePort: 30080 }] },
    status: { loadBalancer: { ingress: [{ ip: '192.0.2.80' }] } },
  };
  const cluster = [
    ns('default'),
    node('n1', '10.0.1.1', '192.0.2.1'),
    node('n2', '10.0.1.2', '192.0.2.2'),
    hep('n1', '192.0.2.1'),
    hep('n2', '192.0.2.2'),
    pod('default', 'web', '10.0.2.5', { app: 'web' }, 'n2'),
    svc,
  ];
  const client = '203.0.113.7';
  const verdict = (extra: unknown[], to: string, port: number, protocol = 'TCP'): string =>
    evaluateFlow(loadSnapshot([...cluster, ...extra] as Resource[]).snapshot, { from: client, to, port, protocol }).action;

  // Failsafe tcp/22 is accepted before untracked and preDNAT policy (Felix's raw/mangle chains).
  const denyAllRaw = gnp('raw-deny', { doNotTrack: true, applyOnForward: true, types: ['Ingress'], ingress: [{ action: 'Deny' }] });
  const denyAllPre = gnp('pre-deny', { preDNAT: true, applyOnForward: true, types: ['Ingress'], ingress: [{ action: 'Deny' }] });
  assert.equal(verdict([denyAllRaw], '192.0.2.1', 22), 'Allow');
  assert.equal(verdict([denyAllPre], '192.0.2.1', 22), 'Allow');
  assert.equal(verdict([denyAllRaw], '192.0.2.1', 10250), 'Deny');

  // Untracked allow in: the TCP reply needs an untracked allow out; a normal egress policy is no
  // return path (the SYN-ACK is INVALID to conntrack).
  const allowIn = (egress: boolean): unknown =>
    gnp('raw-allow', {
      doNotTrack: true,
      applyOnForward: true,
      types: egress ? ['Ingress', 'Egress'] : ['Ingress'],
      ingress: [{ action: 'Allow' }],
      ...(egress ? { egress: [{ action: 'Allow' }] } : {}),
    });
  const normalOut = gnp('out', { types: ['Egress'], egress: [{ action: 'Allow' }] });
  assert.equal(verdict([allowIn(false)], '192.0.2.1', 10250), 'Deny');
  assert.equal(verdict([allowIn(false), normalOut], '192.0.2.1', 10250), 'Deny');
  assert.equal(verdict([allowIn(false), normalOut], '192.0.2.1', 5000, 'UDP'), 'Allow');
  assert.equal(verdict([allowIn(true)], '192.0.2.1', 10250), 'Allow');

  // Untracked Service traffic is not DNATed: the LB IP is not reached.
  assert.equal(verdict([], '192.0.2.80', 80), 'Allow');
  assert.equal(verdict([allowIn(true)], '192.0.2.80', 80), 'Deny');

  // An applyOnForward policy on the entry node sees the client, not kube-proxy's masquerade.
  const fwd = gnp('fwd', { applyOnForward: true, types: ['Ingress'], ingress: [{ action: 'Deny', source: { nets: [`${client}/32`] } }, { action: 'Allow' }] });
  assert.equal(verdict([fwd], '192.0.2.80', 80), 'Deny');
  assert.equal(verdict([{ ...(fwd as { spec: object }), spec: { ...(fwd as { spec: object }).spec, applyOnForward: false } }], '192.0.2.80', 80), 'Allow');
});
