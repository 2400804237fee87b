/**
 * @module Watch fan-out (issue 19 item 3): N watchers (100, 1,000) of one kind on one real
 * `runServer` (HTTPS, embedded SQLite), 1,000 changes written into its datastore; the time from
 * the first write until every watcher has read every event, the server process's CPU over that
 * time per delivered event, and the bytes delivered. The watchers run in a child process (so
 * their TLS and parsing do not share the server's CPU accounting; they share the machine's two
 * cores). Each size runs twice in the same run: with the shared push delivery (each event
 * encoded once, every admitting watcher enqueues the same frame) and with the earlier
 * per-watcher iterator path (`watchDelivery: 'iterate'`), and the ratio is reported.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runServer } from '../src/apiserver/main.js';
import type { StoredObject } from '../src/datastore/index.js';
import type { BenchResult } from './run.js';

const PATH = '/apis/projectcalico.org/v3/globalnetworksets';
const EVENTS = 1_000;

/** The watcher process: opens N watches, counts event lines, prints `ready`, then `done <bytes>`. */
const WATCHERS_JS = `
const https = require('node:https');
const [url, token, ca, n, events, rv] = [process.env.U, process.env.T, process.env.CA, Number(process.env.N), Number(process.env.E), process.env.RV];
const agent = new https.Agent({ keepAlive: true, maxSockets: n + 1 });
let open = 0, finished = 0, bytes = 0;
for (let i = 0; i < n; i++) {
  https.get(url + '?watch=1&timeoutSeconds=600&resourceVersion=' + rv, { agent, ca, headers: { authorization: 'Bearer ' + token } }, (res) => {
    if (res.statusCode !== 200) { console.error('HTTP ' + res.statusCode); process.exit(1); }
    if (++open === n) process.stdout.write('ready\\n');
    let lines = 0;
    res.on('data', (b) => {
      bytes += b.length;
      for (let j = 0; j < b.length; j++) if (b[j] === 10) lines++;
      if (lines === events && ++finished === n) { process.stdout.write('done ' + bytes + '\\n'); process.exit(0); }
    });
  }).on('error', (e) => { console.error(e.message); process.exit(1); });
}
`;

async function once(n: number, delivery: 'push' | 'iterate', script: string): Promise<{ ms: number; cpuMs: number; bytes: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'tabby-bench-fanout-'));
  const s = await runServer({ dataDir: dir, port: 0, uiDir: join(dir, 'no-ui'), watchDelivery: delivery });
  try {
    const type = { group: 'projectcalico.org', plural: 'globalnetworksets' };
    const rv = (await s.datastore.list(type)).revision;
    const child = spawn(process.execPath, [script], {
      env: { U: new URL(PATH, s.url).toString(), T: s.adminToken, CA: s.caPem, N: String(n), E: String(EVENTS), RV: rv },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    const line = (re: RegExp, ms: number): Promise<RegExpExecArray> =>
      new Promise((ok, fail) => {
        const t = setTimeout(() => fail(new Error(`watcher process: no ${re} within ${ms} ms (printed ${JSON.stringify(out)})`)), ms);
        const check = (): void => {
          const m = re.exec(out);
          if (m !== null) {
            clearTimeout(t);
            child.stdout.off('data', onData);
            ok(m);
          }
        };
        const onData = (b: Buffer): void => {
          out += b.toString();
          check();
        };
        child.stdout.on('data', onData);
        check();
      });
    try {
      await line(/ready/, 60_000);
      await new Promise((r) => setTimeout(r, 300));
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const done = line(/done (\d+)/, 300_000);
      for (let i = 0; i < EVENTS; i++)
        await s.datastore.create(type, { apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkSet', metadata: { name: `fan-${i}`, labels: { bench: 'fanout' } }, spec: { nets: ['198.18.0.0/24'] } } as StoredObject);
      const m = await done;
      const ms = performance.now() - t0;
      const c = process.cpuUsage(cpu0);
      return { ms, cpuMs: (c.user + c.system) / 1000, bytes: Number(m[1]) };
    } finally {
      child.kill();
    }
  } finally {
    await s.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'tabby-bench-fanout-js-'));
  const script = join(dir, 'watchers.cjs');
  await writeFile(script, WATCHERS_JS);
  const out: BenchResult[] = [];
  try {
    for (const n of [100, 1_000]) {
      const push = await once(n, 'push', script);
      const iter = await once(n, 'iterate', script);
      const per = (r: { cpuMs: number }): number => (r.cpuMs * 1000) / (n * EVENTS);
      out.push(
        { name: `watch fan-out: ${n} watchers × 1,000 events, write → every watcher has every event (shared push delivery)`, value: Number(push.ms.toFixed(0)), unit: 'ms', goal: 'informational' },
        { name: `watch fan-out: ${n} watchers × 1,000 events, server CPU per delivered event (push)`, value: Number(per(push).toFixed(2)), unit: 'µs', goal: 'informational' },
        { name: `watch fan-out: ${n} watchers × 1,000 events, server CPU per delivered event (per-watcher iterator path)`, value: Number(per(iter).toFixed(2)), unit: 'µs', goal: 'informational' },
        { name: `watch fan-out: ${n} watchers, server CPU ratio per-watcher path / push (same run)`, value: Number((iter.cpuMs / push.cpuMs).toFixed(2)), unit: '×', goal: 'informational' },
        { name: `watch fan-out: ${n} watchers, delivery time ratio per-watcher path / push (same run)`, value: Number((iter.ms / push.ms).toFixed(2)), unit: '×', goal: 'informational' },
        { name: `watch fan-out: ${n} watchers × 1,000 events, bytes delivered per event per watcher`, value: Math.round(push.bytes / (n * EVENTS)), unit: 'B', goal: 'informational' },
      );
      if (Math.abs(push.bytes - iter.bytes) > push.bytes / 100) throw new Error(`the two paths delivered different amounts: ${push.bytes} vs ${iter.bytes} bytes`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return out;
}
