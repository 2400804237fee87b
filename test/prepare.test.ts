/**
 * `npm prepare` (scripts/prepare.mjs) rebuilds dist/ only when a source is newer than the last
 * build, so `npx calicoctl` — which links this project into npx's cache and prepares it — no
 * longer runs a full build on its first call. Checked on a temporary tree with set mtimes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
// @ts-expect-error: a plain .mjs script without type declarations
import { STAMP, staleReason } from '../scripts/prepare.mjs';

const stale = staleReason as (root: string) => string | undefined;

test('prepare rebuilds when dist is missing or older than a source, and not otherwise', async () => {
  const root = await mkdtemp(join(tmpdir(), 'tabby-prepare-'));
  try {
    const at = async (rel: string, seconds: number, text = ''): Promise<void> => {
      const p = join(root, rel);
      await mkdir(dirname(p), { recursive: true });
      await writeFile(p, text);
      await utimes(p, seconds, seconds);
    };
    await at('src/cli/main.ts', 1_000);
    await at('package.json', 1_000, '{}');
    assert.equal(stale(root), `${STAMP as string} is missing`);
    await at(STAMP as string, 2_000);
    assert.equal(stale(root), 'dist/ui/index.html is missing');
    await at('dist/ui/index.html', 2_000);
    assert.equal(stale(root), undefined);
    await at('src/cli/main.test.ts', 3_000);
    assert.equal(stale(root), undefined, 'tests are not inputs of the build');
    await at('node_modules/x/index.js', 3_000);
    assert.equal(stale(root), undefined, 'node_modules is not an input');
    await at('ui/src/pages/policies.tsx', 3_000);
    assert.equal(stale(root), 'ui/src/pages/policies.tsx is newer than the build');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
