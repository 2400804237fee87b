/**
 * @module expectGolden(path, actual) for the tabby CLI tests: compares with a golden file
 * (path relative to src/cli/); `UPDATE_GOLDEN=1` writes it instead (review the diff, then
 * commit).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..');

/** A golden-file check for files under `dir`: compares, or writes with `UPDATE_GOLDEN=1`. */
export function goldenChecker(dir: string): (name: string, actual: string) => void {
  return (name, actual) => {
    const file = join(dir, name);
    if (process.env['UPDATE_GOLDEN'] === '1') {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, actual);
      return;
    }
    assert.ok(existsSync(file), `missing golden file ${name}; run with UPDATE_GOLDEN=1 to create it`);
    assert.equal(actual, readFileSync(file, 'utf8'), `output differs from ${name}; run with UPDATE_GOLDEN=1 to accept`);
  };
}

/** Golden files relative to src/cli/. */
export const expectGolden = goldenChecker(CLI);

/** The files of examples/ (relative paths kept), for a fake Io. */
export function exampleFiles(...paths: string[]): Record<string, string> {
  const root = join(CLI, '..', '..');
  const out: Record<string, string> = {};
  for (const p of paths) out[p] = readFileSync(join(root, p), 'utf8');
  return out;
}
