/**
 * @module `GET /ui/api/watch`: every dashboard type listed, then watched, over the API server's
 * own list and watch endpoints (called in-process through `apiFetch` with the caller's
 * Authorization header, so authentication, RBAC and watch semantics are exactly kubectl's), as
 * one newline-delimited JSON stream of DashboardEvents.
 *
 * - SYNC per type (the full list), then READY, then ADDED/MODIFIED/DELETED as they happen.
 * - A watch that ends (its timeout) is resumed from the last resourceVersion seen (bookmarks
 *   included); one that reports 410 Expired is replaced by a fresh list (a new SYNC).
 * - Ends when the client goes away or the server shuts down. Failing watches are retried at
 *   most once a second.
 */
import { apiVersionOfType, ndjsonLines, collectionPath, DASHBOARD_TYPES, type ApiObject, type DashboardEvent, type DashboardType } from './protocol.js';

export type ApiFetch = (req: Request) => Promise<Response>;

const ORIGIN = 'http://tabby.internal';
const WATCH_TIMEOUT_S = 600;
const PING_MS = 20_000;
const RETRY_MS = 1_000;

function _withKind(t: DashboardType, o: ApiObject): ApiObject {
  return o.kind && o.apiVersion ? o : { ...o, apiVersion: o.apiVersion || apiVersionOfType(t), kind: o.kind || t.kind };
}

class _HttpError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

async function _list(apiFetch: ApiFetch, auth: string, t: DashboardType, signal: AbortSignal): Promise<{ items: ApiObject[]; resourceVersion: string }> {
  const res = await apiFetch(new Request(`${ORIGIN}${collectionPath(t)}`, { headers: { authorization: auth, accept: 'application/json' }, signal }));
  const body = (await res.json()) as { items?: ApiObject[]; metadata?: { resourceVersion?: string }; message?: string };
  if (!res.ok) throw new _HttpError(res.status, body.message ?? `list ${t.id}: HTTP ${res.status}`);
  return { items: (body.items ?? []).map((o) => _withKind(t, o)), resourceVersion: body.metadata?.resourceVersion ?? '0' };
}

const _sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((ok) => {
    const t = setTimeout(ok, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      ok();
    }, { once: true });
  });

/** The multiplexed stream, as a Response (401 when the first list is refused). */
export async function watchAll(apiFetch: ApiFetch, authorization: string, clientSignal: AbortSignal, shutdown: AbortSignal, readOnly?: string): Promise<Response> {
  const stop = new AbortController();
  // Whichever ends the stream first removes both listeners (the server's shutdown signal lives
  // as long as the server: a listener left per closed dashboard session would pile up).
  const end = (): void => {
    clientSignal.removeEventListener('abort', end);
    shutdown.removeEventListener('abort', end);
    stop.abort();
  };
  clientSignal.addEventListener('abort', end, { once: true });
  shutdown.addEventListener('abort', end, { once: true });
  const signal = stop.signal;

  // List everything first, so a bad token is a plain 401 rather than a stream error.
  const first: { t: DashboardType; items: ApiObject[]; resourceVersion: string }[] = [];
  try {
    for (const t of DASHBOARD_TYPES) first.push({ t, ...(await _list(apiFetch, authorization, t, signal)) });
  } catch (e) {
    end();
    const code = e instanceof _HttpError ? e.code : 500;
    return new Response(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, message: e instanceof Error ? e.message : String(e) }), {
      status: code,
      headers: { 'content-type': 'application/json' },
    });
  }

  const enc = new TextEncoder();
  let ctrl!: ReadableStreamDefaultController<Uint8Array>;
  const send = (ev: DashboardEvent): void => {
    if (signal.aborted) return;
    try {
      ctrl.enqueue(enc.encode(`${JSON.stringify(ev)}\n`));
    } catch {
      end();
    }
  };
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      ctrl = c;
    },
    cancel() {
      end();
    },
  });

  let maxRv = 0n;
  const seeRv = (rv: string | undefined): void => {
    if (rv !== undefined && /^\d+$/.test(rv) && BigInt(rv) > maxRv) maxRv = BigInt(rv);
  };
  for (const f of first) {
    seeRv(f.resourceVersion);
    send({ type: 'SYNC', resource: f.t.id, resourceVersion: f.resourceVersion, items: f.items });
  }
  send({ type: 'READY', resourceVersion: maxRv.toString(), ...(readOnly === undefined ? {} : { readOnly }) });

  const follow = async (t: DashboardType, from: string): Promise<void> => {
    let rv = from;
    while (!signal.aborted) {
      let failed = false;
      try {
        const url = `${ORIGIN}${collectionPath(t)}?watch=1&allowWatchBookmarks=true&timeoutSeconds=${WATCH_TIMEOUT_S}&resourceVersion=${encodeURIComponent(rv)}`;
        const res = await apiFetch(new Request(url, { headers: { authorization: authorization }, signal }));
        if (!res.ok || res.body === null) throw new _HttpError(res.status, `watch ${t.id}: HTTP ${res.status}`);
        for await (const line of ndjsonLines(res.body)) {
          if (signal.aborted) break;
          const ev = JSON.parse(line) as { type: string; object: ApiObject & { code?: number; message?: string } };
          if (ev.type === 'BOOKMARK') {
            rv = ev.object.metadata?.resourceVersion ?? rv;
            continue;
          }
          if (ev.type === 'ERROR') {
            if (ev.object.code === 410) {
              const l = await _list(apiFetch, authorization, t, signal);
              rv = l.resourceVersion;
              send({ type: 'SYNC', resource: t.id, resourceVersion: rv, items: l.items });
              break;
            }
            throw new _HttpError(ev.object.code ?? 500, ev.object.message ?? 'watch error');
          }
          if (ev.type === 'ADDED' || ev.type === 'MODIFIED' || ev.type === 'DELETED') {
            rv = ev.object.metadata?.resourceVersion ?? rv;
            send({ type: ev.type, resource: t.id, object: _withKind(t, ev.object) });
          }
        }
      } catch (e) {
        if (signal.aborted) break;
        failed = true;
        send({ type: 'ERROR', resource: t.id, message: e instanceof Error ? e.message : String(e) });
      }
      if (failed) await _sleep(RETRY_MS, signal);
    }
  };
  const ping = setInterval(() => send({ type: 'PING' }), PING_MS);
  void Promise.all(first.map((f) => follow(f.t, f.resourceVersion))).finally(() => {
    clearInterval(ping);
    clientSignal.removeEventListener('abort', end);
    shutdown.removeEventListener('abort', end);
    try {
      ctrl.close();
    } catch {
      // already closed by the client
    }
  });
  return new Response(stream, { status: 200, headers: { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' } });
}
