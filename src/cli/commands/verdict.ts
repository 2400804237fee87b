/**
 * @module `tabby verdict`: the verdict, and why, for one flow (`--from A --to B --port P
 * --protocol TCP`) or for every flow of a flows file (`--flows flows.json`).
 *
 * `-o json` prints a JSON array in input order: each element is the input object plus `action`
 * (`Allow`|`Deny`), `staged` (only where staged policies, enforced, would change the action)
 * and `trace` (the stages the packet met). Flows that cannot be evaluated (an unknown pod) are
 * Deny with an `error`. Exit code 0; 1 when an input document or a flow entry was malformed.
 *
 * Also the human renderings of a verdict (formatVerdict), shared by `test` and `diff`.
 */
import { Command, Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import { decodeFlows, runVerdicts, type FlowInput, type Stage, type StageKind, type VerdictOutput } from '../../engine/index.js';
import { describeIoError, type Io } from '../io.js';
import { addInputOptions, inputOptions, loadEngineInput } from '../engine-input.js';
import { EXIT, stringOpt, type CommandContext } from './context.js';

export function stageName(k: StageKind): string {
  switch (k) {
    case 'untracked':
      return 'untracked (doNotTrack)';
    case 'untrackedReply':
      return 'untracked reply';
    case 'preDNAT':
      return 'pre-DNAT';
    case 'dnat':
      return 'DNAT';
    case 'snat':
      return 'SNAT';
    case 'sourceEgress':
      return 'source egress';
    case 'endpointToHost':
      return 'endpoint to host';
    case 'hostEgress':
      return 'host egress';
    case 'forwardEgress':
      return 'forward egress';
    case 'forwardIngress':
      return 'forward ingress';
    case 'hostIngress':
      return 'host ingress';
    case 'destinationIngress':
      return 'destination ingress';
    default: {
      const never: never = k;
      return String(never);
    }
  }
}

/** `TCP/8080`, `ICMP`, `UDP` (no port). */
export function portText(protocol: string | number, port: number | undefined): string {
  const p = String(protocol).toUpperCase();
  return port === undefined ? p : `${p}/${port}`;
}

/** `from → to TCP/80` */
export function flowText(f: { from: string; to: string; port?: number | undefined; protocol?: string | number | undefined }): string {
  return `${f.from} → ${f.to} ${portText(f.protocol ?? 'TCP', f.port)}`;
}

/** The stages, one numbered line each (plus logged rules, near misses and rewrites), indented. */
export function formatStages(stages: readonly Stage[], indent: string): string {
  let out = '';
  stages.forEach((s, i) => {
    const who = s.endpoint !== undefined ? ` ${s.endpoint}` : '';
    out += `${indent}${i + 1}. ${stageName(s.stage)}${who}: ${s.summary}${s.detail !== undefined ? ` → ${s.detail}` : ''}\n`;
    for (const l of s.logged ?? []) out += `${indent}   logged: tier ${l.tier}, policy ${l.policy}, rule ${l.ruleIndex}\n`;
    if (s.nearMiss !== undefined && s.action === 'Deny') {
      const n = s.nearMiss;
      out += `${indent}   nearest rule: tier ${n.tier}, policy ${n.policy}, rule ${n.ruleIndex} (${n.action}), which failed on: ${n.failed.join('; ')}\n`;
    }
  });
  return out;
}

/** The full human trace of one verdict. */
export function formatVerdict(v: VerdictOutput): string {
  let out = `${flowText(v)}: ${v.action}\n`;
  if (v.error !== undefined) out += `  error: ${v.error}\n`;
  if (v.backends !== undefined && v.backends.length > 1) {
    out += formatStages(v.trace, '  ');
    for (const b of v.backends) {
      out += `  backend ${b.backend}: ${b.action}\n`;
      out += formatStages(b.stages, '    ');
    }
  } else out += formatStages(v.trace, '  ');
  if (v.staged !== undefined) out += `  staged policies, if enforced, would make it: ${v.staged}\n`;
  return out;
}

/** Reads a flows file (JSON, or YAML) from a path or `-`; errors are one line. */
export async function readFlowsFile(io: Io, path: string): Promise<{ ok: true; raw: unknown } | { ok: false; error: string }> {
  let text: string;
  try {
    text = path === '-' ? await io.readStdin() : await io.readFile(path);
  } catch (e) {
    return { ok: false, error: `${path}: ${describeIoError(e)}` };
  }
  try {
    return { ok: true, raw: JSON.parse(text) };
  } catch (je) {
    try {
      return { ok: true, raw: parseYaml(text) };
    } catch {
      return { ok: false, error: `${path}: not valid JSON: ${je instanceof Error ? je.message : String(je)}` };
    }
  }
}

/** `"80"` → 80: flows written by hand or by scripts often quote ports. */
function _normalise(x: unknown): unknown {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return x;
  const o = x as Record<string, unknown>;
  const port = o['port'];
  if (typeof port === 'string' && /^\d+$/.test(port.trim())) return { ...o, port: Number(port.trim()) };
  return o;
}

export interface FlowEntry {
  /** The input object, as given (echoed in the output). */
  readonly input: unknown;
  readonly flow?: FlowInput;
  readonly error?: string;
}

/** Each element of a flows array, decoded on its own so one bad entry keeps its place. */
export function decodeFlowEntries(raw: unknown): { entries: FlowEntry[]; error?: string } {
  const list = Array.isArray(raw) ? raw : raw !== null && typeof raw === 'object' && Array.isArray((raw as { flows?: unknown }).flows) ? (raw as { flows: unknown[] }).flows : undefined;
  if (list === undefined) return { entries: [], error: 'expected a JSON array of {from, to, port, protocol}' };
  return {
    entries: list.map((x, i) => {
      const n = _normalise(x);
      const d = decodeFlows([n]);
      const f = d.flows[0];
      if (f !== undefined) return { input: x, flow: f };
      return { input: x, error: d.errors.map((e) => e.replace(/^flows\[0\]/, `flows[${i}]`)).join('; ') };
    }),
  };
}

function _protocolOf(input: unknown): string | number {
  const p = input !== null && typeof input === 'object' ? (input as { protocol?: unknown }).protocol : undefined;
  return typeof p === 'string' || typeof p === 'number' ? p : 'TCP';
}

export function verdictCommand(ctx: CommandContext): Command {
  const cmd = new Command('verdict')
    .description('show whether a flow is allowed and which rule decided it, for one flow or a flows file')
    .option('--from <endpoint>', 'source: namespace/pod, pod (namespace default), node:<name>, or an IP address')
    .option('--to <endpoint>', 'destination: namespace/pod, node:<name>, or an IP address (pod, node, Service, external)')
    .option('--port <port>', 'destination port')
    .option('--protocol <protocol>', 'TCP, UDP, SCTP, ICMP, ICMPv6 or a protocol number', 'TCP')
    .option('--src-port <port>', 'source port (default: an ephemeral port no rule names)')
    .option('--via <node>', 'for a LoadBalancer IP: the node the load balancer delivers to')
    .option('--flows <file>', 'a JSON array of {from, to, port, protocol} (or - for standard input)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'));
  addInputOptions(cmd);
  return cmd.action(async (opts: unknown) => ctx.exit(await runVerdict(ctx, opts)));
}

