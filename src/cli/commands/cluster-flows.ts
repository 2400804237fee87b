/**
 * @module The cluster's flow records for `tabby recommend`: `GET /apis/tabby.dev/v1/[namespaces/N/]flows`
 * (the flows API of the API server, apiserver/flows.ts) with `since` and `action`, read with the
 * live reader's bounded, read-only client. The cluster is the one the analysis commands read:
 * `--kubeconfig`, else the calicoctl configuration (`--config`, the environment, else the
 * running cluster of `--data-dir`), which must reach an API server (`datastoreType: kubernetes`).
 * (`tabby flows` reads the same API; this adds `--config`.) The answer is untrusted: decoded with
 * field paths like a flows file.
 */
import type { FlowQuery, FlowRecord } from '../../model/flows.js';
import { decodeFlowRecords } from '../../engine/index.js';
import { formatLine } from '../../model/field/format.js';
import type { Io } from '../io.js';
import type { InputOptions } from '../engine-input.js';
import { KubeApi, loadKubeconfig, type ApiOptions } from '../live/index.js';
import { loadCalicoctlConfig } from '../calicoctl/config.js';
import { kubeOptionsFor } from '../datastore-config.js';

export type ClusterFlows = { ok: true; records: FlowRecord[]; origin: string } | { ok: false; error: string };

/** The query path: records of the last `since` ms (whole seconds, rounded up). */
export function flowsPath(query: Pick<FlowQuery, 'namespace' | 'action'> & { since: number }): string {
  const params = new URLSearchParams({ since: `${Math.max(1, Math.ceil(query.since / 1000))}s` });
  if (query.action !== undefined) params.set('action', query.action);
  const ns = query.namespace === undefined ? '' : `namespaces/${encodeURIComponent(query.namespace)}/`;
  return `/apis/tabby.dev/v1/${ns}flows?${params.toString()}`;
}

async function _apiOptions(io: Io, opts: InputOptions): Promise<{ ok: true; value: ApiOptions } | { ok: false; error: string }> {
  if (opts.kubeconfig !== undefined) return loadKubeconfig(io, opts.kubeconfig, opts.context);
  const loaded = await loadCalicoctlConfig(io, opts.config, { dataDir: opts.dataDir });
  if (!loaded.ok) return { ok: false, error: `cannot read the datastore configuration: ${loaded.error}` };
  if (loaded.value.missing !== undefined) return { ok: false, error: `${loaded.value.missing} (or give the flow records with --flows FILE)` };
  const spec = loaded.value.spec;
  if ((spec.datastoreType ?? 'embedded') !== 'kubernetes')
    return { ok: false, error: `the configured datastore (${spec.datastoreType ?? 'embedded'}) has no API server to serve flow records: give --kubeconfig, or the records with --flows FILE` };
  try {
    return { ok: true, value: kubeOptionsFor(spec) };
  } catch (e) {
    return { ok: false, error: (e instanceof Error ? e.message : String(e)).split('\n')[0]! };
  }
}

/** Flow records of the cluster the options name, filtered by `query` (since: a duration in ms). */
export async function fetchClusterFlows(io: Io, opts: InputOptions, query: Pick<FlowQuery, 'namespace' | 'action'> & { since: number }): Promise<ClusterFlows> {
  const o = await _apiOptions(io, opts);
  if (!o.ok) return o;
  let api: KubeApi;
  try {
    api = new KubeApi({ ...o.value, maxBodyBytes: 256 * 1024 * 1024 });
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
  const path = flowsPath(query);
  try {
    const body = await api.get(path);
    const d = decodeFlowRecords(body);
    if (!d.ok) return { ok: false, error: `${api.server}${path}: the answer is not a list of flow records: ${d.errors.slice(0, 5).map(formatLine).join('; ')}` };
    return { ok: true, records: d.records, origin: `${api.server}${path}` };
  } catch (e) {
    const code = typeof e === 'object' && e !== null && 'code' in e ? (e as { code: unknown }).code : undefined;
    const msg = e instanceof Error ? e.message : String(e);
    if (code === 404) return { ok: false, error: `${api.server} serves no flows API (GET ${path}: not found): give the flow records with --flows FILE` };
    return { ok: false, error: `GET ${api.server}${path}: ${msg}` };
  } finally {
    api.close();
  }
}
