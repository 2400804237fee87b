/**
 * @module Datastore benchmarks: watch latency (write → event delivered) and raw create
 * throughput of the datastore alone, without the CLI's parse/validate path.
 *
 * - embedded (SQLite file, WAL): watch latency on the writer's own connection, and through a
 *   second connection to the same file (what a running server sees of a CLI write, minus the
 *   process start); 10,000 sequential creates.
 * - etcd (one member started here on loopback; skipped without etcd-server): watch latency,
 *   10,000 creates sequentially and with 32 in flight.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEtcdDatastore, openSqliteDatastore, type Datastore, type StoredObject } from '../src/datastore/index.js';
import { etcdSkipReason, startEtcd } from '../test/support/etcd.js';

interface Result {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly goal: string | number;
}

const TYPE = { group: 'projectcalico.org', plural: 'globalnetworksets' };
const CREATES = 10_000;
const LATENCY_SAMPLES = 500;

function netset(name: string): StoredObject & { spec: unknown } {
  return {
    apiVersion: 'projectcalico.org/v3',
    kind: 'GlobalNetworkSet',
    metadata: { name, labels: { role: 'bench' } },
    spec: { nets: ['10.1.0.0/16', '192.168.0.0/24'] },
  };
}

const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const round2 = (x: number): number => Math.round(x * 100) / 100;

/** Writes through `writer`, one at a time, and times until `watcher`'s watch delivers each. */
async function watchLatency(writer: Datastore, watcher: Datastore, prefix: string): Promise<{ p50: number; p99: number }> {
  const start = (await watcher.list(TYPE)).revision;
  const ac = new AbortController();
  const waiting = new Map<string, (t: number) => void>();
  const loop = (async () => {
    for await (const ev of watcher.watch(TYPE, start, ac.signal)) {
      waiting.get(ev.object.metadata.name ?? '')?.(performance.now());
    }
  })();
  const samples: number[] = [];
  try {
    for (let i = 0; i < LATENCY_SAMPLES + 20; i++) {
      const name = `${prefix}-${i}`;
      const seen = new Promise<number>((resolve, reject) => {
        waiting.set(name, resolve);
        setTimeout(() => reject(new Error(`no watch event for ${name} within 5 s`)), 5_000).unref();
      });
      const t0 = performance.now();
      await writer.create(TYPE, netset(name));
      const t1 = await seen;
      waiting.delete(name);
      if (i >= 20) samples.push(t1 - t0); // the first few warm up JIT and caches
      // Let the watcher go idle between samples, as a real server would be.
      await new Promise((r) => setTimeout(r, 2));
    }
  } finally {
    ac.abort();
    await loop.catch(() => undefined);
  }
  samples.sort((a, b) => a - b);
  return { p50: round2(percentile(samples, 50)), p99: round2(percentile(samples, 99)) };
}

async function createThroughput(ds: Datastore, prefix: string, inFlight: number): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      for (let i = next++; i < CREATES; i = next++) await ds.create(TYPE, netset(`${prefix}-${i}`));
    }),
  );
  return Math.round((CREATES / (performance.now() - t0)) * 1000);
}

export async function run(): Promise<Result[]> {
  const out: Result[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'tabby-bench-ds-'));
  try {
    const path = join(dir, 'tabby.db');
    const a = await openSqliteDatastore(path);
    const b = await openSqliteDatastore(path);
    try {
      const same = await watchLatency(a, a, 'same');
      out.push({ name: 'datastore: embedded watch latency p50 (same connection)', value: same.p50, unit: 'ms', goal: '< 5' });
      out.push({ name: 'datastore: embedded watch latency p99 (same connection)', value: same.p99, unit: 'ms', goal: 'informational' });
      const cross = await watchLatency(a, b, 'cross');
      out.push({ name: 'datastore: embedded watch latency p50 (other connection/process)', value: cross.p50, unit: 'ms', goal: '< 5' });
      out.push({ name: 'datastore: embedded watch latency p99 (other connection/process)', value: cross.p99, unit: 'ms', goal: 'informational' });
      const perSec = await createThroughput(a, 'tp', 1);
      out.push({ name: `datastore: embedded creates/s (${CREATES}, sequential)`, value: perSec, unit: 'objects/s', goal: 'informational (the issue sets >= 2,000/s for calicoctl apply, measured in calicoctl.bench)' });
    } finally {
      await a.close();
      await b.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const skip = etcdSkipReason();
  if (skip !== undefined) {
    process.stderr.write(`datastore bench: etcd skipped: ${skip}\n`);
    return out;
  }
  const cluster = await startEtcd({ members: 1 });
  try {
    const ds = await openEtcdDatastore({ endpoints: cluster.endpoints });
    try {
      const lat = await watchLatency(ds, ds, 'lat');
      out.push({ name: 'datastore: etcd watch latency p50', value: lat.p50, unit: 'ms', goal: 'informational' });
      out.push({ name: 'datastore: etcd watch latency p99', value: lat.p99, unit: 'ms', goal: 'informational' });
      const seq = await createThroughput(ds, 'seq', 1);
      out.push({ name: `datastore: etcd creates/s (${CREATES}, sequential)`, value: seq, unit: 'objects/s', goal: 'informational (the issue sets >= 1,000/s for calicoctl apply, measured in calicoctl.bench)' });
      const par = await createThroughput(ds, 'par', 32);
      out.push({ name: `datastore: etcd creates/s (${CREATES}, 32 in flight)`, value: par, unit: 'objects/s', goal: 'informational' });
    } finally {
      await ds.close();
    }
  } finally {
    await cluster.stop();
  }
  return out;
}
