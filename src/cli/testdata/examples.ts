/**
 * @module exampleFiles(...paths) for the tabby CLI tests: the files of examples/ (relative paths
 * kept), for a fake Io. (The golden-file checker is test/support/golden.ts.)
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The files of examples/ (relative paths kept), for a fake Io. */
export function exampleFiles(...paths: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of paths) out[p] = readFileSync(join(ROOT, p), 'utf8');
  return out;
}
