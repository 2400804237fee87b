/**
 * @module A Datastore over the Kubernetes REST API of a Tabby API server (what calicoctl's
 * `datastoreType: kubernetes` talks to): `/apis/<group>/<version>/[namespaces/<ns>/]<plural>
 * [/<name>]`, `/api/v1/...` for the core group, bearer token or client certificate, the
 * cluster CA. Watches are `?watch=1&resourceVersion=R` streams. Status errors come back as the
 * datastore's typed errors (NotFound, AlreadyExists, Conflict, Expired); a server that cannot
 * be reached is one UnavailableError naming it.
 *
 * Failover: given several servers (`server` then `servers`), a request goes to the one that
 * last answered; when it cannot be reached (refused, reset, unreachable, timed out, TLS) or
 * answers 502/503/504, the next is tried, each server at most once per request. Writes are
 * retried only when the connection never opened (the request cannot have been applied); reads
 * on any failure. A watch whose server goes away resumes on the next server from the last
 * revision it delivered (as client-go's reflector re-watches), so no event is missed or repeated;
 * at most two rounds over the servers per failure, then the error reaches the caller (which
 * re-lists).
 *
 * Dead connections (`watchIdleTimeoutMs`, the agent's; client-go's HTTP/2 health check and
 * Typha's ping in spirit): a partition leaves a watch's TCP connection open but silent, and once
 * the partition heals TCP retransmits only after its exponential backoff (seconds, minutes after a
 * long partition). So watches ask for BOOKMARK events (standard, `allowWatchBookmarks=true`), and
 * once a server has shown that it sends them within the idle timeout of the previous frame (a
 * Tabby server does when idle, every `--watch-bookmark-interval`; a server that does not is never
 * held to it), a watch on that server that receives nothing for `watchIdleTimeoutMs` is taken for
 * dead: its socket is destroyed and the watch resumes from the last revision delivered (bookmarks
 * advance it) on a fresh connection, with no re-list. In this mode a watch whose connection fails
 * or ends keeps resuming by itself, one server per attempt in turn, attempts spaced by a jittered
 * backoff (100 ms doubling to 750 ms); only a Status (410 → TooOldError, 401, 403…) reaches the
 * caller. Every request's TCP connect is bounded by `connectTimeoutMs` (default 500 ms: a SYN lost
 * in a partition is sent again on a new socket within about half a second, instead of after the
 * kernel's SYN backoff of 1, 3, 7… s; connecting is all it bounds, not TLS or the answer), and a
 * watch's response headers by WATCH_HEADER_TIMEOUT_MS (1.5 s; `timeoutMs` when not resilient). A
 * watch that ended, cleanly or not, resumes on the next server: a server on its way out ends its
 * watches and may still accept connections it never answers. When a TCP connection succeeds (the partition healed),
 * watch attempts stuck connecting for over 100 ms start again at once, and so, after connects
 * timed out, do the watches pausing between attempts: they go together instead of each waiting out
 * its own connect timeout or pause. A watch that resumes after failing logs when and where.
 *
 * Objects come back without `metadata.managedFields`: that is the API server's own bookkeeping
 * (server-side apply), not part of the resource the Datastore port stores.
 *
 * The API server serves projectcalico.org NetworkPolicies with the `knp.default.*` view of
 * Kubernetes NetworkPolicies already merged in; this datastore drops those, because the
 * ResourceClient above it derives them itself from the networking.k8s.io objects. Likewise every
 * object marked derived (model/calico/derived.ts: built-in tiers, the kns./ksa. profiles, pods'
 * WorkloadEndpoints): they are not stored, and the client above derives them again.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Datastore, DeletePrecondition, ListQuery, ListResult, ObjectKey, ResourceType, StoredObject, WatchEvent } from '../datastore.js';
import { AlreadyExistsError, ConflictError, NotFoundError, TooOldError, UnavailableError } from '../errors.js';
import { ALL_KINDS } from '../../model/kinds.js';
import { isDerived } from '../../model/calico/derived.js';

export interface KubeDatastoreOptions {
  /** `https://127.0.0.1:6443` */
  readonly server: string;
  /**
   * More API servers of the same cluster (same CA and credentials), tried in order after
   * `server` when one cannot be reached or answers 502/503/504 (see KubeDatastore).
   */
  readonly servers?: readonly string[];
  readonly token?: string;
  readonly caPem?: string;
  readonly certPem?: string;
  readonly keyPem?: string;
  readonly insecureSkipTlsVerify?: boolean;
  /** The kubeconfig context's namespace (informational). */
  readonly namespace?: string;
  /** Bound on connecting and on each non-watch request (default 5,000 ms). */
  readonly timeoutMs?: number;
  /** Told the size of every chunk of watch body received (the scale simulation counts bytes per change). */
  readonly onWatchBytes?: (n: number) => void;
  /**
   * Dead-watch detection (see the module doc): a watch on a server that sends bookmarks and that
   * receives nothing for this long is dropped and resumed on a fresh connection; failed watches
   * resume by themselves. Default: off (a watch's failure reaches the caller, as before).
   */
  readonly watchIdleTimeoutMs?: number;
  /** Bound on each TCP connect (default 500 ms, at most `timeoutMs`). */
  readonly connectTimeoutMs?: number;
  /** Told of watch reconnections (dead connection found, resumed on another server). */
  readonly log?: (msg: string) => void;
}

