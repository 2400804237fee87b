/**
 * @module A read-only Kubernetes API over the live view of a cluster (live.ts), as a fetch
 * handler: what `tabby dashboard --kubeconfig` answers the dashboard's reads with (the
 * dashboard's watch multiplexer lists and watches through it, in-process).
 *
 * - GET lists, items and watches (`?watch=1`) of every kind of the model's registry, at their
 *   ordinary paths (`/api/v1/pods`, `/apis/projectcalico.org/v3/namespaces/ns/networkpolicies/x`).
 *   Calico's kinds are always served as `projectcalico.org/v3`: on a cluster with Calico's CRDs
 *   they are translated as the reader translates them (kddToV3: KDD names, the
 *   `projectcalico.org/metadata` annotation). Objects the cluster derives (reader.ts,
 *   derivedByCluster) are left out, as the reader leaves them out; kinds the reader does not read
 *   (or the cluster does not serve) are empty lists.
 * - resourceVersions are the live view's own sequence numbers plus one (a list's is the newest
 *   change it includes; an event's is its change), so a watch resumes from a list or an event
 *   exactly; one from a change no longer kept is answered 410 Expired (list again), as Kubernetes
 *   does. (Plus one: "0" keeps its Kubernetes meaning for a watch, "from now, the current objects
 *   first, as ADDED".)
 * - `/api` and `/apis` (discovery) describe what is served.
 * - Every other method answers 405 MethodNotAllowed with a Status naming the read-only mode; the
 *   cluster is never written.
 *
 * Bounds: a watch ends after its timeoutSeconds (at most 30 min); a follower that does not read
 * its stream is cut off once `maxQueued` events wait for it (it lists again, as after a 410).
 */
import { ALL_KINDS } from '../../model/kinds.js';
import type { KindInfo } from '../../model/kind-info.js';
import { kddToV3 } from '../../model/convert/index.js';
import type { LiveChange, LiveCluster } from './live.js';
import { cleanListed, derivedByCluster } from './reader.js';
import { CALICO_CRD, CALICO_V3, type ReadType } from './read-set.js';

type Obj = Record<string, unknown>;
const _obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});

export interface ReadOnlyApiOptions {
  /** `cluster https://… (crd.projectcalico.org/v1)`: named in the 405 Status. */
  readonly origin: string;
  /** Events queued for one watch before it is cut off (default 10,000). */
  readonly maxQueued?: number;
  /** Interval of BOOKMARK events on watches that ask for them (default 30 s). */
  readonly bookmarkMs?: number;
}

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' };

function _status(code: number, reason: string, message: string, extra: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }), { status: code, headers: { ...JSON_HEADERS, ...extra } });
}

const _json = (body: unknown): Response => new Response(JSON.stringify(body), { status: 200, headers: JSON_HEADERS });

/** The kind at `group/version/plural` in the model's registry. */
function _kind(group: string, version: string, plural: string): KindInfo | undefined {
  return ALL_KINDS.find((k) => k.group === group && k.version === version && k.plural === plural);
}

interface _Target {
  readonly kind: KindInfo;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
}

/** `/api/v1/…` or `/apis/g/v/…` → kind, namespace, name; undefined for any other path. */
function _parse(path: string): _Target | undefined {
  const segs = path.split('/').slice(1).map((s) => decodeURIComponent(s));
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === 'api' && segs.length >= 3) [group, version, rest] = ['', segs[1]!, segs.slice(2)];
  else if (segs[0] === 'apis' && segs.length >= 4) [group, version, rest] = [segs[1]!, segs[2]!, segs.slice(3)];
  else return undefined;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1]!;
    rest = rest.slice(2);
  }
  if (rest.length < 1 || rest.length > 2 || rest.some((s) => s === '')) return undefined;
  const kind = _kind(group, version, rest[0]!);
  if (kind === undefined || (namespace !== undefined && !kind.namespaced)) return undefined;
  return { kind, namespace, name: rest[1] };
}

