/**
 * @module `?watch=1`: a stream of newline-delimited WatchEvent JSON (`{"type","object"}`), as
 * kubectl and client-go reflectors read it.
 *
 * - resourceVersion unset or "0": synthetic ADDED events for the current objects, then changes.
 *   Otherwise every change after that version; a version older than the datastore keeps ends
 *   the stream with an ERROR event carrying a 410 Expired Status (what a real API server sends).
 * - sendInitialEvents=true (with allowWatchBookmarks and resourceVersionMatch=NotOlderThan, as
 *   the WatchList protocol asks): ADDED events for the current objects, then a BOOKMARK carrying
 *   the annotation `k8s.io/initial-events-end: "true"` at the list's revision, then changes.
 *   sendInitialEvents=false with no resourceVersion: changes from now, no synthetic events.
 * - allowWatchBookmarks=true: a BOOKMARK event (only kind, apiVersion and
 *   metadata.resourceVersion) whenever nothing else was sent for `bookmarkIntervalMs` (`tabby
 *   server --watch-bookmark-interval`), and before the watch times out. So such a watch is never
 *   silent for longer than the interval, which is how a client tells a dead connection (a
 *   partition) from a quiet one (kube-datastore.ts `watchIdleTimeoutMs`). Its resourceVersion is
 *   the last revision of this watch's feed (of both feeds, the lower, when a derived view is
 *   merged in): every event up to it has been sent, so the client may resume from it.
 * - timeoutSeconds bounds the watch; so do the client going away and server shutdown.
 * - With `as=Table`, each event's object is a one-row Table.
 *
 * Fan-out (issue 19): a watcher without a label selector is fed by the shared per-type feed of
 * watch-hub.ts through a synchronous callback (`delivery: 'push'`, the default): each event is
 * encoded once into its JSON line (or its one-row Table line, per `includeObject`), derived
 * views are converted once, and every watcher whose namespace and field selector admit the
 * event enqueues the same bytes. `delivery: 'iterate'` keeps the earlier path (an async iterator
 * per watcher, derived views converted and encoded per watcher) for the benchmark's ratio.
 * A watcher whose client stops reading is ended once more than MAX_QUEUED_BYTES wait for it
 * (the client re-watches from its last resourceVersion, or relists after a 410), so one stuck
 * client never holds the server's memory.
 */
import type { Datastore, ResourceType, StoredObject, WatchEvent } from '../datastore/index.js';
import { TooOldError } from '../datastore/index.js';
import type { KindInfo } from '../model/kind-info.js';
import { apiVersionOf } from '../model/kind-info.js';
import type { FieldMatcher, LabelMatcher } from './selectors.js';
import type { WatchHub } from './watch-hub.js';
import { status, StatusError, toStatus } from './status.js';
import { toTable, type IncludeObject } from './tables.js';

export interface WatchParams {
  readonly info: KindInfo;
  readonly namespace: string | undefined;
  readonly labels: LabelMatcher | undefined;
  readonly fields: FieldMatcher | undefined;
  readonly resourceVersion: string;
  readonly bookmarks: boolean;
  /** undefined when the request did not say. */
  readonly sendInitialEvents?: boolean | undefined;
  readonly timeoutMs: number;
  readonly table: { include: IncludeObject } | undefined;
}

export interface WatchEnv {
  readonly datastore: Datastore;
  /** Shared per-type feeds for watchers without a label selector. */
  readonly hub: WatchHub;
  readonly now: () => Date;
  readonly bookmarkIntervalMs: number;
  /** Aborted when the server shuts down. */
  readonly shutdown: AbortSignal;
  /** Lists the current objects (the resource client, so derived views agree with GET). */
  list(): Promise<{ items: readonly StoredObject[]; revision: string }>;
  /** Objects of another type shown converted beside this kind's own (`knp.default.*`): watched too. */
  readonly derived?: { readonly type: ResourceType; convert(o: StoredObject): StoredObject | undefined } | undefined;
  /** `push` (default): shared feed, frames encoded once; `iterate`: the per-watcher iterator path. */
  readonly delivery?: 'push' | 'iterate' | undefined;
}

/** Flushes of watchers with frames waiting, run together once the current burst of events is handled. */
let _flushes: (() => void)[] = [];

