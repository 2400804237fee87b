/**
 * @module The REST verbs on one kind, generated from the model's registry: list (with label
 * and field selectors, limit/continue, Table output), watch, get, create, update (PUT), patch
 * (JSON, merge, strategic merge, server-side apply), delete and deletecollection. Every write
 * goes through the ResourceClient (decode → default → validate → store), so the API server
 * accepts exactly what calicoctl accepts. Pure apart from the injected datastore.
 */
import type { Datastore, StoredObject } from '../datastore/index.js';
import { ConflictError, NotFoundError, TooOldError } from '../datastore/index.js';
import { FORCE_QUERY, ForbiddenError, InvalidError, ProviderManagedError, type ResourceClient } from '../client/index.js';
import { apiVersionOf, type KindInfo } from '../model/kind-info.js';
import type { FieldError } from '../model/field/errors.js';
import { SERVED_KINDS } from './discovery.js';
import { admit } from './admission.js';
import { allocateOnCreate, allocateOnUpdate } from './service-alloc.js';
import { serverSideApply, trackUpdate, type KindRef } from './managed-fields.js';
import { isObject, jsonPatch, mergePatch, PatchError, strategicMergePatch, type Json } from './patch.js';
import { supportsStrategicMerge } from './list-keys.js';
import { parseFieldSelector, parseLabelSelector, SelectorError } from './selectors.js';
import { badRequest, methodNotAllowed, notFound, status, StatusError, strictDecodingStatus, successStatus, toStatus, unsupportedMediaType, type Subject } from './status.js';
import { parseJsonBody, parseYamlBody } from './body.js';
import { listOptions, queryBool } from './query.js';
import { deleteReturnsObject, fieldSupport, hasStatusSubresource } from './kind-rules.js';
import { toTable, type IncludeObject } from './tables.js';
import { tooLargeResourceVersion, watchResponse } from './watch.js';
import type { WatchHub } from './watch-hub.js';

type JsonObject = { [k: string]: Json };

export interface ResourceEnv {
  readonly client: ResourceClient;
  readonly datastore: Datastore;
  readonly now: () => Date;
  /** Random suffix for `metadata.generateName`. */
  readonly randomSuffix: () => string;
  readonly bookmarkIntervalMs: number;
  readonly shutdown: AbortSignal;
  readonly hub: WatchHub;
  /** How watches are fed from the shared feeds (watch.ts; default `push`). */
  readonly watchDelivery?: 'push' | 'iterate' | undefined;
  /** The kinds this server serves (default SERVED_KINDS; the CRD mode adds its own, crd-mode.ts). */
  readonly served?: readonly KindInfo[];
}

export interface ResourceRequest {
  readonly method: string;
  readonly info: KindInfo;
  /** The namespace in the URL; undefined for cluster-scoped kinds and all-namespace lists. */
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  /** `status` for `/<name>/status`; undefined for the main resource. */
  readonly subresource?: 'status' | undefined;
  readonly query: URLSearchParams;
  readonly accept: string;
  readonly contentType: string;
  readonly userAgent: string;
  /** The body as strict UTF-8 text, read within the request-size limit (400 / 413 StatusErrors). */
  readonly body: () => Promise<string>;
  /** The body's bytes, read within the request-size limit (for binary media types). */
  readonly bytes?: () => Promise<Uint8Array>;
  readonly signal: AbortSignal;
  /** A validating admission check of a create or update (NodeRestriction, node-auth.ts): CURRENT is undefined for a create; throws a StatusError to refuse. */
  readonly admitWrite?: ((current: JsonObject | undefined, next: JsonObject) => void) | undefined;
}

/** The RBAC verb of a request, for authorization. */
export function verbOf(method: string, name: string | undefined, query: URLSearchParams): string {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return name !== undefined ? 'get' : queryBool(query, 'watch') ? 'watch' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return name === undefined ? 'deletecollection' : 'delete';
    default:
      return method.toLowerCase();
  }
}


export function json(code: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status: code, headers: { 'content-type': 'application/json', ...headers } });
}

function _subject(info: KindInfo, name?: string): Subject {
  return { group: info.group, plural: info.plural, kind: info.kind, ...(name === undefined ? {} : { name }) };
}

export async function handleResource(req: ResourceRequest, env: ResourceEnv): Promise<Response> {
  try {
    return await _dispatch(req, env);
  } catch (e) {
    const st = _toStatus(e, _subject(req.info, req.name));
    return json(st.code, st);
  }
}

