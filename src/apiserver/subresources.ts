/**
 * @module The subresources beyond `status`, and SelfSubjectAccessReview:
 *
 * - `deployments/scale`, `replicasets/scale` (autoscaling/v1 Scale: GET, PUT, merge PATCH), as
 *   `kubectl scale` uses them;
 * - `pods/log` (`kubectl logs`: container, tailLines, limitBytes, follow), read through the
 *   PodRuntime port;
 * - `pods/exec`, `pods/attach` without a WebSocket upgrade: 400 "Upgrade request required", as
 *   kube-apiserver answers (the upgrade itself is exec-ws.ts);
 * - `selfsubjectaccessreviews` (create only): the caller's own permissions, by the same
 *   authorize() that guards every request, so `kubectl auth can-i` tells the truth.
 *
 * Every failure is a Status; nothing here throws past the caller's toStatus.
 */
import { ConflictError, NotFoundError, type StoredObject } from '../datastore/index.js';
import type { ResourceClient } from '../client/index.js';
import type { KindInfo } from '../model/kind-info.js';
import { kindFor } from '../model/kinds.js';
import { authorize, type User } from './auth.js';
import { isRefusal, type PodRuntime } from './pod-runtime.js';
import { json } from './resources.js';
import { status, toStatus, type FailureStatus as Status } from './status.js';
import { formatLabelSelector } from './tables.js';

export interface SubresourceEnv {
  readonly client: ResourceClient;
  readonly podRuntime?: PodRuntime | undefined;
}

export interface SubresourceRequest {
  readonly method: string;
  readonly info: KindInfo;
  readonly namespace: string | undefined;
  readonly name: string;
  readonly sub: string;
  readonly query: URLSearchParams;
  readonly contentType: string;
  readonly body: () => Promise<string>;
  readonly user: User;
  readonly signal: AbortSignal;
}

/** The subresources served, per `group/plural`. */
const SUBRESOURCES: ReadonlyMap<string, readonly string[]> = new Map([
  ['apps/deployments', ['scale']],
  ['apps/replicasets', ['scale']],
  ['/pods', ['log', 'exec', 'attach']],
]);

export function servesSubresource(info: KindInfo, sub: string): boolean {
  return SUBRESOURCES.get(`${info.group}/${info.plural}`)?.includes(sub) === true;
}

/** The RBAC verb of a subresource request (exec and attach create a session). */
export function subresourceVerb(method: string, sub: string): string {
  if (sub === 'exec' || sub === 'attach') return 'create';
  switch (method) {
    case 'GET':
    case 'HEAD':
      return 'get';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    default:
      return method.toLowerCase();
  }
}

const _fail = (st: Status): Response => json(st.code, st);

export async function handleSubresource(req: SubresourceRequest, env: SubresourceEnv): Promise<Response> {
  const denied = authorize(req.user, subresourceVerb(req.method, req.sub), { group: req.info.group, plural: `${req.info.plural}/${req.sub}`, namespace: req.namespace, name: req.name });
  if (denied) return _fail(denied);
  try {
    switch (req.sub) {
      case 'scale':
        return await _scale(req, env);
      case 'log':
        return await _log(req, env);
      case 'exec':
      case 'attach':
        return _fail(status(400, 'BadRequest', 'Upgrade request required'));
      default:
        return _fail(status(404, 'NotFound', 'the server could not find the requested resource'));
    }
  } catch (e) {
    const st = toStatus(e, { group: req.info.group, plural: req.info.plural, kind: req.info.kind, name: req.name });
    return _fail(st);
  }
}

// ------------------------------------------------------------------ scale

function _scaleOf(o: StoredObject): Record<string, unknown> {
  const spec = (o as unknown as { spec?: { replicas?: number; selector?: unknown } }).spec ?? {};
  const st = (o as unknown as { status?: { replicas?: number } }).status ?? {};
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: o.metadata.name, namespace: o.metadata.namespace, uid: o.metadata.uid, resourceVersion: o.metadata.resourceVersion, creationTimestamp: o.metadata.creationTimestamp },
    spec: { replicas: spec.replicas ?? 0 },
    status: { replicas: st.replicas ?? 0, selector: formatLabelSelector(spec.selector).replace(/^<none>$/, '') },
  };
}

