/**
 * Running a doc page's commands in tests: the lines of its ```sh blocks, real `tabby` processes
 * (bin/tabby.ts under tsx) with their output collected, and bounded waits.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

/** The lines of a Markdown page's ```sh blocks, in order, trimmed, blank lines left out. */
export function docCommands(text: string): string[] {
  const out: string[] = [];
  let inBlock = false;
  for (const line of text.split('\n')) {
    if (/^```sh\s*$/.test(line)) inBlock = true;
    else if (/^```/.test(line)) inBlock = false;
    else if (inBlock && line.trim() !== '') out.push(line.trim());
  }
  return out;
}

export interface Run {
  readonly proc: ChildProcess;
  /** stdout and stderr, as they arrive. */
  out: string;
  /** The exit code (128 when ended by a signal). */
  readonly done: Promise<number>;
}

/** Starts `program args` (program `tabby`: bin/tabby.ts under tsx) in the repository. */
export function start(program: string, args: readonly string[], env: NodeJS.ProcessEnv): Run {
  const tabby = program === 'tabby';
  const proc = spawn(tabby ? process.execPath : program, tabby ? ['--import', 'tsx', join(REPO_ROOT, 'bin', 'tabby.ts'), ...args] : args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const run: Run = { proc, out: '', done: new Promise((ok) => proc.once('exit', (code, sig) => ok(code ?? (sig !== null ? 128 : 1)))) };
  proc.stdout!.on('data', (b: Buffer) => (run.out += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (run.out += b.toString()));
  return run;
}

/** Polls `check` every `stepMs` until it holds; fails naming `what` after `ms`. */
export async function until(what: string, ms: number, check: () => boolean | Promise<boolean>, stepMs = 100): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  assert.fail(`timed out after ${ms} ms waiting for ${what}`);
}

/** `p`, or a rejection naming `what` after `ms`. */
export const bounded = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, new Promise<T>((_, fail) => setTimeout(() => fail(new Error(`${what}: no exit within ${ms} ms`)), ms).unref())]);
