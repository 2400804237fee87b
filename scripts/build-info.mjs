#!/usr/bin/env node
// Part of `npm run build`: records the git commit, the tree state and the build date in the
// compiled copy of src/lib/build-info.ts (DIST/src/lib/build-info.js; DIST defaults to dist).
// The commit comes from `git rev-parse HEAD` in this repository, or TABBY_GIT_COMMIT when set
// (a build from a source tarball); the date from SOURCE_DATE_EPOCH when set (reproducible
// builds), else now. Without git the commit stays `unknown`.
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = resolve(process.argv[2] ?? join(root, 'dist'));
const target = join(dist, 'src', 'lib', 'build-info.js');
if (!existsSync(target)) {
  console.error(`build-info: ${target} is missing (run tsc first)`);
  process.exit(1);
}

const git = (args) => {
  try {
    return execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim();
  } catch {
    return undefined;
  }
};

let gitCommit = process.env.TABBY_GIT_COMMIT ?? git(['rev-parse', 'HEAD']) ?? 'unknown';
if (!/^[0-9a-f]{7,64}$/.test(gitCommit)) gitCommit = 'unknown';
const status = process.env.TABBY_GIT_COMMIT === undefined && gitCommit !== 'unknown' ? git(['status', '--porcelain', '--untracked-files=no']) : undefined;
const gitTreeState = status === undefined ? 'unknown' : status === '' ? 'clean' : 'dirty';
const epoch = process.env.SOURCE_DATE_EPOCH;
const when = epoch !== undefined && /^\d+$/.test(epoch) ? new Date(Number(epoch) * 1000) : new Date();
const buildDate = when.toISOString().replace(/\.\d+Z$/, 'Z');

const info = { gitCommit, gitTreeState, buildDate };
writeFileSync(
  target,
  `// Written by scripts/build-info.mjs during \`npm run build\`.\nexport const BUILD_INFO = Object.freeze(${JSON.stringify(info)});\n`,
);
console.log(`build-info: ${gitCommit} (${gitTreeState}), built ${buildDate}`);