function _schedule(flush: () => void): void {
  if (_flushes.length === 0)
    setImmediate(() => {
      const fs = _flushes;
      _flushes = [];
      for (const f of fs) f();
    });
  _flushes.push(flush);
}

/** Bytes queued for one watcher beyond which it is ended (a client that stopped reading). */
export const MAX_QUEUED_BYTES = 64 * 1024 * 1024;

/** a > b for decimal revision strings without leading zeros ('' counts as 0). */
function _revAfter(a: string, b: string): boolean {
  if (a.length !== b.length) return a.length > b.length;
  return a > b;
}

/** Events of both streams as they arrive (each stream keeps its own order); ends when both end. */
async function* _merge<T>(a: AsyncIterable<T>, b: AsyncIterable<T>): AsyncGenerator<T> {
  const its = [a[Symbol.asyncIterator](), b[Symbol.asyncIterator]()];
  const pending = new Map<number, Promise<{ i: number; r: IteratorResult<T> }>>();
  const pull = (i: number): void => void pending.set(i, its[i]!.next().then((r) => ({ i, r })));
  pull(0);
  pull(1);
  try {
    while (pending.size > 0) {
      const { i, r } = await Promise.race(pending.values());
      if (r.done) pending.delete(i);
      else {
        pull(i);
        yield r.value;
      }
    }
  } finally {
    for (const [i] of pending) void its[i]!.return?.();
  }
}

/** The derived type's events, converted; objects that do not convert are left out. */
async function* _converted(events: AsyncIterable<WatchEvent>, convert: (o: StoredObject) => StoredObject | undefined, mark: WeakSet<WatchEvent>): AsyncGenerator<WatchEvent> {
  for await (const ev of events) {
    const object = convert(ev.object);
    if (object === undefined) continue;
    const out = { type: ev.type, object, revision: ev.revision };
    mark.add(out);
    yield out;
  }
}

/** One abort listener per shutdown signal however many watches are open (no listener-leak warnings). */
const shutdownHooks = new WeakMap<AbortSignal, Set<() => void>>();

function _onShutdown(signal: AbortSignal, fn: () => void): () => void {
  if (signal.aborted) {
    fn();
    return () => undefined;
  }
  let hooks = shutdownHooks.get(signal);
  if (hooks === undefined) {
    const set = new Set<() => void>();
    hooks = set;
    shutdownHooks.set(signal, set);
    signal.addEventListener('abort', () => {
      for (const h of [...set]) h();
    }, { once: true });
  }
  hooks.add(fn);
  const set = hooks;
  return () => set.delete(fn);
}

const enc = new TextEncoder();
const encoded = new WeakMap<WatchEvent, Uint8Array>();
/** One-row Table frames, per event and per includeObject (the Age column is the first sender's). */
const tableFrames = new WeakMap<WatchEvent, Map<string, Uint8Array>>();

function _tableFrame(ev: WatchEvent, include: IncludeObject, render: () => unknown): Uint8Array {
  let m = tableFrames.get(ev);
  if (m === undefined) {
    m = new Map();
    tableFrames.set(ev, m);
  }
  const key = String(include);
  let bytes = m.get(key);
  if (bytes === undefined) {
    bytes = enc.encode(`${JSON.stringify({ type: ev.type, object: render() })}\n`);
    m.set(key, bytes);
  }
  return bytes;
}

/** A datastore event is encoded once however many watchers send it. */
function _encode(type: string, object: unknown): Uint8Array {
  const ev = object as WatchEvent;
  if (typeof object === 'object' && object !== null && 'revision' in object && 'object' in object) {
    let bytes = encoded.get(ev);
    if (bytes === undefined) {
      bytes = enc.encode(`${JSON.stringify({ type: ev.type, object: ev.object })}\n`);
      encoded.set(ev, bytes);
    }
    return bytes;
  }
  return enc.encode(`${JSON.stringify({ type, object })}\n`);
}

