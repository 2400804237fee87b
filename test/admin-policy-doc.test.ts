/**
 * docs/admin-network-policy.md: every `$ tabby …` command in a console block runs as printed (the
 * real CLI, a separate process, from the repository root) and prints exactly what the page shows
 * (stdout and stderr together, in the order the page shows them: stdout first).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';

const ROOT = resolve(import.meta.dirname, '..');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const DOC = readFileSync(join(ROOT, 'docs', 'admin-network-policy.md'), 'utf8');

const blocks = [...DOC.matchAll(/```console\n\$ tabby (.*)\n([\s\S]*?)```/g)].map((m) => ({ args: m[1]!.split(' '), want: m[2]! }));

test('the page has its console blocks', () => assert.equal(blocks.length, 5));

for (const b of blocks)
  test(`tabby ${b.args.join(' ')}`, async () => {
    const got = await new Promise<string>((ok) =>
      execFile(process.execPath, ['--import', TSX, join(ROOT, 'bin', 'tabby.ts'), ...b.args], { cwd: ROOT, timeout: 60_000, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: tmpdir() } }, (_err, stdout, stderr) =>
        ok(stdout + stderr),
      ),
    );
    assert.equal(got, b.want);
  });