function _int(v: string | undefined, name: string): number | undefined | string {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v.trim()) || Number(v) > 65535) return `--${name} must be an integer 0-65535, got ${JSON.stringify(v)}`;
  return Number(v);
}

async function runVerdict(ctx: CommandContext, opts: unknown): Promise<number> {
  const { io } = ctx;
  const flowsPath = stringOpt(opts, 'flows');
  const from = stringOpt(opts, 'from');
  const to = stringOpt(opts, 'to');
  const output = stringOpt(opts, 'output') ?? 'text';
  let entries: FlowEntry[];
  let failed = false;
  if (flowsPath !== undefined) {
    if (from !== undefined || to !== undefined) {
      io.stderr('tabby verdict: give either --flows or --from/--to, not both\n');
      return EXIT.usage;
    }
    const r = await readFlowsFile(io, flowsPath);
    if (!r.ok) {
      io.stderr(`tabby verdict: ${r.error}\n`);
      return EXIT.failed;
    }
    const d = decodeFlowEntries(r.raw);
    if (d.error !== undefined) {
      io.stderr(`tabby verdict: ${flowsPath}: ${d.error}\n`);
      return EXIT.failed;
    }
    entries = d.entries;
  } else {
    if (from === undefined || to === undefined) {
      io.stderr('tabby verdict: give --from and --to (and usually --port), or --flows <file>\n');
      return EXIT.usage;
    }
    const port = _int(stringOpt(opts, 'port'), 'port');
    const srcPort = _int(stringOpt(opts, 'srcPort'), 'src-port');
    for (const v of [port, srcPort])
      if (typeof v === 'string') {
        io.stderr(`tabby verdict: ${v}\n`);
        return EXIT.usage;
      }
    const via = stringOpt(opts, 'via');
    const flow: FlowInput = {
      from,
      to,
      protocol: stringOpt(opts, 'protocol') ?? 'TCP',
      ...(typeof port === 'number' ? { port } : {}),
      ...(typeof srcPort === 'number' ? { srcPort } : {}),
      ...(via !== undefined ? { via } : {}),
    };
    entries = [{ input: flow, flow }];
  }
  const input = await loadEngineInput(io, inputOptions(opts, 'verdict'));
  if (input === undefined) return EXIT.failed;
  if (input.errors > 0) failed = true;
  const results: VerdictOutput[] = entries.map((e) => {
    if (e.flow === undefined) {
      failed = true;
      const o = (e.input !== null && typeof e.input === 'object' ? e.input : {}) as { from?: unknown; to?: unknown };
      return { from: String(o.from ?? ''), to: String(o.to ?? ''), protocol: _protocolOf(e.input), action: 'Deny', trace: [], error: e.error ?? 'invalid flow' };
    }
    return runVerdicts(input.snapshot, [e.flow])[0]!;
  });
  const unresolved = results.filter((r) => r.error !== undefined).length;
  // One flow that cannot be evaluated (an unknown pod, say) has no verdict: only the error.
  if (flowsPath === undefined && output === 'text' && results[0]?.error !== undefined) {
    io.stderr(`tabby verdict: ${flowText(results[0])}: ${results[0].error}\n`);
    return EXIT.failed;
  }
  if (output === 'json') {
    const out = results.map((r, i) => {
      const orig = entries[i]!.input;
      return orig !== null && typeof orig === 'object' && !Array.isArray(orig) ? { ...(orig as object), ...r } : r;
    });
    io.stdout(`${JSON.stringify(out, null, 2)}\n`);
  } else io.stdout(results.map(formatVerdict).join('\n'));
  if (flowsPath === undefined && unresolved > 0) failed = true;
  if (unresolved > 0 && flowsPath !== undefined) io.stderr(`tabby verdict: ${unresolved} of ${results.length} flows could not be evaluated (see "error"); they are Deny\n`);
  return failed ? EXIT.failed : EXIT.ok;
}