export function watchResponse(p: WatchParams, env: WatchEnv, requestSignal: AbortSignal): Response {
  const abort = new AbortController();
  const stop = (): void => abort.abort();
  const cleanups: (() => void)[] = [];
  let lastRevision = p.resourceVersion;
  const body = new ReadableStream<Uint8Array>({
    start: (controller) => {
      /** Fires a bookmark when nothing was written for the interval (allowWatchBookmarks). */
      let idle: ReturnType<typeof setTimeout> | undefined;
      // (a frame sent before the watch stopped, such as the closing bookmark, still goes out)
      const write = (bytes: Uint8Array): void => {
        if (!abort.signal.aborted) idle?.refresh();
        try {
          controller.enqueue(bytes);
          if ((controller.desiredSize ?? 0) < -MAX_QUEUED_BYTES) stop();
        } catch {
          stop();
        }
      };
      // push delivery coalesces the frames of one burst into one chunk (one socket write)
      const coalesce = p.labels === undefined && (env.delivery ?? 'push') === 'push';
      let pending: Uint8Array[] = [];
      const flush = (): void => {
        const chunks = pending;
        pending = [];
        if (chunks.length === 1) write(chunks[0]!);
        else if (chunks.length > 1) write(Buffer.concat(chunks));
      };
      const enqueue = (bytes: Uint8Array): void => {
        if (abort.signal.aborted) return;
        if (!coalesce) {
          write(bytes);
          return;
        }
        if (pending.length === 0) _schedule(flush);
        pending.push(bytes);
      };
      cleanups.push(flush);
      const send = (type: string, object: unknown): void => {
        if (!abort.signal.aborted) enqueue(_encode(type, object));
      };
      const render = (o: StoredObject): unknown =>
        p.table === undefined ? o : toTable(p.info.group, p.info.kind, [o], { now: env.now(), include: p.table.include });
      const bookmark = (annotations?: Record<string, string>): void =>
        send('BOOKMARK', { kind: p.info.kind, apiVersion: apiVersionOf(p.info), metadata: { resourceVersion: lastRevision, ...(annotations ? { annotations } : {}) } });

      if (requestSignal.aborted) stop();
      requestSignal.addEventListener('abort', stop, { once: true });
      cleanups.push(() => requestSignal.removeEventListener('abort', stop));
      cleanups.push(_onShutdown(env.shutdown, stop));
      const timeout = setTimeout(() => {
        if (p.bookmarks) bookmark();
        stop();
      }, p.timeoutMs);
      cleanups.push(() => clearTimeout(timeout));
      // a bookmark after every interval with nothing sent (each frame written re-arms the timer)
      if (p.bookmarks) {
        idle = setTimeout(() => bookmark(), env.bookmarkIntervalMs);
        cleanups.push(() => {
          clearTimeout(idle);
          idle = undefined;
        });
      }

      const run = async (): Promise<void> => {
        let from = p.resourceVersion;
        const initial = p.sendInitialEvents ?? (from === '' || from === '0');
        if (initial) {
          const cur = await env.list();
          if (from !== '' && from !== '0' && BigInt(cur.revision) < BigInt(from)) throw tooLargeResourceVersion(from, cur.revision);
          for (const o of cur.items) if (_matches(p, o)) send('ADDED', render(o));
          from = cur.revision;
          lastRevision = from;
          if (p.sendInitialEvents === true) bookmark({ 'k8s.io/initial-events-end': 'true' });
        } else if (from === '' || from === '0') {
          from = (await env.list()).revision;
          lastRevision = from;
        }
        // the bookmark's revision: with a derived view merged in, the lower of the two feeds' last
        // revisions (each feed is in order, but one may run ahead of the other)
        let ownRev = from;
        let derivedRev = from;
        const seen = (rev: string, derived: boolean): void => {
          if (derived) {
            if (_revAfter(rev, derivedRev)) derivedRev = rev;
          } else if (_revAfter(rev, ownRev)) ownRev = rev;
          const low = env.derived === undefined || _revAfter(derivedRev, ownRev) ? ownRev : derivedRev;
          if (_revAfter(low, lastRevision)) lastRevision = low;
        };
        if (p.labels === undefined && (env.delivery ?? 'push') === 'push') {
          const pushed = await _push(p, env, from, abort.signal, (ev, derived) => {
            seen(ev.revision, derived);
            if (p.namespace !== undefined && ev.object.metadata.namespace !== p.namespace) return;
            if (p.fields !== undefined && !p.fields(ev.object)) return;
            enqueue(p.table === undefined ? _encode(ev.type, ev) : _tableFrame(ev, p.table.include, () => render(ev.object)));
          });
          if (pushed) return;
        }
        const feed = (type: ResourceType): AsyncIterable<WatchEvent> =>
          p.labels === undefined
            ? env.hub.watch(type, from, abort.signal)
            : env.datastore.watch({ ...type, ...(p.namespace === undefined ? {} : { namespace: p.namespace }), labels: p.labels }, from, abort.signal);
        const own = feed({ group: p.info.group, plural: p.info.plural });
        const fromDerived = new WeakSet<WatchEvent>();
        const events = env.derived === undefined ? own : _merge(own, _converted(feed(env.derived.type), env.derived.convert, fromDerived));
        for await (const ev of events) {
          if (abort.signal.aborted) break;
          seen(ev.revision, fromDerived.has(ev));
          if (p.namespace !== undefined && ev.object.metadata.namespace !== p.namespace) continue;
          if (p.fields !== undefined && !p.fields(ev.object)) continue;
          send(ev.type, p.table === undefined ? ev : render(ev.object));
        }
      };
      run()
        .catch((e: unknown) => {
          if (abort.signal.aborted) return;
          if (e instanceof TooOldError) send('ERROR', toStatus(e));
          else send('ERROR', toStatus(e));
        })
        .finally(() => {
          for (const c of cleanups) c();
          stop();
          try {
            controller.close();
          } catch {
            // already closed by a cancelled reader
          }
        });
    },
    cancel: () => {
      for (const c of cleanups) c();
      stop();
    },
  }, new ByteLengthQueuingStrategy({ highWaterMark: 64 * 1024 }));
  return new Response(body, {
    status: 200,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-cache, private', 'transfer-encoding': 'chunked' },
  });
}

