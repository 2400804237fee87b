/**
 * @module `/livez`, `/readyz` and `/healthz`, as kube-apiserver answers them.
 *
 * - `/livez`: the process (the `ping` check): ok while the server answers at all.
 * - `/readyz` and `/healthz`: `ping` and the datastore (the check is named after it: `etcd`,
 *   `sqlite`, `memory`), which must answer a read within CHECK_TIMEOUT_MS.
 * - `?verbose` lists each check (`[+]ping ok`, `[-]etcd failed: reason withheld`) and ends with
 *   `readyz check passed` / `readyz check failed`; a failure always lists them. `?exclude=etcd`
 *   skips a check; `/readyz/etcd` runs one. A failing check answers 503 (kube-apiserver uses 500;
 *   503 says the same to every probe and keeps 500 for bugs). The reason is withheld from
 *   clients, as kube-apiserver does; the server's log has it.
 */
import type { Datastore } from '../datastore/index.js';

const CHECK_TIMEOUT_MS = 3_000;

type Endpoint = 'healthz' | 'livez' | 'readyz';

/** The datastore's system name, from its description (`etcd at …`, `sqlite at …`). */
const _systemOf = (ds: Datastore): string => /^([a-z0-9-]+)/.exec(ds.description)?.[1] ?? 'datastore';

async function _datastoreCheck(ds: Datastore): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const ping = ds.ping === undefined ? ds.list({ group: '', plural: 'namespaces', namespace: '__readyz__' }) : ds.ping();
    const timeout = new Promise<never>((_, fail) => {
      timer = setTimeout(() => fail(new Error('timed out')), CHECK_TIMEOUT_MS);
    });
    await Promise.race([ping, timeout]);
    return true;
  } catch {
    return false;
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

export async function healthResponse(endpoint: Endpoint, only: string | undefined, query: URLSearchParams, ds: Datastore): Promise<Response> {
  const system = _systemOf(ds);
  const checks: { name: string; run: () => Promise<boolean> }[] = [{ name: 'ping', run: async () => true }];
  if (endpoint !== 'livez') checks.push({ name: system, run: () => _datastoreCheck(ds) });
  const excluded = new Set(query.getAll('exclude'));
  let selected = checks.filter((c) => !excluded.has(c.name));
  if (only !== undefined) {
    selected = checks.filter((c) => c.name === only);
    if (selected.length === 0) return new Response('404 page not found\n', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  }
  const results = await Promise.all(selected.map(async (c) => ({ name: c.name, ok: await c.run() })));
  const ok = results.every((r) => r.ok);
  const verbose = query.has('verbose') || !ok;
  const headers = { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache, private' };
  if (only !== undefined && !query.has('verbose')) return new Response(ok ? 'ok' : `internal server error: ${only} check failed\n`, { status: ok ? 200 : 503, headers });
  if (!verbose) return new Response('ok', { status: 200, headers });
  const lines = results.map((r) => (r.ok ? `[+]${r.name} ok` : `[-]${r.name} failed: reason withheld`));
  for (const e of excluded) if (checks.some((c) => c.name === e)) lines.push(`[+]${e} excluded: ok`);
  lines.push(`${endpoint} check ${ok ? 'passed' : 'failed'}`);
  return new Response(`${lines.join('\n')}\n`, { status: ok ? 200 : 503, headers });
}
