/**
 * @module Test helper: starts real `etcd` servers (Debian's etcd-server, `etcd` on PATH) on free
 * loopback ports, as one member or a 3-member cluster, optionally with TLS client-certificate
 * auth (certificates made in-process by src/apiserver/pki.ts in a temp dir), and stops them again.
 *
 * Invariants: every process started here is killed by `stop()`, and — as a last resort if a
 * test forgets or the runner exits early — by a synchronous `process.on('exit')` hook. Every
 * wait is bounded. Data lives in a temp dir that `stop()` removes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findOnPath } from '../../src/sys/index.js';
import { createCa } from '../../src/apiserver/pki.js';

/** The etcd binary: TABBY_ETCD_BIN, else `etcd` on PATH (Debian's etcd-server); '' when neither. */
export const ETCD_BIN = process.env['TABBY_ETCD_BIN'] ?? findOnPath('etcd') ?? '';

/**
 * Why etcd tests cannot run here, or undefined when they can. Tests pass it through
 * `required` (./tools.ts), which makes it a failure under CI=true.
 */
export function etcdSkipReason(): string | undefined {
  if (ETCD_BIN === '') return 'etcd is not on PATH (Debian package etcd-server)';
  return existsSync(ETCD_BIN) ? undefined : `etcd is not installed (TABBY_ETCD_BIN=${ETCD_BIN} is missing)`;
}

export interface TlsFiles {
  readonly caFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
}

export interface EtcdMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  /** True until the process has exited. */
  readonly running: boolean;
  /** Sends the signal (SIGKILL by default) and waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface EtcdCluster {
  readonly endpoints: readonly string[];
  readonly members: readonly EtcdMember[];
  readonly tls?: TlsFiles;
  /** Kills every member and removes the data dir; safe to call twice. */
  stop(): Promise<void>;
}

export interface StartEtcdOptions {
  readonly members?: 1 | 3;
  readonly tls?: boolean;
  /** Bound on waiting for the cluster to become healthy. */
  readonly timeoutMs?: number;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function killAll(): void {
  for (const p of live) {
    try {
      p.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', killAll);
  // The test runner stops a timed-out file with a signal: kill etcd, then die of that signal.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAll();
      process.kill(process.pid, sig);
    });
  }
}

/** Reserves `n` distinct free loopback ports (all held open at once, then released). */
export async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < n; i++) {
      const s = createServer();
      servers.push(s);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => resolve());
      });
      const addr = s.address();
      if (addr === null || typeof addr === 'string') throw new Error('no port');
      ports.push(addr.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** Makes a CA, a server certificate for 127.0.0.1/localhost and a client certificate (in-process, no `openssl`). */
export async function makeTlsFiles(dir: string): Promise<TlsFiles> {
  const f = (name: string): string => join(dir, name);
  const ca = await createCa('tabby-test-ca', 2);
  const server = await ca.issue({ commonName: 'etcd-server', sans: ['IP:127.0.0.1', 'DNS:localhost'], serverAuth: true, clientAuth: true, days: 2 });
  const client = await ca.issue({ commonName: 'tabby-client', clientAuth: true, days: 2 });
  writeFileSync(f('ca.crt'), ca.certPem);
  writeFileSync(f('server.crt'), server.certPem);
  writeFileSync(f('server.key'), server.keyPem, { mode: 0o600 });
  writeFileSync(f('client.crt'), client.certPem);
  writeFileSync(f('client.key'), client.keyPem, { mode: 0o600 });
  return {
    caFile: f('ca.crt'),
    serverCertFile: f('server.crt'),
    serverKeyFile: f('server.key'),
    clientCertFile: f('client.crt'),
    clientKeyFile: f('client.key'),
  };
}

interface MemberPlan {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
}

class Member implements EtcdMember {
  readonly clientUrl: string;
  readonly peerUrl: string;
  private readonly exited: Promise<void>;
  private exitedFlag = false;

  constructor(
    readonly name: string,
    private readonly proc: ChildProcess,
    scheme: string,
    plan: MemberPlan,
    readonly logFile: string,
  ) {
    this.clientUrl = `${scheme}://127.0.0.1:${plan.clientPort}`;
    this.peerUrl = `http://127.0.0.1:${plan.peerPort}`;
    this.exited = new Promise<void>((resolve) => {
      proc.once('exit', () => {
        this.exitedFlag = true;
        live.delete(proc);
        resolve();
      });
    });
  }

  get running(): boolean {
    return !this.exitedFlag;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.exitedFlag) return;
    this.proc.kill(signal);
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, 5_000).unref());
    await Promise.race([this.exited, timeout]);
    if (!this.exitedFlag) {
      this.proc.kill('SIGKILL');
      await this.exited;
    }
  }

  logTail(): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-15).join('\n');
    } catch {
      return '';
    }
  }
}

