/**
 * @module `tabby server --role fanout`: a Typha-like tier between the API server and the agents.
 * It holds ONE list + watch per cached resource type on the upstream (cache.ts) and serves the
 * agents' plain list and watch requests of those types from memory, so a thousand agents cost
 * the upstream one watcher per type. Everything else — discovery, writes (the agents' node
 * status), lists with label or field selectors (but one: a Pod list with
 * `fieldSelector=spec.nodeName=<node>`, an agent's own Pods at start of day, is served from the
 * cache), Tables, paged lists — is forwarded to the upstream unchanged, with the caller's own
 * credential. A list body is built once per (namespace, node) until the objects change, so
 * agents starting together share it.
 *
 * Served from the cache: `GET /api/v1/[namespaces/<ns>/]<plural>` and the `/apis/<group>/<version>/…`
 * form, asking for plain JSON (no `as=Table`, protobuf…), with no query parameter other than `watch`, `resourceVersion` (and
 * `resourceVersionMatch=NotOlderThan`), `allowWatchBookmarks` and `timeoutSeconds`. Lists
 * answer at the cache's revision (items in arrival order, not sorted); watches follow
 * cache.ts's resume rules (a too old resourceVersion is a 410 ERROR event: relist).
 *
 * Authentication and authorization (the choice): the fan-out keeps no credentials of its own
 * for its clients. A cached read is allowed exactly when the upstream says so: the fan-out
 * asks the upstream a SelfSubjectAccessReview (verb list/watch, group, resource, namespace)
 * carrying the caller's own `Authorization` header, and remembers the answer for 10 s per
 * (credential hash, verb, resource, namespace) — concurrent identical questions share one
 * request. A rejected credential is the upstream's 401; a denied read its 403 Status.
 *
 * Node certificates (agents that joined with a bootstrap token: CN=system:node:<name>,
 * O=system:nodes): with `clientCerts` the fan-out's TLS asks for a client certificate and
 * verifies it against the cluster CA. A verified node certificate (and no bearer token) is
 * served as that node: the access review and every forwarded request (the agent's status
 * writes) go to the upstream with the `clientCerts.token` credential and `Impersonate-User:
 * system:node:<name>`, `Impersonate-Group: system:nodes` (any impersonation headers the client
 * sent are dropped), so the upstream's Node authorizer and admission decide exactly as for the
 * certificate itself (apiserver/auth.ts `impersonate`: only the admin credential may, and only
 * as a node). A certificate the CA did not sign, or one naming no node, is 401.
 *
 * Watch frames are the upstream's event lines, shared by every watcher; each watcher's frames of
 * one burst are written as one chunk. A watch with `allowWatchBookmarks=true` gets a BOOKMARK at
 * the cache's revision whenever nothing else was written to it for `bookmarkIntervalMs` (as the
 * API server's watches: apiserver/watch.ts), so agents can tell a dead connection from a quiet one. A watcher whose socket holds more than 64 MiB unsent is
 * disconnected (it re-watches from its last resourceVersion).
 */
import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { createServer as createHttpsServer } from 'node:https';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { collectionPath, TypeCache, type CachedType, type Subscriber } from './cache.js';
import { Upstream, UpstreamError, type UpstreamOptions } from './upstream.js';

export interface FanoutOptions extends UpstreamOptions {
  /** The types served from the cache (the agents' kinds). */
  readonly types: readonly CachedType[];
  /** Serving certificate and key (PEM). */
  readonly certPem: string;
  readonly keyPem: string;
  /** Default 127.0.0.1; port 0 picks a free one. */
  readonly host?: string;
  readonly port: number;
  readonly log?: (line: string) => void;
  /** How long an access review answer is reused (default 10 s). */
  readonly authTtlMs?: number;
  /** Accept node client certificates signed by `caPem`, impersonating the node upstream with `token` (the admin's). */
  readonly clientCerts?: { readonly caPem: string; readonly token: string };
  /** Idle time after which a watch that allows bookmarks gets one (default 1 s, as `tabby server`'s). */
  readonly bookmarkIntervalMs?: number;
}

/** The credential headers the fan-out uses upstream for one caller; undefined: unauthenticated. */
type _Identity = Record<string, string>;

const NODE_PREFIX = 'system:node:';
const NODES_GROUP = 'system:nodes';

