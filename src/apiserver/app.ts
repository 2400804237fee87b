/**
 * @module createApp(deps): the Kubernetes-compatible API server as a Hono app — a pure
 * `Request → Response` function (tests call `app.request()`; only main.ts listens).
 *
 * Routes: `/version`, `/healthz` (public); discovery (`/api`, `/apis`, group and group-version
 * resource lists); OpenAPI (`/openapi/v3`, `/openapi/v3/<gv>`, and an empty `/openapi/v2` so
 * kubectl falls back to its compiled-in types for strategic merge patches); and the resource
 * paths `/api/v1/[namespaces/<ns>/]<plural>[/<name>[/status]]` and the same under
 * `/apis/<group>/<version>`. Anything else is a 404 Status, never a crash.
 */
import { Hono } from 'hono';
import type { Datastore } from '../datastore/index.js';
import { ResourceClient } from '../client/index.js';
import { apiVersionOf } from '../model/kind-info.js';
import { authenticate, authorize, impersonate, type Tokens, type User } from './auth.js';
import { CLUSTER_INFO_PATH, clusterInfo, NODE_CREDENTIAL_PATH, nodeCredential, type BootstrapDeps } from './bootstrap.js';
import { nodeAdmission } from './node-auth.js';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, findKind, groups, kindsOf, SERVED_KINDS, VERSION_INFO } from './discovery.js';
import { extraKindsFor, servedKindsFor, type CalicoApiMode } from './crd-mode.js';
import { aggregatedDiscovery, AGGREGATED_DISCOVERY_TYPE, wantsAggregatedDiscovery } from './discovery-aggregated.js';
import { groupVersionDocument } from './openapi.js';
import { partialMetadataRequest, toPartialMetadata } from './partial-metadata.js';
import { handleResource, json, verbOf } from './resources.js';
import { handleAccessReview, handleSubresource, servesSubresource } from './subresources.js';
import type { PodRuntime } from './pod-runtime.js';
import { isProtobuf, protobufBodyAsJson } from './protobuf.js';
import { WatchHub } from './watch-hub.js';
import { badRequest, methodNotAllowed, pathNotFound, toStatus, unauthorized } from './status.js';
import { decodeText, DEFAULT_MAX_REQUEST_BYTES, readBody } from './body.js';
import { healthResponse } from './health.js';
import { createDashboard, isDashboardPath } from '../web/index.js';
import { FLOWS_GROUP, FLOWS_VERSION, FlowCollector, flowEventsResponse, flowResponse, flowsResponse, type FlowCollectorOptions } from './flows.js';
import { parseJsonBody } from './body.js';

export interface AppDeps {
  readonly datastore: Datastore;
  readonly tokens: Tokens;
  readonly now?: () => Date;
  /** `host:port` advertised in `/api` (serverAddressByClientCIDRs). */
  readonly serverAddress?: string;
  /** A watch with allowWatchBookmarks gets a BOOKMARK after this long with nothing sent (watch.ts; default DEFAULT_BOOKMARK_INTERVAL_MS). */
  readonly bookmarkIntervalMs?: number;
  /** Aborting it ends every open watch (server shutdown). */
  readonly shutdown?: AbortSignal;
  /** Random suffix for generateName; injected for deterministic tests. */
  readonly randomSuffix?: () => string;
  /** The web dashboard at /ui (src/web): its built bundle and the lab's log directory. */
  readonly uiDir?: string | undefined;
  readonly labDir?: string | undefined;
  /** Runs pods for pods/log, exec and attach (the lab, under `tabby up`); without it they answer 503. */
  readonly podRuntime?: PodRuntime | undefined;
  /** Largest request body accepted (413 past it); default 3 MiB, kube-apiserver's default for writes. */
  readonly maxRequestBytes?: number | undefined;
  /** How Calico's resources are served: `v3` (projectcalico.org/v3, the default) or `crd` (crd-mode.ts). */
  readonly calicoApi?: CalicoApiMode | undefined;
  /** The user a request's TLS client certificate proves (main.ts: a node's credential), tried before bearer tokens. */
  readonly peerUser?: ((req: Request) => User | undefined) | undefined;
  /** Node joining: the public cluster-info and the bootstrap-token → node certificate exchange (bootstrap.ts); without it both answer 404. */
  readonly bootstrap?: Omit<BootstrapDeps, 'datastore'> | undefined;
  /** Watch delivery from the shared feeds: `push` (default, each event encoded once) or `iterate` (the earlier per-watcher path, for benchmarks). */
  readonly watchDelivery?: 'push' | 'iterate' | undefined;
  /** The flow collector behind `/apis/tabby.dev/v1/flows` (flows.ts); default: one over `datastore` with the default windows. */
  readonly flows?: FlowCollector | Omit<FlowCollectorOptions, 'datastore' | 'shutdown'> | undefined;
}

