/** @module `tabby version`: prints the version of Tabby and of the Node.js runtime. */
import { Command } from 'commander';
import { VERSION } from '../version.js';
import { EXIT, type CommandContext } from './context.js';

export function versionCommand(ctx: CommandContext): Command {
  return new Command('version').description('print the version of Tabby').action(() => {
    ctx.io.stdout(`tabby version ${VERSION}\n`);
    ctx.exit(EXIT.ok);
  });
}
