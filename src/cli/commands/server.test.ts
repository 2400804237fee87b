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
