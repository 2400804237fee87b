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
 */
import type { Datastore, ResourceType, WatchEvent } from '../datastore/index.js';

const BUFFER = 1024;

type Sink = (ev: WatchEvent | Error | null) => void;

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

  constructor(private readonly ds: Datastore) {}

  /** Events of `type` after `from`, until `signal` aborts or the datastore watch ends. */
  watch(type: ResourceType, from: string, signal: AbortSignal): AsyncIterable<WatchEvent> {
    const key = `${type.group}/${type.plural}`;
    let feed = this.feeds.get(key);
    const fromN = BigInt(from);
    if (feed !== undefined && (feed.ended || fromN < feed.baseline)) return this.ds.watch(type, from, signal);
    if (feed === undefined) {
      const f: Feed = new Feed(this.ds, type, from, () => {
        if (this.feeds.get(key) === f) this.feeds.delete(key);
      });
      feed = f;
      this.feeds.set(key, f);
    }
    return this._subscribe(feed, key, fromN, signal);
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
