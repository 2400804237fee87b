/**
 * @module A throwaway etcd cluster for the simulation (as test/support/etcd.ts starts one for
 * tests): `members` etcd processes on 127.0.0.1 with free client and peer ports and a temporary
 * data directory each, waited on until every member answers `/health`. `stop()` kills them and
 * removes the directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SimEtcd {
  readonly endpoints: readonly string[];
  readonly pids: readonly number[];
  stop(): Promise<void>;
}

function _freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export async function startEtcd(members: number, bin = 'etcd', timeoutMs = 30_000): Promise<SimEtcd> {
  const dir = await mkdtemp(join(tmpdir(), 'tabby-sim-etcd-'));
  const procs: ChildProcess[] = [];
  const kill = (): void => {
    for (const p of procs) p.kill('SIGKILL');
  };
  process.on('exit', kill);
  const stop = async (): Promise<void> => {
    await Promise.all(procs.map((p) => (p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise<void>((ok) => (p.once('exit', () => ok()), p.kill('SIGKILL'))))));
    process.off('exit', kill);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const plans: { name: string; client: number; peer: number }[] = [];
    for (let i = 0; i < members; i++) plans.push({ name: `m${i}`, client: await _freePort(), peer: await _freePort() });
    const token = `tabby-sim-${process.pid}-${Date.now()}`;
    const initial = plans.map((p) => `${p.name}=http://127.0.0.1:${p.peer}`).join(',');
    for (const p of plans) {
      const client = `http://127.0.0.1:${p.client}`;
      const peer = `http://127.0.0.1:${p.peer}`;
      const log = join(dir, `${p.name}.log`);
      const fd = openSync(log, 'a');
      const proc = spawn(
        bin,
        [
          '--name', p.name, '--data-dir', join(dir, p.name),
          '--listen-client-urls', client, '--advertise-client-urls', client,
          '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
          '--initial-cluster', initial, '--initial-cluster-state', 'new', '--initial-cluster-token', token,
          '--quota-backend-bytes', String(8 * 1024 ** 3), '--logger', 'zap', '--log-outputs', 'stderr', '--log-level', 'warn',
        ],
        { stdio: ['ignore', fd, fd] },
      );
      closeSync(fd);
      procs.push(proc);
      proc.once('error', () => undefined);
      (proc as ChildProcess & { logFile?: string }).logFile = log;
    }
    const deadline = Date.now() + timeoutMs;
    for (const [i, p] of plans.entries()) {
      for (;;) {
        const proc = procs[i]!;
        if (proc.exitCode !== null) throw new Error(`etcd member ${p.name} exited: ${readFileSync(join(dir, `${p.name}.log`), 'utf8').slice(-2000)}`);
        try {
          const r = await fetch(`http://127.0.0.1:${p.client}/health`, { signal: AbortSignal.timeout(1000) });
          if ((await r.text()).includes('"health":"true"')) break;
        } catch {
          // not up yet
        }
        if (Date.now() > deadline) throw new Error(`etcd member ${p.name} not healthy within ${timeoutMs} ms: ${readFileSync(join(dir, `${p.name}.log`), 'utf8').slice(-1500)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    return { endpoints: plans.map((p) => `http://127.0.0.1:${p.client}`), pids: procs.map((p) => p.pid ?? 0), stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
