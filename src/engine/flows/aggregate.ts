/**
 * @module FlowAggregator: folds FlowEvents into FlowRecords over fixed windows, with bounded
 * memory and counted drops (issue 17 item 2). Pure: no clock, no timers, no I/O — the caller
 * passes `now` (the API server's collector, a bench, a test).
 *
 * Semantics, after Felix's flow-log aggregator (felix/collector/flowlog):
 * - An event belongs to the window `[floor(time / windowMs) * windowMs, + windowMs)` of its own
 *   `time` (not of its arrival), so the order in which events arrive does not change a record.
 * - The key is (reporter, source, dest, destPort, protocol, action, enforced trace, pending
 *   trace). Two levels, as Felix's `AggregationKind`s: `endpoint` (default) folds the source
 *   port only — Felix's FlowSourcePort — and keeps each endpoint's kind, namespace, name and
 *   address; `name` also folds the addresses of known endpoints (pods, host endpoints, network
 *   sets; their `ip` becomes ''), as Felix's FlowPrefixName folds IPs. An address outside the
 *   cluster (`net`) keeps its `ip` at both levels: it is that endpoint's identity.
 * - Labels are not part of the key: a record's labels are the intersection of its events'
 *   labels (Felix's IntersectLabels). `nodes` is the sorted set of reporting nodes. Counts add.
 * - A window is *closed* `graceMs` after its end (agents deliver in batches); closed windows
 *   are what `query` and `closeWindows` return. An event for a window already closed is counted
 *   in `eventsLate`, never folded into a record a reader may already have seen.
 * - Retention: records whose window ended more than `retentionMs` before `now` are dropped at
 *   `advance(now)`. Bytes: the estimated size of all held records stays at or under `maxBytes`;
 *   a new record past it first evicts the oldest closed records (`recordsEvicted`), and when
 *   only open windows are left the event is refused (`eventsDropped`). Folding into an
 *   existing record never needs more memory, so it is never refused.
 */
import type { FlowAction, FlowDropCounters, FlowEndpoint, FlowEvent, FlowPolicyHit, FlowProtocol, FlowQuery, FlowRecord } from '../../model/flows.js';

export type FlowAggregationLevel = 'endpoint' | 'name';

export interface FlowAggregatorOptions {
  /** Window length (ms); default 15 000, as Felix's flow-log flush interval. */
  readonly windowMs?: number;
  /** How long after its end a window still takes late events (ms); default 5 000. */
  readonly graceMs?: number;
  /** How long records are kept after their window ends (ms); default one hour. */
  readonly retentionMs?: number;
  /** Bound on the estimated bytes of all held records; default 128 MiB. */
  readonly maxBytes?: number;
  readonly level?: FlowAggregationLevel;
}

export const DEFAULT_FLOW_WINDOW_MS = 15_000;
export const DEFAULT_FLOW_GRACE_MS = 5_000;
export const DEFAULT_FLOW_RETENTION_MS = 3_600_000;
export const DEFAULT_FLOW_MAX_BYTES = 128 * 1024 * 1024;

/** A closed record with its place in the stream of closed records (resume a watch after `seq`). */
export interface SequencedFlowRecord {
  readonly seq: number;
  readonly record: FlowRecord;
}

interface _Rec {
  readonly key: string;
  readonly bytes: number;
  nodes: string[];
  source: FlowEndpoint;
  dest: FlowEndpoint;
  readonly protocol: FlowProtocol;
  readonly destPort: number;
  readonly action: FlowAction;
  readonly reporter: 'src' | 'dst';
  readonly enforced: readonly FlowPolicyHit[];
  readonly pending: readonly FlowPolicyHit[];
  connections: number;
  packetsOut: number;
  bytesOut: number;
  packetsIn: number;
  bytesIn: number;
}

interface _Window {
  readonly start: number;
  readonly records: Map<string, _Rec>;
  bytes: number;
  /** Set when the window closed: its records, frozen, in key order; evicted from the front. */
  closed: _Closed[] | undefined;
  /** How many of `closed` were evicted (the live ones start there). */
  head: number;
}

interface _Closed extends SequencedFlowRecord {
  readonly key: string;
}

