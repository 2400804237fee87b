/**
 * @module The etcd v3 Datastore, in Calico's key layout (see keys.ts) so Calico components
 * can read what Tabby writes. `resourceVersion` is the key's etcd mod_revision; a list's
 * revision is the response header's store revision.
 *
 * Writes are single etcd transactions: create compares create_revision == 0; update and
 * delete compare mod_revision with the revision just read. When a call fails in a way that
 * leaves its outcome unknown (connection lost mid-call), the datastore re-reads the key:
 * - create: our uid in the stored value proves the first attempt committed;
 * - update/delete: an unchanged mod_revision (read linearizably) proves it did not, so the
 *   same compare-and-swap is sent again;
 * - otherwise it reports UnavailableError saying the write may or may not have been applied,
 *   rather than guessing.
 * Reads are retried across endpoints within the timeout.
 */
import { Range, type Etcd3, type IKeyValue } from 'etcd3';
import type {
  Datastore,
  DatastoreOptions,
  DeletePrecondition,
  ListQuery,
  ListResult,
  ObjectKey,
  ResourceType,
  StoredObject,
  WatchEvent,
} from '../datastore.js';
import { AlreadyExistsError, ConflictError, DatastoreError, NotFoundError, TooLargeError, TooOldError, UnavailableError, UnknownOutcomeError } from '../errors.js';
import { _checkPrecondition } from '../_kv.js';
import {
  _checkKey,
  _decode,
  _encode,
  _keyOf,
  _matchesLabels,
  _parseRevision,
  _prepareCreate,
  _prepareUpdate,
  _resolveOptions,
  type ResolvedOptions,
} from '../_object.js';
import { _connect, _describeFailure, _endpointList, _isBreakerOpen, _isPermanent, _isRequestTooLarge, _notSent, _unavailable, type EtcdConnectionOptions } from './connection.js';
import { etcdKeyFor, etcdPrefixFor, parseEtcdKey } from './keys.js';
import { _etcdWatch } from './watch.js';

export interface EtcdDatastoreOptions extends EtcdConnectionOptions, DatastoreOptions {
  /** Most keys one range read returns when listing (default 500); lists read page by page. */
  readonly listPageSize?: number;
  /**
   * The etcd server's `--max-request-bytes` (default 1.5 MiB, etcd's default): a write whose
   * key and value exceed it is refused at once with TooLargeError (HTTP 413), never sent.
   */
  readonly maxRequestBytes?: number;
}

/** etcd's default `--max-request-bytes`. */
export const ETCD_MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;

/** Room for the transaction's compare and framing around the key and value. */
const TXN_OVERHEAD_BYTES = 512;

/** Reply size a list page aims at: half of gRPC's default 4 MiB receive limit. */
const PAGE_BYTES = 2 * 1024 * 1024;

/** Keys in a list's first page, before any object's size is known (32 KiB each fit in PAGE_BYTES). */
const FIRST_PAGE = 64;

/** gRPC refused a reply over its receive limit: a smaller page will do. */
const _isTooLarge = (e: unknown): boolean =>
  e instanceof Error && /RESOURCE_EXHAUSTED|larger than max/i.test(e.message);

/** Bound on compare-and-swap rounds for writes without a caller resourceVersion. */
const MAX_CAS_ROUNDS = 100;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Programming errors pass through untouched; everything else from etcd3 is an I/O failure. */
const isBug = (e: unknown): boolean => e instanceof TypeError || e instanceof RangeError || e instanceof SyntaxError || e instanceof ReferenceError;

export class EtcdDatastore implements Datastore {
  readonly description: string;
  private closed = false;
  private readonly closeHooks = new Set<() => void>();
  private readonly endpoints: readonly string[];
  private readonly timeoutMs: number;
  private readonly pageSize: number;
  private readonly maxRequestBytes: number;

  constructor(
    private readonly client: Etcd3,
    o: EtcdDatastoreOptions,
    private readonly opts: ResolvedOptions,
  ) {
    this.endpoints = [...o.endpoints];
    this.timeoutMs = o.timeoutMs ?? 5_000;
    this.pageSize = Math.max(1, Math.floor(o.listPageSize ?? 500));
    this.maxRequestBytes = o.maxRequestBytes ?? ETCD_MAX_REQUEST_BYTES;
    this.description = `etcd at ${_endpointList(this.endpoints)}`;
  }

