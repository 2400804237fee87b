import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Resource } from '../../model/meta.js';
import type { FlowEndpoint, FlowRecord } from '../../model/flows.js';
import { loadSnapshot } from '../snapshot.js';
import { evaluateFlow } from '../verdicts.js';
import { buildSnapshot } from '../snapshot.js';
import { enforcedWith, identifyingLabels, proveRecommendation, recommend, stableLabels, type Recommendation } from './index.js';

const ns = (name: string): unknown => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
const pod = (namespace: string, name: string, ip: string, labels: Record<string, string>, ports: number[] = [], node = 'n1'): unknown => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels },
  spec: { nodeName: node, containers: [{ name: 'c', ports: ports.map((p) => ({ containerPort: p })) }] },
  status: { podIP: ip },
});

/** Three workloads in `shop` (two frontend replicas, backend, db), a scraper in `mon`, an unrelated pod. */
const RAW = [
  ns('shop'),
  ns('mon'),
  pod('shop', 'frontend-7d9f-abcde', '10.0.0.10', { app: 'frontend', 'pod-template-hash': '7d9f' }, [8080]),
  pod('shop', 'frontend-7d9f-fghij', '10.0.0.11', { app: 'frontend', 'pod-template-hash': '7d9f' }, [8080], 'n2'),
  pod('shop', 'backend-5c4b-klmno', '10.0.0.20', { app: 'backend', tier: 'api', 'pod-template-hash': '5c4b' }, [9000, 9090]),
  pod('shop', 'db-0', '10.0.0.30', { app: 'db', 'statefulset.kubernetes.io/pod-name': 'db-0', 'controller-revision-hash': 'db-6f' }, [5432]),
  pod('shop', 'debug', '10.0.0.40', { app: 'debug' }, [22]),
  pod('mon', 'prom-0', '10.0.1.5', { app: 'prometheus', 'statefulset.kubernetes.io/pod-name': 'prom-0' }),
];
const RESOURCES: Resource[] = (() => {
  const { snapshot, invalid } = loadSnapshot(RAW);
  assert.deepEqual(invalid, []);
  void snapshot;
  return RAW as Resource[];
})();

const wep = (namespace: string, name: string, ip: string, labels: Record<string, string>): FlowEndpoint => ({ kind: 'wep', namespace, name, ip, labels });
const net = (ip: string): FlowEndpoint => ({ kind: 'net', namespace: '', name: '', ip, labels: {} });

function record(source: FlowEndpoint, dest: FlowEndpoint, protocol: string, destPort: number, reporter: 'src' | 'dst' = 'dst', action: 'allow' | 'deny' = 'allow'): FlowRecord {
  return { startTime: 0, endTime: 15_000, reporter, nodes: ['n1'], source, dest, protocol, destPort, action, enforced: [], pending: [], connections: 1, packetsOut: 3, bytesOut: 180, packetsIn: 2, bytesIn: 120 };
}

const FE1 = wep('shop', 'frontend-7d9f-abcde', '10.0.0.10', { app: 'frontend', 'pod-template-hash': '7d9f' });
const FE2 = wep('shop', 'frontend-7d9f-fghij', '10.0.0.11', { app: 'frontend', 'pod-template-hash': '7d9f' });
const BE = wep('shop', 'backend-5c4b-klmno', '10.0.0.20', { app: 'backend', tier: 'api', 'pod-template-hash': '5c4b' });
const DB = wep('shop', 'db-0', '10.0.0.30', { app: 'db', 'statefulset.kubernetes.io/pod-name': 'db-0', 'controller-revision-hash': 'db-6f' });
const PROM = wep('mon', 'prom-0', '10.0.1.5', { app: 'prometheus', 'statefulset.kubernetes.io/pod-name': 'prom-0' });

/** The known pattern: frontends → backend TCP 9000 (both reporters), backend → db TCP 5432, prom → backend 9090, backend → outside 443, a denied flow. */
const RECORDS: FlowRecord[] = [
  record(FE1, BE, 'tcp', 9000, 'src'),
  record(FE1, BE, 'tcp', 9000, 'dst'),
  record(FE2, BE, 'tcp', 9000, 'dst'),
  record(BE, DB, 'tcp', 5432, 'dst'),
  record(PROM, BE, 'tcp', 9090, 'dst'),
  record(BE, net('198.18.200.7'), 'tcp', 443, 'src'),
  record(BE, net('198.18.200.8'), 'tcp', 443, 'src'),
  record(FE1, DB, 'tcp', 5432, 'src', 'deny'),
];

test('stable labels drop per-instance ones; identifying labels are the shortest well-known prefix that is unique', () => {
  assert.deepEqual(stableLabels({ app: 'x', 'pod-template-hash': 'abc', 'projectcalico.org/namespace': 'n' }), { app: 'x' });
  assert.deepEqual(identifyingLabels({ app: 'web', tier: 'fe', team: 'a' }, [{ app: 'db' }]), { app: 'web' });
  // `app` alone also selects another workload: add `tier`
  assert.deepEqual(identifyingLabels({ app: 'web', tier: 'fe', team: 'a' }, [{ app: 'web', tier: 'be' }]), { app: 'web', tier: 'fe' });
  // no well-known key: every stable label
  assert.deepEqual(identifyingLabels({ team: 'a', role: 'x' }, []), { team: 'a', role: 'x' });
});