/** toStatus, plus the refusal to change a provider-managed object: 403 Forbidden with the reason. */
function _toStatus(e: unknown, subject: Subject) {
  if (e instanceof ProviderManagedError)
    return status(403, 'Forbidden', e.message, { ...(subject.name !== undefined ? { name: subject.name } : {}), ...(subject.group ? { group: subject.group } : {}), kind: subject.plural });
  return toStatus(e, subject);
}

/** `?force=true`: change or delete a provider-managed object anyway (client/admission.ts). */
const _force = (req: ResourceRequest): boolean => queryBool(req.query, FORCE_QUERY);

/**
 * A kind checked for server-side dry-run only (KindInfo.dryRunOnly): writes must carry
 * `dryRun=All` (they then run the usual decode → default → validate, and store nothing, as
 * every dry run); watch and delete are refused; get and list read the (always empty) store.
 */
function _dryRunOnly(req: ResourceRequest, verb: string): void {
  const why = req.info.dryRunOnly;
  if (why === undefined) return;
  if (verb === 'get' || verb === 'list') return;
  if ((verb === 'create' || verb === 'update' || verb === 'patch') && req.query.getAll('dryRun').length > 0) return;
  throw methodNotAllowed(why);
}

async function _dispatch(req: ResourceRequest, env: ResourceEnv): Promise<Response> {
  const verb = verbOf(req.method, req.name, req.query);
  _dryRunOnly(req, verb);
  if (req.subresource === 'status') {
    if (!hasStatusSubresource(req.info)) throw new StatusError(status(404, 'NotFound', 'the server could not find the requested resource'));
    if (verb !== 'get' && verb !== 'update' && verb !== 'patch') throw methodNotAllowed();
  }
  switch (verb) {
    case 'get':
      return _get(req, env);
    case 'list':
    case 'watch':
      return _list(req, env, verb === 'watch');
    case 'create':
      if (req.name !== undefined) throw methodNotAllowed();
      return _create(req, env);
    case 'update':
      return _update(req, env);
    case 'patch':
      return _patch(req, env);
    case 'delete':
      return _delete(req, env);
    case 'deletecollection':
      return _deleteCollection(req, env);
    default:
      throw methodNotAllowed();
  }
}

// ------------------------------------------------------------------ reads

function _tableRequest(req: ResourceRequest): { include: IncludeObject } | undefined {
  if (!/as=Table/.test(req.accept)) return undefined;
  const inc = req.query.get('includeObject');
  return { include: inc === 'None' || inc === 'Object' ? inc : 'Metadata' };
}

async function _get(req: ResourceRequest, env: ResourceEnv): Promise<Response> {
  const obj = await env.client.get(req.info, req.namespace, req.name!);
  const table = _tableRequest(req);
  if (table) return json(200, toTable(req.info.group, req.info.kind, [obj], { now: env.now(), include: table.include, resourceVersion: obj.metadata.resourceVersion ?? '' }));
  return json(200, obj);
}

function _selectors(req: ResourceRequest) {
  try {
    return {
      labels: parseLabelSelector(req.query.get('labelSelector') ?? ''),
      fields: parseFieldSelector(req.query.get('fieldSelector') ?? '', fieldSupport(req.info)),
    };
  } catch (e) {
    if (e instanceof SelectorError) throw badRequest(e.message);
    throw e;
  }
}

/**
 * A continue token: the revision of the list's first page (every later page reads the snapshot
 * at that revision) and the last key returned. Opaque to clients; base64 of JSON, like
 * kube-apiserver's.
 */
interface ContinueToken {
  readonly rv: string;
  readonly after: string;
}

/** Namespace and name joined by NUL, so that string order is the datastore's (namespace, name) order. */
const _itemKey = (o: StoredObject): string => `${o.metadata.namespace ?? ''}\u0000${o.metadata.name ?? ''}`;

const _encodeContinue = (t: ContinueToken): string => Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: t.rv, after: t.after })).toString('base64');

function _decodeContinue(s: string): ContinueToken {
  try {
    const v: unknown = JSON.parse(Buffer.from(s, 'base64').toString('utf8'));
    if (isObject(v as Json)) {
      const o = v as JsonObject;
      const rv = Object.hasOwn(o, 'rv') ? o['rv'] : undefined;
      const after = Object.hasOwn(o, 'after') ? o['after'] : undefined;
      if (typeof rv === 'string' && /^[1-9]\d{0,14}$/.test(rv) && typeof after === 'string') return { rv, after };
    }
  } catch {
    // fall through
  }
  throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
}

