/**
 * The pack `private-guardrails` (R7 for pods as AdminNetworkPolicy + BaselineAdminNetworkPolicy)
 * judged by the engine on a small cluster with the lab's address plan: what the ANP denies, a
 * namespace's NetworkPolicy cannot reopen; what the ANP always allows (DNS, the kubelet, the
 * monitoring namespace), a namespace's NetworkPolicy cannot close; what the BANP allows, a
 * namespace's NetworkPolicy can narrow.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';
import { checkExpectations, decodeExpectations, expandExpectations, loadSnapshot } from '../engine/index.js';
import { PACKS, renderPack } from './index.js';

const CLUSTER = `
apiVersion: v1
kind: Node
metadata: {name: w1, labels: {kubernetes.io/os: linux}}
status: {addresses: [{type: InternalIP, address: 198.18.0.11}, {type: ExternalIP, address: 198.18.1.11}]}
---
apiVersion: v1
kind: Node
metadata: {name: w2, labels: {kubernetes.io/os: linux}}
status: {addresses: [{type: InternalIP, address: 198.18.0.12}, {type: ExternalIP, address: 198.18.1.12}]}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Namespace
metadata: {name: monitoring}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {nodeName: w1, containers: [{name: c, ports: [{containerPort: 80}]}]}
status: {podIP: 198.19.1.10}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec: {nodeName: w2, containers: [{name: c, ports: [{containerPort: 5432}]}]}
status: {podIP: 198.19.2.10}
---
apiVersion: v1
kind: Pod
metadata: {name: other, namespace: default, labels: {app: other}}
spec: {nodeName: w2, containers: [{name: c}]}
status: {podIP: 198.19.2.11}
---
apiVersion: v1
kind: Pod
metadata: {name: prometheus, namespace: monitoring, labels: {app: prometheus}}
spec: {nodeName: w1, containers: [{name: c}]}
status: {podIP: 198.19.1.11}
`;

/** The shop team's own policies: db admits only web; web tries to reach the private network. */
const SHOP = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-reaches-private, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 198.18.0.0/24}}]
`;

const docs = (text: string): unknown[] => parseAllDocuments(text).map((d) => d.toJS() as unknown).filter((x) => x !== null);

function verdicts(resources: readonly unknown[], expectations: unknown): string[] {
  const { snapshot, invalid } = loadSnapshot(resources);
  assert.deepEqual(invalid.map((x) => `${x.kind} ${x.name}: ${x.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`), []);
  const decoded = decodeExpectations(expectations);
  assert.deepEqual(decoded.errors, []);
  const { cases, errors } = expandExpectations(snapshot, decoded);
  assert.deepEqual(errors, []);
  return checkExpectations(snapshot, cases)
    .filter((r) => !r.pass)
    .map((r) => `${r.case.name ?? ''}: ${r.case.flow.from} -> ${r.case.flow.to} ${String(r.case.flow.protocol)}/${r.case.flow.port ?? ''}: expected ${r.case.expect}, got ${r.actual.action}: ${r.actual.trace.map((s) => s.summary).join(' | ')}`);
}

const pack = PACKS.find((p) => p.name === 'private-guardrails');

test('private-guardrails renders with the cluster private networks and validates', () => {
  assert.ok(pack !== undefined);
  const r = renderPack(pack, {}, { privateNets: '198.18.0.0/24' });
  assert.ok(r.ok, r.ok ? '' : r.error.join('; '));
  assert.deepEqual(
    r.value.manifests.map((m) => `${String(m['kind'])}/${String((m['metadata'] as { name: string }).name)}`),
    ['AdminNetworkPolicy/private-guardrails', 'BaselineAdminNetworkPolicy/default'],
  );
  const { invalid } = loadSnapshot(r.value.manifests);
  assert.deepEqual(invalid, []);
});

test('private-guardrails: a namespace cannot reopen what the ANP denies, nor close what it always allows, but can narrow the BANP', () => {
  assert.ok(pack !== undefined);
  const r = renderPack(pack, {}, { privateNets: '198.18.0.0/24' });
  assert.ok(r.ok);
  const system = '198.18.0.250';
  // Without the pack, the shop team's own policy opens the private network to web.
  assert.deepEqual(verdicts([...docs(CLUSTER), ...docs(SHOP)], [{ from: 'shop/web', to: system, port: 22, expect: 'Allow' }]), []);
  const all = [...docs(CLUSTER), ...docs(SHOP), ...r.value.manifests];
  assert.deepEqual(
    verdicts(all, [
      { name: 'the ANP denies the private network; the namespace policy cannot reopen it', from: 'shop/web', to: system, port: 22, expect: 'Deny' },
      { name: 'nor for pods without a policy', from: 'default/other', to: system, port: 443, expect: 'Deny' },
      { name: "a worker's private address is private too", from: 'default/other', to: 'node:w1', port: 22, expect: 'Deny' },
      { name: 'DNS is always allowed', from: 'shop/web', to: system, port: 53, protocol: 'UDP', expect: 'Allow' },
      { name: 'DNS over TCP too', from: 'default/other', to: system, port: 53, expect: 'Allow' },
      { name: 'the kubelet is always allowed', from: 'default/other', to: 'node:w1', port: 10250, expect: 'Allow' },
      { name: 'public addresses: the BANP allows', from: 'default/other', to: '198.18.1.11', port: 443, expect: 'Allow' },
      { name: 'public addresses: web has its own egress policy, which narrows the BANP', from: 'shop/web', to: '198.18.1.11', port: 443, expect: 'Deny' },
      { name: 'the BANP lets pods reach each other', from: 'default/other', to: 'shop/web', port: 80, expect: 'Allow' },
      { name: "db-from-web narrows the BANP: only web reaches db", from: 'default/other', to: 'shop/db', port: 5432, expect: 'Deny' },
      { name: 'web reaches db? web egress is only the private network, so no', from: 'shop/web', to: 'shop/db', port: 5432, expect: 'Deny' },
      { name: 'monitoring always reaches every pod, db-from-web notwithstanding', from: 'monitoring/prometheus', to: 'shop/db', port: 5432, expect: 'Allow' },
    ]),
    [],
  );
});