  async create(type: ResourceType, obj: StoredObject): Promise<StoredObject> {
    this.ensureOpen();
    const key = _keyOf(type, obj);
    const value = _prepareCreate(obj, this.opts);
    const encoded = _encode(value);
    const ek = etcdKeyFor(key);
    this.checkSize(key, ek, encoded);
    const endAt = Date.now() + this.timeoutMs;
    const failures: unknown[] = [];
    let mayHaveLanded = false;
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await this.client.if(ek, 'Create', '==', 0).then(this.client.put(ek).value(encoded)).else(this.client.get(ek)).commit();
        if (res.succeeded) return this.decodeOrThrow(key, encoded, res.header.revision);
        const kv = res.responses[0]?.response_range?.kvs[0];
        const existing = kv === undefined ? undefined : _decode(kv.value.toString(), kv.mod_revision);
        // An earlier attempt of ours that did commit (its reply was lost) carries our uid.
        if (attempt > 0 && existing !== undefined && existing.metadata.uid === value.metadata.uid) return existing;
        throw new AlreadyExistsError(key);
      } catch (e) {
        if (_isRequestTooLarge(e)) throw new TooLargeError(key, Buffer.byteLength(encoded), this.maxRequestBytes);
        if (!(e instanceof DatastoreError) && !_notSent(e)) mayHaveLanded = true;
        // Retrying is safe: the compare makes a second commit impossible, the uid tells ours apart.
        try {
          await this.backoffOrThrow(e, failures, endAt);
        } catch (final) {
          if (mayHaveLanded && final instanceof UnavailableError) throw new UnknownOutcomeError(key, _describeFailure(e, this.timeoutMs));
          throw final;
        }
      }
    }
  }

  /** TooLargeError, before sending, for a write over etcd's request limit. */
  private checkSize(key: ObjectKey, ek: string, encoded: string): void {
    const size = Buffer.byteLength(ek) + Buffer.byteLength(encoded) + TXN_OVERHEAD_BYTES;
    if (size > this.maxRequestBytes) throw new TooLargeError(key, size, this.maxRequestBytes);
  }

  async update(type: ResourceType, obj: StoredObject): Promise<StoredObject> {
    this.ensureOpen();
    const key = _keyOf(type, obj);
    const wanted = obj.metadata.resourceVersion;
    const conditional = wanted !== undefined && wanted !== '';
    const ek = etcdKeyFor(key);
    for (let round = 0; round < MAX_CAS_ROUNDS; round++) {
      const cur = await this.readKey(ek);
      if (cur === undefined) throw new NotFoundError(key);
      if (conditional && wanted !== cur.mod_revision) throw new ConflictError(key);
      const next = _encode(_prepareUpdate(key, obj, this.decodeOrThrow(key, cur.value.toString(), cur.mod_revision)));
      this.checkSize(key, ek, next);
      const res = await this.casWrite(key, ek, cur, () => this.client.put(ek).value(next));
      if (res !== undefined) return this.decodeOrThrow(key, next, res);
      if (conditional) throw new ConflictError(key);
      // Unconditional: someone wrote in between; carry their server fields over and go again.
    }
    throw new ConflictError(key, `still changing after ${MAX_CAS_ROUNDS} attempts`);
  }

  async get(key: ObjectKey): Promise<StoredObject> {
    this.ensureOpen();
    _checkKey(key);
    const kv = await this.readKey(etcdKeyFor(key));
    if (kv === undefined) throw new NotFoundError(key);
    return this.decodeOrThrow(key, kv.value.toString(), kv.mod_revision);
  }

  async list(q: ListQuery): Promise<ListResult> {
    this.ensureOpen();
    const rows: { key: ObjectKey; obj: StoredObject }[] = [];
    const each = (kv: IKeyValue): void => {
      const key = parseEtcdKey(q, kv.key.toString());
      if (key === undefined) return;
      const obj = _decode(kv.value.toString(), kv.mod_revision);
      if (obj !== undefined && _matchesLabels(q, obj)) rows.push({ key, obj });
    };
    const at = q.revision === undefined || q.revision === '' ? undefined : String(_parseRevision(q.revision));
    const revision = await this.rangePaged(etcdPrefixFor(q, q.namespace), each, at);
    rows.sort((a, b) => cmp(a.key.namespace, b.key.namespace) || cmp(a.key.name, b.key.name));
    return { items: rows.map((r) => r.obj), revision };
  }

  /**
   * Reads every key under a prefix in pages, so no single gRPC reply nears the client's 4 MiB
   * receive limit. Each page starts just after the previous page's last key, and every page
   * after the first reads at the first page's revision, so the whole list is one consistent
   * snapshot. Returns that revision.
   *
   * Page sizes adapt to the largest object seen so far, aiming at PAGE_BYTES per reply, and
   * start at FIRST_PAGE. A reply that is still too large is read again one key at a time
   * (one value is at most etcd's 1.5 MiB request limit): a too-large reply counts as a host
   * failure in etcd3's circuit breaker, and the next call's success resets that count.
   */
  private async rangePaged(prefix: string, each: (kv: IKeyValue) => void, atRevision?: string): Promise<string> {
    const end = Range.prefix(prefix).end;
    let start: Buffer = Buffer.from(prefix);
    let revision: string | undefined = atRevision;
    let first = true;
    let limit = Math.min(this.pageSize, FIRST_PAGE);
    let largest = 1;
    for (;;) {
      const page = await this.read(async () => {
        for (;;) {
          const b = this.client.getAll().inRange({ start, end }).limit(limit);
          if (revision !== undefined) b.revision(revision);
          try {
            return await b.exec();
          } catch (e) {
            if (limit > 1 && _isTooLarge(e)) {
              limit = 1;
              continue;
            }
            const msg = e instanceof Error ? e.message : String(e);
            if (revision !== undefined && /required revision has been compacted/.test(msg)) throw new TooOldError(revision);
            if (revision !== undefined && revision === atRevision && first && /required revision is a future revision/.test(msg)) {
              revision = undefined; // beyond the store: list the current objects
              continue;
            }
            throw e;
          }
        }
      });
      revision ??= page.header.revision;
      first = false;
      for (const kv of page.kvs) {
        largest = Math.max(largest, kv.key.length + kv.value.length);
        each(kv);
      }
      const last = page.kvs[page.kvs.length - 1];
      if (!page.more || last === undefined) return revision;
      start = Buffer.concat([last.key, Buffer.from([0])]);
      limit = Math.max(1, Math.min(this.pageSize, Math.floor(PAGE_BYTES / largest)));
    }
  }

  async delete(key: ObjectKey, precondition?: DeletePrecondition): Promise<StoredObject> {
    this.ensureOpen();
    _checkKey(key);
    const ek = etcdKeyFor(key);
    for (let round = 0; round < MAX_CAS_ROUNDS; round++) {
      const cur = await this.readKey(ek);
      if (cur === undefined) throw new NotFoundError(key);
      const last = this.decodeOrThrow(key, cur.value.toString(), cur.mod_revision);
      _checkPrecondition(key, precondition, cur.mod_revision, last);
      const res = await this.casWrite(key, ek, cur, () => this.client.delete().key(ek));
      if (res !== undefined) return this.decodeOrThrow(key, cur.value.toString(), res);
      // Changed in between: re-read and re-check the precondition.
    }
    throw new ConflictError(key, `still changing after ${MAX_CAS_ROUNDS} attempts`);
  }

  watch(q: ListQuery, fromRevision: string, signal: AbortSignal): AsyncIterable<WatchEvent> {
    const ctx = {
      client: this.client,
      endpoints: this.endpoints,
      timeoutMs: this.timeoutMs,
      isClosed: () => this.closed,
      onClose: (cb: () => void) => {
        this.closeHooks.add(cb);
        return () => void this.closeHooks.delete(cb);
      },
      isCompacted: (revision: number) => this.isCompacted(revision),
    };
    return { [Symbol.asyncIterator]: () => _etcdWatch(ctx, q, fromRevision, signal) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const cb of this.closeHooks) cb();
    this.closeHooks.clear();
    this.client.close();
  }

  /** Compacts etcd's history up to the current revision (tests: provoke TooOldError). */
  async compact(): Promise<void> {
    this.ensureOpen();
    const res = await this.read(() => this.client.get('/calico/resources/v3/').exec());
    await this.client.kv.compact({ revision: res.header.revision, physical: true });
  }

  private isCompacted(revision: number): Promise<boolean> {
    return this.read(async () => {
      try {
        await this.client.get('/calico/resources/v3/').revision(revision).exec();
        return false;
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        if (/required revision has been compacted/.test(msg)) return true;
        if (/required revision is a future revision/.test(msg)) return false;
        throw e;
      }
    });
  }

  /**
   * Checks that etcd answers (used by open). Tries each endpoint about twice, then gives up:
   * a CLI pointed at the wrong address should say so at once, not after the full timeout.
   */
  async ping(): Promise<void> {
    await this.read(() => this.client.get('/calico/resources/v3/').exec(), 2 * this.endpoints.length);
  }

  /**
   * One compare-and-swap on mod_revision. Returns the new revision, or undefined when the
   * compare failed (the key changed). A call with an unknown outcome is retried only while a
   * linearizable re-read proves it did not commit.
   */
  private async casWrite(
    key: ObjectKey,
    ek: string,
    cur: IKeyValue,
    op: () => Parameters<ReturnType<Etcd3['if']>['then']>[0],
  ): Promise<string | undefined> {
    const endAt = Date.now() + this.timeoutMs;
    let mayHaveLanded = false;
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await this.client.if(ek, 'Mod', '==', cur.mod_revision).then(op()).commit();
        return res.succeeded ? res.header.revision : undefined;
      } catch (e) {
        if (_isRequestTooLarge(e)) throw new TooLargeError(key, 0, this.maxRequestBytes);
        if (isBug(e) || e instanceof DatastoreError || _isPermanent(e)) throw this.mapError(e);
        if (!_notSent(e)) mayHaveLanded = true;
        let now: IKeyValue | undefined;
        let readFailed = false;
        try {
          now = await this.readKey(ek);
        } catch {
          readFailed = true;
        }
        // An unchanged mod_revision, read linearizably, proves no attempt committed: send again.
        if (!readFailed && now !== undefined && now.mod_revision === cur.mod_revision) {
          if (Date.now() >= endAt) throw this.mapError(e); // time is up; nothing was applied
          await sleep(backoff(attempt));
          continue;
        }
        if (!mayHaveLanded) {
          if (readFailed) throw this.mapError(e);
          return undefined; // never sent, and the key changed meanwhile: as a failed compare
        }
        throw new UnknownOutcomeError(key, _describeFailure(e, this.timeoutMs));
      }
    }
  }

  private readKey(ek: string): Promise<IKeyValue | undefined> {
    return this.read(async () => (await this.client.get(ek).exec()).kvs[0]);
  }

  /** Runs a read, retrying transient failures (another endpoint, a new leader) within the timeout. */
  private async read<T>(fn: () => Promise<T>, maxAttempts = Infinity): Promise<T> {
    const endAt = Date.now() + this.timeoutMs;
    const failures: unknown[] = [];
    for (;;) {
      this.ensureOpen();
      try {
        return await fn();
      } catch (e) {
        await this.backoffOrThrow(e, failures, failures.length + 1 >= maxAttempts ? 0 : endAt);
      }
    }
  }

  /**
   * Throws at once for errors retrying cannot fix, and when the time is up (reporting the most
   * telling failure, not the circuit breaker's "refused"); otherwise waits before the next try.
   */
  private async backoffOrThrow(e: unknown, failures: unknown[], endAt: number): Promise<void> {
    if (isBug(e) || e instanceof DatastoreError || _isPermanent(e) || this.closed) throw this.mapError(e);
    failures.push(e);
    const wait = backoff(failures.length - 1);
    if (Date.now() + wait >= endAt) {
      const telling = [...failures].reverse().find((f) => !_isBreakerOpen(f)) ?? e;
      throw this.mapError(telling);
    }
    await sleep(wait);
  }

  private mapError(e: unknown): unknown {
    if (e instanceof DatastoreError || isBug(e)) return e;
    if (this.closed) return new UnavailableError('etcd', _endpointList(this.endpoints), 'datastore is closed');
    return _unavailable(e, this.endpoints, this.timeoutMs);
  }

  private ensureOpen(): void {
    if (this.closed) throw new UnavailableError('etcd', _endpointList(this.endpoints), 'datastore is closed');
  }

  private decodeOrThrow(key: ObjectKey, text: string, revision: string): StoredObject {
    const obj = _decode(text, revision);
    if (obj === undefined) throw new Error(`etcd value at ${etcdKeyFor(key)} is not a resource`);
    return obj;
  }
}

const backoff = (attempt: number): number => Math.min(25 * 2 ** attempt, 400);
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Connects to etcd and checks that it answers within the timeout. An unreachable endpoint is
 * one UnavailableError: `cannot reach etcd at http://127.0.0.1:2379: connection refused`.
 */
export async function openEtcdDatastore(o: EtcdDatastoreOptions): Promise<EtcdDatastore> {
  const client = _connect(o);
  const ds = new EtcdDatastore(client, o, _resolveOptions(o));
  try {
    await ds.ping();
  } catch (e) {
    await ds.close();
    throw e;
  }
  return ds;
}