// Estimated sizes (V8, 64-bit, pointer compression): object headers and fields, a Map entry, a
// string of n characters (one byte each in V8's Latin-1 strings; a two-byte string counts double).
// Calibrated by bench/flows.bench.ts against the measured heap (estimate / heap >= 1).
const _REC_BASE = 240;
const _ENDPOINT_BASE = 80;
const _HIT_BASE = 64;
const _TWO_BYTE = /[\u0100-\uffff]/;
const _str = (s: string): number => 16 + (_TWO_BYTE.test(s) ? 2 : 1) * s.length;

function _endpointBytes(e: FlowEndpoint): number {
  let n = _ENDPOINT_BASE + _str(e.namespace) + _str(e.name) + _str(e.ip) + _str(e.serviceAccount ?? '');
  for (const k of Object.keys(e.labels)) n += 24 + _str(k) + _str(e.labels[k]!);
  return n;
}

function _hitsBytes(h: readonly FlowPolicyHit[]): number {
  let n = 32;
  for (const x of h) n += _HIT_BASE + _str(x.tier) + _str(x.kind) + _str(x.namespace) + _str(x.name);
  return n;
}

const _hitKey = (h: FlowPolicyHit): string => `${h.tier}\u0001${h.kind}\u0001${h.namespace}\u0001${h.name}\u0001${h.ruleIndex}\u0001${h.direction}\u0001${h.action}`;
const _traceKey = (hits: readonly FlowPolicyHit[]): string => hits.map(_hitKey).join('\u0002');

/** The window start of a time. */
export const windowStart = (time: number, windowMs: number): number => Math.floor(time / windowMs) * windowMs;

function _intersect(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  let same = true;
  for (const k of Object.keys(a)) {
    if (Object.prototype.hasOwnProperty.call(b, k) && b[k] === a[k]) out[k] = a[k]!;
    else same = false;
  }
  return same ? a : out;
}

/** The same policy named in a trace: `name`, `namespace/name` or `tier.name`. */
export function hitNamesPolicy(h: FlowPolicyHit, policy: string): boolean {
  if (h.name === '') return false;
  return h.name === policy || (h.namespace !== '' && `${h.namespace}/${h.name}` === policy) || `${h.tier}.${h.name}` === policy;
}

/** Does a record pass a query's filters (all but `limit`)? */
export function recordMatches(r: FlowRecord, q: FlowQuery): boolean {
  if (q.since !== undefined && r.endTime < q.since) return false;
  if (q.namespace !== undefined && r.source.namespace !== q.namespace && r.dest.namespace !== q.namespace) return false;
  if (q.action !== undefined && r.action !== q.action) return false;
  if (q.policy !== undefined) {
    const p = q.policy;
    if (!r.enforced.some((h) => hitNamesPolicy(h, p)) && !r.pending.some((h) => hitNamesPolicy(h, p))) return false;
  }
  return true;
}

export class FlowAggregator {
  readonly windowMs: number;
  readonly graceMs: number;
  readonly retentionMs: number;
  readonly maxBytes: number;
  readonly level: FlowAggregationLevel;
  /** Windows by start; `_order` keeps the starts sorted. */
  readonly #windows = new Map<number, _Window>();
  #order: number[] = [];
  #bytes = 0;
  #seq = 0;
  /** The end of the newest closed window: events before it are late. */
  #closedUpTo = -Infinity;
  #eventsDropped = 0;
  #eventsLate = 0;
  #recordsEvicted = 0;
  #kernelDropped = 0;
  #events = 0;

  constructor(o: FlowAggregatorOptions = {}) {
    this.windowMs = _positive(o.windowMs, DEFAULT_FLOW_WINDOW_MS, 'windowMs');
    this.graceMs = _nonNegative(o.graceMs, DEFAULT_FLOW_GRACE_MS, 'graceMs');
    this.retentionMs = _positive(o.retentionMs, DEFAULT_FLOW_RETENTION_MS, 'retentionMs');
    this.maxBytes = _positive(o.maxBytes, DEFAULT_FLOW_MAX_BYTES, 'maxBytes');
    this.level = o.level ?? 'endpoint';
  }

