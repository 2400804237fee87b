/** @module Prints located manifest problems, one per line, compiler style. */
import type { LocatedError } from '../../manifest/index.js';
import type { Io } from '../io.js';

export function printErrors(io: Io, errors: readonly LocatedError[]): void {
  for (const e of errors) io.stderr(`${e.text}\n`);
}

/** `file:line:col: warning: message` */
export function printWarnings(io: Io, warnings: readonly LocatedError[]): void {
  for (const w of warnings) {
    const prefix = `${w.location.file}:${w.location.line}:${w.location.col}: `;
    const rest = w.text.startsWith(prefix) ? w.text.slice(prefix.length) : w.text;
    io.stderr(`${prefix}warning: ${rest}\n`);
  }
}

export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
