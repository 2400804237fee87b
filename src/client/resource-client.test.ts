import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openMemoryDatastore } from '../datastore/index.js';
import { ResourceClient, existingKey } from './resource-client.js';
import { decodeResource } from '../model/validate-resource.js';
import { InvalidError } from './errors.js';
import { kindFor } from '../model/kinds.js';

const gnp = (name: string, order = 10) => ({
  apiVersion: 'projectcalico.org/v3',
  kind: 'GlobalNetworkPolicy',
  metadata: { name },
  spec: { order, selector: "ibm.role == 'worker_public'", ingress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: [52311] } }] },
});

const GNP = kindFor('projectcalico.org/v3', 'GlobalNetworkPolicy')!;
const CNP = kindFor('projectcalico.org/v3', 'NetworkPolicy')!;

async function client() {
  return new ResourceClient(await openMemoryDatastore());
}

test('create stores the defaulted resource with server fields', async () => {
  const c = await client();
  const { object, outcome } = await c.create(gnp('allow-bigfix-port'));
  assert.equal(outcome, 'created');
  assert.deepEqual((object as unknown as { spec: { types: string[] } }).spec.types, ['Ingress']);
  assert.ok(object.metadata.uid);
  assert.ok(object.metadata.resourceVersion);
  const got = await c.get(GNP, undefined, 'allow-bigfix-port');
  assert.equal(got.metadata.uid, object.metadata.uid);
});

test('invalid input never reaches the datastore and lists every problem', async () => {
  const c = await client();
  const bad = gnp('bad');
  (bad.spec.ingress[0]!.destination.ports as unknown[]) = [0, 70000];
  await assert.rejects(c.create(bad), (e: unknown) => e instanceof InvalidError && e.causes.length >= 2);
  assert.equal((await c.list(GNP)).items.length, 0);
});

test('apply creates, then updates, then reports unchanged', async () => {
  const c = await client();
  assert.equal((await c.apply(gnp('p', 1))).outcome, 'created');
  assert.equal((await c.apply(gnp('p', 2))).outcome, 'updated');
  assert.equal((await c.apply(gnp('p', 2))).outcome, 'unchanged');
  const got = await c.get(GNP, undefined, 'p');
  assert.equal((got as unknown as { spec: { order: number } }).spec.order, 2);
});

test('dry-run writes nothing', async () => {
  const c = await client();
  await c.apply(gnp('p'), { dryRun: true });
  await c.create(gnp('q'), { dryRun: true });
  assert.equal((await c.list(GNP)).items.length, 0);
});

test('replace with a stale resourceVersion is a conflict', async () => {
  const c = await client();
  const first = (await c.create(gnp('p', 1))).object;
  await c.apply(gnp('p', 2));
  const stale = { ...gnp('p', 3), metadata: { name: 'p', resourceVersion: first.metadata.resourceVersion } };
  await assert.rejects(c.replace(stale), (e: unknown) => e instanceof Error && e.name === 'ConflictError');
});

test('namespaced kinds default to the default namespace', async () => {
  const c = await client();
  const np = { apiVersion: 'projectcalico.org/v3', kind: 'NetworkPolicy', metadata: { name: 'x' }, spec: { selector: 'all()' } };
  const { object } = await c.create(np);
  assert.equal(object.metadata.namespace, 'default');
  await c.create({ ...np, metadata: { name: 'y' } }, { defaultNamespace: 'prod' });
  assert.deepEqual((await c.list(CNP, { namespace: 'prod' })).items.map((o) => o.metadata.name), ['y']);
});

