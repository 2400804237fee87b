/**
 * The project approves the install scripts it needs (package.json `allowScripts`, read by npm
 * 11's install-script policy): better-sqlite3 (native build) and esbuild (its binary, for vite)
 * run; protobufjs's postinstall (a version-scheme warning only) is denied. An npm that blocks
 * unreviewed scripts then still builds everything, and `npm ci` prints no pending list.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { allowScripts?: Record<string, boolean> };

test('package.json approves better-sqlite3 and esbuild and denies protobufjs', () => {
  assert.deepEqual(pkg.allowScripts, { 'better-sqlite3': true, esbuild: true, protobufjs: false });
});

test('npm finds no installed package with unreviewed install scripts', async () => {
  const r = await new Promise<{ code: number; out: string }>((ok) => {
    execFile('npm', ['install-scripts', 'ls'], { timeout: 60_000 }, (err, stdout, stderr) =>
      ok({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, out: stdout + stderr }),
    );
  });
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /No packages with unreviewed install scripts/);
});
