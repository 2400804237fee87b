/**
 * The live view's list + watch against a real HTTP peer on 127.0.0.1 (node:http, a free port)
 * that answers as a Kubernetes API server would in the situations the reflector must survive:
 * a watch answered with an ERROR 410 Expired (list again, report what vanished), a connection
 * dropped mid-stream (resume from the last resourceVersion seen), a stream that is not JSON or
 * has too long a line (a clear error, bounded retries, then `failed`), and a 403 on the watch
 * (give up at once, naming `tabby rbac`). The peer is scripted per request; the code under test
 * (KubeApi, LiveCluster) is the real one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeApi } from './api.js';
import { LiveCluster, type LiveChange } from './live.js';
import type { Discovery } from './reader.js';

const PODS = { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true };
const DISCOVERY: Discovery = { calicoApi: 'none', types: [PODS], missing: [] };

const pod = (name: string, rv: string): object => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', resourceVersion: rv } });
const list = (rv: string, items: object[]): string => JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: rv }, items });
const line = (type: string, object: object): string => `${JSON.stringify({ type, object })}\n`;

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

/** A peer answering list requests with `onList` and watch requests with `onWatch`, recording the watches' resourceVersions. */
async function peer(onList: Handler, onWatch: Handler): Promise<{ server: Server; url: string; watches: string[]; lists: number }> {
  const state = { watches: [] as string[], lists: 0 };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/api/v1/pods') {
      res.writeHead(404).end();
      return;
    }
    if (url.searchParams.get('watch') === '1') {
      state.watches.push(url.searchParams.get('resourceVersion') ?? '');
      onWatch(req, res, url);
    } else {
      state.lists++;
      onList(req, res, url);
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(state, { server, url: `http://127.0.0.1:${port}` });
}

async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((ok) => server.close(() => ok()));
}

