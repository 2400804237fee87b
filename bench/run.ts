/**
 * @module `npm run bench`: runs every bench/*.bench.ts module (each exports
 * `run(): Promise<BenchResult[]>`), prints a table and rewrites BENCHMARKS.md with the machine,
 * the date, the command and the results. `npm run bench -- selector` runs only matching modules
 * (and then leaves BENCHMARKS.md alone, so it always holds a full run). A module that fails in a
 * full run does not keep the others' figures out of the file: it is listed there as failed, with
 * its error, and the command exits 1.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, platform, release, arch, loadavg } from 'node:os';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export interface BenchResult {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** `>= 20000`, `<= 5` (ms), or `informational`. */
  readonly goal: string | number;
}

const HERE = new URL('.', import.meta.url).pathname;
/** `npm run bench` runs the compiled copy in dist/bench (the code users run); tsx runs bench/ directly. */
const COMPILED = /\/dist\/bench\/?$/.test(HERE);
const ROOT = COMPILED ? join(HERE, '..', '..') : join(HERE, '..');
const isBench = (f: string): boolean => f.endsWith('.bench.ts') || (f.endsWith('.bench.js') && COMPILED);

/** Whether a result meets its goal: true/false, or undefined when the goal is not a bound. */
export function meetsGoal(r: BenchResult): boolean | undefined {
  if (typeof r.goal === 'number') return r.value >= r.goal;
  const m = /^\s*(>=|≥|<=|≤|>|<)\s*([\d_,.]+)/.exec(r.goal);
  if (!m) return undefined;
  const bound = Number(m[2]!.replace(/[_,]/g, ''));
  const op = m[1];
  if (op === '>=' || op === '≥') return r.value >= bound;
  if (op === '<=' || op === '≤') return r.value <= bound;
  return op === '>' ? r.value > bound : r.value < bound;
}

function _decode(x: unknown, file: string): BenchResult[] {
  if (!Array.isArray(x)) throw new Error(`${file}: run() must return an array`);
  return x.map((r: unknown, i) => {
    const o = typeof r === 'object' && r !== null ? (r as Record<string, unknown>) : {};
    const { name, value, unit, goal } = o;
    if (typeof name !== 'string' || typeof value !== 'number' || typeof unit !== 'string' || (typeof goal !== 'string' && typeof goal !== 'number'))
      throw new Error(`${file}: result ${i} must be {name: string, value: number, unit: string, goal: string | number}`);
    return { name, value, unit, goal };
  });
}

const fmt = (n: number): string => (Number.isInteger(n) ? n.toLocaleString('en-US') : n.toLocaleString('en-US', { maximumFractionDigits: 3 }));
const fmtGoal = (g: string | number): string => (typeof g === 'number' ? `>= ${fmt(g)}` : g.replace(/[\d_]{4,}/g, (d) => fmt(Number(d.replace(/_/g, '')))));
const verdict = (r: BenchResult): string => {
  const m = meetsGoal(r);
  return m === undefined ? '' : m ? 'met' : 'MISSED';
};

function _table(rows: readonly { module: string; r: BenchResult }[]): string[] {
  const head = ['benchmark', 'result', 'unit', 'goal', ''];
  const body = rows.map(({ r }) => [r.name, fmt(r.value), r.unit, fmtGoal(r.goal), verdict(r)]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 1 ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join('  ').trimEnd();
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...body.map(line)];
}

const _load = (l: readonly number[]): string => l.map((x) => x.toFixed(2)).join(', ');
const _cell = (s: string): string => s.replace(/\|/g, '\\|');

