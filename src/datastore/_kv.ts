/**
 * @module The Datastore logic shared by the two local backends (memory and SQLite), written
 * once over a small synchronous storage engine. The engine gives atomic write transactions, a
 * global revision counter, current rows and a bounded change log; this module adds the
 * Datastore semantics (server fields, compare-and-swap, filters) and watch.
 *
 * Watch is a cursor over the engine's change log, not a queue: each watcher re-reads the log
 * after its position whenever it is woken (by a local commit, or by the engine noticing another
 * process's commit). So a slow watcher costs no memory, cannot miss or reorder events, and
 * falls off the end of history only as a clean TooOldError.
 */
import type {
  Datastore,
  DeletePrecondition,
  ListQuery,
  ListResult,
  ObjectKey,
  ResourceType,
  StoredObject,
  WatchEvent,
} from './datastore.js';
import { AlreadyExistsError, ConflictError, NotFoundError, TooOldError, UnavailableError } from './errors.js';
import {
  _checkKey,
  _decode,
  _encode,
  _keyOf,
  _matchesLabels,
  _parseRevision,
  _prepareCreate,
  _prepareUpdate,
  _toWatchEvent,
  type ResolvedOptions,
} from './_object.js';

/** One current object as the engine stores it. */
export interface KvRow {
  readonly namespace: string;
  readonly name: string;
  /** `_encode`d object (no resourceVersion). */
  readonly value: string;
  /** Revision of the last write to this key. */
  readonly revision: number;
}

/** One entry of the change log. */
export interface KvEvent {
  readonly revision: number;
  readonly kind: 'put' | 'delete';
  readonly key: ObjectKey;
  /** New value for a put; last value for a delete. */
  readonly value: string;
  /** Value replaced by a put; null when the put created the key. */
  readonly prev: string | null;
  /**
   * Revision of the state before this change (the replaced value of a put, the deleted value of
   * a delete); null when the put created the key, or unknown (changes logged by schema 1).
   */
  readonly prevRevision: number | null;
}

export interface KvEngine {
  /** `memory`, `sqlite`: for messages. */
  readonly system: string;
  /** File path or `:memory:`: for messages. */
  readonly endpoint: string;
  /** Runs `fn` as one atomic write transaction (serialized with every other writer). */
  write<T>(fn: () => T): T;
  /** Runs `fn` against one consistent snapshot. */
  read<T>(fn: () => T): T;
  revision(): number;
  row(key: ObjectKey): KvRow | undefined;
  /** Rows of one collection (optionally one namespace), sorted by namespace then name. */
  rows(type: ResourceType, namespace: string | undefined): KvRow[];
  /** Stores `value` (undefined deletes) and appends the change to the log; returns the new revision. Call inside `write`. */
  commit(key: ObjectKey, value: string | undefined, prev: KvRow | undefined): number;
  /** Changes with revision > `after`, oldest first, at most `limit`; `compacted` = every change ≤ it is gone. */
  changesAfter(after: number, limit: number): { compacted: number; changes: KvEvent[] };
  /** Drops the change log up to the current revision (tests use it to provoke TooOldError). */
  compact(): void;
  /**
   * Starts noticing commits made by other connections (other processes) and calls `onChange`
   * for them; returns the stop function. Engines without other writers return a no-op.
   */
  watchExternal(onChange: () => void): () => void;
  close(): void;
}

const WATCH_BATCH = 256;

interface Subscriber {
  pending: boolean;
  wake: (() => void) | undefined;
}

export class KvDatastore implements Datastore {
  readonly description: string;
  private closed = false;
  private readonly subscribers = new Set<Subscriber>();
  private stopExternal: (() => void) | undefined;

  constructor(
    protected readonly engine: KvEngine,
    private readonly opts: ResolvedOptions,
  ) {
    this.description = `${engine.system} at ${engine.endpoint}`;
  }

  async create(type: ResourceType, obj: StoredObject): Promise<StoredObject> {
    this.ensureOpen();
    const key = _keyOf(type, obj);
    const value = _prepareCreate(obj, this.opts);
    const encoded = _encode(value);
    const revision = this.engine.write(() => {
      if (this.engine.row(key) !== undefined) throw new AlreadyExistsError(key);
      return this.engine.commit(key, encoded, undefined);
    });
    this.notify();
    return this.decodeOrThrow(key, encoded, revision);
  }

