/**
 * The README's quick start, run as a new user would (issue 7): a fresh `git clone` of this
 * repository's HEAD, `npm ci` as a new unprivileged user with an empty home and npm cache, then
 * `npm start` as that user (the cluster comes up without enforcement and says why) and, in the
 * same clone with another empty home, as root (the lab comes up and the agents program the
 * defaults). Each time the real kubectl lists the default policies through the written
 * kubeconfig, and `npx tabby down` stops it; `--purge` as root removes the lab's namespaces.
 *
 * Root only (it switches to the system's `nobody` user with setpriv). It tests the committed
 * HEAD, not uncommitted changes. Every wait is bounded; the clone is removed afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { netnsSkipReason } from '../../src/sys/index.js';
import { required, toolMissing } from '../support/tools.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const NOBODY = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', '--'];

function _skip(): string | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'needs root (runs the quick start as a new unprivileged user, then as root)';
  if (!existsSync(join(ROOT, '.git'))) return 'not a git checkout';
  for (const tool of ['git', 'setpriv', 'kubectl', 'npm']) {
    const why = toolMissing(tool);
    if (why !== undefined) return why;
  }
  if (spawnSync('id', ['nobody']).status !== 0) return 'no `nobody` user';
  return undefined;
}
const skip = required(_skip());

interface Run {
  code: number | null;
  out: string;
}

/** Runs a command to completion (bounded), as `nobody` when asked. */
function run(argv: readonly string[], opts: { cwd: string; home: string; asNobody: boolean; timeoutMs: number; env?: Record<string, string> }): Run {
  const full = [...(opts.asNobody ? NOBODY : []), 'env', '-i', `PATH=${PATH}`, `HOME=${opts.home}`, ...Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`), ...argv];
  const r = spawnSync(full[0]!, full.slice(1), { cwd: opts.cwd, timeout: opts.timeoutMs, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** `npm start` in the background; resolves once it prints how to stop it (bounded). */
function start(cwd: string, home: string, asNobody: boolean, timeoutMs: number): Promise<{ child: ChildProcess; out: () => string }> {
  const full = [...(asNobody ? NOBODY : []), 'env', '-i', `PATH=${PATH}`, `HOME=${home}`, 'npm', 'start'];
  const child = spawn(full[0]!, full.slice(1), { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => void (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => void (out += d.toString()));
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`npm start did not come up within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const poll = setInterval(() => {
      if (out.includes('Stop with Ctrl-C')) {
        clearTimeout(timer);
        clearInterval(poll);
        ok({ child, out: () => out });
      }
    }, 100);
    child.on('exit', (code) => {
      clearTimeout(timer);
      clearInterval(poll);
      fail(new Error(`npm start exited (${code}) before it was up:\n${out}`));
    });
  });
}

function exited(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((ok, fail) => {
    const t = setTimeout(() => fail(new Error('npm start did not exit after tabby down')), ms);
    child.on('exit', () => (clearTimeout(t), ok()));
  });
}

const DEFAULTS = ['allow-all-outbound', 'allow-bigfix-port', 'allow-icmp', 'allow-node-port-dnat', 'allow-sys-mgmt', 'allow-vrrp'];

