import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:https';
import { main } from '../main.js';
import { fakeIo } from '../testdata/fake-io.js';

function get(url: string, ca: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('tabby server serves HTTPS, writes kubeconfig and calicoctl.cfg, and stops on a signal', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tabby-server-'));
  const io = fakeIo({});
  try {
    const running = main(['server', '--data-dir', dir, '--port', '0'], io);
    const deadline = Date.now() + 30_000;
    while (!io.out().includes('listening on') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const url = /listening on (\S+)/.exec(io.out())?.[1];
    assert.ok(url, io.out() + io.err());
    const kubeconfig = await readFile(join(dir, 'admin.kubeconfig'), 'utf8');
    const cfg = await readFile(join(dir, 'calicoctl.cfg'), 'utf8');
    assert.match(cfg, /kind: CalicoAPIConfig/);
    const token = /token: (\S+)/.exec(kubeconfig)?.[1] ?? '';
    const ca = Buffer.from(/certificate-authority-data: (\S+)/.exec(kubeconfig)?.[1] ?? '', 'base64').toString();
    const r = await get(`${url}/api/v1/namespaces`, ca, token);
    assert.equal(r.status, 200);
    assert.match(r.body, /kube-system/);
    const unauth = await get(`${url}/api/v1/namespaces`, ca, 'wrong');
    assert.equal(unauth.status, 401);
    io.shutdown('SIGTERM');
    assert.equal(await running, 0);
  } finally {
    io.shutdown();
    await rm(dir, { recursive: true, force: true });
  }
});

const cfg = (spec: string): string => `apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nmetadata: {}\nspec:\n${spec}`;

test('tabby server refuses a kubernetes datastore, from --config or the environment, with one clear line', async () => {
  const cases = [
    { name: '--config', argv: ['--config', 'k.cfg'], files: { 'k.cfg': cfg('  datastoreType: kubernetes\n  kubeconfig: /nonexistent\n') }, env: {} },
    { name: 'DATASTORE_TYPE', argv: [], files: {}, env: { DATASTORE_TYPE: 'kubernetes', KUBECONFIG: '/nonexistent' } },
  ];
  for (const c of cases) {
    const dir = await mkdtemp(join(tmpdir(), 'tabby-server-'));
    const io = fakeIo(c.files, '', c.env);
    try {
      assert.equal(await main(['server', '--data-dir', dir, '--port', '0', ...c.argv], io), 1, c.name);
      assert.match(io.err(), /^tabby server: datastoreType kubernetes is not supported by tabby server \(.*\): the server is itself a Kubernetes API; use etcdv3 or embedded\n$/, c.name);
      assert.equal(io.out(), '', c.name);
    } finally {
      io.shutdown();
      await rm(dir, { recursive: true, force: true });
    }
  }
});

test('tabby server with KUBECONFIG alone in the environment keeps its embedded datastore', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tabby-server-'));
  const io = fakeIo({}, '', { KUBECONFIG: join(dir, 'admin.kubeconfig') });
  try {
    const running = main(['server', '--data-dir', dir, '--port', '0'], io);
    const deadline = Date.now() + 30_000;
    while (!io.out().includes('listening on') && io.err() === '' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.match(io.out(), new RegExp(`listening on \\S+ \\(data in ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)`), io.out() + io.err());
    io.shutdown('SIGTERM');
    assert.equal(await running, 0);
  } finally {
    io.shutdown();
    await rm(dir, { recursive: true, force: true });
  }
});

test('tabby server --config with an unreachable etcd fails with one line naming the endpoint', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tabby-server-'));
  const io = fakeIo({ 'e.cfg': cfg('  datastoreType: etcdv3\n  etcdEndpoints: http://127.0.0.1:1\n') });
  try {
    assert.equal(await main(['server', '--data-dir', dir, '--port', '0', '--config', 'e.cfg'], io), 1);
    assert.match(io.err(), /^tabby server: cannot reach etcd at http:\/\/127\.0\.0\.1:1: connection refused\n$/);
  } finally {
    io.shutdown();
    await rm(dir, { recursive: true, force: true });
  }
});