test('three workloads talking in a known pattern → one policy each, admitting exactly what was seen (Calico kind)', () => {
  const snap = buildSnapshot(RESOURCES);
  const rec = recommend(snap, RECORDS, { kind: 'calico', namespace: 'shop' });
  assert.deepEqual(
    rec.proposals.map((p) => `${p.policy.kind} ${p.policy.metadata?.namespace}/${p.policy.metadata?.name}`),
    ['StagedNetworkPolicy shop/recommended-backend', 'StagedNetworkPolicy shop/recommended-db', 'StagedNetworkPolicy shop/recommended-frontend'],
  );
  const be = rec.proposals[0]!;
  assert.deepEqual((be.policy as unknown as { spec: unknown }).spec, {
    stagedAction: 'Set',
    tier: 'default',
    selector: "app == 'backend'",
    types: ['Ingress', 'Egress'],
    ingress: [
      { action: 'Allow', protocol: 'TCP', source: { selector: "app == 'prometheus'", namespaceSelector: "kubernetes.io/metadata.name == 'mon'" }, destination: { ports: [9090] } },
      { action: 'Allow', protocol: 'TCP', source: { selector: "app == 'frontend'" }, destination: { ports: [9000] } },
    ],
    egress: [
      { action: 'Allow', protocol: 'TCP', destination: { selector: "app == 'db'", ports: [5432] } },
      { action: 'Allow', protocol: 'TCP', destination: { selector: "tabby.dev/network-set == 'recommended-backend-egress'", ports: [443] } },
    ],
  });
  assert.deepEqual(be.networkSets.map((s) => (s as unknown as { spec: unknown }).spec), [{ nets: ['198.18.200.7/32', '198.18.200.8/32'] }]);
  assert.deepEqual(be.admits, [
    "ingress from workload mon/prometheus (app=prometheus): TCP 9090",
    "ingress from workload shop/frontend (app=frontend): TCP 9000",
    "egress to workload shop/db (app=db): TCP 5432",
    'egress to outside the cluster, network set recommended-backend-egress (198.18.200.7/32, 198.18.200.8/32): TCP 443',
  ]);
  assert.deepEqual(rec.proposals[2]!.admits, ['ingress: nothing (none observed)', 'egress to workload shop/backend (app=backend): TCP 9000']);
  // deterministic: the records in another order give the same output
  const again = recommend(snap, [...RECORDS].reverse(), { kind: 'calico', namespace: 'shop' });
  assert.deepEqual(again, rec);
});

test('the proof: every observed flow kept, nothing extra opened; the policies enforced deny what was never seen', () => {
  const rec = recommend(buildSnapshot(RESOURCES), RECORDS, { kind: 'calico', namespace: 'shop' });
  const proof = proveRecommendation(RESOURCES, rec);
  assert.deepEqual(proof.cut, []);
  assert.equal(proof.kept.length, rec.observed.length);
  assert.equal(proof.kept.length, 6); // fe1→be, fe2→be, be→db, prom→be, be→2 outside
  assert.deepEqual(proof.extra, []);
  const after = buildSnapshot(enforcedWith(RESOURCES, rec));
  assert.equal(evaluateFlow(after, { from: 'shop/frontend-7d9f-abcde', to: 'shop/db-0', port: 5432 }).action, 'Deny');
  assert.equal(evaluateFlow(after, { from: 'shop/debug', to: 'shop/backend-5c4b-klmno', port: 9000 }).action, 'Deny');
  assert.equal(evaluateFlow(after, { from: 'shop/backend-5c4b-klmno', to: '198.18.200.9', port: 443 }).action, 'Deny');
  assert.equal(evaluateFlow(after, { from: 'shop/frontend-7d9f-fghij', to: 'shop/backend-5c4b-klmno', port: 9000 }).action, 'Allow');
});

test('the proof catches a deliberately broken proposal (a rule removed): the flow it carried is cut', () => {
  const rec = recommend(buildSnapshot(RESOURCES), RECORDS, { kind: 'calico', namespace: 'shop' });
  const db = rec.proposals.find((p) => p.workload.name === 'db')!;
  const spec = (db.policy as unknown as { spec: { ingress: unknown[] } }).spec;
  const broken: Recommendation = { ...rec, proposals: rec.proposals.map((p) => (p === db ? { ...p, policy: { ...p.policy, spec: { ...spec, ingress: [] } } as Resource } : p)) };
  const proof = proveRecommendation(RESOURCES, broken);
  assert.deepEqual(
    proof.cut.map((c) => `${c.flow.fromText} → ${c.flow.toText} ${c.flow.protocol} ${c.flow.port}`),
    ['workload shop/backend (app=backend) → workload shop/db (app=db) TCP 5432'],
  );
  assert.match(proof.cut[0]!.reason!, /destinationIngress shop\/db-0: end of tier default: Deny/);
});

