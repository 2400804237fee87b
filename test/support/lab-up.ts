/**
 * Test helper for the root e2e tests that need a running `tabby up` with its lab: starts
 * bin/tabby.ts under tsx on a free port with its own data dir (and HOME), waits until it says how
 * to stop it, and requires enforcement to be on. The caller stops it and removes `dir`.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = resolve(import.meta.dirname, '..', '..');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Polls `ok` every 250 ms; fails naming `what` after `ms`. */
export async function until(what: string | (() => string), ms: number, ok: () => boolean): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) assert.fail(`not within ${ms} ms: ${typeof what === 'function' ? what() : what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export interface LabUp {
  readonly process: ChildProcess;
  /** What tabby up has printed so far (stdout and stderr). */
  log(): string;
  /** The lab's namespace prefix (from DATA_DIR/lab/lab.json). */
  readonly prefix: string;
}

export async function startLabUp(dir: string, workers: number): Promise<LabUp> {
  let log = '';
  const up = spawn(process.execPath, ['--import', TSX, join(ROOT, 'bin', 'tabby.ts'), 'up', '--data-dir', dir, '--port', '0', '--workers', String(workers), '--profile', 'none'], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin', HOME: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  up.stdout!.on('data', (d: Buffer) => void (log += d.toString()));
  up.stderr!.on('data', (d: Buffer) => void (log += d.toString()));
  await until(() => `tabby up is up:\n${log}`, 120_000, () => log.includes('Stop with Ctrl-C') || up.exitCode !== null);
  assert.match(log, /enforcement: on/, log);
  const prefix = (JSON.parse(readFileSync(join(dir, 'lab', 'lab.json'), 'utf8')) as { prefix: string }).prefix;
  return { process: up, log: () => log, prefix };
}