/** Resolves once `cond` holds (checked on every change and every 20 ms), failing after 5 s. */
async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`not within 5 s: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const names = (live: LiveCluster): string[] => live.items(PODS).map((o) => String((o['metadata'] as { name: string }).name)).sort();

test('a watch answered 410 Expired lists again and reports what changed meanwhile', async () => {
  let listed = 0;
  let watched = 0;
  const p = await peer(
    (_req, res) => {
      listed++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(listed === 1 ? list('10', [pod('a', '5'), pod('b', '6')]) : list('20', [pod('b', '6'), pod('c', '19')]));
    },
    (_req, res) => {
      watched++;
      res.writeHead(200, { 'content-type': 'application/json' });
      if (watched === 1) res.end(line('ERROR', { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410, message: 'too old resource version: 10 (15)' }));
      else res.write(line('ADDED', pod('d', '21'))); // and stays open
    },
  );
  const api = new KubeApi({ server: p.url });
  const live = new LiveCluster(api, DISCOVERY, { retry: { initialMs: 10, maxMs: 50, maxFailures: 3 } });
  const seen: LiveChange[] = [];
  live.subscribe((c) => seen.push(c));
  try {
    await live.start();
    assert.deepEqual(names(live), ['a', 'b']);
    await until(() => names(live).includes('d'), 'pod d from the watch after the relist');
    assert.deepEqual(names(live), ['b', 'c', 'd']);
    assert.deepEqual(
      seen.map((c) => `${c.type} ${String((c.object['metadata'] as { name: string }).name)}`),
      ['DELETED a', 'ADDED c', 'ADDED d'],
    );
    assert.deepEqual(p.watches, ['10', '20'], 'the second watch starts from the new list');
    assert.equal(live.stats.relists, 1);
    assert.deepEqual(live.changesSince(0)?.map((c) => c.seq), [1, 2, 3]);
    assert.deepEqual(live.changesSince(2)?.map((c) => c.seq), [3]);
  } finally {
    live.close();
    api.close();
    await stop(p.server);
  }
});

test('a dropped connection resumes the watch from the last resourceVersion seen, without listing again', async () => {
  let watched = 0;
  const p = await peer(
    (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(list('10', [pod('a', '5')]));
    },
    (_req, res) => {
      watched++;
      res.writeHead(200, { 'content-type': 'application/json' });
      if (watched === 1) {
        res.write(line('ADDED', pod('b', '11')));
        res.write(line('BOOKMARK', { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: '15' } }));
        // then the connection drops mid-stream (no terminating chunk)
        setTimeout(() => res.socket?.destroy(), 50);
      } else res.write(line('MODIFIED', pod('a', '16')));
    },
  );
  const api = new KubeApi({ server: p.url });
  const live = new LiveCluster(api, DISCOVERY, { retry: { initialMs: 10, maxMs: 50, maxFailures: 3 } });
  try {
    await live.start();
    await until(() => p.watches.length >= 2 && live.seq >= 2, 'the second watch and its event');
    assert.deepEqual(p.watches.slice(0, 2), ['10', '15'], 'resumed from the bookmark');
    assert.equal(p.lists, 1);
    assert.deepEqual(names(live), ['a', 'b']);
    assert.equal((live.items(PODS).find((o) => (o['metadata'] as { name: string }).name === 'a')!['metadata'] as { resourceVersion: string }).resourceVersion, '16');
    assert.ok(live.stats.reconnects >= 1);
  } finally {
    live.close();
    api.close();
    await stop(p.server);
  }
});

test('a stream that is not JSON, or too long a line, is a clear error: bounded retries, then failed', async () => {
  for (const [body, want] of [
    ['{"type":"ADDED","object":{"metadata":\n', /lost the cluster: 3 attempts in a row to follow pods failed; the last: cannot watch pods: watch \/api\/v1\/pods: event 1 is not JSON \(/],
    [`${'x'.repeat(5000)}`, /the last: cannot watch pods: watch \/api\/v1\/pods: event 1 is longer than 4096 bytes$/],
    ['[1,2]\n', /event 1 is not a JSON object$/],
    [line('ADDED', { metadata: { name: 'x' } }), /event 1 \(ADDED\): the object has no metadata\.resourceVersion$/],
  ] as const) {
    const p = await peer(
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(list('10', [pod('a', '5')]));
      },
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(body);
      },
    );
    const api = new KubeApi({ server: p.url, maxEventBytes: 4096 });
    const live = new LiveCluster(api, DISCOVERY, { retry: { initialMs: 5, maxMs: 20, maxFailures: 3 } });
    try {
      await live.start();
      const err = await Promise.race([live.failed, new Promise<undefined>((r) => setTimeout(() => r(undefined), 5000))]);
      assert.ok(err !== undefined, 'gave up within 5 s');
      assert.match(err.message, want);
      assert.equal(p.watches.length, 3, 'exactly maxFailures attempts');
      assert.deepEqual(names(live), ['a'], 'what was read stays');
    } finally {
      live.close();
      api.close();
      await stop(p.server);
    }
  }
});

test('a watch refused 403 gives up at once, naming the resource and tabby rbac', async () => {
  const p = await peer(
    (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(list('10', []));
    },
    (_req, res) => {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Forbidden', code: 403, message: 'pods is forbidden: User "u" cannot watch resource "pods" in API group "" at the cluster scope' }));
    },
  );
  const api = new KubeApi({ server: p.url });
  const live = new LiveCluster(api, DISCOVERY, { retry: { initialMs: 5, maxMs: 20, maxFailures: 5 } });
  try {
    await live.start();
    const err = await Promise.race([live.failed, new Promise<undefined>((r) => setTimeout(() => r(undefined), 5000))]);
    assert.equal(
      err?.message,
      'cannot watch pods: forbidden (HTTP 403: pods is forbidden: User "u" cannot watch resource "pods" in API group "" at the cluster scope); the reader needs the ClusterRole that `tabby rbac` prints',
    );
    assert.equal(p.watches.length, 1);
  } finally {
    live.close();
    api.close();
    await stop(p.server);
  }
});
