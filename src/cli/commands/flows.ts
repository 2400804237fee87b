/**
 * @module `tabby flows [--since 5m] [--namespace N] [--action allow|deny] [--policy P] [--limit N]
 * [-o table|wide|json] [--watch]`: the cluster's flow records — every connection the agents saw,
 * aggregated per window (15 s by default) with the enforced and the pending (staged) policy
 * traces — read from the API server's flows endpoint (`/apis/tabby.dev/v1/flows`, see
 * src/apiserver/flows.ts).
 *
 * The cluster is the data directory's (`--data-dir`, else TABBY_DATA_DIR, else the default),
 * reached with the admin kubeconfig `tabby up` (or `tabby server`) wrote there; `--kubeconfig FILE [--context C]`
 * names any other server. Records of closed windows only, newest first. `-o json` prints the
 * FlowList (`items` are FlowRecords, `drops` the aggregator's counters); with `--watch`, one Flow
 * JSON object per line as each window closes. Drops under overload are reported on stderr,
 * never silent. Exit 0; 1 when the server cannot be reached or refuses; 2 on a bad option.
 */
import { existsSync } from 'node:fs';
import { Command, Option } from 'commander';
import { endpointText, hitText, type FlowPolicyHit, type FlowRecord } from '../../model/flows.js';
import { pendingAction } from '../../engine/flows/index.js';
import { locateCluster, noClusterMessage } from '../cluster-dir.js';
import { ApiError, KubeApi, loadKubeconfig } from '../live/index.js';
import { EXIT, intOption, stringOpt, flag, type CommandContext } from './context.js';

export const FLOWS_PATH = '/apis/tabby.dev/v1/flows';

export function flowsCommand(ctx: CommandContext): Command {
  return new Command('flows')
    .description("the cluster's flows: connections the agents saw, per window, with the enforced and pending (staged) policy traces")
    .option('--since <duration>', 'only windows that ended in this last duration (5m, 1h30m, 90s) or since an RFC 3339 time')
    .option('-n, --namespace <ns>', 'only flows with the source or destination in this namespace')
    .addOption(new Option('--action <action>', 'only allowed or denied flows').choices(['allow', 'deny']))
    .option('--policy <policy>', 'only flows whose enforced or pending trace names this policy (name, namespace/name or tier.name)')
    .option('--limit <n>', 'at most this many records (newest first)', intOption(1, 10_000))
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'wide', 'json']).default('table'))
    .option('-w, --watch', 'after the records held, print each new record as its window closes (Ctrl-C to stop)')
    .option('--data-dir <dir>', 'the cluster to read (default: $TABBY_DATA_DIR, else the default data dir)')
    .option('--kubeconfig <file>', "read another API server's flows, with this kubeconfig")
    .option('--context <name>', 'the kubeconfig context (default: its current-context)')
    .action(async (opts: unknown) => ctx.exit(await runFlows(ctx, opts)));
}

export { endpointText, hitText };

const _last = (hits: readonly FlowPolicyHit[]): string => (hits.length === 0 ? '-' : hitText(hits[hits.length - 1]!));
const _time = (ms: number): string => new Date(ms).toISOString().slice(11, 19);

function _row(r: FlowRecord, wide: boolean): string[] {
  const pa = pendingAction(r.pending);
  const base = [
    _time(r.startTime),
    r.reporter,
    endpointText(r.source),
    endpointText(r.dest),
    `${String(r.protocol)}${r.destPort > 0 ? `/${r.destPort}` : ''}`,
    r.action,
    String(r.connections),
    wide ? r.enforced.map(hitText).join(', ') || '-' : _last(r.enforced),
    pa === undefined ? '-' : wide ? `${pa}: ${r.pending.map(hitText).join(', ')}` : `${pa} (${_last(r.pending)})`,
  ];
  return wide ? [...base, r.nodes.join(','), `${r.packetsOut}/${r.packetsIn}`, `${r.bytesOut}/${r.bytesIn}`] : base;
}

const HEAD = ['START', 'REPORTER', 'SOURCE', 'DESTINATION', 'PORT', 'ACTION', 'CONNS', 'POLICY', 'PENDING'];
const HEAD_WIDE = [...HEAD, 'NODES', 'PACKETS OUT/IN', 'BYTES OUT/IN'];

function _table(rows: readonly string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('   ').trimEnd()).join('\n') + '\n';
}

type Obj = Record<string, unknown>;

function _dropsLine(d: unknown): string | undefined {
  if (typeof d !== 'object' || d === null) return undefined;
  const o = d as Obj;
  const parts: string[] = [];
  const n = (k: string): number => (typeof o[k] === 'number' ? (o[k] as number) : 0);
  if (n('eventsDropped') > 0) parts.push(`${n('eventsDropped')} events refused at the memory bound`);
  if (n('recordsEvicted') > 0) parts.push(`${n('recordsEvicted')} records evicted early`);
  if (n('eventsLate') > 0) parts.push(`${n('eventsLate')} events too late for their window`);
  if (n('kernelDropped') > 0) parts.push(`${n('kernelDropped')} lost in the kernel or agent`);
  return parts.length === 0 ? undefined : `tabby flows: incomplete: ${parts.join(', ')}`;
}