/** Starts an etcd cluster and waits until every member reports healthy. */
export async function startEtcd(opts: StartEtcdOptions = {}): Promise<EtcdCluster> {
  const reason = etcdSkipReason();
  if (reason !== undefined) throw new Error(reason);
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), 'tabby-etcd-'));
  const n = opts.members ?? 1;
  const members: Member[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all(members.map((m) => m.kill('SIGKILL')));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const tls = opts.tls === true ? await makeTlsFiles(dir) : undefined;
    const scheme = tls ? 'https' : 'http';
    const ports = await freePorts(2 * n);
    const plans: MemberPlan[] = [];
    for (let i = 0; i < n; i++) plans.push({ name: `m${i}`, clientPort: ports[2 * i]!, peerPort: ports[2 * i + 1]! });
    const initialCluster = plans.map((p) => `${p.name}=http://127.0.0.1:${p.peerPort}`).join(',');
    const token = `tabby-${process.pid}-${Date.now()}`;
    for (const p of plans) {
      const clientUrl = `${scheme}://127.0.0.1:${p.clientPort}`;
      const peerUrl = `http://127.0.0.1:${p.peerPort}`;
      const args = [
        '--name', p.name,
        '--data-dir', join(dir, p.name),
        '--listen-client-urls', clientUrl,
        '--advertise-client-urls', clientUrl,
        '--listen-peer-urls', peerUrl,
        '--initial-advertise-peer-urls', peerUrl,
        '--initial-cluster', initialCluster,
        '--initial-cluster-state', 'new',
        '--initial-cluster-token', token,
        '--heartbeat-interval', '50',
        '--election-timeout', '500',
        '--logger', 'zap',
        '--log-outputs', 'stderr',
        '--log-level', 'warn',
      ];
      if (tls) {
        args.push(
          '--cert-file', tls.serverCertFile,
          '--key-file', tls.serverKeyFile,
          '--trusted-ca-file', tls.caFile,
          '--client-cert-auth',
        );
      }
      const logFile = join(dir, `${p.name}.log`);
      const fd = openSync(logFile, 'a');
      const proc = spawn(ETCD_BIN, args, { stdio: ['ignore', fd, fd] });
      closeSync(fd);
      live.add(proc);
      members.push(new Member(p.name, proc, scheme, p, logFile));
    }
    const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
    await Promise.all(members.map((m) => waitHealthy(m, tls, deadline)));
    const cluster: EtcdCluster = {
      endpoints: members.map((m) => m.clientUrl),
      members,
      stop,
      ...(tls ? { tls } : {}),
    };
    return cluster;
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * The member that currently leads the raft group (asked over etcd's JSON gateway, plain-HTTP
 * clusters only). Polls until a leader is known, bounded by `timeoutMs`.
 */
export async function findLeader(cluster: EtcdCluster, timeoutMs = 10_000): Promise<EtcdMember> {
  const endAt = Date.now() + timeoutMs;
  while (Date.now() < endAt) {
    for (const m of cluster.members) {
      if (!m.running) continue;
      try {
        const res = await fetch(`${m.clientUrl}/v3/maintenance/status`, {
          method: 'POST',
          body: '{}',
          signal: AbortSignal.timeout(1_000),
        });
        const body = (await res.json()) as { header?: { member_id?: string }; leader?: string };
        if (body.leader !== undefined && body.leader === body.header?.member_id) return m;
      } catch {
        // not answering: try the next member
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('no etcd leader found in time');
}

async function waitHealthy(m: Member, tls: TlsFiles | undefined, deadline: number): Promise<void> {
  let last = '';
  while (Date.now() < deadline) {
    if (!m.running) throw new Error(`etcd member ${m.name} exited during start:\n${m.logTail()}`);
    try {
      const body = await getHealth(`${m.clientUrl}/health`, tls);
      if (body.includes('"health":"true"')) return;
      last = body;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`etcd member ${m.name} not healthy in time (${last}):\n${m.logTail()}`);
}

async function getHealth(url: string, tls: TlsFiles | undefined): Promise<string> {
  if (!tls) {
    const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    return res.text();
  }
  return new Promise<string>((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        ca: readFileSync(tls.caFile),
        cert: readFileSync(tls.clientCertFile),
        key: readFileSync(tls.clientKeyFile),
        timeout: 1_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(body));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
