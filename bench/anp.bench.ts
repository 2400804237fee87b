/**
 * @module Cluster-admin policy benchmarks, one core: the existing policy load
 * (bench/engine-scale.bench.ts's cluster: per-namespace Kubernetes NetworkPolicies and
 * GlobalNetworkPolicies) with and without 100 AdminNetworkPolicies and the
 * BaselineAdminNetworkPolicy in front of and behind it:
 * - start of day: `buildSnapshot` of 100,000 endpoints × 2,000 policies (+ 101 admin policies);
 * - the 1,000-pod matrix (`verdictMatrix`, one port) over 1,000 pods × 100 policies (+ 101).
 * Each pair is reported with the ratio with/without (rounds interleaved, best of three each). The admin policies are realistic: subjects
 * by namespace label or by pod label, ingress and egress rules with namespaces, pods and
 * networks peers, port numbers, named ports and ranges, Allow, Deny and Pass; the BANP denies
 * ingress from other teams by default.
 */
import { buildSnapshot, verdictMatrix, type Snapshot } from '../src/engine/index.js';
import type { Resource } from '../src/model/meta.js';
import { cluster, type BenchResult } from './engine-scale.bench.js';

const GROUP = 'policy.networking.k8s.io/v1alpha1';
const APPS = ['web', 'api', 'db', 'cache', 'worker', 'batch', 'auth', 'search'];

/** `count` AdminNetworkPolicies (priorities 0..count-1) and the BaselineAdminNetworkPolicy `default`. */
export function adminPolicies(count: number): Resource[] {
  const out: Resource[] = [];
  for (let i = 0; i < count; i++) {
    const app = APPS[i % APPS.length]!;
    const peer = APPS[(i + 3) % APPS.length]!;
    const team = `t${i % 7}`;
    const subject = i % 2 === 0 ? { namespaces: { matchLabels: { team } } } : { pods: { namespaceSelector: {}, podSelector: { matchLabels: { app, version: `v${i % 3}` } } } };
    const action = (['Allow', 'Deny', 'Pass'] as const)[i % 3]!;
    const ports =
      i % 4 === 0 ? [{ portNumber: { protocol: 'TCP', port: 8080 } }] : i % 4 === 1 ? [{ namedPort: 'http' }] : i % 4 === 2 ? [{ portRange: { protocol: 'TCP', start: 8000, end: 8100 } }] : undefined;
    out.push({
      apiVersion: GROUP,
      kind: 'AdminNetworkPolicy',
      metadata: { name: `anp-${i}` },
      spec: {
        priority: i,
        subject,
        ingress: [
          { name: 'from-peer-team', action, from: [{ namespaces: { matchLabels: { team: `t${(i + 1) % 7}` } } }], ...(ports ? { ports } : {}) },
          { name: 'from-peer-app', action: 'Pass', from: [{ pods: { namespaceSelector: { matchLabels: { team } }, podSelector: { matchLabels: { app: peer } } } }] },
        ],
        egress: [
          { name: 'to-peer-app', action: i % 5 === 0 ? 'Deny' : 'Allow', to: [{ pods: { namespaceSelector: {}, podSelector: { matchLabels: { app: peer } } } }], ...(ports ? { ports } : {}) },
          { name: 'to-network', action: 'Deny', to: [{ networks: [`172.${16 + (i % 16)}.0.0/16`] }] },
        ],
      },
    } as Resource);
  }
  out.push({
    apiVersion: GROUP,
    kind: 'BaselineAdminNetworkPolicy',
    metadata: { name: 'default' },
    spec: {
      subject: { namespaces: {} },
      ingress: [
        { name: 'allow-same-team-0', action: 'Allow', from: [{ namespaces: { matchLabels: { team: 't0' } } }] },
        { name: 'deny-other-namespaces', action: 'Deny', from: [{ namespaces: {} }] },
      ],
      egress: [{ name: 'deny-private', action: 'Deny', to: [{ networks: ['10.128.0.0/9'] }] }],
    },
  } as Resource);
  return out;
}

/** The admin policies must be in the snapshot (an unknown kind dropped silently would measure nothing). */
function _check(s: Snapshot, base: number, admin: number): void {
  const n = s.enforced.policies.length;
  if (n < base + admin) throw new Error(`the snapshot has ${n} policies, want at least ${base} + ${admin} admin policies: are AdminNetworkPolicy and BaselineAdminNetworkPolicy known?`);
}

/** Best of three rounds of each of `fs`, interleaved (a, b, a, b, …), so a busy or warming machine biases neither. */
function _bestOf(fs: readonly (() => number)[]): number[] {
  const best = fs.map(() => Infinity);
  for (let round = 0; round < 3; round++) fs.forEach((f, i) => (best[i] = Math.min(best[i]!, f())));
  return best;
}

function _build(resources: readonly Resource[], check: (s: Snapshot) => void): () => number {
  return () => {
    const t0 = performance.now();
    const s = buildSnapshot(resources);
    const ms = performance.now() - t0;
    check(s);
    return ms;
  };
}

function _matrix(resources: readonly Resource[], check: (s: Snapshot) => void, classes: { n: number }): () => number {
  return () => {
    const s = buildSnapshot(resources);
    check(s);
    const t0 = performance.now();
    const m = verdictMatrix(s, { protocol: 'TCP', port: 8080 });
    const t = performance.now() - t0;
    classes.n = m.classes;
    return t;
  };
}

const r1 = (x: number): number => Math.round(x * 10) / 10;
const r2 = (x: number): number => Math.round(x * 100) / 100;

export async function run(): Promise<BenchResult[]> {
  const admin = adminPolicies(100);
  const none = (): void => undefined;

  const big = cluster(100_000, 2_000);
  const baseBig = buildSnapshot(big).enforced.policies.length;
  const [sodPlain, sodAdmin] = _bestOf([_build(big, none), _build([...big, ...admin], (s) => _check(s, baseBig, admin.length))]) as [number, number];

  const small = cluster(1_000, 100);
  const baseSmall = buildSnapshot(small).enforced.policies.length;
  const plainClasses = { n: 0 };
  const adminClasses = { n: 0 };
  const [mPlain, mAdmin] = _bestOf([_matrix(small, none, plainClasses), _matrix([...small, ...admin], (s) => _check(s, baseSmall, admin.length), adminClasses)]) as [number, number];
  await Promise.resolve();
  return [
    { name: 'start of day: 100,000 endpoints × 2,000 policies', value: Math.round(sodPlain), unit: 'ms', goal: 'informational' },
    { name: 'start of day: the same + 100 ANPs + BANP', value: Math.round(sodAdmin), unit: 'ms', goal: 'informational' },
    { name: 'start of day: with admin policies / without', value: r2(sodAdmin / sodPlain), unit: '×', goal: '<= 1.5' },
    { name: `1,000-pod matrix, one port, 100 policies (${plainClasses.n} classes)`, value: r1(mPlain), unit: 'ms', goal: 'informational' },
    { name: `1,000-pod matrix, the same + 100 ANPs + BANP (${adminClasses.n} classes)`, value: r1(mAdmin), unit: 'ms', goal: '< 1000' },
    { name: '1,000-pod matrix: with admin policies / without', value: r2(mAdmin / mPlain), unit: '×', goal: '<= 1.5' },
  ];
}