export function createReadOnlyApi(live: LiveCluster, o: ReadOnlyApiOptions): (req: Request) => Promise<Response> {
  const crd = live.discovery.calicoApi === CALICO_CRD;
  /** The read type behind a served kind (Calico's from the CRDs on a CRD cluster). */
  const source = (k: KindInfo): ReadType | undefined => (k.group === CALICO_V3 && crd ? live.typeOf(CALICO_CRD, k.plural) : live.typeOf(k.group, k.plural));

  /** The object as served: cleaned, in v3 form, with `rv` as its resourceVersion; undefined when derived. */
  const view = (t: ReadType, raw: Obj, rv: number): Obj | undefined => {
    if (derivedByCluster(t, raw)) return undefined;
    let o = cleanListed(t, raw);
    if (t.group === CALICO_CRD) {
      const v3 = kddToV3(o);
      if (v3.ok) o = _obj(v3.value);
    }
    return { ...o, metadata: { ..._obj(o['metadata']), resourceVersion: String(rv + 1) } };
  };
  const nsOf = (o: Obj): string => String(_obj(o['metadata'])['namespace'] ?? '');
  const nameOf = (o: Obj): string => String(_obj(o['metadata'])['name'] ?? '');

  const discovery = (core: boolean): Response => {
    if (core) return _json({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
    const groups = new Map<string, string>();
    for (const k of ALL_KINDS) if (k.group !== '' && (k.group === CALICO_V3 ? live.discovery.calicoApi !== 'none' : live.typeOf(k.group, k.plural) !== undefined)) groups.set(k.group, k.version);
    return _json({
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...groups].map(([name, version]) => ({ name, versions: [{ groupVersion: `${name}/${version}`, version }], preferredVersion: { groupVersion: `${name}/${version}`, version } })),
    });
  };

  const watch = (req: Request, url: URL, k: KindInfo, t: ReadType | undefined, ns: string | undefined): Response => {
    const from = url.searchParams.get('resourceVersion') ?? '';
    const timeout = Math.min(Math.max(Number(url.searchParams.get('timeoutSeconds') ?? '1800') || 1800, 1), 1800);
    const bookmarks = url.searchParams.get('allowWatchBookmarks') === 'true';
    const enc = new TextEncoder();
    const maxQueued = o.maxQueued ?? 10_000;
    let ctrl!: ReadableStreamDefaultController<Uint8Array>;
    let done = false;
    const cleanup: (() => void)[] = [];
    const end = (): void => {
      if (done) return;
      done = true;
      for (const f of cleanup) f();
      try {
        ctrl.close();
      } catch {
        // the reader went away
      }
    };
    /** Events of the first part of the stream (the current objects, or the kept changes): not counted against maxQueued. */
    let replayed = 0;
    const send = (ev: object): void => {
      if (done) return;
      if ((ctrl.desiredSize ?? 0) < -(maxQueued + replayed)) {
        ctrl.enqueue(enc.encode(`${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410, message: 'the watch fell behind; list again' } })}\n`));
        end();
        return;
      }
      ctrl.enqueue(enc.encode(`${JSON.stringify(ev)}\n`));
    };
    const matches = (c: LiveChange): boolean => t !== undefined && c.readType === t && (ns === undefined || nsOf(c.object) === ns);
    const emit = (c: LiveChange): void => {
      if (!matches(c)) return;
      const v = view(c.readType, c.object, c.seq);
      if (v !== undefined) send({ type: c.type, object: v });
    };
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        ctrl = c;
        const seq = live.seq;
        if (from === '' || from === '0') {
          for (const raw of t === undefined ? [] : live.items(t)) {
            if (ns !== undefined && nsOf(raw) !== ns) continue;
            const v = view(t!, raw, seq);
            if (v !== undefined) send({ type: 'ADDED', object: v });
          }
        } else {
          const n = /^\d{1,15}$/.test(from) ? Number(from) - 1 : NaN;
          const past = Number.isNaN(n) || n > seq ? undefined : live.changesSince(n);
          if (past === undefined) {
            send({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410, message: `too old resource version: ${from} (${seq + 1})` } });
            end();
            return;
          }
          for (const ch of past) emit(ch);
        }
        replayed = -(ctrl.desiredSize ?? 0);
        cleanup.push(live.subscribe(emit));
        const timer = setTimeout(end, timeout * 1000);
        cleanup.push(() => clearTimeout(timer));
        if (bookmarks) {
          const b = setInterval(() => send({ type: 'BOOKMARK', object: { kind: k.kind, apiVersion: k.group === '' ? k.version : `${k.group}/${k.version}`, metadata: { resourceVersion: String(live.seq + 1) } } }), o.bookmarkMs ?? 30_000);
          cleanup.push(() => clearInterval(b));
        }
        const onAbort = (): void => end();
        req.signal.addEventListener('abort', onAbort, { once: true });
        cleanup.push(() => req.signal.removeEventListener('abort', onAbort));
      },
      cancel() {
        done = true;
        for (const f of cleanup) f();
      },
    });
    return new Response(stream, { status: 200, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } });
  };

  return async (req) => {
    const url = new URL(req.url);
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return _status(405, 'MethodNotAllowed', `read-only: tabby dashboard shows ${o.origin} and does not change it; ${req.method} ${path} is not allowed (change the cluster with kubectl)`, { allow: 'GET, HEAD' });
    if (path === '/api' || path === '/apis') return discovery(path === '/api');
    if (path.startsWith('/apis/tabby.dev/'))
      return _status(404, 'NotFound', `${o.origin} has no Tabby agents, so no flow records: the flows API is Tabby's own cluster's (tabby up)`);
    let target: _Target | undefined;
    try {
      target = _parse(path);
    } catch {
      target = undefined; // a malformed %-escape
    }
    if (target === undefined) return _status(404, 'NotFound', `the server could not find the requested resource (${path})`);
    const { kind: k, namespace: ns, name } = target;
    const t = source(k);
    const w = url.searchParams.get('watch');
    if (name === undefined && (w === '1' || w === 'true')) return watch(req, url, k, t, ns);
    const seq = live.seq;
    const items: Obj[] = [];
    for (const raw of t === undefined ? [] : live.items(t)) {
      if (ns !== undefined && nsOf(raw) !== ns) continue;
      const v = view(t!, raw, seq);
      // (the name is the served one: a KDD policy `default.foo` is served as `foo`)
      if (v !== undefined && (name === undefined || nameOf(v) === name)) items.push(v);
    }
    if (name !== undefined) {
      const found = items.find((v) => nameOf(v) === name);
      if (found === undefined) return _status(404, 'NotFound', `${k.plural}${k.group === '' ? '' : `.${k.group}`} "${name}" not found`);
      return _json(found);
    }
    items.sort((a, b) => {
      const ka = `${nsOf(a)}/${nameOf(a)}`;
      const kb = `${nsOf(b)}/${nameOf(b)}`;
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
    return _json({ kind: `${k.kind}List`, apiVersion: k.group === '' ? k.version : `${k.group}/${k.version}`, metadata: { resourceVersion: String(seq + 1) }, items });
  };
}
