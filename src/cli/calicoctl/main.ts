/**
 * @module `calicoctl`: calicoctlMain(argv, io) → exit code. calicoctl's commands, flags,
 * aliases, messages and exit codes (1 on any failure; `diff` uses 0/1/2), reading its config
 * file and environment. Never calls process.exit and never prints a stack trace unless
 * TABBY_DEBUG is set; bin/calicoctl.ts wires the process.
 */
import { Command, CommanderError } from 'commander';
import type { Io } from '../io.js';
import { VERSION } from '../version.js';
import { CALICOCTL_COMMANDS } from './commands/index.js';
import { makeContext, type CalicoctlDeps } from './context.js';

export type { CalicoctlDeps } from './context.js';
export { DEFAULT_CONFIG_PATH } from './config.js';

function _inherit(cmd: Command, from: Command): Command {
  cmd.copyInheritedSettings(from);
  for (const sub of cmd.commands) _inherit(sub, cmd);
  return cmd;
}

function _invalid(argv: readonly string[]): string {
  return `Invalid option: 'calicoctl ${argv.join(' ')}'. Use flag '--help' to read about a specific subcommand.\n`;
}

export async function calicoctlMain(argv: readonly string[], io: Io, deps: CalicoctlDeps = {}): Promise<number> {
  let code = 0;
  const ctx = makeContext(io, deps, (c) => void (code = c));
  const program = new Command('calicoctl')
    .description('The calicoctl command line tool is used to manage Calico network and security policy, to view and manage endpoint configuration.')
    .usage('[options] <command> [<args>...]')
    .option('-l, --log-level <level>', 'set the log level (one of panic, fatal, error, warn, info, debug)', 'panic')
    .option('--context <context>', 'the name of the kubeconfig context to use')
    .option('--allow-version-mismatch', 'allow client and cluster versions mismatch', false)
    .version(`v${VERSION}`, '--version', 'print the version of this binary')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s), outputError: () => undefined });
  for (const make of CALICOCTL_COMMANDS) program.addCommand(_inherit(make(ctx), program));
  if (argv.length === 0) {
    program.outputHelp();
    return 0;
  }
  // calicoctl get accepts -a for -A (backward compatibility).
  const args = argv[0] === 'get' || argv.includes('get') ? argv.map((a) => (a === '-a' ? '-A' : a)) : [...argv];
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return 0;
      if (e.code === 'commander.unknownCommand') {
        io.stderr(`unknown command: "${args.find((a) => !a.startsWith('-')) ?? ''}"\n`);
        program.outputHelp({ error: true });
        return 1;
      }
      io.stderr(_invalid(argv));
      return 1;
    }
    const msg = e instanceof Error ? e.message : String(e);
    io.stderr(`${msg.split('\n')[0]}\n`);
    if (io.env['TABBY_DEBUG'] && e instanceof Error && e.stack) io.stderr(`${e.stack}\n`);
    return 1;
  } finally {
    await ctx.close().catch(() => undefined);
  }
  return code;
}
