/**
 * @module Cluster-wide flow collection and the flows API (issue 17 items 2-4).
 *
 * `FlowEventSink` is the ingestion port: the agents' FlowEvents arrive through it — over HTTP as
 * `POST /apis/tabby.dev/v1/flowevents` (a FlowEventBatch, `{events: [...], kernelDropped?}`,
 * RBAC verb `create` on `flowevents.tabby.dev`), or in-process. `FlowCollector` implements it: it
 * fills each event's pending trace from the engine's staged view over the current datastore
 * (snapshot rebuilt when older than `snapshotMaxAgeMs`) and folds the events into a
 * FlowAggregator; a timer closes windows and feeds watchers.
 *
 * Reading, a read-only aggregated endpoint in the Kubernetes style (kubectl:
 * `kubectl get --raw '/apis/tabby.dev/v1/flows?action=deny'`):
 * - `GET /apis/tabby.dev/v1/flows` and `/apis/tabby.dev/v1/namespaces/<ns>/flows` (the namespace
 *   filter; RBAC verb `list`, or `watch` with `?watch=1`, on `flows.tabby.dev`) → a `FlowList`:
 *   `{apiVersion: tabby.dev/v1, kind: FlowList, metadata: {resourceVersion}, items, drops}`, the
 *   records of closed windows, newest first. Each item is a FlowRecord plus `apiVersion`, `kind:
 *   Flow` and `metadata: {name, resourceVersion}` (its sequence number).
 * - Filters (query parameters): `since` (a duration such as `5m`, `1h30m`, or an RFC 3339 time),
 *   `namespace`, `action` (allow|deny), `policy` (`name`, `namespace/name` or `tier.name`, in the
 *   enforced or pending trace), `limit` (1-10000).
 * - `?watch=1`: newline-delimited `{"type":"ADDED","object":<Flow>}` events: the matching records
 *   held (or, with `resourceVersion=N`, those after N; before the oldest held → an ERROR event
 *   with a 410 Expired Status), then each record as its window closes. `timeoutSeconds` bounds it
 *   (default 1800); so do the client going away and server shutdown.
 * - `GET …/flows/<name>`: one record (RBAC verb `get`), 404 when no longer held.
 * - kubectl: `tabby.dev/v1` is in discovery (flows namespaced, verbs get/list/watch; flowevents
 *   create), and `Accept: …;as=Table` answers a meta.k8s.io Table (FLOW_COLUMNS, also per watch
 *   event), so `kubectl get flows [-n NS | -A] [-o wide|json] [-w]` works; any other method on
 *   flows is a 405 MethodNotAllowed Status.
 * Bad parameters are a 400 Status naming the parameter; a bad batch a 422 Invalid Status with a
 * cause per field path (`events[3].source.ip`).
 */
import { ENGINE_KINDS } from '../engine/input-kinds.js';
import type { Datastore, ResourceType } from '../datastore/index.js';
import { buildSnapshot, type Snapshot } from '../engine/index.js';
import { FlowAggregator, pendingAction, pendingTrace, recordMatches, type FlowAggregatorOptions, type SequencedFlowRecord } from '../engine/flows/index.js';
import { decodeFlowEventBatch, type FlowEventBatch } from '../model/flow-decode.js';
import { endpointText, hitText, type FlowDropCounters, type FlowEvent, type FlowPolicyHit, type FlowQuery, type FlowRecord } from '../model/flows.js';
import { kindFor } from '../model/kinds.js';
import type { Resource } from '../model/meta.js';
import { decodeResource } from '../model/validate-resource.js';
import { badRequest, invalidStatus, notFound, status, StatusError } from './status.js';
import { humanDuration, type ColumnDefinition, type Table } from './tables.js';

export const FLOWS_GROUP = 'tabby.dev';
export const FLOWS_VERSION = 'v1';

/** What one ingestion did with a batch (dropped and late events are also in the drop counters). */
export interface IngestResult {
  readonly accepted: number;
  readonly dropped: number;
  readonly late: number;
}

/** The ingestion port: where the agents' FlowEvents go (HTTP POST, or in-process). */
export interface FlowEventSink {
  ingest(batch: FlowEventBatch): Promise<IngestResult>;
}

/** The kinds the engine reads (the agents' list too). */
export const FLOW_ENGINE_KINDS: readonly (readonly [string, string])[] = ENGINE_KINDS;

