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
