/**
 * `tabby lab add-worker` against a real `tabby up` process with its lab (root only): R7's "a
 * worker added later is covered without editing any file", as an operator does it. The new
 * worker gets its namespaces, a Ready Node, both host endpoints from the templates (public from
 * the profile, private from the ibm-private-isolation pack) and an agent that programs them.
 * Every wait is bounded; `tabby down --purge` removes everything, checked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { main as tabbyMain } from '../../src/cli/main.js';
import { nodeIo } from '../../src/cli/node-io.js';
import { openSqliteDatastore } from '../../src/datastore/index.js';
import { netnsSkipReason, nodeRunner } from '../../src/sys/index.js';
import { required } from '../support/tools.js';

const skip = required(await netnsSkipReason());
const ROOT = resolve(import.meta.dirname, '..', '..');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

async function tabby(args: readonly string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await tabbyMain(args, { ...nodeIo, stdout: (s) => void (out += s), stderr: (s) => void (out += s) });
  return { code, out };
}

test('tabby lab add-worker: a worker joins the running tabby up, gets its host endpoints from the templates and an agent', { skip, timeout: 180_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tabby-addw-'));
  let up: ChildProcess | undefined;
  let out = '';
  try {
    up = spawn(process.execPath, ['--import', TSX, join(ROOT, 'bin', 'tabby.ts'), 'up', '--data-dir', dir, '--port', '0', '--workers', '2'], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin', HOME: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    up.stdout!.on('data', (d: Buffer) => void (out += d.toString()));
    up.stderr!.on('data', (d: Buffer) => void (out += d.toString()));
    const t0 = Date.now();
    while (!out.includes('Stop with Ctrl-C')) {
      if (Date.now() - t0 > 90_000 || up.exitCode !== null) assert.fail(`tabby up did not come up:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(out, /enforcement: on/, out);
    const pack = await tabby(['pack', 'apply', 'ibm-private-isolation', '--data-dir', dir]);
    assert.equal(pack.code, 0, pack.out);

    const added = await tabby(['lab', 'add-worker', '--data-dir', dir, '--timeout', '60000']);
    assert.equal(added.code, 0, `${added.out}\n${out}`);
    const name = /worker (\S+) joined: its agent programmed revision \d+ \((\d+) policies\)/.exec(added.out);
    assert.ok(name, added.out);
    assert.match(name[1]!, /-w3\.cloud\.ibm$/, 'the profile names the new worker too');
    assert.ok(Number(name[2]) > 0, 'the new worker is programmed with the private isolation policies');

    const ds = await openSqliteDatastore(join(dir, 'tabby.db'));
    try {
      const heps = (await ds.list({ group: 'projectcalico.org', plural: 'hostendpoints' })).items.map((h) => h.metadata.name ?? '');
      assert.ok(heps.includes(`${name[1]!}-worker-public`) && heps.includes(`${name[1]!}-worker-private`), heps.join(', '));
    } finally {
      await ds.close();
    }
    const nodes = await nodeRunner.run({ argv: ['kubectl', '--kubeconfig', join(dir, 'admin.kubeconfig'), '--cache-dir', join(dir, 'kcache'), 'get', 'nodes', '--no-headers'], timeoutMs: 30_000 });
    assert.match(nodes.stdout, new RegExp(`^${name[1]!.replace(/\./g, '\\.')}\\s+Ready\\s`, 'm'), nodes.stdout);

    const down = await tabby(['down', '--data-dir', dir, '--purge']);
    assert.equal(down.code, 0, down.out);
    const prefix = /lab: worker \S+ added \(netns (tby[a-z0-9]+)-w3\)/.exec(out)?.[1];
    assert.ok(prefix, out);
    const left = (await nodeRunner.run({ argv: ['ip', 'netns', 'list'], timeoutMs: 10_000 })).stdout;
    assert.ok(!left.includes(`${prefix}-`), `tabby down left namespaces of ${prefix}:\n${left}`);
  } finally {
    if (up !== undefined && up.exitCode === null) {
      await tabby(['down', '--data-dir', dir, '--purge']).catch(() => undefined);
      if (up.exitCode === null) up.kill('SIGKILL');
    }
    await rm(dir, { recursive: true, force: true });
  }
});
