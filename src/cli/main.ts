/**
 * @module `tabby`: main(argv, io) → exit code. Builds the commander program from the command
 * list, routes all output through the injected Io and turns usage errors into exit code 2.
 * Never calls process.exit; bin/tabby.ts sets process.exitCode from the result.
 */
import { Command, CommanderError } from 'commander';
import { COMMANDS, EXIT, type CommandContext } from './commands/index.js';
import type { Io } from './io.js';
import { VERSION } from './version.js';

export type { Io, FileStat } from './io.js';
export { IoError } from './io.js';

export function buildProgram(ctx: CommandContext): Command {
  const program = new Command('tabby')
    .description('Tabby: Calico-compatible network policy for Kubernetes')
    .version(VERSION, '--version', 'print the version of Tabby')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => ctx.io.stdout(s),
      writeErr: (s) => ctx.io.stderr(s),
    });
  for (const make of COMMANDS) program.addCommand(_inherit(make(ctx), program));
  return program;
}

/** Gives a subcommand (and its own subcommands) the program's output and exit behaviour. */
function _inherit(cmd: Command, from: Command): Command {
  cmd.copyInheritedSettings(from);
  for (const sub of cmd.commands) _inherit(sub, cmd);
  return cmd;
}

export async function main(argv: readonly string[], io: Io): Promise<number> {
  let code: number = EXIT.ok;
  const ctx: CommandContext = { io, exit: (c) => void (code = c) };
  const program = buildProgram(ctx);
  if (argv.length === 0) {
    program.outputHelp();
    return EXIT.ok;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    const msg = e instanceof Error ? e.message : String(e);
    io.stderr(`tabby: internal error: ${msg}\n`);
    if (io.env['TABBY_DEBUG'] && e instanceof Error && e.stack) io.stderr(`${e.stack}\n`);
    else io.stderr('(set TABBY_DEBUG=1 to see where)\n');
    return EXIT.failed;
  }
  return code;
}
