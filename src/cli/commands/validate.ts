/**
 * @module `tabby validate -f <file|dir|-> [-f ...] [-R]`: decodes and validates every manifest
 * without applying anything. Every problem is printed as `file:line:col: path: message` on
 * stderr and the exit code is 1; otherwise a one-line summary on stdout and exit code 0.
 */
import { Command } from 'commander';
import { readManifests } from '../input/read-manifests.js';
import { plural, printErrors, printWarnings } from '../output/located.js';
import { collect, EXIT, flag, stringList, type CommandContext } from './context.js';

export function validateCommand(ctx: CommandContext): Command {
  return new Command('validate')
    .description('check Calico and Kubernetes manifests (YAML or JSON) and report every problem with its file, line and field')
    .option('-f, --filename <path>', 'a file, a folder of .yaml/.yml/.json files, or - for standard input (repeatable)', collect)
    .option('-R, --recursive', 'also read the subfolders of folders given with -f', false)
    .action(async (opts: unknown) => {
      const files = stringList(opts, 'filename');
      if (files.length === 0) {
        ctx.io.stderr('tabby validate: at least one -f <file|dir|-> is required\n');
        ctx.exit(EXIT.usage);
        return;
      }
      ctx.exit(await runValidate(ctx, files, flag(opts, 'recursive')));
    });
}

async function runValidate(ctx: CommandContext, args: readonly string[], recursive: boolean): Promise<number> {
  const { io } = ctx;
  const read = await readManifests(io, args, recursive);
  for (const p of read.problems) io.stderr(`tabby: ${p}\n`);
  let resources = 0;
  let errors = 0;
  let badFiles = 0;
  for (const f of read.files) {
    printErrors(io, f.result.errors);
    printWarnings(io, f.result.warnings);
    resources += f.result.resources.length;
    errors += f.result.errors.length;
    if (f.result.errors.length > 0) badFiles++;
  }
  const nFiles = plural(read.files.length, 'file');
  if (errors > 0 || read.problems.length > 0) {
    const parts = [];
    if (errors > 0) parts.push(`${plural(errors, 'error')} in ${badFiles} of ${nFiles}`);
    if (read.problems.length > 0) parts.push(plural(read.problems.length, 'unreadable input'));
    io.stderr(`Invalid: ${parts.join(', ')}; ${plural(resources, 'resource')} valid\n`);
    return EXIT.failed;
  }
  io.stdout(`Valid: ${plural(resources, 'resource')} in ${nFiles}\n`);
  return EXIT.ok;
}
