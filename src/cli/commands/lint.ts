/**
 * @module `tabby lint`: policy warnings with their place in the manifests,
 * `file:line:col: warning: message [code]`: selectors that select nothing (with the case-slip
 * hint for `Tier` vs `tier`), shadowed rules, unreachable Log rules, host endpoint policy that
 * cuts management paths, default-deny egress without DNS. The checks are engine/lint (pure).
 * Exit code 0 when there are no warnings (info findings do not count), 1 otherwise.
 */
import { Command, Option } from 'commander';
import { lint, type LintFinding } from '../../engine/index.js';
import { plural } from '../output/located.js';
import { addInputOptions, inputOptions, loadEngineInput } from '../engine-input.js';
import { EXIT, stringOpt, type CommandContext } from './context.js';

export function lintCommand(ctx: CommandContext): Command {
  const cmd = new Command('lint')
    .description('warn about policies that select nothing, shadowed or unreachable rules, host endpoint lock-outs and egress without DNS')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'));
  addInputOptions(cmd);
  return cmd.action(async (opts: unknown) => ctx.exit(await runLint(ctx, opts)));
}

async function runLint(ctx: CommandContext, opts: unknown): Promise<number> {
  const { io } = ctx;
  const input = await loadEngineInput(io, inputOptions(opts, 'lint'));
  if (input === undefined) return EXIT.failed;
  const findings = lint(input.resources, input.snapshot);
  const where = (f: LintFinding): string => input.locate(f.resource, f.path);
  if (stringOpt(opts, 'output') === 'json') {
    io.stdout(`${JSON.stringify(findings.map((f) => ({ location: where(f), code: f.code, severity: f.severity, resource: f.resource, path: f.path.toString(), message: f.message })), null, 2)}\n`);
  } else {
    let out = '';
    for (const f of findings) out += `${where(f)}: ${f.severity}: ${f.path.toString()}: ${f.message} [${f.code}]\n`;
    const warnings = findings.filter((f) => f.severity === 'warning').length;
    out += findings.length === 0 ? `no findings in ${input.origin}\n` : `${plural(warnings, 'warning')}, ${findings.length - warnings} info\n`;
    io.stdout(out);
  }
  return findings.some((f) => f.severity === 'warning') || input.errors > 0 ? EXIT.failed : EXIT.ok;
}
