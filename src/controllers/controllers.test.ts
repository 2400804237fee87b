import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResourceClient } from '../client/index.js';
import { openMemoryDatastore, type Datastore, type StoredObject } from '../datastore/index.js';
import { eventRecorder, HASH_LABEL, podTemplateHash, reconcileWorkloads, SAFE_ALPHABET, startWorkloadControllers, type ControllerContext } from './index.js';

type J = Record<string, unknown>;

const DEPLOY = { group: 'apps', plural: 'deployments' };
const RS = { group: 'apps', plural: 'replicasets' };
const PODS = { group: '', plural: 'pods' };
const SLICES = { group: 'discovery.k8s.io', plural: 'endpointslices' };
const EVENTS = { group: '', plural: 'events' };

function deployment(replicas: number, image = 'nginx'): J {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'nginx', namespace: 'default', labels: { app: 'nginx' } },
    spec: { replicas, selector: { matchLabels: { app: 'nginx' } }, template: { metadata: { labels: { app: 'nginx' } }, spec: { containers: [{ name: 'nginx', image }] } } },
  };
}

async function setup(): Promise<{ ds: Datastore; client: ResourceClient; ctx: ControllerContext }> {
  const ds = await openMemoryDatastore();
  const client = new ResourceClient(ds);
  let n = 0;
  const now = () => new Date('2026-01-01T00:00:00Z');
  const ctx: ControllerContext = { ds, client, events: eventRecorder(client, 'test', now), now, suffix: () => `p${(n++).toString().padStart(4, 'b')}`.slice(-5), burst: 500 };
  return { ds, client, ctx };
}

/** Passes until nothing changes (bounded). */
async function settle(ctx: ControllerContext): Promise<void> {
  for (let i = 0; i < 10; i++) {
    const before = (await ctx.ds.list(PODS)).revision;
    await reconcileWorkloads(ctx);
    if ((await ctx.ds.list(PODS)).revision === before) return;
  }
  throw new Error('controllers did not settle in 10 passes');
}

/** What the lab (kubelet) does: a pod IP and the Ready condition. */
async function markReady(ds: Datastore, ipBase = 10): Promise<void> {
  let i = ipBase;
  for (const p of (await ds.list(PODS)).items) {
    await ds.update(PODS, { ...p, spec: { ...((p as unknown as J)['spec'] as J), nodeName: 'worker1' }, status: { phase: 'Running', podIP: `198.18.0.${i++}`, conditions: [{ type: 'Ready', status: 'True' }] } } as StoredObject);
  }
}

test('pod-template-hash: deterministic, safe alphabet, changes with the template', () => {
  const t = { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'a', image: 'nginx' }] } };
  const h = podTemplateHash(t);
  assert.equal(h, podTemplateHash(structuredClone(t)));
  assert.match(h, new RegExp(`^[${SAFE_ALPHABET}]{1,10}$`));
  assert.notEqual(h, podTemplateHash({ ...t, spec: { containers: [{ name: 'a', image: 'nginx:1.27' }] } }));
  assert.notEqual(h, podTemplateHash(t, 1));
});

test('a Deployment makes one ReplicaSet <name>-<hash> and its pods, with owner references and events', async () => {
  const { ds, client, ctx } = await setup();
  await client.create(deployment(2));
  await settle(ctx);
  const sets = (await ds.list(RS)).items;
  assert.equal(sets.length, 1);
  const rs = sets[0]!;
  const hash = rs.metadata.labels?.[HASH_LABEL];
  assert.ok(hash !== undefined && rs.metadata.name === `nginx-${hash}`, rs.metadata.name);
  const d = (await ds.list(DEPLOY)).items[0]!;
  assert.deepEqual((rs.metadata.ownerReferences as J[])[0], { apiVersion: 'apps/v1', kind: 'Deployment', name: 'nginx', uid: d.metadata.uid, controller: true, blockOwnerDeletion: true });
  assert.deepEqual(((rs as unknown as J)['spec'] as J)['selector'], { matchLabels: { app: 'nginx', [HASH_LABEL]: hash } });
  const pods = (await ds.list(PODS)).items;
  assert.equal(pods.length, 2);
  for (const p of pods) {
    assert.match(p.metadata.name ?? '', new RegExp(`^nginx-${hash}-[a-z0-9]{5}$`));
    assert.deepEqual(p.metadata.labels, { app: 'nginx', [HASH_LABEL]: hash });
    assert.equal((p.metadata.ownerReferences as J[])[0]!['uid'], rs.metadata.uid);
    assert.equal((((p as unknown as J)['spec'] as J)['containers'] as J[])[0]!['image'], 'nginx');
  }
  const reasons = (await ds.list(EVENTS)).items.map((e) => (e as unknown as J)['reason']).sort();
  assert.deepEqual(reasons, ['ScalingReplicaSet', 'SuccessfulCreate', 'SuccessfulCreate']);
});

