/**
 * @module `tabby test -f cluster… --expect expectations.yaml`: connectivity assertions as code,
 * for CI. Every expectation is checked against the resources (or the configured datastore);
 * each failure is printed with the line of the expectation and the trace of the actual verdict.
 * Exit code 0 when all pass, 1 on any failure or any invalid input, 2 on usage errors.
 * The expectations format is documented in engine/expectations.ts.
 */
import { Command, Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import { checkExpectations, decodeExpectations, expandExpectations, type ExpectationResult } from '../../engine/index.js';
import { formatLine } from '../../model/field/format.js';
import { describeIoError } from '../io.js';
import { addInputOptions, inputOptions, loadEngineInput, yamlLocator } from '../engine-input.js';
import { plural } from '../output/located.js';
import { junitXml, type JunitCase } from '../output/junit.js';
import { EXIT, flag, stringOpt, type CommandContext } from './context.js';
import { flowText, formatStages } from './verdict.js';

export function testCommand(ctx: CommandContext): Command {
  const cmd = new Command('test')
    .description('check connectivity expectations (from, to, port, expect: Allow|Deny) against the policies; exit 1 on any failure')
    .requiredOption('--expect <file>', 'the expectations file (YAML or JSON), or - for standard input')
    .option('-v, --verbose', 'also list the expectations that pass', false)
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json', 'junit']).default('text'));
  addInputOptions(cmd);
  return cmd.action(async (opts: unknown) => ctx.exit(await runTest(ctx, opts)));
}

async function runTest(ctx: CommandContext, opts: unknown): Promise<number> {
  const { io } = ctx;
  const file = stringOpt(opts, 'expect') ?? '';
  const name = file === '-' ? '<stdin>' : file;
  let text: string;
  try {
    text = file === '-' ? await io.readStdin() : await io.readFile(file);
  } catch (e) {
    io.stderr(`tabby test: ${file}: ${describeIoError(e)}\n`);
    return EXIT.failed;
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    io.stderr(`tabby test: ${name}: cannot read as YAML or JSON: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}\n`);
    return EXIT.failed;
  }
  const at = yamlLocator(text, name);
  const decoded = decodeExpectations(raw);
  for (const e of decoded.errors) io.stderr(`${at(e.field)}: ${formatLine(e)}\n`);
  const input = await loadEngineInput(io, inputOptions(opts, 'test'));
  if (input === undefined) return EXIT.failed;
  const expanded = expandExpectations(input.snapshot, decoded);
  for (const e of expanded.errors) io.stderr(`${at(e.field)}: ${formatLine(e)}\n`);
  const results = checkExpectations(input.snapshot, expanded.cases);
  const failed = results.filter((r) => !r.pass);
  const format = stringOpt(opts, 'output') ?? 'text';
  const where = (r: ExpectationResult): string => at(r.case.path);
  if (format === 'json') {
    io.stdout(
      `${JSON.stringify(
        results.map((r) => ({ location: where(r), ...(r.case.name !== undefined ? { name: r.case.name } : {}), ...r.case.flow, expect: r.case.expect, pass: r.pass, actual: r.actual })),
        null,
        2,
      )}\n`,
    );
  } else if (format === 'junit') {
    const cases: JunitCase[] = results.map((r) => ({
      classname: where(r),
      name: `${r.case.name !== undefined ? `${r.case.name}: ` : ''}${flowText(r.case.flow)} expect ${r.case.expect}`,
      ...(r.pass ? {} : { failure: { message: `expected ${r.case.expect}, got ${r.actual.action}`, text: `${r.actual.error !== undefined ? `error: ${r.actual.error}\n` : ''}${formatStages(r.actual.trace, '')}` } }),
    }));
    // Input that could not be checked is an error case each, so CI shows it beside the failures.
    for (const e of [...decoded.errors, ...expanded.errors]) cases.push({ classname: at(e.field), name: `expectation ${e.path}`, error: { message: formatLine(e), text: '' } });
    if (input.errors > 0) cases.push({ classname: input.origin, name: 'resources', error: { message: `${plural(input.errors, 'resource')} could not be read (see the log)`, text: '' } });
    io.stdout(junitXml('tabby test', cases));
  } else {
    let out = '';
    for (const r of results) {
      const label = `${r.case.name !== undefined ? `${r.case.name}: ` : ''}${flowText(r.case.flow)}`;
      if (r.pass) {
        if (flag(opts, 'verbose')) out += `PASS ${where(r)}: ${label}: ${r.actual.action}\n`;
        continue;
      }
      out += `FAIL ${where(r)}: ${label}: expected ${r.case.expect}, got ${r.actual.action}\n`;
      if (r.actual.error !== undefined) out += `  error: ${r.actual.error}\n`;
      out += formatStages(r.actual.trace, '  ');
    }
    const problems = decoded.errors.length + expanded.errors.length + input.errors;
    out += `${failed.length === 0 && problems === 0 ? 'ok' : 'FAILED'}: ${plural(results.length, 'expectation')}, ${results.length - failed.length} passed, ${failed.length} failed${problems > 0 ? `, ${plural(problems, 'input error')}` : ''}\n`;
    io.stdout(out);
  }
  const bad = failed.length > 0 || decoded.errors.length > 0 || expanded.errors.length > 0 || input.errors > 0;
  return bad ? EXIT.failed : EXIT.ok;
}
