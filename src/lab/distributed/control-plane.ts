/**
 * @module Bringing up and tearing down the distributed lab's processes (see index.ts for the
 * shape): certificates, etcd members, API servers, the admin relay, bootstrap tokens and the
 * workers' agents, each started as a member (members.ts) in its own namespace.
 *
 * What each member gets is what an operator would put on that machine, in the member's own
 * directory `<stateDir>/members/<name>/`:
 * - etcd-N: the etcd CA, its own server+peer certificate (SAN: its lab address) and its data dir;
 * - apiserver-1: the etcd CA and its own etcd client certificate; its cluster CA, serving
 *   certificate and admin token are made by `tabby server` at its first start;
 * - apiserver-2…: the same etcd files (its own client certificate), plus apiserver-1's
 *   `pki/ca.crt`, `pki/ca.key` and `tokens`, copied before its first start (kubeadm's
 *   "copy the control-plane certificates"), so every server has the same CA and admin token;
 * - agent-<node>: nothing but a token and the CA hash on its command line (`tabby token create`
 *   run on apiserver-1, in its namespace, against the etcd cluster).
 */
import { request } from 'node:https';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNodeStatus } from '../../agent/status.js';
import { engineResourceTypes } from '../../agent/syncer.js';
import type { Datastore } from '../../datastore/index.js';
import { openKubeDatastore } from '../../datastore/kube/index.js';
import { nodeRunner, type CommandRunner } from '../../sys/index.js';
import type { HostPlan, LabPlan, WorkerPlan } from '../topology.js';
import { isMemberProcess, procStat, readMembers, setSpawned, signalMember, spawnMember, withMembers, writeMembers, type MemberList, type MemberRecord } from './members.js';
import { HostForwarder, relayArgs, type RelayRoute } from './relay.js';
import { StatusWritingDatastore } from './status-writes.js';

export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;
export const APISERVER_PORT = 6443;

/** What an in-process CA must do (apiserver/pki.ts's createCa gives one; the lab does not import it). */
export interface LabCa {
  readonly certPem: string;
  readonly keyPem: string;
  issue(spec: { commonName: string; sans?: readonly string[]; serverAuth?: boolean; clientAuth?: boolean; days: number }): Promise<{ certPem: string; keyPem: string }>;
}

export interface ControlPlaneOptions {
  readonly stateDir: string;
  readonly plan: LabPlan;
  /** The command that runs Tabby's CLI (`node [--import tsx] bin/tabby.ts`, or dist's). */
  readonly tabbyArgv: readonly string[];
  /** Makes a new CA (for etcd's certificates). */
  readonly newCa: (commonName: string) => Promise<LabCa>;
  readonly etcdBin?: string;
  readonly dataplane?: 'iptables' | 'nft';
  readonly nflogGroup?: number;
  readonly runner?: CommandRunner;
  readonly log: (line: string) => void;
}

/** What the lab state records about the control plane (LabState.distributed). */
export interface DistributedState {
  /** `<stateDir>/members.json`: the member list (MemberList). */
  readonly membersFile: string;
  /** The admin kubeconfig for the host: https://127.0.0.1:<hostPort> → relay → API servers. */
  readonly kubeconfig: string;
  readonly hostPort: number;
  /** The API servers' lab URLs, in failover order. */
  readonly apiservers: readonly string[];
  readonly etcdEndpoints: readonly string[];
  /** The cluster CA's hash, for `tabby agent --ca-cert-hash`. */
  readonly caCertHash?: string;
  /** Where the relay's unix sockets are. */
  readonly socketDir: string;
}

/** A worker's agent as the lab's settle() sees it: programmed revisions read from its Node status. */
export interface RemoteAgent {
  readonly node: string;
  whenProgrammed(revision: string, timeoutMs?: number): Promise<void>;
}

const _sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** `<stateDir>/members/<name>` */
export const memberDir = (stateDir: string, name: string): string => join(stateDir, 'members', name);

/** The relay's socket directory: short (unix socket paths are limited to 107 bytes), unique per lab. */
export const socketDirOf = (prefix: string): string => join('/tmp', `tabby-lab-${prefix}`);

