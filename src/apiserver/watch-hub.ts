/**
 * @module One datastore watch per resource type, shared by every API watcher of that type (the
 * idea of Kubernetes' watch cache): with 100 `kubectl get -w` clients, a change is read and
 * decoded once, not 100 times. Watchers with a label selector keep their own datastore watch,
 * because only the datastore knows when an object starts or stops matching.
 *
 * A feed starts from the first watcher's resourceVersion and keeps its last BUFFER events, so a
 * later watcher joins when its resourceVersion is not older than what the feed can replay;
 * otherwise it gets its own datastore watch (which reports 410 Expired when history is gone).
 * A feed stops when its last watcher leaves, and its errors (TooOldError) reach every watcher.
 *
 * Two ways to receive a feed: `watch` (an async iterator per watcher, one promise per event per
 * watcher) and `subscribe` (a callback called synchronously for every event, in the feed's own
 * loop: delivering one event to N watchers is N filter checks and N enqueues of one shared
 * encoded frame, watch.ts). `derivedEvent` converts an event of a source kind into its derived
 * view (`knp.default.*` policies, pods' WorkloadEndpoints) once for every watcher of the view.
 */
import type { Datastore, ResourceType, WatchEvent } from '../datastore/index.js';

const BUFFER = 1024;

type Sink = (ev: WatchEvent | Error | null) => void;

/** A push subscription: `onEvent` for each event, then `onEnd` once (null: the feed ended; an Error: it failed). */
export interface HubSubscriber {
  onEvent(ev: WatchEvent): void;
  onEnd(err: Error | null): void;
}

class Feed {
  readonly buffer: WatchEvent[] = [];
  readonly sinks = new Set<Sink>();
  /** Watchers may join from any revision >= baseline. */
  baseline: bigint;
  readonly abort = new AbortController();
  ended = false;

  constructor(ds: Datastore, type: ResourceType, from: string, onEnd: () => void) {
    this.baseline = BigInt(from);
    const run = async (): Promise<void> => {
      for await (const ev of ds.watch(type, from, this.abort.signal)) {
        this.buffer.push(ev);
        if (this.buffer.length > BUFFER) this.baseline = BigInt(this.buffer.shift()!.revision);
        for (const s of this.sinks) s(ev);
      }
    };
    run().then(
      () => this._end(null, onEnd),
      (e: unknown) => this._end(e instanceof Error ? e : new Error(String(e)), onEnd),
    );
  }

  private _end(err: Error | null, onEnd: () => void): void {
    this.ended = true;
    onEnd();
    for (const s of this.sinks) s(err);
    this.sinks.clear();
  }
}

export class WatchHub {
  private readonly feeds = new Map<string, Feed>();
  private readonly derived = new Map<string, WeakMap<WatchEvent, WatchEvent | null>>();

  constructor(private readonly ds: Datastore) {}

  /** The shared feed of `type` that can replay from `from`, or undefined when it cannot. */
  private _feed(type: ResourceType, from: bigint): { feed: Feed; key: string } | undefined {
    const key = `${type.group}/${type.plural}`;
    let feed = this.feeds.get(key);
    if (feed !== undefined && (feed.ended || from < feed.baseline)) return undefined;
    if (feed === undefined) {
      const f: Feed = new Feed(this.ds, type, from.toString(), () => {
        if (this.feeds.get(key) === f) this.feeds.delete(key);
      });
      feed = f;
      this.feeds.set(key, f);
    }
    return { feed, key };
  }

  /** Events of `type` after `from`, until `signal` aborts or the datastore watch ends. */
  watch(type: ResourceType, from: string, signal: AbortSignal): AsyncIterable<WatchEvent> {
    const fromN = BigInt(from);
    const f = this._feed(type, fromN);
    if (f === undefined) return this.ds.watch(type, from, signal);
    return this._subscribe(f.feed, f.key, fromN, signal);
  }

  /**
   * Push delivery: the buffered events after `from` are passed to `sub.onEvent` before this
   * returns, later ones as the feed reads them. Returns the unsubscribe function, or undefined
   * when the shared feed cannot replay from `from` (the caller then watches the datastore).
   */
  subscribe(type: ResourceType, from: string, sub: HubSubscriber): (() => void) | undefined {
    const fromN = BigInt(from);
    const f = this._feed(type, fromN);
    if (f === undefined) return undefined;
    const { feed, key } = f;
    let open = true;
    const sink: Sink = (ev) => {
      if (!open) return;
      if (ev === null || ev instanceof Error) {
        open = false;
        sub.onEnd(ev);
      } else sub.onEvent(ev);
    };
    for (const ev of feed.buffer) if (BigInt(ev.revision) > fromN) sink(ev);
    feed.sinks.add(sink);
    return () => {
      open = false;
      feed.sinks.delete(sink);
      if (feed.sinks.size === 0 && !feed.ended) {
        feed.abort.abort();
        if (this.feeds.get(key) === feed) this.feeds.delete(key);
      }
    };
  }

  /**
   * `ev` converted into the view `view` (a kind whose objects are derived from `ev`'s kind),
   * computed once per event however many watchers of the view receive it; undefined when the
   * object has no derived counterpart. `convert` must depend only on the object.
   */
  derivedEvent(view: string, ev: WatchEvent, convert: (o: WatchEvent['object']) => WatchEvent['object'] | undefined): WatchEvent | undefined {
    let cache = this.derived.get(view);
    if (cache === undefined) {
      cache = new WeakMap();
      this.derived.set(view, cache);
    }
    let out = cache.get(ev);
    if (out === undefined) {
      const object = convert(ev.object);
      out = object === undefined ? null : { type: ev.type, object, revision: ev.revision };
      cache.set(ev, out);
    }
    return out ?? undefined;
  }

  private async *_subscribe(feed: Feed, key: string, from: bigint, signal: AbortSignal): AsyncGenerator<WatchEvent> {
    const queue: (WatchEvent | Error | null)[] = feed.buffer.filter((ev) => BigInt(ev.revision) > from);
    let wake: (() => void) | undefined;
    const sink: Sink = (ev) => {
      queue.push(ev);
      wake?.();
    };
    const onAbort = (): void => wake?.();
    feed.sinks.add(sink);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      while (!signal.aborted) {
        const next = queue.shift();
        if (next === undefined) {
          await new Promise<void>((r) => (wake = r));
          wake = undefined;
          continue;
        }
        if (next === null) return;
        if (next instanceof Error) throw next;
        yield next;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      feed.sinks.delete(sink);
      if (feed.sinks.size === 0 && !feed.ended) {
        feed.abort.abort();
        if (this.feeds.get(key) === feed) this.feeds.delete(key);
      }
    }
  }
}