test('Kubernetes NetworkPolicies appear as read-only knp.default.* Calico policies', async () => {
  const c = await client();
  await c.create({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'access-nginx', namespace: 'default' },
    spec: { podSelector: { matchLabels: { run: 'nginx' } }, ingress: [{ from: [{ podSelector: { matchLabels: { run: 'access' } } }] }] },
  });
  const list = await c.list(CNP);
  assert.deepEqual(list.items.map((o) => o.metadata.name), ['knp.default.access-nginx']);
  const got = (await c.get(CNP, 'default', 'knp.default.access-nginx')) as unknown as { spec: { selector: string; order: number } };
  assert.equal(got.spec.selector, "projectcalico.org/orchestrator == 'k8s' && run == 'nginx'");
  assert.equal(got.spec.order, 1000);
  await assert.rejects(
    c.apply({ apiVersion: 'projectcalico.org/v3', kind: 'NetworkPolicy', metadata: { name: 'knp.default.access-nginx' }, spec: {} }),
    InvalidError,
  );
  await assert.rejects(c.delete(CNP, 'default', 'knp.default.access-nginx'), /read-only/);
});

test('concurrent apply of different changes loses none (conflicts retried)', async () => {
  const c = await client();
  await c.create(gnp('p'));
  await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      c.modify(GNP, undefined, 'p', (o) => {
        const meta = o['metadata'] as { labels?: Record<string, string> };
        meta.labels = { ...(meta.labels ?? {}), [`l${i}`]: 'x' };
        return o;
      }),
    ),
  );
  const got = await c.get(GNP, undefined, 'p');
  assert.equal(Object.keys(got.metadata.labels ?? {}).length, 10);
});

const decoded = (raw: unknown) => {
  const r = decodeResource(raw);
  if (!r.ok) throw new Error('test input does not decode');
  return r.value;
};

test('applyDecoded and createDecoded store what apply and create store', async () => {
  const a = await client();
  const b = await client();
  const strip = (o: object) => ({ ...o, metadata: { ...(o as { metadata: object }).metadata, uid: '', creationTimestamp: '', resourceVersion: '' } });
  assert.deepEqual(strip((await b.applyDecoded(decoded(gnp('x')))).object), strip((await a.apply(gnp('x'))).object));
  assert.deepEqual(strip((await b.createDecoded(decoded(gnp('y')))).object), strip((await a.create(gnp('y'))).object));
  assert.equal((await b.applyDecoded(decoded(gnp('x', 20)))).outcome, 'updated');
  assert.equal((await b.applyDecoded(decoded(gnp('x', 20)))).outcome, 'unchanged');
  // Namespaced: the default namespace, and the derived-view names are still refused.
  const np = { apiVersion: 'projectcalico.org/v3', kind: 'NetworkPolicy', metadata: { name: 'p' }, spec: { selector: 'all()' } };
  assert.equal((await b.applyDecoded(decoded(np), { defaultNamespace: 'shop' })).object.metadata.namespace, 'shop');
  await assert.rejects(b.createDecoded(decoded({ ...np, metadata: { name: 'knp.default.x' } })), InvalidError);
});

test('applyDecoded with a stale current hint still ends right (create/update/unchanged)', async () => {
  const c = await client();
  const first = (await c.apply(gnp('h', 10))).object;
  // Hint says absent, but it exists: AlreadyExists, then re-read and update.
  assert.equal((await c.applyDecoded(decoded(gnp('h', 11)), { current: null })).outcome, 'updated');
  // Hint is an older version: the compare fails, then re-read and update.
  const r = await c.applyDecoded(decoded(gnp('h', 12)), { current: first });
  assert.equal(r.outcome, 'updated');
  assert.equal((r.object as unknown as { spec: { order: number } }).spec.order, 12);
  // Hint from existing(): no read needed, and identical content is unchanged.
  const known = await c.existing(GNP);
  assert.equal((await c.applyDecoded(decoded(gnp('h', 12)), { current: known.get(existingKey(undefined, 'h')) ?? null })).outcome, 'unchanged');
  assert.equal((await c.applyDecoded(decoded(gnp('new', 1)), { current: known.get(existingKey(undefined, 'new')) ?? null })).outcome, 'created');
});