function _nsExec(netns: string, argv: readonly string[]): string[] {
  return ['ip', 'netns', 'exec', netns, ...argv];
}

/** GET https `path` through a unix socket, TLS checked against `ip`; the status code (0: no answer). */
function _get(socket: string, ip: string, path: string, tls: { ca: string; cert?: string; key?: string }, timeoutMs: number): Promise<{ code: number; body: string }> {
  return new Promise((ok) => {
    const req = request(
      {
        socketPath: socket,
        path,
        method: 'GET',
        ca: tls.ca,
        ...(tls.cert === undefined ? {} : { cert: tls.cert, key: tls.key }),
        headers: { host: ip },
        checkServerIdentity: (_h: string, cert: PeerCertificate) => checkServerIdentity(ip, cert),
        timeout: timeoutMs,
        agent: false,
      },
      (res) => {
        let body = '';
        res.on('data', (b: Buffer) => (body += b.toString('utf8')));
        res.on('end', () => ok({ code: res.statusCode ?? 0, body }));
        res.on('error', () => ok({ code: 0, body }));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => ok({ code: 0, body: '' }));
    req.end();
  });
}

export class ControlPlane {
  private _forwarder: HostForwarder | undefined;
  private _ds: Datastore | undefined;
  private _caHash: string | undefined;
  private readonly _runner: CommandRunner;

  constructor(private readonly o: ControlPlaneOptions) {
    this._runner = o.runner ?? nodeRunner;
  }

  private get cp(): NonNullable<LabPlan['controlPlane']> {
    const cp = this.o.plan.controlPlane;
    if (cp === undefined) throw new Error('lab: the plan has no control plane');
    return cp;
  }

  get socketDir(): string {
    return socketDirOf(this.o.plan.prefix);
  }

  get datastore(): Datastore {
    if (this._ds === undefined) throw new Error('lab: the control plane is not up');
    return this._ds;
  }

  apiUrls(): string[] {
    return this.cp.apiservers.map((a) => `https://${a.ip}:${APISERVER_PORT}`);
  }

  etcdEndpoints(): string[] {
    return this.cp.etcd.map((e) => `https://${e.ip}:${ETCD_CLIENT_PORT}`);
  }

  state(): DistributedState {
    return {
      membersFile: join(this.o.stateDir, 'members.json'),
      kubeconfig: join(this.o.stateDir, 'admin.kubeconfig'),
      hostPort: this._forwarder?.port ?? 0,
      apiservers: this.apiUrls(),
      etcdEndpoints: this.etcdEndpoints(),
      ...(this._caHash === undefined ? {} : { caCertHash: this._caHash }),
      socketDir: this.socketDir,
    };
  }

  /** Starts etcd, the API servers and the relay; opens the datastore through the host port. */
  async start(): Promise<void> {
    const { stateDir, plan, log } = this.o;
    const cp = this.cp;
    mkdirSync(this.socketDir, { recursive: true, mode: 0o700 });
    const members: MemberRecord[] = [];
    // --- certificates (etcd CA; a server+peer certificate per member, a client one per API server)
    const etcdCa = await this.o.newCa(`${plan.prefix}-etcd-ca`);
    const initialCluster = cp.etcd.map((e) => `${e.name}=https://${e.ip}:${ETCD_PEER_PORT}`).join(',');
    for (const e of cp.etcd) {
      const dir = memberDir(stateDir, e.name);
      mkdirSync(join(dir, 'pki'), { recursive: true, mode: 0o700 });
      const c = await etcdCa.issue({ commonName: e.name, sans: [`IP:${e.ip}`], serverAuth: true, clientAuth: true, days: 30 });
      writeFileSync(join(dir, 'pki', 'ca.crt'), etcdCa.certPem);
      writeFileSync(join(dir, 'pki', 'server.crt'), c.certPem);
      writeFileSync(join(dir, 'pki', 'server.key'), c.keyPem, { mode: 0o600 });
      const client = `https://${e.ip}:${ETCD_CLIENT_PORT}`;
      const peer = `https://${e.ip}:${ETCD_PEER_PORT}`;
      const p = (f: string): string => join(dir, 'pki', f);
      members.push({
        name: e.name,
        role: 'etcd',
        netns: e.netns,
        argv: _nsExec(e.netns, [
          this.o.etcdBin ?? 'etcd',
          '--name', e.name,
          '--data-dir', join(dir, 'data'),
          '--listen-client-urls', client,
          '--advertise-client-urls', client,
          '--listen-peer-urls', peer,
          '--initial-advertise-peer-urls', peer,
          '--initial-cluster', initialCluster,
          '--initial-cluster-state', 'new',
          '--initial-cluster-token', `${plan.prefix}-etcd`,
          '--cert-file', p('server.crt'), '--key-file', p('server.key'), '--trusted-ca-file', p('ca.crt'), '--client-cert-auth',
          '--peer-cert-file', p('server.crt'), '--peer-key-file', p('server.key'), '--peer-trusted-ca-file', p('ca.crt'), '--peer-client-cert-auth',
          '--logger', 'zap', '--log-outputs', 'stderr', '--log-level', 'warn',
        ]),
        env: { PATH, HOME: dir },
        cwd: dir,
        address: e.ip,
        url: client,
        peerUrl: peer,
        logFile: join(stateDir, `${e.name}.log`),
        dir,
      });
    }
    const etcdEndpoints = this.etcdEndpoints().join(',');
    for (const a of cp.apiservers) {
      const dir = memberDir(stateDir, a.name);
      mkdirSync(join(dir, 'etcd'), { recursive: true, mode: 0o700 });
      const c = await etcdCa.issue({ commonName: `${a.name}-etcd-client`, clientAuth: true, days: 30 });
      writeFileSync(join(dir, 'etcd', 'ca.crt'), etcdCa.certPem);
      writeFileSync(join(dir, 'etcd', 'client.crt'), c.certPem);
      writeFileSync(join(dir, 'etcd', 'client.key'), c.keyPem, { mode: 0o600 });
      members.push({
        name: a.name,
        role: 'apiserver',
        netns: a.netns,
        argv: _nsExec(a.netns, [...this.o.tabbyArgv, 'server', ...this._serverArgs(a, dir, etcdEndpoints)]),
        env: { PATH, HOME: dir },
        cwd: dir,
        address: a.ip,
        url: `https://${a.ip}:${APISERVER_PORT}`,
        logFile: join(stateDir, `${a.name}.log`),
        dir,
      });
    }
    const routes: RelayRoute[] = [
      { socket: join(this.socketDir, 'api.sock'), targets: cp.apiservers.map((a) => ({ host: a.ip, port: APISERVER_PORT })) },
      ...cp.apiservers.map((a) => ({ socket: join(this.socketDir, `${a.name}.sock`), targets: [{ host: a.ip, port: APISERVER_PORT }] })),
      ...cp.etcd.map((e) => ({ socket: join(this.socketDir, `${e.name}.sock`), targets: [{ host: e.ip, port: ETCD_CLIENT_PORT }] })),
    ];
    const relayDir = memberDir(stateDir, 'relay');
    mkdirSync(relayDir, { recursive: true, mode: 0o700 });
    members.push({
      name: 'relay',
      role: 'relay',
      netns: cp.admin.netns,
      argv: _nsExec(cp.admin.netns, [process.execPath, ...relayArgs(routes)]),
      env: { PATH, HOME: relayDir },
      cwd: relayDir,
      address: cp.admin.ip,
      url: `unix:${join(this.socketDir, 'api.sock')}`,
      logFile: join(stateDir, 'relay.log'),
      dir: relayDir,
    });
    writeMembers(stateDir, { version: 1, prefix: plan.prefix, members });

    // --- etcd: every member started, then the cluster healthy (each member asked through the relay)
    for (const m of members.filter((x) => x.role === 'etcd' || x.role === 'relay')) await this._start(m.name);
    const a1 = cp.apiservers[0]!;
    const a1dir = memberDir(stateDir, a1.name);
    const etcdTls = { ca: etcdCa.certPem, cert: readFileSync(join(a1dir, 'etcd', 'client.crt'), 'utf8'), key: readFileSync(join(a1dir, 'etcd', 'client.key'), 'utf8') };
    await this._until('the relay to listen', 15_000, () => Promise.resolve(routes.every((r) => existsSync(r.socket))));
    await this._until('every etcd member to be healthy', 60_000, async () => {
      const rs = await Promise.all(cp.etcd.map((e) => _get(join(this.socketDir, `${e.name}.sock`), e.ip, '/health', etcdTls, 3_000)));
      return rs.every((r) => r.code === 200 && /"health":\s*"true"/.test(r.body));
    });
    log(`lab: etcd cluster of ${cp.etcd.length} healthy (${etcdEndpoints})`);

    // --- API servers: the first makes the cluster CA and admin token; the others get copies
    await this._start(a1.name);
    await this._until(`${a1.name} to make its CA`, 60_000, () => Promise.resolve(existsSync(join(a1dir, 'admin.kubeconfig'))));
    for (const a of cp.apiservers.slice(1)) {
      const dir = memberDir(stateDir, a.name);
      mkdirSync(join(dir, 'pki'), { recursive: true, mode: 0o700 });
      copyFileSync(join(a1dir, 'pki', 'ca.crt'), join(dir, 'pki', 'ca.crt'));
      copyFileSync(join(a1dir, 'pki', 'ca.key'), join(dir, 'pki', 'ca.key'));
      copyFileSync(join(a1dir, 'tokens'), join(dir, 'tokens'));
      await this._start(a.name);
    }
    const caPem = readFileSync(join(a1dir, 'pki', 'ca.crt'), 'utf8');
    await this._until('every API server to be ready', 90_000, async () => {
      const rs = await Promise.all(cp.apiservers.map((a) => _get(join(this.socketDir, `${a.name}.sock`), a.ip, '/readyz', { ca: caPem }, 3_000)));
      return rs.every((r) => r.code === 200);
    });
    log(`lab: API servers ready: ${this.apiUrls().join(', ')}`);

    // --- the host's way in: 127.0.0.1:<port> → relay → API servers; the admin kubeconfig names it
    this._forwarder = await HostForwarder.start(join(this.socketDir, 'api.sock'));
    const admin = readFileSync(join(a1dir, 'admin.kubeconfig'), 'utf8');
    const token = /^\s*token: (\S+)$/m.exec(admin)?.[1];
    if (token === undefined) throw new Error(`lab: no admin token in ${join(a1dir, 'admin.kubeconfig')}`);
    const server = `https://127.0.0.1:${this._forwarder.port}`;
    writeFileSync(join(stateDir, 'admin.kubeconfig'), admin.replace(/^(\s*server: )\S+$/m, `$1${server}`), { mode: 0o600 });
    this._ds = new StatusWritingDatastore(await openKubeDatastore({ server, token, caPem, timeoutMs: 15_000 }));
  }

  private _serverArgs(a: HostPlan, dir: string, etcdEndpoints: string): string[] {
    return [
      '--data-dir', dir,
      '--bind', a.ip,
      '--advertise-address', a.ip,
      '--port', String(APISERVER_PORT),
      '--etcd-endpoints', etcdEndpoints,
      '--etcd-cafile', join(dir, 'etcd', 'ca.crt'),
      '--etcd-certfile', join(dir, 'etcd', 'client.crt'),
      '--etcd-keyfile', join(dir, 'etcd', 'client.key'),
    ];
  }

  private async _start(name: string): Promise<void> {
    await withMembers(this.o.stateDir, (list: MemberList) => {
      const spawned = spawnMember(list.members.find((m) => m.name === name)!);
      this.o.log(`lab: started ${name} (pid ${spawned.pid})`);
      return { list: setSpawned(list, name, spawned), result: undefined };
    });
  }

  private async _until(what: string, ms: number, ok: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      if (await ok()) return;
      const dead = (readMembers(this.o.stateDir)?.members ?? []).filter((m) => m.pid !== undefined && !isMemberProcess(m, m.pid));
      if (dead.length > 0) throw new Error(`lab: waiting for ${what}: ${dead.map((m) => `${m.name} exited (see ${m.logFile}): ${_tail(m.logFile)}`).join('; ')}`);
      if (Date.now() > deadline) throw new Error(`lab: waiting for ${what}: not within ${Math.round(ms / 1000)} s`);
      await _sleep(200);
    }
  }

  /**
   * Joins worker W: a bootstrap token made on apiserver-1 (`tabby token create`, in its
   * namespace), then `tabby agent --server <every API server> --token … --ca-cert-hash …` in the
   * worker's namespace. Resolves once the agent runs (not yet programmed: see RemoteAgent).
   */
  async startAgent(w: WorkerPlan): Promise<RemoteAgent> {
    const { stateDir } = this.o;
    const a1 = this.cp.apiservers[0]!;
    const a1dir = memberDir(stateDir, a1.name);
    const r = await this._runner.run({
      argv: ['env', '-i', `PATH=${PATH}`, `HOME=${a1dir}`, ..._nsExec(a1.netns, [...this.o.tabbyArgv, 'token', 'create', '--node', w.name, '--ttl', '1h', '--description', `lab worker ${w.name}`, '--data-dir', a1dir, ...this._serverArgs(a1, a1dir, this.etcdEndpoints().join(',')).slice(8)])],
      timeoutMs: 60_000,
    });
    const token = /^token: (\S+)$/m.exec(r.stdout)?.[1];
    const hash = /^ca-cert-hash: (sha256:[0-9a-f]{64})$/m.exec(r.stdout)?.[1];
    if (r.code !== 0 || token === undefined || hash === undefined) throw new Error(`lab: tabby token create --node ${w.name} failed (${r.code}): ${r.stderr.trim()}`);
    this._caHash = hash;
    const name = `agent-${w.name}`;
    const dir = memberDir(stateDir, name);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const servers = this.apiUrls().join(',');
    const m: MemberRecord = {
      name,
      role: 'agent',
      node: w.name,
      netns: w.netns,
      argv: _nsExec(w.netns, [
        ...this.o.tabbyArgv, 'agent',
        '--node', w.name,
        '--server', servers,
        '--token', token,
        '--ca-cert-hash', hash,
        '--state-dir', join(dir, 'state'),
        '--min-apply-interval', '20',
        '--dataplane', this.o.dataplane ?? 'iptables',
        ...(this.o.nflogGroup === undefined ? [] : ['--nflog-group', String(this.o.nflogGroup)]),
      ]),
      env: { PATH, HOME: dir },
      cwd: dir,
      address: w.privateIp,
      url: servers,
      logFile: join(stateDir, `${name}.log`),
      dir,
    };
    await withMembers(stateDir, (list) => ({ list: { ...list, members: [...list.members.filter((x) => x.name !== name), m] }, result: undefined }));
    await this._start(name);
    // A second less than the caller's bound, so the caller sees this agent's own report (its
    // last revision and log) rather than its own timeout.
    return { node: w.name, whenProgrammed: (rev, t) => this.whenProgrammed(w.name, rev, t === undefined ? undefined : Math.max(1, t - 1_000)) };
  }

  /** Resolves once NODE's agent reports (on its Node) a programmed revision ≥ REVISION; bounded. */
  async whenProgrammed(node: string, revision: string, timeoutMs = 60_000): Promise<void> {
    const want = BigInt(revision);
    const deadline = Date.now() + timeoutMs;
    let last = '-';
    for (;;) {
      try {
        const s = await readNodeStatus(this.datastore, node);
        if (s !== undefined) {
          last = s.revision;
          if (BigInt(s.revision) >= want) return;
        }
      } catch (e) {
        last = e instanceof Error ? e.message : String(e);
      }
      if (Date.now() > deadline) {
        const m = readMembers(this.o.stateDir)?.members.find((x) => x.name === `agent-${node}`);
        const what = await this._writtenAt(revision).catch((e: unknown) => `(not found: ${e instanceof Error ? e.message : String(e)})`);
        throw new Error(`agent ${node}: revision ${revision} (${what}) not programmed within ${timeoutMs} ms (last reported ${last}${m === undefined ? '' : `; log ${m.logFile}: ${_tail(m.logFile)}`})`);
      }
      await _sleep(50);
    }
  }

  /** What holds REVISION now, for a report: `<plural>.<group> <ns>/<name>`, or that nothing does. */
  private async _writtenAt(revision: string): Promise<string> {
    const types = [...engineResourceTypes(), { group: '', plural: 'services' }, { group: '', plural: 'events' }];
    for (const t of types) {
      const { items } = await this.datastore.list(t);
      const o = items.find((x) => x.metadata.resourceVersion === revision);
      if (o !== undefined) return `${t.plural}${t.group === '' ? '' : `.${t.group}`} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name ?? ''}`;
    }
    return 'no object holds it now: overwritten or deleted since';
  }

  /** Stops the host port and the datastore (the members: stopMembers). */
  async close(): Promise<void> {
    await this._ds?.close().catch(() => undefined);
    this._ds = undefined;
    await this._forwarder?.close();
    this._forwarder = undefined;
  }
}

