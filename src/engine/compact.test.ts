import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildSnapshot, decide, evaluateFlow, resolveFlow, verdictMatrix } from './index.js';
import type { Resource } from '../model/meta.js';

const pod = (namespace: string, name: string, ip: string, labels: Record<string, string>, extra: { hostNetwork?: boolean } = {}): Resource =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels },
    spec: { nodeName: 'n1', containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 80 }] }], ...extra },
    status: { podIP: ip },
  }) as Resource;

test('duplicate pods: the last one wins, also when it is skipped', () => {
  const a = pod('default', 'a', '10.0.0.1', { app: 'x' });
  const a2 = pod('default', 'a', '10.0.0.2', { app: 'y' });
  const b = pod('default', 'b', '10.0.0.3', {});
  const bHost = pod('default', 'b', '10.0.0.3', {}, { hostNetwork: true });
  const s = buildSnapshot([a, b, a2, bHost]);
  assert.deepEqual(s.workloads.map((w) => `${w.key} ${w.ips[0]!.text} ${w.labels['app']}`), ['default/a 10.0.0.2 y']);
  assert.equal(s.workloadByIp.get('10.0.0.1'), undefined);
  assert.equal(s.workloadByKey.get('default/a'), s.workloads[0]);
});

test('a shared address is reported once per later owner, in workload order', () => {
  const s = buildSnapshot([pod('ns', 'c', '10.0.0.9', {}), pod('ns', 'a', '10.0.0.9', {}), pod('ns', 'b', '10.0.0.9', {})]);
  assert.deepEqual(s.problems.map((p) => `${p.resource}: ${p.message}`), [
    'Pod ns/b: IP 10.0.0.9 is also used by ns/a',
    'Pod ns/c: IP 10.0.0.9 is also used by ns/a',
  ]);
  assert.equal(s.workloadByIp.get('10.0.0.9')?.key, 'ns/a');
});

test('pods with equal labels share one label set; their fields stay their own', () => {
  const s = buildSnapshot([pod('ns', 'a', '10.0.0.1', { app: 'x' }), pod('ns', 'b', '10.0.0.2', { app: 'x' }), pod('other', 'c', '10.0.0.3', { app: 'x' })]);
  const [a, b, c] = s.workloads;
  assert.equal(a!.labels, b!.labels);
  assert.notEqual(a!.labels, c!.labels);
  assert.ok(Object.isFrozen(a!.labels));
  assert.deepEqual([a!.namespace, a!.serviceAccount, a!.profiles, a!.kind], ['ns', 'default', ['kns.ns', 'ksa.ns.default'], 'workload']);
  assert.equal(c!.labels['projectcalico.org/namespace'], 'other');
});

// Random clusters with few label values, so label sets repeat and selectors of every shape
// (restricted, unrestricted, never-matching) meet them: the matrix (classes from the restriction
// index, shared label-set memos) must agree with the traced evaluation of every pair.
const arbLabels = fc.dictionary(fc.constantFrom('app', 'tier'), fc.constantFrom('a', 'b'), { maxKeys: 2 });
const arbSel = fc.constantFrom('all()', "app == 'a'", "app in {'a', 'b'} && has(tier)", "!(app == 'a')", "tier == 'b' || app == 'b'", "app == 'a' && app == 'b'", 'has(tier)');
const arbPolicy = fc.record({ sel: arbSel, peer: arbSel, action: fc.constantFrom('Allow', 'Deny'), ns: fc.constantFrom('n1', 'n2'), port: fc.constantFrom(80, 81) });

test('matrix, decide and evaluateFlow agree on random clusters', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.constantFrom('n1', 'n2'), arbLabels), { minLength: 1, maxLength: 7 }), fc.array(arbPolicy, { maxLength: 4 }), (pods, policies) => {
      const res: Resource[] = pods.map(([ns, labels], i) => pod(ns, `p${i}`, `10.0.1.${i + 1}`, labels));
      policies.forEach((p, i) =>
        res.push({
          apiVersion: 'projectcalico.org/v3',
          kind: 'NetworkPolicy',
          metadata: { name: `pol${i}`, namespace: p.ns },
          spec: { selector: p.sel, order: i, types: ['Ingress'], ingress: [{ action: p.action, protocol: 'TCP', source: { selector: p.peer, namespaceSelector: 'all()' }, destination: { ports: [p.port] } }] },
        } as Resource),
      );
      const snap = buildSnapshot(res);
      const m = verdictMatrix(snap, { protocol: 'TCP', port: 80 });
      const n = m.pods.length;
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          const f = { from: m.pods[i]!, to: m.pods[j]!, port: 80 };
          const want = evaluateFlow(snap, f).action === 'Allow';
          assert.equal(m.allowed[i * n + j] === 1, want, `${f.from} → ${f.to}`);
          const r = resolveFlow(snap, f);
          assert.ok(r.ok);
          assert.equal(decide(snap, r.flow), want);
        }
    }),
    { numRuns: 60 },
  );
});

test('named container ports are interned by their raw values', () => {
  const withPorts = (name: string, ip: string, ports: { name?: string; containerPort: number; protocol?: string }[], init: typeof ports = []): Resource =>
    ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'ns' },
      spec: { containers: [{ name: 'c', ports }], initContainers: [{ name: 'i', ports: init }] },
      status: { podIP: ip },
    }) as Resource;
  const s = buildSnapshot([
    withPorts('a', '10.0.0.1', [{ name: 'http', containerPort: 80 }]),
    withPorts('b', '10.0.0.2', [{ name: 'http', containerPort: 80 }]),
    withPorts('c', '10.0.0.3', [{ name: 'http', containerPort: 80, protocol: 'UDP' }]),
    withPorts('d', '10.0.0.4', [{ containerPort: 80 }], [{ name: 'dns', containerPort: 53, protocol: 'UDP' }]),
    withPorts('e', '10.0.0.5', [{ containerPort: 80 }]),
  ]);
  const [a, b, c, d, e] = s.workloads;
  assert.equal(a!.namedPorts, b!.namedPorts);
  assert.deepEqual(a!.namedPorts, [{ name: 'http', proto: 6, port: 80 }]);
  assert.deepEqual(c!.namedPorts, [{ name: 'http', proto: 17, port: 80 }]);
  assert.deepEqual(d!.namedPorts, [{ name: 'dns', proto: 17, port: 53 }]);
  assert.deepEqual(e!.namedPorts, []);
});