/**
 * Feeds `deliver` from the shared feeds (this kind's, and the derived source's converted once per
 * event) until `signal` aborts or a feed ends (resolves true) or fails (rejects). Resolves false
 * at once, having delivered nothing, when a feed cannot replay from `from`: the caller then
 * watches the datastore itself.
 */
function _push(p: WatchParams, env: WatchEnv, from: string, signal: AbortSignal, deliver: (ev: WatchEvent, derived: boolean) => void): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    const unsubs: (() => void)[] = [];
    let settled = false;
    let started = false;
    const finish = (err: Error | null): void => {
      if (settled) return;
      settled = true;
      for (const u of unsubs) u();
      signal.removeEventListener('abort', onAbort);
      if (err === null) resolve(true);
      else reject(err);
    };
    const onAbort = (): void => finish(null);
    // Events replayed while subscribing wait until every subscription exists (or one refused).
    const early: [WatchEvent, boolean][] = [];
    const sub = (convert?: (ev: WatchEvent) => WatchEvent | undefined) => ({
      onEvent: (ev: WatchEvent): void => {
        const out = convert === undefined ? ev : convert(ev);
        if (out === undefined || settled) return;
        if (started) deliver(out, convert !== undefined);
        else early.push([out, convert !== undefined]);
      },
      onEnd: (err: Error | null): void => finish(err),
    });
    const own = env.hub.subscribe({ group: p.info.group, plural: p.info.plural }, from, sub());
    if (own === undefined) return resolve(false);
    unsubs.push(own);
    const d = env.derived;
    if (d !== undefined) {
      const view = `${p.info.group}/${p.info.kind}`;
      const other = env.hub.subscribe(d.type, from, sub((ev) => env.hub.derivedEvent(view, ev, d.convert)));
      if (other === undefined) {
        settled = true;
        own();
        return resolve(false);
      }
      unsubs.push(other);
    }
    if (settled) return;
    started = true;
    for (const [ev, derived] of early) deliver(ev, derived);
    if (signal.aborted) return finish(null);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** kube-apiserver's answer to a resourceVersion newer than the store: 504 Timeout, cause ResourceVersionTooLarge. */
export function tooLargeResourceVersion(wanted: string, current: string): StatusError {
  return new StatusError(
    status(504, 'Timeout', `Timeout: Too large resource version: ${wanted}, current: ${current}`, {
      causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
      retryAfterSeconds: 1,
    }),
  );
}

function _matches(p: WatchParams, o: StoredObject): boolean {
  return (p.labels === undefined || p.labels(o.metadata.labels ?? {})) && (p.fields === undefined || p.fields(o));
}