/** kube-apiserver's 410 for a continue token whose snapshot is gone, with a token to go on from (inconsistently). */
function _continueExpired(fresh: string): StatusError {
  const st = status(
    410,
    'Expired',
    'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
  );
  return new StatusError({ ...st, metadata: { continue: fresh } });
}

async function _list(req: ResourceRequest, env: ResourceEnv, watch: boolean): Promise<Response> {
  const opts = listOptions(req.query, watch);
  const { labels, fields } = _selectors(req);
  const table = _tableRequest(req);
  const listOpts = { ...(req.namespace === undefined ? {} : { namespace: req.namespace }), ...(labels === undefined ? {} : { labels }) };
  if (watch) {
    const timeout = opts.timeoutSeconds ?? 1800;
    return watchResponse(
      {
        info: req.info,
        namespace: req.namespace,
        labels,
        fields,
        resourceVersion: opts.resourceVersion,
        bookmarks: opts.allowWatchBookmarks,
        sendInitialEvents: opts.sendInitialEvents,
        timeoutMs: (timeout > 0 ? Math.min(timeout, 86_400) : 1800) * 1000,
        table,
      },
      {
        datastore: env.datastore,
        hub: env.hub,
        now: env.now,
        bookmarkIntervalMs: env.bookmarkIntervalMs,
        shutdown: env.shutdown,
        list: () => env.client.list(req.info, listOpts),
        derived: env.client.derivedSource(req.info),
        delivery: env.watchDelivery,
      },
      req.signal,
    );
  }
  let res: { items: readonly StoredObject[]; revision: string; remaining?: number };
  let after: string | undefined;
  // a page reads only as far as it needs when nothing is filtered after the store (field selectors are)
  const pageOpts = { ...listOpts, ...(opts.limit > 0 && fields === undefined ? { limit: opts.limit } : {}) };
  if (opts.continue !== '') {
    // Later pages read the snapshot of the first page's revision.
    const token = _decodeContinue(opts.continue);
    after = token.after;
    try {
      res = await env.client.list(req.info, { ...pageOpts, revision: token.rv, after: token.after });
    } catch (e) {
      if (!(e instanceof TooOldError)) throw e;
      const now = await env.client.list(req.info, listOpts);
      throw _continueExpired(_encodeContinue({ rv: now.revision, after: token.after }));
    }
  } else if (opts.resourceVersion !== '' && opts.resourceVersion !== '0') {
    // NotOlderThan (the default for a list with a resourceVersion): the latest, if it is at least that new.
    // Exact: the snapshot at that revision.
    const exact = opts.resourceVersionMatch === 'Exact';
    res = await env.client.list(req.info, { ...pageOpts, ...(exact ? { revision: opts.resourceVersion } : {}) });
    if (BigInt(res.revision) < BigInt(opts.resourceVersion)) throw tooLargeResourceVersion(opts.resourceVersion, res.revision);
  } else res = await env.client.list(req.info, pageOpts);
  let items = fields === undefined ? res.items : res.items.filter((o) => fields(o));
  if (after !== undefined) items = items.filter((o) => _itemKey(o) > after);
  const revision = res.revision;
  let next: string | undefined;
  let remaining: number | undefined;
  if (opts.limit > 0 && items.length > opts.limit) {
    // as kube: a count only for a list without selectors (with them the store stops early, uncounted)
    if (labels === undefined && fields === undefined) remaining = res.remaining ?? items.length - opts.limit;
    items = items.slice(0, opts.limit);
    next = _encodeContinue({ rv: revision, after: _itemKey(items[items.length - 1]!) });
  }
  if (table)
    return json(200, toTable(req.info.group, req.info.kind, items, { now: env.now(), include: table.include, resourceVersion: revision, ...(next === undefined ? {} : { continue: next }) }));
  return json(200, {
    kind: `${req.info.kind}List`,
    apiVersion: apiVersionOf(req.info),
    metadata: { resourceVersion: revision, ...(next === undefined ? {} : { continue: next, remainingItemCount: remaining }) },
    items,
  });
}

// ------------------------------------------------------------------ writes: shared steps

