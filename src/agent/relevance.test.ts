/**
 * Agent-side filtering (relevance.ts), checked against the engine itself: random clusters, random
 * Pod changes anywhere; whenever `podChangeMatters` says a change cannot touch node n1, the
 * desired state computed after it must be deep-equal to the one before. And the loop with a real
 * Syncer skips exactly such passes while programming the same state as a loop that never skips.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { buildSnapshot, computeDesiredState } from '../engine/index.js';
import { decodeResource } from '../model/validate-resource.js';
import type { Resource } from '../model/meta.js';
import type { StoredObject } from '../datastore/index.js';
import { footprint, podChangeMatters } from './relevance.js';
import { mulberry32 } from '../lib/prng.js';

const rng = mulberry32;

const decode = (o: unknown): Resource => {
  const r = decodeResource(o);
  if (!r.ok) throw new Error(`test fixture does not decode: ${r.error.map((e) => e.path.toString()).join(', ')}`);
  return r.value.resource;
};

const APPS = ['web', 'db', 'cache', 'batch', 'edge'];
const NODES = ['n1', 'n2', 'n3', 'n4'];

function pod(r: () => number, ns: string, i: number): StoredObject {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const named = r() < 0.3;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p${i}`, namespace: ns, labels: { app: pick(APPS), ...(r() < 0.3 ? { tier: pick(['front', 'back']) } : {}) } },
    spec: { nodeName: pick(NODES), containers: [{ name: 'c', ...(named ? { ports: [{ name: 'http', containerPort: 8000 + Math.floor(r() * 3), protocol: 'TCP' }] } : {}) }] },
    ...(r() < 0.9 ? { status: { podIP: `198.18.${Math.floor(r() * 4)}.${1 + Math.floor(r() * 250)}` } } : {}),
  } as StoredObject;
}

function cluster(seed: number): { fixed: Resource[]; pods: Map<string, StoredObject> } {
  const r = rng(seed);
  const fixed: Resource[] = [];
  for (const ns of ['shop', 'bank']) fixed.push(decode({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { team: ns, ...(r() < 0.5 ? { env: 'prod' } : {}) } } }));
  // policies selecting local pods, with peers by pod selector, namespace selector and named port
  fixed.push(
    decode({
      apiVersion: 'projectcalico.org/v3',
      kind: 'NetworkPolicy',
      metadata: { name: 'db-from-web', namespace: 'shop' },
      spec: { selector: "app == 'db'", types: ['Ingress'], ingress: [{ action: 'Allow', protocol: 'TCP', source: { selector: "app == 'web'" }, destination: { ports: [5432] } }] },
    }),
    decode({
      apiVersion: 'projectcalico.org/v3',
      kind: 'GlobalNetworkPolicy',
      metadata: { name: 'edge-out' },
      spec: { selector: "app == 'edge'", types: ['Egress'], egress: [{ action: 'Allow', protocol: 'TCP', destination: { selector: "tier == 'back'", ports: ['http'] } }] },
    }),
    decode({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'cache-from-prod', namespace: 'bank' },
      spec: { podSelector: { matchLabels: { app: 'cache' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { env: 'prod' } } }] }] },
    }),
  );
  const pods = new Map<string, StoredObject>();
  for (let i = 0; i < 40; i++) {
    const p = pod(r, i % 2 === 0 ? 'shop' : 'bank', i);
    pods.set(`${p.metadata.namespace}/${p.metadata.name}`, p);
  }
  return { fixed, pods };
}

describe('agent relevance: a change judged irrelevant never changes the desired state', () => {
  test('random remote and local pod changes over 20 clusters', () => {
    let judged = 0;
    let skipped = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const { fixed, pods } = cluster(seed);
      const r = rng(seed * 7919);
      for (let step = 0; step < 40; step++) {
        const snap0 = buildSnapshot([...fixed, ...[...pods.values()].map(decode)]);
        const felix = snap0.felixConfig('n1');
        const d0 = computeDesiredState(snap0, 'n1', felix);
        const fp = footprint(d0);
        // one change: a new pod, a relabelled or moved or re-addressed pod, or a deletion
        const keys = [...pods.keys()];
        const key = keys[Math.floor(r() * keys.length)]!;
        const prev = pods.get(key);
        const roll = r();
        let next: StoredObject | undefined;
        let nextKey = key;
        if (roll < 0.2) {
          next = pod(r, r() < 0.5 ? 'shop' : 'bank', 1000 + seed * 100 + step);
          nextKey = `${next.metadata.namespace}/${next.metadata.name}`;
        } else if (roll < 0.4) next = undefined;
        else {
          const fresh = pod(r, prev!.metadata.namespace!, 0);
          next = { ...fresh, metadata: { ...fresh.metadata, name: prev!.metadata.name } } as StoredObject;
        }
        const before = nextKey === key ? prev : undefined;
        if (next === undefined) pods.delete(key);
        else pods.set(nextKey, next);
        const lookup = (kind: 'Namespace' | 'ServiceAccount', _ns: string, name: string): Resource | undefined =>
          kind === 'Namespace' ? fixed.find((x) => x.kind === 'Namespace' && x.metadata?.name === name) : undefined;
        const matters = podChangeMatters(fp, snap0, nextKey, before, next, next === undefined ? undefined : decode(next), lookup);
        judged++;
        if (matters) continue;
        skipped++;
        const snap1 = buildSnapshot([...fixed, ...[...pods.values()].map(decode)]);
        assert.deepEqual(computeDesiredState(snap1, 'n1', snap1.felixConfig('n1')), d0, `seed ${seed} step ${step}: ${key} → ${JSON.stringify(next)}`);
      }
    }
    // the filter must actually filter: most remote changes in these clusters touch nothing on n1
    assert.ok(skipped > judged / 5, `only ${skipped} of ${judged} changes were judged irrelevant`);
  });
});
