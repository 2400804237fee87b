/**
 * docs/joining.md is a test: the commands of its ```sh blocks run in order, as real `tabby`
 * processes (bin/tabby.ts under tsx). Substitutions, as the page says in "How this page is
 * tested": `/tmp/tabby-cp` → a temporary directory, port 6443 → a free port, `$TOKEN` and
 * `$HASH` → the values `tabby token create` printed, and the agent runs with `--netns` in a
 * network namespace made here (root only), with TABBY_DATA_DIR in the temporary directory.
 * A command ending in `&` runs in the background until the end. Checks: every command exits 0;
 * the agent with a wrong `--ca-cert-hash` exits 1 saying `refusing to join`; the joined agent
 * publishes its programmed revision on its own Node. Every wait is bounded; everything started
 * is stopped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createNetns, deleteNetns, netnsSkipReason } from '../../src/sys/index.js';
import { kubeOptionsFor } from '../../src/cli/datastore-config.js';
import { openKubeDatastore } from '../../src/datastore/kube/index.js';
import { freePorts } from '../support/etcd.js';
import { required } from '../support/tools.js';
import { bounded, docCommands, start, until, type Run } from '../support/doc-commands.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const DOC = join(ROOT, 'docs', 'joining.md');

/** Shell words of a line without pipes or expansions other than "$NAME" (what the page uses). */
function words(line: string, vars: Record<string, string>): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => (m[1] ?? m[2]!).replace(/\$([A-Z]+)/g, (_, n: string) => vars[n] ?? `$${n}`));
}

test('docs/joining.md: every command runs as printed', { skip: required(await netnsSkipReason()), timeout: 240_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tabby-joindoc-'));
  const [port] = await freePorts(1);
  const ns = await createNetns('tbyjd');
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, TABBY_DATA_DIR: join(dir, 'node') };
  const background: Run[] = [];
  const vars: Record<string, string> = {};
  try {
    const lines = docCommands(await readFile(DOC, 'utf8')).map((l) => l.replaceAll('/tmp/tabby-cp', join(dir, 'cp')).replaceAll('6443', String(port)));
    assert.ok(lines.length >= 4, `docs/joining.md has its commands: ${lines.join(' | ')}`);
    for (const line of lines) {
      const bg = line.endsWith('&');
      const w = words(bg ? line.slice(0, -1) : line, vars);
      assert.equal(w[0], 'tabby', line);
      let args = w.slice(1);
      if (args[0] === 'agent') {
        // first, the same command with a wrong pin: refused, nothing written
        const wrong = args.map((a) => (a === vars['HASH'] ? `sha256:${'1'.repeat(64)}` : a));
        const refused = start('tabby', [...wrong, '--netns', ns], env);
        assert.equal(await bounded(refused.done, 60_000, 'agent with a wrong hash'), 1, refused.out);
        assert.match(refused.out, /^tabby agent: refusing to join: the CA served by https:\/\/127\.0\.0\.1:\d+ has public key hash sha256:[0-9a-f]{64}, which does not match --ca-cert-hash sha256:1{64}/m);
        args = [...args, '--netns', ns];
        const agent = start('tabby', args, env);
        background.push(agent);
        const kc = join(dir, 'cp', 'admin.kubeconfig');
        const admin = await openKubeDatastore(kubeOptionsFor({ kubeconfig: kc }));
        try {
          await until('worker-1 to publish its programmed revision', 90_000, async () => {
            if (agent.proc.exitCode !== null) assert.fail(`the agent exited: ${agent.out}`);
            try {
              const n = await admin.get({ group: 'projectcalico.org', plural: 'nodes', namespace: '', name: 'worker-1' });
              return (n.metadata.annotations ?? {})['tabby.dev/programmed-revision'] !== undefined;
            } catch {
              return false;
            }
          });
        } finally {
          await admin.close();
        }
        continue;
      }
      const run = start('tabby', args, env);
      if (bg) {
        background.push(run);
        await until(`${line} to listen`, 60_000, () => {
          if (run.proc.exitCode !== null) assert.fail(`${line} exited: ${run.out}`);
          return run.out.includes('listening on');
        });
        continue;
      }
      assert.equal(await bounded(run.done, 60_000, line), 0, `${line}\n${run.out}`);
      if (args[0] === 'token' && args[1] === 'create') {
        vars['TOKEN'] = /^token: (\S+)$/m.exec(run.out)?.[1] ?? '';
        vars['HASH'] = /^ca-cert-hash: (\S+)$/m.exec(run.out)?.[1] ?? '';
        assert.match(vars['TOKEN'], /^[a-z0-9]{6}\.[a-z0-9]{16}$/);
        assert.match(run.out, new RegExp(`^join: tabby agent --node worker-1 --server https://127\\.0\\.0\\.1:${port} --token ${vars['TOKEN']} --ca-cert-hash ${vars['HASH']}$`, 'm'));
      }
      if (args[0] === 'token' && args[1] === 'list') assert.match(run.out, /^[a-z0-9]{6}\s+worker-1\s+\S+\s+valid/m);
    }
  } finally {
    for (const r of background.reverse()) {
      r.proc.kill('SIGTERM');
      await bounded(r.done, 20_000, 'stopping').catch(() => r.proc.kill('SIGKILL'));
    }
    await deleteNetns(ns);
    await rm(dir, { recursive: true, force: true });
  }
});
