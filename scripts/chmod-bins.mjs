#!/usr/bin/env node
// Build step: makes every executable named in package.json's "bin" map executable (tsc writes
// them 0644). `npx tabby` and `npx calicoctl` in a clone run the project's own bins as files, so
// without this they fail with "Permission denied".
import { chmodSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bins = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).bin ?? {};
for (const rel of Object.values(bins)) chmodSync(join(root, rel), 0o755);
