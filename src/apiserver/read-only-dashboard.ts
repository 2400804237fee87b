/**
 * @module The read-only dashboard server of `tabby dashboard --kubeconfig` (the second file that
 * listens, beside main.ts: this one serves no datastore). Plain HTTP on a loopback address by
 * default, like `kubectl proxy`, and guarded by a bearer token made per run (the printed URL
 * carries it in its fragment, which the page keeps and the browser never sends in a request line).
 *
 * - `/ui/*`: the dashboard (src/web, the same bundle `tabby server` serves), its watch stream fed
 *   by `apiFetch` and marked read-only, so the page hides its write actions;
 * - everything else: `apiFetch` (the caller's read-only API over the live cluster);
 * - any method but GET and HEAD, on any path: 405 MethodNotAllowed with a Status naming the
 *   read-only mode, before anything else (an unauthenticated write learns nothing more).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { serve } from '@hono/node-server';
import { createDashboard, defaultUiDir, isDashboardPath, type ApiFetch } from '../web/index.js';
import { rawPathRefusal } from './main.js';

export interface ReadOnlyDashboardOptions {
  /** Answers every API read (lists, items, watches, discovery). */
  readonly apiFetch: ApiFetch;
  /** `cluster https://… (crd.projectcalico.org/v1)`: what the page and the 405s say is shown. */
  readonly origin: string;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Default: dist/ui of this package. */
  readonly uiDir?: string | undefined;
  /** Default: 32 random bytes, base64url. */
  readonly token?: string | undefined;
}

export interface RunningReadOnlyDashboard {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** The page with the token: `http://127.0.0.1:PORT/ui/#token=…` */
  readonly dashboardUrl: string;
  readonly port: number;
  readonly token: string;
  stop(): Promise<void>;
}

const _status = (code: number, reason: string, message: string, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }), {
    status: code,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
  });

export async function runReadOnlyDashboard(o: ReadOnlyDashboardOptions): Promise<RunningReadOnlyDashboard> {
  const token = o.token ?? randomBytes(32).toString('base64url');
  const want = Buffer.from(`Bearer ${token}`);
  const authorized = (h: string | null | undefined): boolean => {
    if (h === null || h === undefined) return false;
    const got = Buffer.from(h);
    return got.length === want.length && timingSafeEqual(got, want);
  };
  const shutdown = new AbortController();
  const readOnly = `read-only: ${o.origin}`;
  const dashboard = createDashboard({ apiFetch: o.apiFetch, authorized, uiDir: o.uiDir ?? defaultUiDir(), labDir: undefined, shutdown: shutdown.signal, readOnly });
  const handle = async (req: Request): Promise<Response> => {
    const path = new URL(req.url).pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return _status(405, 'MethodNotAllowed', `read-only: tabby dashboard shows ${o.origin} and does not change it; ${req.method} ${path} is not allowed (change the cluster with kubectl)`, { allow: 'GET, HEAD' });
    if (isDashboardPath(path)) return dashboard(req);
    if (!authorized(req.headers.get('authorization'))) return _status(401, 'Unauthorized', 'Unauthorized: give the token of the URL `tabby dashboard` printed as a bearer token');
    try {
      return await o.apiFetch(req);
    } catch (e) {
      return _status(503, 'ServiceUnavailable', e instanceof Error ? e.message : String(e));
    }
  };
  const server = await new Promise<Server>((ok, fail) => {
    const s = serve(
      { fetch: (req, bindings) => rawPathRefusal(bindings.incoming.url) ?? handle(req), port: o.port, hostname: o.host, createServer },
      () => ok(s as Server),
    ) as Server;
    s.once('error', fail);
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = o.host.includes(':') ? `[${o.host}]` : o.host === '0.0.0.0' ? '127.0.0.1' : o.host;
  const url = `http://${urlHost}:${port}`;
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      shutdown.abort();
      await new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      });
    })());
  return { url, dashboardUrl: `${url}/ui/#token=${token}`, port, token, stop };
}