/**
 * The agent's `watchIdleTimeoutMs` (`tabby agent --watch-idle-timeout` default; the faults bench
 * meets issue 15's goals with it, see the commit that made it the default): 2.5 × the
 * Tabby server's default bookmark interval (1 s), so a server stalled for a moment is not taken
 * for a dead connection, while a partition is noticed within 2.5 s.
 */
export const DEFAULT_WATCH_IDLE_TIMEOUT_MS = 2_500;

/**
 * Resilient watches (`watchIdleTimeoutMs` set): bound on waiting for a watch's response headers
 * (a Tabby server sends them at once). A server that is exiting may still accept a connection and
 * never answer it; the watch then moves on to the next server after this, not after `timeoutMs`.
 */
export const WATCH_HEADER_TIMEOUT_MS = 1_500;

/** A watch attempt connecting for longer than this when another connection succeeds is started again. */
const STUCK_CONNECTING_MS = 100;

/** A Status the API server answered that has no datastore error class (Invalid, Forbidden...). */
export class KubeApiError extends Error {
  constructor(
    message: string,
    readonly reason: string,
    readonly code: number,
  ) {
    super(message);
  }
  override get name(): string {
    return 'KubeApiError';
  }
}

interface Response {
  readonly status: number;
  readonly body: unknown;
}

type Obj = Record<string, unknown>;
const _obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});

const DERIVED_PREFIX = 'knp.default.';

/** The object without the API server's managedFields. */
function _clean(o: unknown): StoredObject {
  const obj = o as StoredObject;
  const meta = obj.metadata as Record<string, unknown> | undefined;
  if (meta === undefined || !('managedFields' in meta)) return obj;
  const { managedFields: _drop, ...rest } = meta;
  return { ...obj, metadata: rest as StoredObject['metadata'] };
}

function _versionOf(group: string, plural: string): string {
  const k = ALL_KINDS.find((x) => x.group === group && x.plural === plural);
  return k?.version ?? (group === '' ? 'v1' : group === 'projectcalico.org' ? 'v3' : 'v1');
}