export interface FlowCollectorOptions extends FlowAggregatorOptions {
  readonly datastore: Datastore;
  /** Unix ms. */
  readonly now?: () => number;
  /** Longest a snapshot is reused for pending traces (ms); default 1000. */
  readonly snapshotMaxAgeMs?: number;
  /** How often windows are closed and watchers fed (ms); default min(1000, windowMs / 2). */
  readonly tickMs?: number;
  /** Aborting it stops the timer and ends every watch. */
  readonly shutdown?: AbortSignal;
}

type Listener = (records: readonly SequencedFlowRecord[]) => void;

const _MEMO_MAX = 100_000;

export class FlowCollector implements FlowEventSink {
  readonly aggregator: FlowAggregator;
  readonly #ds: Datastore;
  readonly #now: () => number;
  readonly #maxAge: number;
  readonly #listeners = new Set<Listener>();
  #snap: { at: number; snap: Snapshot } | undefined;
  #loading: Promise<Snapshot> | undefined;
  #memo = new Map<string, readonly FlowPolicyHit[]>();
  readonly #timer: ReturnType<typeof setInterval>;
  readonly shutdown: AbortSignal;

  constructor(o: FlowCollectorOptions) {
    this.aggregator = new FlowAggregator(o);
    this.#ds = o.datastore;
    this.#now = o.now ?? Date.now;
    this.#maxAge = o.snapshotMaxAgeMs ?? 1000;
    this.shutdown = o.shutdown ?? new AbortController().signal;
    this.#timer = setInterval(() => this.tick(), o.tickMs ?? Math.min(1000, Math.max(50, this.aggregator.windowMs / 2)));
    this.#timer.unref();
    const stop = (): void => {
      clearInterval(this.#timer);
      this.#listeners.clear();
    };
    if (this.shutdown.aborted) stop();
    else this.shutdown.addEventListener('abort', stop, { once: true });
  }

  now(): number {
    return this.#now();
  }

  /** Closes due windows and hands their records to the watchers. */
  tick(): void {
    const closed = this.aggregator.advance(this.#now());
    if (closed.length > 0) for (const l of [...this.#listeners]) l(closed);
  }

  subscribe(l: Listener): () => void {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }

  /** The engine's view of the datastore, at most `snapshotMaxAgeMs` old. */
  async snapshot(): Promise<Snapshot> {
    const t = this.#now();
    if (this.#snap !== undefined && t - this.#snap.at < this.#maxAge) return this.#snap.snap;
    this.#loading ??= this.#load().finally(() => (this.#loading = undefined));
    return this.#loading;
  }

  async #load(): Promise<Snapshot> {
    const at = this.#now();
    const resources: Resource[] = [];
    for (const [apiVersion, kind] of FLOW_ENGINE_KINDS) {
      const info = kindFor(apiVersion, kind);
      if (info === undefined) continue;
      const type: ResourceType = { group: info.group, plural: info.plural };
      const l = await this.#ds.list(type);
      for (const o of l.items) {
        const r = decodeResource(o);
        if (r.ok) resources.push(r.value.resource);
      }
    }
    const snap = buildSnapshot(resources);
    if (this.#snap?.snap !== snap) this.#memo = new Map();
    this.#snap = { at, snap };
    return snap;
  }

  #pending(snap: Snapshot, ev: FlowEvent): readonly FlowPolicyHit[] {
    if (snap.stagedView === null) return [];
    const key = `${ev.reporter}|${ev.source.ip}|${ev.dest.ip}|${ev.protocol}|${ev.destPort}`;
    let hits = this.#memo.get(key);
    if (hits === undefined) {
      hits = pendingTrace(snap, { ...ev, sourcePort: 0 });
      if (this.#memo.size >= _MEMO_MAX) this.#memo.clear();
      this.#memo.set(key, hits);
    }
    return hits;
  }

  async ingest(batch: FlowEventBatch): Promise<IngestResult> {
    const snap = await this.snapshot();
    const before = this.aggregator.drops();
    let accepted = 0;
    for (const ev of batch.events) if (this.aggregator.add({ ...ev, pending: this.#pending(snap, ev) })) accepted++;
    this.aggregator.addKernelDropped(batch.kernelDropped);
    const after = this.aggregator.drops();
    return { accepted, dropped: after.eventsDropped - before.eventsDropped, late: (after.eventsLate ?? 0) - (before.eventsLate ?? 0) };
  }

  drops(): FlowDropCounters {
    return this.aggregator.drops();
  }
}

// ------------------------------------------------------------------ HTTP

const DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** `5m`, `1h30m`, `90s` → ms; undefined when not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (m === null || text === '') return undefined;
  return (Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0)) * 1000;
}

const _ALLOWED_PARAMS = new Set(['since', 'namespace', 'action', 'policy', 'limit', 'watch', 'resourceVersion', 'timeoutSeconds', 'allowWatchBookmarks', 'includeObject']);

/** The FlowQuery of a request's parameters (400 naming the parameter when one is bad). */
export function flowQueryOf(params: URLSearchParams, namespace: string | undefined, now: number): FlowQuery {
  const q: { -readonly [K in keyof FlowQuery]: FlowQuery[K] } = {};
  for (const k of params.keys()) if (!_ALLOWED_PARAMS.has(k)) throw badRequest(`unknown query parameter ${JSON.stringify(k.slice(0, 64))}; flows take since, namespace, action, policy, limit, watch, resourceVersion, timeoutSeconds`);
  const since = params.get('since');
  if (since !== null) {
    const d = parseDuration(since);
    if (d !== undefined) q.since = now - d;
    else if (/^\d{4}-\d\d-\d\dT/.test(since) && Number.isFinite(Date.parse(since))) q.since = Date.parse(since);
    else throw badRequest(`since: ${JSON.stringify(since.slice(0, 64))} is neither a duration (5m, 1h30m, 90s) nor an RFC 3339 time`);
  }
  const ns = params.get('namespace') ?? namespace;
  if (ns !== undefined && ns !== null) {
    if (namespace !== undefined && params.get('namespace') !== null && params.get('namespace') !== namespace) throw badRequest('namespace: the parameter and the path name different namespaces');
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns) || ns.length > 63) throw badRequest(`namespace: ${JSON.stringify(ns.slice(0, 64))} is not a valid namespace name`);
    q.namespace = ns;
  }
  const action = params.get('action');
  if (action !== null) {
    if (action !== 'allow' && action !== 'deny') throw badRequest(`action: ${JSON.stringify(action.slice(0, 64))} is not supported; supported values: "allow", "deny"`);
    q.action = action;
  }
  const policy = params.get('policy');
  if (policy !== null) {
    if (policy === '' || policy.length > 512) throw badRequest('policy: must be a policy name (name, namespace/name or tier.name) of at most 512 characters');
    q.policy = policy;
  }
  const limit = params.get('limit');
  if (limit !== null) {
    const n = Number(limit);
    if (!/^\d+$/.test(limit) || n < 1 || n > 10_000) throw badRequest(`limit: ${JSON.stringify(limit.slice(0, 64))} must be an integer between 1 and 10000`);
    q.limit = n;
  }
  return q;
}

/** A record as the API shows it: the FlowRecord plus Kubernetes-style type and object metadata. */
export function flowObject(c: SequencedFlowRecord): FlowRecord & { apiVersion: string; kind: 'Flow'; metadata: { name: string; resourceVersion: string } } {
  return { apiVersion: `${FLOWS_GROUP}/${FLOWS_VERSION}`, kind: 'Flow', metadata: { name: `${c.record.startTime}-${c.seq}`, resourceVersion: String(c.seq) }, ...c.record };
}

// ------------------------------------------------------------------ kubectl's Table

const _col = (name: string, description: string, priority = 0, type: ColumnDefinition['type'] = 'string', format = ''): ColumnDefinition => ({ name, type, format, description, priority });

/** The columns `kubectl get flows` prints (priority 1 only with `-o wide`). */
export const FLOW_COLUMNS: readonly ColumnDefinition[] = [
  _col('Name', 'The record: its window start (Unix ms) and sequence number.', 0, 'string', 'name'),
  _col('Reporter', 'Which end reported it: src (egress side) or dst (ingress side).'),
  _col('Source', 'The source endpoint: namespace/pod, hep:<name>, gns:<name> or an address.'),
  _col('Destination', 'The destination endpoint.'),
  _col('Port', 'Protocol and destination port.'),
  _col('Action', 'What the enforced policies did: allow or deny.'),
  _col('Connections', 'Connections started in the window.', 0, 'integer'),
  _col('Policy', 'The deciding enforced verdict: tier|namespace/policy:rule action.'),
  _col('Pending', 'What the staged policies would do, and the deciding staged verdict; <none> without staged policies.'),
  _col('Age', 'Time since the window closed.'),
  _col('Nodes', 'Nodes whose agents reported it.', 1),
  _col('Packets', 'Packets out/in.', 1),
  _col('Bytes', 'Bytes out/in.', 1),
  _col('Enforced', 'The whole enforced trace.', 1),
];

function _flowCells(r: FlowRecord, name: string, now: number): (string | number)[] {
  const pa = pendingAction(r.pending);
  const last = (h: readonly FlowPolicyHit[]): string => (h.length === 0 ? '<none>' : hitText(h[h.length - 1]!));
  return [
    name,
    r.reporter,
    endpointText(r.source),
    endpointText(r.dest),
    `${String(r.protocol)}${r.destPort > 0 ? `/${r.destPort}` : ''}`,
    r.action,
    r.connections,
    last(r.enforced),
    pa === undefined ? '<none>' : `${pa} (${last(r.pending)})`,
    humanDuration(Math.max(0, now - r.endTime)),
    r.nodes.join(',') || '<none>',
    `${r.packetsOut}/${r.packetsIn}`,
    `${r.bytesOut}/${r.bytesIn}`,
    r.enforced.map(hitText).join(', ') || '<none>',
  ];
}

type _Include = 'None' | 'Metadata' | 'Object';

/** `Accept: …;as=Table;…` → how much of each object a row carries (`?includeObject=`, default Metadata). */
function _tableInclude(accept: string, params: URLSearchParams): _Include | undefined {
  if (!/as=Table/.test(accept)) return undefined;
  const inc = params.get('includeObject');
  if (inc !== null && inc !== 'None' && inc !== 'Metadata' && inc !== 'Object') throw badRequest(`includeObject: ${JSON.stringify(inc.slice(0, 32))} must be None, Metadata or Object`);
  return inc ?? 'Metadata';
}

/** The namespace a row shows (`kubectl get flows -A`): the one asked for, else the reporting end's. */
function _rowNamespace(r: FlowRecord, namespace: string | undefined): string {
  return namespace ?? (r.reporter === 'src' ? r.source.namespace : r.dest.namespace);
}

/** Flow records as a meta.k8s.io Table (kubectl's server-side printing). */
export function flowsTable(list: readonly SequencedFlowRecord[], o: { now: number; include: _Include; namespace?: string | undefined; resourceVersion?: string; headers?: boolean }): Table {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: o.resourceVersion === undefined ? {} : { resourceVersion: o.resourceVersion },
    columnDefinitions: o.headers === false ? [] : FLOW_COLUMNS,
    rows: list.map((c) => {
      const f = flowObject(c);
      const ns = _rowNamespace(c.record, o.namespace);
      const meta = { name: f.metadata.name, ...(ns === '' ? {} : { namespace: ns }), resourceVersion: f.metadata.resourceVersion, creationTimestamp: new Date(c.record.endTime).toISOString() };
      const object = o.include === 'None' ? undefined : o.include === 'Object' ? f : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: meta };
      return { cells: _flowCells(c.record, f.metadata.name, o.now), ...(object === undefined ? {} : { object }) };
    }),
  };
}

/** GET one flow by name (`<startTime>-<seq>`, as listed); in a namespace, only a flow with an end there. */
export function flowResponse(c: FlowCollector, name: string, namespace: string | undefined, params: URLSearchParams, accept = ''): Response {
  for (const k of params.keys()) if (k !== 'includeObject' && k !== 'resourceVersion') throw badRequest(`unknown query parameter ${JSON.stringify(k.slice(0, 64))} for one flow`);
  const include = _tableInclude(accept, params);
  c.tick();
  const m = /^(\d{1,15})-(\d{1,15})$/.exec(name);
  const missing = (): StatusError => notFound({ group: FLOWS_GROUP, plural: 'flows', kind: 'Flow' }, name.slice(0, 253));
  if (m === null) throw missing();
  const seq = Number(m[2]);
  const found = c.aggregator.since(seq - 1).find((s) => s.seq === seq);
  if (found === undefined || found.record.startTime !== Number(m[1]) || (namespace !== undefined && !recordMatches(found.record, { namespace }))) throw missing();
  if (include !== undefined) return _json(200, flowsTable([found], { now: c.now(), include, namespace, resourceVersion: String(found.seq) }));
  return _json(200, flowObject(found));
}

const _enc = new TextEncoder();
const _line = (v: unknown): Uint8Array => _enc.encode(`${JSON.stringify(v)}\n`);

function _json(code: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status: code, headers: { 'content-type': 'application/json' } });
}

