/**
 * @module `tabby calicoctl <args...>`: the calicoctl program under tabby (same commands, flags
 * and exit codes as the `calicoctl` executable).
 */
import { Command } from 'commander';
import { calicoctlMain } from '../calicoctl/main.js';
import type { CommandContext } from './context.js';

export function calicoctlCommand(ctx: CommandContext): Command {
  const cmd: Command = new Command('calicoctl')
    .description('run calicoctl (Calico resources: get, apply, create, replace, delete, patch, label, convert, validate, diff, version)')
    .helpOption(false)
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .argument('[args...]', 'calicoctl arguments')
    .action(async () => {
      // Unknown options (all of calicoctl's) stay in cmd.args, in order, with the operands.
      ctx.exit(await calicoctlMain(cmd.args, ctx.io));
    });
  return cmd;
}
