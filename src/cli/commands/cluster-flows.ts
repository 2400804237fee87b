/**
 * @module The cluster's flow records for `tabby recommend` (issue 17's flows API).
 */
import type { FlowQuery, FlowRecord } from '../../model/flows.js';
import type { Io } from '../io.js';
import type { InputOptions } from '../engine-input.js';

export type ClusterFlows = { ok: true; records: FlowRecord[] } | { ok: false; error: string };

/** Flow records of the cluster the options name, filtered by `query` (since: a duration in ms). */
export async function fetchClusterFlows(io: Io, opts: InputOptions, query: Omit<FlowQuery, 'since'> & { since: number }): Promise<ClusterFlows> {
  void io;
  void opts;
  void query;
  return { ok: false, error: 'this version of the cluster serves no flows API to read flow records from; give them with --flows FILE (FlowRecords as JSON or YAML)' };
}
