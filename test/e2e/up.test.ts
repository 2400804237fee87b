/**
 * End to end: `tabby up` as a real process (bin/tabby.ts under tsx, --no-lab, a free loopback
 * port, a temporary data dir), then the seed's calicoctl commands verbatim against it through
 * the written calicoctl.cfg (golden output, with uids, timestamps and resource versions
 * masked), automatic host endpoints for a Node added later, the provider-managed refusal,
 * packs, and `tabby down` stopping the other process and keeping the datastore; a second up
 * resumes it. Every wait is bounded.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { calicoctlMain } from '../../src/cli/calicoctl/main.js';
import { main as tabbyMain } from '../../src/cli/main.js';
import { nodeIo } from '../../src/cli/node-io.js';
import type { Io } from '../../src/cli/io.js';
import { loadCalicoctlConfig } from '../../src/cli/calicoctl/config.js';
import { openDatastoreFromConfig } from '../../src/cli/datastore-config.js';
import { ResourceClient } from '../../src/client/index.js';
import { nodeManifest, profileNamed } from '../../src/cluster/index.js';
import { goldenChecker } from '../support/golden.js';
import { required } from '../support/tools.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const TABBY = join(ROOT, 'bin', 'tabby.ts');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const GOLDEN = join(import.meta.dirname, 'testdata', 'up');

const expectGolden = goldenChecker(GOLDEN);

/** Masks what differs between runs. */
function mask(s: string, dir: string): string {
  return s
    .replaceAll(dir, 'DIR')
    .replace(/https:\/\/127\.0\.0\.1:\d+/g, 'https://127.0.0.1:PORT')
    .replace(/(uid: )[0-9a-f-]{36}/g, '$1UID')
    .replace(/(creationTimestamp: )"[^"]+"/g, '$1TIME')
    .replace(/(resourceVersion: )"\d+"/g, '$1RV');
}

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

function captureIo(): { io: Io; out: () => { stdout: string; stderr: string } } {
  let stdout = '';
  let stderr = '';
  const io: Io = { ...nodeIo, stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s) };
  return { io, out: () => ({ stdout, stderr }) };
}

async function calicoctl(args: readonly string[]): Promise<Captured> {
  const c = captureIo();
  const code = await calicoctlMain(args, c.io);
  return { code, ...c.out() };
}

async function tabby(args: readonly string[]): Promise<Captured> {
  const c = captureIo();
  const code = await tabbyMain(args, c.io);
  return { code, ...c.out() };
}

/** Starts `tabby up`; resolves with its first stdout block once it says it is up (bounded). */
function startUp(dir: string): Promise<{ child: ChildProcess; stdout: string }> {
  const child = spawn(process.execPath, ['--import', TSX, TABBY, 'up', '--data-dir', dir, '--port', '0', '--no-lab'], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((ok, fail) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`tabby up did not come up within 60s:\n${out}\n${err}`));
    }, 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Stop with Ctrl-C')) {
        clearTimeout(timer);
        ok({ child, stdout: out });
      }
    });
    child.stderr!.on('data', (d: Buffer) => void (err += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`tabby up exited (${code}) before it was up:\n${out}\n${err}`));
    });
  });
}

function exited(child: ChildProcess, ms: number): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((ok, fail) => {
    const t = setTimeout(() => fail(new Error('the up process did not exit')), ms);
    child.on('exit', (code) => (clearTimeout(t), ok(code)));
  });
}

