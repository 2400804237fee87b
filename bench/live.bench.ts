/**
 * @module Live-cluster reader benchmark (issue 16): a Tabby API server over HTTPS (its own CA,
 * a bearer token from its admin kubeconfig; embedded SQLite in a temporary directory) holding
 * 10,000 pods in 100 namespaces and 1,000 policies (750 Kubernetes NetworkPolicies, 250 Calico
 * GlobalNetworkPolicies: bench/engine-scale.bench.ts's cluster). One figure is what a user
 * waits for on `tabby matrix --kubeconfig … --ports 8080/TCP`: kubeconfig → discovery → every
 * type of `tabby rbac`'s role listed 500 per page (the server also serves the 10,000 derived
 * WorkloadEndpoints, which the reader lists and drops) → decode → snapshot → the first
 * 10,000 × 10,000 matrix on one port. Wall-clock (it waits on the server, which shares this
 * process and its CPU); best of 3 rounds with 5,000 objects per page (--chunk-size 5000), with
 * the parts of that round alongside, and one round with kubectl's 500 per page: Tabby's server
 * answers each page by reading the whole list again, so small pages cost it O(n²).
 *
 * Then the live view `tabby dashboard --kubeconfig` keeps (list + watch, src/cli/live/live.ts)
 * on the same server: 50 GlobalNetworkPolicies created one after another with the POST
 * `kubectl create` sends (HTTPS, the admin token), each timed from the request's start to the
 * moment the watch delivers it into the live view; p50 and p99 (wall-clock, same process).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runServer } from '../src/apiserver/main.js';
import { openSqliteDatastore, type StoredObject } from '../src/datastore/index.js';
import { buildSnapshot, verdictMatrix } from '../src/engine/index.js';
import { ALL_KINDS } from '../src/model/kinds.js';
import { nodeIo } from '../src/cli/node-io.js';
import type { Io } from '../src/cli/io.js';
import { request } from 'node:https';
import { discover, KubeApi, LiveCluster, loadKubeconfig, readLive } from '../src/cli/live/index.js';
import { cluster } from './engine-scale.bench.js';
import type { BenchResult } from './run.js';

const PODS = 10_000;
const POLICIES = 1_000;

export async function run(): Promise<BenchResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'tabby-bench-live-'));
  const ds = await openSqliteDatastore(join(dir, 'tabby.db'));
  const resources = cluster(PODS, POLICIES);
  for (const r of resources) {
    const [group, version] = r.apiVersion.includes('/') ? r.apiVersion.split('/') : ['', r.apiVersion];
    const info = ALL_KINDS.find((k) => k.kind === r.kind && k.group === group && k.version === version);
    if (info === undefined) throw new Error(`no kind ${r.apiVersion} ${r.kind}`);
    await ds.create({ group: info.group, plural: info.plural }, r as unknown as StoredObject);
  }
  const s = await runServer({ dataDir: dir, port: 0, datastore: ds, uiDir: join(dir, 'no-ui') });
  const quiet: Io = { ...nodeIo, stdout: () => undefined, stderr: (t) => void process.stderr.write(t) };
  const measure = async (pageSize: number, rounds: number): Promise<{ total: number; read: number; snapshot: number; matrix: number }> => {
    let best: { total: number; read: number; snapshot: number; matrix: number } | undefined;
    for (let round = 0; round < rounds; round++) {
      const t0 = performance.now();
      const live = await readLive(quiet, { kubeconfig: s.kubeconfigPath, command: 'bench', api: { pageSize } });
      if (live === undefined) throw new Error('the live read failed (see above)');
      const t1 = performance.now();
      const snap = buildSnapshot(live.resources);
      const t2 = performance.now();
      const m = verdictMatrix(snap, { protocol: 'TCP', port: 8080 });
      const t3 = performance.now();
      if (snap.workloads.length !== PODS) throw new Error(`read ${snap.workloads.length} pods, not ${PODS}`);
      if (m.pods.length !== PODS) throw new Error(`a matrix of ${m.pods.length}, not ${PODS}`);
      const r = { total: t3 - t0, read: t1 - t0, snapshot: t2 - t1, matrix: t3 - t2 };
      if (best === undefined || r.total < best.total) best = r;
    }
    return best!;
  };
  /** POSTs one object as kubectl create does; resolves when the server answered 201. */
  const create = (path: string, body: object): Promise<void> =>
    new Promise((ok, fail) => {
      const req = request(`${s.url}${path}`, { method: 'POST', ca: s.caPem, headers: { authorization: `Bearer ${s.adminToken}`, 'content-type': 'application/json' }, timeout: 10_000 }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 201 ? ok() : fail(new Error(`POST ${path}: HTTP ${res.statusCode ?? 0}`))));
      });
      req.on('error', fail);
      req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
      req.end(JSON.stringify(body));
    });
  const measureWatch = async (writes: number): Promise<{ p50: number; p99: number; ack: number }> => {
    const cfg = await loadKubeconfig(quiet, s.kubeconfigPath, undefined);
    if (!cfg.ok) throw new Error(cfg.error);
    const api = new KubeApi({ ...cfg.value, pageSize: 5000 });
    const live = new LiveCluster(api, await discover(api));
    const visible: number[] = [];
    const acked: number[] = [];
    try {
      await live.start();
      for (let i = 0; i < writes; i++) {
        const name = `bench-watch-${i}`;
        let off = (): void => undefined;
        const seen = new Promise<number>((ok, fail) => {
          const timer = setTimeout(() => fail(new Error(`${name} not in the live view within 10 s`)), 10_000);
          off = live.subscribe((c) => {
            if (c.readType.plural === 'globalnetworkpolicies' && (c.object['metadata'] as { name?: string }).name === name) {
              clearTimeout(timer);
              ok(performance.now());
            }
          });
        });
        const t0 = performance.now();
        await create('/apis/projectcalico.org/v3/globalnetworkpolicies', { apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name }, spec: { order: 5000 + i, selector: `bench == '${i}'`, ingress: [{ action: 'Allow' }] } });
        acked.push(performance.now() - t0);
        try {
          visible.push((await seen) - t0);
        } finally {
          off();
        }
      }
    } finally {
      live.close();
      api.close();
    }
    const q = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;
    return { p50: q(visible, 50), p99: q(visible, 99), ack: q(acked, 50) };
  };
  let big: { total: number; read: number; snapshot: number; matrix: number };
  let small: { total: number; read: number; snapshot: number; matrix: number };
  let watch: { p50: number; p99: number; ack: number };
  try {
    big = await measure(5000, 3);
    small = await measure(500, 1);
    watch = await measureWatch(50);
  } finally {
    await s.stop();
    await ds.close();
    await rm(dir, { recursive: true, force: true });
  }
  const ms = (x: number): number => Math.round(x);
  return [
    { name: 'live cluster 10k pods × 1k policies over HTTPS: list + first matrix (--chunk-size 5000)', value: ms(big.total), unit: 'ms', goal: '<= 3000' },
    { name: '  of which: kubeconfig, discovery, paged lists, decode', value: ms(big.read), unit: 'ms', goal: 'informational' },
    { name: '  of which: buildSnapshot', value: ms(big.snapshot), unit: 'ms', goal: 'informational' },
    { name: '  of which: 10,000 × 10,000 matrix, one port', value: ms(big.matrix), unit: 'ms', goal: 'informational' },
    { name: 'the same with the default 500 per page (a request per 500 objects; the server reads each page only as far as it needs)', value: ms(small.total), unit: 'ms', goal: 'informational' },
    { name: '  of which: kubeconfig, discovery, paged lists, decode', value: ms(small.read), unit: 'ms', goal: 'informational' },
    { name: 'live view (list + watch, tabby dashboard --kubeconfig): a policy created over HTTPS → in the live view, p50 of 50', value: Math.round(watch.p50 * 10) / 10, unit: 'ms', goal: 'informational' },
    { name: '  the same, p99 of 50', value: Math.round(watch.p99 * 10) / 10, unit: 'ms', goal: 'informational' },
    { name: '  of which the create itself (request → 201), p50', value: Math.round(watch.ack * 10) / 10, unit: 'ms', goal: 'informational' },
  ];
}