/** The API of the cluster a command names: `--kubeconfig` (+ `--context`), else the data dir's cluster (its `tabby up`, or the admin kubeconfig a `tabby server` wrote there). */
export async function flowsApi(io: CommandContext['io'], o: { dataDir?: string | undefined; kubeconfig?: string | undefined; context?: string | undefined }): Promise<{ ok: true; api: KubeApi } | { ok: false; error: string; usage?: boolean }> {
  let file: string;
  if (o.kubeconfig !== undefined) file = o.kubeconfig;
  else {
    if (o.context !== undefined) return { ok: false, error: '--context needs --kubeconfig', usage: true };
    const c = locateCluster(o.dataDir, io.env);
    // `tabby up` runs there, or `tabby server --data-dir` wrote its admin kubeconfig there
    if (!c.running && !existsSync(c.kubeconfig)) return { ok: false, error: noClusterMessage(c) };
    file = c.kubeconfig;
  }
  const cfg = await loadKubeconfig(io, file, o.context);
  if (!cfg.ok) return { ok: false, error: cfg.error };
  return { ok: true, api: new KubeApi({ ...cfg.value, timeoutMs: cfg.value.timeoutMs ?? 30_000 }) };
}

/** The query parameters of a FlowQuery-like filter (`since` as the server takes it: a duration or RFC 3339). */
export function flowParams(q: { since?: string | undefined; namespace?: string | undefined; action?: string | undefined; policy?: string | undefined; limit?: number | undefined }): URLSearchParams {
  const params = new URLSearchParams();
  for (const k of ['since', 'namespace', 'action', 'policy'] as const) {
    const v = q[k];
    if (v !== undefined) params.set(k, v);
  }
  if (q.limit !== undefined) params.set('limit', String(q.limit));
  return params;
}

/** A message for a failed flows request. */
export function flowsError(api: KubeApi, e: unknown): string {
  if (e instanceof ApiError) return e.code === 404 ? `${api.server} serves no flows API (${FLOWS_PATH}): is it a Tabby API server?` : e.message;
  return e instanceof Error ? e.message : String(e);
}

async function runFlows(ctx: CommandContext, opts: unknown): Promise<number> {
  const { io } = ctx;
  const conn = await flowsApi(io, { dataDir: stringOpt(opts, 'dataDir'), kubeconfig: stringOpt(opts, 'kubeconfig'), context: stringOpt(opts, 'context') });
  if (!conn.ok) {
    io.stderr(`tabby flows: ${conn.error}\n`);
    return conn.usage === true ? EXIT.usage : EXIT.failed;
  }
  const api = conn.api;
  const limit = (opts as { limit?: unknown }).limit;
  const params = flowParams({
    since: stringOpt(opts, 'since'),
    namespace: stringOpt(opts, 'namespace'),
    action: stringOpt(opts, 'action'),
    policy: stringOpt(opts, 'policy'),
    limit: typeof limit === 'number' ? limit : undefined,
  });
  const output = stringOpt(opts, 'output') ?? 'table';
  const path = `${FLOWS_PATH}${params.size > 0 ? `?${params.toString()}` : ''}`;
  try {
    const list = (await api.get(path)) as Obj;
    const items = (Array.isArray(list['items']) ? list['items'] : []) as FlowRecord[];
    if (output === 'json' && !flag(opts, 'watch')) io.stdout(`${JSON.stringify(list, null, 2)}\n`);
    else if (output === 'json') for (const it of [...items].reverse()) io.stdout(`${JSON.stringify(it)}\n`);
    else if (items.length === 0 && !flag(opts, 'watch')) io.stderr('No flows found (records appear when their window closes).\n');
    else {
      const wide = output === 'wide';
      io.stdout(_table([wide ? HEAD_WIDE : HEAD, ...[...items].reverse().map((r) => _row(r, wide))]));
    }
    const drops = _dropsLine(list['drops']);
    if (drops !== undefined) io.stderr(`${drops}\n`);
    if (!flag(opts, 'watch')) return EXIT.ok;
    const meta = (typeof list['metadata'] === 'object' && list['metadata'] !== null ? list['metadata'] : {}) as Obj;
    let rv = typeof meta['resourceVersion'] === 'string' ? meta['resourceVersion'] : '0';
    const stop = new AbortController();
    void io.waitForShutdown().then(() => stop.abort());
    const watchPath = `${FLOWS_PATH}?${(() => {
      const p = new URLSearchParams(params);
      p.delete('limit');
      return p.toString();
    })()}`;
    while (!stop.signal.aborted) {
      for await (const ev of api.watch(watchPath, rv, stop.signal, { timeoutSeconds: 300 })) {
        if (ev.type !== 'ADDED') continue;
        const r = ev.object as unknown as FlowRecord & { metadata?: { resourceVersion?: string } };
        if (typeof r.metadata?.resourceVersion === 'string') rv = r.metadata.resourceVersion;
        io.stdout(output === 'json' ? `${JSON.stringify(r)}\n` : _table([_row(r, output === 'wide')]));
      }
    }
    return EXIT.ok;
  } catch (e) {
    io.stderr(`tabby flows: ${flowsError(api, e)}\n`);
    return EXIT.failed;
  } finally {
    api.close();
  }
}