function _tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-3).join(' | ').slice(-600);
  } catch {
    return '(no log)';
  }
}

/**
 * Kills every member of the lab in STATEDIR that still runs (SIGKILL, bounded wait) and removes
 * their directories (etcd data, certificates, agent state), the relay's sockets and, when all
 * went, the member list itself. Then checks that nothing is left in the control plane's
 * namespaces (etcd, API servers, relay: only members run there): a process found there is
 * killed too and reported as an error. Works from the files alone (another process, or after
 * the lab's daemon died). Returns the errors.
 */
export async function stopMembers(stateDir: string): Promise<string[]> {
  const list = readMembers(stateDir);
  const errors: string[] = [];
  if (list === undefined) return errors;
  const running = list.members.filter((m) => m.pid !== undefined && isMemberProcess(m, m.pid));
  for (const m of running) {
    try {
      signalMember(m.pid!, 'SIGKILL');
    } catch (e) {
      errors.push(`kill ${m.name} (pid ${m.pid}): ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const deadline = Date.now() + 10_000;
  while (running.some((m) => isMemberProcess(m, m.pid!)) && Date.now() < deadline) await _sleep(50);
  for (const m of running) if (isMemberProcess(m, m.pid!)) errors.push(`${m.name} (pid ${m.pid}) did not exit`);
  const cpNetns = [...new Set(list.members.filter((m) => m.role !== 'agent').map((m) => m.netns))];
  // (a process killed with its member's group may take a moment to be gone)
  for (let i = 0; i < 40 && pidsInNetns(cpNetns).length > 0; i++) await _sleep(50);
  for (const { pid, netns } of pidsInNetns(cpNetns)) {
    errors.push(`pid ${pid} was still running in the control-plane namespace ${netns} after its members were stopped (killed)`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  if (errors.length === 0) {
    rmSync(join(stateDir, 'members'), { recursive: true, force: true });
    if (list.prefix !== '') rmSync(socketDirOf(list.prefix), { recursive: true, force: true });
    rmSync(join(stateDir, 'members.json'), { force: true });
  }
  return errors;
}

/**
 * The live processes (not zombies) whose network namespace is one of NETNS (names under
 * /run/netns), as `ip netns pids` finds them: /proc/<pid>/ns/net against the namespace file.
 */
export function pidsInNetns(netns: readonly string[]): { pid: number; netns: string }[] {
  const byIno = new Map<string, string>();
  for (const n of netns) {
    try {
      const s = statSync(join('/run/netns', n));
      byIno.set(`${s.dev}:${s.ino}`, n);
    } catch {
      // not there (already deleted)
    }
  }
  const out: { pid: number; netns: string }[] = [];
  if (byIno.size === 0) return out;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const pid = Number(d);
    try {
      const s = statSync(`/proc/${d}/ns/net`);
      const n = byIno.get(`${s.dev}:${s.ino}`);
      if (n === undefined) continue;
      const st = procStat(pid);
      if (st !== undefined && st.state !== 'Z' && st.state !== 'X') out.push({ pid, netns: n });
    } catch {
      // gone, or a kernel thread
    }
  }
  return out;
}
