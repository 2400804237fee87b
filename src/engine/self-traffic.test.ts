/**
 * A pod's traffic to its own address is not policed (as in Calico: it never leaves the pod's
 * network namespace), in the trace, the fast path, the matrix and What-if; through a Service IP
 * that DNATs back to the same pod (hairpin) it is policed like any other pod → pod flow.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyChanges, decide, diffVerdicts, evaluateFlow, loadSnapshot, resolveFlow, verdictMatrix } from './index.js';
import type { Resource } from '../model/meta.js';

const pod = (name: string, ip: string, labels: Record<string, string>, node = 'n1'): Resource =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels },
    spec: { nodeName: node, containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 80 }] }] },
    status: { podIP: ip },
  }) as Resource;

const denyAll: Resource = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'deny-all', namespace: 'default' },
  spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
} as Resource;

const svc: Resource = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'nginx', namespace: 'default' },
  spec: { selector: { run: 'nginx' }, clusterIP: '10.96.0.80', ports: [{ port: 80, targetPort: 80 }] },
} as Resource;

const cluster: Resource[] = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } } as Resource,
  // Two pods with identical labels on one node: one equivalence class.
  pod('nginx', '10.0.0.5', { run: 'nginx' }),
  pod('nginx2', '10.0.0.6', { run: 'nginx' }),
  pod('lonely', '10.0.0.7', { run: 'lonely' }),
  svc,
];

test('verdict default/nginx → default/nginx:80 is Allow under a deny-all, with a trace saying why', () => {
  const { snapshot } = loadSnapshot([...cluster, denyAll]);
  for (const to of ['default/nginx', '10.0.0.5']) {
    const v = evaluateFlow(snapshot, { from: 'default/nginx', to, port: 80 });
    assert.equal(v.action, 'Allow', to);
    assert.equal(v.stages.length, 1);
    const s = v.stages[0]!;
    assert.equal(s.endpoint, 'default/nginx');
    assert.equal(s.action, 'Allow');
    assert.match(s.summary, /own address .*network namespace/);
    assert.deepEqual(s.decidedBy?.kind, 'default');
  }
  // Any protocol, any port.
  assert.equal(evaluateFlow(snapshot, { from: 'default/nginx', to: 'default/nginx', protocol: 'ICMP' }).action, 'Allow');
  assert.equal(evaluateFlow(snapshot, { from: 'default/nginx', to: 'default/nginx', port: 53, protocol: 'UDP' }).action, 'Allow');
  // The other pod of the same class is still denied, in both directions.
  assert.equal(evaluateFlow(snapshot, { from: 'default/nginx', to: 'default/nginx2', port: 80 }).action, 'Deny');
  assert.equal(evaluateFlow(snapshot, { from: 'default/nginx2', to: 'default/nginx', port: 80 }).action, 'Deny');
});

test('hairpin through a Service ClusterIP is policed (it crosses the pod interface twice)', () => {
  const { snapshot } = loadSnapshot([...cluster, denyAll]);
  const v = evaluateFlow(snapshot, { from: 'default/nginx', to: '10.96.0.80', port: 80 });
  assert.equal(v.action, 'Deny');
  assert.ok(v.backends !== undefined && v.backends.some((b) => b.backend === 'default/nginx' && b.action === 'Deny'));
  const open = loadSnapshot(cluster).snapshot;
  assert.equal(evaluateFlow(open, { from: 'default/nginx', to: '10.96.0.80', port: 80 }).action, 'Allow');
});

test('decide and the matrix allow the self-pairs and nothing else that the trace denies', () => {
  const { snapshot } = loadSnapshot([...cluster, denyAll]);
  // decide first (a memo filled by a self-pair must not leak into the class pair).
  for (const order of [0, 1]) {
    const snap = loadSnapshot([...cluster, denyAll]).snapshot;
    const keys = snap.workloads.map((w) => w.key);
    const pairs = keys.flatMap((a) => keys.map((b) => [a, b] as const));
    if (order === 1) pairs.reverse();
    for (const [a, b] of pairs) {
      const r = resolveFlow(snap, { from: a, to: b, port: 80 });
      assert.ok(r.ok);
      assert.equal(decide(snap, r.flow), a === b, `${a} → ${b}`);
    }
  }
  const m = verdictMatrix(snapshot, { port: 80 });
  const n = m.pods.length;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) assert.equal(m.allowed[i * n + j], i === j ? 1 : 0, `${m.pods[i]} → ${m.pods[j]}`);
});

test('a class of two pods: the class pair is judged between the two, not from the self-pair', () => {
  const allowSelfClass: Resource = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'only-lonely', namespace: 'default' },
    spec: { podSelector: { matchLabels: { run: 'nginx' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { run: 'lonely' } } }] }] },
  } as Resource;
  const { snapshot } = loadSnapshot([...cluster, allowSelfClass]);
  const m = verdictMatrix(snapshot, { port: 80 });
  const at = (a: string, b: string): number => m.allowed[m.pods.indexOf(a) * m.pods.length + m.pods.indexOf(b)]!;
  assert.equal(at('default/nginx', 'default/nginx'), 1);
  assert.equal(at('default/nginx', 'default/nginx2'), 0);
  assert.equal(at('default/nginx2', 'default/nginx'), 0);
  assert.equal(at('default/lonely', 'default/nginx'), 1);
});

test('What-if: self-pairs never flip', () => {
  const before = loadSnapshot(cluster).snapshot;
  const after = loadSnapshot(applyChanges(cluster, { apply: [denyAll], remove: [] })).snapshot;
  const flips = diffVerdicts(before, after, [{ protocol: 'TCP', port: 80 }]);
  assert.ok(flips.length > 0);
  assert.equal(flips.filter((f) => f.from === f.to).length, 0);
  assert.equal(flips.length, 3 * 3 - 3);
});
