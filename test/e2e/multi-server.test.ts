/**
 * End to end, issue 4: two Tabby API servers on one etcd serve the same state. Server A is
 * `tabby server --config <calicoctl.cfg naming the etcd>` (the CLI path), server B is runServer()
 * with an etcd datastore passed in; each has its own data directory, port and tokens. The real
 * kubectl writes through A and reads and watches through B. Skipped without kubectl or
 * etcd-server. Everything listens on 127.0.0.1 and every wait is bounded.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runServer, type RunningServer } from '../../src/apiserver/main.js';
import { main } from '../../src/cli/main.js';
import { fakeIo, type FakeIo } from '../../src/cli/testdata/fake-io.js';
import { openEtcdDatastore, type Datastore } from '../../src/datastore/index.js';
import { etcdSkipReason, startEtcd, type EtcdCluster } from '../support/etcd.js';
import { required, requireTool, toolPath } from '../support/tools.js';

const KUBECTL = toolPath('kubectl') ?? 'kubectl';
const skip = requireTool('kubectl') || required(etcdSkipReason());

const gnp = (name: string, order: number): string => `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: ${name}
spec:
  order: ${order}
  selector: role == 'db'
  types: [Ingress]
  ingress:
  - action: Allow
    protocol: TCP
    destination:
      ports: [5432]
`;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

describe('two tabby servers on one etcd', { skip }, () => {
  let dir = '';
  let etcd: EtcdCluster | undefined;
  let ioA: FakeIo | undefined;
  let runningA: Promise<number> | undefined;
  let kubeconfigA = '';
  let dsB: Datastore | undefined;
  let serverB: RunningServer | undefined;

  const env = (kubeconfig: string): NodeJS.ProcessEnv => ({ PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, KUBECONFIG: kubeconfig });

  const kubectl = (kubeconfig: string, args: readonly string[]): Promise<Run> =>
    new Promise((ok) => {
      execFile(KUBECTL, ['--cache-dir', join(dir, 'cache'), '--request-timeout=20s', ...args], { env: env(kubeconfig), timeout: 30_000 }, (err, stdout, stderr) => {
        ok({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
      });
    });

  const ok = async (kubeconfig: string, args: readonly string[]): Promise<string> => {
    const r = await kubectl(kubeconfig, args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };

  const file = async (name: string, text: string): Promise<string> => {
    const p = join(dir, name);
    await writeFile(p, text);
    return p;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tabby-multi-'));
    etcd = await startEtcd();
    // A: the CLI, configured by a calicoctl.cfg that names the etcd.
    const cfg = `apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nmetadata: {}\nspec:\n  datastoreType: etcdv3\n  etcdEndpoints: ${etcd.endpoints.join(',')}\n`;
    const io = fakeIo({ 'etcd.cfg': cfg });
    ioA = io;
    runningA = main(['server', '--data-dir', join(dir, 'a'), '--port', '0', '--config', 'etcd.cfg'], io);
    const deadline = Date.now() + 30_000;
    while (!io.out().includes('listening on') && Date.now() < deadline) {
      const exited = await Promise.race([runningA.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 20))]);
      if (exited) break;
    }
    assert.match(io.out(), /listening on https:\/\/127\.0\.0\.1:\d+ \(datastore: etcd at /, io.out() + io.err());
    kubeconfigA = join(dir, 'a', 'admin.kubeconfig');
    // B: runServer with the etcd datastore passed in.
    dsB = await openEtcdDatastore({ endpoints: etcd.endpoints });
    serverB = await runServer({ dataDir: join(dir, 'b'), port: 0, datastore: dsB });
  });

  after(async () => {
    ioA?.shutdown('SIGTERM');
    if (runningA !== undefined) assert.equal(await runningA, 0);
    await serverB?.stop();
    await dsB?.close();
    await etcd?.stop();
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  test('a GlobalNetworkPolicy applied through A is served by B', async () => {
    assert.equal(await ok(kubeconfigA, ['apply', '-f', await file('db.yaml', gnp('allow-db', 100))]), 'globalnetworkpolicy.projectcalico.org/allow-db created\n');
    const got = await ok(serverB!.kubeconfigPath, ['get', 'gnp', 'allow-db', '-o', 'jsonpath={.spec.order} {.spec.selector}']);
    assert.equal(got, "100 role == 'db'");
    // And both list the same default namespaces, created once between them.
    const nsA = await ok(kubeconfigA, ['get', 'namespaces', '-o', 'name']);
    assert.equal(await ok(serverB!.kubeconfigPath, ['get', 'namespaces', '-o', 'name']), nsA);
    assert.match(nsA, /namespace\/kube-system/);
  });

  test('kubectl get -w on B receives a change made through A (bounded wait)', async () => {
    const child = spawn(KUBECTL, ['--cache-dir', join(dir, 'cache'), 'get', 'gnp', '-w', '--request-timeout=20s'], { env: env(serverB!.kubeconfigPath) });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const waitFor = async (re: RegExp, ms: number): Promise<void> => {
      const deadline = Date.now() + ms;
      while (!re.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.match(out, re);
    };
    try {
      await waitFor(/^allow-db\s+default\s+100\b/m, 15_000);
      await ok(kubeconfigA, ['apply', '-f', await file('db2.yaml', gnp('allow-db', 250))]);
      await waitFor(/^allow-db\s+default\s+250\b/m, 15_000);
      await ok(kubeconfigA, ['apply', '-f', await file('web.yaml', gnp('allow-web', 300))]);
      await waitFor(/^allow-web\s+default\s+300\b/m, 15_000);
    } finally {
      child.kill('SIGTERM');
    }
  });

  test('a delete through B is seen by A', async () => {
    assert.equal(await ok(serverB!.kubeconfigPath, ['delete', 'gnp', 'allow-web']), 'globalnetworkpolicy.projectcalico.org "allow-web" deleted\n');
    const r = await kubectl(kubeconfigA, ['get', 'gnp', 'allow-web']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim(), 'Error from server (NotFound): globalnetworkpolicies.projectcalico.org "allow-web" not found');
  });
});
