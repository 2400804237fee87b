/**
 * @module What every subcommand gets: the injected Io and a way to report its exit code.
 * A subcommand is a factory `(ctx) => Command` in its own file, listed in commands/index.ts.
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { Io } from '../io.js';

export interface CommandContext {
  readonly io: Io;
  /** Records the exit code of the command that ran (0 when never called). */
  exit(code: number): void;
}

export type CommandFactory = (ctx: CommandContext) => Command;

/** Exit codes shared by all commands. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Commander option collector for repeatable options (`-f a -f b`). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Reads a string-list option from commander's untyped option bag. */
export function stringList(opts: unknown, name: string): string[] {
  const v = typeof opts === 'object' && opts !== null ? (opts as Record<string, unknown>)[name] : undefined;
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return typeof v === 'string' ? [v] : [];
}

export function flag(opts: unknown, name: string): boolean {
  return typeof opts === 'object' && opts !== null && (opts as Record<string, unknown>)[name] === true;
}

export function stringOpt(opts: unknown, name: string): string | undefined {
  const v = typeof opts === 'object' && opts !== null ? (opts as Record<string, unknown>)[name] : undefined;
  return typeof v === 'string' ? v : undefined;
}

/** A commander parser for an integer option within [min, max]. */
export function intOption(min: number, max: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`must be an integer ${min}-${max}`);
    return n;
  };
}

/** `--dataplane iptables|nft` (agent, lab, up). */
export function dataplaneOption(v: string): 'iptables' | 'nft' {
  if (v !== 'iptables' && v !== 'nft') throw new InvalidArgumentError('must be iptables or nft');
  return v;
}