/** The keep-alive agent for an API server: its CA, client certificate and TLS verification from the options. */
export function kubeAgent(url: URL, o: Pick<KubeDatastoreOptions, 'caPem' | 'certPem' | 'keyPem' | 'insecureSkipTlsVerify'>): HttpAgent {
  return url.protocol === 'https:'
    ? new HttpsAgent({
        keepAlive: true,
        ...(o.caPem !== undefined ? { ca: o.caPem } : {}),
        ...(o.certPem !== undefined ? { cert: o.certPem } : {}),
        ...(o.keyPem !== undefined ? { key: o.keyPem } : {}),
        rejectUnauthorized: o.insecureSkipTlsVerify !== true,
      })
    : new HttpAgent({ keepAlive: true });
}

/** A Node network error in words (`connection refused`, `no answer within 5s`, …), for one-line messages. */
export function describeNetError(e: unknown, timeoutMs: number): string {
  const code = typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : '';
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'no such host';
    case 'ECONNRESET':
      return 'connection reset by peer';
    case 'ETIMEDOUT':
    case 'TIMEOUT':
      return `no answer within ${timeoutMs / 1000}s`;
    case 'CONNECT_TIMEOUT':
    case 'HEADER_TIMEOUT':
    case 'WATCH_IDLE':
      return e instanceof Error ? e.message : code;
    case 'EHOSTUNREACH':
      return 'no route to host';
    case 'TOO_LARGE':
      return e instanceof Error ? e.message : 'response too large';
    default:
      return e instanceof Error ? e.message : String(e);
  }
}