function _markdown(rows: readonly { module: string; r: BenchResult }[], failures: readonly { module: string; error: string }[], date: Date, startLoad: readonly number[]): string {
  const cpu = cpus();
  const mem = (totalmem() / 2 ** 30).toFixed(1);
  const lines = [
    '# Benchmarks',
    '',
    'Written by `npm run bench` (bench/run.ts); do not edit by hand. Each `bench/*.bench.ts` module',
    'measures one area; every figure is single-threaded, the best of a few rounds after a warm-up.',
    '',
    `- Date: ${date.toISOString().replace(/\.\d+Z$/, 'Z')}`,
    `- Machine: ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} cores, ${mem} GiB memory`,
    `- OS: ${platform()} ${release()} (${arch()})`,
    `- Node.js: ${process.version}`,
    `- Load average (1, 5, 15 min) at start: ${_load(startLoad)}; at end: ${_load(loadavg())} (other work on the machine slows every figure)`,
    '- Command: `npm run bench` (compiled with tsc, run from `dist/bench` with plain node: the code users run)',
    '- CPU-bound single-core figures are timed in CPU time (process.cpuUsage), so other load on the machine changes them little;',
    '  latencies and throughputs that wait on I/O or other processes are wall-clock.',
    '',
    '| Benchmark | Module | Result | Unit | Goal | |',
    '|---|---|---:|---|---|---|',
    ...rows.map(({ module, r }) => `| ${_cell(r.name)} | \`${module}\` | ${fmt(r.value)} | ${_cell(r.unit)} | ${_cell(fmtGoal(r.goal))} | ${verdict(r)} |`),
    '',
    ...(failures.length === 0
      ? []
      : ['## Modules that failed in this run (no figures from them above)', '', ...failures.map((f) => `- \`${f.module}\`: ${f.error.replace(/\s+/g, ' ').slice(0, 300)}`), '']),
  ];
  return lines.join('\n');
}

async function main(filter: readonly string[]): Promise<number> {
  const startLoad = loadavg();
  const files = readdirSync(HERE)
    .filter(isBench)
    .filter((f) => filter.length === 0 || filter.some((x) => f.includes(x)))
    .sort();
  if (files.length === 0) {
    console.error('no bench/*.bench.ts modules found');
    return 1;
  }
  const rows: { module: string; r: BenchResult }[] = [];
  const failures: { module: string; error: string }[] = [];
  for (const f of files) {
    const quiet = await _settle();
    process.stderr.write(`running ${f}...${quiet ? '' : ' (the machine did not settle: other work is running)'}\n`);
    try {
      for (const r of _decode(_runIsolated(f), f)) rows.push({ module: f, r });
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      failures.push({ module: f, error });
      console.error(`${f}: ${error}`);
    }
  }
  console.log(_table(rows).join('\n'));
  if (filter.length === 0) {
    writeFileSync(join(ROOT, 'BENCHMARKS.md'), _markdown(rows, failures, new Date(), startLoad));
    console.error(`wrote BENCHMARKS.md${failures.length === 0 ? '' : ` (${failures.length} module(s) failed: listed there)`}`);
  } else console.error('BENCHMARKS.md left unchanged (partial run)');
  return failures.length === 0 ? 0 : 1;
}

const RESULT_MARK = 'TABBY-BENCH-RESULT ';

/** Busy and total jiffies of all CPUs (Linux /proc/stat); undefined elsewhere. */
function _cpuTimes(): { busy: number; total: number } | undefined {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/**
 * Waits (at most 30 s) until the machine is quiet: under 10% of all CPUs busy over half a second.
 * The kernel tears a network namespace down asynchronously, and a module that programmed tens of
 * thousands of rules leaves seconds of that work behind; the next module must not pay for it.
 */
async function _settle(): Promise<boolean> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const a = _cpuTimes();
    await new Promise((r) => setTimeout(r, 500));
    const b = _cpuTimes();
    if (a === undefined || b === undefined) return true;
    if ((b.busy - a.busy) / Math.max(1, b.total - a.total) < 0.1) return true;
  }
  return false;
}

/**
 * Runs one module in a fresh Node process (with --expose-gc): a module measured after others
 * would inherit their heap and polymorphic inline caches, and report that instead of itself.
 */
function _runIsolated(file: string): unknown {
  const self = fileURLToPath(import.meta.url);
  const args = ['--expose-gc', ...process.execArgv.filter((a) => a !== '--expose-gc'), self, '--child', file];
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`exited with ${r.status ?? r.signal}`);
  const line = r.stdout.split('\n').find((l) => l.startsWith(RESULT_MARK));
  if (line === undefined) throw new Error('printed no result');
  return JSON.parse(line.slice(RESULT_MARK.length)) as unknown;
}

async function _child(file: string): Promise<number> {
  const mod: unknown = await import(pathToFileURL(join(HERE, file)).href);
  const fn = typeof mod === 'object' && mod !== null ? (mod as Record<string, unknown>)['run'] : undefined;
  if (typeof fn !== 'function') throw new Error(`${file} does not export run()`);
  const results: unknown = await (fn as () => Promise<unknown>)();
  process.stdout.write(`${RESULT_MARK}${JSON.stringify(results)}\n`);
  return 0;
}

const argv = process.argv.slice(2);
process.exitCode = argv[0] === '--child' && argv[1] !== undefined ? await _child(argv[1]) : await main(argv);