/**
 * How long a watch that asked for bookmarks may go without a frame (`tabby server
 * --watch-bookmark-interval`): 1 s, so agents (kube-datastore.ts `watchIdleTimeoutMs`, 2.5 s by
 * default) find a dead connection within seconds. Bookmarks go only to watches that ask and only
 * when nothing else was sent, so a busy or a bookmark-less watch costs nothing more.
 */
export const DEFAULT_BOOKMARK_INTERVAL_MS = 1_000;

const FLOWS_PATH = new RegExp(`^/apis/${FLOWS_GROUP.replace('.', '\\.')}/${FLOWS_VERSION}/(?:namespaces/([^/]+)/)?(flows|flowevents)(?:/([^/]+))?$`);

const HEALTH_PATHS = /^\/(healthz|livez|readyz)(\/[a-z-]+)?$/;

function _randomSuffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let s = '';
  const bytes = crypto.getRandomValues(new Uint8Array(5));
  for (const b of bytes) s += alphabet[b % alphabet.length];
  return s;
}

/** A cheap content hash for the OpenAPI root's cache-busting `hash=` parameter. */
function _hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  const mode = deps.calicoApi ?? 'v3';
  const served = servedKindsFor(mode);
  const client = new ResourceClient(deps.datastore, extraKindsFor(mode));
  const now = deps.now ?? (() => new Date());
  const shutdown = deps.shutdown ?? new AbortController().signal;
  const env = {
    client,
    datastore: deps.datastore,
    now,
    randomSuffix: deps.randomSuffix ?? _randomSuffix,
    bookmarkIntervalMs: deps.bookmarkIntervalMs ?? DEFAULT_BOOKMARK_INTERVAL_MS,
    shutdown,
    hub: new WatchHub(deps.datastore),
    watchDelivery: deps.watchDelivery,
    served,
  };

  const gvPaths = [
    { path: 'api/v1', group: '', version: 'v1' },
    ...groups(served).flatMap((g) => g.versions.map((v) => ({ path: `apis/${g.name}/${v}`, group: g.name, version: v }))),
  ];
  const openapiDocs = new Map(gvPaths.map((gv) => [gv.path, JSON.stringify(groupVersionDocument(kindsOf(gv.group, gv.version, served)))]));
  const openapiRoot = JSON.stringify({
    paths: Object.fromEntries(gvPaths.map((gv) => [gv.path, { serverRelativeURL: `/openapi/v3/${gv.path}?hash=${_hash(openapiDocs.get(gv.path)!)}` }])),
  });

  // The last line of defence: whatever escapes becomes a Status (never a stack trace).
  app.onError((err) => {
    const st = toStatus(err);
    return json(st.code, st);
  });
  const maxBytes = deps.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  app.notFound(() => json(404, pathNotFound()));

  const flows =
    deps.flows instanceof FlowCollector ? deps.flows : new FlowCollector({ now: () => now().getTime(), ...deps.flows, datastore: deps.datastore, shutdown });

  const dashboard = createDashboard({
    apiFetch: async (req) => app.fetch(req),
    authorized: (h) => authenticate(h, deps.tokens) !== undefined,
    uiDir: deps.uiDir,
    labDir: deps.labDir,
    shutdown,
  });

  app.all('*', async (c) => {
    try {
      return await route(c.req.raw);
    } catch (e) {
      const st = toStatus(e);
      return json(st.code, st);
    }
  });

  const route = async (raw: Request): Promise<Response> => {
    const header = (name: string): string | undefined => raw.headers.get(name) ?? undefined;
    const url = new URL(raw.url);
    if (isDashboardPath(url.pathname)) return dashboard(raw);
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (path === '/version') return json(200, VERSION_INFO);
    const health = HEALTH_PATHS.exec(path);
    if (health) return healthResponse(health[1] as 'healthz' | 'livez' | 'readyz', health[2]?.slice(1), url.searchParams, deps.datastore);
    if (deps.bootstrap !== undefined && path === CLUSTER_INFO_PATH && (raw.method === 'GET' || raw.method === 'HEAD')) return clusterInfo({ ...deps.bootstrap, datastore: deps.datastore });
    if (deps.bootstrap !== undefined && path === NODE_CREDENTIAL_PATH) return nodeCredential(raw, { ...deps.bootstrap, datastore: deps.datastore });
    const caller = deps.peerUser?.(raw) ?? authenticate(header('authorization'), deps.tokens);
    if (caller === undefined) return json(401, unauthorized());
    // the fan-out tier serving an agent's node certificate (auth.ts impersonate)
    const impersonated = impersonate(caller, header, raw.headers.get('impersonate-group')?.split(/\s*,\s*/).filter((g) => g !== '') ?? []);
    if (impersonated !== undefined && 'code' in impersonated) return json(impersonated.code, impersonated);
    const user = impersonated ?? caller;
    const method = raw.method;

    // discovery and OpenAPI: read-only documents
    if ((path === '/api' || path === '/apis') && wantsAggregatedDiscovery(header('accept') ?? ''))
      return _readOnly(method) ?? json(200, aggregatedDiscovery(path === '/api', served), { 'content-type': AGGREGATED_DISCOVERY_TYPE, vary: 'Accept' });
    if (path === '/api') return _readOnly(method) ?? json(200, apiVersions(deps.serverAddress ?? '127.0.0.1:6443'));
    if (path === '/apis') return _readOnly(method) ?? json(200, apiGroupList(served));
    if (path === '/openapi/v3') return _readOnly(method) ?? new Response(openapiRoot, { headers: { 'content-type': 'application/json' } });
    if (path.startsWith('/openapi/v3/')) {
      const doc = openapiDocs.get(path.slice('/openapi/v3/'.length));
      if (doc === undefined) return json(404, pathNotFound());
      return _readOnly(method) ?? new Response(doc, { headers: { 'content-type': 'application/json' } });
    }
    if (path === '/openapi/v2') {
      // An empty protobuf Document (zero bytes): kubectl then validates nothing client-side (the
      // server does, with fieldValidation) and builds strategic patches from its own types.
      if (/json/.test(header('accept') ?? '') && !/protobuf/.test(header('accept') ?? ''))
        return json(200, { swagger: '2.0', info: { title: 'Kubernetes', version: VERSION_INFO.gitVersion }, paths: {}, definitions: {} });
      return new Response(new Uint8Array(0), { headers: { 'content-type': 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf' } });
    }

    const fm = FLOWS_PATH.exec(path);
    if (fm !== null) {
      const seg = (x: string): string => {
        try {
          return decodeURIComponent(x);
        } catch {
          throw badRequest(`the request path has a malformed %-escape in ${JSON.stringify(x.slice(0, 100))}`);
        }
      };
      const ns = fm[1] === undefined ? undefined : seg(fm[1]);
      if (fm[2] === 'flowevents') {
        if (ns !== undefined || fm[3] !== undefined) return json(404, pathNotFound());
        if (method !== 'POST') return json(405, toStatus(methodNotAllowed()));
        const denied = authorize(user, 'create', { group: FLOWS_GROUP, plural: 'flowevents', namespace: undefined, name: undefined });
        if (denied) return json(denied.code, denied);
        return flowEventsResponse(flows, async () => parseJsonBody(decodeText(await readBody(raw, maxBytes))));
      }
      if (method !== 'GET') return json(405, toStatus(methodNotAllowed()));
      if (fm[3] !== undefined) {
        const name = seg(fm[3]);
        const denied = authorize(user, 'get', { group: FLOWS_GROUP, plural: 'flows', namespace: ns, name });
        if (denied) return json(denied.code, denied);
        return flowResponse(flows, name, ns, url.searchParams, header('accept') ?? '');
      }
      const w = url.searchParams.get('watch');
      const denied = authorize(user, w === 'true' || w === '1' ? 'watch' : 'list', { group: FLOWS_GROUP, plural: 'flows', namespace: ns, name: undefined });
      if (denied) return json(denied.code, denied);
      return flowsResponse(flows, url.searchParams, ns, raw.signal, header('accept') ?? '');
    }

    const segs = path
      .split('/')
      .filter((s) => s !== '')
      .map((s) => {
        let d: string;
        try {
          d = decodeURIComponent(s);
        } catch {
          throw badRequest(`the request path has a malformed %-escape in ${JSON.stringify(s.slice(0, 100))}`);
        }
        if (d.includes('/')) throw badRequest(`a path segment may not contain '/' (got ${JSON.stringify(d.slice(0, 100))})`);
        if (d === '.' || d === '..') throw badRequest(`a path segment may not be ${JSON.stringify(d)}`);
        if (d.includes('\u0000')) throw badRequest('a path segment may not contain NUL');
        return d;
      });
    let group: string;
    let version: string;
    let rest: string[];
    if (segs[0] === 'api' && segs.length >= 2) {
      group = '';
      version = segs[1]!;
      rest = segs.slice(2);
    } else if (segs[0] === 'apis' && segs.length >= 2) {
      group = segs[1]!;
      if (segs.length === 2) {
        const g = apiGroup(group, served);
        return g === undefined ? json(404, pathNotFound()) : (_readOnly(method) ?? json(200, g));
      }
      version = segs[2]!;
      rest = segs.slice(3);
    } else return json(404, pathNotFound());
    if (rest.length === 0) {
      const list = apiResourceList(group, version, served);
      return list === undefined ? json(404, pathNotFound()) : (_readOnly(method) ?? json(200, list));
    }

    // [namespaces/<ns>/]<plural>[/<name>[/<subresource>]]
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      const k = findKind(group, version, rest[2]!, served);
      if (k !== undefined && k.namespaced) {
        namespace = rest[1]!;
        rest = rest.slice(2);
      }
    }
    const info = findKind(group, version, rest[0]!, served);
    if (info === undefined || rest.length > 3) return json(404, pathNotFound());
    if (!info.namespaced && namespace !== undefined) return json(404, pathNotFound());
    const name = rest[1];
    const sub = rest[2];
    if (sub !== undefined && sub !== 'status' && (name === undefined || !servesSubresource(info, sub))) return json(404, pathNotFound());
    if (info.namespaced && namespace === undefined && name !== undefined) return json(404, pathNotFound());

    if (sub === 'status' && name === undefined) return json(404, pathNotFound());
    // client-go sends built-in kinds as protobuf (kubectl create namespace|deployment|...): the
    // body is decoded to JSON here, once; everything after sees JSON (protobuf.ts)
    const contentType = header('content-type') ?? '';
    const protobufBody = isProtobuf(contentType) && method !== 'PATCH';
    let read: Promise<Uint8Array> | undefined;
    const bytes = (): Promise<Uint8Array> => (read ??= readBody(raw, maxBytes));
    const text = protobufBody ? () => protobufBodyAsJson(bytes().then((b) => b.slice().buffer)) : async () => decodeText(await bytes());
    // SelfSubjectAccessReview: anyone may ask about themselves (kubectl auth can-i).
    if (info.kind === 'SelfSubjectAccessReview' && name === undefined) return handleAccessReview(method, user, text, { client });
    if (sub !== undefined && sub !== 'status' && name !== undefined)
      return handleSubresource({ method, info, namespace, name, sub, query: url.searchParams, contentType, body: text, user, signal: raw.signal }, { client, podRuntime: deps.podRuntime });
    const verb = verbOf(method, name, url.searchParams);
    const denied = authorize(user, verb, { group, plural: info.plural, namespace, name });
    if (denied) return json(denied.code, denied);
    const partial = method === 'GET' ? partialMetadataRequest(header('accept') ?? '') : undefined;
    const res = await handleResource(
      {
        method,
        info,
        namespace,
        name,
        subresource: sub === 'status' ? 'status' : undefined,
        query: url.searchParams,
        accept: header('accept') ?? '',
        contentType: protobufBody ? 'application/json' : contentType,
        userAgent: header('user-agent') ?? '',
        body: text,
        bytes,
        signal: raw.signal,
        admitWrite: user.node === undefined ? undefined : (current, next) => nodeAdmission(user.node!, current, next),
      },
      env,
    );
    return partial === undefined ? res : toPartialMetadata(res, partial, verb === 'watch');
  };
  return app;
}

function _readOnly(method: string): Response | undefined {
  if (method === 'GET' || method === 'HEAD') return undefined;
  const st = toStatus(methodNotAllowed());
  return json(st.code, st);
}

/** Every served kind, as `apiVersion Kind plural` lines (for logs and docs). */
export function servedKinds(): string[] {
  return SERVED_KINDS.map((k) => `${apiVersionOf(k)} ${k.kind} ${k.plural}`);
}
