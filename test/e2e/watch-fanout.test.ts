/**
 * End to end, watch fan-out (issue 19): a real `runServer` over HTTPS, many watchers of one kind
 * at once — cluster-wide, one namespace, a field selector, a label selector, the derived
 * `knp.default.*` view, one-row Tables, twenty identical ones — and the real kubectl's `get -w`
 * (namespaced and with --field-selector). Every watcher must get exactly its events, in order:
 * the expectations are computed from the cluster-wide stream (filtered as the API defines each
 * scope), and the same run on the earlier per-watcher delivery (`watchDelivery: 'iterate'`) must
 * produce byte-identical streams. Every wait is bounded.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:https';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runServer, type RunningServer } from '../../src/apiserver/main.js';
import { requireTool, toolPath } from '../support/tools.js';

const KUBECTL = toolPath('kubectl') ?? 'kubectl';

interface Line {
  type: string;
  object: { kind?: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; resourceVersion: string }; spec?: { nodeName?: string }; rows?: { cells: unknown[] }[] };
}

interface Watcher {
  readonly lines: Line[];
  raw: string;
  close(): void;
}

function call(s: RunningServer, agent: Agent, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((ok, fail) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      new URL(path, s.url),
      { method, agent, ca: s.caPem, headers: { authorization: `Bearer ${s.adminToken}`, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (b: Buffer) => chunks.push(b));
        res.on('end', () => ok({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown> }));
      },
    );
    req.on('error', fail);
    req.end(payload);
  });
}

function watch(s: RunningServer, agent: Agent, path: string, accept = 'application/json'): Promise<Watcher> {
  return new Promise((ok, fail) => {
    const req = request(new URL(path, s.url), { agent, ca: s.caPem, headers: { authorization: `Bearer ${s.adminToken}`, accept } }, (res) => {
      if (res.statusCode !== 200) return fail(new Error(`watch ${path}: HTTP ${res.statusCode}`));
      const w: Watcher = { lines: [], raw: '', close: () => res.destroy() };
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        w.raw += chunk;
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          w.lines.push(JSON.parse(buf.slice(0, nl)) as Line);
          buf = buf.slice(nl + 1);
        }
      });
      res.on('error', () => undefined);
      ok(w);
    });
    req.on('error', fail);
    req.end();
  });
}

async function until(what: string, cond: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const pod = (ns: string, name: string, node: string, labels: Record<string, string>): unknown => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, labels },
  spec: { nodeName: node, containers: [{ name: 'c', image: 'nginx:1.27' }] },
});

const knp = (ns: string, name: string): unknown => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name, namespace: ns },
  spec: { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'] },
});

const summary = (l: Line): string => `${l.type} ${l.object.metadata.namespace ?? ''}/${l.object.metadata.name} ${l.object.metadata.resourceVersion}`;

interface RunResult {
  readonly raw: Record<string, string>;
  readonly kubectlAll: string;
  readonly kubectlNode: string;
}

/** Opens every watcher, writes the changes, waits for the streams, checks each exactly. */
async function scenario(delivery: 'push' | 'iterate'): Promise<RunResult> {
  const dir = await mkdtemp(join(tmpdir(), 'tabby-watch-fanout-'));
  const s = await runServer({ dataDir: dir, port: 0, uiDir: join(dir, 'no-ui'), watchDelivery: delivery });
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const watchers: Watcher[] = [];
  const kids: ReturnType<typeof spawn>[] = [];
  try {
    for (const ns of ['a', 'b']) assert.equal((await call(s, agent, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })).status, 201);
    const rv = String((((await call(s, agent, 'GET', '/api/v1/pods')).body['metadata'] as Record<string, unknown>)['resourceVersion']));
    const cnpRv = String((((await call(s, agent, 'GET', '/apis/projectcalico.org/v3/namespaces/a/networkpolicies')).body['metadata'] as Record<string, unknown>)['resourceVersion']));
    const open = async (path: string, accept?: string): Promise<Watcher> => {
      const w = await watch(s, agent, path, accept);
      watchers.push(w);
      return w;
    };
    const all = await open(`/api/v1/pods?watch=1&resourceVersion=${rv}`);
    const nsA = await open(`/api/v1/namespaces/a/pods?watch=1&resourceVersion=${rv}`);
    const onN1 = await open(`/api/v1/pods?watch=1&resourceVersion=${rv}&fieldSelector=${encodeURIComponent('spec.nodeName=n1')}`);
    const web = await open(`/api/v1/pods?watch=1&resourceVersion=${rv}&labelSelector=${encodeURIComponent('app=web')}`);
    const cnpA = await open(`/apis/projectcalico.org/v3/namespaces/a/networkpolicies?watch=1&resourceVersion=${cnpRv}`);
    const table = await open(`/api/v1/pods?watch=1&resourceVersion=${rv}`, 'application/json;as=Table;v=v1;g=meta.k8s.io');
    const same: Watcher[] = [];
    for (let i = 0; i < 20; i++) same.push(await open(`/api/v1/pods?watch=1&resourceVersion=${rv}`));
    const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, KUBECONFIG: s.kubeconfigPath };
    const kubectlOut = (args: string[]): { out: () => string; err: () => string } => {
      const child = spawn(KUBECTL, ['--cache-dir', join(dir, 'cache'), ...args, '--request-timeout=30s'], { env });
      kids.push(child);
      let out = '';
      let err = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (err += b.toString()));
      return { out: () => out, err: () => err };
    };
    const kAll = kubectlOut(['get', 'pods', '-A', '-w', '-o', 'custom-columns=NS:.metadata.namespace,NAME:.metadata.name,APP:.metadata.labels.app']);
    const kNode = kubectlOut(['get', 'pods', '-n', 'a', '-w', '--field-selector', 'spec.nodeName=n1', '-o', 'name']);
    // kubectl prints nothing until its list is done; a sentinel pod makes sure both are watching
    await call(s, agent, 'POST', '/api/v1/namespaces/a/pods', pod('a', 'sentinel', 'n1', {}));
    await until('kubectl watchers to start', () => kAll.out().includes('sentinel') && kNode.out().includes('sentinel')).catch((e: Error) => {
      throw new Error(`${e.message}: kubectl printed ${JSON.stringify(kAll.out() + kAll.err())} and ${JSON.stringify(kNode.out() + kNode.err())}`);
    });

    // the changes: pods in two namespaces on two nodes, label flips in and out of app=web, deletes; NetworkPolicies in both namespaces
    const P = '/api/v1/namespaces';
    for (const [ns, name, node, app] of [['a', 'p1', 'n1', 'web'], ['a', 'p2', 'n2', 'db'], ['b', 'p3', 'n1', 'web'], ['b', 'p4', 'n2', 'db']] as const)
      assert.equal((await call(s, agent, 'POST', `${P}/${ns}/pods`, pod(ns, name, node, { app }))).status, 201);
    const relabel = async (ns: string, name: string, app: string): Promise<void> => {
      const cur = (await call(s, agent, 'GET', `${P}/${ns}/pods/${name}`)).body as { metadata: { labels?: Record<string, string> } };
      cur.metadata.labels = { app };
      assert.equal((await call(s, agent, 'PUT', `${P}/${ns}/pods/${name}`, cur)).status, 200);
    };
    await relabel('a', 'p2', 'web');
    await relabel('a', 'p1', 'db');
    await relabel('b', 'p4', 'web');
    for (const ns of ['a', 'b']) assert.equal((await call(s, agent, 'POST', `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies`, knp(ns, `np-${ns}`))).status, 201);
    assert.equal((await call(s, agent, 'DELETE', `${P}/a/pods/p2`)).status, 200);
    assert.equal((await call(s, agent, 'DELETE', `${P}/b/pods/p3`)).status, 200);
    assert.equal((await call(s, agent, 'DELETE', '/apis/networking.k8s.io/v1/namespaces/a/networkpolicies/np-a')).status, 200);
    // a last change every pod watcher below sees: the end of the stream
    assert.equal((await call(s, agent, 'POST', `${P}/a/pods`, pod('a', 'last', 'n1', { app: 'web' }))).status, 201);

    const done = (w: Watcher): boolean => w.lines.some((l) => (l.object.metadata?.name ?? (l.object.rows?.[0]?.cells[0] as string)) === 'last');
    await until('every pod watcher to see the last change', () => [all, nsA, onN1, web, table, ...same].every(done));
    await until('the derived NetworkPolicy watcher', () => cnpA.lines.filter((l) => l.type === 'DELETED').length >= 1);
    await until('kubectl get -w', () => kAll.out().includes('last') && kNode.out().includes('last'));
    await new Promise((r) => setTimeout(r, 300)); // nothing more may arrive

    // the cluster-wide stream: every change, in revision order
    const revs = all.lines.map((l) => BigInt(l.object.metadata.resourceVersion));
    assert.deepEqual(revs, [...revs].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
    assert.deepEqual(
      all.lines.map((l) => `${l.type} ${l.object.metadata.namespace}/${l.object.metadata.name}`).filter((x) => !x.includes('sentinel')),
      ['ADDED a/p1', 'ADDED a/p2', 'ADDED b/p3', 'ADDED b/p4', 'MODIFIED a/p2', 'MODIFIED a/p1', 'MODIFIED b/p4', 'DELETED a/p2', 'DELETED b/p3', 'ADDED a/last'],
    );
    // each scope is exactly the cluster-wide stream filtered by it
    assert.deepEqual(nsA.lines.map(summary), all.lines.filter((l) => l.object.metadata.namespace === 'a').map(summary));
    assert.deepEqual(onN1.lines.map(summary), all.lines.filter((l) => l.object.spec?.nodeName === 'n1').map(summary));
    const expectWeb: string[] = [];
    const matching = new Set<string>();
    for (const l of all.lines) {
      const k = `${l.object.metadata.namespace}/${l.object.metadata.name}`;
      const now = l.type !== 'DELETED' && l.object.metadata.labels?.['app'] === 'web';
      const was = matching.has(k);
      if (now) matching.add(k);
      else matching.delete(k);
      if (now) expectWeb.push(summary({ ...l, type: was ? 'MODIFIED' : 'ADDED' }));
      else if (was) expectWeb.push(summary({ ...l, type: 'DELETED' }));
    }
    assert.deepEqual(web.lines.map(summary), expectWeb);
    assert.deepEqual(
      table.lines.map((l) => `${l.type} ${String(l.object.rows?.[0]?.cells[0])}`),
      all.lines.map((l) => `${l.type} ${l.object.metadata.name}`),
    );
    for (const w of same) assert.equal(w.raw, all.raw);
    assert.deepEqual(
      cnpA.lines.map((l) => `${l.type} ${l.object.metadata.namespace}/${l.object.metadata.name}`),
      ['ADDED a/knp.default.np-a', 'DELETED a/knp.default.np-a'],
    );
    // kubectl: the namespaced field-selector watch saw only a's pods on n1
    assert.deepEqual(
      kNode.out().trim().split('\n'),
      ['pod/sentinel', 'pod/p1', 'pod/p1', 'pod/last'],
    );
    // kubectl -A: one row per change (pod, its namespace and its app label after the change)
    const rows = kAll.out().trim().split('\n').map((x) => x.replace(/\s+/g, ' ')).filter((x) => !/^NS |sentinel|<none>/.test(x));
    assert.deepEqual(rows, ['a p1 web', 'a p2 db', 'b p3 web', 'b p4 db', 'a p2 web', 'a p1 db', 'b p4 web', 'a p2 web', 'b p3 web', 'a last web']);
    return {
      raw: { all: all.raw, nsA: nsA.raw, onN1: onN1.raw, web: web.raw, cnpA: cnpA.raw },
      kubectlAll: kAll.out(),
      kubectlNode: kNode.out(),
    };
  } finally {
    for (const k of kids) k.kill('SIGTERM');
    for (const w of watchers) w.close();
    agent.destroy();
    await s.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

describe('watch fan-out: every watcher gets exactly its events', { skip: requireTool('kubectl') }, () => {
  test('shared push delivery and the per-watcher path agree, byte for byte', { timeout: 120_000 }, async () => {
    const push = await scenario('push');
    const iterate = await scenario('iterate');
    // resourceVersions and timestamps differ between the two servers only where the data does: compare shapes
    const norm = (t: string): string => t.replace(/"(resourceVersion|uid|creationTimestamp|time)":"[^"]*"/g, '"$1":"-"');
    for (const k of Object.keys(push.raw)) assert.equal(norm(push.raw[k]!), norm(iterate.raw[k]!), k);
    assert.equal(push.kubectlNode, iterate.kubectlNode);
  });
});
