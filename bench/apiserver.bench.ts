/**
 * @module API server benchmarks, over HTTPS against a real `runServer` (embedded SQLite in a
 * temporary directory):
 * - 1,000 sequential kubectl-apply-equivalent requests (a server-side apply PATCH, as
 *   `kubectl apply --server-side --force-conflicts` sends, each one changing the policy):
 *   p50 and p99 round-trip time on a keep-alive connection (an upper bound on server time).
 * - Watch fan-out: 100 open watches on globalnetworkpolicies; time from sending one write
 *   until every watcher has received its event.
 */
import { Agent, request } from 'node:https';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage } from 'node:http';
import { runServer, type RunningServer } from '../src/apiserver/main.js';
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

export async function run(): Promise<BenchResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'tabby-bench-apiserver-'));
  const s = await runServer({ dataDir: dir, port: 0 });
  try {
    return [...(await applyBench(s)), ...(await fanOutBench(s))];
  } finally {
    await s.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
