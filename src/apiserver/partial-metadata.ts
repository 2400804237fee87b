/**
 * @module PartialObjectMetadata negotiation (`meta.k8s.io`): a GET whose Accept asks for
 * `application/json;as=PartialObjectMetadata[List];g=meta.k8s.io;v=v1` (client-go's metadata
 * client, metadata-only informers) gets only each object's metadata, as kube-apiserver answers —
 * for a get, a list and every event of a watch. Applied to the finished response, so the resource
 * handlers stay unaware of it. Status bodies (errors, ERROR events) pass through unchanged.
 *
 * Accept ranges are taken in order: the first this server can produce wins, so a client that
 * lists protobuf first and JSON PartialObjectMetadata second gets the latter, and one asking for
 * a Table first gets the Table.
 */

export interface PartialMetadataRequest {
  /** `meta.k8s.io/v1` or `meta.k8s.io/v1beta1`. */
  readonly apiVersion: string;
}

/** The PartialObjectMetadata form the Accept header asks for first, or undefined. */
export function partialMetadataRequest(accept: string): PartialMetadataRequest | undefined {
  for (const range of accept.split(',')) {
    const [type, ...params] = range.split(';').map((s) => s.trim());
    const p = new Map(params.map((x) => [x.split('=')[0]!.trim(), (x.split('=')[1] ?? '').trim()] as const));
    const as = p.get('as');
    if (type !== 'application/json' && type !== '*/*' && type !== 'application/*') continue;
    if (as === undefined) return undefined; // plain JSON comes first: the full object
    if (as === 'Table') return undefined;
    if ((as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') && p.get('g') === 'meta.k8s.io') {
      const v = p.get('v');
      if (v === 'v1' || v === 'v1beta1') return { apiVersion: `meta.k8s.io/${v}` };
    }
  }
  return undefined;
}

type Json = Record<string, unknown>;

const _isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function _partial(o: unknown, apiVersion: string): unknown {
  if (!_isObject(o) || o['kind'] === 'Status' || !_isObject(o['metadata'])) return o;
  return { kind: 'PartialObjectMetadata', apiVersion, metadata: o['metadata'] };
}

function _body(doc: Json, apiVersion: string): Json {
  if (doc['kind'] === 'Status') return doc;
  if (Array.isArray(doc['items'])) {
    return { kind: 'PartialObjectMetadataList', apiVersion, metadata: doc['metadata'] ?? {}, items: doc['items'].map((i) => _partial(i, apiVersion)) };
  }
  return _partial(doc, apiVersion) as Json;
}

function _contentType(kind: 'PartialObjectMetadata' | 'PartialObjectMetadataList', apiVersion: string): string {
  return `application/json;as=${kind};g=meta.k8s.io;v=${apiVersion.slice('meta.k8s.io/'.length)}`;
}

/** Rewrites a successful JSON response (a single body, or a watch's newline-delimited events). */
export async function toPartialMetadata(res: Response, req: PartialMetadataRequest, watch: boolean): Promise<Response> {
  if (res.status < 200 || res.status > 299 || !/^application\/json\b/.test(res.headers.get('content-type') ?? '') || res.body === null) return res;
  const headers = new Headers(res.headers);
  if (!watch) {
    const doc: unknown = JSON.parse(await res.text());
    if (!_isObject(doc)) return new Response(JSON.stringify(doc), { status: res.status, headers });
    const out = _body(doc, req.apiVersion);
    if (out['kind'] === 'PartialObjectMetadata' || out['kind'] === 'PartialObjectMetadataList') headers.set('content-type', _contentType(out['kind'], req.apiVersion));
    return new Response(JSON.stringify(out), { status: res.status, headers });
  }
  headers.set('content-type', _contentType('PartialObjectMetadata', req.apiVersion));
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let pending = '';
  const rewrite = (line: string): string => {
    const ev: unknown = JSON.parse(line);
    if (!_isObject(ev) || ev['type'] === 'ERROR') return line;
    return JSON.stringify({ ...ev, object: _partial(ev['object'], req.apiVersion) });
  };
  const lines = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, ctl) {
      pending += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line.trim() !== '') ctl.enqueue(encoder.encode(`${rewrite(line)}\n`));
      }
    },
    flush(ctl) {
      if (pending.trim() !== '') ctl.enqueue(encoder.encode(`${rewrite(pending)}\n`));
    },
  });
  return new Response(res.body.pipeThrough(lines), { status: res.status, headers });
}