async function until(what: string, cond: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('tabby up (no lab) and the seed', () => {
  let dir = '';
  let cfg = '';
  let up: { child: ChildProcess; stdout: string } | undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tabby-up-'));
    up = await startUp(dir);
    cfg = join(dir, 'calicoctl.cfg');
  });

  after(async () => {
    if (up && up.child.exitCode === null) {
      up.child.kill('SIGKILL');
      await exited(up.child, 5000).catch(() => undefined);
    }
    await rm(dir, { recursive: true, force: true });
  });

  test('up prints how to use the cluster and why there is no enforcement', () => {
    expectGolden('up.golden', mask(up!.stdout, dir));
  });

  const seed: [string, string[]][] = [
    ['get-nodes', ['get', 'nodes']],
    ['get-hostendpoint-yaml', ['get', 'hostendpoint', '-o', 'yaml']],
    ['get-networkpolicy-all-namespaces-wide', ['get', 'NetworkPolicy', '--all-namespaces', '-o', 'wide']],
    ['get-globalnetworkpolicy-wide', ['get', 'GlobalNetworkPolicy', '-o', 'wide']],
    ['get-globalnetworkpolicy-yaml', ['get', 'GlobalNetworkPolicy', '-o', 'yaml']],
    ['get-networkpolicy-yaml-name-namespace', ['get', 'NetworkPolicy', '-o', 'yaml', 'knp.default.kubernetes-dashboard', '--namespace', 'kube-system']],
  ];
  for (const [name, args] of seed)
    test(`calicoctl ${args.join(' ')}`, async () => {
      const r = await calicoctl([...args, `--config=${cfg}`]);
      expectGolden(`seed-${name}.golden`, mask(`$ calicoctl ${args.join(' ')}\n-- exit: ${r.code} --\n${r.stdout}-- stderr --\n${r.stderr}`, dir));
    });

  test('a Node added later gets its public host endpoint, with no file edited; removing it removes the endpoint', async () => {
    const loaded = await loadCalicoctlConfig(nodeIo, cfg);
    assert.ok(loaded.ok);
    const ds = await openDatastoreFromConfig(loaded.value.spec, { env: {} });
    try {
      const client = new ResourceClient(ds);
      const w4 = profileNamed('ibm-classic')!.workers(4)[3]!;
      await client.create(nodeManifest(w4));
      const hepOf = async (): Promise<string> => (await calicoctl(['get', 'hostendpoint', `--config=${cfg}`])).stdout;
      await until('the new host endpoint', async () => (await hepOf()).includes(`${w4.name}-worker-public`));
      const r = await calicoctl(['get', 'hostendpoint', `${w4.name}-worker-public`, '-o', 'yaml', `--config=${cfg}`]);
      expectGolden('hep-added-node.golden', mask(r.stdout, dir));
      await client.delete((await import('../../src/model/kinds.js')).kindFor('v1', 'Node')!, undefined, w4.name);
      await until('the endpoint to go', async () => !(await hepOf()).includes(`${w4.name}-worker-public`));
    } finally {
      await ds.close();
    }
  });

  test('provider-managed resources refuse edits and deletes without --force, saying what would break', async () => {
    const del = await calicoctl(['delete', 'globalnetworkpolicy', 'allow-icmp', `--config=${cfg}`]);
    const patch = await calicoctl(['patch', 'gnp', 'allow-bigfix-port', '-p', '{"spec":{"order":100}}', `--config=${cfg}`]);
    const label = await calicoctl(['label', 'hostendpoints', 'kube-dal10-crc21191ee3997497ca90c8173bbdaf560-w1.cloud.ibm-worker-public', 'x=y', `--config=${cfg}`]);
    expectGolden(
      'managed-refusals.golden',
      [del, patch, label].map((r) => `-- exit: ${r.code} --\n${r.stdout}-- stderr --\n${r.stderr}`).join('\n'),
    );
    assert.equal((await calicoctl(['get', 'gnp', 'allow-icmp', `--config=${cfg}`])).code, 0);
    // the operator's management CIDRs are editable without --force
    assert.equal((await calicoctl(['label', 'globalnetworkset', 'ibm-sys-mgmt', 'owner=ops', `--config=${cfg}`])).code, 0);
    const forced = await calicoctl(['delete', 'globalnetworkpolicy', 'allow-vrrp', '--force', `--config=${cfg}`]);
    assert.equal(forced.code, 0, forced.stderr);
  });

  test('packs: list, show with parameters, apply against the running cluster, and parameter errors', async () => {
    const list = await tabby(['pack', 'list']);
    expectGolden('pack-list.golden', list.stdout);
    const show = await tabby(['pack', 'show', 'nlb1-whitelist', '--set', 'lbIP=198.18.0.10', '--set', 'client=198.18.0.0/24']);
    expectGolden('pack-show-nlb1.golden', show.stdout);
    const bad = await tabby(['pack', 'apply', 'nlb2-whitelist', '--set', 'lbIP=300.1.1.1', '--data-dir', dir]);
    assert.equal(bad.code, 2);
    expectGolden('pack-apply-bad.golden', bad.stderr);
    for (const [pack, sets] of [
      ['deny-nodeports', []],
      ['nlb2-whitelist', ['--set', 'lbIP=198.18.0.10', '--set', 'client=198.18.0.0/24']],
      ['srv1', []],
      ['log-denied', []],
      ['ibm-private-isolation', []],
    ] as const) {
      const r = await tabby(['pack', 'apply', pack, ...sets, '--data-dir', dir]);
      assert.equal(r.code, 0, `${pack}: ${r.stderr}`);
    }
    await until('private host endpoints', async () => (await calicoctl(['get', 'hostendpoint', `--config=${cfg}`])).stdout.split('worker-private').length - 1 === 3);
    const gnps = await calicoctl(['get', 'GlobalNetworkPolicy', '-o', 'wide', `--config=${cfg}`]);
    expectGolden('packs-gnp-wide.golden', gnps.stdout);
    const heps = await calicoctl(['get', 'hostendpoint', '-o', 'wide', `--config=${cfg}`]);
    expectGolden('packs-hep-wide.golden', heps.stdout);
    // the seed's `calicoctl get policy -o yaml <name>`, on the policy the log-denied pack wrote
    const policy = await calicoctl(['get', 'policy', '-o', 'yaml', 'log-denied-packets', `--config=${cfg}`]);
    expectGolden('seed-get-policy-yaml-name.golden', mask(`$ calicoctl get policy -o yaml log-denied-packets\n-- exit: ${policy.code} --\n${policy.stdout}-- stderr --\n${policy.stderr}`, dir));
  });

  test('tabby down stops the other process and keeps the datastore; up again resumes it', async () => {
    const down = await tabby(['down', '--data-dir', dir]);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(await exited(up!.child, 30_000), 0);
    expectGolden('down.golden', mask(down.stdout, dir).replace(/pid \d+/, 'pid PID'));
    assert.ok(!existsSync(join(dir, 'tabby-up.json')));
    assert.ok(existsSync(join(dir, 'tabby.db')));
    up = await startUp(dir);
    assert.match(up.stdout, /profile ibm-classic: 1 object created, 12 already present and kept/); // allow-vrrp, force-deleted above, is back
    const r = await calicoctl(['get', 'hostendpoint', `--config=${cfg}`]);
    assert.equal(r.stdout.split('worker-private').length - 1, 3, r.stdout);
    const purge = await tabby(['down', '--data-dir', dir, '--purge']);
    assert.equal(purge.code, 0, purge.stderr);
    await exited(up.child, 30_000);
    assert.ok(!existsSync(join(dir, 'tabby.db')));
  });
});

