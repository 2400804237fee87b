/**
 * One data directory is the cluster: every command finds it the same way (flag, TABBY_DATA_DIR,
 * default), reads only that cluster, creates nothing when it reads, and says where it looked
 * when there is no cluster. Real files in a temporary directory; no lab, no server.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, type Io } from './main.js';
import { calicoctlMain } from './calicoctl/main.js';
import { nodeIo } from './node-io.js';
import { resolveDataDir } from './paths.js';
import { openSqliteDatastore } from '../datastore/index.js';
import { ResourceClient } from '../client/index.js';
import { startCluster } from './commands/up.js';
import { stopCluster } from './commands/down.js';
import { ibmClassic } from '../cluster/profiles/ibm-classic.js';

function io(env: Record<string, string>): Io & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { ...nodeIo, env, stdout: (s) => void (out += s), stderr: (s) => void (err += s), out: () => out, err: () => err };
}

const GNP = (name: string): Record<string, unknown> => ({ apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name }, spec: { selector: 'all()', types: ['Ingress'] } });

async function withDb(path: string, names: string[]): Promise<void> {
  const ds = await openSqliteDatastore(path);
  for (const n of names) await new ResourceClient(ds).apply(GNP(n));
  await ds.close();
}

describe('the data directory', () => {
  test('the flag wins, then TABBY_DATA_DIR, then XDG_DATA_HOME, then HOME; always absolute', () => {
    const env = { TABBY_DATA_DIR: '/t', XDG_DATA_HOME: '/x', HOME: '/h' };
    assert.equal(resolveDataDir('/f', env), '/f');
    assert.equal(resolveDataDir(undefined, env), '/t');
    assert.equal(resolveDataDir(undefined, { XDG_DATA_HOME: '/x', HOME: '/h' }), '/x/tabby');
    assert.equal(resolveDataDir(undefined, { HOME: '/h' }), '/h/.local/share/tabby');
    assert.equal(resolveDataDir('rel', {}), join(process.cwd(), 'rel'));
  });

  test('with no cluster, reading commands fail, say where they looked, and create nothing', async () => {
    const base = mkdtempSync(join(tmpdir(), 'tabby-dd-'));
    const dir = join(base, 'cluster');
    try {
      const env = { TABBY_DATA_DIR: dir, HOME: base };
      const runs: [string, () => Promise<number>, ReturnType<typeof io>][] = [];
      const add = (name: string, f: (i: Io) => Promise<number>): void => {
        const i = io(env);
        runs.push([name, () => f(i), i]);
      };
      add('calicoctl get gnp', (i) => calicoctlMain(['get', 'gnp'], i));
      add('calicoctl delete gnp x', (i) => calicoctlMain(['delete', 'gnp', 'x'], i));
      add('tabby verdict', (i) => main(['verdict', '--from', '1.2.3.4', '--to', '5.6.7.8'], i));
      add('tabby lint', (i) => main(['lint'], i));
      add('tabby lab status', (i) => main(['lab', 'status'], i));
      add('tabby logs', (i) => main(['logs', '--node', 'w1'], i));
      add('tabby pack apply', (i) => main(['pack', 'apply', 'deny-nodeports'], i));
      for (const [name, run, i] of runs) {
        const code = await run();
        assert.notEqual(code, 0, `${name} should fail: ${i.out()}${i.err()}`);
        assert.ok(i.err().includes(dir), `${name} names ${dir}: ${i.err()}`);
        assert.equal(i.out().includes('Allow') || i.out().includes('Deny'), false, `${name} prints no result: ${i.out()}`);
        assert.equal(existsSync(dir), false, `${name} created ${dir}`);
      }
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  test('calicoctl without --config reads the running cluster of TABBY_DATA_DIR (its calicoctl.cfg), and says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tabby-dd-'));
    try {
      // The cluster's datastore is named by its calicoctl.cfg, not by the data dir's tabby.db.
      await withDb(join(dir, 'running.db'), ['from-running']);
      await withDb(join(dir, 'tabby.db'), ['from-file']);
      writeFileSync(join(dir, 'calicoctl.cfg'), `apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nmetadata: {}\nspec:\n  datastoreType: embedded\n  embeddedPath: ${join(dir, 'running.db')}\n`);
      writeFileSync(join(dir, 'tabby-up.json'), JSON.stringify({ pid: process.pid, url: 'https://127.0.0.1:1', profile: 'none', workers: [], lab: false, startedAt: '' }));
      const i = io({ TABBY_DATA_DIR: dir, HOME: dir });
      assert.equal(await calicoctlMain(['get', 'gnp'], i), 0, i.err());
      assert.match(i.out(), /from-running/);
      assert.doesNotMatch(i.out(), /from-file/);
      assert.equal(i.err(), `calicoctl: using ${join(dir, 'calicoctl.cfg')}, the cluster tabby up runs on ${dir} (no --config, no /etc/calico/calicoctl.cfg, no datastore in the environment)\n`);
      // The environment still comes first, as in calicoctl.
      const e = io({ TABBY_DATA_DIR: dir, HOME: dir, DATASTORE_TYPE: 'embedded', EMBEDDED_PATH: join(dir, 'tabby.db') });
      assert.equal(await calicoctlMain(['get', 'gnp'], e), 0, e.err());
      assert.match(e.out(), /from-file/);
      assert.equal(e.err(), '');
      // tabby verdict reads the same cluster (the running one), quietly.
      const v = io({ TABBY_DATA_DIR: dir, HOME: dir });
      await main(['query', 'policy', 'from-running'], v);
      assert.doesNotMatch(v.err(), /cannot|no running/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a stopped cluster: its datastore is read, and calicoctl says it is the stopped one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tabby-dd-'));
    try {
      await withDb(join(dir, 'tabby.db'), ['kept']);
      const i = io({ HOME: dir });
      assert.equal(await calicoctlMain(['get', 'gnp', '--data-dir', dir].slice(0, 2), { ...i, env: { TABBY_DATA_DIR: dir } }), 0);
      assert.match(i.out(), /kept/);
      assert.match(i.err(), /of the stopped cluster in/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('tabby logs never reads the syslog a stopped cluster left', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tabby-dd-'));
    try {
      mkdirSync(join(dir, 'lab'));
      writeFileSync(join(dir, 'lab', 'w1.syslog'), 'Dec  7 12:00:00 w1 calico-packet: IN=eth0 OUT= SRC=198.19.1.2 DST=198.19.2.2 PROTO=TCP SPT=1 DPT=80 SYN\n');
      const i = io({ HOME: dir });
      assert.equal(await main(['logs', '--node', 'w1', '--data-dir', dir], i), 1);
      assert.equal(i.out(), '');
      assert.match(i.err(), new RegExp(`no running cluster in ${dir}`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('tabby down on a directory with no cluster neither creates it nor claims to remove anything', async () => {
    const dir = join(tmpdir(), `tabby-dd-none-${process.pid}`);
    const lines = await stopCluster({ dataDir: dir, purge: true, log: () => undefined });
    assert.deepEqual(lines, [`no cluster in ${dir}: nothing to stop or remove`]);
    assert.equal(existsSync(dir), false);
  });

  test('tabby up on a taken port: one line naming the port and its holder, and the data dir as it was', async () => {
    const holder = createServer();
    await new Promise<void>((ok) => holder.listen(0, '127.0.0.1', ok));
    const port = (holder.address() as { port: number }).port;
    const base = mkdtempSync(join(tmpdir(), 'tabby-dd-'));
    try {
      const fresh = join(base, 'fresh');
      const kept = join(base, 'kept');
      mkdirSync(kept);
      writeFileSync(join(kept, 'notes'), 'mine');
      for (const dataDir of [fresh, kept]) {
        await assert.rejects(
          startCluster({ dataDir, profile: ibmClassic, workers: 1, port, host: '127.0.0.1', lab: false, log: () => undefined }),
          (e: Error) => {
            assert.match(e.message, new RegExp(`^port ${port} on 127\\.0\\.0\\.1 is taken by pid ${process.pid} \\(\\S*node .*cluster-dir\\.test\\.ts\\); stop it, or choose another port with --port$`));
            return true;
          },
        );
      }
      assert.equal(existsSync(fresh), false);
      assert.deepEqual(readdirSync(kept), ['notes']);
    } finally {
      holder.close();
      rmSync(base, { recursive: true, force: true });
    }
  });

  test('tabby down --purge removes the emptied data directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tabby-dd-'));
    await withDb(join(dir, 'tabby.db'), []);
    mkdirSync(join(dir, 'pki'));
    const lines = await stopCluster({ dataDir: dir, purge: true, log: () => undefined });
    assert.equal(existsSync(dir), false, lines.join('\n'));
    assert.ok(lines.includes(`removed the empty ${dir}`), lines.join('\n'));
  });
});
