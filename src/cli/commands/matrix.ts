/**
 * @module `tabby matrix`: every pod → every pod, for each declared container port (or
 * `--ports 80/TCP,53/UDP`), as a truth table (rows are sources, columns destinations; `.`
 * allowed, `X` denied), or `-o json|csv|md|dot`. One engine run per pair of workload classes,
 * so large clusters stay fast (see engine/matrix.ts).
 */
import { Command, Option } from 'commander';
import { declaredPorts, parseMatrixPort, verdictMatrix, type MatrixPort, type Snapshot } from '../../engine/index.js';
import { addInputOptions, inputOptions, loadEngineInput } from '../engine-input.js';
import { EXIT, stringOpt, type CommandContext } from './context.js';

export interface MatrixTable {
  readonly port: MatrixPort;
  /** Row-major over `pods`: 1 allowed, 0 denied. */
  readonly allowed: Uint8Array;
}

export interface MatrixResult {
  readonly pods: readonly string[];
  readonly tables: readonly MatrixTable[];
}

/** Parses `--ports 80/TCP,53/UDP`; the error names the bad entry. */
export function parsePortList(text: string): { ok: true; ports: MatrixPort[] } | { ok: false; error: string } {
  const ports: MatrixPort[] = [];
  for (const part of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const p = parseMatrixPort(part);
    if (p === undefined) return { ok: false, error: `--ports: cannot read ${JSON.stringify(part)} (expected PORT/PROTOCOL, e.g. 80/TCP)` };
    ports.push(p);
  }
  return ports.length === 0 ? { ok: false, error: '--ports: no ports given' } : { ok: true, ports };
}

/** The matrix for each port, restricted to the pods of `namespace` when given. */
export function computeMatrix(snap: Snapshot, ports: readonly MatrixPort[], namespace?: string): MatrixResult {
  const all = snap.workloads.map((w) => w.key);
  const keep: number[] = [];
  all.forEach((k, i) => {
    if (namespace === undefined || k.startsWith(`${namespace}/`)) keep.push(i);
  });
  const n = all.length;
  const m = keep.length;
  const tables = ports.map((port) => {
    const vm = verdictMatrix(snap, { protocol: port.protocol, port: port.port });
    if (m === n) return { port, allowed: vm.allowed };
    const allowed = new Uint8Array(m * m);
    for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) allowed[a * m + b] = vm.allowed[keep[a]! * n + keep[b]!]!;
    return { port, allowed };
  });
  return { pods: keep.map((i) => all[i]!), tables };
}

const _portName = (p: MatrixPort): string => `${p.protocol}/${p.port}`;

function _text(r: MatrixResult): string {
  const w = Math.max(...r.pods.map((p) => p.length), 4);
  let out = '';
  for (const t of r.tables) {
    out += `${_portName(t.port)}: rows are sources, columns destinations; . allowed, X denied\n`;
    out += `${''.padEnd(w)}  ${r.pods.map((p) => p.padEnd(w)).join(' ').trimEnd()}\n`;
    const n = r.pods.length;
    for (let a = 0; a < n; a++) {
      const cells: string[] = [];
      for (let b = 0; b < n; b++) cells.push((t.allowed[a * n + b] === 1 ? '.' : 'X').padEnd(w));
      out += `${r.pods[a]!.padEnd(w)}  ${cells.join(' ').trimEnd()}\n`;
    }
    out += '\n';
  }
  return out;
}

function _md(r: MatrixResult): string {
  let out = '';
  const n = r.pods.length;
  for (const t of r.tables) {
    out += `### ${_portName(t.port)}\n\n| from \\ to | ${r.pods.join(' | ')} |\n|---|${r.pods.map(() => ':-:').join('|')}|\n`;
    for (let a = 0; a < n; a++) {
      const cells: string[] = [];
      for (let b = 0; b < n; b++) cells.push(t.allowed[a * n + b] === 1 ? '✓' : '✗');
      out += `| ${r.pods[a]} | ${cells.join(' | ')} |\n`;
    }
    out += '\n';
  }
  return out;
}

function _csv(r: MatrixResult): string {
  const q = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const n = r.pods.length;
  const lines = ['from,to,protocol,port,action'];
  for (const t of r.tables)
    for (let a = 0; a < n; a++)
      for (let b = 0; b < n; b++) lines.push(`${q(r.pods[a]!)},${q(r.pods[b]!)},${t.port.protocol},${t.port.port},${t.allowed[a * n + b] === 1 ? 'Allow' : 'Deny'}`);
  return `${lines.join('\n')}\n`;
}

function _json(r: MatrixResult): string {
  const n = r.pods.length;
  return `${JSON.stringify(
    {
      pods: r.pods,
      tables: r.tables.map((t) => ({
        protocol: t.port.protocol,
        port: t.port.port,
        allowed: Array.from({ length: n }, (_, a) => Array.from(t.allowed.subarray(a * n, a * n + n), (v) => v === 1)),
      })),
    },
    null,
    1,
  )}\n`;
}

/** Graphviz: one edge per allowed pair, labelled with the ports it is allowed on. */
function _dot(r: MatrixResult): string {
  const n = r.pods.length;
  const q = (s: string): string => JSON.stringify(s);
  let out = 'digraph tabby {\n  rankdir=LR;\n  node [shape=box];\n';
  for (const p of r.pods) out += `  ${q(p)};\n`;
  for (let a = 0; a < n; a++)
    for (let b = 0; b < n; b++) {
      const on = r.tables.filter((t) => t.allowed[a * n + b] === 1).map((t) => _portName(t.port));
      if (on.length > 0) out += `  ${q(r.pods[a]!)} -> ${q(r.pods[b]!)} [label=${q(on.join(','))}];\n`;
    }
  return `${out}}\n`;
}

export function matrixCommand(ctx: CommandContext): Command {
  const cmd = new Command('matrix')
    .description('allowed/denied for every pod pair on every declared port, as a table, JSON, CSV, Markdown or Graphviz')
    .option('--ports <list>', 'ports to check, e.g. 80/TCP,53/UDP (default: every declared container port)')
    .option('-n, --namespace <namespace>', 'only the pods of this namespace')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'csv', 'md', 'dot']).default('table'));
  addInputOptions(cmd);
  return cmd.action(async (opts: unknown) => ctx.exit(await runMatrix(ctx, opts)));
}

async function runMatrix(ctx: CommandContext, opts: unknown): Promise<number> {
  const { io } = ctx;
  const portsOpt = stringOpt(opts, 'ports');
  let ports: MatrixPort[] | undefined;
  if (portsOpt !== undefined) {
    const p = parsePortList(portsOpt);
    if (!p.ok) {
      io.stderr(`tabby matrix: ${p.error}\n`);
      return EXIT.usage;
    }
    ports = p.ports;
  }
  const input = await loadEngineInput(io, inputOptions(opts, 'matrix'));
  if (input === undefined) return EXIT.failed;
  ports ??= declaredPorts(input.resources);
  if (ports.length === 0) {
    io.stderr('tabby matrix: the pods declare no container ports; give --ports, e.g. --ports 80/TCP\n');
    return EXIT.usage;
  }
  const r = computeMatrix(input.snapshot, ports, stringOpt(opts, 'namespace'));
  const format = stringOpt(opts, 'output') ?? 'table';
  const render = { table: _text, json: _json, csv: _csv, md: _md, dot: _dot }[format] ?? _text;
  io.stdout(render(r));
  return input.errors > 0 ? EXIT.failed : EXIT.ok;
}
