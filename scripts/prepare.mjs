#!/usr/bin/env node
// `npm prepare`: builds dist/ (`npm run build`) unless it is already built from the current
// sources. npm runs `prepare` after `npm ci`/`npm install` in this repository, and also every time
// `npx tabby` or `npx calicoctl` installs this project into npx's cache (npm links the project
// there and prepares it) — that was a full tsc + vite build hidden in the first `npx calicoctl`
// call (8.6 s; later calls reuse the cache). The build is current when dist/src/lib/build-info.js
// (written last by the build's tsc step) is newer than every input: src/, bin/, ui/, scripts/,
// package.json, package-lock.json and the tsconfig files.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const INPUTS = ['src', 'bin', 'ui', 'scripts', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];
export const STAMP = join('dist', 'src', 'lib', 'build-info.js');

function newest(path, skip) {
  const st = statSync(path, { throwIfNoEntry: false });
  if (st === undefined) return { mtime: 0, path };
  if (!st.isDirectory()) return { mtime: st.mtimeMs, path };
  let best = { mtime: 0, path };
  for (const name of readdirSync(path)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(path, name);
    if (skip(p)) continue;
    const n = newest(p, skip);
    if (n.mtime > best.mtime) best = n;
  }
  return best;
}

/** Why dist/ must be rebuilt (a sentence), or undefined when it is current. */
export function staleReason(root) {
  const stamp = statSync(join(root, STAMP), { throwIfNoEntry: false });
  if (stamp === undefined) return `${STAMP} is missing`;
  if (!existsSync(join(root, 'dist', 'ui', 'index.html'))) return 'dist/ui/index.html is missing';
  let latest = { mtime: 0, path: '' };
  for (const i of INPUTS) {
    const n = newest(join(root, i), (p) => p.endsWith('.test.ts'));
    if (n.mtime > latest.mtime) latest = n;
  }
  return latest.mtime > stamp.mtimeMs ? `${latest.path.slice(root.length + 1)} is newer than the build` : undefined;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const why = staleReason(root);
  if (why === undefined) {
    console.log('prepare: dist/ is up to date with the sources; not rebuilding (npm run build forces it)');
  } else {
    console.log(`prepare: building dist/ (${why})`);
    const r = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
    process.exit(r.status ?? 1);
  }
}
