/**
 * @module etcd watch → Datastore watch events.
 *
 * One etcd watcher per call, on the query's key prefix, from revision R+1, with previous
 * values (needed for DELETED objects and for label-filter transitions). etcd3 reconnects a
 * dropped watch stream by itself; we make it resume from the last revision we received (the
 * library would resume from the response header's revision, which can skip history that was
 * still being replayed). A cancellation whose start revision has been compacted becomes a
 * TooOldError; anything else an UnavailableError naming the endpoint.
 *
 * Events are queued as etcd pushes them (etcd has no flow control here); a consumer that
 * stops reading should abort the watch.
 */
import type { Etcd3, IKeyValue, IWatchResponse } from 'etcd3';
import type { ListQuery, WatchEvent } from '../datastore.js';
import { TooOldError, UnavailableError } from '../errors.js';
import { _decode, _parseRevision, _toWatchEvent, type RawChange } from '../_object.js';
import { _describeFailure, _failedEndpoint, _unavailable } from './connection.js';
import { etcdPrefixFor, parseEtcdKey } from './keys.js';

export interface WatchContext {
  readonly client: Etcd3;
  readonly endpoints: readonly string[];
  readonly timeoutMs: number;
  /** True once the datastore is closed: the watch then ends. */
  isClosed(): boolean;
  /** Registers a callback run on close; returns the unregister function. */
  onClose(cb: () => void): () => void;
  /** Whether history at `revision` is gone (a read there fails exactly then); retries transient failures. */
  isCompacted(revision: number): Promise<boolean>;
}

export async function* _etcdWatch(ctx: WatchContext, q: ListQuery, fromRevision: string, signal: AbortSignal): AsyncGenerator<WatchEvent> {
  const from = _parseRevision(fromRevision);
  if (ctx.isClosed()) throw new UnavailableError('etcd', ctx.endpoints.join(', '), 'datastore is closed');
  const prefix = etcdPrefixFor(q, q.namespace);
  const queue: WatchEvent[] = [];
  /** Highest revision received from etcd (delivered or filtered out). */
  let received = from;
  let connected = false;
  let failure: unknown;
  let lastDisconnect: unknown;
  let wake: (() => void) | undefined;
  const poke = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  const watcher = ctx.client.watch().prefix(prefix).startRevision(String(from + 1)).withPreviousKV().watcher();
  watcher.on('connecting', () => {
    // Sent right after this event, on every (re)connect: resume exactly after what we have.
    watcher.request.start_revision = String(received + 1);
  });
  watcher.on('connected', () => {
    connected = true;
    poke();
  });
  watcher.on('disconnected', (e) => {
    lastDisconnect = e;
  });
  watcher.on('data', (res: IWatchResponse) => {
    for (const ev of res.events) {
      const rev = Number(ev.kv.mod_revision);
      if (rev <= received) continue; // a replay after reconnecting
      received = rev;
      const change = _toChange(q, ev.type, ev.kv, ev.prev_kv);
      const out = change === undefined ? undefined : _toWatchEvent(q, change);
      if (out !== undefined) queue.push(out);
    }
    poke();
  });
  watcher.on('error', (e: unknown) => {
    failure = e;
    poke();
  });
  // On close the watcher must be cancelled before the client closes: a watcher left attached
  // makes etcd3 retry its stream on the closed client forever (a timer that never ends).
  const cancel = (): void => void watcher.cancel().catch(() => undefined);
  const unregister = ctx.onClose(() => {
    cancel();
    poke();
  });
  signal.addEventListener('abort', poke);
  const connectBy = Date.now() + ctx.timeoutMs;
  let timer: NodeJS.Timeout | undefined;

  try {
    for (;;) {
      if (signal.aborted || ctx.isClosed()) return;
      const next = queue.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (failure !== undefined) throw await _explain(ctx, failure, received);
      if (!connected && Date.now() >= connectBy) {
        const cause = lastDisconnect ?? new Error('no watch stream');
        throw new UnavailableError('etcd', _failedEndpoint(cause, ctx.endpoints), _describeFailure(cause, ctx.timeoutMs));
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (!connected) timer = setTimeout(poke, Math.max(0, connectBy - Date.now()));
      });
      if (timer !== undefined) clearTimeout(timer);
    }
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    signal.removeEventListener('abort', poke);
    unregister();
    watcher.removeAllListeners('data');
    watcher.on('error', () => undefined); // late errors after cancel are of no interest
    if (!ctx.isClosed()) cancel();
  }
}

function _toChange(q: ListQuery, type: 'Put' | 'Delete', kv: IKeyValue, prevKv: IKeyValue | null | undefined): RawChange | undefined {
  const key = parseEtcdKey(q, kv.key.toString());
  if (key === undefined) return undefined;
  const revision = kv.mod_revision;
  if (type === 'Delete') {
    if (prevKv === null || prevKv === undefined) return undefined; // history too short to know what was deleted
    const object = _decode(prevKv.value.toString(), revision);
    return object === undefined ? undefined : { kind: 'delete', key, revision, object, created: false };
  }
  const object = _decode(kv.value.toString(), revision);
  if (object === undefined) return undefined;
  const prev = prevKv === null || prevKv === undefined ? undefined : _decode(prevKv.value.toString(), prevKv.mod_revision);
  return { kind: 'put', key, revision, object, created: kv.create_revision === kv.mod_revision, ...(prev === undefined ? {} : { prev }) };
}

/** A cancelled watch: compaction (→ TooOldError) or something else (→ UnavailableError). */
async function _explain(ctx: WatchContext, failure: unknown, received: number): Promise<Error> {
  let compacted: boolean;
  try {
    compacted = await ctx.isCompacted(received + 1);
  } catch (e) {
    return e instanceof Error ? e : _unavailable(e, ctx.endpoints, ctx.timeoutMs);
  }
  return compacted ? new TooOldError(String(received)) : _unavailable(failure, ctx.endpoints, ctx.timeoutMs);
}
