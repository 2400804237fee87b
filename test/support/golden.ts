/**
 * @module The one golden-file checker of the test suite: `goldenChecker(dir)(name, actual)`
 * compares `actual` with the file `dir/name`. A missing file is a failure; `UPDATE_GOLDEN=1`
 * writes the file instead (creating folders), for a human to review in the diff and commit.
 *
 * Used by tests under src/ and test/ (test files may import test/support; the layer rules
 * apply to src/ modules, which must not).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** True when golden files are to be (re)written rather than compared. */
export const updatingGoldens = (): boolean => process.env['UPDATE_GOLDEN'] === '1';

/** The first line where `actual` and `want` differ, for the failure message. */
function firstDifference(actual: string, want: string): string {
  const a = actual.split('\n');
  const w = want.split('\n');
  const i = a.findIndex((line, k) => line !== w[k]);
  const k = i === -1 ? a.length : i;
  return `first difference at line ${k + 1}:\n  want: ${w[k] ?? '(end)'}\n  got:  ${a[k] ?? '(end)'}`;
}

/** A golden-file check for files under `dir`: compares, or writes with `UPDATE_GOLDEN=1`. */
export function goldenChecker(dir: string): (name: string, actual: string) => void {
  return (name, actual) => {
    const file = join(dir, name);
    if (updatingGoldens()) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, actual);
      return;
    }
    assert.ok(existsSync(file), `missing golden file ${file}; run with UPDATE_GOLDEN=1 to create it (then review and commit it)`);
    const want = readFileSync(file, 'utf8');
    if (actual !== want) assert.fail(`output differs from golden file ${file}; ${firstDifference(actual, want)}\n(run with UPDATE_GOLDEN=1 to accept, then review the diff)`);
  };
}