interface WriteParams {
  readonly dryRun: boolean;
  readonly manager: string;
  readonly validation: 'Strict' | 'Warn' | 'Ignore';
}

function _writeParams(req: ResourceRequest, defaultManager: string | undefined): WriteParams {
  const dry = req.query.getAll('dryRun');
  for (const d of dry) if (d !== 'All') throw badRequest(`Invalid dry run value: ${JSON.stringify(d)}: supported values: "All"`);
  const fv = req.query.get('fieldValidation') ?? 'Warn';
  if (fv !== 'Strict' && fv !== 'Warn' && fv !== 'Ignore')
    throw badRequest(`fieldValidation must be one of "Ignore", "Warn", or "Strict", got ${JSON.stringify(fv)}`);
  const manager = req.query.get('fieldManager') ?? defaultManager ?? (req.userAgent.split('/')[0] || 'unknown');
  return { dryRun: dry.length > 0, manager, validation: fv };
}

const _parseJson = (text: string, what?: string): Json => parseJsonBody(text, what);

/** The media type of a Content-Type header, lower-case, without parameters. */
const _mediaType = (ct: string): string => ct.split(';')[0]!.trim().toLowerCase();

const YAML_TYPES = new Set(['application/yaml', 'application/x-yaml', 'text/yaml']);

/**
 * The object in a create or update body: JSON (also when no Content-Type is sent, as
 * kube-apiserver assumes) or YAML; any other media type is a 415.
 */
