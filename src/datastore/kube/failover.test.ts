/**
 * Failover between API servers in the kube datastore, with small local HTTP servers standing in
 * for three behaviours of a failing API server (the watch failover against real Tabby servers is
 * in test/e2e/join.test.ts): a 503, a refused connection, and a connection reset after a write
 * was received — the write is not sent again (it may have been applied). Also the server lists
 * of kubeconfigs and of calicoctl's k8sAPIEndpoint. Everything listens on 127.0.0.1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UnavailableError } from '../errors.js';
import { KubeDatastore } from './kube-datastore.js';
import { kubeconfigToOptions } from './kubeconfig.js';
import { kubeOptionsFor } from '../../cli/datastore-config.js';

const GNP = { group: 'projectcalico.org', plural: 'globalnetworkpolicies' };

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; hits: string[]; close: () => Promise<void> }> {
  const hits: string[] = [];
  const s: Server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`,
    hits,
    close: () =>
      new Promise<void>((ok) => {
        s.closeAllConnections();
        s.close(() => ok());
      }),
  };
}

const list = (res: ServerResponse): void => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ kind: 'GlobalNetworkPolicyList', metadata: { resourceVersion: '42' }, items: [] }));
};

test('a 503 or a refused connection moves a request to the next server, which is then kept', async () => {
  const sick = await serve((_req, res) => {
    res.writeHead(503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', code: 503, message: 'etcd is down' }));
  });
  const well = await serve((_req, res) => list(res));
  const gone = await serve(() => undefined);
  await gone.close(); // its port now refuses
  const ds = new KubeDatastore({ server: gone.url, servers: [sick.url, well.url] });
  try {
    assert.equal(ds.description, `kubernetes at ${gone.url}, ${sick.url}, ${well.url}`);
    assert.equal((await ds.list(GNP)).revision, '42');
    assert.equal(sick.hits.length, 1);
    assert.equal((await ds.list(GNP)).revision, '42');
    assert.equal(sick.hits.length, 1, 'the server that answered is asked first next time');
    assert.equal(well.hits.length, 2);
  } finally {
    await ds.close();
    await sick.close();
    await well.close();
  }
});

test('a write whose connection breaks after it was sent is not sent again; every server failing is one UnavailableError', async () => {
  const reset = await serve((req) => req.socket.destroy());
  const other = await serve((_req, res) => list(res));
  const ds = new KubeDatastore({ server: reset.url, servers: [other.url] });
  try {
    const obj = { apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name: 'x' }, spec: {} };
    await assert.rejects(ds.create(GNP, obj), (e: unknown) => e instanceof UnavailableError && /connection reset|socket hang up/.test(e.message));
    assert.deepEqual(other.hits, [], 'the write went to one server only');
  } finally {
    await ds.close();
    await reset.close();
    await other.close();
  }
  const a = await serve((_req, res) => void res.writeHead(503).end('{}'));
  const b = await serve((_req, res) => void res.writeHead(503).end('{}'));
  const both = new KubeDatastore({ server: a.url, servers: [b.url] });
  try {
    await assert.rejects(both.list(GNP), UnavailableError);
    assert.equal(a.hits.length + b.hits.length, 2, 'each server once');
  } finally {
    await both.close();
    await a.close();
    await b.close();
  }
});

test('server lists: the kubeconfig extension tabby.dev/servers and a comma-separated k8sAPIEndpoint', () => {
  const kc = {
    'current-context': 'c',
    contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }],
    clusters: [{ name: 'k', cluster: { server: 'https://a:6443', extensions: [{ name: 'tabby.dev/servers', extension: { servers: ['https://a:6443', 'https://b:6443', 'not a url'] } }] } }],
    users: [{ name: 'u', user: { token: 't' } }],
  };
  const r = kubeconfigToOptions(kc, { baseDir: '.' });
  assert.ok(r.ok);
  assert.equal(r.value.server, 'https://a:6443');
  assert.deepEqual(r.value.servers, ['https://b:6443']);
  const o = kubeOptionsFor({ k8sAPIEndpoint: 'https://a:6443, https://b:6443' });
  assert.equal(o.server, 'https://a:6443');
  assert.deepEqual(o.servers, ['https://b:6443']);
});
