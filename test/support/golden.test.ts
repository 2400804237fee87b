/** The golden checker: a missing file fails, a difference fails naming the line, UPDATE_GOLDEN=1 writes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goldenChecker } from './golden.js';

function withEnv(value: string | undefined, fn: () => void): void {
  const before = process.env['UPDATE_GOLDEN'];
  if (value === undefined) delete process.env['UPDATE_GOLDEN'];
  else process.env['UPDATE_GOLDEN'] = value;
  try {
    fn();
  } finally {
    if (before === undefined) delete process.env['UPDATE_GOLDEN'];
    else process.env['UPDATE_GOLDEN'] = before;
  }
}

test('golden: a missing golden file fails (it is not written)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tabby-golden-'));
  try {
    const check = goldenChecker(dir);
    withEnv(undefined, () => assert.throws(() => check('sub/out.golden', 'x\n'), { name: 'AssertionError', message: /missing golden file .*sub\/out\.golden; run with UPDATE_GOLDEN=1/ }));
    withEnv(undefined, () => assert.throws(() => check('sub/out.golden', 'x\n'), /missing golden file/, 'still missing: the failed check wrote nothing'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('golden: a difference fails naming the first differing line; equal passes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tabby-golden-'));
  try {
    const check = goldenChecker(dir);
    withEnv('1', () => check('out.golden', 'a\nb\nc\n'));
    assert.equal(readFileSync(join(dir, 'out.golden'), 'utf8'), 'a\nb\nc\n', 'UPDATE_GOLDEN=1 writes the file');
    withEnv(undefined, () => check('out.golden', 'a\nb\nc\n'));
    withEnv(undefined, () => assert.throws(() => check('out.golden', 'a\nB\nc\n'), { name: 'AssertionError', message: /first difference at line 2:\n {2}want: b\n {2}got: {2}B/ }));
    withEnv(undefined, () => assert.throws(() => check('out.golden', 'a\nb\n'), { name: 'AssertionError', message: /differs from golden file/ }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