/** GET flows (list or watch); as a Table (one per watch event) when Accept asks for one. */
export function flowsResponse(c: FlowCollector, params: URLSearchParams, namespace: string | undefined, signal: AbortSignal, accept = ''): Response {
  c.tick();
  const q = flowQueryOf(params, namespace, c.now());
  const include = _tableInclude(accept, params);
  const agg = c.aggregator;
  const watch = params.get('watch');
  if (watch === null || watch === 'false' || watch === '0') {
    // list: the records with their sequence numbers (query keeps the order; since() gives seqs)
    const seqOf = new Map<FlowRecord, number>();
    for (const s of agg.since(0)) seqOf.set(s.record, s.seq);
    const seqd = agg.query(q).map((r) => ({ seq: seqOf.get(r) ?? 0, record: r }));
    if (include !== undefined) return _json(200, flowsTable(seqd, { now: c.now(), include, namespace, resourceVersion: String(agg.seq) }));
    const items = seqd.map(flowObject);
    return _json(200, { apiVersion: `${FLOWS_GROUP}/${FLOWS_VERSION}`, kind: 'FlowList', metadata: { resourceVersion: String(agg.seq) }, items, drops: c.drops() });
  }
  if (watch !== 'true' && watch !== '1') throw badRequest(`watch: ${JSON.stringify(watch.slice(0, 16))} must be true or false`);
  const rvText = params.get('resourceVersion');
  let from: number | undefined;
  if (rvText !== null && rvText !== '' && rvText !== '0') {
    if (!/^\d+$/.test(rvText)) throw badRequest(`resourceVersion: ${JSON.stringify(rvText.slice(0, 32))} must be a number`);
    from = Number(rvText);
  }
  const tsText = params.get('timeoutSeconds');
  let timeoutMs = 1_800_000;
  if (tsText !== null) {
    if (!/^\d+$/.test(tsText) || Number(tsText) < 1 || Number(tsText) > 86_400) throw badRequest('timeoutSeconds: must be an integer between 1 and 86400');
    timeoutMs = Number(tsText) * 1000;
  }
  const stop = new AbortController();
  const cleanups: (() => void)[] = [];
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const end = (): void => {
        if (stop.signal.aborted) return;
        stop.abort();
        for (const f of cleanups) f();
        try {
          controller.close();
        } catch {
          // the reader went away first
        }
      };
      const send = (list: readonly SequencedFlowRecord[], limitLeft: { n: number }): void => {
        for (const s of list) {
          if (limitLeft.n <= 0) break;
          if (!recordMatches(s.record, q)) continue;
          controller.enqueue(_line({ type: 'ADDED', object: include === undefined ? flowObject(s) : flowsTable([s], { now: c.now(), include, namespace }) }));
          limitLeft.n--;
        }
      };
      for (const sig of [signal, c.shutdown]) {
        if (sig.aborted) return end();
        sig.addEventListener('abort', end, { once: true });
        cleanups.push(() => sig.removeEventListener('abort', end));
      }
      const timer = setTimeout(end, timeoutMs);
      timer.unref();
      cleanups.push(() => clearTimeout(timer));
      const left = { n: q.limit ?? Infinity };
      if (from !== undefined && from + 1 < agg.oldestSeq()) {
        controller.enqueue(_line({ type: 'ERROR', object: status(410, 'Expired', `too old resource version: ${from} (${agg.oldestSeq() - 1})`) }));
        return end();
      }
      send(agg.since(from ?? 0), left);
      if (left.n <= 0) return end();
      cleanups.push(
        c.subscribe((list) => {
          send(list, left);
          if (left.n <= 0) end();
        }),
      );
    },
    cancel() {
      stop.abort();
      for (const f of cleanups) f();
    },
  });
  return new Response(body, { status: 200, headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } });
}

/** POST flowevents: a batch from an agent. */
export async function flowEventsResponse(c: FlowCollector, body: () => Promise<unknown>): Promise<Response> {
  const raw = await body();
  const d = decodeFlowEventBatch(raw, c.now());
  if (!d.ok) throw new StatusError(invalidStatus('FlowEventBatch', FLOWS_GROUP, '', d.error));
  const r = await c.ingest(d.value);
  return _json(201, { apiVersion: `${FLOWS_GROUP}/${FLOWS_VERSION}`, kind: 'FlowEventBatchResult', ...r, drops: c.drops() });
}
