/**
 * @module `calicoctl validate -f <FILE>`: decodes and validates every Calico resource offline
 * (no datastore), with calicoctl's summary; each invalid document is named with its
 * `file:line:col` and field.
 */
import { Command } from 'commander';
import type { CalicoctlContext } from '../context.js';
import { execute, reportContinuing } from '../execute.js';
import { loadFromFiles } from '../resources.js';
import { bool, list, withFiles } from './_options.js';

type Opts = Record<string, unknown>;

export function validateCommand(ctx: CalicoctlContext): Command {
  return withFiles(new Command('validate'), 'validate')
    .description('Validate a resource by file, directory or stdin without applying it.')
    .option('--allow-version-mismatch', 'allow client and cluster versions mismatch', false)
    .action(async (o: Opts) => {
      const { io } = ctx;
      const files = list(o, 'filename');
      if (files.length === 0) {
        io.stderr(`invalid option: 'calicoctl validate'. Use flag '--help' to read about a specific subcommand\n`);
        return ctx.exit(1);
      }
      const loaded = await loadFromFiles(io, files, bool(o, 'recursive'), bool(o, 'skipEmpty'));
      if (loaded.fileInvalid !== undefined) {
        io.stderr(`failed to execute command: ${loaded.fileInvalid}\n`);
        return ctx.exit(1);
      }
      if (loaded.err !== undefined) {
        io.stderr(`${loaded.err}\n`);
        return ctx.exit(1);
      }
      const r = await execute(loaded, { namespace: undefined, allNamespaces: false }, async (_t, obj) => obj);
      ctx.exit(reportContinuing(io, { verb: 'validate', past: 'validated', hit: 'Hit error(s)', lower: true }, r));
    });
}
