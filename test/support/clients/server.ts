/**
 * @module Test helper for the client-stack suites: runs the real `tabby server` executable
 * (bin/tabby.ts under tsx, a separate process) on 127.0.0.1 with a free port and a temporary
 * data directory, waits for its "listening on" line, and reads the kubeconfig and tokens it
 * wrote. `stop()` sends SIGTERM (SIGKILL after a bounded wait) and removes the directory.
 *
 * Invariants: every wait is bounded; the child gets a minimal environment (no KUBECONFIG or
 * calicoctl variables leak in from the caller), and a synchronous `exit` hook kills it if a test
 * run ends without calling stop() (or is interrupted by SIGINT/SIGTERM).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const BIN = join(ROOT, 'bin', 'tabby.ts');
/** tsx resolved from this repository, so the child runs from any working directory. */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export interface TabbyServer {
  /** `https://127.0.0.1:<port>` */
  readonly url: string;
  /** The temporary directory (the data dir is `<dir>/data`); removed by stop(). */
  readonly dir: string;
  readonly dataDir: string;
  readonly kubeconfigPath: string;
  /** A kubeconfig for the read-only token, written beside the admin one. */
  readonly readOnlyKubeconfigPath: string;
  readonly caPem: string;
  readonly adminToken: string;
  readonly readOnlyToken: string;
  /** Everything the server printed on stderr so far (for failure messages). */
  stderr(): string;
  stop(): Promise<void>;
}

const _live = new Set<ChildProcess>();
const _killAll = (): void => {
  for (const c of _live) c.kill('SIGKILL');
};
process.on('exit', _killAll);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    _killAll();
    process.kill(process.pid, sig);
  });
}

/** Starts `tabby server --data-dir <tmp>/data --port 0` and resolves once it listens (at most 60 s). */
export async function startTabbyServer(prefix = 'tabby-clients-'): Promise<TabbyServer> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const dataDir = join(dir, 'data');
  const child = spawn(process.execPath, ['--import', TSX, BIN, 'server', '--data-dir', dataDir, '--port', '0'], {
    cwd: dir,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  _live.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  const url = await new Promise<string | undefined>((ok) => {
    const deadline = Date.now() + 60_000;
    const tick = (): void => {
      const m = /listening on (https:\/\/\S+)/.exec(out);
      if (m) return ok(m[1]);
      if (child.exitCode !== null || Date.now() > deadline) return ok(undefined);
      setTimeout(tick, 25);
    };
    tick();
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    }
    _live.delete(child);
    await rm(dir, { recursive: true, force: true });
  };
  if (url === undefined) {
    await stop();
    throw new Error(`tabby server did not start within 60 s\nstdout: ${out}\nstderr: ${err}`);
  }
  const kubeconfigPath = join(dataDir, 'admin.kubeconfig');
  const kubeconfig = await readFile(kubeconfigPath, 'utf8');
  const tokens = JSON.parse(await readFile(join(dataDir, 'tokens'), 'utf8')) as { admin: string; readOnly: string };
  const caPem = await readFile(join(dataDir, 'pki', 'ca.crt'), 'utf8');
  const readOnlyKubeconfigPath = join(dir, 'read-only.kubeconfig');
  await writeFile(readOnlyKubeconfigPath, kubeconfig.replace(`token: ${tokens.admin}`, `token: ${tokens.readOnly}`), { mode: 0o600 });
  return {
    url,
    dir,
    dataDir,
    kubeconfigPath,
    readOnlyKubeconfigPath,
    caPem,
    adminToken: tokens.admin,
    readOnlyToken: tokens.readOnly,
    stderr: () => err,
    stop,
  };
}
