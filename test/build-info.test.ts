/**
 * `npm run build` records the git commit and build date (scripts/build-info.mjs rewrites the
 * compiled src/lib/build-info.js), so `calicoctl version` and the API server's /version name the
 * build. Checked on a temporary copy of the compiled module: the commit is this checkout's HEAD,
 * the date follows SOURCE_DATE_EPOCH, and the placeholder module from source says `unknown`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { BUILD_INFO } from '../src/lib/index.js';

const run = (args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> =>
  new Promise((ok) => {
    execFile(process.execPath, args, { env: { ...process.env, ...env }, timeout: 30_000 }, (err, stdout, stderr) =>
      ok({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, out: stdout + stderr }),
    );
  });

test('run from source, the build info says unknown', () => {
  assert.deepEqual(BUILD_INFO, { gitCommit: 'unknown', gitTreeState: 'unknown', buildDate: 'unknown' });
});

test('scripts/build-info.mjs writes the commit, tree state and SOURCE_DATE_EPOCH into the compiled module', async () => {
  const dist = await mkdtemp(join(tmpdir(), 'tabby-build-info-'));
  try {
    const lib = join(dist, 'src', 'lib');
    await mkdir(lib, { recursive: true });
    const src = await readFile('src/lib/build-info.ts', 'utf8');
    const js = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } }).outputText;
    await writeFile(join(lib, 'build-info.js'), js);
    await writeFile(join(dist, 'package.json'), '{"type":"module"}\n');
    const r = await run(['scripts/build-info.mjs', dist], { SOURCE_DATE_EPOCH: '1796601600' });
    assert.equal(r.code, 0, r.out);
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '';
    const mod = (await import(pathToFileURL(join(lib, 'build-info.js')).href)) as { BUILD_INFO: unknown };
    assert.deepEqual(mod.BUILD_INFO, { gitCommit: head, gitTreeState: dirty ? 'dirty' : 'clean', buildDate: '2026-12-07T00:00:00Z' });

    const t = await run(['scripts/build-info.mjs', dist], { TABBY_GIT_COMMIT: 'not a commit' });
    assert.equal(t.code, 0, t.out);
    assert.match(await readFile(join(lib, 'build-info.js'), 'utf8'), /"gitCommit":"unknown","gitTreeState":"unknown"/);
  } finally {
    await rm(dist, { recursive: true, force: true });
  }
});

test('scripts/build-info.mjs fails clearly when tsc has not run', async () => {
  const dist = await mkdtemp(join(tmpdir(), 'tabby-build-info-'));
  try {
    const r = await run(['scripts/build-info.mjs', dist], {});
    assert.equal(r.code, 1);
    assert.match(r.out, /build-info: .*src\/lib\/build-info\.js is missing \(run tsc first\)/);
  } finally {
    await rm(dist, { recursive: true, force: true });
  }
});
