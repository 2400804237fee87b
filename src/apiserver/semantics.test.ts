/**
 * In-process tests (app.request on the memory datastore) of the list/watch semantics of the
 * Kubernetes API concepts documentation and the request rules kube-apiserver applies: paged
 * snapshots and expired continue tokens, resourceVersion and resourceVersionMatch, query
 * booleans and integers, sendInitialEvents, selector exits, delete Status, field selectors,
 * failed patch tests, the status subresource and the health endpoints.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { openMemoryDatastore, type MemoryDatastore } from '../datastore/index.js';
import { createApp } from './app.js';
import { readWatchEvents as readEvents } from './testdata/watch-events.js';

const TOKENS = { admin: 'admin-token', readOnly: 'ro-token' };
type Json = Record<string, unknown>;

const GNP_PATH = '/apis/projectcalico.org/v3/globalnetworkpolicies';
const NP_PATH = '/apis/networking.k8s.io/v1/namespaces/default/networkpolicies';
const gnp = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: 'projectcalico.org/v3',
  kind: 'GlobalNetworkPolicy',
  metadata: { name, labels },
  spec: { order: 10, selector: 'all()', types: ['Ingress'] },
});

async function setup() {
  const ds: MemoryDatastore = await openMemoryDatastore();
  const shutdown = new AbortController();
  const app = createApp({ datastore: ds, tokens: TOKENS, shutdown: shutdown.signal, bookmarkIntervalMs: 60_000, randomSuffix: () => 'abcde' });
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await app.request(path, {
      method,
      headers: { authorization: `Bearer ${TOKENS.admin}`, 'content-type': 'application/json', 'user-agent': 'test/1.0', ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    let parsed: Json;
    try {
      parsed = JSON.parse(text) as Json;
    } catch {
      parsed = { text };
    }
    return { status: res.status, body: parsed, text };
  };
  const watch = (path: string) => app.request(path, { headers: { authorization: `Bearer ${TOKENS.admin}` } });
  assert.equal((await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } })).status, 201);
  return {
    ds,
    app,
    call,
    watch,
    close: async () => {
      shutdown.abort();
      await ds.close();
    },
  };
}

type T = Awaited<ReturnType<typeof setup>>;

async function withServer(fn: (t: T) => Promise<void>): Promise<void> {
  const t = await setup();
  try {
    await fn(t);
  } finally {
    await t.close();
  }
}

const names = (body: Json): string[] => (body['items'] as { metadata: { name: string } }[]).map((o) => o.metadata.name);
const meta = (body: Json): Json => body['metadata'] as Json;


describe('paged lists are snapshots', () => {
  test('objects created or deleted after page 1 do not appear or disappear in later pages', () =>
    withServer(async (t) => {
      for (const n of ['a', 'b', 'c', 'd', 'e']) assert.equal((await t.call('POST', GNP_PATH, gnp(n))).status, 201);
      const p1 = await t.call('GET', `${GNP_PATH}?limit=2`);
      assert.deepEqual(names(p1.body), ['a', 'b']);
      assert.equal(meta(p1.body)['remainingItemCount'], 3);
      const rv1 = meta(p1.body)['resourceVersion'];
      await t.call('POST', GNP_PATH, gnp('cc'));
      await t.call('DELETE', `${GNP_PATH}/e`);
      await t.call('PATCH', `${GNP_PATH}/d`, { metadata: { labels: { changed: 'yes' } } }, { 'content-type': 'application/merge-patch+json' });
      const p2 = await t.call('GET', `${GNP_PATH}?limit=2&continue=${encodeURIComponent(String(meta(p1.body)['continue']))}`);
      assert.equal(p2.status, 200, p2.text);
      assert.deepEqual(names(p2.body), ['c', 'd']);
      assert.equal(meta(p2.body)['resourceVersion'], rv1);
      const d = (p2.body['items'] as { metadata: { labels?: Json } }[])[1]!;
      assert.deepEqual(d.metadata.labels ?? {}, {});
      const p3 = await t.call('GET', `${GNP_PATH}?limit=2&continue=${encodeURIComponent(String(meta(p2.body)['continue']))}`);
      assert.deepEqual(names(p3.body), ['e']);
      assert.equal(meta(p3.body)['continue'], undefined);
      // A fresh list sees the changes.
      assert.deepEqual(names((await t.call('GET', GNP_PATH)).body), ['a', 'b', 'c', 'cc', 'd']);
    }));

  test('an expired continue token is 410 Expired with a fresh token that resumes after the same key', () =>
    withServer(async (t) => {
      for (const n of ['a', 'b', 'c', 'd']) await t.call('POST', GNP_PATH, gnp(n));
      const p1 = await t.call('GET', `${GNP_PATH}?limit=2`);
      await t.call('POST', GNP_PATH, gnp('bb'));
      await t.ds.compact();
      const gone = await t.call('GET', `${GNP_PATH}?limit=2&continue=${encodeURIComponent(String(meta(p1.body)['continue']))}`);
      assert.equal(gone.status, 410, gone.text);
      assert.equal(gone.body['reason'], 'Expired');
      assert.match(String(gone.body['message']), /^The provided continue parameter is too old to display a consistent list result/);
      const fresh = meta(gone.body)['continue'];
      assert.equal(typeof fresh, 'string');
      const rest = await t.call('GET', `${GNP_PATH}?limit=10&continue=${encodeURIComponent(String(fresh))}`);
      assert.equal(rest.status, 200, rest.text);
      assert.deepEqual(names(rest.body), ['bb', 'c', 'd']);
    }));

  test('paging across namespaces whose names prefix each other returns every object once, in order', () =>
    withServer(async (t) => {
      for (const ns of ['a', 'a-b']) {
        await t.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
        for (const n of ['x', 'y'])
          await t.call('POST', `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies`, { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: n }, spec: { podSelector: {} } });
      }
      const seen: string[] = [];
      let cont: string | undefined;
      for (let i = 0; i < 10; i++) {
        const r = await t.call('GET', `/apis/networking.k8s.io/v1/networkpolicies?limit=1${cont === undefined ? '' : `&continue=${encodeURIComponent(cont)}`}`);
        assert.equal(r.status, 200, r.text);
        for (const o of r.body['items'] as { metadata: { namespace: string; name: string } }[]) seen.push(`${o.metadata.namespace}/${o.metadata.name}`);
        cont = meta(r.body)['continue'] as string | undefined;
        if (cont === undefined) break;
      }
      assert.deepEqual(seen, ['a/x', 'a/y', 'a-b/x', 'a-b/y']);
    }));

  test('bad continue tokens are 400', () =>
    withServer(async (t) => {
      for (const c of ['!!!', btoa('x'), btoa('{"rv":"abc","after":""}'), btoa('{"__proto__":{"rv":"1"}}')]) {
        const r = await t.call('GET', `${GNP_PATH}?continue=${encodeURIComponent(c)}`);
        assert.equal(r.status, 400, `${c}: ${r.text}`);
      }
    }));
});

describe('resourceVersion, resourceVersionMatch and query parameters', () => {
  test('Exact lists the snapshot; NotOlderThan a future version is 504 Too large; compacted is 410', () =>
    withServer(async (t) => {
      await t.call('POST', GNP_PATH, gnp('a'));
      const rv = String(meta((await t.call('GET', GNP_PATH)).body)['resourceVersion']);
      await t.call('POST', GNP_PATH, gnp('b'));
      const exact = await t.call('GET', `${GNP_PATH}?resourceVersion=${rv}&resourceVersionMatch=Exact`);
      assert.deepEqual(names(exact.body), ['a']);
      assert.equal(meta(exact.body)['resourceVersion'], rv);
      assert.deepEqual(names((await t.call('GET', `${GNP_PATH}?resourceVersion=${rv}&resourceVersionMatch=NotOlderThan`)).body), ['a', 'b']);
      const future = await t.call('GET', `${GNP_PATH}?resourceVersion=999999`);
      assert.equal(future.status, 504);
      assert.match(String(future.body['message']), /Too large resource version: 999999/);
      await t.ds.compact();
      const old = await t.call('GET', `${GNP_PATH}?resourceVersion=${rv}&resourceVersionMatch=Exact`);
      assert.equal(old.status, 410);
      assert.equal(old.body['reason'], 'Expired');
    }));

  test('ListOptions are validated as kube-apiserver does (422 ListOptions.meta.k8s.io)', async () =>
    withServer(async (t) => {
      const cases: [string, RegExp][] = [
        ['resourceVersionMatch=Exact', /resourceVersionMatch is forbidden unless resourceVersion is provided/],
        ['resourceVersion=1&resourceVersionMatch=Bogus', /Unsupported value: "Bogus": supported values: "Exact", "NotOlderThan", ""/],
        ['resourceVersion=0&resourceVersionMatch=Exact', /resourceVersionMatch "exact" is forbidden for resourceVersion "0"/],
        ['sendInitialEvents=true', /sendInitialEvents is forbidden for list/],
        ['watch=1&resourceVersionMatch=NotOlderThan', /resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided/],
        ['watch=1&sendInitialEvents=true', /sendInitialEvents requires setting/],
      ];
      for (const [q, want] of cases) {
        const r = await t.call('GET', `${GNP_PATH}?${q}`);
        assert.equal(r.status, 422, `${q}: ${r.text}`);
        assert.match(String(r.body['message']), /^ListOptions\.meta\.k8s\.io "" is invalid: /);
        assert.match(String(r.body['message']), want);
      }
    }));

  test('integers and resourceVersions that do not parse are 400 naming the parameter', () =>
    withServer(async (t) => {
      for (const q of ['limit=abc', 'limit=1.5', 'watch=1&timeoutSeconds=x', 'resourceVersion=abc', 'watch=1&resourceVersion=abc', 'resourceVersion=-3']) {
        const r = await t.call('GET', `${GNP_PATH}?${q}`);
        assert.equal(r.status, 400, `${q}: ${r.text}`);
        assert.equal(r.body['kind'], 'Status');
      }
      assert.match(String((await t.call('GET', `${GNP_PATH}?limit=abc`)).body['message']), /"limit".*strconv\.ParseInt: parsing "abc": invalid syntax/);
    }));

  test('booleans as apimachinery reads them: watch=True (Python) watches; 0/false/False do not', () =>
    withServer(async (t) => {
      for (const v of ['True', '1', 'true', 't', 'yes']) {
        const res = await t.watch(`${GNP_PATH}?watch=${v}&resourceVersion=0&timeoutSeconds=1`);
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('transfer-encoding'), 'chunked', `watch=${v} must watch`);
        await res.body?.cancel();
      }
      for (const v of ['False', '0', 'false', 'FALSE']) {
        const r = await t.call('GET', `${GNP_PATH}?watch=${v}`);
        assert.equal(r.body['kind'], 'GlobalNetworkPolicyList', `watch=${v} must list`);
      }
    }));
});

describe('watch', () => {
  test('sendInitialEvents: ADDED for each object, then the initial-events-end bookmark, then changes', () =>
    withServer(async (t) => {
      await t.call('POST', GNP_PATH, gnp('a'));
      await t.call('POST', GNP_PATH, gnp('b'));
      const res = await t.watch(`${GNP_PATH}?watch=1&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan`);
      assert.equal(res.status, 200);
      const later = (async () => {
        await new Promise((r) => setTimeout(r, 50));
        await t.call('POST', GNP_PATH, gnp('c'));
      })();
      const evs = await readEvents(res, 4);
      await later;
      assert.deepEqual(
        evs.map((e) => [e['type'], ((e['object'] as Json)['metadata'] as Json)['name'] ?? null]),
        [['ADDED', 'a'], ['ADDED', 'b'], ['BOOKMARK', null], ['ADDED', 'c']],
      );
      const bm = (evs[2]!['object'] as Json)['metadata'] as Json;
      assert.deepEqual(bm['annotations'], { 'k8s.io/initial-events-end': 'true' });
    }));

  test('from a compacted resourceVersion: an ERROR event carrying 410 Expired', () =>
    withServer(async (t) => {
      const rv = String(meta((await t.call('GET', GNP_PATH)).body)['resourceVersion']);
      await t.call('POST', GNP_PATH, gnp('a'));
      await t.call('POST', GNP_PATH, gnp('b'));
      await t.ds.compact();
      const evs = await readEvents(await t.watch(`${GNP_PATH}?watch=1&resourceVersion=${rv}`), 1);
      assert.equal(evs[0]?.['type'], 'ERROR');
      assert.equal((evs[0]!['object'] as Json)['code'], 410);
      assert.equal((evs[0]!['object'] as Json)['reason'], 'Expired');
    }));

  test('a label-selector watch: DELETED with the last matching state on leaving, ADDED on entering', () =>
    withServer(async (t) => {
      await t.call('POST', GNP_PATH, gnp('a', { team: 'x' }));
      const rv = String(meta((await t.call('GET', GNP_PATH)).body)['resourceVersion']);
      const res = await t.watch(`${GNP_PATH}?watch=1&resourceVersion=${rv}&labelSelector=team%3Dx`);
      const merge = { 'content-type': 'application/merge-patch+json' };
      const writes = (async () => {
        await new Promise((r) => setTimeout(r, 30));
        await t.call('PATCH', `${GNP_PATH}/a`, { metadata: { labels: { team: 'y' } } }, merge);
        await t.call('PATCH', `${GNP_PATH}/a`, { metadata: { labels: { team: 'x', v: '2' } } }, merge);
      })();
      const evs = await readEvents(res, 2);
      await writes;
      assert.deepEqual(evs.map((e) => e['type']), ['DELETED', 'ADDED']);
      assert.deepEqual(((evs[0]!['object'] as Json)['metadata'] as Json)['labels'], { team: 'x' });
      assert.deepEqual(((evs[1]!['object'] as Json)['metadata'] as Json)['labels'], { team: 'x', v: '2' });
    }));
});

describe('writes', () => {
  test('DELETE answers Status Success for networking.k8s.io NetworkPolicy, the object for Calico kinds and Pods', () =>
    withServer(async (t) => {
      const np = await t.call('POST', NP_PATH, { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'np' }, spec: { podSelector: {} } });
      const del = await t.call('DELETE', `${NP_PATH}/np`);
      assert.equal(del.status, 200);
      assert.deepEqual(del.body, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: { name: 'np', group: 'networking.k8s.io', kind: 'networkpolicies', uid: (np.body['metadata'] as Json)['uid'] },
      });
      await t.call('POST', GNP_PATH, gnp('g'));
      assert.equal((await t.call('DELETE', `${GNP_PATH}/g`)).body['kind'], 'GlobalNetworkPolicy');
      await t.call('POST', '/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'i' }] } });
      assert.equal((await t.call('DELETE', '/api/v1/namespaces/default/pods/p')).body['kind'], 'Pod');
    }));

  test('an unsupported field selector is 400 naming the field; supported ones filter', () =>
    withServer(async (t) => {
      const k8s = await t.call('GET', `/api/v1/namespaces/default/pods?fieldSelector=spec.nodeNmae%3Dw1`);
      assert.equal(k8s.status, 400);
      assert.equal(k8s.body['message'], 'field label not supported: spec.nodeNmae');
      const calico = await t.call('GET', `${GNP_PATH}?fieldSelector=spec.order%3D10`);
      assert.equal(calico.status, 400);
      assert.equal(calico.body['message'], '"spec.order" is not a known field selector: only "metadata.name", "metadata.namespace"');
      const watch = await t.call('GET', `${GNP_PATH}?watch=1&fieldSelector=spec.order%3D10`);
      assert.equal(watch.status, 400);
      await t.call('POST', GNP_PATH, gnp('a'));
      await t.call('POST', GNP_PATH, gnp('b'));
      assert.deepEqual(names((await t.call('GET', `${GNP_PATH}?fieldSelector=metadata.name%3Db`)).body), ['b']);
      assert.equal((await t.call('GET', `/api/v1/namespaces/default/pods?fieldSelector=status.phase%3DRunning,spec.nodeName%3Dw1`)).status, 200);
    }));

  test('a failed JSON-patch test is 422; a forbidden path 400', () =>
    withServer(async (t) => {
      await t.call('POST', GNP_PATH, gnp('a'));
      const jp = { 'content-type': 'application/json-patch+json' };
      const r = await t.call('PATCH', `${GNP_PATH}/a`, [{ op: 'test', path: '/spec/order', value: 11 }, { op: 'replace', path: '/spec/order', value: 12 }], jp);
      assert.equal(r.status, 422, r.text);
      assert.equal(r.body['reason'], 'Invalid');
      assert.equal((await t.call('GET', `${GNP_PATH}/a`)).body['spec'] !== undefined, true);
      assert.equal(((await t.call('GET', `${GNP_PATH}/a`)).body['spec'] as Json)['order'], 10);
      const ok = await t.call('PATCH', `${GNP_PATH}/a`, [{ op: 'test', path: '/spec/order', value: 10 }, { op: 'replace', path: '/spec/order', value: 12 }], jp);
      assert.equal(ok.status, 200);
      assert.equal((await t.call('PATCH', `${GNP_PATH}/a`, '[{"op":"add","path":"/__proto__/x","value":1}]', jp)).status, 400);
    }));

  test('status subresource: the main resource keeps status; /status changes only status', () =>
    withServer(async (t) => {
      const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'w1', labels: { a: '1' } }, status: { addresses: [{ type: 'InternalIP', address: '198.18.0.10' }] } };
      assert.equal((await t.call('POST', '/api/v1/nodes', node)).status, 201);
      const put = await t.call('PUT', '/api/v1/nodes/w1', { ...node, metadata: { name: 'w1', labels: { a: '2' } }, status: { addresses: [{ type: 'InternalIP', address: '198.18.0.99' }] } });
      assert.equal(put.status, 200, put.text);
      assert.deepEqual((put.body['metadata'] as Json)['labels'], { a: '2' });
      assert.deepEqual(put.body['status'], node.status);
      const applied = await t.call(
        'PATCH',
        '/api/v1/nodes/w1?fieldManager=kubectl&force=true',
        { apiVersion: 'v1', kind: 'Node', metadata: { name: 'w1', labels: { a: '3' } }, status: { addresses: [] } },
        { 'content-type': 'application/apply-patch+yaml' },
      );
      assert.equal(applied.status, 200, applied.text);
      assert.deepEqual(applied.body['status'], node.status);
      const st = await t.call('PATCH', '/api/v1/nodes/w1/status', { metadata: { labels: { a: 'status-write' } }, status: { addresses: [{ type: 'InternalIP', address: '198.18.0.11' }] } }, { 'content-type': 'application/merge-patch+json' });
      assert.equal(st.status, 200, st.text);
      assert.deepEqual(st.body['status'], { addresses: [{ type: 'InternalIP', address: '198.18.0.11' }] });
      assert.deepEqual((st.body['metadata'] as Json)['labels'], { a: '3' });
      assert.equal((await t.call('GET', '/api/v1/nodes/w1/status')).status, 200);
      await t.call('POST', GNP_PATH, gnp('g'));
      assert.equal((await t.call('GET', `${GNP_PATH}/g/status`)).status, 404);
    }));
});

describe('health', () => {
  test('/readyz?verbose lists the checks; /readyz and /healthz fail while the datastore is down, /livez does not', async () => {
    const t = await setup();
    try {
      const ok = await t.app.request('/readyz?verbose');
      assert.equal(ok.status, 200);
      assert.equal(await ok.text(), '[+]ping ok\n[+]memory ok\nreadyz check passed\n');
      assert.equal(await (await t.app.request('/readyz')).text(), 'ok');
      await t.ds.close();
      const down = await t.app.request('/readyz?verbose');
      assert.equal(down.status, 503);
      assert.equal(await down.text(), '[+]ping ok\n[-]memory failed: reason withheld\nreadyz check failed\n');
      assert.equal((await t.app.request('/healthz')).status, 503);
      assert.equal((await t.app.request('/readyz/memory')).status, 503);
      const live = await t.app.request('/livez?verbose');
      assert.equal(live.status, 200);
      assert.equal(await live.text(), '[+]ping ok\nlivez check passed\n');
    } finally {
      await t.close();
    }
  });
});