/** The node a verified client certificate names, or undefined. */
function _certNode(req: IncomingMessage): string | undefined {
  const socket = req.socket as TLSSocket;
  if (socket.authorized !== true || typeof socket.getPeerCertificate !== 'function') return undefined;
  const subject = socket.getPeerCertificate().subject as unknown as Record<string, string | string[] | undefined> | undefined;
  const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const cn = list(subject?.['CN']);
  if (cn.length !== 1 || !cn[0]!.startsWith(NODE_PREFIX) || !list(subject?.['O']).includes(NODES_GROUP)) return undefined;
  const node = cn[0]!.slice(NODE_PREFIX.length);
  return node === '' ? undefined : node;
}

export interface RunningFanout {
  readonly url: string;
  readonly port: number;
  /** Per cached type (`group/plural`): upstream lists and watches made, objects held, downstream watchers. */
  stats(): Record<string, { lists: number; watches: number; objects: number; watchers: number; revision: string }>;
  /** Resolves when every type has been listed once. */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

const MAX_UNSENT = 64 * 1024 * 1024;
const MAX_AUTH_ENTRIES = 10_000;

function _status(res: ServerResponse, code: number, reason: string, message: string): void {
  const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Flushes of watchers with frames waiting, run together once the current burst is handled. */
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

interface Route {
  readonly cache: TypeCache;
  readonly namespace: string | undefined;
  /** Pods of this node only (`fieldSelector=spec.nodeName=<node>` on a list). */
  readonly node?: string;
}

export async function runFanout(o: FanoutOptions): Promise<RunningFanout> {
  const log = o.log ?? ((): void => undefined);
  const upstream = new Upstream(o);
  const stopAll = new AbortController();
  setMaxListeners(0, stopAll.signal); // one upstream watch per cached type listens on it
  const caches = new Map<string, TypeCache>();
  for (const t of o.types) caches.set(collectionPath(t), new TypeCache(t, upstream, log));
  const running = [...caches.values()].map((c) => c.run(stopAll.signal));
  const ready = Promise.all([...caches.values()].map((c) => c.ready)).then(() => undefined);
  const ttl = o.authTtlMs ?? 10_000;
  const reviews = new Map<string, { at: number; answer: Promise<{ code: number; message: string } | undefined> }>();

  /** undefined when the upstream allows the read; else the Status code and message to answer. */
  /** Bearer callers are themselves; a verified node certificate is that node, impersonated. */
  const identity = (req: IncomingMessage): _Identity | undefined => {
    const authorization = req.headers.authorization;
    if (authorization !== undefined) return /^Bearer\s+\S+\s*$/i.test(authorization) ? { authorization } : undefined;
    const node = o.clientCerts === undefined ? undefined : _certNode(req);
    if (node === undefined) return undefined;
    return { authorization: `Bearer ${o.clientCerts!.token}`, 'impersonate-user': `${NODE_PREFIX}${node}`, 'impersonate-group': NODES_GROUP };
  };

  const check = (who: _Identity, verb: string, t: CachedType, namespace: string | undefined): Promise<{ code: number; message: string } | undefined> => {
    const key = `${createHash('sha256').update(JSON.stringify(who)).digest('base64')}|${verb}|${t.group}|${t.plural}|${namespace ?? ''}`;
    const now = Date.now();
    const hit = reviews.get(key);
    if (hit !== undefined && now - hit.at < ttl) return hit.answer;
    if (reviews.size >= MAX_AUTH_ENTRIES) reviews.clear();
    const answer = (async (): Promise<{ code: number; message: string } | undefined> => {
      const r = await upstream.postJson(
        '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
        { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb, group: t.group, resource: t.plural, ...(namespace === undefined ? {} : { namespace }) } } },
        { ...who, accept: 'application/json', 'user-agent': 'tabby-fanout' },
      );
      if (r.status === 401) return { code: 401, message: 'Unauthorized' };
      const st = (r.body ?? {}) as { status?: { allowed?: unknown } };
      if ((r.status === 200 || r.status === 201) && st.status?.allowed === true) return undefined;
      if (r.status === 200 || r.status === 201) {
        const qualified = t.group === '' ? t.plural : `${t.plural}.${t.group}`;
        const where = namespace === undefined ? 'at the cluster scope' : `in the namespace "${namespace}"`;
        return { code: 403, message: `${qualified} is forbidden: the upstream API server does not allow this credential to ${verb} resource "${t.plural}" in API group "${t.group}" ${where}` };
      }
      throw new UpstreamError(`the upstream's access review answered HTTP ${r.status}`, 503);
    })();
    reviews.set(key, { at: now, answer });
    // failures are not remembered
    answer.catch(() => reviews.delete(key));
    return answer;
  };

