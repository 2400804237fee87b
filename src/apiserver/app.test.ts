/**
 * In-process tests of the API server: `app.request()` against the memory datastore, no socket.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openMemoryDatastore } from '../datastore/index.js';
import { createApp } from './app.js';
import { readWatchEvents as readEvents } from './testdata/watch-events.js';

const TOKENS = { admin: 'admin-token', readOnly: 'ro-token' };
const NOW = new Date('2025-01-01T00:10:00Z');
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';

type Json = Record<string, unknown>;

async function setup(opts: { historyLimit?: number } = {}) {
  const ds = await openMemoryDatastore({ now: () => new Date('2025-01-01T00:00:00Z'), ...(opts.historyLimit === undefined ? {} : { historyLimit: opts.historyLimit }) });
  const shutdown = new AbortController();
  const app = createApp({ datastore: ds, tokens: TOKENS, now: () => NOW, shutdown: shutdown.signal, bookmarkIntervalMs: 20, randomSuffix: () => 'abcde' });
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}, token = TOKENS.admin) => {
    const init: RequestInit = {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json', 'user-agent': 'test/1.0', ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    };
    const res = await app.request(path, init);
    const text = await res.text();
    let parsed: Json;
    try {
      parsed = JSON.parse(text) as Json;
    } catch {
      parsed = { text };
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
  await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  return { ds, app, call, close: async () => { shutdown.abort(); await ds.close(); } };
}

const NP = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'allow-web', namespace: 'default', labels: { team: 'a' } },
  spec: { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ ports: [{ port: 80, protocol: 'TCP' }] }] },
};
const GNP = {
  apiVersion: 'projectcalico.org/v3',
  kind: 'GlobalNetworkPolicy',
  metadata: { name: 'deny-nodeports' },
  spec: { order: 1100, selector: "ibm.role == 'worker_public'", types: ['Ingress'], ingress: [{ action: 'Deny', protocol: 'TCP', destination: { ports: ['30000:32767'] } }] },
};
const NP_PATH = '/apis/networking.k8s.io/v1/namespaces/default/networkpolicies';
const GNP_PATH = '/apis/projectcalico.org/v3/globalnetworkpolicies';

describe('apiserver app', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  before(async () => {
    t = await setup();
  });
  after(async () => {
    await t.close();
  });

  test('authentication: no token is 401 and changes nothing; /version is public', async () => {
    const r = await t.call('POST', GNP_PATH, GNP, {}, '');
    assert.equal(r.status, 401);
    assert.deepEqual([r.body['reason'], r.body['kind']], ['Unauthorized', 'Status']);
    assert.equal((await t.call('GET', `${GNP_PATH}/deny-nodeports`)).status, 404);
    assert.equal((await t.call('GET', '/api', undefined, {}, 'wrong')).status, 401);
    assert.equal((await t.call('GET', '/version', undefined, {}, '')).status, 200);
  });

  test('read-only token may read but not write (403 in the RBAC voice)', async () => {
    assert.equal((await t.call('GET', GNP_PATH, undefined, {}, TOKENS.readOnly)).status, 200);
    const r = await t.call('POST', GNP_PATH, GNP, {}, TOKENS.readOnly);
    assert.equal(r.status, 403);
    assert.match(String(r.body['message']), /User "tabby:read-only" cannot create resource "globalnetworkpolicies" in API group "projectcalico.org"/);
  });

  test('discovery lists groups in order and resources with verbs and short names', async () => {
    const groups = (await t.call('GET', '/apis')).body['groups'] as Json[];
    assert.deepEqual(groups.map((g) => g['name']), ['apps', 'events.k8s.io', 'authorization.k8s.io', 'networking.k8s.io', 'discovery.k8s.io', 'policy.networking.k8s.io', 'projectcalico.org', 'tabby.dev']);
    const core = (await t.call('GET', '/api/v1')).body['resources'] as Json[];
    const pods = core.find((r) => r['name'] === 'pods')!;
    assert.deepEqual([pods['kind'], pods['namespaced'], pods['shortNames'], pods['categories']], ['Pod', true, ['po'], ['all']]);
    const calico = (await t.call('GET', '/apis/projectcalico.org/v3')).body['resources'] as Json[];
    const gnp = calico.find((r) => r['name'] === 'globalnetworkpolicies')!;
    assert.ok((gnp['verbs'] as string[]).includes('patch'));
    assert.ok(!calico.some((r) => r['kind'] === 'CalicoAPIConfig'));
  });

  test('OpenAPI v3 root and documents carry GVK and fieldValidation on PATCH', async () => {
    const root = (await t.call('GET', '/openapi/v3')).body['paths'] as Record<string, { serverRelativeURL: string }>;
    const url = root['apis/projectcalico.org/v3']!.serverRelativeURL;
    const doc = (await t.call('GET', url)).body;
    const schema = (doc['components'] as Json)['schemas'] as Record<string, Json>;
    assert.deepEqual(schema['org.projectcalico.v3.GlobalNetworkPolicy']!['x-kubernetes-group-version-kind'], [{ group: 'projectcalico.org', version: 'v3', kind: 'GlobalNetworkPolicy' }]);
    const patch = ((doc['paths'] as Json)['/apis/projectcalico.org/v3/globalnetworkpolicies/{name}'] as Json)['patch'] as Json;
    assert.ok((patch['parameters'] as Json[]).some((p) => p['name'] === 'fieldValidation'));
  });

  test('unknown paths and subresources are 404 Status, not crashes', async () => {
    for (const p of ['/apis/batch/v1', '/apis/projectcalico.org/v3/nothings', '/api/v1/namespaces/default/pods/x/log', '/metrics', '/api/v2']) {
      const r = await t.call('GET', p);
      assert.equal(r.status, 404, p);
      assert.equal(r.body['kind'], 'Status', p);
    }
  });

  test('create, get, list with resourceVersion, AlreadyExists', async () => {
    const c = await t.call('POST', NP_PATH, NP, {}, undefined);
    assert.equal(c.status, 201);
    const meta = c.body['metadata'] as Json;
    assert.ok(meta['uid'] && meta['resourceVersion'] && meta['creationTimestamp']);
    const mf = meta['managedFields'] as Json[];
    assert.equal(mf[0]!['manager'], 'test');
    const again = await t.call('POST', NP_PATH, NP);
    assert.equal(again.status, 409);
    assert.equal(again.body['reason'], 'AlreadyExists');
    assert.equal(again.body['message'], 'networkpolicies.networking.k8s.io "allow-web" already exists');
    const list = await t.call('GET', NP_PATH);
    assert.equal(list.body['kind'], 'NetworkPolicyList');
    assert.ok((list.body['metadata'] as Json)['resourceVersion']);
    const missing = await t.call('GET', `${NP_PATH}/nope`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body['message'], 'networkpolicies.networking.k8s.io "nope" not found');
  });

  test('Table output: k8s NetworkPolicy and Calico GNP columns, wide columns at priority 1, -A metadata', async () => {
    await t.call('POST', GNP_PATH, GNP);
    const np = (await t.call('GET', NP_PATH, undefined, { accept: TABLE })).body;
    assert.deepEqual((np['columnDefinitions'] as Json[]).map((c) => c['name']), ['Name', 'Pod-Selector', 'Age']);
    assert.deepEqual((np['rows'] as Json[])[0]!['cells'], ['allow-web', 'app=web', '10m']);
    assert.equal(((np['rows'] as Json[])[0]!['object'] as Json)['kind'], 'PartialObjectMetadata');
    const gnp = (await t.call('GET', GNP_PATH, undefined, { accept: TABLE })).body;
    const cols = gnp['columnDefinitions'] as Json[];
    assert.deepEqual(cols.map((c) => c['name']), ['Name', 'Tier', 'Order', 'Selector', 'Age', 'Types']);
    assert.deepEqual(cols.map((c) => c['priority']), [0, 0, 0, 0, 0, 1]);
    assert.deepEqual((gnp['rows'] as Json[])[0]!['cells'], ['deny-nodeports', 'default', '1100', "ibm.role == 'worker_public'", '10m', 'Ingress']);
  });

  test('Calico view shows the Kubernetes policy as knp.default.* (read-only)', async () => {
    const r = await t.call('GET', '/apis/projectcalico.org/v3/namespaces/default/networkpolicies');
    assert.deepEqual((r.body['items'] as Json[]).map((i) => (i['metadata'] as Json)['name']), ['knp.default.allow-web']);
    const del = await t.call('DELETE', '/apis/projectcalico.org/v3/namespaces/default/networkpolicies/knp.default.allow-web');
    assert.equal(del.status, 403);
  });

  test('invalid input is 422 with field causes; unknown fields 400 under Strict, warned under Warn', async () => {
    const bad = structuredClone(NP) as Json;
    (bad['metadata'] as Json)['name'] = 'bad';
    (bad['spec'] as Json)['ingress'] = [{ ports: [{ port: 70000 }] }];
    const r = await t.call('POST', `${NP_PATH}?fieldValidation=Strict`, bad);
    assert.equal(r.status, 422);
    assert.equal(r.body['reason'], 'Invalid');
    assert.match(String(r.body['message']), /^NetworkPolicy.networking.k8s.io "bad" is invalid: spec.ingress\[0\].ports\[0\].port: Invalid value: 70000/);
    const details = r.body['details'] as Json;
    assert.deepEqual([details['kind'], details['name'], details['group']], ['NetworkPolicy', 'bad', 'networking.k8s.io']);
    assert.deepEqual((details['causes'] as Json[])[0], { reason: 'FieldValueInvalid', message: 'Invalid value: 70000: must be between 1 and 65535, inclusive', field: 'spec.ingress[0].ports[0].port' });

    const unknown = { ...GNP, metadata: { name: 'unk' }, spec: { ...GNP.spec, oder: 5 } };
    const strict = await t.call('POST', `${GNP_PATH}?fieldValidation=Strict`, unknown);
    assert.equal(strict.status, 400);
    assert.match(String(strict.body['message']), /strict decoding error: unknown field "spec.oder"/);
    assert.equal((await t.call('GET', `${GNP_PATH}/unk`)).status, 404);
    const warn = await t.call('POST', `${GNP_PATH}?fieldValidation=Warn`, unknown);
    assert.equal(warn.status, 201);
    assert.match(warn.headers.get('warning') ?? '', /unknown field \\"spec.oder\\"/);
  });

  test('dryRun=All validates and stores nothing', async () => {
    const dry = { ...GNP, metadata: { name: 'dry' } };
    assert.equal((await t.call('POST', `${GNP_PATH}?dryRun=All`, dry)).status, 201);
    assert.equal((await t.call('GET', `${GNP_PATH}/dry`)).status, 404);
    const p = await t.call('PATCH', `${GNP_PATH}/deny-nodeports?dryRun=All`, { spec: { order: 5 } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(((p.body['spec'] as Json)['order']), 5);
    assert.equal((((await t.call('GET', `${GNP_PATH}/deny-nodeports`)).body['spec'] as Json)['order']), 1100);
  });

  test('merge patch, JSON patch, PUT with a stale resourceVersion', async () => {
    const m = await t.call('PATCH', `${GNP_PATH}/deny-nodeports`, { spec: { order: 1200 } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(m.status, 200);
    assert.equal((m.body['spec'] as Json)['order'], 1200);
    const j = await t.call('PATCH', `${GNP_PATH}/deny-nodeports`, [{ op: 'replace', path: '/spec/order', value: 1300 }, { op: 'add', path: '/metadata/labels', value: { a: 'b' } }], { 'content-type': 'application/json-patch+json' });
    assert.equal((j.body['spec'] as Json)['order'], 1300);
    const stale = { ...(j.body as Json), metadata: { ...(j.body['metadata'] as Json), resourceVersion: '1' } };
    const put = await t.call('PUT', `${GNP_PATH}/deny-nodeports`, stale);
    assert.equal(put.status, 409);
    assert.equal(put.body['reason'], 'Conflict');
    const smpOnCalico = await t.call('PATCH', `${GNP_PATH}/deny-nodeports`, { spec: {} }, { 'content-type': 'application/strategic-merge-patch+json' });
    assert.equal(smpOnCalico.status, 415);
  });

  test('strategic merge patch merges containers by name and honours $patch: delete', async () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default' }, spec: { containers: [{ name: 'a', image: 'nginx' }, { name: 'b', image: 'redis' }] } };
    assert.equal((await t.call('POST', '/api/v1/namespaces/default/pods', pod)).status, 201);
    const smp = { 'content-type': 'application/strategic-merge-patch+json' };
    const r = await t.call('PATCH', '/api/v1/namespaces/default/pods/web', { spec: { containers: [{ name: 'b', image: 'redis:7' }, { name: 'c', image: 'busybox' }] } }, smp);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const images = ((r.body['spec'] as Json)['containers'] as Json[]).map((c) => `${String(c['name'])}=${String(c['image'])}`);
    assert.deepEqual(images, ['a=nginx', 'b=redis:7', 'c=busybox']);
    const d = await t.call('PATCH', '/api/v1/namespaces/default/pods/web', { spec: { containers: [{ name: 'a', $patch: 'delete' }] } }, smp);
    assert.deepEqual(((d.body['spec'] as Json)['containers'] as Json[]).map((c) => c['name']), ['b', 'c']);
  });

  test('server-side apply: ownership, conflicts with the field list, force, removal of dropped fields', async () => {
    const apply = (body: unknown, manager: string, force = false) =>
      t.call('PATCH', `${GNP_PATH}/ssa?fieldManager=${manager}${force ? '&force=true' : ''}`, body, { 'content-type': 'application/apply-patch+yaml' });
    const cfg = { apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name: 'ssa', labels: { a: '1' } }, spec: { order: 10, selector: 'all()' } };
    const created = await apply(cfg, 'alice');
    assert.equal(created.status, 201);
    const mf = (created.body['metadata'] as Json)['managedFields'] as Json[];
    assert.deepEqual(mf.map((e) => [e['manager'], e['operation']]), [['alice', 'Apply']]);
    assert.deepEqual(mf[0]!['fieldsV1'], { 'f:metadata': { 'f:labels': { 'f:a': {} } }, 'f:spec': { 'f:order': {}, 'f:selector': {} } });
    // same value: shared ownership, no conflict
    assert.equal((await apply({ ...cfg, metadata: { name: 'ssa' }, spec: { order: 10 } }, 'bob')).status, 200);
    const conflict = await apply({ ...cfg, metadata: { name: 'ssa' }, spec: { order: 20, selector: 'has(x)' } }, 'bob');
    assert.equal(conflict.status, 409);
    assert.equal(conflict.body['message'], 'Apply failed with 2 conflicts: conflicts with "alice":\n- .spec.order\n- .spec.selector');
    assert.deepEqual(((conflict.body['details'] as Json)['causes'] as Json[])[0], { reason: 'FieldManagerConflict', message: 'conflict with "alice"', field: '.spec.order' });
    const forced = await apply({ ...cfg, metadata: { name: 'ssa' }, spec: { order: 20 } }, 'bob', true);
    assert.equal(forced.status, 200);
    assert.equal((forced.body['spec'] as Json)['order'], 20);
    // alice drops the label: it is removed (nobody else owns it)
    const dropped = await apply({ ...cfg, metadata: { name: 'ssa' }, spec: { selector: 'all()' } }, 'alice');
    assert.equal(dropped.status, 200);
    assert.equal((dropped.body['metadata'] as Json)['labels'], undefined);
    assert.equal((dropped.body['spec'] as Json)['order'], 20);
    // an update by another manager takes the field, so alice's later apply conflicts with an Update manager
    await t.call('PATCH', `${GNP_PATH}/ssa?fieldManager=carol`, { spec: { selector: 'has(y)' } }, { 'content-type': 'application/merge-patch+json' });
    const c2 = await apply({ ...cfg, metadata: { name: 'ssa' }, spec: { selector: 'all()' } }, 'alice');
    assert.equal(c2.status, 409);
    assert.equal(c2.body['message'], 'Apply failed with 1 conflict: conflict with "carol" using projectcalico.org/v3: .spec.selector');
  });

  test('label and field selectors, limit and continue', async () => {
    for (const n of ['p1', 'p2', 'p3']) await t.call('POST', GNP_PATH, { ...GNP, metadata: { name: n, labels: { page: 'yes', n } } });
    const sel = await t.call('GET', `${GNP_PATH}?labelSelector=${encodeURIComponent('page=yes,n notin (p2)')}`);
    assert.deepEqual((sel.body['items'] as Json[]).map((i) => (i['metadata'] as Json)['name']), ['p1', 'p3']);
    const f = await t.call('GET', `${GNP_PATH}?fieldSelector=metadata.name%3Dp2`);
    assert.deepEqual((f.body['items'] as Json[]).map((i) => (i['metadata'] as Json)['name']), ['p2']);
    const page1 = await t.call('GET', `${GNP_PATH}?labelSelector=page&limit=2`);
    const meta = page1.body['metadata'] as Json;
    assert.equal((page1.body['items'] as Json[]).length, 2);
    // kube's ListMeta: with a label or field selector the remaining count is unknown and left unset
    assert.equal(meta['remainingItemCount'], undefined);
    const plain = await t.call('GET', `${GNP_PATH}?limit=1`);
    const total = (await t.call('GET', GNP_PATH)).body['items'] as Json[];
    assert.equal((plain.body['metadata'] as Json)['remainingItemCount'], total.length - 1);
    const page2 = await t.call('GET', `${GNP_PATH}?labelSelector=page&limit=2&continue=${encodeURIComponent(String(meta['continue']))}`);
    assert.deepEqual((page2.body['items'] as Json[]).map((i) => (i['metadata'] as Json)['name']), ['p3']);
    assert.equal((await t.call('GET', `${GNP_PATH}?labelSelector=${encodeURIComponent('a in (')}`)).status, 400);
  });

  test('namespaces get kubernetes.io/metadata.name; objects need an existing namespace; delete cascades', async () => {
    const ns = await t.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
    assert.deepEqual((ns.body['metadata'] as Json)['labels'], { 'kubernetes.io/metadata.name': 'shop' });
    const orphan = await t.call('POST', '/apis/networking.k8s.io/v1/namespaces/nowhere/networkpolicies', { ...NP, metadata: { name: 'x' } });
    assert.equal(orphan.status, 404);
    assert.equal(orphan.body['message'], 'namespaces "nowhere" not found');
    assert.equal((await t.call('POST', '/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies', { ...NP, metadata: { name: 'x' } })).status, 201);
    assert.equal((await t.call('DELETE', '/api/v1/namespaces/shop')).status, 200);
    assert.equal((await t.call('GET', '/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies/x')).status, 404);
  });
});


describe('apiserver watch', () => {
  test('events after the list revision, bookmarks, Table events', async () => {
    const t = await setup();
    try {
      const list = await t.call('GET', GNP_PATH);
      const rv = String((list.body['metadata'] as Json)['resourceVersion']);
      const res = await t.app.request(`${GNP_PATH}?watch=1&resourceVersion=${rv}&allowWatchBookmarks=true`, { headers: { authorization: `Bearer ${TOKENS.admin}` } });
      assert.equal(res.status, 200);
      await t.call('POST', GNP_PATH, GNP);
      await t.call('DELETE', `${GNP_PATH}/deny-nodeports`);
      const evs = await readEvents(res, 4, 2000);
      const types = evs.map((e) => e['type']).filter((x) => x !== 'BOOKMARK');
      assert.deepEqual(types, ['ADDED', 'DELETED']);
      const table = await t.app.request(`${GNP_PATH}?watch=1&resourceVersion=0`, { headers: { authorization: `Bearer ${TOKENS.admin}`, accept: TABLE } });
      await t.call('POST', GNP_PATH, GNP);
      const [ev] = await readEvents(table, 1, 2000);
      assert.equal(ev!['type'], 'ADDED');
      assert.equal((ev!['object'] as Json)['kind'], 'Table');
    } finally {
      await t.close();
    }
  });

  test('a watch of Calico NetworkPolicies follows the knp.default.* policies too, as GET and list do', async () => {
    const t = await setup();
    try {
      const CNP = '/apis/projectcalico.org/v3/namespaces/default/networkpolicies';
      assert.equal((await t.call('POST', NP_PATH, { ...NP, metadata: { ...NP.metadata, name: 'before' } })).status, 201);
      const all = await t.app.request(`${CNP}?watch=1`, { headers: { authorization: `Bearer ${TOKENS.admin}` } });
      const first = await readEvents(all, 1, 2000);
      assert.deepEqual(first.map((e) => [e['type'], ((e['object'] as Json)['metadata'] as Json)['name']]), [['ADDED', 'knp.default.before']]);
      const list = await t.call('GET', CNP);
      const res = await t.app.request(`${CNP}?watch=1&resourceVersion=${String((list.body['metadata'] as Json)['resourceVersion'])}`, { headers: { authorization: `Bearer ${TOKENS.admin}` } });
      assert.equal((await t.call('POST', NP_PATH, NP)).status, 201);
      assert.equal((await t.call('DELETE', `${NP_PATH}/allow-web`)).status, 200);
      const evs = await readEvents(res, 2, 2000);
      assert.deepEqual(
        evs.map((e) => [e['type'], (e['object'] as Json)['kind'], ((e['object'] as Json)['metadata'] as Json)['name']]),
        [['ADDED', 'NetworkPolicy', 'knp.default.allow-web'], ['DELETED', 'NetworkPolicy', 'knp.default.allow-web']],
      );
      assert.equal((evs[0]!['object'] as Json)['apiVersion'], 'projectcalico.org/v3');
    } finally {
      await t.close();
    }
  });

  test('bookmarks arrive when asked for', async () => {
    const t = await setup();
    try {
      const res = await t.app.request(`${GNP_PATH}?watch=1&allowWatchBookmarks=true`, { headers: { authorization: `Bearer ${TOKENS.admin}` } });
      const evs = await readEvents(res, 1, 2000);
      assert.equal(evs[0]!['type'], 'BOOKMARK');
      assert.ok(((evs[0]!['object'] as Json)['metadata'] as Json)['resourceVersion']);
    } finally {
      await t.close();
    }
  });

  test('a resourceVersion older than the history is a 410 Expired ERROR event', async () => {
    const t = await setup({ historyLimit: 5 });
    try {
      for (let i = 0; i < 1100; i++) await t.ds.create({ group: 'projectcalico.org', plural: 'globalnetworksets' }, { apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkSet', metadata: { name: `s${i}` } });
      const res = await t.app.request(`${GNP_PATH}?watch=1&resourceVersion=2`, { headers: { authorization: `Bearer ${TOKENS.admin}` } });
      const [ev] = await readEvents(res, 1, 2000);
      assert.equal(ev!['type'], 'ERROR');
      assert.deepEqual([(ev!['object'] as Json)['code'], (ev!['object'] as Json)['reason']], [410, 'Expired']);
    } finally {
      await t.close();
    }
  });
});