test('status follows readiness; scaling up and down; deleting the Deployment collects its ReplicaSets and Pods', async () => {
  const { ds, client, ctx } = await setup();
  await client.create(deployment(2));
  await settle(ctx);
  let d = (await ds.list(DEPLOY)).items[0] as unknown as J;
  assert.deepEqual([(d['status'] as J)['replicas'], (d['status'] as J)['readyReplicas'], (d['status'] as J)['unavailableReplicas']], [2, 0, 2]);
  await markReady(ds);
  await settle(ctx);
  await reconcileWorkloads(ctx); // the ReplicaSet's new status reaches the Deployment one pass later
  d = (await ds.list(DEPLOY)).items[0] as unknown as J;
  const st = d['status'] as J;
  assert.deepEqual([st['replicas'], st['updatedReplicas'], st['readyReplicas'], st['availableReplicas'], st['unavailableReplicas']], [2, 2, 2, 2, undefined]);
  assert.equal((st['conditions'] as J[]).find((c) => c['type'] === 'Available')!['status'], 'True');

  await client.modify((await import('../model/kinds.js')).kindFor('apps/v1', 'Deployment')!, 'default', 'nginx', (o) => ({ ...o, spec: { ...(o['spec'] as J), replicas: 5 } }));
  await settle(ctx);
  assert.equal((await ds.list(PODS)).items.length, 5);
  await markReady(ds, 20);
  await client.modify((await import('../model/kinds.js')).kindFor('apps/v1', 'Deployment')!, 'default', 'nginx', (o) => ({ ...o, spec: { ...(o['spec'] as J), replicas: 1 } }));
  await settle(ctx);
  assert.equal((await ds.list(PODS)).items.length, 1);

  await ds.delete({ ...DEPLOY, namespace: 'default', name: 'nginx' });
  await settle(ctx);
  await settle(ctx);
  assert.equal((await ds.list(RS)).items.length, 0);
  assert.equal((await ds.list(PODS)).items.length, 0);
});

test('a new template rolls out a new ReplicaSet; the old one is scaled to 0 once the new one is ready', async () => {
  const { ds, client, ctx } = await setup();
  await client.create(deployment(1));
  await settle(ctx);
  await markReady(ds);
  await client.modify((await import('../model/kinds.js')).kindFor('apps/v1', 'Deployment')!, 'default', 'nginx', (o) => {
    const spec = structuredClone(o['spec']) as J;
    ((spec['template'] as J)['spec'] as { containers: J[] }).containers[0]!['image'] = 'nginx:1.27';
    return { ...o, spec };
  });
  await settle(ctx);
  let sets = (await ds.list(RS)).items as unknown as J[];
  assert.equal(sets.length, 2);
  await markReady(ds, 30);
  await settle(ctx);
  await settle(ctx);
  sets = (await ds.list(RS)).items as unknown as J[];
  const byRev = sets.map((s) => [((s['metadata'] as J)['annotations'] as J)['deployment.kubernetes.io/revision'], (s['spec'] as J)['replicas']] as const);
  assert.deepEqual([...byRev].sort(), [['1', 0], ['2', 1]]);
  const pods = (await ds.list(PODS)).items as unknown as J[];
  assert.deepEqual(pods.map((p) => ((p['spec'] as J)['containers'] as J[])[0]!['image']), ['nginx:1.27']);
});

test('EndpointSlices list the ready pods a Service selects, with resolved ports, owned by the Service', async () => {
  const { ds, client, ctx } = await setup();
  await client.create(deployment(2));
  await client.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'nginx', namespace: 'default' }, spec: { selector: { app: 'nginx' }, ports: [{ port: 80, targetPort: 8080 }] } });
  await settle(ctx);
  let slices = (await ds.list(SLICES)).items as unknown as J[];
  assert.equal(slices.length, 1);
  assert.deepEqual(slices[0]!['endpoints'], []);
  await markReady(ds);
  await settle(ctx);
  slices = (await ds.list(SLICES)).items as unknown as J[];
  const s = slices[0]!;
  assert.equal(((s['metadata'] as J)['labels'] as J)['kubernetes.io/service-name'], 'nginx');
  assert.deepEqual(s['ports'], [{ name: '', protocol: 'TCP', port: 8080 }]);
  assert.deepEqual((s['endpoints'] as J[]).map((e) => [(e['addresses'] as string[])[0], (e['conditions'] as J)['ready'], (e['targetRef'] as J)['kind']]), [
    ['198.18.0.10', true, 'Pod'],
    ['198.18.0.11', true, 'Pod'],
  ]);
  await ds.delete({ group: '', plural: 'services', namespace: 'default', name: 'nginx' });
  await settle(ctx);
  assert.equal((await ds.list(SLICES)).items.length, 0);
});

test('two controller sets on one datastore: only the lease holder writes, so no pod is doubled', async () => {
  const ds = await openMemoryDatastore();
  await new ResourceClient(ds).create(deployment(3));
  const a = startWorkloadControllers(ds, { identity: 'a', resyncMs: 50 });
  const b = startWorkloadControllers(ds, { identity: 'b', resyncMs: 50 });
  try {
    await Promise.all([a.ready, b.ready]);
    for (let i = 0; i < 100 && (await ds.list(PODS)).items.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
    await Promise.all([a.reconcile(), b.reconcile()]);
    assert.equal((await ds.list(PODS)).items.length, 3);
    assert.equal((await ds.list(RS)).items.length, 1);
  } finally {
    await a.stop();
    await b.stop();
  }
});
