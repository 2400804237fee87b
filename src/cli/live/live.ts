/**
 * @module The live snapshot (`tabby dashboard --kubeconfig`): every type of the read set listed
 * once, then watched, so the objects in memory follow the cluster (client-go's reflector, paraphrased).
 *
 * Per type:
 * - list (paged) → the type's objects and the list's resourceVersion; then watch from it with
 *   bookmarks (each event and bookmark moves the resourceVersion on);
 * - a watch the server ends (its timeoutSeconds) resumes from the last resourceVersion at once;
 * - 410 Gone / Expired (the resourceVersion is too old, as an HTTP status or an ERROR event):
 *   list again and replace the type's objects, reporting the difference as events (so a
 *   follower sees DELETED for what vanished meanwhile);
 * - any other failure (a dropped connection, a 5xx, a stream that is not JSON or too long a
 *   line: api.ts): retry from the same resourceVersion after a pause that doubles from
 *   `retry.initialMs` to `retry.maxMs`; after `retry.maxFailures` failures in a row without
 *   progress the live view gives up and `failed` resolves with the reason (bounded);
 * - 401/403 on the watch: give up at once, naming the resource and `tabby rbac` (the role
 *   grants list and watch together).
 * - More than `maxObjects` objects of one type (a hostile or broken server): give up, saying so.
 *
 * Every change gets a local sequence number; the last `logSize` changes are kept so a follower
 * can resume from a sequence number (`changesSince`), else it must take the lists again (the
 * same contract as a Kubernetes watch cache, and what the dashboard's read-only API serves).
 * The objects kept are the cluster's own (CRD form on a CRD cluster); `resources()` decodes them
 * exactly as the one-shot reader (decodeListed), derived objects left out.
 */
import { setMaxListeners } from 'node:events';
import type { Resource } from '../../model/meta.js';
import { ApiError, type KubeApi } from './api.js';
import { decodeListed, ReaderError, type DecodedCluster, type Discovery, type ListedType } from './reader.js';
import { listPath, qualifiedName, type ReadType } from './read-set.js';

type Obj = Record<string, unknown>;
const _obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});

export interface LiveChange {
  /** The local sequence number of this change (1, 2, …). */
  readonly seq: number;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly readType: ReadType;
  /** The object as the cluster sent it (for DELETED: its last state). */
  readonly object: Obj;
}

export interface LiveOptions {
  readonly retry?: { readonly initialMs?: number; readonly maxMs?: number; readonly maxFailures?: number };
  /** Server-side timeout of each watch request (default 300 s). */
  readonly watchTimeoutSeconds?: number;
  /** How many changes are kept for followers resuming (default 10,000). */
  readonly logSize?: number;
  /** Bound on the objects of one type (default 1,000,000, as a list's): past it the live view gives up. */
  readonly maxObjects?: number;
  /** One line per event worth a note (a relist, a reconnect); default: none. */
  readonly log?: (line: string) => void;
}

const _key = (o: Obj): string => {
  const m = _obj(o['metadata']);
  return `${typeof m['namespace'] === 'string' ? m['namespace'] : ''}/${typeof m['name'] === 'string' ? m['name'] : ''}`;
};
const _rv = (o: Obj): string => {
  const v = _obj(o['metadata'])['resourceVersion'];
  return typeof v === 'string' ? v : '';
};
const _typeId = (t: ReadType): string => (t.group === '' ? t.plural : `${t.plural}.${t.group}`);

interface _TypeState {
  readonly type: ReadType;
  readonly items: Map<string, Obj>;
  rv: string;
}

export class LiveCluster {
  readonly discovery: Discovery;
  /** Resolves with the reason once the live view gave up (never, while it follows). */
  readonly failed: Promise<Error>;
  readonly #api: KubeApi;
  readonly #o: LiveOptions;
  readonly #types = new Map<string, _TypeState>();
  readonly #log: LiveChange[] = [];
  readonly #listeners = new Set<(c: LiveChange) => void>();
  readonly #stop = new AbortController();
  #fail!: (e: Error) => void;
  #seq = 0;
  #relists = 0;
  #reconnects = 0;

