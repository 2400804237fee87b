/**
 * @module Start-up wall times a new user waits for (issue 13), with the built package (dist/, as
 * `npm start` and `npx` run it):
 *
 * - `tabby up --no-lab` on a fresh data directory until it prints `Stop with Ctrl-C` (CA and
 *   certificates, datastore, profile, host endpoints), and again on the same directory (resume);
 * - as root only, `tabby up` with the lab (network namespaces, agents) to the same line;
 * - against the running no-lab cluster: the first `npx calicoctl get gnp` with an empty npm cache
 *   (a fresh machine's npx cache: npm links this project into it and runs `prepare`), a second
 *   one, and `node dist/bin/calicoctl.js get gnp` without npx;
 * - one `npx tabby verdict` against the cluster (first call, empty npm cache) and one with node.
 *
 * "Cold" here means a fresh data directory, a fresh npx cache and a new process; the operating
 * system's file cache is not dropped (the machine is shared). Wall-clock, one run each: these
 * are waits, not throughputs. Every child is bounded and stopped; data directories are removed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  goal: string;
}

/** The package root (the directory whose package.json is tabby's). */
function _root(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(dir, 'package.json');
    if (existsSync(p) && (JSON.parse(readFileSync(p, 'utf8')) as { name?: string }).name === 'tabby') return dir;
    dir = dirname(dir);
  }
  throw new Error('package root not found');
}

const ROOT = _root();
const TABBY = join(ROOT, 'dist', 'bin', 'tabby.js');
const CALICOCTL = join(ROOT, 'dist', 'bin', 'calicoctl.js');
const NODE_NAME = 'kube-dal10-crc21191ee3997497ca90c8173bbdaf560-w1.cloud.ibm';

interface Run {
  code: number | null;
  out: string;
  ms: number;
}

function _run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 180_000): Promise<Run> {
  const t0 = performance.now();
  return new Promise((ok) => {
    const c = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => void (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => void (out += d.toString()));
    const timer = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
    c.on('exit', (code) => {
      clearTimeout(timer);
      ok({ code, out, ms: performance.now() - t0 });
    });
  });
}