  const route = (pathname: string, query: URLSearchParams): Route | undefined => {
    for (const k of query.keys()) if (!['watch', 'resourceVersion', 'resourceVersionMatch', 'allowWatchBookmarks', 'timeoutSeconds', 'fieldSelector'].includes(k)) return undefined;
    // `fieldSelector=spec.nodeName=<node>` on a Pod list (an agent's own Pods at start of day) is
    // served from the cache; any other field selector, and on a watch, goes upstream
    const fs = query.get('fieldSelector');
    let node: string | undefined;
    if (fs !== null) {
      const m = /^spec\.nodeName=([^,=!]+)$/.exec(fs);
      if (m === null || ['1', 'true'].includes(query.get('watch') ?? '')) return undefined;
      node = m[1]!;
    }
    const rvm = query.get('resourceVersionMatch');
    if (rvm !== null && rvm !== 'NotOlderThan') return undefined;
    const segs = pathname.split('/');
    // ['', 'api', 'v1', ...rest] or ['', 'apis', group, version, ...rest]
    const base = segs[1] === 'api' ? 3 : segs[1] === 'apis' ? 4 : -1;
    if (base < 0) return undefined;
    const rest = segs.slice(base);
    let namespace: string | undefined;
    let plural: string | undefined;
    if (rest.length === 1) plural = rest[0];
    else if (rest.length === 3 && rest[0] === 'namespaces') {
      try {
        namespace = decodeURIComponent(rest[1]!);
      } catch {
        return undefined;
      }
      plural = rest[2];
    } else return undefined;
    const cache = caches.get(`${segs.slice(0, base).join('/')}/${plural}`);
    if (cache === undefined || (namespace !== undefined && !cache.type.namespaced) || namespace === '') return undefined;
    if (node !== undefined && !(cache.type.group === '' && cache.type.plural === 'pods')) return undefined;
    return { cache, namespace, ...(node !== undefined ? { node } : {}) };
  };

