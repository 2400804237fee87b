/**
 * @module Flow aggregation benchmarks (issue 17), single core, CPU time (cpu-clock.ts), best of
 * a few rounds after a warm-up:
 * - the aggregator folding events — 10,000 active flows (source pod × destination × port), each
 *   event a new connection with its own source port — in events per second (goal: the issue's
 *   20,000 new connections/s logged on one core);
 * - the same with every event a new record (100,000 distinct flows in one window: the worst case);
 * - the API server's collector ingesting decoded batches with the pending trace evaluated against
 *   a snapshot with a staged policy (memoised per address pair, as in flows.ts);
 * - the heap held at 100,000 active flows (measured after a full GC) against the aggregator's
 *   own estimate, which the byte bound is enforced on (ratio >= 1: the bound is conservative);
 * - memory bounded by the configured retention: the heap held under a 16 MiB byte bound after
 *   400,000 distinct flows, with every evicted or refused flow counted and nothing held past the
 *   time retention (`_bounded`).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { cpuNow } from './cpu-clock.js';
import { FlowAggregator } from '../src/engine/flows/index.js';
import { FlowCollector } from '../src/apiserver/flows.js';
import { openMemoryDatastore } from '../src/datastore/index.js';
import { ResourceClient } from '../src/client/index.js';
import type { FlowEvent } from '../src/model/flows.js';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  goal: string;
}

const ROUNDS = 3;
const W = 15_000;

function _event(i: number, flows: number, time: number): FlowEvent {
  const f = i % flows;
  const s = f % 1000;
  const d = Math.floor(f / 1000);
  return {
    time,
    node: `w${s % 3}`,
    reporter: 'dst',
    source: { kind: 'wep', namespace: `ns${s % 10}`, name: `client-${s}`, ip: `198.18.${s >> 8}.${s & 255}`, labels: { app: `client-${s % 20}`, tier: 'front' } },
    dest: { kind: 'wep', namespace: 'back', name: `svc-${d}`, ip: `198.19.${d >> 8}.${d & 255}`, labels: { app: `svc-${d}` } },
    protocol: 'tcp',
    sourcePort: 1024 + (i % 60_000),
    destPort: 8080,
    action: 'allow',
    enforced: [{ tier: 'default', kind: 'KubernetesNetworkPolicy', namespace: 'back', name: `allow-${d}`, ruleIndex: 0, direction: 'ingress', action: 'allow' }],
    pending: [],
    packetsOut: 6,
    bytesOut: 420,
    packetsIn: 5,
    bytesIn: 1800,
  };
}

function _best(round: () => number): number {
  round();
  let best = Infinity;
  for (let i = 0; i < ROUNDS; i++) best = Math.min(best, round());
  return best;
}

function _gc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

function _foldRate(flows: number, events: number): number {
  const evs = Array.from({ length: events }, (_, i) => _event(i, flows, 1000 + (i % 1000)));
  const ms = _best(() => {
    const a = new FlowAggregator({ maxBytes: 2 ** 40 });
    const t0 = cpuNow();
    for (const e of evs) a.add(e);
    a.advance(W + 10_000);
    return cpuNow() - t0;
  });
  return Math.round(events / (ms / 1000));
}

async function _collectorRate(): Promise<number> {
  const ds = await openMemoryDatastore();
  const client = new ResourceClient(ds);
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'back' } });
  for (let d = 0; d < 10; d++)
    await client.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `svc-${d}`, namespace: 'back', labels: { app: `svc-${d}` } }, spec: { nodeName: 'w1', containers: [{ name: 'c', image: 'x' }] }, status: { podIP: `198.19.0.${d}` } });
  await client.create({ apiVersion: 'projectcalico.org/v3', kind: 'StagedGlobalNetworkPolicy', metadata: { name: 'lockdown' }, spec: { selector: "app == 'svc-1'", types: ['Ingress'], ingress: [{ action: 'Deny' }] } });
  const shutdown = new AbortController();
  const now = 1_000_000;
  const batches: FlowEvent[][] = [];
  for (let b = 0; b < 50; b++) batches.push(Array.from({ length: 1000 }, (_, i) => _event(b * 1000 + i, 10_000, now)));
  // a fresh collector per round, its snapshot loaded before timing (the server keeps one); round 0 warms up
  let best = Infinity;
  for (let r = 0; r <= ROUNDS; r++) {
    const c = new FlowCollector({ datastore: ds, now: () => now, snapshotMaxAgeMs: 3_600_000, tickMs: 3_600_000, maxBytes: 2 ** 40, shutdown: shutdown.signal });
    await c.snapshot();
    const t0 = cpuNow();
    for (const b of batches) await c.ingest({ events: b, kernelDropped: 0 });
    const t = cpuNow() - t0;
    if (r > 0) best = Math.min(best, t);
  }
  shutdown.abort();
  await ds.close();
  return Math.round((batches.length * 1000) / (best / 1000));
}

function _memory(): { heapMiB: number; estimateRatio: number } {
  _gc();
  const before = process.memoryUsage().heapUsed;
  const a = new FlowAggregator({ maxBytes: 2 ** 40 });
  for (let i = 0; i < 100_000; i++) {
    // JSON round trip: each event's objects are its own, as after decoding an agent's batch
    a.add(JSON.parse(JSON.stringify(_event(i, 100_000, 1000))) as FlowEvent);
  }
  _gc();
  const held = process.memoryUsage().heapUsed - before;
  if (a.records !== 100_000) throw new Error(`expected 100000 records, got ${a.records}`);
  return { heapMiB: held / 1024 / 1024, estimateRatio: a.bytes / held };
}

/**
 * Memory bounded by the configured retention: an aggregator with a 16 MiB byte bound fed 400,000
 * distinct flows over 8 windows (each window closes as the next opens, so the oldest closed
 * records are evicted to make room, and events are refused once only the open window is left).
 * Every flow is accounted for (held + evicted + refused = sent: drops are counted, never silent);
 * the heap held (after a full GC) stays within the bound; past the time retention nothing is held.
 */
