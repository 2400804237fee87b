/**
 * @module API server benchmarks, over HTTPS against a real `runServer` (embedded SQLite in a
 * temporary directory):
 * - 1,000 sequential kubectl-apply-equivalent requests (a server-side apply PATCH, as
 *   `kubectl apply --server-side --force-conflicts` sends, each one changing the policy):
 *   p50 and p99 round-trip time on a keep-alive connection (an upper bound on server time).
 * - Watch fan-out: 100 open watches on globalnetworkpolicies; time from sending one write
 *   until every watcher has received its event.
 * - Paged list (issue 12): 10,000 GlobalNetworkPolicies listed 500 at a time following the
 *   continue tokens (each page a snapshot at the first page's revision): total time of the 20
 *   pages and the per-page p50.
 * - Watch fan-out at scale (issue 12): 200 watchers, 2,000 sequential creates; delivery latency
 *   of every (write, watcher) pair, from just before the write is sent to the watcher reading
 *   its event: p50 and p99. Watchers and server share this process (and its CPU).
 */
import { Agent, request } from 'node:https';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage } from 'node:http';
import { runServer, type RunningServer } from '../src/apiserver/main.js';
import { openSqliteDatastore, type StoredObject } from '../src/datastore/index.js';
import type { BenchResult } from './run.js';

const GNP_PATH = '/apis/projectcalico.org/v3/globalnetworkpolicies';

function call(s: RunningServer, agent: Agent, method: string, path: string, body: string, contentType: string): Promise<number> {
  return new Promise((ok, fail) => {
    const url = new URL(path, s.url);
    const req = request(
      url,
      { method, agent, ca: s.caPem, headers: { authorization: `Bearer ${s.adminToken}`, 'content-type': contentType, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => ok(res.statusCode ?? 0));
      },
    );
    req.on('error', fail);
    req.end(body);
  });
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function applyBench(s: RunningServer): Promise<BenchResult[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const times: number[] = [];
  try {
    for (let i = 0; i < 1050; i++) {
      const name = `bench-${i % 10}`;
      const body = JSON.stringify({
        apiVersion: 'projectcalico.org/v3',
        kind: 'GlobalNetworkPolicy',
        metadata: { name, labels: { bench: 'yes' } },
        spec: { order: i, selector: "role == 'db'", types: ['Ingress'], ingress: [{ action: 'Allow', protocol: 'TCP', source: { selector: "role == 'web'" }, destination: { ports: [5432] } }] },
      });
      const t0 = performance.now();
      const code = await call(s, agent, 'PATCH', `${GNP_PATH}/${name}?fieldManager=kubectl&force=true&fieldValidation=Strict`, body, 'application/apply-patch+yaml');
      const dt = performance.now() - t0;
      if (code !== 200 && code !== 201) throw new Error(`apply returned ${code}`);
      if (i >= 50) times.push(dt); // the first 50 warm up the JIT and the connection
    }
  } finally {
    agent.destroy();
  }
  times.sort((a, b) => a - b);
  return [
    { name: 'apiserver: kubectl-apply-equivalent (SSA PATCH over HTTPS), p50 of 1,000 sequential', value: Number(percentile(times, 50).toFixed(3)), unit: 'ms', goal: '< 5' },
    { name: 'apiserver: kubectl-apply-equivalent (SSA PATCH over HTTPS), p99 of 1,000 sequential', value: Number(percentile(times, 99).toFixed(3)), unit: 'ms', goal: 'informational' },
  ];
}

async function fanOutBench(s: RunningServer): Promise<BenchResult[]> {
  const N = 100;
  const agent = new Agent({ keepAlive: true, maxSockets: N + 1 });
  const responses: IncomingMessage[] = [];
  try {
    const rv = await new Promise<string>((ok, fail) => {
      request(new URL(GNP_PATH, s.url), { agent, ca: s.caPem, headers: { authorization: `Bearer ${s.adminToken}` } }, (res) => {
        let text = '';
        res.on('data', (b: Buffer) => (text += b.toString()));
        res.on('end', () => ok((JSON.parse(text) as { metadata: { resourceVersion: string } }).metadata.resourceVersion));
      })
        .on('error', fail)
        .end();
    });
    const received: Promise<number>[] = [];
    for (let i = 0; i < N; i++) {
      const res = await new Promise<IncomingMessage>((ok, fail) => {
        request(new URL(`${GNP_PATH}?watch=1&resourceVersion=${rv}&timeoutSeconds=60`, s.url), { agent, ca: s.caPem, headers: { authorization: `Bearer ${s.adminToken}` } }, ok)
          .on('error', fail)
          .end();
      });
      responses.push(res);
      received.push(
        new Promise<number>((ok) => {
          res.once('data', () => ok(performance.now()));
        }),
      );
    }
    await new Promise((r) => setTimeout(r, 200));
    const t0 = performance.now();
    const body = JSON.stringify({ apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name: 'fan-out' }, spec: { order: 1, selector: 'all()' } });
    await call(s, agent, 'POST', GNP_PATH, body, 'application/json');
    const times = await Promise.all(received);
    const all = Math.max(...times) - t0;
    return [{ name: `apiserver: watch fan-out, ${N} watchers receive one change (write → last watcher)`, value: Number(all.toFixed(3)), unit: 'ms', goal: '< 50' }];
  } finally {
    for (const r of responses) r.destroy();
    agent.destroy();
  }
}

