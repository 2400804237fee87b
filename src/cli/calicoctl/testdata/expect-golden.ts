/**
 * @module expectGolden(file, actual): compares with the golden file next to the tests;
 * `UPDATE_GOLDEN=1` writes it instead (review the diff, then commit).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

export function expectGolden(name: string, actual: string): void {
  const file = join(HERE, name);
  if (process.env['UPDATE_GOLDEN'] === '1') {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  assert.ok(existsSync(file), `missing golden file ${name}; run with UPDATE_GOLDEN=1 to create it`);
  assert.equal(actual, readFileSync(file, 'utf8'), `output differs from ${name}; run with UPDATE_GOLDEN=1 to accept`);
}
