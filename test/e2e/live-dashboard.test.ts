/**
 * `tabby dashboard --kubeconfig` (issue 16) against Tabby's API server in CRD mode (127.0.0.1, a
 * free port, a temporary data dir, HTTPS with its CA): Calico's resources only as
 * crd.projectcalico.org/v1 custom resources, as on a cluster running Calico with its Kubernetes
 * datastore, populated by the real kubectl with the seed's policies in the form Calico stores
 * them (v3ToKdd), the example cluster's namespaces and pods. Then, through the dashboard's own
 * HTTP server (the command run in-process, as a user runs it):
 * - the page's reads (a list, an item, the `/ui/api/watch` stream) give the policies in
 *   projectcalico.org/v3 form, named and specified as in the seed's files;
 * - a `kubectl apply` of a new policy arrives on the watch stream (bounded wait), and a
 *   `kubectl delete` as DELETED;
 * - POST, PUT, PATCH and DELETE answer 405 with a Status naming the read-only mode, and the
 *   cluster is unchanged (kubectl lists the same);
 * - `tabby rbac`'s role is enough and needed for the dashboard too: a token bound to exactly its
 *   rules serves the page; without `watch` on one resource, or without one resource, the command
 *   fails with one line naming it and `tabby rbac`;
 * - in Chromium (when available, as test/e2e/dashboard.test.ts): the page opened at the printed
 *   URL lists the cluster's policies, shows it is read-only and offers no write action.
 * Skipped without kubectl (a failure under CI=true). Every wait is bounded.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { kubeconfig, runServer, type RunningServer } from '../../src/apiserver/main.js';
import { CALICO_CRD, readerRules } from '../../src/cli/live/index.js';
import { parseManifests } from '../../src/manifest/index.js';
import { v3ToKdd } from '../../src/model/convert/index.js';
import type { Resource } from '../../src/model/meta.js';
import { main } from '../../src/cli/main.js';
import { nodeIo } from '../../src/cli/node-io.js';
import type { Io } from '../../src/cli/io.js';
import { ndjsonLines, type DashboardEvent } from '../../src/web/protocol.js';
import { browserUnavailable, launchBrowser } from '../../bench/dashboard.bench.js';
import { requireTool, toolPath } from '../support/tools.js';

const run = promisify(execFile);
const KUBECTL = toolPath('kubectl') ?? 'kubectl';
const skip = requireTool('kubectl');

const SEED = [
  'examples/flows/cluster/policies.yaml',
  'examples/seed/access-nginx-calico.yaml',
  'examples/seed/deny-nodeports.yaml',
  'examples/seed/log-denied-packets.yaml',
  'examples/seed/whitelist-nlb1.yaml',
  'examples/seed/whitelist-nlb2.yaml',
  'examples/seed/private-network-isolation',
  'examples/seed/defaults',
];

const LIVE_POLICY = {
  apiVersion: 'projectcalico.org/v3',
  kind: 'GlobalNetworkPolicy',
  metadata: { name: 'live-from-kubectl' },
  spec: { order: 500, selector: "app == 'web'", types: ['Ingress'], ingress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: [8080] } }] },
};

type Obj = Record<string, unknown>;
const nameOf = (r: Resource): string => r.metadata?.name ?? '';

/** A running `tabby dashboard`: its printed URL, token and a way to stop it (as Ctrl-C). */
interface Dashboard {
  url: string;
  token: string;
  page: string;
  /** Resolves when the command ends by itself. */
  ended: Promise<{ code: number; err: string }>;
  stop(): Promise<{ code: number; err: string }>;
}

/** Runs `tabby dashboard …` in-process until it prints its URL (bounded) or exits. */
async function startDashboard(args: readonly string[]): Promise<Dashboard | { code: number; err: string }> {
  let out = '';
  let err = '';
  let shut!: (sig: string) => void;
  const shutdown = new Promise<string>((ok) => (shut = ok));
  const io: Io = { ...nodeIo, stdout: (s) => void (out += s), stderr: (s) => void (err += s), waitForShutdown: () => shutdown };
  const done = main(['dashboard', ...args], io).then((code) => ({ code, err }));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const m = /Open (http:\/\/127\.0\.0\.1:\d+)\/ui\/#token=([A-Za-z0-9_-]+)\n/.exec(out);
    if (m !== null)
      return {
        url: m[1]!,
        token: m[2]!,
        page: `${m[1]!}/ui/#token=${m[2]!}`,
        ended: done,
        stop: async () => {
          shut('SIGINT');
          return done;
        },
      };
    const ended = await Promise.race([done, new Promise<undefined>((r) => setTimeout(() => r(undefined), 50))]);
    if (ended !== undefined) return ended;
    if (Date.now() > deadline) throw new Error(`tabby dashboard printed no URL within 30 s:\n${out}${err}`);
  }
}