  /** Estimated bytes of all held records. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Records held (open and closed windows). */
  get records(): number {
    let n = 0;
    for (const w of this.#windows.values()) n += w.records.size;
    return n;
  }

  /** Events folded in since the start. */
  get events(): number {
    return this.#events;
  }

  /** The sequence number of the newest closed record (0: none yet). */
  get seq(): number {
    return this.#seq;
  }

  drops(): FlowDropCounters {
    return { eventsDropped: this.#eventsDropped, recordsEvicted: this.#recordsEvicted, kernelDropped: this.#kernelDropped, eventsLate: this.#eventsLate };
  }

  /** Kernel-side losses reported by a reader (NFLOG overflows), added to `kernelDropped`. */
  addKernelDropped(n: number): void {
    if (Number.isFinite(n) && n > 0) this.#kernelDropped += Math.floor(n);
  }

  #endpoint(e: FlowEndpoint): FlowEndpoint {
    if (this.level === 'name' && e.kind !== 'net' && e.ip !== '') return { ...e, ip: '' };
    return e;
  }

  /** Folds one event. Returns false when it was refused (late, or the byte bound) — and counted. */
  add(ev: FlowEvent): boolean {
    const start = windowStart(ev.time, this.windowMs);
    if (start + this.windowMs <= this.#closedUpTo) {
      this.#eventsLate++;
      return false;
    }
    const source = this.#endpoint(ev.source);
    const dest = this.#endpoint(ev.dest);
    const key = [
      ev.reporter,
      source.kind,
      source.namespace,
      source.name,
      source.ip,
      dest.kind,
      dest.namespace,
      dest.name,
      dest.ip,
      ev.destPort,
      ev.protocol,
      ev.action,
      _traceKey(ev.enforced),
      _traceKey(ev.pending),
    ].join('\u0000');
    let w = this.#windows.get(start);
    const existing = w?.records.get(key);
    if (existing !== undefined) {
      this.#fold(existing, ev, source, dest);
      this.#events++;
      return true;
    }
    const bytes = _REC_BASE + _str(key) + _endpointBytes(source) + _endpointBytes(dest) + _hitsBytes(ev.enforced) + _hitsBytes(ev.pending) + _str(ev.node) + _str(String(ev.protocol));
    if (!this.#makeRoom(bytes)) {
      this.#eventsDropped++;
      return false;
    }
    if (w === undefined) {
      w = { start, records: new Map(), bytes: 0, closed: undefined, head: 0 };
      this.#windows.set(start, w);
      this.#insertStart(start);
    }
    w.records.set(key, {
      key,
      bytes,
      nodes: [ev.node],
      source,
      dest,
      protocol: ev.protocol,
      destPort: ev.destPort,
      action: ev.action,
      reporter: ev.reporter,
      enforced: ev.enforced,
      pending: ev.pending,
      connections: 1,
      packetsOut: ev.packetsOut,
      bytesOut: ev.bytesOut,
      packetsIn: ev.packetsIn,
      bytesIn: ev.bytesIn,
    });
    w.bytes += bytes;
    this.#bytes += bytes;
    this.#events++;
    return true;
  }

  #fold(r: _Rec, ev: FlowEvent, source: FlowEndpoint, dest: FlowEndpoint): void {
    r.connections++;
    r.packetsOut += ev.packetsOut;
    r.bytesOut += ev.bytesOut;
    r.packetsIn += ev.packetsIn;
    r.bytesIn += ev.bytesIn;
    if (!r.nodes.includes(ev.node)) {
      r.nodes.push(ev.node);
      r.nodes.sort();
    }
    const sl = _intersect(r.source.labels, source.labels);
    if (sl !== r.source.labels) r.source = { ...r.source, labels: sl };
    const dl = _intersect(r.dest.labels, dest.labels);
    if (dl !== r.dest.labels) r.dest = { ...r.dest, labels: dl };
  }