/**
 * With the lab (root and the kernel tools only): `startCluster` with the lab adapter brings up
 * real workers, and R2 holds for real packets from the internet namespace to a worker's public
 * IP, and between pods and the dashboard. Uses src/lab directly until src/lab/index.ts wires
 * LAB_DRIVER in `tabby up`.
 */
describe('tabby up with the lab: R2 on real packets', async () => {
  const { labPrerequisites, labDriverFrom, startCluster } = await import('../../src/cli/commands/up.js');
  const skip = required(labPrerequisites(process.env));
  test('ICMP and 52311 reach a worker from the internet, other ports do not, except failsafe; the dashboard only from a labelled namespace', { skip, timeout: 120_000 }, async () => {
    const { Lab } = await import('../../src/lab/controller.js');
    let lab: Awaited<ReturnType<typeof Lab.up>> | undefined;
    const dir = await mkdtemp(join(tmpdir(), 'tabby-up-lab-'));
    const c = await startCluster({
      dataDir: dir,
      profile: profileNamed('ibm-classic')!,
      workers: 2,
      port: 0,
      host: '127.0.0.1',
      lab: true,
      labDriver: labDriverFrom({ Lab: { up: async (o) => (lab = await Lab.up(o)) } }),
      log: () => undefined,
    });
    try {
      assert.equal(c.noEnforcement, undefined);
      const client = new ResourceClient(c.datastore);
      await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ops', labels: { 'kubernetes-dashboard-policy': 'allow' } } });
      for (const ns of ['default', 'ops'])
        await client.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'client', namespace: ns, labels: { app: 'client' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
      await until('the client pods', async () => lab!.pod('default/client') !== undefined && lab!.pod('ops/client') !== undefined, 30_000);
      await lab!.settle();
      const pub = lab!.plan.workers[0]!.publicIp;
      const dash = lab!.pod('kube-system/kubernetes-dashboard-7b9c6d8f5-x2k4p')!.ip;
      const probe = (from: string, proto: 'icmp' | 'tcp', ip: string, port: number) => lab!.probe(from, proto, ip, port, 1000);
      assert.equal(await probe('internet', 'icmp', pub, 0), 'open');
      assert.equal(await probe('internet', 'tcp', pub, 52311), 'open');
      assert.equal(await probe('internet', 'tcp', pub, 10250), 'timeout');
      assert.notEqual(await probe('internet', 'tcp', pub, 22), 'timeout'); // failsafe
      assert.equal(await probe('default/client', 'tcp', dash, 8443), 'timeout');
      assert.equal(await probe('ops/client', 'tcp', dash, 8443), 'open');
    } finally {
      await c.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
