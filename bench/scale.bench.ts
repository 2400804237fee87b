/**
 * @module Scale benchmark (issue 19): `tabby sim` — a real API server (embedded SQLite) and N
 * simulated nodes, each a real agent (own token, own watch connections, the engine's desired
 * state for its node, the renderer) programming a RecordingDriver, packed into worker processes,
 * under pod churn through the REST API. Everything shares this machine's CPUs, so the figures are
 * those of the whole simulation on it (see docs/scale.md for what a real deployment needs).
 *
 * Default: a scaled-down run that finishes in a few minutes (20 nodes, 20 pods per node, 100
 * policies, 10 changes/s for 20 s). `TABBY_SCALE=full` runs the issue's acceptance scenario:
 * 1,000 nodes, 250,000 pods, 10,000 policies over 100 namespaces, 100 changes/s for 5 minutes
 * (loaded through the client write path: the server has no bulk API; one fan-out server; the
 * agents packed into a worker process share identical received non-Pod objects — `shared
 * objects` in the row names — while each keeps its own calculation state). `TABBY_SCALE_NODES`,
 * `_ENDPOINTS`, `_POLICIES`, `_CHURN`, `_DURATION`, `_DATASTORE` (sqlite|etcd) override each.
 * `TABBY_SCALE=curve` runs the curve instead: each size of `TABBY_SCALE_SIZES` (default
 * 100,300,1000 nodes) with 250 pods per node, 10,000 policies over 100 namespaces,
 * `TABBY_SCALE_CHURN` (default 100) changes/s for `TABBY_SCALE_DURATION` (default 60) s,
 * `TABBY_SCALE_FANOUTS` fan-out servers (default 1), shared objects, 5 agents starting at once
 * per worker; a size that fails ends the curve (its error is a result). The default `npm run
 * bench` runs only the scaled-down run.
 */
import { runSim, type SimOptions } from '../src/sim/index.js';
import type { BenchResult } from './run.js';

function _opts(): SimOptions {
  const full = process.env['TABBY_SCALE'] === 'full';
  const num = (name: string, def: number): number => {
    const v = process.env[`TABBY_SCALE_${name}`];
    const n = v === undefined ? def : Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`TABBY_SCALE_${name} must be a number, got ${v ?? ''}`);
    return n;
  };
  const nodes = num('NODES', full ? 1000 : 20);
  const ds = process.env['TABBY_SCALE_DATASTORE'] ?? 'sqlite';
  if (ds !== 'sqlite' && ds !== 'etcd') throw new Error('TABBY_SCALE_DATASTORE must be sqlite or etcd');
  return {
    nodes,
    endpoints: num('ENDPOINTS', full ? 250_000 : 20 * nodes),
    policies: num('POLICIES', full ? 10_000 : 100),
    churn: num('CHURN', full ? 100 : 10),
    durationS: num('DURATION', full ? 300 : 20),
    datastore: ds,
    load: full ? 'client' : 'api',
    ...(full ? { fanouts: 1, shareObjects: true, nodesPerWorker: 50, startConcurrency: 5 } : {}),
    timeoutS: full ? 1800 : 300,
  };
}

export async function run(): Promise<BenchResult[]> {
  if (process.env['TABBY_SCALE'] === 'curve') return _curve();
  return _results(_opts());
}

async function _curve(): Promise<BenchResult[]> {
  const sizes = (process.env['TABBY_SCALE_SIZES'] ?? '100,300,1000').split(',').map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('TABBY_SCALE_SIZES must be a comma-separated list of node counts');
  const durationS = Number(process.env['TABBY_SCALE_DURATION'] ?? '60');
  const fanouts = Number(process.env['TABBY_SCALE_FANOUTS'] ?? '1');
  const churn = Number(process.env['TABBY_SCALE_CHURN'] ?? '100');
  const out: BenchResult[] = [];
  for (const nodes of sizes) {
    const o: SimOptions = { nodes, endpoints: 250 * nodes, policies: 10_000, namespaces: 100, churn, durationS, datastore: 'sqlite', load: 'client', fanouts, nodesPerWorker: 50, shareObjects: true, startConcurrency: 5, timeoutS: 1800 };
    try {
      out.push(...(await _results(o)));
    } catch (e) {
      out.push({ name: `scale curve: ${nodes} nodes did not complete (${e instanceof Error ? e.message.slice(0, 200) : String(e)})`, value: 0, unit: 'completed', goal: '>= 1' });
      break;
    }
  }
  return out;
}