  #insertStart(start: number): void {
    const o = this.#order;
    if (o.length === 0 || o[o.length - 1]! < start) {
      o.push(start);
      return;
    }
    let lo = 0;
    let hi = o.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (o[mid]! < start) lo = mid + 1;
      else hi = mid;
    }
    o.splice(lo, 0, start);
  }

  /** Evicts the oldest closed records until `need` more bytes fit; false when they cannot. */
  #makeRoom(need: number): boolean {
    if (need > this.maxBytes) return false;
    while (this.#bytes + need > this.maxBytes) {
      const oldest = this.#order[0];
      if (oldest === undefined) return false;
      const w = this.#windows.get(oldest)!;
      if (w.closed === undefined) return false; // only open windows left: refuse, never evict unseen data
      const c = w.closed[w.head];
      if (c === undefined) {
        this.#dropWindow(oldest);
        continue;
      }
      w.head++;
      const r = w.records.get(c.key)!;
      w.records.delete(c.key);
      w.bytes -= r.bytes;
      this.#bytes -= r.bytes;
      this.#recordsEvicted++;
      if (w.records.size === 0) this.#dropWindow(oldest);
    }
    return true;
  }

  #dropWindow(start: number): void {
    const w = this.#windows.get(start);
    if (w === undefined) return;
    this.#bytes -= w.bytes;
    this.#windows.delete(start);
    this.#order = this.#order.filter((s) => s !== start);
  }

  /**
   * Closes every window whose end + grace is at or before `now`, and expires records past
   * retention. Returns the records of the windows it closed, oldest window first, each with
   * its sequence number (for a watch).
   */
  advance(now: number): SequencedFlowRecord[] {
    const out: SequencedFlowRecord[] = [];
    for (const start of this.#order) {
      const w = this.#windows.get(start)!;
      if (w.closed !== undefined) continue;
      const end = start + this.windowMs;
      if (end + this.graceMs > now) break;
      const keys = [...w.records.keys()].sort();
      w.closed = keys.map((k) => {
        const r = w.records.get(k)!;
        return { seq: ++this.#seq, record: _freeze(r, start, end), key: k };
      });
      for (const c of w.closed) out.push({ seq: c.seq, record: c.record });
      if (end > this.#closedUpTo) this.#closedUpTo = end;
    }
    // a window with no events closes too: later events for it are late all the same
    const horizon = windowStart(now - this.graceMs, this.windowMs);
    if (horizon > this.#closedUpTo) this.#closedUpTo = horizon;
    const expireBefore = now - this.retentionMs;
    while (this.#order.length > 0) {
      const start = this.#order[0]!;
      if (start + this.windowMs >= expireBefore) break;
      const w = this.#windows.get(start)!;
      if (w.closed === undefined) break;
      this.#dropWindow(start);
    }
    return out;
  }

  /** Closed records matching `q`, newest window first (key order inside a window), cut at `q.limit`. */
  query(q: FlowQuery = {}): FlowRecord[] {
    const out: FlowRecord[] = [];
    const limit = q.limit ?? Infinity;
    for (let i = this.#order.length - 1; i >= 0 && out.length < limit; i--) {
      const w = this.#windows.get(this.#order[i]!)!;
      if (w.closed === undefined) continue;
      if (q.since !== undefined && w.start + this.windowMs < q.since) break;
      for (let j = w.head; j < w.closed.length && out.length < limit; j++) {
        const c = w.closed[j]!;
        if (recordMatches(c.record, q)) out.push(c.record);
      }
    }
    return out;
  }

  /** Closed records with a sequence number above `after`, oldest first (resuming a watch). */
  since(after: number): SequencedFlowRecord[] {
    const out: SequencedFlowRecord[] = [];
    for (const start of this.#order) {
      const w = this.#windows.get(start)!;
      if (w.closed === undefined) break;
      for (let j = w.head; j < w.closed.length; j++) {
        const c = w.closed[j]!;
        if (c.seq > after) out.push({ seq: c.seq, record: c.record });
      }
    }
    return out;
  }

  /** The oldest sequence number still held (a watch resuming before it missed records). */
  oldestSeq(): number {
    for (const start of this.#order) {
      const w = this.#windows.get(start)!;
      if (w.closed === undefined) break;
      if (w.closed.length > w.head) return w.closed[w.head]!.seq;
    }
    return this.#seq + 1;
  }
}

function _freeze(r: _Rec, startTime: number, endTime: number): FlowRecord {
  const rec: FlowRecord = {
    startTime,
    endTime,
    reporter: r.reporter,
    nodes: [...r.nodes],
    source: r.source,
    dest: r.dest,
    protocol: r.protocol,
    destPort: r.destPort,
    action: r.action,
    enforced: r.enforced,
    pending: r.pending,
    connections: r.connections,
    packetsOut: r.packetsOut,
    bytesOut: r.bytesOut,
    packetsIn: r.packetsIn,
    bytesIn: r.bytesIn,
  };
  return rec;
}

function _positive(v: number | undefined, d: number, name: string): number {
  if (v === undefined) return d;
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`FlowAggregator: ${name} must be a positive number, got ${v}`);
  return v;
}

function _nonNegative(v: number | undefined, d: number, name: string): number {
  if (v === undefined) return d;
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`FlowAggregator: ${name} must be zero or positive, got ${v}`);
  return v;
}
