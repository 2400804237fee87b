/**
 * End to end: the certificates Tabby makes in-process (src/apiserver/pki.ts) are accepted by the
 * real clients — kubectl (Go TLS), Debian's python3-kubernetes (OpenSSL via urllib3) and curl —
 * on 127.0.0.1, localhost and ::1, each trusting only DATA_DIR/pki/ca.crt. Servers listen on
 * loopback with a free port and a temporary data dir. Missing tools skip locally and fail under
 * CI=true.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runServer, type RunningServer } from '../../src/apiserver/main.js';
import { required, requireTool, toolPath } from '../support/tools.js';

const KUBECTL = toolPath('kubectl') ?? 'kubectl';
/** Debian's python3 (with python3-kubernetes), not a pyenv one first on PATH. */
const PYTHON = '/usr/bin/python3';
const CURL = toolPath('curl') ?? 'curl';
const skip = requireTool('kubectl', 'curl') || required(existsSync(PYTHON) ? undefined : `${PYTHON} is missing (Debian package python3)`);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const run = (file: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<Run> =>
  new Promise((ok) => {
    execFile(file, args, { env, timeout: 30_000 }, (err, stdout, stderr) => {
      ok({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
  });

describe('clients accept the in-process certificates', { skip }, () => {
  let dir = '';
  let v4: RunningServer | undefined;
  let v6: RunningServer | undefined;
  const env = (): NodeJS.ProcessEnv => ({ PATH: '/usr/bin:/bin', HOME: dir });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tabby-pki-e2e-'));
    v4 = await runServer({ dataDir: join(dir, 'v4'), port: 0 });
    v6 = await runServer({ dataDir: join(dir, 'v6'), port: 0, host: '::1' });
  });
  after(async () => {
    await v4?.stop();
    await v6?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('kubectl', async () => {
    const r = await run(KUBECTL, ['--kubeconfig', v4!.kubeconfigPath, '--cache-dir', join(dir, 'cache'), '--request-timeout=20s', 'get', 'namespaces', '-o', 'name'], env());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^namespace\/default$/m);
  });

  test('python3-kubernetes', async () => {
    const py = [
      'import sys',
      'from kubernetes import client, config',
      'config.load_kube_config(config_file=sys.argv[1])',
      'print(sorted(n.metadata.name for n in client.CoreV1Api().list_namespace(_request_timeout=20).items))',
    ].join('\n');
    const r = await run(PYTHON, ['-c', py, v4!.kubeconfigPath], env());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /'default'/);
  });

  for (const [name, url] of [
    ['curl to 127.0.0.1', (s: RunningServer) => `${s.url}/version`],
    ['curl to localhost', (s: RunningServer) => `https://localhost:${s.port}/version`],
  ] as const) {
    test(name, async () => {
      const s = v4!;
      const args = ['-sS', '--fail', '--max-time', '20', '--cacert', join(dir, 'v4', 'pki', 'ca.crt'), '-H', `Authorization: Bearer ${s.adminToken}`];
      // localhost may resolve to ::1 first; this server listens on 127.0.0.1 only.
      const r = await run(CURL, [...args, '--resolve', `localhost:${s.port}:127.0.0.1`, url(s)], env());
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /"gitVersion"/);
    });
  }

  test('curl to ::1', async () => {
    const s = v6!;
    assert.equal(s.url, `https://[::1]:${s.port}`);
    const r = await run(CURL, ['-sS', '--fail', '--max-time', '20', '--cacert', join(dir, 'v6', 'pki', 'ca.crt'), '-H', `Authorization: Bearer ${s.adminToken}`, `${s.url}/version`], env());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /"gitVersion"/);
  });

  test('curl refuses a server whose CA it was not given', async () => {
    const r = await run(CURL, ['-sS', '--max-time', '20', '--cacert', join(dir, 'v6', 'pki', 'ca.crt'), `${v4!.url}/version`], env());
    assert.equal(r.code, 60, `curl exit 60 (peer certificate cannot be authenticated), got ${r.code}: ${r.stderr}`);
  });
});