function _bounded(): { heapOverBound: number; dropped: number } {
  const maxBytes = 16 * 1024 * 1024;
  const windowMs = 1000;
  const retentionMs = 60_000;
  _gc();
  const before = process.memoryUsage().heapUsed;
  const a = new FlowAggregator({ maxBytes, windowMs, graceMs: 0, retentionMs });
  const total = 400_000;
  const perWindow = total / 8;
  for (let i = 0; i < total; i++) {
    const time = 1000 + Math.floor(i / perWindow) * windowMs;
    if (i % perWindow === 0) a.advance(time);
    a.add(JSON.parse(JSON.stringify(_event(i, total, time))) as FlowEvent);
  }
  _gc();
  const held = process.memoryUsage().heapUsed - before;
  const d = a.drops();
  if (a.records + d.recordsEvicted + d.eventsDropped !== total) throw new Error(`flows unaccounted for: ${a.records} held + ${d.recordsEvicted} evicted + ${d.eventsDropped} refused != ${total}`);
  if (a.bytes > maxBytes) throw new Error(`estimate ${a.bytes} above the bound ${maxBytes}`);
  a.advance(1000 + 9 * windowMs + retentionMs + windowMs);
  if (a.records !== 0) throw new Error(`${a.records} records held past the retention time`);
  return { heapOverBound: held / maxBytes, dropped: d.recordsEvicted + d.eventsDropped };
}

export async function run(): Promise<BenchResult[]> {
  const active = _foldRate(10_000, 200_000);
  const distinct = _foldRate(100_000, 100_000);
  const collector = await _collectorRate();
  const mem = _memory();
  const bounded = _bounded();
  return [
    { name: 'flow aggregator: events folded per second (10k active flows, 1 core)', value: active, unit: 'events/s', goal: '>= 20000' },
    { name: 'flow aggregator: events per second, every event a new record (100k flows)', value: distinct, unit: 'events/s', goal: '>= 20000' },
    { name: 'flow collector: events ingested per second with pending traces (staged policy present)', value: collector, unit: 'events/s', goal: '>= 20000' },
    { name: 'flow aggregator: heap held at 100k active flows', value: Math.round(mem.heapMiB * 10) / 10, unit: 'MiB', goal: 'informational' },
    { name: 'flow aggregator: estimated bytes / measured heap at 100k flows (>= 1: the byte bound is conservative)', value: Math.round(mem.estimateRatio * 100) / 100, unit: 'ratio', goal: '>= 1' },
    { name: 'flow aggregator: heap held / configured byte bound (16 MiB bound, 400k distinct flows sent)', value: Math.round(bounded.heapOverBound * 100) / 100, unit: 'ratio', goal: '<= 1' },
    { name: 'flow aggregator: flows evicted or refused at that bound, all counted', value: bounded.dropped, unit: 'flows', goal: 'informational' },
  ];
}
