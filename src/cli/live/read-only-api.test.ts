/**
 * The dashboard's read-only API over a live view (read-only-api.ts), the live view fed by a real
 * HTTP peer on 127.0.0.1 whose watch stream the test writes to: lists and items with the view's
 * resourceVersions, a watch resumed from a list gets exactly the later changes, one resumed from a
 * change no longer kept gets 410 Expired, and writes get 405 naming the read-only mode.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeApi } from './api.js';
import { LiveCluster } from './live.js';
import { createReadOnlyApi } from './read-only-api.js';

const PODS = { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true };
const pod = (name: string, rv: string): object => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', resourceVersion: rv } });

async function firstLines(res: Response, n: number): Promise<{ type: string; object: { metadata: { name?: string; resourceVersion?: string }; code?: number } }[]> {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = '';
  const out: string[] = [];
  const deadline = Date.now() + 5000;
  while (out.length < n) {
    if (Date.now() > deadline) throw new Error(`fewer than ${n} lines within 5 s: ${JSON.stringify(out)}`);
    const { done, value } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      out.push(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  }
  await reader.cancel();
  return out.map((l) => JSON.parse(l) as never);
}

test('lists, watches resumed from a list or expired, and 405 for writes', async () => {
  let stream: ServerResponse | undefined;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    res.writeHead(200, { 'content-type': 'application/json' });
    if (url.searchParams.get('watch') === '1') stream = res;
    else res.end(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '10' }, items: [pod('a', '5')] }));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const api = new KubeApi({ server: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  const live = new LiveCluster(api, { calicoApi: 'none', types: [PODS], missing: [] }, { logSize: 2 });
  const push = async (name: string, rv: string, seq: number): Promise<void> => {
    stream!.write(`${JSON.stringify({ type: 'ADDED', object: pod(name, rv) })}\n`);
    const deadline = Date.now() + 5000;
    while (live.seq < seq) {
      if (Date.now() > deadline) throw new Error(`change ${seq} not in the live view within 5 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  try {
    await live.start();
    const deadline = Date.now() + 5000;
    while (stream === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const ro = createReadOnlyApi(live, { origin: 'cluster http://peer (no Calico API)' });
    const get = (path: string, method = 'GET'): Promise<Response> => ro(new Request(`http://dash${path}`, { method }));

    const l = (await (await get('/api/v1/pods')).json()) as { metadata: { resourceVersion: string }; items: { metadata: { name: string; resourceVersion: string } }[] };
    assert.equal(l.metadata.resourceVersion, '1');
    assert.deepEqual(l.items.map((i) => [i.metadata.name, i.metadata.resourceVersion]), [['a', '1']]);
    assert.equal((await get('/api/v1/namespaces/default/pods/a')).status, 200);
    assert.equal((await get('/api/v1/namespaces/other/pods/a')).status, 404);
    assert.equal((await get('/api/v1/nodes')).status, 200, 'a kind not read is an empty list');
    assert.equal((await get('/apis/nope/v1/things')).status, 404);

    await push('b', '11', 1);
    const w = await firstLines(await get('/api/v1/pods?watch=1&resourceVersion=1'), 1);
    assert.deepEqual(w.map((e) => [e.type, e.object.metadata.name, e.object.metadata.resourceVersion]), [['ADDED', 'b', '2']]);

    await push('c', '12', 2);
    await push('d', '13', 3);
    // changes 2 and 3 are kept (logSize 2): from the list of change 1 ("2") resumes; from "1" is expired
    const resumed = await firstLines(await get('/api/v1/pods?watch=1&resourceVersion=2'), 2);
    assert.deepEqual(resumed.map((e) => e.object.metadata.name), ['c', 'd']);
    const expired = await firstLines(await get('/api/v1/pods?watch=1&resourceVersion=1'), 1);
    assert.equal(expired[0]!.type, 'ERROR');
    assert.equal(expired[0]!.object.code, 410);

    for (const m of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const r = await get('/api/v1/namespaces/default/pods/a', m);
      assert.equal(r.status, 405);
      const st = (await r.json()) as { reason: string; message: string };
      assert.equal(st.reason, 'MethodNotAllowed');
      assert.equal(st.message, `read-only: tabby dashboard shows cluster http://peer (no Calico API) and does not change it; ${m} /api/v1/namespaces/default/pods/a is not allowed (change the cluster with kubectl)`);
    }
  } finally {
    live.close();
    api.close();
    server.closeAllConnections();
    await new Promise<void>((ok) => server.close(() => ok()));
  }
});