test('the proof lists what a too-wide proposal opens beyond the observed classes', () => {
  const rec = recommend(buildSnapshot(RESOURCES), RECORDS, { kind: 'calico', namespace: 'shop' });
  const be = rec.proposals.find((p) => p.workload.name === 'backend')!;
  const spec = (be.policy as unknown as { spec: { ingress: Record<string, unknown>[] } }).spec;
  // widen: the frontend rule now admits every pod of the namespace
  const wide = { ...spec, ingress: [spec.ingress[0]!, { action: 'Allow', protocol: 'TCP', source: { selector: 'all()' }, destination: { ports: [9000] } }] };
  const widened: Recommendation = { ...rec, proposals: rec.proposals.map((p) => (p === be ? { ...p, policy: { ...p.policy, spec: wide } as Resource } : p)) };
  const proof = proveRecommendation(RESOURCES, widened);
  assert.equal(proof.cut.length, 0);
  // debug → backend 9000 is new; db → backend is closed by db's own egress policy
  assert.deepEqual(proof.extra.map((e) => `${e.from} → ${e.to} ${e.protocol}/${e.port}${e.newly ? ' (opened)' : ''}`), ['shop/debug → shop/backend TCP/9000']);
});

test('Kubernetes kind: podSelector/namespaceSelector peers, ipBlocks outside, ICMP widens to every protocol and says so', () => {
  const records = [...RECORDS, record(FE1, BE, 'icmp', 0, 'dst')];
  const rec = recommend(buildSnapshot(RESOURCES), records, { kind: 'k8s', namespace: 'shop' });
  const be = rec.proposals.find((p) => p.workload.name === 'backend')!;
  assert.equal(be.policy.kind, 'StagedKubernetesNetworkPolicy');
  assert.deepEqual((be.policy as unknown as { spec: unknown }).spec, {
    stagedAction: 'Set',
    podSelector: { matchLabels: { app: 'backend' } },
    policyTypes: ['Ingress', 'Egress'],
    ingress: [
      { from: [{ podSelector: { matchLabels: { app: 'prometheus' } }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'mon' } } }], ports: [{ protocol: 'TCP', port: 9090 }] },
      { from: [{ podSelector: { matchLabels: { app: 'frontend' } } }] },
    ],
    egress: [
      { to: [{ podSelector: { matchLabels: { app: 'db' } } }], ports: [{ protocol: 'TCP', port: 5432 }] },
      { to: [{ ipBlock: { cidr: '198.18.200.7/32' } }], ports: [{ protocol: 'TCP', port: 443 }] },
      { to: [{ ipBlock: { cidr: '198.18.200.8/32' } }], ports: [{ protocol: 'TCP', port: 443 }] },
    ],
  });
  assert.match(be.admits[1]!, /^ingress from workload shop\/frontend \(app=frontend\): every protocol and port \(ICMP; TCP 9000 seen; a Kubernetes NetworkPolicy cannot name ICMP\)$/);
  const proof = proveRecommendation(RESOURCES, rec);
  assert.equal(proof.cut.length, 0);
  assert.equal(proof.kept.length, rec.observed.length);
  // frontend → backend on every protocol: the matrix shows the widening on every other port it compares
  assert.deepEqual(proof.ports.map((p) => `${p.protocol}/${p.port}`), ['ICMP/0', 'TCP/22', 'TCP/443', 'TCP/5432', 'TCP/8080', 'TCP/9000', 'TCP/9090']);
  assert.deepEqual(
    proof.extra.map((e) => `${e.from} → ${e.to} ${e.protocol}/${e.port}`),
    ['shop/frontend → shop/backend TCP/22', 'shop/frontend → shop/backend TCP/443', 'shop/frontend → shop/backend TCP/5432', 'shop/frontend → shop/backend TCP/8080', 'shop/frontend → shop/backend TCP/9090'],
  );
  // unstaged: a networking.k8s.io NetworkPolicy
  assert.equal(recommend(buildSnapshot(RESOURCES), records, { kind: 'k8s', namespace: 'shop', staged: false }).proposals[0]!.policy.apiVersion, 'networking.k8s.io/v1');
});

test('an observed flow whose peer cannot be named (a pod without labels) is kept out of the rules and shows as cut', () => {
  const raw = [...RAW, pod('shop', 'bare', '10.0.0.50', {})];
  const bare = wep('shop', 'bare', '10.0.0.50', {});
  const rec = recommend(buildSnapshot(raw as Resource[]), [...RECORDS, record(bare, DB, 'tcp', 5432)], { kind: 'calico', namespace: 'shop' });
  assert.ok(rec.notes.some((n) => /bare has no labels/.test(n)), rec.notes.join('\n'));
  const proof = proveRecommendation(raw as Resource[], rec);
  assert.equal(proof.cut.length, 1);
  assert.equal(proof.cut[0]!.flow.from, 'shop/bare');
});
