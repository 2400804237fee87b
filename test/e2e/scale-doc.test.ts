/**
 * docs/scale.md's first simulation runs as printed: its `tabby sim … --verify` line (5 nodes, the
 * page's "is the harness right" run) is run through the CLI (bin/tabby.ts under tsx standing in
 * for `node dist/bin/tabby.js`, the same program) and must exit 0 — `--verify` makes it fail when
 * any node programmed something else than the engine computes — and print its table. The page's
 * other lines are the 100/300/1,000-node measurements (minutes to an hour each); they take the
 * same options, which this test checks are all accepted by `tabby sim` (an unknown option would
 * exit 2 before anything starts). Bounded; the simulation stops its own servers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');
const DOC = join(ROOT, 'docs', 'scale.md');

/** The page's `tabby sim` commands, continuation lines joined, the program prefix removed. */
function simCommands(): string[][] {
  const text = readFileSync(DOC, 'utf8').replace(/\\\n\s*/g, '');
  return [...text.matchAll(/^node dist\/bin\/tabby\.js (sim .*)$/gm)].map((m) => m[1]!.replace(/\s+#\s.*$/, '').replace(/\s*>\s*\S+$/, '').trim().split(/\s+/));
}

const tabby = (args: readonly string[], timeout: number) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bin', 'tabby.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout, env: { ...process.env, CI: process.env['CI'] ?? '' } });

test('docs/scale.md: the verify run passes as printed; every sim line names only options tabby sim takes', { timeout: 400_000 }, () => {
  const cmds = simCommands();
  assert.ok(cmds.length >= 3, `the page's sim commands: ${JSON.stringify(cmds)}`);
  const verify = cmds.find((c) => c.includes('--verify'));
  assert.ok(verify !== undefined, 'the page has a --verify run');
  const r = tabby(verify, 360_000);
  assert.equal(r.status, 0, `tabby ${verify.join(' ')}\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /nodes/i, 'it printed its table');
  const known = new Set(
    [...tabby(['sim', '--help'], 60_000).stdout.matchAll(/--[a-z][a-z-]*/g)].map((m) => m[0]),
  );
  for (const c of cmds) for (const a of c) if (a.startsWith('--')) assert.ok(known.has(a), `tabby sim takes ${a} (docs/scale.md: ${c.join(' ')})`);
});
