/**
 * @module The cluster's flow records for `tabby recommend` (issue 17's flows API,
 * `/apis/tabby.dev/v1/flows`: src/apiserver/flows.ts), read as `tabby flows` reads them.
 */
import type { FlowQuery, FlowRecord } from '../../model/flows.js';
import type { Io } from '../io.js';
import type { InputOptions } from '../engine-input.js';
import { FLOWS_PATH, flowParams, flowsApi, flowsError } from './flows.js';

export type ClusterFlows = { ok: true; records: FlowRecord[] } | { ok: false; error: string };

/** Flow records of the cluster the options name, filtered by `query` (since: a duration in ms). */
export async function fetchClusterFlows(io: Io, opts: InputOptions, query: Omit<FlowQuery, 'since'> & { since: number }): Promise<ClusterFlows> {
  const conn = await flowsApi(io, { dataDir: opts.dataDir, kubeconfig: opts.kubeconfig, context: opts.context });
  if (!conn.ok) return { ok: false, error: conn.error };
  const params = flowParams({ since: `${Math.max(1, Math.ceil(query.since / 1000))}s`, namespace: query.namespace, action: query.action, policy: query.policy, limit: query.limit });
  try {
    const list = (await conn.api.get(`${FLOWS_PATH}?${params.toString()}`)) as { items?: unknown };
    return { ok: true, records: (Array.isArray(list.items) ? list.items : []) as FlowRecord[] };
  } catch (e) {
    return { ok: false, error: flowsError(conn.api, e) };
  } finally {
    conn.api.close();
  }
}
