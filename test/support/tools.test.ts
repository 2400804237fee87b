/** Test prerequisites: a missing tool skips with its reason locally and fails under CI=true. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findOnPath } from '../../src/sys/index.js';
import { required, requireTool, toolMissing } from './tools.js';

/** Runs `fn` with PATH and CI set as given (undefined = unset), restoring both after. */
function withEnv(env: { PATH?: string; CI?: string }, fn: () => void): void {
  const saved = { PATH: process.env['PATH'], CI: process.env['CI'] };
  const set = (k: 'PATH' | 'CI', v: string | undefined): void => {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  };
  set('PATH', env.PATH ?? saved.PATH);
  set('CI', env.CI);
  try {
    fn();
  } finally {
    set('PATH', saved.PATH);
    set('CI', saved.CI);
  }
}

test('findOnPath: finds an executable file on PATH, not a directory, not a non-executable file, not a path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tabby-which-'));
  try {
    writeFileSync(join(dir, 'tool-x'), '#!/bin/sh\n');
    chmodSync(join(dir, 'tool-x'), 0o755);
    writeFileSync(join(dir, 'plain'), '');
    chmodSync(join(dir, 'plain'), 0o644);
    const env = { PATH: `relative/dir:${dir}` };
    assert.equal(findOnPath('tool-x', env), join(dir, 'tool-x'));
    assert.equal(findOnPath('plain', env), undefined, 'not executable');
    assert.equal(findOnPath('..', { PATH: dir }), undefined);
    assert.equal(findOnPath(`${dir}/tool-x`, env), undefined, 'a path is not a tool name');
    assert.equal(findOnPath('tool-x', { PATH: '' }), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Runs the fixture in a child node with PATH and CI as given; its exit code and output. */
function runFixture(env: Record<string, string>): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', join(import.meta.dirname, 'testdata', 'needs-tools.fixture.ts')], {
    env: { HOME: process.env['HOME'] ?? '/tmp', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

test('requireTool: locally a missing tool is a skip with its reason; the rest runs and passes', () => {
  withEnv({ PATH: '/nonexistent' }, () => {
    assert.equal(requireTool('kubectl'), 'kubectl is not on PATH (it comes with the machine image)');
    assert.match(toolMissing('ulogd') ?? '', /^ulogd is not on PATH \(Debian package ulogd2\)$/);
    assert.equal(required(undefined), false);
    assert.equal(required('needs root'), 'needs root');
  });
  const r = runFixture({ PATH: '/nonexistent' });
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /needs kubectl .*# kubectl is not on PATH/);
  assert.match(r.out, /needs chromium .*# chromium is not on PATH \(Debian package chromium\)/);
  assert.match(r.out, /a check that needs ulogd .*# ulogd is not on PATH \(Debian package ulogd2\): the log check is left out/);
  assert.match(r.out, /ℹ pass 1\n/);
  assert.match(r.out, /ℹ fail 0\n/);
});

test('requireTool: under CI=true a missing tool is a failure naming it', () => {
  const r = runFixture({ PATH: '/nonexistent', CI: 'true' });
  assert.equal(r.code, 1, r.out);
  for (const want of [
    /✖ prerequisite: kubectl is not on PATH \(it comes with the machine image\)/,
    /✖ prerequisite: chromium is not on PATH/,
    /\[MissingPrerequisiteError\]: CI=true: kubectl is not on PATH/,
    /✖ a check that needs ulogd[^\n]*\n[^\n]*\[MissingPrerequisiteError\]: CI=true: ulogd is not on PATH \(Debian package ulogd2\): the log check is left out/,
  ])
    assert.match(r.out, want);
  assert.match(r.out, /ℹ fail 3\n/);
});

test('requireTool: a tool on PATH runs, with or without CI', () => {
  for (const CI of [undefined, 'true']) withEnv({ PATH: '/usr/bin:/bin', ...(CI === undefined ? {} : { CI }) }, () => assert.equal(requireTool('sh'), false));
  const r = runFixture({ PATH: process.env['PATH'] ?? '', CI: 'true' });
  const all = ['kubectl', 'chromium', 'ulogd'].every((t) => findOnPath(t) !== undefined);
  if (all) assert.equal(r.code, 1, 'the fixture fails when ulogd is found (its check throws)');
});
