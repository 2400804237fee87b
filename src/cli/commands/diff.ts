/**
 * @module `tabby diff -f current… --apply new.yaml [--delete old.yaml]`: the flows whose
 * verdict the change would flip, before anything is applied. Without `--apply`/`--delete`, the
 * change is "enforce the staged policies". Flows are every pod pair over the declared container
 * ports (or `--ports`), or the flows of `--flows flows.json`.
 * Exit code 0: nothing flips; 1: some flows flip; 2: usage or input errors (like diff(1)).
 */
import { Command, Option } from 'commander';
import {
  applyChanges,
  buildSnapshot,
  declaredPorts,
  diffVerdicts,
  evaluateFlow,
  promoteStaged,
  runVerdicts,
  type FlowInput,
  type MatrixPort,
  type Snapshot,
  type Stage,
  type VerdictAction,
} from '../../engine/index.js';
import type { Resource } from '../../model/meta.js';
import { readManifests } from '../input/read-manifests.js';
import { printErrors, plural } from '../output/located.js';
import { junitXml, type JunitCase } from '../output/junit.js';
import { addInputOptions, inputOptions, loadEngineInput } from '../engine-input.js';
import { collect, EXIT, flag, stringList, stringOpt, type CommandContext } from './context.js';
import { parsePortList } from './matrix.js';
import { decodeFlowEntries, flowText, readFlowsFile, stageName } from './verdict.js';

interface _Flip {
  readonly flow: FlowInput;
  readonly before: VerdictAction;
  readonly after: VerdictAction;
}

export function diffCommand(ctx: CommandContext): Command {
  const cmd = new Command('diff')
    .description('list the flows whose verdict a change would flip, before applying it (exit 0: none, 1: some)')
    .option('--apply <path>', 'resources the change creates or replaces (file, folder or -; repeatable)', collect)
    .option('--delete <path>', 'resources the change deletes (repeatable)', collect)
    .option('--ports <list>', 'ports to compare, e.g. 80/TCP,53/UDP (default: every declared container port)')
    .option('--flows <file>', 'compare these flows (JSON array of {from, to, port, protocol}) instead of every pod pair')
    .option('-q, --quiet', 'print nothing; only the exit code', false)
    .addOption(new Option('-o, --output <format>', 'output format (junit: one failing test case per flipped flow)').choices(['text', 'json', 'junit']).default('text'));
  addInputOptions(cmd);
  return cmd.action(async (opts: unknown) => ctx.exit(await runDiff(ctx, opts)));
}

const TROUBLE = 2;

async function _read(ctx: CommandContext, paths: readonly string[], recursive: boolean): Promise<Resource[] | undefined> {
  if (paths.length === 0) return [];
  const read = await readManifests(ctx.io, paths, recursive);
  for (const p of read.problems) ctx.io.stderr(`tabby diff: ${p}\n`);
  let bad = read.problems.length > 0;
  const out: Resource[] = [];
  for (const f of read.files) {
    printErrors(ctx.io, f.result.errors);
    if (f.result.errors.length > 0) bad = true;
    for (const r of f.result.resources) out.push(r.resource);
  }
  return bad ? undefined : out;
}

/** The stage that decided a verdict: the first Deny, else the last stage. */
function _decisive(stages: readonly Stage[]): string {
  const s = stages.find((x) => x.action === 'Deny') ?? stages[stages.length - 1];
  return s === undefined ? 'no stage' : `${stageName(s.stage)}${s.endpoint !== undefined ? ` ${s.endpoint}` : ''}: ${s.summary}`;
}

async function runDiff(ctx: CommandContext, opts: unknown): Promise<number> {
  const { io } = ctx;
  let ports: MatrixPort[] | undefined;
  const portsOpt = stringOpt(opts, 'ports');
  if (portsOpt !== undefined) {
    const p = parsePortList(portsOpt);
    if (!p.ok) {
      io.stderr(`tabby diff: ${p.error}\n`);
      return EXIT.usage;
    }
    ports = p.ports;
  }
  const recursive = flag(opts, 'recursive');
  const applyPaths = stringList(opts, 'apply');
  const deletePaths = stringList(opts, 'delete');
  const input = await loadEngineInput(io, inputOptions(opts, 'diff'));
  if (input === undefined || input.errors > 0) return TROUBLE;
  const apply = await _read(ctx, applyPaths, recursive);
  const remove = await _read(ctx, deletePaths, recursive);
  if (apply === undefined || remove === undefined) return TROUBLE;
  const staged = applyPaths.length === 0 && deletePaths.length === 0;
  const afterResources = staged ? promoteStaged(input.resources) : applyChanges(input.resources, { apply, remove });
  const before = input.snapshot;
  const after: Snapshot = buildSnapshot(afterResources);

  let flips: _Flip[];
  const flowsPath = stringOpt(opts, 'flows');
  if (flowsPath !== undefined) {
    const r = await readFlowsFile(io, flowsPath);
    if (!r.ok) {
      io.stderr(`tabby diff: ${r.error}\n`);
      return TROUBLE;
    }
    const d = decodeFlowEntries(r.raw);
    const bad = d.entries.filter((e) => e.flow === undefined);
    if (d.error !== undefined || bad.length > 0) {
      io.stderr(`tabby diff: ${flowsPath}: ${d.error ?? bad.map((e) => e.error).join('; ')}\n`);
      return TROUBLE;
    }
    const flows = d.entries.map((e) => e.flow!);
    const b = runVerdicts(before, flows);
    const a = runVerdicts(after, flows);
    flips = flows.flatMap((flow, i) => (b[i]!.action !== a[i]!.action ? [{ flow, before: b[i]!.action, after: a[i]!.action }] : []));
  } else {
    ports ??= declaredPorts(afterResources);
    if (ports.length === 0) {
      io.stderr('tabby diff: the pods declare no container ports; give --ports, e.g. --ports 80/TCP, or --flows\n');
      return EXIT.usage;
    }
    flips = diffVerdicts(before, after, ports).map((c) => ({ flow: { from: c.from, to: c.to, port: c.port, protocol: c.protocol }, before: c.before, after: c.after }));
  }

  if (!flag(opts, 'quiet')) {
    const what = staged ? 'enforcing the staged policies' : 'the change';
    const format = stringOpt(opts, 'output');
    if (format === 'junit') {
      const cases: JunitCase[] = flips.map((f) => ({
        classname: what,
        name: flowText(f.flow),
        failure: {
          message: `${f.before} → ${f.after}`,
          text: `now:   ${_decisive(evaluateFlow(before, f.flow).stages)}\nafter: ${_decisive(evaluateFlow(after, f.flow).stages)}\n`,
        },
      }));
      if (cases.length === 0) cases.push({ classname: what, name: 'no flow flips' });
      io.stdout(junitXml('tabby diff', cases));
    } else if (format === 'json') {
      io.stdout(`${JSON.stringify(flips.map((f) => ({ ...f.flow, before: f.before, after: f.after })), null, 2)}\n`);
    } else if (flips.length === 0) {
      io.stdout(`no verdict changes: ${what} flips no flow\n`);
    } else {
      let out = `${plural(flips.length, 'flow')} would change with ${what}:\n`;
      for (const f of flips) {
        out += `  ${flowText(f.flow)}: ${f.before} → ${f.after}\n`;
        out += `      now:   ${_decisive(evaluateFlow(before, f.flow).stages)}\n`;
        out += `      after: ${_decisive(evaluateFlow(after, f.flow).stages)}\n`;
      }
      io.stdout(out);
    }
  }
  return flips.length > 0 ? EXIT.failed : EXIT.ok;
}