test('quick start: fresh clone, npm ci and npm start as a new user, then as root; kubectl sees the defaults; tabby down stops it', { skip, timeout: 1_200_000 }, async () => {
  const base = mkdtempSync('/tmp/tabby-quickstart-');
  const clone = join(base, 'tabby');
  const userHome = join(base, 'user-home');
  const rootHome = join(base, 'root-home');
  const children: ChildProcess[] = [];
  try {
    chmodSync(base, 0o755);
    mkdirSync(userHome);
    mkdirSync(rootHome);
    const cloned = spawnSync('git', ['clone', '--quiet', ROOT, clone], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(cloned.status, 0, `git clone failed: ${cloned.stderr}`);
    assert.equal(spawnSync('chown', ['-R', 'nobody:nogroup', clone, userHome]).status, 0, 'chown to nobody');

    // 1. The first command, as a new unprivileged user: npm ci (builds in `prepare`), npm start.
    const t0 = performance.now();
    const ci = run(['npm', 'ci', '--no-audit', '--no-fund'], { cwd: clone, home: userHome, asNobody: true, timeoutMs: 900_000 });
    assert.equal(ci.code, 0, `npm ci as a new user failed:\n${ci.out.slice(-4000)}`);
    console.log(`# npm ci as a new user (empty npm cache): ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    assert.ok(existsSync(join(clone, 'dist', 'bin', 'tabby.js')), 'npm ci built the CLI');
    // npx runs the project's bins as files: a reused npx cache does not chmod them for us
    for (const b of ['tabby.js', 'calicoctl.js']) assert.notEqual(statSync(join(clone, 'dist', 'bin', b)).mode & 0o111, 0, `dist/bin/${b} is executable`);

    const dataDir = (home: string): string => join(home, '.local', 'share', 'tabby');
    const user = await start(clone, userHome, true, 120_000);
    children.push(user.child);
    assert.match(user.out(), /enforcement: off: not running as root/, 'a non-root start says why nothing is enforced');
    const kubeconfig = join(dataDir(userHome), 'admin.kubeconfig');
    const gnp = run(['kubectl', 'get', 'globalnetworkpolicies.projectcalico.org', '-o', 'name'], {
      cwd: clone, home: userHome, asNobody: true, timeoutMs: 30_000, env: { KUBECONFIG: kubeconfig },
    });
    assert.equal(gnp.code, 0, gnp.out);
    for (const name of DEFAULTS) assert.ok(gnp.out.includes(`/${name}`), `kubectl lists ${name}:\n${gnp.out}`);
    // The banner's calicoctl line runs as printed (it once put --config before the command,
    // which calicoctl, like Calico's, refuses).
    const printed = /^\s+(npx calicoctl .*)$/m.exec(user.out())?.[1];
    assert.ok(printed !== undefined, `the banner prints a calicoctl command:\n${user.out()}`);
    const banner = run(printed.split(/\s+/), { cwd: clone, home: userHome, asNobody: true, timeoutMs: 60_000, env: { KUBECONFIG: kubeconfig } });
    assert.equal(banner.code, 0, `${printed}\n${banner.out}`);
    assert.match(banner.out, /^NAME/m, `${printed} lists the nodes:\n${banner.out}`);
    const down = run(['npx', 'tabby', 'down'], { cwd: clone, home: userHome, asNobody: true, timeoutMs: 60_000 });
    assert.equal(down.code, 0, down.out);
    await exited(user.child, 30_000);
    assert.ok(existsSync(join(dataDir(userHome), 'tabby.db')), 'down keeps the datastore');

    // 2. The same clone as root, with its own empty home: the lab comes up and enforces.
    const rootUp = await start(clone, rootHome, false, 180_000);
    children.push(rootUp.child);
    assert.match(rootUp.out(), /enforcement: on/, `as root the lab enforces:\n${rootUp.out()}`);
    assert.match(rootUp.out(), /agent \S+: programmed revision/, 'the agents programmed the datastore');
    const rootGnp = run(['kubectl', 'get', 'gnp', '-o', 'name'], {
      cwd: clone, home: rootHome, asNobody: false, timeoutMs: 30_000, env: { KUBECONFIG: join(dataDir(rootHome), 'admin.kubeconfig') },
    });
    assert.equal(rootGnp.code, 0, rootGnp.out);
    for (const name of DEFAULTS) assert.ok(rootGnp.out.includes(`/${name}`), `kubectl lists ${name} as root:\n${rootGnp.out}`);
    // The lab's namespaces, from its state, to check that none is left (whoever removes them:
    // the stopping tabby up, or tabby down after it).
    const labState = JSON.parse(readFileSync(join(dataDir(rootHome), 'lab', 'lab.json'), 'utf8')) as { namespaces: string[] };
    assert.ok(labState.namespaces.length >= 5, `the lab records its namespaces: ${labState.namespaces.join(', ')}`);
    const purge = run(['npx', 'tabby', 'down', '--purge'], { cwd: clone, home: rootHome, asNobody: false, timeoutMs: 120_000 });
    assert.equal(purge.code, 0, purge.out);
    await exited(rootUp.child, 60_000);
    const left = run(['ip', 'netns', 'list'], { cwd: clone, home: rootHome, asNobody: false, timeoutMs: 10_000 }).out.split('\n').map((l) => l.split(' ')[0]);
    for (const ns of labState.namespaces) assert.ok(!left.includes(ns), `tabby down --purge left ${ns}`);
    // tabby down claims to remove only what was still there.
    const claimed = /removed the lab: (.*)/.exec(purge.out)?.[1]?.split(', ') ?? [];
    for (const ns of claimed) assert.ok(labState.namespaces.includes(ns), `tabby down claims ${ns}, not the lab's`);
    assert.ok(!existsSync(join(dataDir(rootHome), 'tabby.db')), '--purge removes the datastore');
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    // Whatever a failed run left: stop it through the CLI (bounded), then remove the clone.
    if (existsSync(join(clone, 'dist', 'bin', 'tabby.js')))
      for (const home of [rootHome, userHome]) run([process.execPath, 'dist/bin/tabby.js', 'down', '--purge'], { cwd: clone, home, asNobody: false, timeoutMs: 60_000 });
    rmSync(base, { recursive: true, force: true });
  }
});

// The lab half needs network namespaces; say so when they are unusable rather than fail late.
test('quick start: the machine can run the lab half', { skip }, async () => {
  const why = await netnsSkipReason();
  assert.equal(why, undefined, `as root the quick start brings up the lab, but: ${why}`);
});
