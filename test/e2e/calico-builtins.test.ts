/**
 * End to end: Calico's built-in and derived objects as the real kubectl and the calicoctl
 * executable see them through a Tabby API server (127.0.0.1, a free port, a temporary data
 * directory): the built-in tiers, the default FelixConfiguration, the default-allow / kns.* /
 * ksa.* profiles, one WorkloadEndpoint per scheduled pod (also in a watch), and Calico's refusals
 * (deleting the default tier, writing a derived profile). kubectl missing is a failure under
 * CI=true, a skip elsewhere.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runServer, type RunningServer } from '../../src/apiserver/main.js';
import { requireTool, toolPath } from '../support/tools.js';

const KUBECTL = toolPath('kubectl') ?? 'kubectl';

const ROOT = resolve(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'calicoctl.ts');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('Calico built-in objects through kubectl and calicoctl', { skip: requireTool('kubectl') }, () => {
  let dir = '';
  let server: RunningServer | undefined;

  const run = (file: string, args: readonly string[], stdin?: string): Promise<Run> =>
    new Promise((done) => {
      const child = execFile(
        file,
        args,
        { cwd: dir, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, KUBECONFIG: server!.kubeconfigPath }, timeout: 60_000 },
        (err, stdout, stderr) => done({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr }),
      );
      child.stdin?.end(stdin ?? '');
    });
  const kubectl = (args: readonly string[], stdin?: string) => run(KUBECTL, ['--cache-dir', join(dir, 'cache'), '--request-timeout=20s', ...args], stdin);
  const calicoctl = (args: readonly string[]) => run(process.execPath, ['--import', TSX, BIN, ...args, '-c', server!.calicoctlCfgPath]);
  const ok = async (r: Promise<Run>): Promise<string> => {
    const x = await r;
    assert.equal(x.code, 0, x.stderr);
    return x.stdout;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tabby-builtins-'));
    server = await runServer({ dataDir: join(dir, 'data'), port: 0 });
  });

  after(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('kubectl get tiers and calicoctl get tiers list the three built-in tiers', async () => {
    const k = await ok(kubectl(['get', 'tiers']));
    assert.match(k, /^NAME\s+ORDER\s+AGE\n/);
    assert.match(k, /^adminnetworkpolicy\s+1000\s+\d+[smh]$/m);
    assert.match(k, /^baselineadminnetworkpolicy\s+10000000\s+\d+[smh]$/m);
    assert.match(k, /^default\s+1000000\s+\d+[smh]$/m);
    const c = await ok(calicoctl(['get', 'tiers']));
    assert.equal(c, 'NAME                         ORDER   \nadminnetworkpolicy           1000    \nbaselineadminnetworkpolicy   1e+07   \ndefault                      1e+06   \n\n');
    assert.equal(await ok(kubectl(['get', 'felixconfigurations', '-o', 'name'])), 'felixconfiguration.projectcalico.org/default\n');
  });

  test('deleting the default tier is refused by kubectl and calicoctl alike', async () => {
    const k = await kubectl(['delete', 'tier', 'default']);
    assert.equal(k.code, 1);
    assert.equal(k.stderr, 'Error from server (Forbidden): operation Delete is not supported on default: Cannot delete default tier\n');
    const c = await calicoctl(['delete', 'tier', 'default']);
    assert.equal(c.code, 1);
    assert.match(c.stderr, /operation Delete is not supported on default: Cannot delete default tier/);
    assert.match(await ok(kubectl(['get', 'tier', 'default'])), /^default\s+1000000/m);
  });

  test('profiles: default-allow, kns.<ns> and ksa.<ns>.<sa> follow namespaces and service accounts; writes are refused', async () => {
    await ok(kubectl(['create', 'namespace', 'shop']));
    await ok(kubectl(['label', 'namespace', 'shop', 'team=web']));
    await ok(kubectl(['create', 'serviceaccount', 'bob', '-n', 'shop']));
    const names = (await ok(kubectl(['get', 'profiles', '-o', 'name']))).split('\n');
    for (const n of ['kns.shop', 'ksa.shop.bob', 'projectcalico-default-allow']) assert.ok(names.includes(`profile.projectcalico.org/${n}`), n);
    const kns = JSON.parse(await ok(kubectl(['get', 'profile', 'kns.shop', '-o', 'json']))) as { spec: { labelsToApply: Record<string, string> } };
    assert.equal(kns.spec.labelsToApply['pcns.team'], 'web');
    assert.equal(kns.spec.labelsToApply['pcns.projectcalico.org/name'], 'shop');
    assert.match(await ok(calicoctl(['get', 'profiles'])), /^ksa\.shop\.bob\s*$/m);
    const del = await kubectl(['delete', 'profile', 'kns.shop']);
    assert.equal(del.code, 1);
    assert.match(del.stderr, /Forbidden.*operation Delete is not supported on Profile\(kns\.shop\): it is derived from v1 Namespace shop and is read-only/);
  });

  test('a scheduled pod has one WorkloadEndpoint, named as Calico names it, and a watch sees it appear', async () => {
    const watch = spawn(KUBECTL, ['--cache-dir', join(dir, 'cache'), 'get', 'workloadendpoints', '-n', 'shop', '--watch', '-o', 'name', '--request-timeout=30s'], {
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, KUBECONFIG: server!.kubeconfigPath },
    });
    let seen = '';
    watch.stdout.on('data', (b: Buffer) => (seen += b.toString()));
    try {
      await ok(kubectl(['run', 'web-1', '--image=nginx', '-n', 'shop', '--overrides={"spec":{"nodeName":"worker-1"}}']));
      const wep = JSON.parse(await ok(kubectl(['get', 'wep', 'worker--1-k8s-web--1-eth0', '-n', 'shop', '-o', 'json']))) as { spec: Record<string, unknown> };
      assert.deepEqual([wep.spec['pod'], wep.spec['node'], wep.spec['endpoint'], wep.spec['profiles']], ['web-1', 'worker-1', 'eth0', ['kns.shop', 'ksa.shop.default']]);
      assert.match(await ok(calicoctl(['get', 'wep', '-n', 'shop'])), /^shop\s+web-1\s+worker-1\s+cali[0-9a-f]{11}\s*$/m);
      assert.match(await ok(calicoctl(['get', 'wep', 'worker--1-k8s-web--1-eth0', '-n', 'shop', '-o', 'yaml'])), /^ {2}pod: web-1$/m);
      await ok(kubectl(['delete', 'pod', 'web-1', '-n', 'shop']));
      assert.equal(await ok(kubectl(['get', 'wep', '-n', 'shop', '-o', 'name'])), '');
      // the watch saw the endpoint appear (bounded wait)
      for (let i = 0; i < 100 && !seen.includes('worker--1-k8s-web--1-eth0'); i++) await new Promise((r) => setTimeout(r, 50));
      assert.match(seen, /workloadendpoint\.projectcalico\.org\/worker--1-k8s-web--1-eth0/);
    } finally {
      watch.kill();
    }
  });
});
