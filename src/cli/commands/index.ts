/**
 * @module The list of `tabby` subcommands. To add one: write commands/<name>.ts exporting a
 * CommandFactory and add it here; main.ts wires output, errors and exit codes for all of them.
 */
import type { CommandFactory } from './context.js';
import { convertCommand } from './convert.js';
import { validateCommand } from './validate.js';
import { versionCommand } from './version.js';
import { serverCommand } from './server.js';

export const COMMANDS: readonly CommandFactory[] = [validateCommand, convertCommand, serverCommand, versionCommand];

export type { CommandContext, CommandFactory } from './context.js';
export { EXIT } from './context.js';