  async update(type: ResourceType, obj: StoredObject): Promise<StoredObject> {
    this.ensureOpen();
    const key = _keyOf(type, obj);
    const wanted = obj.metadata.resourceVersion;
    const result = this.engine.write(() => {
      const cur = this.engine.row(key);
      if (cur === undefined) throw new NotFoundError(key);
      if (wanted !== undefined && wanted !== '' && wanted !== String(cur.revision)) throw new ConflictError(key);
      const next = _encode(_prepareUpdate(key, obj, this.decodeOrThrow(key, cur.value, cur.revision)));
      return { encoded: next, revision: this.engine.commit(key, next, cur) };
    });
    this.notify();
    return this.decodeOrThrow(key, result.encoded, result.revision);
  }

  async get(key: ObjectKey): Promise<StoredObject> {
    this.ensureOpen();
    _checkKey(key);
    const row = this.engine.read(() => this.engine.row(key));
    if (row === undefined) throw new NotFoundError(key);
    return this.decodeOrThrow(key, row.value, row.revision);
  }

  async list(q: ListQuery): Promise<ListResult> {
    this.ensureOpen();
    const ns = q.namespace === undefined || q.namespace === '' ? undefined : q.namespace;
    const at = q.revision === undefined || q.revision === '' ? undefined : _parseRevision(q.revision);
    const { revision, rows } = this.engine.read(() => {
      const current = this.engine.revision();
      const now = this.engine.rows(q, ns);
      if (at === undefined || at >= current) return { revision: current, rows: now };
      return { revision: at, rows: this.rowsAt(q, ns, now, at) };
    });
    const items: StoredObject[] = [];
    const after = q.after;
    // a page needs limit + 1 objects; rows past those are not decoded at all
    const want = q.limit !== undefined && q.limit > 0 ? q.limit + 1 : Infinity;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      if (after !== undefined && `${r.namespace}\u0000${r.name}` <= after) continue; // not decoded at all
      const obj = _decode(r.value, r.revision);
      if (obj === undefined || !_matchesLabels(q, obj)) continue;
      items.push(obj);
      if (items.length === want) {
        // without a label predicate every later row is an object of the list: count, don't decode
        const more = q.labels === undefined ? { remaining: rows.length - i } : {};
        return { items, revision: String(revision), ...more };
      }
    }
    return { items, revision: String(revision) };
  }

  async delete(key: ObjectKey, precondition?: DeletePrecondition): Promise<StoredObject> {
    this.ensureOpen();
    _checkKey(key);
    const result = this.engine.write(() => {
      const cur = this.engine.row(key);
      if (cur === undefined) throw new NotFoundError(key);
      const last = this.decodeOrThrow(key, cur.value, cur.revision);
      _checkPrecondition(key, precondition, String(cur.revision), last);
      return { last: cur.value, revision: this.engine.commit(key, undefined, cur) };
    });
    this.notify();
    return this.decodeOrThrow(key, result.last, result.revision);
  }

  watch(q: ListQuery, fromRevision: string, signal: AbortSignal): AsyncIterable<WatchEvent> {
    return { [Symbol.asyncIterator]: () => this.watchLog(q, fromRevision, signal) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopExternal?.();
    this.stopExternal = undefined;
    for (const s of this.subscribers) s.wake?.();
    this.subscribers.clear();
    this.engine.close();
  }

  async ping(): Promise<void> {
    this.ensureOpen();
    this.engine.read(() => this.engine.revision());
  }

  /** Drops the change log (tests: provoke TooOldError). */
  async compact(): Promise<void> {
    this.ensureOpen();
    this.engine.write(() => this.engine.compact());
  }

  /**
   * The rows of one collection as they were at revision `at`: the current rows with every later
   * change undone, newest first (a created key goes away, a replaced or deleted value comes
   * back with the revision it had). Runs inside the caller's read transaction.
   */
  private rowsAt(type: ResourceType, ns: string | undefined, now: readonly KvRow[], at: number): KvRow[] {
    const id = (namespace: string, name: string): string => `${namespace}\u0000${name}`;
    const rows = new Map<string, KvRow>(now.map((r) => [id(r.namespace, r.name), r]));
    const later: KvEvent[] = [];
    for (let pos = at; ; ) {
      const { compacted, changes } = this.engine.changesAfter(pos, 4096);
      if (at < compacted) throw new TooOldError(String(at), String(compacted));
      if (changes.length === 0) break;
      for (const c of changes) {
        const k = c.key;
        if (k.group === type.group && k.plural === type.plural && (ns === undefined || k.namespace === ns)) later.push(c);
      }
      pos = changes[changes.length - 1]!.revision;
    }
    for (let i = later.length - 1; i >= 0; i--) {
      const c = later[i]!;
      const rid = id(c.key.namespace, c.key.name);
      if (c.kind === 'put' && c.prev === null) {
        rows.delete(rid);
        continue;
      }
      // The value before the change: a put's replaced value, a delete's last value.
      if (c.prevRevision === null) throw new TooOldError(String(at), `history before the change at revision ${c.revision} does not record revisions`);
      rows.set(rid, { namespace: c.key.namespace, name: c.key.name, value: c.kind === 'put' ? c.prev! : c.value, revision: c.prevRevision });
    }
    return [...rows.values()].sort((a, b) => (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  private async *watchLog(q: ListQuery, fromRevision: string, signal: AbortSignal): AsyncGenerator<WatchEvent> {
    this.ensureOpen();
    let position = _parseRevision(fromRevision);
    const sub: Subscriber = { pending: false, wake: undefined };
    const onAbort = (): void => sub.wake?.();
    signal.addEventListener('abort', onAbort);
    this.subscribe(sub);
    try {
      for (;;) {
        if (signal.aborted || this.closed) return;
        sub.pending = false;
        const { compacted, changes } = this.engine.read(() => this.engine.changesAfter(position, WATCH_BATCH));
        if (position < compacted) throw new TooOldError(String(position), String(compacted));
        if (changes.length === 0) {
          await this.waitForChange(sub, signal);
          continue;
        }
        for (const c of changes) {
          position = c.revision;
          const object = _decode(c.value, c.revision);
          if (object === undefined) continue;
          const prev = c.prev === null ? undefined : _decode(c.prev, c.revision);
          const ev = _toWatchEvent(q, {
            kind: c.kind,
            key: c.key,
            revision: c.revision,
            object,
            created: c.kind === 'put' && c.prev === null,
            ...(prev === undefined ? {} : { prev }),
          });
          if (ev === undefined) continue;
          yield ev;
          if (signal.aborted || this.closed) return;
        }
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.unsubscribe(sub);
    }
  }

  private waitForChange(sub: Subscriber, signal: AbortSignal): Promise<void> {
    if (sub.pending || signal.aborted || this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      sub.wake = () => {
        sub.wake = undefined;
        resolve();
      };
    });
  }

  private subscribe(sub: Subscriber): void {
    this.subscribers.add(sub);
    if (this.subscribers.size === 1 && this.stopExternal === undefined) {
      this.stopExternal = this.engine.watchExternal(() => this.notify());
    }
  }

  private unsubscribe(sub: Subscriber): void {
    this.subscribers.delete(sub);
    if (this.subscribers.size === 0 && this.stopExternal !== undefined) {
      this.stopExternal();
      this.stopExternal = undefined;
    }
  }

  private notify(): void {
    for (const s of this.subscribers) {
      s.pending = true;
      s.wake?.();
    }
  }

  private ensureOpen(): void {
    if (this.closed) throw new UnavailableError(this.engine.system, this.engine.endpoint, 'datastore is closed');
  }

  private decodeOrThrow(key: ObjectKey, text: string, revision: number): StoredObject {
    const obj = _decode(text, revision);
    if (obj === undefined) throw new Error(`stored value of ${key.plural} ${key.namespace}/${key.name} is not a resource`);
    return obj;
  }
}

export function _checkPrecondition(
  key: ObjectKey,
  pre: DeletePrecondition | undefined,
  currentRevision: string,
  current: StoredObject,
): void {
  if (pre === undefined) return;
  if (pre.resourceVersion !== undefined && pre.resourceVersion !== '' && pre.resourceVersion !== currentRevision) {
    throw new ConflictError(
      key,
      `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${currentRevision}`,
    );
  }
  if (pre.uid !== undefined && pre.uid !== '' && pre.uid !== current.metadata.uid) {
    throw new ConflictError(key, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid ?? ''}`);
  }
}
