/**
 * @module `tabby sim`: the scale simulation (src/sim). Starts real API servers and N simulated
 * nodes (real agents programming a recording driver, packed into worker processes), loads the
 * scenario through the REST API, churns pods and prints what it measured (a table, or `-o json`).
 * `--nodes 100,300,1000` runs each size in turn (the curve); `--svg`/`--png` draw it (the PNG
 * through headless Chromium).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { renderScaleSvg, runSim, type SimResult } from '../../sim/index.js';
import { findOnPath } from '../../sys/index.js';
import { EXIT, flag, intOption, stringOpt, type CommandContext } from './context.js';

function _sizes(v: string): number[] {
  const xs = v.split(',').map((s) => Number(s.trim()));
  if (xs.length === 0 || xs.some((n) => !Number.isInteger(n) || n < 1 || n > 5000)) throw new InvalidArgumentError('must be a node count 1-5000, or a comma-separated list of them');
  return xs;
}

function _rate(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 100_000) throw new InvalidArgumentError('must be changes per second, 0-100000');
  return n;
}

const _ms = (x: number): string => (Number.isNaN(x) ? '-' : x.toFixed(0));
const _mib = (b: number): string => (b / 1024 ** 2).toFixed(0);

/** One row per run: what an operator asks. */
export function simTable(rs: readonly SimResult[]): string {
  const head = ['nodes', 'endpoints', 'policies', 'churn/s', 'load s', 'SoD p50 ms', 'SoD 1 node ms', 'prop p50 ms', 'prop p99 ms', 'prop max ms', 'lag p99 ms', 'server CPU %', 'server RSS MiB', 'fan-out RSS MiB', 'watch B/change', 'agent CPU-µs/change/node', 'agent RSS MiB/node'];
  const rows = rs.map((r) => [
    String(r.config.nodes),
    String(r.config.endpoints),
    String(r.config.policies),
    r.churn.achievedPerSecond.toFixed(1),
    r.load.seconds.toFixed(1),
    _ms(r.startOfDayMs.p50),
    _ms(r.startOfDayMs.singleNodeMs),
    _ms(r.propagationMs.p50),
    _ms(r.propagationMs.p99),
    _ms(r.propagationMs.max),
    _ms(r.watchLagMs.p99),
    r.servers.cpuPercent.toFixed(0),
    _mib(r.servers.peakRssBytes),
    r.fanout === undefined ? '-' : _mib(r.fanout.peakRssBytes),
    r.watch.bytesPerChange.toFixed(0),
    r.agents.cpuUsPerChangePerNode.toFixed(0),
    _mib(r.agents.rssBytesPerNode),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows].map((r) => r.map((c, i) => c.padStart(w[i]!)).join('  ')).join('\n') + '\n';
}

export function simCommand(ctx: CommandContext): Command {
  return new Command('sim')
    .description('scale simulation: real API servers and N simulated nodes (real agents, recording driver) under churn; prints propagation, start of day, CPU, RSS, bytes')
    .option('--nodes <n[,n…]>', 'simulated nodes (a list runs each size in turn: the curve)', _sizes, [5])
    .option('--endpoints <n>', 'pods in the cluster (spread over the nodes)', intOption(0, 1_000_000))
    .option('--endpoints-per-node <n>', 'pods per node instead of --endpoints (scales with --nodes)', intOption(0, 10_000))
    .option('--policies <n>', 'Calico NetworkPolicies over the namespaces', intOption(0, 100_000), 50)
    .option('--namespaces <n>', 'namespaces (default min(100, endpoints))', intOption(1, 10_000))
    .option('--churn <per-second>', 'pod creates, deletes and label changes per second', _rate, 10)
    .option('--duration <seconds>', 'seconds of churn', intOption(1, 86_400), 10)
    .addOption(new Option('--datastore <kind>', 'the API servers\' datastore: embedded SQLite or a 3-member etcd started for the run').choices(['sqlite', 'etcd']).default('sqlite'))
    .option('--servers <n>', 'API servers (more than one needs --datastore etcd); nodes are spread over them', intOption(1, 64), 1)
    .option('--fanouts <n>', 'fan-out servers (tabby server --role fanout) in front of the API servers; the agents watch through them', intOption(0, 64), 0)
    .option('--nodes-per-worker <n>', 'simulated nodes per worker process', intOption(1, 1000), 25)
    .addOption(new Option('--load <how>', 'load the scenario through the REST API (one request per object) or through the client write path straight into the datastore before the servers start (the server has no bulk path)').choices(['api', 'client']).default('api'))
    .option('--no-pod-scope', 'agents keep every Pod of the cluster instead of only what their IP sets can need (src/agent/scope.ts; for comparison)')
    .option('--share-objects', 'agents packed into one worker process share identical received non-Pod objects (policies, Nodes, Namespaces; deep-frozen); each agent\'s calculation state stays its own')
    .option('--start-concurrency <n>', 'agents starting at once in each worker process (default: all of them)', intOption(1, 1000))
    .option('--publish-status', 'agents publish their status on their Calico Node after each apply (as `tabby agent` does)')
    .option('--verify', 'check every node\'s recorded programming against the engine, from the final state')
    .option('--timeout <seconds>', 'bound on the agents\' start and on catching up after the churn', intOption(10, 86_400), 600)
    .option('--seed <n>', 'churn seed', intOption(0, 2 ** 31 - 1), 1)
    .option('--svg <file>', 'write the curve (propagation p99, server CPU, server RSS over nodes) as SVG')
    .option('--png <file>', 'write the curve as PNG (rendered with headless Chromium)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (opts: unknown) => ctx.exit(await runSimCommand(ctx, opts)));
}

async function runSimCommand(ctx: CommandContext, opts: unknown): Promise<number> {
  const { io } = ctx;
  const o = opts as { nodes: number[]; endpoints?: number; endpointsPerNode?: number; policies: number; namespaces?: number; churn: number; duration: number; datastore: 'sqlite' | 'etcd'; load: 'api' | 'client'; servers: number; fanouts: number; nodesPerWorker: number; timeout: number; seed: number; output: 'table' | 'json' };
  if (o.endpoints !== undefined && o.endpointsPerNode !== undefined) {
    io.stderr('tabby sim: give --endpoints or --endpoints-per-node, not both\n');
    return EXIT.usage;
  }
  if (o.servers > 1 && o.datastore !== 'etcd') {
    io.stderr('tabby sim: more than one API server needs --datastore etcd (servers share state only through etcd)\n');
    return EXIT.usage;
  }
  const png = stringOpt(opts, 'png');
  const chromium = png === undefined ? undefined : (findOnPath('chromium') ?? findOnPath('chromium-browser') ?? findOnPath('google-chrome'));
  if (png !== undefined && chromium === undefined) {
    io.stderr('tabby sim: --png needs Chromium (chromium) on PATH; use --svg instead\n');
    return EXIT.usage;
  }
  const results: SimResult[] = [];
  const failed: string[] = [];
  for (const n of o.nodes) {
    const endpoints = o.endpoints ?? (o.endpointsPerNode ?? 40) * n;
    try {
      results.push(
        await runSim({
          nodes: n,
          endpoints,
          policies: o.policies,
          ...(o.namespaces !== undefined ? { namespaces: o.namespaces } : {}),
          churn: o.churn,
          durationS: o.duration,
          datastore: o.datastore,
          load: o.load,
          servers: o.servers,
          fanouts: o.fanouts,
          nodesPerWorker: o.nodesPerWorker,
          publishStatus: flag(opts, 'publishStatus'),
          shareObjects: flag(opts, 'shareObjects'),
          ...((opts as { startConcurrency?: number }).startConcurrency !== undefined ? { startConcurrency: (opts as { startConcurrency: number }).startConcurrency } : {}),
          scopePods: (opts as { podScope?: boolean }).podScope !== false,
          verify: flag(opts, 'verify'),
          timeoutS: o.timeout,
          seed: o.seed,
          log: (l) => io.stderr(`[${n} nodes] ${l}\n`),
        }),
      );
    } catch (e) {
      // Where it breaks is a result too: the sizes that finished are still printed and drawn.
      failed.push(`${n} nodes: ${e instanceof Error ? e.message : String(e)}`);
      io.stderr(`tabby sim: ${failed[failed.length - 1]!}\n`);
      break;
    }
  }
  if (results.length === 0) return EXIT.failed;
  const last = results[results.length - 1]!;
  const subtitle = `tabby sim --nodes ${o.nodes.join(',')} --endpoints${o.endpoints !== undefined ? ` ${o.endpoints}` : `-per-node ${o.endpointsPerNode ?? 40}`} --policies ${o.policies} --churn ${o.churn} --duration ${o.duration} --datastore ${o.datastore}; ${last.machine.cpus} CPUs, load ${last.machine.loadavgStart.map((x) => x.toFixed(1)).join(' ')}`;
  const svg = renderScaleSvg(
    results.map((r) => ({
      nodes: r.config.nodes,
      p99Ms: Number.isNaN(r.propagationMs.p99) ? 0 : r.propagationMs.p99,
      serverCpuPercent: r.servers.cpuPercent,
      serverRssMiB: r.servers.peakRssBytes / 1024 ** 2,
      ...(r.propagationMs.unreached > 0 ? { note: `${r.propagationMs.unreached} writes never programmed everywhere` } : {}),
    })),
    subtitle,
    failed,
  );
  const svgPath = stringOpt(opts, 'svg');
  if (svgPath !== undefined) writeFileSync(resolve(svgPath), svg);
  if (png !== undefined && chromium !== undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'tabby-sim-png-'));
    try {
      const src = join(dir, 'scale.svg');
      writeFileSync(src, svg);
      const r = spawnSync(chromium, ['--headless', '--no-sandbox', '--disable-gpu', `--user-data-dir=${join(dir, 'profile')}`, '--hide-scrollbars', '--window-size=1200,420', `--screenshot=${resolve(png)}`, pathToFileURL(src).href], {
        timeout: 60_000,
        encoding: 'utf8',
      });
      if (r.status !== 0) {
        io.stderr(`tabby sim: chromium could not render the PNG: ${(r.stderr ?? '').slice(-500)}\n`);
        return EXIT.failed;
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  io.stdout(o.output === 'json' ? `${JSON.stringify(results.length === 1 ? results[0] : results, null, 2)}\n` : simTable(results));
  const bad = results.flatMap((r) => r.mismatches ?? []);
  if (bad.length > 0) {
    io.stderr(`tabby sim: ${bad.length} node(s) programmed something else than the engine computes:\n  ${bad.join('\n  ')}\n`);
    return EXIT.failed;
  }
  return failed.length > 0 ? EXIT.failed : EXIT.ok;
}