function _replicasFrom(text: string, name: string): { replicas: number; resourceVersion?: string } | Status {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return status(400, 'BadRequest', `couldn't get version/kind; json parse error: ${e instanceof Error ? e.message : String(e)}`);
  }
  const spec = typeof v === 'object' && v !== null && Object.prototype.hasOwnProperty.call(v, 'spec') ? (v as { spec: unknown }).spec : undefined;
  const r = typeof spec === 'object' && spec !== null && Object.prototype.hasOwnProperty.call(spec, 'replicas') ? (spec as { replicas: unknown }).replicas : undefined;
  const meta = typeof v === 'object' && v !== null && Object.prototype.hasOwnProperty.call(v, 'metadata') ? (v as { metadata: unknown }).metadata : undefined;
  const rv = typeof meta === 'object' && meta !== null && Object.prototype.hasOwnProperty.call(meta, 'resourceVersion') ? (meta as { resourceVersion: unknown }).resourceVersion : undefined;
  if (typeof r !== 'number' || !Number.isInteger(r) || r < 0 || r > 2 ** 31 - 1)
    return status(422, 'Invalid', `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(r ?? null)}: must be greater than or equal to 0`, {
      name,
      group: 'autoscaling',
      kind: 'Scale',
      causes: [{ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(r ?? null)}: must be greater than or equal to 0`, field: 'spec.replicas' }],
    });
  return { replicas: r, ...(typeof rv === 'string' && rv !== '' ? { resourceVersion: rv } : {}) };
}

async function _scale(req: SubresourceRequest, env: SubresourceEnv): Promise<Response> {
  if (req.method === 'GET' || req.method === 'HEAD') return json(200, _scaleOf(await env.client.get(req.info, req.namespace, req.name)));
  if (req.method !== 'PUT' && req.method !== 'PATCH') return _fail(status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'));
  if (req.method === 'PATCH' && /json-patch/.test(req.contentType))
    return _fail(status(415, 'UnsupportedMediaType', `the scale subresource takes merge patches; ${req.contentType} is not supported`));
  const want = _replicasFrom(await req.body(), req.name);
  if ('kind' in want) return _fail(want);
  const dryRun = req.query.getAll('dryRun').includes('All');
  const r = await env.client.modify(
    req.info,
    req.namespace,
    req.name,
    (o) => {
      const meta = o['metadata'] as { resourceVersion?: string };
      if (want.resourceVersion !== undefined && meta.resourceVersion !== want.resourceVersion) throw new ConflictError({ group: req.info.group, plural: req.info.plural, namespace: req.namespace ?? '', name: req.name });
      return { ...o, spec: { ...(o['spec'] as object), replicas: want.replicas } };
    },
    { dryRun },
  );
  return json(200, _scaleOf(r.object));
}

// ------------------------------------------------------------------ pods: log

const POD = kindFor('v1', 'Pod')!;
/** Most bytes one `kubectl logs` (without -f) returns: kube has no cap, the lab's logs are small. */
const MAX_LOG_BYTES = 8 * 1024 * 1024;

/** The pod and the container a log/exec/attach request is about, or the Status kube answers. */
export async function podTarget(client: ResourceClient, namespace: string, name: string, container: string | null): Promise<{ pod: StoredObject; container: string } | Status> {
  let pod: StoredObject;
  try {
    pod = await client.get(POD, namespace, name);
  } catch (e) {
    if (e instanceof NotFoundError) return status(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' });
    throw e;
  }
  const containers = ((pod as unknown as { spec?: { containers?: { name?: string }[] } }).spec?.containers ?? []).map((c) => c.name ?? '');
  const chosen = container ?? containers[0] ?? '';
  if (!containers.includes(chosen)) return status(400, 'BadRequest', `container ${chosen} is not valid for pod ${name}`);
  const nodeName = (pod as unknown as { spec?: { nodeName?: string } }).spec?.nodeName;
  if (nodeName === undefined || nodeName === '') return status(400, 'BadRequest', `pod ${name} does not have a host assigned`);
  return { pod, container: chosen };
}

function _noRuntime(name: string): Status {
  return status(503, 'ServiceUnavailable', `pod ${name} runs on no node this API server can reach: no lab is attached (start the cluster with "tabby up" as root to run pods in the lab)`);
}

function _intParam(q: URLSearchParams, key: string): number | undefined | Status {
  const v = q.get(key);
  if (v === null) return undefined;
  if (!/^-?\d+$/.test(v)) return status(400, 'BadRequest', `${key}: Invalid value: "${v}": must be an integer`);
  const n = Number(v);
  if (n < 0) return status(422, 'Invalid', `PodLogOptions "" is invalid: ${key}: Invalid value: ${n}: must be greater than or equal to 0`);
  return n;
}

function _tail(text: Uint8Array, lines: number): Uint8Array {
  if (lines === 0) return new Uint8Array(0);
  let end = text.length;
  if (end > 0 && text[end - 1] === 10) end--;
  let seen = 0;
  for (let i = end - 1; i >= 0; i--) if (text[i] === 10 && ++seen === lines) return text.subarray(i + 1);
  return text;
}

async function _log(req: SubresourceRequest, env: SubresourceEnv): Promise<Response> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return _fail(status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'));
  const tailLines = _intParam(req.query, 'tailLines');
  const limitBytes = _intParam(req.query, 'limitBytes');
  if (typeof tailLines === 'object') return _fail(tailLines);
  if (typeof limitBytes === 'object') return _fail(limitBytes);
  const ns = req.namespace ?? 'default';
  const t = await podTarget(env.client, ns, req.name, req.query.get('container'));
  if ('kind' in t) return _fail(t);
  if (req.query.get('previous') === 'true') return _fail(status(400, 'BadRequest', `previous terminated container "${t.container}" in pod "${req.name}" not found`));
  const rt = env.podRuntime;
  if (rt === undefined) return _fail(_noRuntime(req.name));
  // Everything written so far (bounded), then tail/limit as the kubelet applies them.
  const parts: Uint8Array[] = [];
  let offset = 0;
  let total = 0;
  let running: boolean;
  for (;;) {
    const c = await rt.readLog(t.pod, t.container, offset);
    if (isRefusal(c)) return _fail(status(c.code, c.reason, c.message));
    running = c.running;
    if (c.data.length === 0) break;
    parts.push(c.data);
    total += c.data.length;
    offset = c.next;
    if (total > MAX_LOG_BYTES) break;
  }
  let body: Uint8Array = Buffer.concat(parts);
  if (body.length > MAX_LOG_BYTES) body = body.subarray(body.length - MAX_LOG_BYTES);
  if (tailLines !== undefined) body = _tail(body, tailLines);
  if (limitBytes !== undefined && body.length > limitBytes) body = body.subarray(0, limitBytes);
  const follow = req.query.get('follow') === 'true' && running && limitBytes === undefined;
  const headers = { 'content-type': 'text/plain' };
  if (!follow) return new Response(body, { status: 200, headers });
  // Follow: keep reading what the container appends until it stops or the client goes.
  const signal = req.signal;
  const stream = new ReadableStream<Uint8Array>({
    async start(ctl) {
      if (body.length > 0) ctl.enqueue(body);
      let at = offset;
      try {
        while (!signal.aborted) {
          const c = await rt.readLog(t.pod, t.container, at);
          if (isRefusal(c)) break;
          if (c.data.length > 0) ctl.enqueue(c.data);
          at = c.next;
          if (!c.running && c.data.length === 0) break;
          if (c.data.length === 0) await new Promise((r) => setTimeout(r, 200));
        }
      } finally {
        try {
          ctl.close();
        } catch {
          // the client is gone
        }
      }
    },
  });
  return new Response(stream, { status: 200, headers });
}

// ------------------------------------------------------------------ SelfSubjectAccessReview

export async function handleAccessReview(method: string, user: User, body: () => Promise<string>, env: SubresourceEnv): Promise<Response> {
  if (method !== 'POST') return _fail(status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'));
  let d;
  try {
    d = env.client.decode(JSON.parse(await body()));
  } catch (e) {
    if (e instanceof SyntaxError) return _fail(status(400, 'BadRequest', `couldn't get version/kind; json parse error: ${e.message}`));
    return _fail(toStatus(e, { group: 'authorization.k8s.io', plural: 'selfsubjectaccessreviews', kind: 'SelfSubjectAccessReview' }));
  }
  if (d.info.kind !== 'SelfSubjectAccessReview')
    return _fail(status(400, 'BadRequest', `the body names ${d.info.kind}; this endpoint takes authorization.k8s.io/v1 SelfSubjectAccessReview`));
  const spec = (d.resource as unknown as { spec?: { resourceAttributes?: Record<string, string>; nonResourceAttributes?: Record<string, string> } }).spec ?? {};
  const ra = spec.resourceAttributes;
  const verb = ra?.['verb'] ?? spec.nonResourceAttributes?.['verb'] ?? '';
  const plural = ra === undefined ? '' : ra['subresource'] ? `${ra['resource'] ?? ''}/${ra['subresource']}` : (ra['resource'] ?? '');
  const refused =
    ra === undefined
      ? user.readOnly && verb !== 'get'
        ? status(403, 'Forbidden', 'read-only')
        : undefined
      : authorize(user, verb === '*' ? 'update' : verb, { group: ra['group'] ?? '', plural, namespace: ra['namespace'] || undefined, name: ra['name'] || undefined });
  const allowed = refused === undefined;
  const reason =
    user.rules !== undefined
      ? `Tabby: ${allowed ? 'a rule bound to' : 'no rule bound to'} ${user.name} allows ${verb}`
      : allowed
        ? user.readOnly
          ? `Tabby: the read-only token may ${verb}`
          : 'Tabby: the admin token may do everything'
        : `Tabby: the read-only token (${user.name}) may only get, list and watch`;
  const meta = d.resource.metadata ?? {};
  return json(201, {
    kind: 'SelfSubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null, ...(meta.name ? { name: meta.name } : {}) },
    spec,
    status: { allowed, ...(allowed ? {} : { denied: false }), reason },
  });
}