async function _results(o: SimOptions): Promise<BenchResult[]> {
  const r = await runSim(o);
  const at = `${o.nodes} nodes, ${o.endpoints} pods, ${o.policies} policies, ${o.churn}/s${(o.fanouts ?? 0) > 0 ? `, ${o.fanouts} fan-out` : ''}${o.shareObjects === true ? ', shared objects' : ''}`;
  const mib = (b: number): number => Math.round(b / 1024 ** 2);
  const ms = (x: number): number => (Number.isNaN(x) ? -1 : Math.round(x));
  const load = `${r.machine.loadavgStart.map((x) => x.toFixed(1)).join(' ')} → ${r.machine.loadavgEnd.map((x) => x.toFixed(1)).join(' ')}`;
  return [
    { name: `scale (${at}): propagation p99, write → every node programmed`, value: ms(r.propagationMs.p99), unit: 'ms', goal: '< 1000' },
    { name: `scale (${at}): propagation p50`, value: ms(r.propagationMs.p50), unit: 'ms', goal: 'informational' },
    { name: `scale (${at}): propagation max`, value: ms(r.propagationMs.max), unit: 'ms', goal: 'informational' },
    { name: `scale (${at}): writes never programmed on every node`, value: r.propagationMs.unreached, unit: 'writes', goal: '<= 0' },
    { name: `scale (${at}): watcher lag max, write → last node's watch delivered it`, value: ms(r.watchLagMs.max), unit: 'ms', goal: '<= 1000' },
    { name: `scale (${at}): start of day, one node alone into the loaded cluster`, value: ms(r.startOfDayMs.singleNodeMs), unit: 'ms', goal: '< 2000' },
    { name: `scale (${at}): start of day p50, all nodes starting together`, value: ms(r.startOfDayMs.p50), unit: 'ms', goal: 'informational' },
    { name: `scale (${at}): API + fan-out servers peak RSS`, value: mib(r.servers.peakRssBytes + (r.fanout?.peakRssBytes ?? 0)), unit: 'MiB', goal: '< 4096' },
    ...(r.fanout !== undefined ? [{ name: `scale (${at}): fan-out server CPU during churn`, value: Math.round(r.fanout.cpuPercent), unit: '% of a core', goal: 'informational' }] : []),
    { name: `scale (${at}): API server CPU during churn`, value: Math.round(r.servers.cpuPercent), unit: '% of a core', goal: 'informational' },
    { name: `scale (${at}): API server CPU per change`, value: Math.round(r.servers.cpuUsPerChange), unit: 'CPU-µs', goal: 'informational' },
    { name: `scale (${at}): watch bytes per change per node`, value: Math.round(r.watch.bytesPerChangePerNode), unit: 'B', goal: 'informational' },
    { name: `scale (${at}): agent CPU per change per node`, value: Math.round(r.agents.cpuUsPerChangePerNode), unit: 'CPU-µs', goal: 'informational' },
    { name: `scale (${at}): agent RSS per node`, value: mib(r.agents.rssBytesPerNode), unit: 'MiB', goal: 'informational' },
    { name: `scale (${at}): agent heap per node`, value: Number((r.agents.heapBytesPerNode / 1024 ** 2).toFixed(2)), unit: 'MiB', goal: 'informational' },
    { name: `scale (${at}): pods an agent keeps (of ${o.endpoints})`, value: Math.round(r.agents.podsKeptPerNode), unit: 'pods', goal: 'informational' },
    { name: `scale (${at}): churn achieved (asked ${o.churn}/s; load average ${load})`, value: Number(r.churn.achievedPerSecond.toFixed(1)), unit: 'changes/s', goal: 'informational' },
    { name: `scale (${at}): load through the ${r.load.via === 'api' ? 'REST API' : 'client write path'}`, value: Math.round(r.load.perSecond), unit: 'objects/s', goal: 'informational' },
  ];
}