  const forward = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const headers0 = Upstream.forwardHeaders(req.headers);
    // a node certificate cannot travel on: the node is impersonated with the fan-out's credential
    if (req.headers.authorization === undefined) {
      for (const k of Object.keys(headers0)) if (k.startsWith('impersonate-')) delete headers0[k];
      Object.assign(headers0, identity(req) ?? {});
    }
    const up = await upstream.send(req.method ?? 'GET', req.url ?? '/', { headers: headers0, body: req, stream: true });
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !['connection', 'keep-alive', 'transfer-encoding'].includes(k)) headers[k] = v;
    res.writeHead(up.statusCode ?? 502, headers);
    up.pipe(res);
    res.on('close', () => up.destroy());
  };

  const serveWatch = (r: Route, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): void => {
    const rv = query.get('resourceVersion') ?? '';
    if (rv !== '' && !/^\d{1,20}$/.test(rv)) return _status(res, 400, 'BadRequest', `resourceVersion ${JSON.stringify(rv.slice(0, 40))} is not a valid resource version`);
    const timeoutS = Number(query.get('timeoutSeconds') ?? '1800');
    const timeoutMs = (Number.isFinite(timeoutS) && timeoutS > 0 ? Math.min(timeoutS, 86_400) : 1800) * 1000;
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private' });
    let pending: Buffer[] = [];
    let closed = false;
    // a bookmark after every interval with nothing written (each write re-arms the timer)
    const idle = query.get('allowWatchBookmarks') === 'true' ? setTimeout(() => sub.frame(r.cache.bookmarkFrame()), o.bookmarkIntervalMs ?? 1_000) : undefined;
    const flush = (): void => {
      const chunks = pending;
      pending = [];
      if (closed || chunks.length === 0) return;
      idle?.refresh();
      res.write(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
      if (res.writableLength > MAX_UNSENT) finish(undefined);
    };
    const sub: Subscriber = {
      namespace: r.namespace,
      frame: (line) => {
        if (closed) return;
        if (pending.length === 0) _schedule(flush);
        pending.push(line);
      },
      end: (last) => {
        if (last !== undefined && !closed) pending.push(last);
        finish(undefined);
      },
    };
    let unsubscribe = (): void => undefined;
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    const finish = (_: unknown): void => {
      if (closed) return;
      flush();
      closed = true;
      clearTimeout(timer);
      clearTimeout(idle);
      unsubscribe();
      res.end();
    };
    req.on('close', () => {
      closed = true;
      clearTimeout(timer);
      clearTimeout(idle);
      unsubscribe();
    });
    unsubscribe = r.cache.subscribe(sub, rv === '' || rv === '0' ? undefined : BigInt(rv));
    if (closed) unsubscribe();
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const raw = req.url ?? '/';
    const pathOnly = raw.split('?')[0]!;
    if (pathOnly.split('/').some((seg) => /^(?:\.|%2e){1,2}$/i.test(seg))) return _status(res, 400, 'BadRequest', 'the request path may not contain "." or ".." segments');
    const url = new URL(raw, 'https://fanout.invalid');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (path === '/healthz' || path === '/livez') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return void res.end('ok');
    }
    if (path === '/readyz') {
      const notReady = [...caches.entries()].filter(([, c]) => !c.synced).map(([p]) => p);
      res.writeHead(notReady.length === 0 ? 200 : 503, { 'content-type': 'text/plain' });
      return void res.end(notReady.length === 0 ? 'ok' : `not yet listed from the upstream: ${notReady.join(', ')}`);
    }
    // Tables, partial metadata and protobuf are the upstream's to render
    const accept = req.headers.accept ?? '';
    const plainJson = !/as=|protobuf|yaml|cbor/i.test(accept);
    const r = req.method === 'GET' && plainJson ? route(path, url.searchParams) : undefined;
    if (r === undefined) return forward(req, res);
    const who = identity(req);
    if (who === undefined) return _status(res, 401, 'Unauthorized', 'Unauthorized');
    const watch = ['1', 'true'].includes(url.searchParams.get('watch') ?? '');
    const denied = await check(who, watch ? 'watch' : 'list', r.cache.type, r.namespace);
    if (denied !== undefined) return _status(res, denied.code, denied.code === 401 ? 'Unauthorized' : 'Forbidden', denied.message);
    if (!r.cache.synced) {
      const waited = await Promise.race([r.cache.ready.then(() => true), new Promise<boolean>((ok) => setTimeout(() => ok(false), 30_000).unref())]);
      if (!waited) return _status(res, 503, 'ServiceUnavailable', `the fan-out has not yet listed ${collectionPath(r.cache.type)} from the upstream (${upstream.description})`);
    }
    if (watch) return serveWatch(r, url.searchParams, req, res);
    const body = r.cache.listBody(r.namespace, r.node);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  };

  const tls = o.clientCerts === undefined ? {} : { requestCert: true, rejectUnauthorized: false, ca: o.clientCerts.caPem };
  const server: Server = createHttpsServer({ key: o.keyPem, cert: o.certPem, ...tls }, (req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (e instanceof UpstreamError) return _status(res, e.code || 503, 'ServiceUnavailable', e.message);
      _status(res, 503, 'ServiceUnavailable', `upstream API server unavailable (${upstream.description}): ${e instanceof Error ? e.message : String(e)}`);
    });
  });
  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(o.port, host, () => ok());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `https://${urlHost === '0.0.0.0' ? '127.0.0.1' : urlHost}:${port}`;
  log(`tabby fan-out server listening on ${url}, caching ${caches.size} resource types from ${upstream.description}`);
  let stopped: Promise<void> | undefined;
  return {
    url,
    port,
    ready,
    stats: () =>
      Object.fromEntries(
        [...caches.values()].map((c) => [`${c.type.group}/${c.type.plural}`, { lists: c.lists, watches: c.watches, objects: c.size, watchers: c.watchers, revision: String(c.revision) }]),
      ),
    stop: () =>
      (stopped ??= (async () => {
        stopAll.abort();
        for (const c of caches.values()) c.close();
        await new Promise<void>((ok) => {
          server.close(() => ok());
          server.closeAllConnections();
        });
        await Promise.allSettled(running);
        upstream.close();
        log('tabby fan-out server stopped');
      })()),
  };
}
