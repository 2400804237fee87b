/** @module The calicoctl commands, in calicoctl's help order. */
import type { Command } from 'commander';
import type { CalicoctlContext } from '../context.js';
import { convertCommand } from './convert.js';
import { diffCommand } from './diff.js';
import { getCommand } from './get.js';
import { labelCommand } from './label.js';
import { patchCommand } from './patch.js';
import { validateCommand } from './validate.js';
import { versionCommand } from './version.js';
import { applyCommand, createCommand, deleteCommand, replaceCommand } from './write.js';

export type CalicoctlCommand = (ctx: CalicoctlContext) => Command;

export const CALICOCTL_COMMANDS: readonly CalicoctlCommand[] = [
  createCommand,
  replaceCommand,
  applyCommand,
  patchCommand,
  deleteCommand,
  getCommand,
  labelCommand,
  validateCommand,
  convertCommand,
  diffCommand,
  versionCommand,
];
