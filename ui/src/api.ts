/**
 * The dashboard's only way to the server: the Kubernetes API (with the bearer token from the
 * login page) and the dashboard endpoints under /ui/api (src/web).
 */
import { kindFor } from '../../src/model/kinds.js';
import type { FlowDropCounters, FlowRecord } from '../../src/model/flows.js';
import { ndjsonLines, type ApiObject, type DashboardEvent, type DeniedResponse } from '../../src/web/protocol.js';

const TOKEN_KEY = 'tabby.token';

export const getToken = (): string | null => sessionStorage.getItem(TOKEN_KEY);
export const setToken = (t: string | null): void => (t === null ? sessionStorage.removeItem(TOKEN_KEY) : sessionStorage.setItem(TOKEN_KEY, t));

export class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

async function call(method: string, path: string, body?: unknown, token = getToken()): Promise<unknown> {
  const res = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${token ?? ''}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON
  }
  if (!res.ok) {
    const msg = typeof parsed === 'object' && parsed !== null && typeof (parsed as { message?: unknown }).message === 'string' ? (parsed as { message: string }).message : `HTTP ${res.status}`;
    throw new ApiError(res.status, msg);
  }
  return parsed;
}

/** Checks a token against the API (any authenticated read). */
export async function checkToken(token: string): Promise<void> {
  await call('GET', '/api', undefined, token);
}

function objectPath(o: { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } }): { collection: string; item: string } {
  const info = kindFor(String(o.apiVersion ?? ''), String(o.kind ?? ''));
  if (info === undefined) throw new Error(`unknown kind ${String(o.apiVersion)}/${String(o.kind)}`);
  const base = info.group === '' ? `/api/${info.version}` : `/apis/${info.group}/${info.version}`;
  const ns = info.namespaced ? `/namespaces/${encodeURIComponent(String(o.metadata?.namespace ?? 'default'))}` : '';
  const collection = `${base}${ns}/${info.plural}`;
  return { collection, item: `${collection}/${encodeURIComponent(String(o.metadata?.name ?? ''))}` };
}

/** Create or replace (kubectl apply without the merge): PUT with the current resourceVersion, or POST. */
export async function applyObject(raw: Record<string, unknown>): Promise<string> {
  const { collection, item } = objectPath(raw);
  let current: ApiObject | undefined;
  try {
    current = (await call('GET', item)) as ApiObject;
  } catch (e) {
    if (!(e instanceof ApiError && e.code === 404)) throw e;
  }
  const meta = { ...((raw['metadata'] as Record<string, unknown> | undefined) ?? {}) };
  if (current === undefined) {
    delete meta['resourceVersion'];
    await call('POST', collection, { ...raw, metadata: meta });
    return 'created';
  }
  meta['resourceVersion'] = current.metadata.resourceVersion;
  await call('PUT', item, { ...raw, metadata: meta });
  return 'replaced';
}

export async function deleteObject(raw: Record<string, unknown>): Promise<void> {
  await call('DELETE', objectPath(raw).item);
}

/** The flows API (src/apiserver/flows.ts): closed windows' records, newest first, and the drop counters. */
export async function readFlows(params: URLSearchParams): Promise<{ items: FlowRecord[]; drops: FlowDropCounters | undefined }> {
  const q = params.toString();
  const r = (await call('GET', `/apis/tabby.dev/v1/flows${q === '' ? '' : `?${q}`}`)) as { items?: unknown; drops?: unknown };
  return { items: Array.isArray(r.items) ? (r.items as FlowRecord[]) : [], drops: typeof r.drops === 'object' && r.drops !== null ? (r.drops as FlowDropCounters) : undefined };
}

export async function readDenied(cursor: string): Promise<DeniedResponse> {
  return (await call('GET', `/ui/api/denied${cursor === '' ? '' : `?cursor=${encodeURIComponent(cursor)}`}`)) as DeniedResponse;
}

/**
 * Follows `/ui/api/watch` until `signal` aborts, reconnecting (after a pause that grows to 10 s)
 * when the stream ends. `onEvent` sees each event; `onState` the connection state.
 */
export async function followWatch(signal: AbortSignal, onEvent: (ev: DashboardEvent) => void, onState: (s: 'connecting' | 'live' | 'unauthorized' | 'offline') => void): Promise<void> {
  let pause = 500;
  while (!signal.aborted) {
    onState('connecting');
    try {
      const res = await fetch('/ui/api/watch', { headers: { authorization: `Bearer ${getToken() ?? ''}` }, signal });
      if (res.status === 401) {
        onState('unauthorized');
        return;
      }
      if (!res.ok || res.body === null) throw new Error(`HTTP ${res.status}`);
      for await (const line of ndjsonLines(res.body)) {
        const ev = JSON.parse(line) as DashboardEvent;
        if (ev.type === 'READY') {
          onState('live');
          pause = 500;
        }
        onEvent(ev);
      }
    } catch {
      if (signal.aborted) return;
    }
    onState('offline');
    await new Promise((r) => setTimeout(r, pause));
    pause = Math.min(pause * 2, 10_000);
  }
}
