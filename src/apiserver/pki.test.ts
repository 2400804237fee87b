/**
 * The API server's certificates are made in-process (no `openssl` on PATH), chain to their CA,
 * name 127.0.0.1, ::1 and localhost, keep openssl's file formats and modes, are reused on the
 * next start, and a TLS client that trusts only the CA completes a handshake with them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, mkdir } from 'node:fs/promises';
import { createServer } from 'node:https';
import { connect } from 'node:tls';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { caCertHash, createCa, createCsr, ensurePki, loadCa, sanOf, verifyCsr } from './pki.js';

const withDir = async (fn: (dir: string) => Promise<void>): Promise<void> => {
  const dir = await mkdtemp(join(tmpdir(), 'tabby-pki-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};

test('ensurePki writes a P-256 CA and a server certificate for 127.0.0.1, ::1 and localhost', () =>
  withDir(async (dir) => {
    const pkiDir = join(dir, 'pki');
    const pki = await ensurePki(pkiDir);
    assert.deepEqual((await readdir(pkiDir)).sort(), ['ca.crt', 'ca.key', 'server.crt', 'server.key']);
    const ca = new X509Certificate(pki.caPem);
    const leaf = new X509Certificate(pki.certPem);
    assert.equal(ca.subject, 'CN=tabby-ca');
    assert.equal(ca.ca, true);
    assert.ok(ca.verify(ca.publicKey), 'the CA is self-signed');
    assert.equal(leaf.subject, 'CN=tabby-apiserver');
    assert.equal(leaf.ca, false);
    assert.ok(leaf.checkIssued(ca) && leaf.verify(ca.publicKey), 'the server certificate is signed by the CA');
    assert.equal(leaf.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(leaf.checkIP('::1'), '::1');
    assert.equal(leaf.checkHost('localhost'), 'localhost');
    assert.equal(leaf.checkHost('example.com'), undefined);
    assert.equal(leaf.subjectAltName, 'IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:localhost');
    assert.deepEqual(leaf.keyUsage, ['1.3.6.1.5.5.7.3.1'], 'extended key usage: serverAuth');
    assert.equal(leaf.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.ok(new Date(leaf.validFrom) <= new Date() && new Date(leaf.validTo) > new Date(Date.now() + 800 * 86_400_000));
    // Same formats as `openssl req -newkey ec -nodes`: PEM certificates, unencrypted PKCS#8 keys.
    for (const name of ['ca.key', 'server.key']) {
      const text = await readFile(join(pkiDir, name), 'utf8');
      assert.match(text, /^-----BEGIN PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+-----END PRIVATE KEY-----\n$/);
      assert.equal(createPrivateKey(text).asymmetricKeyType, 'ec');
      assert.equal((await stat(join(pkiDir, name))).mode & 0o777, 0o600, `${name} is private`);
    }
    assert.match(pki.certPem, /^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n$/);
    assert.equal(createPrivateKey(pki.keyPem).export({ format: 'jwk' }).x, leaf.publicKey.export({ format: 'jwk' }).x, 'the key matches the certificate');
  }));

test('ensurePki reuses the files it finds; a missing server key re-issues the server certificate by the kept CA; a missing CA key replaces the set', () =>
  withDir(async (dir) => {
    const first = await ensurePki(dir);
    assert.deepEqual(await ensurePki(dir), first);
    await rm(join(dir, 'server.key'));
    const second = await ensurePki(dir);
    assert.equal(second.caPem, first.caPem, 'the CA is kept');
    assert.notEqual(second.certPem, first.certPem);
    assert.ok(new X509Certificate(second.certPem).verify(new X509Certificate(first.caPem).publicKey));
    await rm(join(dir, 'ca.key'));
    const third = await ensurePki(dir);
    assert.notEqual(third.caPem, first.caPem, 'without its key the CA cannot sign: a new set');
    assert.deepEqual((await readdir(dir)).sort(), ['ca.crt', 'ca.key', 'server.crt', 'server.key'], 'no temporary files are left');
  }));

test('ensurePki adds names: the server certificate is issued again by the same CA, and caCertHash is kubeadm\'s', () =>
  withDir(async (dir) => {
    const first = await ensurePki(dir);
    const more = await ensurePki(dir, ['IP:198.18.0.1', 'DNS:api.tabby.test']);
    assert.equal(more.caPem, first.caPem);
    const leaf = new X509Certificate(more.certPem);
    assert.equal(leaf.subjectAltName, 'IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:localhost, IP Address:198.18.0.1, DNS:api.tabby.test');
    assert.deepEqual(await ensurePki(dir, ['DNS:api.tabby.test']), more, 'a subset of the names keeps the certificate');
    // kubeadm: sha256 over the DER SubjectPublicKeyInfo of the CA certificate.
    const spki = new X509Certificate(first.caPem).publicKey.export({ type: 'spki', format: 'der' });
    assert.equal(caCertHash(first.caPem), `sha256:${createHash('sha256').update(spki).digest('hex')}`);
    assert.match(caCertHash(first.caPem), /^sha256:[0-9a-f]{64}$/);
    assert.equal(sanOf('198.18.0.1'), 'IP:198.18.0.1');
    assert.equal(sanOf('[2001:db8::1]'), 'IP:2001:db8::1');
    assert.equal(sanOf('Api.Tabby.Test'), 'DNS:api.tabby.test');
    assert.throws(() => sanOf('a b'), /"a b" is neither an IP address nor a DNS name/);
  }));

test('a CSR made for a node key is verified and signed with CN and O; a tampered CSR is refused', async () => {
  const ca = await createCa('test-ca', 1);
  const { csrPem, keyPem } = await createCsr('system:node:w1');
  const req = await verifyCsr(csrPem);
  const cert = await ca.issue({ commonName: 'system:node:w1', organization: ['system:nodes'], clientAuth: true, days: 1 }, req.publicKey);
  assert.equal(cert.keyPem, '');
  const c = new X509Certificate(cert.certPem);
  assert.equal(c.subject, 'CN=system:node:w1\nO=system:nodes');
  assert.ok(c.checkPrivateKey(createPrivateKey(keyPem)), 'the certificate carries the CSR\'s key');
  const loaded = await loadCa(ca.certPem, ca.keyPem);
  assert.ok(new X509Certificate((await loaded.issue({ commonName: 'x', days: 1 })).certPem).verify(new X509Certificate(ca.certPem).publicKey));
  await assert.rejects(verifyCsr('-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n'), /not a PEM PKCS#10 certificate signing request/);
  const b64 = csrPem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
  const der = Buffer.from(b64, 'base64');
  der[der.length - 5] = der[der.length - 5]! ^ 1; // inside the signature
  const bad = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
  await assert.rejects(verifyCsr(bad), /signature does not verify|not a PEM PKCS#10/);
});

test('a TLS client that trusts only the CA accepts the server on 127.0.0.1 and localhost; another CA is refused', () =>
  withDir(async (dir) => {
    const pki = await ensurePki(dir);
    const server = createServer({ key: pki.keyPem, cert: pki.certPem }, (_req, res) => res.end('ok'));
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const port = (server.address() as AddressInfo).port;
    const handshake = (ca: string, servername?: string): Promise<string> =>
      new Promise((ok) => {
        const s = connect({ host: '127.0.0.1', port, ca, ...(servername === undefined ? {} : { servername }), timeout: 10_000 }, () => {
          s.end();
          ok('ok');
        });
        s.once('error', (e: NodeJS.ErrnoException) => ok(e.code ?? e.message));
        s.once('timeout', () => s.destroy(new Error('timeout')));
      });
    try {
      assert.equal(await handshake(pki.caPem), 'ok');
      assert.equal(await handshake(pki.caPem, 'localhost'), 'ok');
      assert.equal(await handshake(pki.caPem, 'example.com'), 'ERR_TLS_CERT_ALTNAME_INVALID');
      const other = await createCa('other-ca', 1);
      assert.equal(await handshake(other.certPem), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    } finally {
      await new Promise<void>((ok) => server.close(() => ok()));
    }
  }));

test('a CA issues client certificates (for etcd) and rejects a malformed subject alternative name', async () => {
  const ca = await createCa('test-ca', 1);
  const client = await ca.issue({ commonName: 'tabby-client', clientAuth: true, days: 1 });
  const c = new X509Certificate(client.certPem);
  assert.deepEqual(c.keyUsage, ['1.3.6.1.5.5.7.3.2']);
  assert.equal(c.subjectAltName, undefined);
  assert.ok(c.verify(new X509Certificate(ca.certPem).publicKey));
  await assert.rejects(ca.issue({ commonName: 'x', sans: ['URI:http://x'], days: 1 }), /subject alternative name "URI:http:\/\/x": expected IP:<address> or DNS:<name>/);
});

test('no program outside npm is needed: certificates are made with only node on PATH', () =>
  withDir(async (dir) => {
    const bin = join(dir, 'bin');
    await mkdir(bin);
    const { symlink } = await import('node:fs/promises');
    await symlink(process.execPath, join(bin, 'node'));
    const pkiTs = new URL('./pki.ts', import.meta.url).pathname;
    const script = `const { ensurePki } = await import(${JSON.stringify(pkiTs)}); await ensurePki(${JSON.stringify(join(dir, 'pki'))});`;
    const r = await new Promise<{ code: number; stderr: string }>((ok) => {
      execFile(
        join(bin, 'node'),
        ['--import', 'tsx', '--input-type=module', '-e', script],
        { env: { PATH: bin, HOME: dir }, cwd: dirname(pkiTs), timeout: 60_000 },
        (err, _out, stderr) => ok({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stderr }),
      );
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((await readdir(join(dir, 'pki'))).sort(), ['ca.crt', 'ca.key', 'server.crt', 'server.key']);
  }));
