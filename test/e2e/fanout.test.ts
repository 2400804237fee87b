/**
 * End to end, the fan-out tier (`tabby server --role fanout`, src/fanout): a real `runServer`
 * upstream, a real fan-out in front of it, and three agents' syncers (the agent's own list+watch
 * code over the Kubernetes datastore) connected to the fan-out. A reference syncer watches the
 * upstream directly; every fan-out syncer must reach exactly its objects and resourceVersions.
 *
 * The fan-out reaches the upstream through a counting HTTP relay in this test (a real forwarding
 * proxy, not a stand-in): the upstream must see ONE watch per resource type however many agents
 * watch the fan-out. Then the fan-out is stopped, the cluster changes while it is down, a new
 * fan-out starts on the same port, and every syncer converges again (the deletion made while it
 * was down included); a watch from a resourceVersion older than the new cache gets 410. The
 * fan-out's access checks are the upstream's: a bad token is 401, a token without the right is
 * 403, and writes sent to the fan-out are the upstream's to allow. Every wait is bounded.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { request as httpsRequest, Agent } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runServer, type RunningServer } from '../../src/apiserver/main.js';
import { runFanout, type RunningFanout } from '../../src/fanout/server.js';
import { fanoutTypes } from '../../src/cli/commands/server.js';
import { KubeDatastore } from '../../src/datastore/kube/kube-datastore.js';
import { Syncer } from '../../src/agent/syncer.js';
import { runAgent } from '../../src/agent/main.js';
import { readNodeStatus } from '../../src/agent/status.js';
import { RecordingDriver } from '../../src/dataplane/record/driver.js';
import { createCa, loadCa } from '../../src/apiserver/pki.js';
import { workloadInterfaceName } from '../../src/engine/index.js';

const LIMITED = 'limited-token-0123456789abcdef0123456789';

const collection = (t: { group: string; version: string; plural: string }): string => (t.group === '' ? `/api/${t.version}/${t.plural}` : `/apis/${t.group}/${t.version}/${t.plural}`);

interface Relay {
  readonly url: string;
  /** `GET <path>` requests seen, by path: lists, watches, and watches open now. */
  readonly counts: Map<string, { lists: number; watches: number; open: number }>;
  close(): Promise<void>;
}

