/**
 * @module The fan-out server's watch cache (Calico's Typha, Kubernetes' watch cache): for each
 * resource type, ONE list + watch on the upstream API server, the current objects, and the last
 * BUFFER events as the exact bytes the upstream sent (each event is parsed once and its frame is
 * shared by every downstream watcher: the fan-out encodes nothing per watcher).
 *
 * Revisions are the upstream's own resourceVersions, so a client can move between the upstream,
 * this fan-out and another fan-out and resume where it was:
 * - a watch from R ≥ `baseline` replays every buffered event after R, then follows live;
 * - a watch from R < `baseline` (history this cache never saw or has dropped, e.g. after a
 *   fan-out restart while changes happened) gets a 410 Expired ERROR and the client relists —
 *   so no event is ever skipped silently;
 * - when the upstream itself answers 410 (its history compacted while the fan-out was
 *   disconnected), the cache relists and every downstream watcher of that type gets a 410 too
 *   (deletions the cache missed would otherwise be missed by them).
 * Upstream failures are retried with backoff (100 ms doubling to 5 s); an upstream watch that
 * ends is resumed from the last revision seen (BOOKMARKs advance it too).
 */
import type { IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { readJson, type Upstream } from './upstream.js';

/** One cached collection: its API coordinates and its cluster-wide collection path. */
export interface CachedType {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

/** Events kept per type for watchers that resume. */
export const BUFFER = 10_000;

export interface Frame {
  readonly rev: bigint;
  readonly namespace: string;
  /** The event's JSON line, newline included, as the upstream sent it. */
  readonly line: Buffer;
}

/** A downstream watcher: frames in order, then `end` once (with a last frame to send, e.g. a 410 ERROR). */
export interface Subscriber {
  readonly namespace: string | undefined;
  frame(line: Buffer): void;
  end(last: Buffer | undefined): void;
}

interface Item {
  readonly namespace: string;
  /** `spec.nodeName` (Pods; '' for none): lists with `fieldSelector=spec.nodeName=<node>`. */
  readonly node: string;
  readonly json: string;
}

const _nodeOf = (o: Obj): string => _str(_obj(o['spec'])['nodeName']);

type Obj = Record<string, unknown>;
const _obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const _str = (v: unknown): string => (typeof v === 'string' ? v : '');

function _rev(s: unknown): bigint | undefined {
  return typeof s === 'string' && /^\d{1,20}$/.test(s) ? BigInt(s) : undefined;
}

/** The 410 ERROR event a watcher gets when the history it asks for is gone. */
export function expiredFrame(message: string): Buffer {
  return Buffer.from(
    `${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Expired', code: 410 } })}\n`,
  );
}

export function collectionPath(t: CachedType, namespace?: string): string {
  const base = t.group === '' ? `/api/${t.version}` : `/apis/${t.group}/${t.version}`;
  return `${base}${namespace === undefined ? '' : `/namespaces/${encodeURIComponent(namespace)}`}/${t.plural}`;
}

export class TypeCache {
  private readonly items = new Map<string, Item>();
  private listKind = '';
  private listApiVersion = '';
  /** The cache holds every change up to here. */
  revision = 0n;
  /** Every event after this revision is in `buffer`. */
  baseline = 0n;
  private buffer: Frame[] = [];
  private head = 0;
  private readonly subs = new Set<Subscriber>();
  private readyResolve: (() => void) | undefined;
  readonly ready: Promise<void>;
  synced = false;
  /** Upstream requests made, for the logs and tests: lists and watches. */
  lists = 0;
  watches = 0;

  constructor(
    readonly type: CachedType,
    private readonly upstream: Upstream,
    private readonly log: (msg: string) => void,
  ) {
    this.ready = new Promise((r) => (this.readyResolve = r));
  }

  get size(): number {
    return this.items.size;
  }

  get watchers(): number {
    return this.subs.size;
  }

  /**
   * A BOOKMARK at the cache's revision (every change up to it has gone to each subscriber, in
   * order, before this frame): what a downstream watch that allows bookmarks gets when idle.
   */
  bookmarkFrame(): Buffer {
    const kind = this.listKind.endsWith('List') ? this.listKind.slice(0, -4) : this.listKind;
    return Buffer.from(`${JSON.stringify({ type: 'BOOKMARK', object: { kind, apiVersion: this.listApiVersion, metadata: { resourceVersion: String(this.revision) } } })}\n`);
  }

  /** Lists and watches the upstream until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    let backoff = 100;
    const path = collectionPath(this.type);
    while (!signal.aborted) {
      try {
        await this._list(path);
        backoff = 100;
        while (!signal.aborted) {
          const from = this.revision;
          const expired = await this._watch(path, signal);
          if (expired) {
            this.log(`${path}: the upstream no longer has the history after resourceVersion ${from} (410 Expired); relisting`);
            break;
          }
        }
      } catch (e) {
        if (signal.aborted) return;
        this.log(`${path}: ${e instanceof Error ? e.message : String(e)}; retrying in ${backoff} ms`);
        try {
          await sleep(backoff, undefined, { signal });
        } catch {
          return;
        }
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }

  private async _list(path: string): Promise<void> {
    this.lists++;
    const res = await this.upstream.getJson(path);
    if (res.status !== 200) throw new Error(`upstream list answered HTTP ${res.status}: ${_str(_obj(res.body)['message']) || JSON.stringify(res.body).slice(0, 200)}`);
    const body = _obj(res.body);
    const rev = _rev(_obj(body['metadata'])['resourceVersion']);
    if (rev === undefined) throw new Error('upstream list has no resourceVersion');
    this.items.clear();
    this.bodies.clear();
    for (const o of Array.isArray(body['items']) ? (body['items'] as unknown[]) : []) {
      const meta = _obj(_obj(o)['metadata']);
      const ns = _str(meta['namespace']);
      this.items.set(`${ns}/${_str(meta['name'])}`, { namespace: ns, node: _nodeOf(_obj(o)), json: JSON.stringify(o) });
    }
    this.listKind = _str(body['kind']);
    this.listApiVersion = _str(body['apiVersion']);
    const relist = this.synced;
    this.revision = rev;
    this.baseline = rev;
    this.buffer = [];
    this.head = 0;
    if (relist) {
      // watchers may have missed changes the cache missed: they relist too
      const last = expiredFrame(`the fan-out relisted ${path} from the upstream at resourceVersion ${rev}; relist`);
      for (const s of [...this.subs]) this._end(s, last);
    }
    this.synced = true;
    this.readyResolve?.();
  }

  /** One upstream watch from `revision`; true when the upstream said 410 (relist). */
  private async _watch(path: string, signal: AbortSignal): Promise<boolean> {
    this.watches++;
    const q = `?watch=1&allowWatchBookmarks=true&timeoutSeconds=1800&resourceVersion=${this.revision}`;
    const res: IncomingMessage = await this.upstream.send('GET', path + q, { stream: true, signal });
    if (res.statusCode === 410) {
      res.resume();
      return true;
    }
    if (res.statusCode !== 200) {
      const body = await readJson(res);
      throw new Error(`upstream watch answered HTTP ${res.statusCode}: ${_str(_obj(body)['message'])}`);
    }
    let buf = '';
    try {
      for await (const chunk of res) {
        buf += (chunk as Buffer).toString('utf8');
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const text = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (text.trim() === '') continue;
          if (this._event(text)) return true;
        }
      }
    } catch (e) {
      if (signal.aborted) return false;
      throw e;
    } finally {
      res.destroy();
    }
    return false;
  }

  /** Applies one upstream event line; true when it is a 410 ERROR. */
  private _event(text: string): boolean {
    const ev = _obj(JSON.parse(text));
    const type = ev['type'];
    const object = _obj(ev['object']);
    const meta = _obj(object['metadata']);
    if (type === 'ERROR') {
      if (object['code'] === 410) return true;
      throw new Error(`upstream watch ERROR: ${_str(object['message'])}`);
    }
    const rev = _rev(meta['resourceVersion']);
    if (rev === undefined) return false;
    if (type === 'BOOKMARK') {
      if (rev > this.revision) this.revision = rev;
      return false;
    }
    if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') return false;
    const ns = _str(meta['namespace']);
    const key = `${ns}/${_str(meta['name'])}`;
    this.bodies.clear();
    if (type === 'DELETED') this.items.delete(key);
    else this.items.set(key, { namespace: ns, node: _nodeOf(object), json: JSON.stringify(object) });
    if (rev > this.revision) this.revision = rev;
    const frame: Frame = { rev, namespace: ns, line: Buffer.from(`${text}\n`) };
    this.buffer.push(frame);
    if (this.buffer.length - this.head > BUFFER) {
      this.baseline = this.buffer[this.head]!.rev;
      this.head++;
      if (this.head > BUFFER) {
        this.buffer = this.buffer.slice(this.head);
        this.head = 0;
      }
    }
    for (const s of this.subs) if (s.namespace === undefined || s.namespace === ns) s.frame(frame.line);
    return false;
  }

  /**
   * The list body (`<Kind>List` at the cache's revision), of one namespace or all, optionally of
   * the Pods of one node. Built once per (namespace, node) and revision: a thousand agents
   * starting together get the same Buffer (issue 19: start of day).
   */
  listBody(namespace: string | undefined, node?: string): Buffer {
    const key = `${namespace ?? ''}\u0000${node ?? ''}\u0000${namespace === undefined ? 'all' : 'ns'}`;
    const have = this.bodies.get(key);
    if (have !== undefined) return have;
    const parts: string[] = [];
    for (const it of this.items.values()) if ((namespace === undefined || it.namespace === namespace) && (node === undefined || it.node === node)) parts.push(it.json);
    const head = JSON.stringify({ kind: this.listKind, apiVersion: this.listApiVersion, metadata: { resourceVersion: String(this.revision) } });
    const body = Buffer.from(`${head.slice(0, -1)},"items":[${parts.join(',')}]}`);
    // node lists are one per agent: not worth keeping
    if (node === undefined) this.bodies.set(key, body);
    return body;
  }

  /** List bodies built since the objects last changed. */
  private readonly bodies = new Map<string, Buffer>();

  /**
   * Starts a downstream watch. `from` undefined: ADDED events for the current objects first,
   * then every change. Otherwise every change after `from`, or a 410 when the cache cannot
   * replay from there. Returns the unsubscribe function.
   */
  subscribe(sub: Subscriber, from: bigint | undefined): () => void {
    if (from === undefined) {
      for (const it of this.items.values())
        if (sub.namespace === undefined || it.namespace === sub.namespace) sub.frame(Buffer.from(`{"type":"ADDED","object":${it.json}}\n`));
    } else if (from < this.baseline) {
      sub.end(expiredFrame(`too old resource version: ${from} (${this.baseline})`));
      return () => undefined;
    } else {
      for (let i = this.head; i < this.buffer.length; i++) {
        const f = this.buffer[i]!;
        if (f.rev > from && (sub.namespace === undefined || sub.namespace === f.namespace)) sub.frame(f.line);
      }
    }
    this.subs.add(sub);
    return () => void this.subs.delete(sub);
  }

  private _end(s: Subscriber, last: Buffer | undefined): void {
    this.subs.delete(s);
    s.end(last);
  }

  /** Ends every downstream watcher (shutdown). */
  close(): void {
    for (const s of [...this.subs]) this._end(s, undefined);
  }
}