/** Starts `tabby up`, resolving when it prints its ready line (bounded). */
function _up(args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ child: ChildProcess; ms: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [TABBY, 'up', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`tabby up not ready within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const seen = (d: Buffer): void => {
      out += d.toString();
      if (out.includes('Stop with Ctrl-C')) {
        clearTimeout(timer);
        ok({ child, ms: performance.now() - t0 });
      }
    };
    child.stdout!.on('data', seen);
    child.stderr!.on('data', (d: Buffer) => void (out += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`tabby up exited (${code}) before it was ready:\n${out}`));
    });
  });
}

async function _down(dir: string, env: NodeJS.ProcessEnv, child: ChildProcess | undefined): Promise<void> {
  await _run(process.execPath, [TABBY, 'down', '--data-dir', dir, '--purge'], env, 120_000);
  if (child !== undefined && child.exitCode === null) {
    const gone = new Promise<void>((ok) => child.once('exit', () => ok()));
    child.kill('SIGTERM');
    await Promise.race([gone, new Promise((ok) => setTimeout(ok, 20_000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

const sec = (ms: number): number => Math.round(ms) / 1000;

export async function run(): Promise<BenchResult[]> {
  if (!existsSync(TABBY) || !existsSync(CALICOCTL)) {
    console.log('startup bench skipped: dist/ is not built (npm run build)');
    return [];
  }
  const out: BenchResult[] = [];
  const base = await mkdtemp(join(tmpdir(), 'tabby-startup-'));
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: base, npm_config_update_notifier: 'false', npm_config_fund: 'false' };
  const dir = join(base, 'cluster');
  let child: ChildProcess | undefined;
  try {
    const first = await _up(['--data-dir', dir, '--port', '0', '--no-lab'], env, 120_000);
    child = first.child;
    out.push({ name: 'startup: tabby up --no-lab to ready, fresh data dir (wall)', value: sec(first.ms), unit: 's', goal: 'informational' });

    const withCluster = { ...env, TABBY_DATA_DIR: dir };
    const npx = async (cache: string, args: readonly string[]): Promise<Run> => _run('npx', ['--yes', ...args], { ...withCluster, npm_config_cache: cache });
    const freshCache = join(base, 'npm-cache');
    const c1 = await npx(freshCache, ['calicoctl', 'get', 'gnp']);
    if (c1.code !== 0 || !c1.out.includes('allow-icmp')) throw new Error(`npx calicoctl get gnp failed (${c1.code}):\n${c1.out}`);
    out.push({ name: 'startup: first npx calicoctl get gnp, empty npm cache (wall)', value: sec(c1.ms), unit: 's', goal: 'informational' });
    const c2 = await npx(freshCache, ['calicoctl', 'get', 'gnp']);
    out.push({ name: 'startup: second npx calicoctl get gnp (wall)', value: sec(c2.ms), unit: 's', goal: 'informational' });
    const c3 = await _run(process.execPath, [CALICOCTL, 'get', 'gnp'], withCluster);
    if (c3.code !== 0) throw new Error(`calicoctl get gnp failed (${c3.code}):\n${c3.out}`);
    out.push({ name: 'startup: node dist/bin/calicoctl.js get gnp (wall)', value: sec(c3.ms), unit: 's', goal: 'informational' });

    const flow = ['verdict', '--from', '203.0.113.9', '--to', `node:${NODE_NAME}`, '--port', '22'];
    const v1 = await npx(join(base, 'npm-cache-2'), ['tabby', ...flow]);
    const v2 = await _run(process.execPath, [TABBY, ...flow], withCluster);
    const verdicts = [
      { r: v1, name: 'startup: first npx tabby verdict against the cluster, empty npm cache (wall)' },
      { r: v2, name: 'startup: node dist/bin/tabby.js verdict against the cluster (wall)' },
    ];
    for (const { r, name } of verdicts) {
      // Only a command that answered is timed; a failure is said, not measured.
      if (/\b(Allow|Deny)\b/.test(r.out) && !/cannot read/.test(r.out)) out.push({ name, value: sec(r.ms), unit: 's', goal: 'informational' });
      else console.log(`startup bench: not measured, no verdict (exit ${r.code}): ${name}: ${r.out.trim().split('\n').slice(-2).join(' | ')}`);
    }

    // resume: stop (keeping the datastore) and start again on the same directory
    await _run(process.execPath, [TABBY, 'down', '--data-dir', dir], env, 120_000);
    await Promise.race([new Promise((ok) => child!.once('exit', ok)), new Promise((ok) => setTimeout(ok, 20_000))]);
    const again = await _up(['--data-dir', dir, '--port', '0', '--no-lab'], env, 120_000);
    child = again.child;
    out.push({ name: 'startup: tabby up --no-lab to ready, resuming its data dir (wall)', value: sec(again.ms), unit: 's', goal: 'informational' });
    await _down(dir, env, child);
    child = undefined;

    if (process.getuid?.() === 0) {
      const labDir = join(base, 'lab-cluster');
      let lab: ChildProcess | undefined;
      try {
        const l = await _up(['--data-dir', labDir, '--port', '0'], env, 300_000);
        lab = l.child;
        out.push({ name: 'startup: tabby up with the lab (root) to ready, fresh data dir (wall)', value: sec(l.ms), unit: 's', goal: 'informational' });
      } finally {
        await _down(labDir, env, lab);
      }
    } else {
      console.log('startup bench: not root, so tabby up with the lab is not measured');
    }
    return out;
  } finally {
    if (child !== undefined) await _down(dir, env, child);
    await rm(base, { recursive: true, force: true });
  }
}