/** Network failures that prove the request never reached the server (safe to send elsewhere, even a write). */
const NOT_SENT = new Set(['CONNECT_TIMEOUT', 'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'ERR_TLS_CERT_ALTNAME_INVALID']);
const _code = (e: unknown): string => (typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : '');

class _NetFailure extends Error {
  constructor(
    override readonly cause: unknown,
    readonly server: string,
  ) {
    super('network failure');
  }
}

export class KubeDatastore implements Datastore {
  readonly description: string;
  private readonly urls: readonly URL[];
  private readonly agents: readonly (HttpAgent | HttpsAgent)[];
  /** The server that answered last: requests start there. */
  private current = 0;
  private readonly timeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly closer = new AbortController();
  private closed = false;
  /** Per server: it has sent a bookmark within the idle timeout of the frame before (so silence means a dead connection). */
  private readonly heartbeats: boolean[];
  /** Watch connections dropped for silence, and watch resumptions after a failure (tests, logs). */
  readonly watchStats = { idle: 0, resumed: 0 };
  /** A TCP connect timed out since the last one succeeded (a partition, as far as this client can tell). */
  private pathDown = false;
  /** Watches pausing between attempts: woken when a new TCP connection succeeds after `pathDown`. */
  private readonly retrying = new Set<() => void>();
  /** Watch attempts not yet connected, with when they started: woken when another connection succeeds. */
  private readonly connecting = new Map<() => void, number>();

  constructor(private readonly o: KubeDatastoreOptions) {
    const list = [...new Set([o.server, ...(o.servers ?? [])])];
    this.urls = list.map((s) => new URL(s));
    this.description = `kubernetes at ${list.join(', ')}`;
    this.timeoutMs = o.timeoutMs ?? 5_000;
    this.connectTimeoutMs = Math.min(o.connectTimeoutMs ?? 500, this.timeoutMs);
    this.agents = this.urls.map((u) => kubeAgent(u, o));
    this.heartbeats = this.urls.map(() => false);
  }

  /** The servers, in order of preference. */
  get servers(): readonly string[] {
    return this.urls.map((u) => u.origin);
  }

  private _unavailable(detail: string, server?: string): UnavailableError {
    return new UnavailableError('kubernetes', server ?? this.urls.map((u) => u.origin).join(', '), detail);
  }

  private _path(type: ResourceType, namespace: string | undefined, name?: string): string {
    const base = type.group === '' ? '/api/v1' : `/apis/${type.group}/${_versionOf(type.group, type.plural)}`;
    const ns = namespace !== undefined && namespace !== '' ? `/namespaces/${encodeURIComponent(namespace)}` : '';
    return `${base}${ns}/${type.plural}${name === undefined ? '' : `/${encodeURIComponent(name)}`}`;
  }

  /** Sends one request to server I; the response stream is returned. Network failures reject as _NetFailure. */
  private _sendTo(i: number, method: string, path: string, payload: string | undefined, stream: boolean, signal?: AbortSignal, onConnected?: () => void): Promise<IncomingMessage> {
    const url = this.urls[i]!;
    const target = new URL(path, url);
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'calicoctl/tabby' };
    if (this.o.token !== undefined) headers['authorization'] = `Bearer ${this.o.token}`;
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<IncomingMessage>((resolve, reject) => {
      // a stream's headers are bounded here; its body by the watch's idle timeout
      let headerTimer: ReturnType<typeof setTimeout> | undefined;
      const req = send(target, { method, headers, agent: this.agents[i]!, ...(stream ? {} : { timeout: this.timeoutMs }) }, (res) => {
        clearTimeout(headerTimer);
        res.once('close', () => signal?.removeEventListener('abort', abort));
        resolve(res);
      });
      const fail = (code: string, message: string): void => void req.destroy(Object.assign(new Error(message), { code }));
      if (stream) {
        // a resilient watch moves on to the next server sooner (WATCH_HEADER_TIMEOUT_MS)
        const headerMs = this.o.watchIdleTimeoutMs === undefined ? this.timeoutMs : Math.min(this.timeoutMs, WATCH_HEADER_TIMEOUT_MS);
        headerTimer = setTimeout(() => fail(headerMs === this.timeoutMs ? 'TIMEOUT' : 'HEADER_TIMEOUT', `no response headers within ${headerMs / 1000}s`), headerMs);
      }
      const abort = (): void => fail('ABORTED', 'aborted');
      signal?.addEventListener('abort', abort, { once: true });
      // A new connection gets connectTimeoutMs for its TCP handshake (a kept-alive one is connected already).
      req.on('socket', (sock) => {
        if (!sock.connecting) {
          onConnected?.();
          return;
        }
        const t = setTimeout(() => {
          this.pathDown = true;
          fail('CONNECT_TIMEOUT', `no TCP connection within ${this.connectTimeoutMs / 1000}s`);
        }, this.connectTimeoutMs);
        sock.once('connect', () => {
          clearTimeout(t);
          onConnected?.();
          // The network answers: watch attempts stuck connecting (their SYN lost in a partition
          // that has now healed) start again at once; after connects timed out, so do the watches
          // pausing between attempts (once per such episode: a server that accepts and then fails
          // wakes no one, and attempts that connect quickly are never stuck).
          const now = performance.now();
          for (const [w, since] of [...this.connecting]) if (now - since > STUCK_CONNECTING_MS) w();
          if (this.pathDown) {
            this.pathDown = false;
            for (const w of [...this.retrying]) w();
          }
        });
        sock.once('close', () => clearTimeout(t));
      });
      req.on('timeout', () => fail('TIMEOUT', 'timeout'));
      req.on('error', (e) => {
        clearTimeout(headerTimer);
        signal?.removeEventListener('abort', abort);
        reject(new _NetFailure(e, url.origin));
      });
      req.end(payload);
    });
  }

  /**
   * Sends one request, failing over: from the current server, each server at most once. A
   * response of 502/503/504, or a failure to connect, moves on to the next server; so does any
   * network failure of a read (GET). The last failure is reported.
   */
  private async _send(method: string, path: string, body: unknown, stream: boolean, signal?: AbortSignal): Promise<IncomingMessage> {
    if (this.closed) throw this._unavailable('the datastore is closed');
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const n = this.urls.length;
    const start = this.current;
    let last: unknown;
    for (let k = 0; k < n; k++) {
      const i = (start + k) % n;
      const more = k < n - 1;
      try {
        const res = await this._sendTo(i, method, path, payload, stream, signal);
        const code = res.statusCode ?? 0;
        if (more && (code === 502 || code === 503 || code === 504)) {
          res.resume();
          last = this._unavailable(`HTTP ${code}`, this.urls[i]!.origin);
          continue;
        }
        this.current = i;
        return res;
      } catch (e) {
        if (!(e instanceof _NetFailure)) throw e;
        last = this._unavailable(describeNetError(e.cause, this.timeoutMs), e.server);
        if (signal?.aborted === true || _code(e.cause) === 'ABORTED') throw last;
        if (!more || (method !== 'GET' && !NOT_SENT.has(_code(e.cause)))) throw last;
      }
    }
    throw last instanceof Error ? last : this._unavailable('no server answered');
  }

  private async _call(method: string, path: string, body?: unknown): Promise<Response> {
    const res = await this._send(method, path, body, false);
    const chunks: Buffer[] = [];
    try {
      for await (const c of res) chunks.push(c as Buffer);
    } catch (e) {
      throw this._unavailable(describeNetError(e, this.timeoutMs), this.urls[this.current]!.origin);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // not JSON: keep the text for the error
    }
    return { status: res.statusCode ?? 0, body: parsed };
  }

  /** Maps a failed response to the datastore error for `key`. */
  private _error(res: Response, key: ObjectKey): Error {
    const st = _obj(res.body);
    const message = typeof st['message'] === 'string' ? st['message'] : typeof res.body === 'string' ? res.body.trim() : `HTTP ${res.status}`;
    const reason = typeof st['reason'] === 'string' ? st['reason'] : '';
    const withCause = <E extends Error>(e: E): E => Object.assign(e, { cause: message });
    if (res.status === 404 && reason === 'NotFound') return withCause(new NotFoundError(key));
    if (res.status === 409 && reason === 'AlreadyExists') return withCause(new AlreadyExistsError(key));
    if (res.status === 409) return withCause(new ConflictError(key));
    if (res.status === 410) return new TooOldError('');
    if (res.status === 503 || res.status === 502 || res.status === 504) return this._unavailable(message);
    if (res.status === 401) return this._unavailable(`unauthorized: ${message} (check the kubeconfig credentials)`);
    return new KubeApiError(message, reason || `HTTP ${res.status}`, res.status);
  }

  /** Checks that the server answers and serves projectcalico.org/v3. */
  async ping(): Promise<void> {
    const res = await this._call('GET', '/apis/projectcalico.org/v3');
    if (res.status === 200) return;
    if (res.status === 401 || res.status === 403) throw this._unavailable(`unauthorized (HTTP ${res.status}); check the kubeconfig credentials`);
    throw this._unavailable(`the server does not serve projectcalico.org/v3 (HTTP ${res.status})`);
  }

  async create(type: ResourceType, obj: StoredObject): Promise<StoredObject> {
    const ns = obj.metadata.namespace;
    const res = await this._call('POST', this._path(type, ns), obj);
    if (res.status === 200 || res.status === 201) return _clean(res.body);
    throw this._error(res, { ...type, namespace: ns ?? '', name: obj.metadata.name ?? '' });
  }

  async update(type: ResourceType, obj: StoredObject): Promise<StoredObject> {
    const ns = obj.metadata.namespace;
    const name = obj.metadata.name ?? '';
    const res = await this._call('PUT', this._path(type, ns, name), obj);
    if (res.status === 200 || res.status === 201) return _clean(res.body);
    throw this._error(res, { ...type, namespace: ns ?? '', name });
  }

  /**
   * PUT to the object's `/status` subresource: for kinds that have one (Pods, Services, Nodes…)
   * the API server keeps the stored status on `update`, as Kubernetes does; a kubelet-like
   * writer (the distributed lab) sets status here. Only status changes; resourceVersion guards it.
   */
  async updateStatus(type: ResourceType, obj: StoredObject): Promise<StoredObject> {
    const ns = obj.metadata.namespace;
    const name = obj.metadata.name ?? '';
    const res = await this._call('PUT', `${this._path(type, ns, name)}/status`, obj);
    if (res.status === 200 || res.status === 201) return _clean(res.body);
    throw this._error(res, { ...type, namespace: ns ?? '', name });
  }

  async get(key: ObjectKey): Promise<StoredObject> {
    const res = await this._call('GET', this._path(key, key.namespace, key.name));
    // a derived object is not stored: the client above derives it again
    if (res.status === 200 && isDerived(res.body as StoredObject)) throw new NotFoundError(key);
    if (res.status === 200) return _clean(res.body);
    throw this._error(res, key);
  }

  private _derived(type: ResourceType, o: StoredObject): boolean {
    // and the objects the server derives as Calico does (built-in tiers, kns./ksa. profiles, pods' endpoints)
    return (type.group === 'projectcalico.org' && type.plural === 'networkpolicies' && (o.metadata.name ?? '').startsWith(DERIVED_PREFIX)) || isDerived(o);
  }

  async list(q: ListQuery): Promise<ListResult> {
    const params: string[] = [];
    if (q.revision !== undefined && q.revision !== '') params.push(`resourceVersion=${encodeURIComponent(q.revision)}`, 'resourceVersionMatch=Exact');
    if (q.nodeName !== undefined && q.group === '' && q.plural === 'pods') params.push(`fieldSelector=${encodeURIComponent(`spec.nodeName=${q.nodeName}`)}`);
    const res = await this._call('GET', `${this._path(q, q.namespace)}${params.length === 0 ? '' : `?${params.join('&')}`}`);
    if (res.status === 410 && q.revision !== undefined) throw new TooOldError(q.revision);
    if (res.status !== 200) throw this._error(res, { ...q, namespace: q.namespace ?? '', name: '' });
    const body = _obj(res.body);
    const items = (Array.isArray(body['items']) ? (body['items'] as unknown[]).map(_clean) : []).filter(
      (o) => !this._derived(q, o) && (q.labels === undefined || q.labels(o.metadata.labels ?? {})),
    );
    const revision = String(_obj(body['metadata'])['resourceVersion'] ?? '0');
    return { items, revision };
  }

  async delete(key: ObjectKey, precondition?: DeletePrecondition): Promise<StoredObject> {
    const pre = precondition === undefined ? undefined : { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: precondition };
    const res = await this._call('DELETE', this._path(key, key.namespace, key.name), pre);
    if (res.status === 200 || res.status === 202) return _clean(res.body);
    throw this._error(res, key);
  }

  async *watch(q: ListQuery, fromRevision: string, signal: AbortSignal): AsyncIterable<WatchEvent> {
    const both = AbortSignal.any([signal, this.closer.signal]);
    if (both.aborted) return;
    // Seeds which objects match a label filter, so a change that stops matching becomes DELETED.
    const matching = new Set<string>();
    const keyOf = (o: StoredObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
    if (q.labels !== undefined) for (const o of (await this.list(q)).items) matching.add(keyOf(o));
    const idleMs = this.o.watchIdleTimeoutMs;
    const resilient = idleMs !== undefined;
    const what = `watch of ${q.group === '' ? q.plural : `${q.plural}.${q.group}`}`;
    let from = fromRevision;
    // With several servers, a stream that breaks or ends is resumed on the next one from `from`.
    const maxResumes = this.urls.length > 1 ? 2 * this.urls.length : 0;
    let resumes = 0;
    /** Resilient mode: consecutive attempts that delivered nothing (spaces the next one out), and since when. */
    let failures = 0;
    let downSince: number | undefined;
    for (;;) {
      const path = `${this._path(q, q.namespace)}?watch=1&allowWatchBookmarks=${resilient}&resourceVersion=${encodeURIComponent(from)}`;
      const startedAt = performance.now();
      let res: IncomingMessage;
      let serving = this.current;
      // After a failure, an attempt still connecting is started again at once when another
      // connection succeeds (the partition healed): no waiting out its connect timeout.
      const attempt = new AbortController();
      let woken = false;
      const wake = (): void => {
        woken = true;
        attempt.abort();
      };
      if (resilient) this.connecting.set(wake, startedAt);
      try {
        // resilient: one server per attempt (a partitioned one costs at most a connect timeout)
        res = resilient
          ? await this._sendTo(serving, 'GET', path, undefined, true, AbortSignal.any([both, attempt.signal]), () => this.connecting.delete(wake))
          : await this._send('GET', path, undefined, true, both);
        if (!resilient) serving = this.current;
      } catch (e) {
        if (both.aborted) return;
        if (!resilient || !(e instanceof _NetFailure)) throw e;
        if (woken) continue;
        failures++;
        downSince ??= performance.now();
        this._watchRetry(what, serving, describeNetError(e.cause, this.timeoutMs), failures);
        if (!(await this._pause(failures, startedAt, both))) return;
        continue;
      } finally {
        this.connecting.delete(wake);
      }
      if (res.statusCode !== 200) {
        const chunks: Buffer[] = [];
        try {
          for await (const c of res) chunks.push(c as Buffer);
        } catch {
          // the status body is best effort
        }
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          body = undefined;
        }
        const code = res.statusCode ?? 0;
        if (resilient && (code === 502 || code === 503 || code === 504)) {
          failures++;
          downSince ??= performance.now();
          this._watchRetry(what, serving, `HTTP ${code}`, failures);
          if (!(await this._pause(failures, startedAt, both))) return;
          continue;
        }
        throw this._error({ status: code, body }, { ...q, namespace: q.namespace ?? '', name: '' });
      }
      if (resilient) this.current = serving;
      // stays above 0 unless a frame arrives on this connection
      failures = Math.max(failures, 1);
      let buf = '';
      let broken: unknown;
      // Silence on a server that sends bookmarks: the connection is dead (see the module doc).
      let idle: ReturnType<typeof setTimeout> | undefined;
      let lastFrame = performance.now();
      const stream = {
        drop: (why: string): void => {
          this.watchStats.idle++;
          res.destroy(Object.assign(new Error(why), { code: 'WATCH_IDLE' }));
        },
      };
      const arm = (): void => {
        if (idleMs === undefined || !this.heartbeats[serving]) return;
        if (idle !== undefined) idle.refresh();
        else
          idle = setTimeout(() => stream.drop(`nothing received for ${idleMs / 1000}s (dead connection)`), idleMs);
      };
      arm();
      try {
        for await (const chunk of res) {
          arm();
          this.o.onWatchBytes?.((chunk as Buffer).length);
          buf += (chunk as Buffer).toString('utf8');
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (line === '') continue;
            const ev = _obj(JSON.parse(line));
            const type = ev['type'];
            const object = _clean(ev['object']);
            const now = performance.now();
            const gap = now - lastFrame;
            lastFrame = now;
            if (failures > 0 && downSince !== undefined) this.o.log?.(`${what}: resumed on ${this.urls[serving]!.origin} from revision ${from}, ${Math.round(now - downSince)} ms after it failed`);
            failures = 0;
            downSince = undefined;
            if (type === 'ERROR') {
              const st = _obj(object);
              if (st['code'] === 410) throw new TooOldError(from);
              throw new KubeApiError(String(st['message'] ?? 'watch failed'), String(st['reason'] ?? ''), Number(st['code'] ?? 500));
            }
            const revision = object.metadata.resourceVersion ?? '';
            if (type === 'BOOKMARK') {
              // every event up to the bookmark's revision has been delivered: resume from there
              if (/^\d{1,20}$/.test(revision) && (from === '' || BigInt(revision) > BigInt(from))) from = revision;
              if (idleMs !== undefined && gap <= idleMs && !this.heartbeats[serving]) {
                this.heartbeats[serving] = true;
                arm();
              }
              continue;
            }
            if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') continue;
            if (revision !== '') from = revision;
            resumes = 0;
            if (this._derived(q, object)) continue;
            if (q.labels === undefined) {
              yield { type, object, revision };
              continue;
            }
            const k = keyOf(object);
            const was = matching.has(k);
            const now$ = type !== 'DELETED' && q.labels(object.metadata.labels ?? {});
            if (now$) matching.add(k);
            else matching.delete(k);
            if (now$) yield { type: was ? 'MODIFIED' : 'ADDED', object, revision };
            else if (was) yield { type: 'DELETED', object, revision };
          }
        }
      } catch (e) {
        if (both.aborted) return;
        if (e instanceof TooOldError || e instanceof KubeApiError) throw e;
        broken = e;
      } finally {
        clearTimeout(idle);
        res.destroy();
      }
      if (both.aborted) return;
      if (resilient) {
        // resumed from `from` on a fresh connection: at once after a clean end of a watch that
        // delivered something, else (failed, or ended empty) after a pause; on the next server
        // either way (a server that ends its watches may be exiting, and still accept a
        // connection it never answers)
        if (broken !== undefined || failures > 0) {
          failures++;
          downSince ??= performance.now();
        } else this.current = (serving + 1) % this.urls.length;
        this._watchRetry(what, serving, broken === undefined ? 'the server ended the watch' : describeNetError(broken, this.timeoutMs), failures);
        if (failures > 0 && !(await this._pause(failures, startedAt, both))) return;
        continue;
      }
      if (resumes >= maxResumes) {
        if (broken === undefined) return;
        throw this._unavailable(describeNetError(broken, this.timeoutMs), this.urls[serving]!.origin);
      }
      // this server went away: the next one, from the last revision delivered
      resumes++;
      if (this.current === serving) this.current = (serving + 1) % this.urls.length;
    }
  }

  /** Logs one watch resumption (the first failure of a series, then every 10th). */
  private _watchRetry(what: string, server: number, why: string, failures: number): void {
    this.watchStats.resumed++;
    if (failures <= 1 || failures % 10 === 0) this.o.log?.(`${what} on ${this.urls[server]!.origin}: ${why}; resuming${failures > 1 ? ` (attempt ${failures})` : ''}`);
    if (failures > 0) this.current = (server + 1) % this.urls.length;
  }

  /**
   * Waits before the next watch attempt: attempts start at least a jittered backoff apart (100 ms
   * doubling per consecutive failure to 750 ms, times 0.5–1). False when aborted.
   */
  private async _pause(failures: number, startedAt: number, signal: AbortSignal): Promise<boolean> {
    const backoff = Math.min(750, 100 * 2 ** Math.max(0, failures - 1)) * (0.5 + Math.random() / 2);
    const wait = backoff - (performance.now() - startedAt);
    if (wait > 0) {
      // a new connection succeeding elsewhere ends the pause early
      const woke = new AbortController();
      const wake = (): void => woke.abort();
      this.retrying.add(wake);
      try {
        await sleep(wait, undefined, { signal: AbortSignal.any([signal, woke.signal]) });
      } catch {
        // woken or aborted
      } finally {
        this.retrying.delete(wake);
      }
    }
    return !signal.aborted;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closer.abort();
    for (const a of this.agents) a.destroy();
  }
}

/** Connects and checks the server answers; an unreachable server is one UnavailableError. */
export async function openKubeDatastore(o: KubeDatastoreOptions): Promise<KubeDatastore> {
  for (const server of [o.server, ...(o.servers ?? [])]) {
    let url: URL;
    try {
      url = new URL(server);
    } catch {
      throw new UnavailableError('kubernetes', server, 'server must be a URL such as https://10.0.0.1:6443');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UnavailableError('kubernetes', server, 'server URL scheme must be http or https');
  }
  const ds = new KubeDatastore(o);
  try {
    await ds.ping();
  } catch (e) {
    await ds.close();
    throw e;
  }
  return ds;
}