function getJson(s: RunningServer, agent: Agent, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((ok, fail) => {
    request(new URL(path, s.url), { agent, ca: s.caPem, headers: { authorization: `Bearer ${s.adminToken}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.on('end', () => ok({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown> }));
    })
      .on('error', fail)
      .end();
  });
}

async function pagedListBench(): Promise<BenchResult[]> {
  const N = 10_000;
  const PAGE = 500;
  const dir = await mkdtemp(join(tmpdir(), 'tabby-bench-apiserver-list-'));
  const ds = await openSqliteDatastore(join(dir, 'tabby.db'));
  const type = { group: 'projectcalico.org', plural: 'globalnetworkpolicies' };
  for (let i = 0; i < N; i++) {
    await ds.create(type, {
      apiVersion: 'projectcalico.org/v3',
      kind: 'GlobalNetworkPolicy',
      metadata: { name: `p-${String(i).padStart(5, '0')}`, labels: { bench: 'list' } },
      spec: { order: i, selector: "role == 'db'", types: ['Ingress'], ingress: [{ action: 'Allow', protocol: 'TCP', source: { selector: "role == 'web'" }, destination: { ports: [5432] } }] },
    } as StoredObject);
  }
  const s = await runServer({ dataDir: dir, port: 0, datastore: ds, uiDir: join(dir, 'no-ui') });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const totals: number[] = [];
  const pages: number[] = [];
  try {
    for (let round = 0; round < 4; round++) {
      let cont: string | undefined;
      let seen = 0;
      const t0 = performance.now();
      do {
        const p0 = performance.now();
        const r = await getJson(s, agent, `${GNP_PATH}?limit=${PAGE}${cont === undefined ? '' : `&continue=${encodeURIComponent(cont)}`}`);
        if (r.status !== 200) throw new Error(`list page returned ${r.status}`);
        if (round > 0) pages.push(performance.now() - p0);
        seen += (r.body['items'] as unknown[]).length;
        cont = (r.body['metadata'] as { continue?: string }).continue;
      } while (cont !== undefined);
      if (seen < N) throw new Error(`paged list saw ${seen} of ${N}`);
      if (round > 0) totals.push(performance.now() - t0); // round 0 warms up
    }
  } finally {
    agent.destroy();
    await s.stop();
    await ds.close();
    await rm(dir, { recursive: true, force: true });
  }
  totals.sort((a, b) => a - b);
  pages.sort((a, b) => a - b);
  return [
    { name: 'apiserver: list 10,000 policies paged by 500 (20 pages, HTTPS), total, median of 3', value: Number(percentile(totals, 50).toFixed(1)), unit: 'ms', goal: 'informational' },
    { name: 'apiserver: list 10,000 policies paged by 500, per-page p50', value: Number(percentile(pages, 50).toFixed(2)), unit: 'ms', goal: 'informational' },
  ];
}

async function fanOutScaleBench(s: RunningServer): Promise<BenchResult[]> {
  const WATCHERS = 200;
  const WRITES = 2_000;
  const path = '/apis/projectcalico.org/v3/globalnetworksets';
  const agent = new Agent({ keepAlive: true, maxSockets: WATCHERS + 1 });
  const writer = new Agent({ keepAlive: true, maxSockets: 1 });
  const responses: IncomingMessage[] = [];
  const sentAt = new Float64Array(WRITES);
  const latencies: number[] = [];
  let delivered = 0;
  let allDelivered: () => void = () => undefined;
  const done = new Promise<void>((ok) => (allDelivered = ok));
  try {
    const rv = String(((await getJson(s, writer, path)).body['metadata'] as { resourceVersion: string }).resourceVersion);
    for (let w = 0; w < WATCHERS; w++) {
      const res = await new Promise<IncomingMessage>((ok, fail) => {
        request(new URL(`${path}?watch=1&resourceVersion=${rv}&timeoutSeconds=600`, s.url), { agent, ca: s.caPem, headers: { authorization: `Bearer ${s.adminToken}` } }, ok)
          .on('error', fail)
          .end();
      });
      responses.push(res);
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const now = performance.now();
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          const m = /"name":"fan-(\d+)"/.exec(line);
          if (m === null) continue;
          latencies.push(now - sentAt[Number(m[1])]!);
          if (++delivered === WATCHERS * WRITES) allDelivered();
        }
      });
    }
    await new Promise((r) => setTimeout(r, 500));
    for (let i = 0; i < WRITES; i++) {
      const body = JSON.stringify({ apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkSet', metadata: { name: `fan-${i}` }, spec: { nets: ['198.18.0.0/24'] } });
      sentAt[i] = performance.now();
      const code = await call(s, writer, 'POST', path, body, 'application/json');
      if (code !== 201) throw new Error(`create returned ${code}`);
    }
    await Promise.race([done, new Promise((_, fail) => setTimeout(() => fail(new Error(`only ${delivered} of ${WATCHERS * WRITES} events delivered within 120 s`)), 120_000))]);
  } finally {
    for (const r of responses) r.destroy();
    agent.destroy();
    writer.destroy();
  }
  latencies.sort((a, b) => a - b);
  return [
    { name: 'apiserver: watch fan-out, 200 watchers × 2,000 writes, delivery latency p50', value: Number(percentile(latencies, 50).toFixed(2)), unit: 'ms', goal: 'informational' },
    { name: 'apiserver: watch fan-out, 200 watchers × 2,000 writes, delivery latency p99', value: Number(percentile(latencies, 99).toFixed(2)), unit: 'ms', goal: '< 100' },
  ];
}

export async function run(): Promise<BenchResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'tabby-bench-apiserver-'));
  const s = await runServer({ dataDir: dir, port: 0 });
  const out: BenchResult[] = [];
  try {
    out.push(...(await applyBench(s)), ...(await fanOutBench(s)), ...(await fanOutScaleBench(s)));
  } finally {
    await s.stop();
    await rm(dir, { recursive: true, force: true });
  }
  out.push(...(await pagedListBench()));
  return out;
}
