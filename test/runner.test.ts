/**
 * scripts/run-tests.mjs on fixture test files (in a temp folder, via TABBY_TEST_ROOTS): a hang
 * fails the hanging test by name within the per-test bound, a leaked handle does not keep a file
 * alive, the closing lines are TAP counters CI reads (timeouts counted in `# fail`), the exit code
 * is non-zero on any failure, and a run that overstays its whole-run bound is stopped and fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

function outerEnv(): Record<string, string | undefined> {
  const { NODE_TEST_CONTEXT: _ctx, TABBY_TEST_RUNNER: _mode, TABBY_TEST_TIMEOUT_MS: _t, ...rest } = process.env;
  return rest;
}

function runOn(files: Record<string, string>, env: Record<string, string>): { code: number | null; out: string; ms: number } {
  const dir = mkdtempSync(join(tmpdir(), 'tabby-runner-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ['scripts/run-tests.mjs'], {
      cwd: ROOT,
      // Not as a child of this test run: node:test refuses to nest run() in a test file.
      env: { ...outerEnv(), TABBY_TEST_ROOTS: dir, ...env },
      encoding: 'utf8',
      timeout: 120_000,
    });
    return { code: r.status, out: `${r.stdout}${r.stderr}`, ms: Date.now() - t0 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const MIXED = `import { test } from 'node:test';
import assert from 'node:assert/strict';
test('passes', () => {});
test('fails', () => assert.equal(1, 2));
test('hangs on a promise that never settles', async () => {
  setInterval(() => {}, 1000);
  await new Promise(() => {});
});
test('passes but leaks a handle', () => {
  setInterval(() => {}, 1000);
});
`;

test('runner: a hang fails that test by name within the per-test bound; TAP closing lines; exit 1', { timeout: 150_000 }, () => {
  const r = runOn({ 'mixed.test.ts': MIXED }, { TABBY_TEST_TIMEOUT_MS: '2000' });
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /✖ hangs on a promise that never settles \([\d.]+ms\)\n\s+'test timed out after 2000ms'/);
  assert.match(r.out, /✖ fails/);
  assert.match(r.out, /\n# tests 4\n# pass 2\n# fail 2 \(1 timed out or cut off\)\n# skipped 0\n$/);
  assert.ok(r.ms < 60_000, `the leaked interval did not keep the file alive (${r.ms} ms)`);
});

test('runner: all passing exits 0 with # fail 0; a test in a suite with its own timeout inherits it', { timeout: 150_000 }, () => {
  const ok = `import { describe, test } from 'node:test';
test('a', () => {});
test('b', { skip: 'reason' }, () => {});
describe('a suite with its own timeout', { timeout: 20_000 }, () => {
  test('slower than the default per-test bound', async () => { await new Promise((r) => setTimeout(r, 3000)); });
});
`;
  const r = runOn({ 'ok.test.ts': ok }, { TABBY_TEST_TIMEOUT_MS: '1500' });
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /\n# tests 3\n# pass 2\n# fail 0\n# skipped 1\n$/);
});

test('runner: a run that overstays its whole-run bound is stopped and fails', { timeout: 150_000 }, () => {
  const slow = `import { test } from 'node:test';\ntest('waits long', { timeout: 600_000 }, async () => { await new Promise((r) => setTimeout(r, 300_000)); });\n`;
  const r = runOn({ 'slow.test.ts': slow }, { TABBY_TEST_RUN_TIMEOUT_MS: '8000' });
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /# the whole test run exceeded 8000 ms \(TABBY_TEST_RUN_TIMEOUT_MS\): stopped\n# fail 1 \(the whole run overran its bound\)/);
  assert.ok(r.ms < 60_000, `stopped after ${r.ms} ms`);
});