  constructor(api: KubeApi, discovery: Discovery, o: LiveOptions = {}) {
    this.#api = api;
    this.discovery = discovery;
    this.#o = o;
    this.failed = new Promise<Error>((ok) => (this.#fail = ok));
    // every type's watch (and its pause between attempts) listens on the one stop signal
    setMaxListeners(0, this.#stop.signal);
  }

  /** Lists every type (concurrently); then follows each. Rejects with a ReaderError when a list fails. */
  async start(): Promise<void> {
    await Promise.all(
      this.discovery.types.map(async (type) => {
        const st: _TypeState = { type, items: new Map(), rv: '' };
        await this.#relist(st, false);
        this.#types.set(_typeId(type), st);
      }),
    );
    for (const st of this.#types.values()) void this.#follow(st);
  }

  /** The local sequence number of the newest change (0 before any). */
  get seq(): number {
    return this.#seq;
  }

  /** How often a type was listed again after a 410, and how often a watch reconnected after a failure. */
  get stats(): { relists: number; reconnects: number } {
    return { relists: this.#relists, reconnects: this.#reconnects };
  }

  /** The read type the cluster serves for `group`/`plural` (undefined: not read). */
  typeOf(group: string, plural: string): ReadType | undefined {
    return this.#types.get(group === '' ? plural : `${plural}.${group}`)?.type;
  }

  /** The current objects of a type, as the cluster sent them. */
  items(t: ReadType): Obj[] {
    return [...(this.#types.get(_typeId(t))?.items.values() ?? [])];
  }

  /** Every type's current objects, as the one-shot reader lists them. */
  listed(): ListedType[] {
    return [...this.#types.values()].map((st) => ({ type: st.type, items: [...st.items.values()], resourceVersion: st.rv }));
  }

  /** The engine's input now: the objects decoded (derived ones left out), with the problems. */
  resources(): DecodedCluster {
    return decodeListed(this.listed());
  }

  /** Shorthand for the decoded resources alone. */
  snapshotResources(): Resource[] {
    return this.resources().resources;
  }

  /** The changes after `seq`, or undefined when some of them are no longer kept (take the lists again). */
  changesSince(seq: number): LiveChange[] | undefined {
    if (seq >= this.#seq) return [];
    const first = this.#log[0]?.seq ?? this.#seq + 1;
    if (seq + 1 < first) return undefined;
    return this.#log.slice(seq + 1 - first);
  }

  /** Calls `f` on every change from now on; returns the unsubscribe. */
  subscribe(f: (c: LiveChange) => void): () => void {
    this.#listeners.add(f);
    return () => void this.#listeners.delete(f);
  }

  close(): void {
    this.#stop.abort();
    this.#listeners.clear();
  }

  #emit(type: LiveChange['type'], readType: ReadType, object: Obj): void {
    const c: LiveChange = { seq: ++this.#seq, type, readType, object };
    this.#log.push(c);
    const max = this.#o.logSize ?? 10_000;
    if (this.#log.length > max) this.#log.splice(0, this.#log.length - max);
    for (const f of this.#listeners) f(c);
  }

  /** Lists the type and replaces its objects, emitting the difference (not for the first list). */
  async #relist(st: _TypeState, emit = true): Promise<void> {
    let r: { items: Obj[]; resourceVersion: string };
    try {
      r = await this.#api.list(listPath(st.type));
    } catch (e) {
      throw _explain(e, 'list', st.type);
    }
    const next = new Map<string, Obj>();
    for (const o of r.items) next.set(_key(o), o);
    if (emit) {
      for (const [k, old] of st.items) if (!next.has(k)) this.#emit('DELETED', st.type, old);
      for (const [k, o] of next) {
        const old = st.items.get(k);
        if (old === undefined) this.#emit('ADDED', st.type, o);
        else if (_rv(old) !== _rv(o)) this.#emit('MODIFIED', st.type, o);
      }
    }
    st.items.clear();
    for (const [k, o] of next) st.items.set(k, o);
    st.rv = r.resourceVersion;
  }

  async #follow(st: _TypeState): Promise<void> {
    const signal = this.#stop.signal;
    const initial = this.#o.retry?.initialMs ?? 250;
    const maxPause = this.#o.retry?.maxMs ?? 30_000;
    const maxFailures = this.#o.retry?.maxFailures ?? 12;
    let failures = 0;
    let relist = false;
    while (!signal.aborted) {
      let progressed = false;
      const began = Date.now();
      try {
        if (relist) {
          await this.#relist(st);
          this.#relists++;
          relist = false;
          progressed = true;
        }
        for await (const ev of this.#api.watch(listPath(st.type), st.rv, signal, { timeoutSeconds: this.#o.watchTimeoutSeconds ?? 300 })) {
          progressed = true;
          failures = 0;
          st.rv = _rv(ev.object) || st.rv;
          if (ev.type === 'BOOKMARK') continue;
          const k = _key(ev.object);
          if (ev.type === 'DELETED') {
            if (st.items.delete(k)) this.#emit('DELETED', st.type, ev.object);
          } else {
            const had = st.items.has(k);
            if (!had && st.items.size >= (this.#o.maxObjects ?? 1_000_000)) {
              this.#fail(new ReaderError(`${qualifiedName(st.type)}: the watch brought more than ${this.#o.maxObjects ?? 1_000_000} objects; stopped following the cluster`));
              this.close();
              return;
            }
            st.items.set(k, ev.object);
            this.#emit(had ? 'MODIFIED' : 'ADDED', st.type, ev.object);
          }
        }
        if (signal.aborted) return;
        // The server ended the watch (its timeout): resume at once. One it ends at once, with
        // nothing on it, counts as a failure (no busy loop against a server that does that).
        if (progressed || Date.now() - began >= 1000) {
          failures = 0;
          continue;
        }
        failures++;
      } catch (e) {
        if (signal.aborted) return;
        const err = e instanceof ReaderError ? e : _explain(e, 'watch', st.type);
        const code = e instanceof ApiError || e instanceof _ListFailed ? e.code : 0;
        if (code === 401 || code === 403) {
          this.#fail(err);
          this.close();
          return;
        }
        if (code === 410) {
          this.#o.log?.(`${qualifiedName(st.type)}: resourceVersion ${st.rv} expired; listing again`);
          relist = true;
          failures = progressed ? 0 : failures + 1;
        } else {
          this.#reconnects++;
          failures = progressed ? 1 : failures + 1;
          this.#o.log?.(`${qualifiedName(st.type)}: ${err.message}; reconnecting (${failures} of ${maxFailures})`);
        }
        if (failures >= maxFailures) {
          this.#fail(new ReaderError(`lost the cluster: ${failures} attempts in a row to follow ${qualifiedName(st.type)} failed; the last: ${err.message}`));
          this.close();
          return;
        }
      }
      if (failures > 0) await _sleep(Math.min(maxPause, initial * 2 ** (failures - 1)), signal);
    }
  }
}

class _ListFailed extends ReaderError {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

function _explain(e: unknown, verb: 'list' | 'watch', t: ReadType): ReaderError {
  const what = qualifiedName(t);
  if (!(e instanceof ApiError)) return new ReaderError(`cannot ${verb} ${what}: ${e instanceof Error ? e.message : String(e)}`);
  if (e.code === 403) return new _ListFailed(`cannot ${verb} ${what}: forbidden (HTTP 403: ${e.message}); the reader needs the ClusterRole that \`tabby rbac\` prints`, 403);
  if (e.code === 401) return new _ListFailed(`cannot ${verb} ${what}: unauthorized (HTTP 401); check the kubeconfig's credentials`, 401);
  if (e.code === 0) return new _ListFailed(`cannot reach the API server: ${e.message}`, 0);
  return new _ListFailed(`cannot ${verb} ${what}: ${e.code === 200 ? '' : `HTTP ${e.code} ${e.reason}: `}${e.message}`, e.code);
}

const _sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((ok) => {
    if (signal.aborted) return ok();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      ok();
    }
    signal.addEventListener('abort', done, { once: true });
  });