/** The seed's v3 objects as Calico stores them on a KDD cluster (kubectl applies these). */
async function asStored(path: string): Promise<{ yaml: string; v3: Resource[] }> {
  const st = await stat(path);
  const files = st.isDirectory() ? (await readdir(path)).filter((f) => f.endsWith('.yaml')).map((f) => join(path, f)) : [path];
  const docs: string[] = [];
  const v3: Resource[] = [];
  for (const f of files) {
    const parsed = parseManifests(await readFile(f, 'utf8'), f);
    assert.deepEqual(parsed.errors, []);
    for (const r of parsed.resources) {
      const raw = r.raw as Resource;
      if (raw.apiVersion === 'projectcalico.org/v3') v3.push(raw);
      docs.push(stringify(raw.apiVersion === 'projectcalico.org/v3' ? v3ToKdd(raw) : raw));
    }
  }
  return { yaml: docs.join('---\n'), v3 };
}

describe('tabby dashboard --kubeconfig: read-only, live, on a cluster that keeps Calico in CRDs', { skip }, () => {
  let dir = '';
  let server: RunningServer | undefined;
  let dash: Dashboard | undefined;
  const seedV3: Resource[] = [];
  /** The seed's GlobalNetworkPolicies as the cluster holds them (a later file's `whitelist` replaces an earlier one's). */
  const seedGnps = (): Resource[] => [...new Map(seedV3.filter((r) => r.kind === 'GlobalNetworkPolicy').map((r) => [nameOf(r), r])).values()];
  const rules = readerRules(CALICO_CRD);
  // the same role, but tiers only listed (not watched)
  const noWatchOnTiers = rules.flatMap((r) =>
    r.apiGroups[0] === CALICO_CRD ? [{ ...r, resources: r.resources.filter((x) => x !== 'tiers') }, { ...r, resources: ['tiers'], verbs: ['list'] }] : [r],
  );
  const minusTiers = rules.map((r) => ({ ...r, resources: r.resources.filter((x) => !(r.apiGroups[0] === CALICO_CRD && x === 'tiers')) }));
  const READER = 'R'.repeat(43);
  const NO_WATCH = 'W'.repeat(43);
  const MINUS = 'M'.repeat(43);

  const kubectl = async (args: readonly string[]): Promise<string> =>
    (
      await run(KUBECTL, ['--cache-dir', join(dir, 'cache'), '--request-timeout=20s', ...args], {
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, KUBECONFIG: server!.kubeconfigPath },
        timeout: 60_000,
      })
    ).stdout;

  const api = (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${dash!.url}${path}`, { ...init, headers: { authorization: `Bearer ${dash!.token}`, 'content-type': 'application/json', ...(init.headers ?? {}) }, signal: AbortSignal.timeout(20_000) });

  /** What kubectl lists of Calico's policies on the cluster (CR names, resourceVersions). */
  const clusterPolicies = async (): Promise<string> =>
    kubectl(['get', 'globalnetworkpolicies.crd.projectcalico.org,networkpolicies.crd.projectcalico.org', '-A', '-o', 'jsonpath={range .items[*]}{.metadata.name}@{.metadata.resourceVersion} {end}']);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tabby-live-dash-'));
    server = await runServer({
      dataDir: join(dir, 'data'),
      port: 0,
      calicoApi: 'crd',
      users: [
        { token: READER, name: 'system:serviceaccount:tabby:tabby-reader', rules },
        { token: NO_WATCH, name: 'system:serviceaccount:tabby:no-watch-tiers', rules: noWatchOnTiers },
        { token: MINUS, name: 'system:serviceaccount:tabby:minus-tiers', rules: minusTiers },
      ],
    });
    for (const [user, token] of [['reader', READER], ['nowatch', NO_WATCH], ['minus', MINUS]] as const)
      await writeFile(join(dir, `${user}.kubeconfig`), kubeconfig(server.url, server.caPem, user, token));
    await kubectl(['apply', '-f', 'examples/flows/cluster/namespaces.yaml']);
    await kubectl(['apply', '-f', 'examples/flows/cluster/pods.json']);
    let i = 0;
    for (const f of SEED) {
      const s = await asStored(f);
      seedV3.push(...s.v3);
      const p = join(dir, `seed-${i++}.yaml`);
      await writeFile(p, s.yaml);
      await kubectl(['apply', '-f', p]);
    }
    const d = await startDashboard(['--kubeconfig', server.kubeconfigPath]);
    if (!('url' in d)) throw new Error(`tabby dashboard exited ${d.code}: ${d.err}`);
    dash = d;
  });

  after(async () => {
    if (dash !== undefined) {
      const r = await dash.stop();
      assert.equal(r.code, 0, r.err);
    }
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test("the page's reads give the seed's policies in projectcalico.org/v3 form", async () => {
    const gnps = seedGnps();
    const nps = seedV3.filter((r) => r.kind === 'NetworkPolicy');
    assert.ok(gnps.length >= 5 && nps.length >= 1, 'the seed has policies of both kinds');
    const list = (await (await api('/apis/projectcalico.org/v3/globalnetworkpolicies')).json()) as { apiVersion: string; items: Obj[] };
    assert.equal(list.apiVersion, 'projectcalico.org/v3');
    const byName = new Map(list.items.map((o) => [String((o['metadata'] as Obj)['name']), o]));
    assert.deepEqual([...byName.keys()].sort(), gnps.map((g) => nameOf(g)).sort(), 'v3 names (the CRs are named default.<name>)');
    for (const g of gnps) {
      const got = byName.get(nameOf(g))!;
      assert.equal(got['apiVersion'], 'projectcalico.org/v3');
      assert.deepEqual(got['spec'], (g as unknown as Obj)['spec'], nameOf(g));
    }
    // a namespaced item by its v3 name
    const np = nps[0]!;
    const item = await api(`/apis/projectcalico.org/v3/namespaces/${np.metadata?.namespace ?? 'default'}/networkpolicies/${nameOf(np)}`);
    assert.equal(item.status, 200);
    assert.deepEqual(((await item.json()) as Obj)['spec'], (np as unknown as Obj)['spec']);
    // the pods the engine needs
    const pods = (await (await api('/api/v1/pods')).json()) as { items: unknown[] };
    assert.ok(pods.items.length > 0);
    // without the token: 401
    assert.equal((await fetch(`${dash!.url}/api/v1/pods`, { signal: AbortSignal.timeout(10_000) })).status, 401);
  });

  test('a kubectl apply arrives on the watch stream, a kubectl delete as DELETED', async () => {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), 30_000);
    try {
      const res = await fetch(`${dash!.url}/ui/api/watch`, { headers: { authorization: `Bearer ${dash!.token}` }, signal: ac.signal });
      assert.equal(res.status, 200);
      const lines = ndjsonLines(res.body!);
      const next = async (): Promise<DashboardEvent> => {
        const r = await lines.next();
        assert.ok(r.done !== true, 'the stream ended');
        return JSON.parse(r.value) as DashboardEvent;
      };
      let gnps = 0;
      for (let ev = await next(); ; ev = await next()) {
        if (ev.type === 'SYNC' && ev.resource === 'projectcalico.org/globalnetworkpolicies') gnps = ev.items.length;
        if (ev.type === 'READY') {
          assert.match(ev.readOnly ?? '', /^read-only: cluster https:\/\/127\.0\.0\.1:\d+ \(crd\.projectcalico\.org\/v1\)$/);
          break;
        }
      }
      assert.equal(gnps, seedGnps().length);
      const file = join(dir, 'live.yaml');
      await writeFile(file, stringify(v3ToKdd(LIVE_POLICY as unknown as Resource)));
      await kubectl(['apply', '-f', file]);
      const seen = async (type: string): Promise<DashboardEvent> => {
        for (;;) {
          const ev = await next();
          if (ev.type === type && 'object' in ev && ev.object.metadata.name === 'live-from-kubectl') return ev;
        }
      };
      const added = await seen('ADDED');
      assert.ok('object' in added);
      assert.equal(added.object.apiVersion, 'projectcalico.org/v3');
      assert.deepEqual(added.object['spec'], LIVE_POLICY.spec);
      await kubectl(['delete', '-f', file]);
      await seen('DELETED');
    } finally {
      clearTimeout(timer);
      ac.abort();
    }
  });

  test('POST, PUT, PATCH and DELETE answer 405 naming the read-only mode, and change nothing', async () => {
    const before = await clusterPolicies();
    const body = JSON.stringify(LIVE_POLICY);
    const np = seedV3.find((r) => r.kind === 'GlobalNetworkPolicy')!;
    const attempts: [string, string][] = [
      ['POST', '/apis/projectcalico.org/v3/globalnetworkpolicies'],
      ['PUT', `/apis/projectcalico.org/v3/globalnetworkpolicies/${nameOf(np)}`],
      ['PATCH', `/apis/projectcalico.org/v3/globalnetworkpolicies/${nameOf(np)}`],
      ['DELETE', `/apis/projectcalico.org/v3/globalnetworkpolicies/${nameOf(np)}`],
      ['DELETE', '/apis/crd.projectcalico.org/v1/globalnetworkpolicies'],
      ['POST', '/api/v1/namespaces/default/pods'],
      ['POST', '/ui/api/watch'],
    ];
    for (const [method, path] of attempts) {
      const r = await api(path, { method, ...(method === 'DELETE' ? {} : { body }), headers: method === 'PATCH' ? { 'content-type': 'application/merge-patch+json' } : {} });
      assert.equal(r.status, 405, `${method} ${path}`);
      const st = (await r.json()) as Obj;
      assert.equal(st['kind'], 'Status');
      assert.equal(st['reason'], 'MethodNotAllowed');
      assert.match(String(st['message']), new RegExp(`^read-only: tabby dashboard shows cluster https://127\\.0\\.0\\.1:\\d+ \\(crd\\.projectcalico\\.org/v1\\) and does not change it; ${method} ${path.replace(/\//g, '\\/')} is not allowed`));
    }
    assert.equal(await clusterPolicies(), before);
  });

  test("tabby rbac's role serves the dashboard; without watch on one resource, or without it, one clear line", async () => {
    const ok = await startDashboard(['--kubeconfig', join(dir, 'reader.kubeconfig')]);
    assert.ok('url' in ok, `exited: ${'err' in ok ? ok.err : ''}`);
    const r = await fetch(`${ok.url}/apis/projectcalico.org/v3/globalnetworkpolicies`, { headers: { authorization: `Bearer ${ok.token}` }, signal: AbortSignal.timeout(10_000) });
    assert.equal(((await r.json()) as { items: unknown[] }).items.length, seedGnps().length);
    const stopped = await ok.stop();
    assert.equal(stopped.code, 0, stopped.err);

    // the lists pass, the watch on tiers is refused: the command ends saying so
    const nw = await startDashboard(['--kubeconfig', join(dir, 'nowatch.kubeconfig')]);
    const nwEnd = 'url' in nw ? await Promise.race([nw.ended, new Promise<never>((_, no) => setTimeout(() => no(new Error('did not end within 20 s')), 20_000))]) : nw;
    assert.equal(nwEnd.code, 1);
    assert.match(
      nwEnd.err,
      /^tabby dashboard: cannot watch tiers\.crd\.projectcalico\.org: forbidden \(HTTP 403: tiers\.crd\.projectcalico\.org is forbidden: User "system:serviceaccount:tabby:no-watch-tiers" cannot watch resource "tiers" in API group "crd\.projectcalico\.org" at the cluster scope\); the reader needs the ClusterRole that `tabby rbac` prints\n$/m,
    );

    const minus = await startDashboard(['--kubeconfig', join(dir, 'minus.kubeconfig')]);
    assert.ok(!('url' in minus));
    assert.equal(minus.code, 1);
    assert.match(minus.err, /^tabby dashboard: cannot list tiers\.crd\.projectcalico\.org: forbidden \(HTTP 403: .*\); the reader needs the ClusterRole that `tabby rbac` prints\n$/);
  });

  test('in Chromium: the page at the printed URL lists the policies, read-only', { skip: browserUnavailable() ?? false }, async () => {
    const b = await launchBrowser();
    try {
      const page = await b.context.newPage();
      await page.goto(dash!.page);
      const name = seedV3.find((r) => r.kind === 'GlobalNetworkPolicy')!.metadata?.name ?? '';
      await page.locator(`[data-testid="policy-row"][data-policy="${name}"]`).waitFor({ timeout: 20_000 });
      assert.equal(await page.getByTestId('read-only').count(), 1);
      await page.getByTestId('nav-what-if').click();
      await page.getByTestId('whatif-yaml').waitFor({ timeout: 10_000 });
      assert.equal(await page.getByTestId('whatif-apply').count(), 0, 'no write action');
    } finally {
      await b.close();
    }
  });
});
