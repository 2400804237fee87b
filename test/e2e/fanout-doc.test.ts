/**
 * docs/fanout.md is a test: the three commands of its ```sh block run as printed, as real `tabby`
 * processes (bin/tabby.ts under tsx). Substitutions: `DIR` → a temporary directory, port 6443 →
 * a free port, the fan-out gets `--port` with another free port (the page's 5473 may be taken on
 * a shared machine), and the agent runs with `--netns` in a network namespace made here (root
 * only), so it programs that namespace, never the host. Checks: both servers listen; the agent,
 * reading through the fan-out, programs its namespace and publishes its programmed revision on
 * its own Node (a write the fan-out forwards upstream); the kubeconfig the agent's config names
 * points at the fan-out. (One upstream watch per kind is fanout.test.ts's check.) Every wait is
 * bounded; everything started is stopped.
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
const DOC = join(ROOT, 'docs', 'fanout.md');

test('docs/fanout.md: the API server, the fan-out and an agent behind it run as printed', { skip: required(await netnsSkipReason()), timeout: 240_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tabby-fanoutdoc-'));
  const [port, fanPort] = await freePorts(2);
  const ns = await createNetns('tbyfd');
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, TABBY_DATA_DIR: join(dir, 'node') };
  const started: Run[] = [];
  try {
    const lines = docCommands(await readFile(DOC, 'utf8')).map((l) => l.replace(/\s+#\s.*$/, '').replaceAll('DIR', dir).replaceAll('6443', String(port)));
    assert.equal(lines.length, 3, `the page's commands: ${lines.join(' | ')}`);
    for (const line of lines) {
      const w = line.split(/\s+/);
      assert.equal(w[0], 'tabby', line);
      let args = w.slice(1);
      if (args.includes('fanout')) args = [...args, '--port', String(fanPort)];
      if (args[0] === 'agent') args = [...args, '--netns', ns];
      const run = start('tabby', args, env);
      started.push(run);
      if (args[0] === 'server') {
        await until(`${line} to listen`, 60_000, () => {
          if (run.proc.exitCode !== null) assert.fail(`${line} exited: ${run.out}`);
          return run.out.includes('listening on');
        });
        continue;
      }
      const admin = await openKubeDatastore(kubeOptionsFor({ kubeconfig: join(dir, 'admin.kubeconfig') }));
      try {
        await until('worker-1 to publish its programmed revision through the fan-out', 90_000, async () => {
          if (run.proc.exitCode !== null) assert.fail(`the agent exited: ${run.out}`);
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
    }
    assert.match(await readFile(join(dir, 'fanout-calicoctl.cfg'), 'utf8'), /fanout\.kubeconfig/);
    assert.match(await readFile(join(dir, 'fanout.kubeconfig'), 'utf8'), new RegExp(`server: https://127\\.0\\.0\\.1:${fanPort}\\b`), 'the agent was pointed at the fan-out, not the API server');
  } finally {
    for (const r of started.reverse()) {
      r.proc.kill('SIGTERM');
      await bounded(r.done, 20_000, 'stopping').catch(() => r.proc.kill('SIGKILL'));
    }
    await deleteNetns(ns);
    await rm(dir, { recursive: true, force: true });
  }
});