/** A plain HTTP relay to the upstream's HTTPS port that counts list and watch requests per collection path. */
async function relay(up: RunningServer): Promise<Relay> {
  const counts = new Map<string, { lists: number; watches: number; open: number }>();
  const agent = new Agent({ keepAlive: true, ca: up.caPem });
  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://relay.invalid');
    if (req.method === 'GET') {
      const c = counts.get(u.pathname) ?? { lists: 0, watches: 0, open: 0 };
      if (u.searchParams.get('watch') === '1') {
        c.watches++;
        c.open++;
        res.on('close', () => c.open--);
      } else c.lists++;
      counts.set(u.pathname, c);
    }
    const headers = { ...req.headers };
    delete headers.host;
    const out = httpsRequest(new URL(req.url ?? '/', up.url), { method: req.method, headers, agent }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    out.on('error', () => res.destroy());
    res.on('close', () => out.destroy());
    req.pipe(out);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}

function call(url: string, ca: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  return new Promise((ok, fail) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = httpsRequest(new URL(path, url), { method, ca, headers: { authorization: `Bearer ${token}`, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
        // a watch: the first line is enough
        if (path.includes('watch=1') && text.includes('\n')) {
          res.destroy();
          ok({ status: res.statusCode ?? 0, text });
        }
      });
      res.on('end', () => ok({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', fail);
    req.end(payload);
  });
}

async function until(what: string, cond: () => boolean, ms: number, detail: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}${detail() ? `: ${detail()}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** What a syncer holds: every decoded resource with its resourceVersion, sorted. */
const state = (s: Syncer): string[] =>
  s
    .resources()
    .map((r) => `${r.kind} ${r.metadata?.namespace ?? ''}/${r.metadata?.name ?? ''} ${r.metadata?.resourceVersion ?? ''}`)
    .sort();

const pod = (ns: string, name: string, node: string, app: string): unknown => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, labels: { app } },
  spec: { nodeName: node, containers: [{ name: 'c', image: 'nginx:1.27' }] },
  status: { podIP: `198.18.0.${10 + Number(name.replace(/\D/g, '') || 0)}` },
});

describe('tabby server --role fanout', () => {
  let dir = '';
  let up: RunningServer | undefined;
  let rel: Relay | undefined;
  let fan: RunningFanout | undefined;
  const stops: AbortController[] = [];
  const stores: KubeDatastore[] = [];
  let reference: Syncer | undefined;
  const agents: Syncer[] = [];
  let pki: { certPem: string; keyPem: string } = { certPem: '', keyPem: '' };

  const startFanout = async (port: number): Promise<RunningFanout> =>
    runFanout({ urls: [rel!.url], token: up!.readOnlyToken, certPem: pki.certPem, keyPem: pki.keyPem, port, types: fanoutTypes() });

  const syncer = (server: string): Syncer => {
    const ds = new KubeDatastore({ server, token: up!.adminToken, caPem: up!.caPem });
    stores.push(ds);
    const s = new Syncer({ datastore: ds, retryMs: 50 });
    const ac = new AbortController();
    stops.push(ac);
    void s.run(ac.signal);
    return s;
  };

  const converged = async (what: string): Promise<void> => {
    await until(
      what,
      () => reference!.inSync && agents.every((a) => a.inSync && JSON.stringify(state(a)) === JSON.stringify(state(reference!))),
      30_000,
      () => {
        const want = new Set(state(reference!));
        return agents.map((a, i) => `agent ${i}: missing ${state(a).filter((x) => !want.has(x)).length === 0 ? [...want].filter((x) => !state(a).includes(x)).slice(0, 3).join('; ') : `extra ${state(a).filter((x) => !want.has(x)).slice(0, 3).join('; ')}`}`).join(' | ');
      },
    );
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tabby-fanout-'));
    up = await runServer({
      dataDir: dir,
      port: 0,
      uiDir: join(dir, 'no-ui'),
      users: [{ token: LIMITED, name: 'limited', rules: [{ apiGroups: ['projectcalico.org'], resources: ['globalnetworkpolicies'], verbs: ['get', 'list', 'watch'] }] }],
    });
    pki = { certPem: await readFile(join(dir, 'pki', 'server.crt'), 'utf8'), keyPem: await readFile(join(dir, 'pki', 'server.key'), 'utf8') };
    rel = await relay(up);
    const admin = up.adminToken;
    for (const ns of ['shop', 'bank']) assert.equal((await call(up.url, up.caPem, admin, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })).status, 201);
    assert.equal((await call(up.url, up.caPem, admin, 'POST', '/api/v1/namespaces/shop/pods', pod('shop', 'p1', 'n1', 'web'))).status, 201);
    fan = await startFanout(0);
    await fan.ready;
    reference = syncer(up.url);
    for (let i = 0; i < 3; i++) agents.push(syncer(fan.url));
  });

  after(async () => {
    for (const ac of stops) ac.abort();
    for (const ds of stores) await ds.close();
    await fan?.stop();
    await rel?.close();
    await up?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('three agents through the fan-out get every change; the upstream sees one watch per resource', { timeout: 90_000 }, async () => {
    await converged('the first sync');
    const admin = up!.adminToken;
    const U = (m: string, p: string, b?: unknown): Promise<{ status: number; text: string }> => call(up!.url, up!.caPem, admin, m, p, b);
    assert.equal((await U('POST', '/api/v1/namespaces/shop/pods', pod('shop', 'p2', 'n2', 'db'))).status, 201);
    assert.equal((await U('POST', '/api/v1/namespaces/bank/pods', pod('bank', 'p3', 'n1', 'web'))).status, 201);
    assert.equal(
      (await U('POST', '/apis/projectcalico.org/v3/globalnetworkpolicies', { apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name: 'deny-db' }, spec: { selector: "app == 'db'", types: ['Ingress'] } })).status,
      201,
    );
    assert.equal(
      (await U('POST', '/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies', { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'web', namespace: 'shop' }, spec: { podSelector: { matchLabels: { app: 'web' } } } })).status,
      201,
    );
    assert.equal((await U('DELETE', '/api/v1/namespaces/shop/pods/p2')).status, 200);
    await converged('the changes');
    const s = state(agents[0]!);
    assert.ok(s.some((x) => x.startsWith('GlobalNetworkPolicy /deny-db ')), s.join('\n'));
    assert.ok(s.some((x) => x.startsWith('Pod bank/p3 ')));
    assert.ok(!s.some((x) => x.startsWith('Pod shop/p2 ')));

    // one list and one watch per cached type upstream, for three agents (and a fourth joining now)
    agents.push(syncer(fan!.url));
    await converged('a fourth agent');
    const types = fanoutTypes();
    for (const t of types) assert.deepEqual(rel!.counts.get(collection(t)), { lists: 1, watches: 1, open: 1 }, collection(t));
    for (const [path, c] of rel!.counts) if (c.watches > 0) assert.ok(types.some((t) => path.endsWith(`/${t.plural}`)), `unexpected upstream watch ${path}`);
    const stats = fan!.stats();
    assert.equal(stats['/pods']!.watchers, 4);
    // an agent's own Pods (fieldSelector=spec.nodeName=<node>) come from the cache, as the upstream lists them
    const names = (text: string): string[] => ((JSON.parse(text) as { items: { metadata: { namespace: string; name: string } }[] }).items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).sort();
    const podLists = rel!.counts.get('/api/v1/pods')!.lists;
    const q = `/api/v1/pods?fieldSelector=${encodeURIComponent('spec.nodeName=n1')}`;
    const fromFan = await call(fan!.url, up!.caPem, admin, 'GET', q);
    const fromUp = await call(up!.url, up!.caPem, admin, 'GET', q);
    assert.equal(fromFan.status, 200, fromFan.text);
    assert.deepEqual(names(fromFan.text), names(fromUp.text));
    assert.deepEqual(names(fromFan.text), ['bank/p3', 'shop/p1']);
    assert.equal(rel!.counts.get('/api/v1/pods')!.lists, podLists, 'the node list was served from the cache');
    // any other field selector goes upstream (and still answers)
    assert.equal((await call(fan!.url, up!.caPem, admin, 'GET', `/api/v1/pods?fieldSelector=${encodeURIComponent('status.phase=Running')}`)).status, 200);
  });

  test("the upstream decides who may read: 401, 403 and the read-only token", { timeout: 30_000 }, async () => {
    const f = fan!;
    const ca = up!.caPem;
    assert.equal((await call(f.url, ca, 'not-a-token', 'GET', '/api/v1/pods')).status, 401);
    const denied = await call(f.url, ca, LIMITED, 'GET', '/api/v1/pods?watch=1&resourceVersion=0');
    assert.equal(denied.status, 403);
    assert.match(denied.text, /"reason":"Forbidden"/);
    const allowed = await call(f.url, ca, LIMITED, 'GET', '/apis/projectcalico.org/v3/globalnetworkpolicies');
    assert.equal(allowed.status, 200);
    assert.match(allowed.text, /deny-db/);
    assert.equal((await call(f.url, ca, up!.readOnlyToken, 'GET', '/api/v1/namespaces/shop/pods')).status, 200);
    // writes are forwarded with the caller's credential: read-only is refused by the upstream, admin creates
    const gnp = { apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name: 'via-fanout' }, spec: { selector: 'all()' } };
    const ro = await call(f.url, ca, up!.readOnlyToken, 'POST', '/apis/projectcalico.org/v3/globalnetworkpolicies', gnp);
    assert.equal(ro.status, 403, ro.text);
    assert.equal((await call(f.url, ca, up!.adminToken, 'POST', '/apis/projectcalico.org/v3/globalnetworkpolicies', gnp)).status, 201);
    assert.equal((await call(up!.url, ca, up!.adminToken, 'GET', '/apis/projectcalico.org/v3/globalnetworkpolicies/via-fanout')).status, 200);
    await converged('the write through the fan-out');
  });

  test('fan-out restart: changes made while it is down reach every agent; an old resourceVersion is 410', { timeout: 90_000 }, async () => {
    const port = fan!.port;
    await fan!.stop();
    const U = (m: string, p: string, b?: unknown): Promise<{ status: number; text: string }> => call(up!.url, up!.caPem, up!.adminToken, m, p, b);
    assert.equal((await U('DELETE', '/api/v1/namespaces/shop/pods/p1')).status, 200);
    assert.equal((await U('POST', '/api/v1/namespaces/bank/pods', pod('bank', 'p9', 'n2', 'web'))).status, 201);
    assert.equal((await U('DELETE', '/apis/projectcalico.org/v3/globalnetworkpolicies/deny-db')).status, 200);
    fan = await startFanout(port);
    await fan.ready;
    await converged('the agents after the fan-out restart');
    const s = state(agents[0]!);
    assert.ok(!s.some((x) => x.startsWith('Pod shop/p1 ')), 'a pod deleted while the fan-out was down is gone');
    assert.ok(s.some((x) => x.startsWith('Pod bank/p9 ')));
    assert.ok(!s.some((x) => x.includes('/deny-db ')));
    // changes after the restart flow as before
    assert.equal((await U('POST', '/api/v1/namespaces/shop/pods', pod('shop', 'p10', 'n1', 'web'))).status, 201);
    await converged('a change after the restart');
    // history from before the new cache's list is gone: 410, so the client relists
    const old = await call(fan.url, up!.caPem, up!.adminToken, 'GET', '/api/v1/pods?watch=1&resourceVersion=1');
    assert.equal(old.status, 200);
    assert.match(old.text, /"type":"ERROR".*"code":410/);
    // the upstream: again one open watch per type (the new fan-out's), whatever the agents did;
    // a request the relay reset while the fan-outs changed over may have been retried once
    for (const t of fanoutTypes()) {
      const c = rel!.counts.get(collection(t))!;
      assert.equal(c.open, 1, collection(t));
      assert.ok(c.watches >= 2 && c.watches <= 3 && c.lists >= 2 && c.lists <= 3, `${collection(t)}: ${JSON.stringify(c)}`);
    }
  });
});

/**
 * Agents that joined with a bootstrap token hold a node certificate (CN=system:node:<name>,
 * O=system:nodes), not a bearer token. The fan-out verifies it against the cluster CA and
 * serves the node as itself: its reads are allowed by the upstream's access review for the
 * impersonated node, and its writes (status on its own Calico Node) are forwarded with the
 * fan-out's credential impersonating the node, so the upstream's Node authorizer and admission
 * decide (another node's Node: 403). A certificate of another CA is 401; a bearer token cannot
 * smuggle impersonation headers through the fan-out.
 */
describe('tabby server --role fanout with node certificates', () => {
  let dir = '';
  let up: RunningServer | undefined;
  let fan: RunningFanout | undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tabby-fanout-cert-'));
    up = await runServer({ dataDir: dir, port: 0, uiDir: join(dir, 'no-ui'), users: [{ token: LIMITED, name: 'limited', rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }] }] });
    const certPem = await readFile(join(dir, 'pki', 'server.crt'), 'utf8');
    const keyPem = await readFile(join(dir, 'pki', 'server.key'), 'utf8');
    fan = await runFanout({ urls: [up.url], token: up.readOnlyToken, caPem: up.caPem, certPem, keyPem, port: 0, types: fanoutTypes(), clientCerts: { caPem: up.caPem, token: up.adminToken } });
    await fan.ready;
  });

  after(async () => {
    await fan?.stop();
    await up?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** One request with a client certificate (and optionally headers), no bearer token. */
  const certCall = (url: string, ca: string, cert: { certPem: string; keyPem: string }, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> =>
    new Promise((ok, fail) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = httpsRequest(new URL(path, url), { method, ca, cert: cert.certPem, key: cert.keyPem, headers: { ...headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => ok({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', fail);
      req.end(payload);
    });

  test('a node certificate lists, watches and programs through the fan-out, and writes only its own Node', { timeout: 90_000 }, async () => {
    const ca = await loadCa(await readFile(join(dir, 'pki', 'ca.crt'), 'utf8'), await readFile(join(dir, 'pki', 'ca.key'), 'utf8'));
    const n1 = await ca.issue({ commonName: 'system:node:n1', organization: ['system:nodes'], clientAuth: true, days: 1 });
    const admin = up!.adminToken;
    const U = (m: string, p: string, b?: unknown): Promise<{ status: number; text: string }> => call(up!.url, up!.caPem, admin, m, p, b);
    assert.equal((await U('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } })).status, 201);
    assert.equal((await U('POST', '/api/v1/namespaces/shop/pods', pod('shop', 'p1', 'n1', 'web'))).status, 201);
    for (const n of ['n1', 'n2']) assert.equal((await U('POST', '/apis/projectcalico.org/v3/nodes', { apiVersion: 'projectcalico.org/v3', kind: 'Node', metadata: { name: n }, spec: {} })).status, 201);

    // a cached list with the node certificate alone
    const list = await certCall(fan!.url, up!.caPem, n1, 'GET', '/api/v1/pods');
    assert.equal(list.status, 200, list.text);
    assert.match(list.text, /"p1"/);

    // a real agent on the node certificate, through the fan-out, programs and publishes its status
    const ds = new KubeDatastore({ server: fan!.url, caPem: up!.caPem, certPem: n1.certPem, keyPem: n1.keyPem });
    const driver = new RecordingDriver();
    const logs: string[] = [];
    const agent = runAgent({ node: 'n1', datastore: ds, runner: { run: (c) => Promise.reject(new Error(`no commands (${c.argv.join(' ')})`)) }, driver, driftCheckMs: 0, log: (l) => logs.push(l) });
    try {
      const rev = JSON.parse((await U('POST', '/api/v1/namespaces/shop/pods', pod('shop', 'p2', 'n1', 'db'))).text).metadata.resourceVersion as string;
      await agent.whenProgrammed(rev, 30_000);
      assert.ok(driver.dataplane.view().includes(workloadInterfaceName('shop', 'p2')), 'the new local pod p2 is programmed');
      const upstream = new KubeDatastore({ server: up!.url, caPem: up!.caPem, token: admin });
      try {
        const deadline = Date.now() + 30_000;
        let st = await readNodeStatus(upstream, 'n1');
        while ((st === undefined || BigInt(st.revision) < BigInt(rev)) && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 100));
          st = await readNodeStatus(upstream, 'n1');
        }
        assert.ok(st !== undefined && BigInt(st.revision) >= BigInt(rev), `status of n1 at the upstream: ${JSON.stringify(st)}; agent log: ${logs.slice(-5).join(' | ')}`);
      } finally {
        await upstream.close();
      }
    } finally {
      await agent.stop();
      await ds.close();
    }

    // the upstream's Node authorizer decides the node's writes made through the fan-out
    const other = await certCall(fan!.url, up!.caPem, n1, 'PATCH', '/apis/projectcalico.org/v3/nodes/n2', { metadata: { annotations: { 'tabby.dev/x': 'y' } } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(other.status, 403, other.text);
    assert.match(other.text, /system:node:n1/);
    const policy = await certCall(fan!.url, up!.caPem, n1, 'POST', '/apis/projectcalico.org/v3/globalnetworkpolicies', { apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name: 'x' }, spec: {} });
    assert.equal(policy.status, 403, policy.text);
    // impersonation headers the node sends itself are dropped, not obeyed
    const smuggled = await certCall(fan!.url, up!.caPem, n1, 'PATCH', '/apis/projectcalico.org/v3/nodes/n2', { metadata: { annotations: { 'tabby.dev/x': 'y' } } }, { 'content-type': 'application/merge-patch+json', 'impersonate-user': 'system:node:n2', 'impersonate-group': 'system:nodes' });
    assert.equal(smuggled.status, 403, smuggled.text);
    assert.match(smuggled.text, /system:node:n1/);

    // a certificate of another CA, or one naming no node, is not a credential
    const stranger = await createCa('stranger', 1);
    const forged = await stranger.issue({ commonName: 'system:node:n1', organization: ['system:nodes'], clientAuth: true, days: 1 });
    assert.equal((await certCall(fan!.url, up!.caPem, forged, 'GET', '/api/v1/pods')).status, 401);
    const notNode = await ca.issue({ commonName: 'someone', organization: ['system:nodes'], clientAuth: true, days: 1 });
    assert.equal((await certCall(fan!.url, up!.caPem, notNode, 'GET', '/api/v1/pods')).status, 401);

    // a token cannot impersonate through the fan-out (nor at the upstream) unless it is the admin's, and then only as a node
    const viaToken = await new Promise<number>((ok, fail) => {
      const req = httpsRequest(new URL('/apis/projectcalico.org/v3/nodes/n2', fan!.url), { method: 'GET', ca: up!.caPem, headers: { authorization: `Bearer ${LIMITED}`, 'impersonate-user': 'system:node:n2', 'impersonate-group': 'system:nodes' } }, (res) => {
        res.resume();
        res.on('end', () => ok(res.statusCode ?? 0));
      });
      req.on('error', fail);
      req.end();
    });
    assert.equal(viaToken, 403);
    const asUser = await new Promise<{ status: number; text: string }>((ok, fail) => {
      const req = httpsRequest(new URL('/api/v1/pods', up!.url), { method: 'GET', ca: up!.caPem, headers: { authorization: `Bearer ${admin}`, 'impersonate-user': 'limited' } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => ok({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', fail);
      req.end();
    });
    assert.equal(asUser.status, 403, asUser.text);
    assert.match(asUser.text, /impersonates only node identities/);
  });
});
