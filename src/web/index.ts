/**
 * @module The web dashboard's server side, mounted by the API server at `/ui`:
 * - `/ui`, `/ui/*`: the browser bundle (static.ts), public — it holds no data; the page asks
 *   for a token and sends it as a bearer token on every API call;
 * - `/ui/api/watch`: every dashboard type, listed then watched, as one stream (watch-mux.ts);
 * - `/ui/api/denied`: the lab workers' denied-traffic logs (denied.ts);
 * - `/favicon.ico`: the dashboard's icon (the bundle's favicon.svg), public, so a browser's
 *   automatic request is not a 401 on every navigation.
 * The browser reads and writes resources through the ordinary Kubernetes API, and runs the
 * engine itself (model, manifest and engine are pure and bundled into ui/).
 */
import { serveAsset } from './static.js';
import { watchAll, type ApiFetch } from './watch-mux.js';
import { readDenied } from './denied.js';

export { defaultUiDir } from './static.js';
export type { ApiFetch } from './watch-mux.js';
export * from './protocol.js';

export interface DashboardOptions {
  /** The API server's own request handler (in-process; no network hop). */
  readonly apiFetch: ApiFetch;
  /** Whether an Authorization header carries a valid token. */
  readonly authorized: (authorization: string | undefined) => boolean;
  /** The built bundle (index.html + assets); undefined or missing: a 503 page. */
  readonly uiDir: string | undefined;
  /** The lab's state directory (worker logs), if a lab may run beside this server. */
  readonly labDir: string | undefined;
  readonly shutdown: AbortSignal;
  /** Set (a sentence saying what is shown) when the API refuses every write: the page hides its write actions. */
  readonly readOnly?: string | undefined;
}

export const DASHBOARD_PATH = '/ui';

export const FAVICON_PATH = '/favicon.ico';

export const isDashboardPath = (path: string): boolean => path === DASHBOARD_PATH || path.startsWith(`${DASHBOARD_PATH}/`) || path === FAVICON_PATH;

const _json = (code: number, body: unknown): Response =>
  new Response(JSON.stringify(body), { status: code, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } });

const _unauthorized = (): Response => _json(401, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });

export function createDashboard(o: DashboardOptions): (req: Request) => Promise<Response> {
  return async (req) => {
    const url = new URL(req.url);
    const path = url.pathname;
    if (path === DASHBOARD_PATH) return new Response(null, { status: 308, headers: { location: `${DASHBOARD_PATH}/` } });
    if (path === FAVICON_PATH) return serveAsset(o.uiDir, 'favicon.svg', req.method);
    const rel = path.slice(DASHBOARD_PATH.length + 1);
    if (rel === 'api' || rel.startsWith('api/')) {
      const auth = req.headers.get('authorization') ?? undefined;
      if (!o.authorized(auth)) return _unauthorized();
      if (req.method !== 'GET') return _json(405, { message: 'method not allowed' });
      if (rel === 'api/watch') return watchAll(o.apiFetch, auth!, req.signal, o.shutdown, o.readOnly);
      if (rel === 'api/denied') return _json(200, await readDenied(o.labDir, url.searchParams.get('cursor')));
      return _json(404, { message: `no dashboard endpoint ${path}` });
    }
    return serveAsset(o.uiDir, rel, req.method);
  };
}
