/**
 * End to end, issue 15 item 1: `tabby server --bind --advertise-address --tls-san` makes a
 * serving certificate that names them (and keeps its CA when the names change), `--host` still
 * works as the older name of `--bind`, and `--etcd-endpoints` with `--etcd-cafile/--etcd-certfile
 * /--etcd-keyfile` stores into a real etcd that requires TLS client certificates (its
 * certificates are made in-process by test/support/etcd.ts with the library). Everything
 * listens on 127.0.0.1 with free ports and temporary directories; every wait is bounded.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { fakeIo, type FakeIo } from '../../src/cli/testdata/fake-io.js';
import { caCertHash } from '../../src/apiserver/pki.js';
import { etcdSkipReason, startEtcd, type EtcdCluster } from '../support/etcd.js';
import { required } from '../support/tools.js';

interface Started {
  readonly io: FakeIo;
  readonly running: Promise<number>;
  readonly url: string;
}

async function start(argv: readonly string[], files: Record<string, string> = {}): Promise<Started> {
  const io = fakeIo(files);
  const running = main(['server', '--port', '0', ...argv], io);
  const deadline = Date.now() + 30_000;
  let exited = false;
  void running.then(() => (exited = true));
  while (!io.out().includes('listening on') && !exited && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const url = /listening on (\S+)/.exec(io.out())?.[1];
  assert.ok(url, `tabby server ${argv.join(' ')} did not start: ${io.out()}${io.err()}`);
  return { io, running, url };
}

async function stop(s: Started): Promise<void> {
  s.io.shutdown('SIGTERM');
  assert.equal(await s.running, 0, s.io.err());
}

/** GET PATH on 127.0.0.1:PORT with TLS server name SERVERNAME, trusting only CA. */
function get(port: number, path: string, ca: string, token: string, servername: string): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, servername, ca, headers: { authorization: `Bearer ${token}` }, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.end();
  });
}

const kubeconfigOf = async (dir: string): Promise<{ server: string; ca: string; token: string }> => {
  const text = await readFile(join(dir, 'admin.kubeconfig'), 'utf8');
  return {
    server: /server: (\S+)/.exec(text)?.[1] ?? '',
    ca: Buffer.from(/certificate-authority-data: (\S+)/.exec(text)?.[1] ?? '', 'base64').toString(),
    token: /token: (\S+)/.exec(text)?.[1] ?? '',
  };
};