async function _objectBody(req: ResourceRequest): Promise<JsonObject> {
  const mt = _mediaType(req.contentType);
  let v: Json;
  if (mt === '' || mt === 'application/json' || mt === '*/*') v = _parseJson(await req.body());
  else if (YAML_TYPES.has(mt)) v = parseYamlBody(await req.body());
  else
    throw new StatusError(
      status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (got ${JSON.stringify(mt)})`),
    );
  return _asObject(v, 'the request body');
}

function _asObject(v: Json, what: string): JsonObject {
  if (!isObject(v)) throw badRequest(`${what} must be a JSON object`);
  return v;
}

/** Fills apiVersion/kind/namespace from the URL and checks they agree with the body. */
function _normalize(req: ResourceRequest, body: JsonObject): JsonObject {
  const info = req.info;
  const apiVersion = apiVersionOf(info);
  if (body['apiVersion'] !== undefined && body['apiVersion'] !== apiVersion)
    throw badRequest(`the API version in the data (${String(body['apiVersion'])}) does not match the expected API version (${apiVersion})`);
  if (body['kind'] !== undefined && body['kind'] !== info.kind)
    throw badRequest(`the kind in the data (${String(body['kind'])}) does not match the expected kind (${info.kind})`);
  const meta: JsonObject = isObject(body['metadata']) ? { ...body['metadata'] } : {};
  if (info.namespaced) {
    const ns = meta['namespace'];
    if (ns !== undefined && ns !== '' && req.namespace !== undefined && ns !== req.namespace)
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    if (req.namespace !== undefined) meta['namespace'] = req.namespace;
  } else delete meta['namespace'];
  if (req.name !== undefined) {
    if (meta['name'] !== undefined && meta['name'] !== req.name)
      throw badRequest(`the name of the object (${String(meta['name'])}) does not match the name on the URL (${req.name})`);
    meta['name'] = req.name;
  }
  return { ...body, apiVersion, kind: info.kind, metadata: meta };
}

function _deletePath(obj: JsonObject, keys: readonly (string | number)[]): void {
  let cur: Json | undefined = obj;
  for (const k of keys.slice(0, -1)) {
    if (Array.isArray(cur) && typeof k === 'number') cur = cur[k];
    else if (isObject(cur) && typeof k === 'string') cur = cur[k];
    else return;
  }
  const last = keys[keys.length - 1];
  if (isObject(cur) && typeof last === 'string') delete cur[last];
}

/**
 * `fieldValidation`: unknown fields are a 400 under Strict; under Warn and Ignore they are
 * dropped (Warn also returns a `Warning` header per field). Other problems are left for the
 * client's own decode, which reports them as 422 Invalid.
 */
function _checkFields(env: ResourceEnv, info: KindInfo, obj: JsonObject, mode: WriteParams['validation']): { obj: JsonObject; warnings: string[] } {
  let cur = obj;
  const warnings: string[] = [];
  for (let round = 0; round < 8; round++) {
    let unknown: FieldError[] = [];
    try {
      env.client.decode(cur);
    } catch (e) {
      if (!(e instanceof InvalidError)) throw e;
      unknown = e.causes.filter((c) => c.type === 'Unknown');
    }
    if (unknown.length === 0) return { obj: cur, warnings };
    if (mode === 'Strict') throw new StatusError(strictDecodingStatus(info.kind, info.version, unknown));
    cur = structuredClone(cur);
    for (const u of unknown) {
      _deletePath(cur, u.field.keys());
      warnings.push(`unknown field "${u.path}"`);
    }
  }
  return { obj: cur, warnings };
}

function _warningHeaders(warnings: readonly string[], mode: WriteParams['validation']): Record<string, string> {
  if (mode !== 'Warn' || warnings.length === 0) return {};
  return { warning: warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(', ') };
}

function _kindRef(info: KindInfo): KindRef {
  return { group: info.group, kind: info.kind, apiVersion: apiVersionOf(info) };
}

async function _ensureNamespace(env: ResourceEnv, info: KindInfo, namespace: string | undefined): Promise<void> {
  if (!info.namespaced || namespace === undefined) return;
  const nsKind = SERVED_KINDS.find((k) => k.group === '' && k.plural === 'namespaces');
  if (nsKind === undefined) return;
  try {
    await env.datastore.get({ group: '', plural: 'namespaces', namespace: '', name: namespace });
  } catch (e) {
    if (e instanceof NotFoundError) throw new StatusError(status(404, 'NotFound', `namespaces "${namespace}" not found`, { name: namespace, kind: 'namespaces' }));
    throw e;
  }
}

function _generateName(env: ResourceEnv, obj: JsonObject): JsonObject {
  const meta = isObject(obj['metadata']) ? obj['metadata'] : {};
  if ((meta['name'] === undefined || meta['name'] === '') && typeof meta['generateName'] === 'string' && meta['generateName'] !== '')
    return { ...obj, metadata: { ...meta, name: `${meta['generateName']}${env.randomSuffix()}` } };
  return obj;
}

// ------------------------------------------------------------------ create / update / patch

async function _create(req: ResourceRequest, env: ResourceEnv): Promise<Response> {
  const p = _writeParams(req, undefined);
  let obj = _generateName(env, _normalize(req, await _objectBody(req)));
  obj = admit(req.info.group, req.info.kind, obj);
  const checked = _checkFields(env, req.info, obj, p.validation);
  await _ensureNamespace(env, req.info, req.namespace);
  // addresses a kind allocates at create (a Service's cluster IP) are nobody's managed fields, as in kube
  const tracked = await allocateOnCreate(env.client, req.info, trackUpdate(undefined, checked.obj, p.manager, _kindRef(req.info), env.now()));
  const name = typeof (tracked['metadata'] as JsonObject)['name'] === 'string' ? ((tracked['metadata'] as JsonObject)['name'] as string) : '';
  req.admitWrite?.(undefined, tracked);
  try {
    const r = await env.client.create(tracked, { dryRun: p.dryRun, ...(req.namespace === undefined ? {} : { defaultNamespace: req.namespace }) });
    return json(201, r.object, _warningHeaders(checked.warnings, p.validation));
  } catch (e) {
    const st = _toStatus(e, _subject(req.info, name));
    return json(st.code, st);
  }
}

async function _update(req: ResourceRequest, env: ResourceEnv): Promise<Response> {
  if (req.name === undefined) throw methodNotAllowed();
  const p = _writeParams(req, undefined);
  let obj = admit(req.info.group, req.info.kind, _normalize(req, await _objectBody(req)));
  const checked = _checkFields(env, req.info, obj, p.validation);
  const current = await env.client.get(req.info, req.namespace, req.name);
  obj = _statusRule(req, current as unknown as JsonObject, checked.obj);
  obj = trackUpdate(current as unknown as Json, obj, p.manager, _kindRef(req.info), env.now());
  obj = await allocateOnUpdate(env.client, req.info, current as unknown as JsonObject, obj);
  req.admitWrite?.(current as unknown as JsonObject, obj);
  const r = await env.client.replace(obj, { dryRun: p.dryRun, force: _force(req) });
  return json(200, r.object, _warningHeaders(checked.warnings, p.validation));
}

const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'] as const;
type PatchType = (typeof PATCH_TYPES)[number];

async function _patch(req: ResourceRequest, env: ResourceEnv): Promise<Response> {
  if (req.name === undefined) throw methodNotAllowed();
  const ct = req.contentType.split(';')[0]!.trim().toLowerCase();
  const type = PATCH_TYPES.find((t) => t === ct);
  if (type === undefined || (type === 'application/strategic-merge-patch+json' && !supportsStrategicMerge(req.info.group)))
    throw unsupportedMediaType(ct);
  const isApply = type === 'application/apply-patch+yaml';
  if (isApply && !req.query.get('fieldManager'))
    throw badRequest('PATCH, application/apply-patch+yaml requests must supply a fieldManager');
  const p = _writeParams(req, undefined);
  const text = await req.body();
  const patchBody: Json = isApply ? parseYamlBody(text, 'the applied configuration') : _parseJson(text, 'the patch');
  const force = queryBool(req.query, 'force');
  const kind = _kindRef(req.info);
  for (let attempt = 0; ; attempt++) {
    let current: StoredObject | undefined;
    try {
      current = await env.client.get(req.info, req.namespace, req.name);
    } catch (e) {
      if (!(e instanceof NotFoundError) || !isApply) throw e instanceof NotFoundError ? notFound(req.info, req.name) : e;
    }
    const base = (current === undefined ? undefined : structuredClone(current)) as unknown as JsonObject | undefined;
    let next: JsonObject;
    if (isApply) {
      const applied = _normalize(req, _asObject(patchBody, 'the applied configuration'));
      next = serverSideApply(base, applied, p.manager, force, kind, env.now()).object;
    } else {
      next = _asObject(_applyPatch(type, base ?? {}, patchBody, req.info), 'the patched object');
      next = _normalize(req, next);
      next = trackUpdate(base, next, p.manager, kind, env.now());
    }
    if (current !== undefined) next = _statusRule(req, current as unknown as JsonObject, next);
    next = admit(req.info.group, req.info.kind, next);
    const requestedRv = _rvOf(next);
    const explicitRv = requestedRv !== undefined && current !== undefined && requestedRv !== current.metadata.resourceVersion;
    const checked = _checkFields(env, req.info, next, p.validation);
    next = checked.obj;
    const headers = _warningHeaders(checked.warnings, p.validation);
    try {
      if (current === undefined) {
        await _ensureNamespace(env, req.info, req.namespace);
        const created = await allocateOnCreate(env.client, req.info, next);
        req.admitWrite?.(undefined, created);
        const r = await env.client.create(created, { dryRun: p.dryRun });
        return json(201, r.object, headers);
      }
      const meta = { ...(next['metadata'] as JsonObject), resourceVersion: explicitRv ? requestedRv! : current.metadata.resourceVersion ?? '' };
      next = await allocateOnUpdate(env.client, req.info, current as unknown as JsonObject, { ...next, metadata: meta });
      req.admitWrite?.(current as unknown as JsonObject, next);
      const r = await env.client.replace(next, { dryRun: p.dryRun, force: !isApply && force });
      return json(200, r.object, headers);
    } catch (e) {
      if (e instanceof ConflictError && !explicitRv && attempt < 5) continue;
      throw e;
    }
  }
}

function _rvOf(o: JsonObject): string | undefined {
  const m = o['metadata'];
  return isObject(m) && typeof m['resourceVersion'] === 'string' ? m['resourceVersion'] : undefined;
}

function _applyPatch(type: PatchType, base: JsonObject, patch: Json, info: KindInfo): Json {
  switch (type) {
    case 'application/json-patch+json':
      return jsonPatch(base, patch);
    case 'application/merge-patch+json':
      if (!isObject(patch)) throw badRequest('merge patch must be a JSON object');
      return mergePatch(base, patch);
    case 'application/strategic-merge-patch+json':
      return strategicMergePatch(base, patch, { group: info.group, kind: info.kind });
    case 'application/apply-patch+yaml':
      throw new PatchError('Invalid', 'apply is not a patch');
  }
}

/**
 * The status subresource rule (kube's PrepareForUpdate / status strategies): for a kind with
 * `/status`, a write to the main resource keeps the stored status, and a write to `/status`
 * changes nothing but status (metadata, spec and the rest are the stored ones; the request's
 * resourceVersion still guards the write).
 */
function _statusRule(req: ResourceRequest, current: JsonObject, next: JsonObject): JsonObject {
  if (!hasStatusSubresource(req.info)) return next;
  if (req.subresource === 'status') {
    const meta = isObject(current['metadata']) ? { ...current['metadata'] } : {};
    const rv = _rvOf(next);
    if (rv !== undefined) meta['resourceVersion'] = rv;
    const out: JsonObject = { ...current, metadata: meta };
    if (next['status'] === undefined) delete out['status'];
    else out['status'] = next['status']!;
    return out;
  }
  const out: JsonObject = { ...next };
  if (current['status'] === undefined) delete out['status'];
  else out['status'] = current['status']!;
  return out;
}

// ------------------------------------------------------------------ delete

interface DeleteOptions {
  readonly dryRun: boolean;
  readonly resourceVersion: string | undefined;
  /** `kubectl delete --force --grace-period=0` (gracePeriodSeconds 0) or `?force=true`: delete a provider-managed object anyway. */
  readonly force: boolean;
}

async function _deleteOptions(req: ResourceRequest): Promise<DeleteOptions> {
  const text = await req.body();
  let body: JsonObject = {};
  if (text.trim() !== '') body = _asObject(_parseJson(text, 'DeleteOptions'), 'DeleteOptions');
  const dryRunBody = Array.isArray(body['dryRun']) ? body['dryRun'] : [];
  const pre = isObject(body['preconditions']) ? body['preconditions'] : {};
  return {
    dryRun: req.query.getAll('dryRun').includes('All') || dryRunBody.includes('All'),
    resourceVersion: typeof pre['resourceVersion'] === 'string' ? pre['resourceVersion'] : undefined,
    force: _force(req) || body['gracePeriodSeconds'] === 0,
  };
}

/** Deleting a namespace deletes what it holds (Kubernetes' namespace controller, done at once). */
const CASCADES: ReadonlyMap<string, (env: ResourceEnv, name: string) => Promise<void>> = new Map([
  [
    '/Namespace',
    async (env: ResourceEnv, name: string) => {
      for (const k of env.served ?? SERVED_KINDS) {
        if (!k.namespaced) continue;
        const { items } = await env.datastore.list({ group: k.group, plural: k.plural, namespace: name });
        for (const o of items) {
          try {
            await env.datastore.delete({ group: k.group, plural: k.plural, namespace: name, name: o.metadata.name ?? '' });
          } catch (e) {
            if (!(e instanceof NotFoundError)) throw e;
          }
        }
      }
    },
  ],
]);

async function _delete(req: ResourceRequest, env: ResourceEnv): Promise<Response> {
  const opts = await _deleteOptions(req);
  const cascade = CASCADES.get(`${req.info.group}/${req.info.kind}`);
  const obj = await env.client.delete(req.info, req.namespace, req.name!, {
    dryRun: opts.dryRun,
    force: opts.force,
    ...(opts.resourceVersion === undefined ? {} : { resourceVersion: opts.resourceVersion }),
  });
  if (cascade && !opts.dryRun) await cascade(env, req.name!);
  if (deleteReturnsObject(req.info)) return json(200, obj);
  return json(
    200,
    successStatus({ name: req.name!, ...(req.info.group ? { group: req.info.group } : {}), kind: req.info.plural, ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}) }),
  );
}

async function _deleteCollection(req: ResourceRequest, env: ResourceEnv): Promise<Response> {
  const opts = await _deleteOptions(req);
  const { labels, fields } = _selectors(req);
  const res = await env.client.list(req.info, { ...(req.namespace === undefined ? {} : { namespace: req.namespace }), ...(labels === undefined ? {} : { labels }) });
  const deleted: StoredObject[] = [];
  for (const o of res.items) {
    if (fields !== undefined && !fields(o)) continue;
    try {
      deleted.push(await env.client.delete(req.info, o.metadata.namespace, o.metadata.name ?? '', { dryRun: opts.dryRun, force: opts.force }));
    } catch (e) {
      // Gone meanwhile, a read-only derived object (knp.default.*) or a provider-managed one: skip it.
      if (!(e instanceof NotFoundError) && !(e instanceof ForbiddenError) && !(e instanceof ProviderManagedError)) throw e;
    }
  }
  return json(200, { kind: `${req.info.kind}List`, apiVersion: apiVersionOf(req.info), metadata: { resourceVersion: res.revision }, items: deleted });
}