describe('tabby server --bind, --advertise-address and --tls-san', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tabby-srvnet-'));
  });
  after(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  test('the certificate names every SAN and the advertise address; adding a SAN re-issues it by the same CA', async () => {
    const data = join(dir, 'a');
    const s = await start(['--data-dir', data, '--bind', '127.0.0.1', '--advertise-address', '127.0.0.1', '--tls-san', 'api.tabby.test', '--tls-san', '198.18.0.10,tabby-api']);
    const port = Number(new URL(s.url).port);
    try {
      const kc = await kubeconfigOf(data);
      assert.equal(kc.server, `https://127.0.0.1:${port}`);
      const leaf = new X509Certificate(await readFile(join(data, 'pki', 'server.crt'), 'utf8'));
      assert.equal(leaf.subjectAltName, 'IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:localhost, DNS:api.tabby.test, IP Address:198.18.0.10, DNS:tabby-api');
      for (const name of ['api.tabby.test', 'tabby-api', 'localhost']) {
        const r = await get(port, '/api/v1/namespaces/default', kc.ca, kc.token, name);
        assert.ok('status' in r && r.status === 200, `TLS name ${name}: ${JSON.stringify(r)}`);
      }
      assert.deepEqual(await get(port, '/api/v1/namespaces/default', kc.ca, kc.token, 'other.tabby.test'), { error: 'ERR_TLS_CERT_ALTNAME_INVALID' });
      const api = await get(port, '/api', kc.ca, kc.token, 'localhost');
      assert.ok('body' in api);
      assert.match(api.body, new RegExp(`"serverAddress":"127\\.0\\.0\\.1:${port}"`));
    } finally {
      await stop(s);
    }
    const caBefore = await readFile(join(data, 'pki', 'ca.crt'), 'utf8');
    const certBefore = await readFile(join(data, 'pki', 'server.crt'), 'utf8');
    // Same names again: nothing is issued.
    const same = await start(['--data-dir', data, '--tls-san', 'api.tabby.test,198.18.0.10,tabby-api']);
    await stop(same);
    assert.equal(await readFile(join(data, 'pki', 'server.crt'), 'utf8'), certBefore, 'an unchanged set of names keeps the certificate');
    // A new name (through --host, the older name of --bind): a new certificate, the same CA.
    const again = await start(['--data-dir', data, '--host', '127.0.0.1', '--tls-san', 'new.tabby.test']);
    try {
      const port2 = Number(new URL(again.url).port);
      assert.equal(await readFile(join(data, 'pki', 'ca.crt'), 'utf8'), caBefore, 'the CA is kept');
      const kc = await kubeconfigOf(data);
      assert.equal(caCertHash(kc.ca), caCertHash(caBefore));
      const r = await get(port2, '/api/v1/namespaces/default', caBefore, kc.token, 'new.tabby.test');
      assert.ok('status' in r && r.status === 200, JSON.stringify(r));
    } finally {
      await stop(again);
    }
  });

  test('a bad --tls-san or --advertise-address is refused before anything starts', async () => {
    const io = fakeIo({});
    assert.equal(await main(['server', '--data-dir', join(dir, 'bad'), '--port', '0', '--tls-san', 'bad name!'], io), 2);
    assert.match(io.err(), /option '--tls-san <name\|ip>' argument 'bad name!' is invalid\. "bad name!" is neither an IP address nor a DNS name/);
    const io2 = fakeIo({});
    assert.equal(await main(['server', '--data-dir', join(dir, 'bad'), '--port', '0', '--advertise-address', 'tabby.test'], io2), 2);
    assert.match(io2.err(), /option '--advertise-address <ip>' argument 'tabby\.test' is invalid\. must be an IP address/);
    const io3 = fakeIo({});
    assert.equal(await main(['server', '--data-dir', join(dir, 'bad'), '--port', '0', '--etcd-cafile', 'ca.crt'], io3), 1);
    assert.equal(io3.err(), 'tabby server: --etcd-cafile need --etcd-endpoints\n');
  });
});

describe('tabby server --etcd-endpoints with TLS client certificates (real etcd)', { skip: required(etcdSkipReason()) }, () => {
  let dir = '';
  let etcd: EtcdCluster | undefined;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tabby-srvetcd-'));
    etcd = await startEtcd({ tls: true });
  });
  after(async () => {
    await etcd?.stop();
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  test('stores into the etcd, which two servers then share', async () => {
    const tls = etcd!.tls!;
    const flags = ['--etcd-endpoints', etcd!.endpoints.join(','), '--etcd-cafile', tls.caFile, '--etcd-certfile', tls.clientCertFile, '--etcd-keyfile', tls.clientKeyFile];
    const a = await start(['--data-dir', join(dir, 'a'), ...flags]);
    const b = await start(['--data-dir', join(dir, 'b'), ...flags]);
    try {
      assert.match(a.io.out(), /\(datastore: etcd at https:\/\/127\.0\.0\.1:\d+\)/);
      const ka = await kubeconfigOf(join(dir, 'a'));
      const kb = await kubeconfigOf(join(dir, 'b'));
      const post = await new Promise<number>((resolve, reject) => {
        const body = JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'from-a' } });
        const req = request(`${a.url}/api/v1/namespaces`, { method: 'POST', ca: ka.ca, headers: { authorization: `Bearer ${ka.token}`, 'content-type': 'application/json' }, timeout: 10_000 }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end(body);
      });
      assert.equal(post, 201);
      const r = await get(Number(new URL(b.url).port), '/api/v1/namespaces/from-a', kb.ca, kb.token, 'localhost');
      assert.ok('status' in r && r.status === 200, JSON.stringify(r));
    } finally {
      await stop(a);
      await stop(b);
    }
  });

  test('without the client certificate the etcd refuses, in one line naming the endpoint', async () => {
    const io = fakeIo({});
    const code = await main(['server', '--data-dir', join(dir, 'c'), '--port', '0', '--etcd-endpoints', etcd!.endpoints[0]!, '--etcd-cafile', etcd!.tls!.caFile], io);
    assert.equal(code, 1);
    assert.match(io.err(), /^tabby server: cannot reach etcd at https:\/\/127\.0\.0\.1:\d+: .+\n$/);
    assert.equal(io.out(), '');
  });
});
