/**
 * @module The lab: a cluster made of network namespaces, and the controller that plays
 * scheduler, kubelet, CNI and kube-proxy for it (Lab.up / Lab.down).
 *
 * - up: plans the topology (topology.ts), builds it (netns-builder.ts), registers the workers
 *   (Kubernetes Node + Calico Node with their addresses), starts one agent per worker (in
 *   process, `netns` = the worker), one responder per worker and client namespace (probes),
 *   optionally one ulogd per worker (logs.ts), then watches Pods and Services.
 * - Nodes: each worker is a Kubernetes Node with its addresses and `Ready` (kubectl shows
 *   Ready) and a Calico Node.
 * - Pods: placed round-robin on workers (or on `spec.nodeName` when it names one), given a
 *   namespace `<prefix>-pN`, a /32 from the worker's range and a responder on the declared
 *   container ports; `spec.nodeName` and a kubelet's status (podStatus: `Running`, podIP,
 *   conditions, every container ready, so kubectl shows `1/1 Running`) are written back.
 *   A deleted Pod loses all of that.
 * - Growing a running lab: addWorker() (a worker joins: namespace, wiring, routes, Nodes,
 *   agent), addClient() (another client host on a VLAN, e.g. a second internet client) and
 *   listenOnWorker() (another listener on a worker). The plan is replaced, never edited.
 * - Services: a ClusterIP, NodePorts and a LoadBalancer IP are allocated when missing, and each
 *   worker's nat table is re-rendered (kube-proxy.ts) whenever Pods or Services change.
 * - State: `<stateDir>/lab.json` lists every namespace and process the lab created, written
 *   before the next step, so `tabby lab down` (even from another process) removes exactly that.
 *
 * Every wait is bounded; `down` runs even after a failed `up`.
 */
import { mkdirSync, readSync, openSync, closeSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { runAgent, type AgentHandle } from '../agent/main.js';
import { engineResourceTypes } from '../agent/syncer.js';
import { ResourceClient } from '../client/index.js';
import { ConflictError, NotFoundError, openSqliteDatastore, type Datastore, type ResourceType, type StoredObject } from '../datastore/index.js';
import { buildSnapshot, workloadInterfaceName, type Snapshot } from '../engine/index.js';
import { decodeResource } from '../model/validate-resource.js';
import type { Resource } from '../model/meta.js';
import { inNetns, nodeRunner, type CommandRunner } from '../sys/index.js';
import { applyKubeProxy, renderKubeProxy } from './kube-proxy.js';
import { deleteNamespaces, plumbPod, runSteps } from './netns-builder.js';
import { CommandProcess, PodProcess } from './pod-process.js';
import { hostsFile, removePodEtc, resolvConf, writePodEtc, type ServiceName } from './hosts.js';
import type { ProbeProto, ProbeResult } from './responder.js';
import { addHostSteps, addWorkerSteps, clientPlan, hostInCidr24, namespaces, planLab, planWithWorker, upSteps, type HostPlan, type LabPlan, type WorkerPlan } from './topology.js';
import { startUlogd, type UlogdHandle } from './logs.js';

export const STATE_FILE = 'lab.json';
export const NFLOG_GROUP = 7;
const POD_TYPE: ResourceType = { group: '', plural: 'pods' };
const SVC_TYPE: ResourceType = { group: '', plural: 'services' };
const RESPONDER_LIFETIME_MS = 7 * 24 * 3600_000;
/** What the workers' host responders listen on: the kubelet and BigFix. */
const NODE_TCP = [10250, 52311];
/**
 * What the unrelated private system listens on: DNS, block storage (443, 3260), NFS (2049) and
 * one port nobody allows (8080), so R7's worker egress can be probed against it.
 */
const SYSTEM_TCP = [53, 443, 2049, 3260, 8080];
const SYSTEM_UDP = [53];
/** The kubelet version the lab's Nodes report. */
const KUBELET_VERSION = 'v1.31.0-tabby-lab';

export interface LabOptions {
  readonly stateDir: string;
  readonly workers: number;
  readonly prefix?: string;
  /** Node names, `{i}` for the worker's index (`kube-dal10-…-w{i}.cloud.ibm`); default `worker{i}`. */
  readonly nodeNames?: string;
  /** Labels on every worker's Node (the cluster profile's). */
  readonly nodeLabels?: Readonly<Record<string, string>>;
  /** The agents' dataplane: iptables + ipset (default) or native nftables. */
  readonly dataplane?: 'iptables' | 'nft';
  /** Default: SQLite at `<stateDir>/tabby.db` (closed by down). A passed-in one is not closed. */
  readonly datastore?: Datastore;
  /** Where a passed-in datastore lives (recorded in the state, so other commands read the same one). */
  readonly datastorePath?: string;
  readonly runner?: CommandRunner;
  readonly log?: (line: string) => void;
  /** Register a HostEndpoint for each worker's public interface (`ibm.role: worker_public`). */
  readonly hostEndpoints?: boolean;
  /** Run ulogd per worker (NFLOG → `<stateDir>/<worker>.syslog`). Default: when ulogd exists. */
  readonly logs?: boolean;
  /**
   * Record the scheduler's and kubelet's Events (Scheduled, Pulled, Created, Started) for each
   * pod, as `tabby up` does. Off by default: every write moves the store's revision, which
   * `settle()` follows, and `tabby lab verify` settles thousands of times.
   */
  readonly events?: boolean;
}

export interface PodRecord {
  readonly key: string;
  readonly uid: string;
  readonly netns: string;
  readonly ip: string;
  readonly node: string;
  readonly iface: string;
  readonly tcp: readonly number[];
  readonly udp: readonly number[];
  /** The container log (kubectl logs): nginx's access log, or what the pod's command wrote. */
  readonly logFile?: string;
  readonly image?: string;
  /** The container's command + args, run with the lab's applets (busybox.ts); none: a responder only. */
  readonly command?: readonly string[];
}

/** What a lab pod runs, by image: nginx serves HTTP on port 80 (as the image EXPOSEs it). */
export function imagePorts(image: string): number[] {
  return /(^|\/)nginx(:|@|$)/.test(image) ? [80] : [];
}

/** busybox's default command is `sh`. */
export function defaultCommand(image: string): string[] | undefined {
  return /(^|\/)busybox(:|@|$)/.test(image) ? ['sh'] : undefined;
}

/** What `PodRuntime` (src/apiserver/pod-runtime.ts) asks of the lab; structural, the CLI wires it. */
export interface LabRuntimeRefusal {
  readonly refused: true;
  readonly code: number;
  readonly reason: string;
  readonly message: string;
}

export interface LabState {
  readonly version: 1;
  readonly prefix: string;
  readonly stateDir: string;
  readonly plan: LabPlan;
  readonly namespaces: readonly string[];
  readonly pids: readonly number[];
  readonly pods: readonly PodRecord[];
  readonly logFiles: Readonly<Record<string, string>>;
  readonly daemonPid?: number;
  readonly ready: boolean;
  /** The SQLite file of the lab's datastore (absent in older state files: `<stateDir>/tabby.db`). */
  readonly datastorePath?: string;
}

export function newPrefix(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return `tby${[...randomBytes(5)].map((b) => alphabet[b % alphabet.length]).join('')}`;
}

/** Every engine kind, listed and decoded into a snapshot (what the agents see). */
export async function snapshotOf(ds: Datastore): Promise<{ snapshot: Snapshot; resources: Resource[]; revision: string }> {
  const resources: Resource[] = [];
  let revision = '0';
  for (const t of engineResourceTypes()) {
    const l = await ds.list(t);
    if (BigInt(l.revision) > BigInt(revision)) revision = l.revision;
    for (const o of l.items) {
      const r = decodeResource(o);
      if (r.ok) resources.push(r.value.resource);
    }
  }
  return { snapshot: buildSnapshot(resources), resources, revision };
}

type Obj = StoredObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

export class Lab {
  private _plan: LabPlan;
  readonly ds: Datastore;
  readonly client: ResourceClient;
  private readonly _runner: CommandRunner;
  private readonly _log: (line: string) => void;
  private readonly _ownsDs: boolean;
  private readonly _namespaces: string[] = [];
  private readonly _pods = new Map<string, PodRecord>();
  private readonly _procs = new Map<string, PodProcess>();
  private readonly _agents: AgentHandle[] = [];
  private readonly _ulogds: UlogdHandle[] = [];
  private readonly _natText = new Map<string, string>();
  private readonly _mains = new Map<string, CommandProcess>();
  private readonly _exits = new Map<string, { code: number; startedAt: string; finishedAt: string }>();
  private readonly _etcText = new Map<string, string>();
  private readonly _ac = new AbortController();
  private _podSeq = 0;
  private _rr = 0;
  private _dirty = true;
  private _wake: (() => void) | undefined;
  private _reconciled = -1n;
  private _lastWrite = 0n;
  private _loopDone: Promise<void> = Promise.resolve();
  private _ready = false;
  private _down = false;
  private _logFiles: Record<string, string> = {};
  lastError: string | undefined;

  private constructor(
    readonly opts: LabOptions,
    plan: LabPlan,
    ds: Datastore,
    ownsDs: boolean,
  ) {
    this._plan = plan;
    this.ds = ds;
    this._ownsDs = ownsDs;
    this.client = new ResourceClient(ds);
    this._runner = opts.runner ?? nodeRunner;
    this._log = opts.log ?? ((): void => undefined);
  }

  /** The topology; replaced (never edited) when a worker or a client host is added. */
  get plan(): LabPlan {
    return this._plan;
  }

  /** Builds the lab; on failure everything already created is removed and the error rethrown. */
  static async up(opts: LabOptions): Promise<Lab> {
    mkdirSync(opts.stateDir, { recursive: true });
    const plan = planLab({
      prefix: opts.prefix ?? newPrefix(),
      workers: opts.workers,
      ...(opts.nodeNames === undefined ? {} : { nodeNames: opts.nodeNames }),
      ...(opts.nodeLabels === undefined ? {} : { nodeLabels: opts.nodeLabels }),
    });
    const ds = opts.datastore ?? (await openSqliteDatastore(join(opts.stateDir, 'tabby.db')));
    const lab = new Lab(opts, plan, ds, opts.datastore === undefined);
    try {
      await lab._up();
      return lab;
    } catch (e) {
      await lab.down().catch(() => undefined);
      throw e;
    }
  }

  private async _up(): Promise<void> {
    this._saveState();
    await runSteps(this._runner, upSteps(this.plan), (ns) => {
      this._namespaces.push(ns);
      this._saveState();
    });
    for (const w of this.plan.workers) await applyKubeProxy(inNetns(this._runner, w.netns), renderKubeProxy(buildSnapshot([]), this.plan, w));
    await this.client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } }).then((r) => this._noteWrite(r.object));
    for (const w of this.plan.workers) await this._registerNode(w);
    const hosts: { key: string; netns: string; tcp: readonly number[]; udp: readonly number[] }[] = [
      ...this.plan.workers.map((w) => ({ key: `node:${w.name}`, netns: w.netns, tcp: NODE_TCP, udp: [] })),
      { key: 'internet', netns: this.plan.internet.netns, tcp: [], udp: [] },
      { key: 'system', netns: this.plan.system.netns, tcp: SYSTEM_TCP, udp: SYSTEM_UDP },
    ];
    for (const h of hosts) this._procs.set(h.key, new PodProcess(h.netns, { name: h.key, tcp: [...h.tcp], udp: [...h.udp], maxLifetimeMs: RESPONDER_LIFETIME_MS }));
    this._saveState();
    await Promise.all([...this._procs.values()].map((p) => p.ready()));
    for (const w of this.plan.workers) await this._startLogs(w);
    for (const w of this.plan.workers) this._startAgent(w);
    this._loopDone = this._run(this._ac.signal);
    this._ready = true;
    this._saveState();
    await this.settle();
  }

  private async _startLogs(w: WorkerPlan): Promise<void> {
    if (!(this.opts.logs ?? true)) return;
    const u = await startUlogd(this.opts.stateDir, w.name, w.netns, NFLOG_GROUP, this._log);
    if (u === undefined) return;
    this._ulogds.push(u);
    this._logFiles[w.name] = u.logFile;
    this._saveState();
  }

  private _startAgent(w: WorkerPlan): void {
    this._agents.push(
      runAgent({
        node: w.name,
        datastore: this.ds,
        runner: this._runner,
        netns: w.netns,
        nflogGroup: NFLOG_GROUP,
        minApplyIntervalMs: 20,
        ...(this.opts.dataplane === undefined ? {} : { dataplane: this.opts.dataplane }),
        log: (m) => this._log(`agent ${w.name}: ${m}`),
      }),
    );
  }

  /** The Kubernetes Node the lab registers for a worker: its addresses, Ready, as a kubelet reports it. */
  static nodeManifest(plan: LabPlan, w: WorkerPlan, now: Date = new Date()): Record<string, unknown> {
    const t = now.toISOString().replace(/\.\d+Z$/, 'Z');
    const cond = (type: string, status: string, reason: string, message: string): Record<string, string> => ({ type, status, lastHeartbeatTime: t, lastTransitionTime: t, reason, message });
    return {
      apiVersion: 'v1',
      kind: 'Node',
      // The same labels as without the lab (the profile's); which lab runs it is an annotation.
      metadata: { name: w.name, labels: { 'kubernetes.io/hostname': w.name, 'kubernetes.io/os': 'linux', ...(plan.nodeLabels ?? {}) }, annotations: { 'tabby.dev/lab': plan.prefix } },
      spec: { podCIDR: w.podCidr, podCIDRs: [w.podCidr] },
      status: {
        addresses: [
          { type: 'InternalIP', address: w.privateIp },
          { type: 'ExternalIP', address: w.publicIp },
          { type: 'Hostname', address: w.name },
        ],
        conditions: [
          cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
          cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
          cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
          cond('Ready', 'True', 'KubeletReady', `lab worker in network namespace ${w.netns}, agent running`),
        ],
        nodeInfo: { kubeletVersion: KUBELET_VERSION, kubeProxyVersion: KUBELET_VERSION, operatingSystem: 'linux', architecture: 'amd64', containerRuntimeVersion: 'tabby-lab://1', kernelVersion: '', osImage: 'Tabby lab', machineID: '', systemUUID: '', bootID: '' },
      },
    };
  }

  private async _registerNode(w: WorkerPlan): Promise<void> {
    const note = (r: { object: StoredObject }): void => this._noteWrite(r.object);
    note(await this.client.apply(Lab.nodeManifest(this.plan, w)));
    note(
      await this.client.apply({
        apiVersion: 'projectcalico.org/v3',
        kind: 'Node',
        metadata: { name: w.name, labels: { 'kubernetes.io/hostname': w.name } },
        spec: {
          bgp: { ipv4Address: `${w.privateIp}/24` },
          addresses: [
            { address: w.privateIp, type: 'InternalIP' },
            { address: w.publicIp, type: 'ExternalIP' },
          ],
        },
      }),
    );
    if (this.opts.hostEndpoints === true)
      note(
        await this.client.apply({
          apiVersion: 'projectcalico.org/v3',
          kind: 'HostEndpoint',
          metadata: { name: `${w.name}-public`, labels: { 'ibm.role': 'worker_public' } },
          spec: { node: w.name, interfaceName: 'eth1', expectedIPs: [w.publicIp] },
        }),
      );
  }

  /**
   * Adds a worker to the running lab (R7: "a worker added later"): its namespace and wiring,
   * routes to its pod range on the other workers, its Nodes (Kubernetes and Calico), responder,
   * ulogd and agent; every worker's kube-proxy is re-rendered. Waits until it is programmed.
   */
  async addWorker(): Promise<WorkerPlan> {
    if (this._down) throw new Error('lab: down');
    const { plan, worker } = planWithWorker(this.plan);
    await runSteps(this._runner, addWorkerSteps(this.plan, worker), (ns) => {
      this._namespaces.push(ns);
      this._saveState();
    });
    this._plan = plan;
    this._saveState();
    await applyKubeProxy(inNetns(this._runner, worker.netns), renderKubeProxy((await snapshotOf(this.ds)).snapshot, this.plan, worker));
    const proc = new PodProcess(worker.netns, { name: `node:${worker.name}`, tcp: [...NODE_TCP], udp: [], maxLifetimeMs: RESPONDER_LIFETIME_MS });
    this._procs.set(`node:${worker.name}`, proc);
    this._saveState();
    await proc.ready();
    await this._startLogs(worker);
    await this._registerNode(worker);
    this._startAgent(worker);
    this._natText.clear(); // TABBY-NAT-OUTGOING lists every worker
    this._log(`lab: worker ${worker.name} added (netns ${worker.netns})`);
    await this.settle();
    return worker;
  }

  /**
   * Adds a client host (a namespace with one address on the public or private VLAN, and a
   * responder listening on `tcp`/`udp`), e.g. a second internet client for R6's whitelists.
   * Probe from it with its name.
   */
  async addClient(name: string, vlan: 'private' | 'public', ip: string, ports: { tcp?: readonly number[]; udp?: readonly number[] } = {}): Promise<HostPlan> {
    if (this._down) throw new Error('lab: down');
    const host = clientPlan(this.plan, name, vlan, ip);
    await runSteps(this._runner, addHostSteps(this.plan, host), (ns) => {
      this._namespaces.push(ns);
      this._saveState();
    });
    this._plan = { ...this.plan, clients: [...(this.plan.clients ?? []), host] };
    const proc = new PodProcess(host.netns, { name, tcp: [...(ports.tcp ?? [])], udp: [...(ports.udp ?? [])], maxLifetimeMs: RESPONDER_LIFETIME_MS });
    this._procs.set(name, proc);
    this._saveState();
    await proc.ready();
    this._log(`lab: client ${name} at ${ip} on the ${vlan} VLAN (netns ${host.netns})`);
    return host;
  }

  /**
   * Adds a route on a client host (`internet`, `system` or an addClient name): `cidr` via a
   * worker's address, e.g. an unrelated system on the private VLAN pointing the pod network at a
   * worker. Both must lie in 198.18.0.0/15 (the lab's range).
   */
  async routeOnHost(host: string, cidr: string, via: string): Promise<void> {
    const h = [this.plan.internet, this.plan.system, ...(this.plan.clients ?? [])].find((x) => x.name === host);
    if (h === undefined) throw new Error(`lab: no client host ${host}`);
    const inLab = (a: string): boolean => /^198\.1[89]\.\d{1,3}\.\d{1,3}(\/\d{1,2})?$/.test(a) && (!a.includes('/') || Number(a.split('/')[1]) >= 15);
    if (!inLab(cidr) || !inLab(via)) throw new Error(`lab: route ${cidr} via ${via}: both must be in 198.18.0.0/15`);
    const r = await inNetns(this._runner, h.netns).run({ argv: ['ip', 'route', 'replace', cidr, 'via', via, 'dev', 'eth0'], timeoutMs: 10_000 });
    if (r.code !== 0) throw new Error(`lab: route ${cidr} via ${via} on ${host}: ${r.stderr.trim()}`);
  }

  /**
   * Starts one more listener in a worker's namespace (TCP `ports` on every address of the
   * worker), named `name` (also a probe source from that worker). Used as the stand-in for what
   * terminates traffic on a worker itself, e.g. an NLB 2.0 (IPVS) address.
   */
  async listenOnWorker(workerName: string, name: string, ports: readonly number[]): Promise<void> {
    const w = this.plan.workers.find((x) => x.name === workerName);
    if (w === undefined) throw new Error(`lab: no worker ${workerName}`);
    if (this._procs.has(name) || name.includes('/')) throw new Error(`lab: listener name ${JSON.stringify(name)} is taken or invalid`);
    const proc = new PodProcess(w.netns, { name, tcp: [...ports], udp: [], maxLifetimeMs: RESPONDER_LIFETIME_MS });
    this._procs.set(name, proc);
    this._saveState();
    await proc.ready();
  }

  // ------------------------------------------------------------------ state

  state(): LabState {
    return {
      version: 1,
      prefix: this.plan.prefix,
      stateDir: this.opts.stateDir,
      plan: this.plan,
      namespaces: [...this._namespaces],
      pids: [...this._procs.values(), ...this._ulogds].map((p) => p.pid).filter((p): p is number => p !== undefined),
      pods: [...this._pods.values()],
      logFiles: { ...this._logFiles },
      daemonPid: process.pid,
      ready: this._ready,
      ...(this.opts.datastore === undefined ? { datastorePath: join(this.opts.stateDir, 'tabby.db') } : this.opts.datastorePath === undefined ? {} : { datastorePath: this.opts.datastorePath }),
    };
  }

  private _saveState(): void {
    if (this._down) return;
    writeFileSync(join(this.opts.stateDir, STATE_FILE), `${JSON.stringify(this.state(), null, 2)}\n`);
  }

  pods(): readonly PodRecord[] {
    return [...this._pods.values()];
  }

  pod(key: string): PodRecord | undefined {
    return this._pods.get(key.includes('/') ? key : `default/${key}`);
  }

  // ------------------------------------------------------------------ reconcile loop

  private async _run(signal: AbortSignal): Promise<void> {
    const watchers = [POD_TYPE, SVC_TYPE].map((t) => this._watch(t, signal));
    while (!signal.aborted) {
      if (!this._dirty) {
        await new Promise<void>((r) => {
          const t = setTimeout(r, 2000);
          this._wake = () => {
            clearTimeout(t);
            r();
          };
        });
        this._wake = undefined;
        if (signal.aborted) break;
        if (!this._dirty) this._dirty = true; // periodic resync
      }
      this._dirty = false;
      try {
        const rev = await this._reconcile();
        if (rev > this._reconciled) this._reconciled = rev;
        this.lastError = undefined;
      } catch (e) {
        this.lastError = e instanceof Error ? e.message : String(e);
        this._log(`lab: reconcile failed: ${this.lastError}`);
        this._dirty = true;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    await Promise.all(watchers);
  }

  private _markDirty(): void {
    this._dirty = true;
    this._wake?.();
  }

  private async _watch(t: ResourceType, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        const { revision } = await this.ds.list(t);
        this._markDirty();
        for await (const _ev of this.ds.watch(t, revision, signal)) this._markDirty();
      } catch (e) {
        if (signal.aborted) break;
        this._log(`lab: watch ${t.plural}: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (!signal.aborted) await new Promise((r) => setTimeout(r, 200));
    }
  }

  private async _reconcile(): Promise<bigint> {
    const pods = await this.ds.list(POD_TYPE);
    const seen = new Set<string>();
    for (const o of pods.items as Obj[]) {
      if (o.spec?.['hostNetwork'] === true) continue;
      const key = `${o.metadata.namespace ?? 'default'}/${o.metadata.name ?? ''}`;
      const uid = o.metadata.uid ?? '';
      seen.add(key);
      const rec = this._pods.get(key);
      if (rec !== undefined && rec.uid !== uid) await this._removePod(rec);
      if (rec === undefined || rec.uid !== uid) await this._addPod(key, o);
      else if (o.status?.['podIP'] !== rec.ip || o.spec?.['nodeName'] !== rec.node || o.status['phase'] !== this._phase(key) || !Array.isArray(o.status['containerStatuses'])) await this._writePodStatus(key, rec);
    }
    for (const rec of [...this._pods.values()]) if (!seen.has(rec.key)) await this._removePod(rec);
    await this._allocateServices();
    await this._writeEtc();
    const { snapshot } = await snapshotOf(this.ds);
    for (const w of this.plan.workers) {
      const text = renderKubeProxy(snapshot, this.plan, w);
      if (this._natText.get(w.name) === text) continue;
      await applyKubeProxy(inNetns(this._runner, w.netns), text);
      this._natText.set(w.name, text);
    }
    return BigInt(pods.revision);
  }

  private _worker(name: unknown): WorkerPlan {
    const named = this.plan.workers.find((w) => w.name === name);
    if (named) return named;
    const w = this.plan.workers[this._rr % this.plan.workers.length]!;
    this._rr++;
    return w;
  }

  private async _addPod(key: string, o: Obj): Promise<void> {
    const worker = this._worker(o.spec?.['nodeName']);
    const used = new Set([...this._pods.values()].filter((p) => p.node === worker.name).map((p) => p.ip));
    let ip: string | undefined;
    for (let k = 2; k <= 254 && ip === undefined; k++) if (!used.has(hostInCidr24(worker.podCidr, k))) ip = hostInCidr24(worker.podCidr, k);
    if (ip === undefined) throw new Error(`no free pod address on ${worker.name}`);
    const tcp = new Set<number>();
    const udp = new Set<number>();
    const containers = Array.isArray(o.spec?.['containers']) ? (o.spec['containers'] as { image?: unknown; command?: unknown; args?: unknown; ports?: { containerPort?: number; protocol?: string }[] }[]) : [];
    const first = containers[0];
    const image = typeof first?.image === 'string' ? first.image : '';
    for (const p of imagePorts(image)) tcp.add(p);
    const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
    const explicit = [...strs(first?.command), ...strs(first?.args)];
    const command = explicit.length > 0 ? explicit : defaultCommand(image);
    for (const c of containers)
      for (const p of c.ports ?? []) {
        if (typeof p.containerPort !== 'number') continue;
        if ((p.protocol ?? 'TCP') === 'UDP') udp.add(p.containerPort);
        else if ((p.protocol ?? 'TCP') === 'TCP') tcp.add(p.containerPort);
      }
    const [ns, name] = key.split('/') as [string, string];
    const rec: PodRecord = {
      key,
      uid: o.metadata.uid ?? '',
      netns: `${this.plan.prefix}-p${++this._podSeq}`,
      ip,
      node: worker.name,
      iface: workloadInterfaceName(ns, name),
      tcp: [...tcp].sort((a, b) => a - b),
      udp: [...udp].sort((a, b) => a - b),
      logFile: join(this.opts.stateDir, 'pods', `${ns}_${name}_${o.metadata.uid ?? ''}.log`),
      image,
      ...(command === undefined ? {} : { command }),
    };
    this._pods.set(key, rec);
    mkdirSync(join(this.opts.stateDir, 'pods'), { recursive: true });
    writeFileSync(rec.logFile!, '');
    await plumbPod(this._runner, { worker, netns: rec.netns, iface: rec.iface, ip }, (n) => {
      this._namespaces.push(n);
      this._saveState();
    });
    this._writePodEtcFor(rec, await this._serviceNames());
    await this._event(o, 'Scheduled', `Successfully assigned ${key} to ${worker.name}`, 'default-scheduler');
    const proc = new PodProcess(rec.netns, { name: key, tcp: rec.tcp, udp: rec.udp, maxLifetimeMs: RESPONDER_LIFETIME_MS, ...(imagePorts(image).length > 0 ? { logFile: rec.logFile! } : {}) });
    this._procs.set(key, proc);
    this._saveState();
    await proc.ready();
    const cname = typeof (first as { name?: unknown } | undefined)?.name === 'string' ? ((first as { name: string }).name) : 'c0';
    await this._event(o, 'Pulled', `Container image "${image}" already present on machine`, 'kubelet', worker.name);
    await this._event(o, 'Created', `Created container: ${cname}`, 'kubelet', worker.name);
    if (command !== undefined) this._startMain(key, rec, command, (first as { tty?: unknown } | undefined)?.tty === true);
    await this._event(o, 'Started', `Started container ${cname}`, 'kubelet', worker.name);
    await this._writePodStatus(key, rec);
    this._log(`lab: pod ${key} on ${worker.name} at ${ip} (netns ${rec.netns})`);
  }

  private async _writePodStatus(key: string, rec: PodRecord): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    for (let i = 0; i < 10; i++) {
      let cur: Obj;
      try {
        cur = (await this.ds.get({ ...POD_TYPE, namespace, name })) as Obj;
      } catch (e) {
        if (e instanceof NotFoundError) return;
        throw e;
      }
      if ((cur.metadata.uid ?? '') !== rec.uid) return;
      const status = podStatus(cur, rec, this.plan.workers.find((w) => w.name === rec.node)?.privateIp);
      const exit = this._exits.get(key);
      const next = { ...cur, spec: { ...(cur.spec ?? {}), nodeName: rec.node }, status: exit === undefined ? status : terminatedStatus(status, exit) };
      try {
        const w = await this.ds.update(POD_TYPE, next);
        this._noteWrite(w);
        return;
      } catch (e) {
        if (!(e instanceof ConflictError)) throw e;
      }
    }
    throw new Error(`pod ${key}: status update kept conflicting`);
  }

  private _phase(key: string): string {
    const exit = this._exits.get(key);
    return exit === undefined ? 'Running' : exit.code === 0 ? 'Succeeded' : 'Failed';
  }

  /** The pod's main command: output to its log and to attached sessions; its end becomes the pod's phase. */
  private _startMain(key: string, rec: PodRecord, command: readonly string[], tty: boolean): void {
    const startedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const main = new CommandProcess(rec.netns, command, { tty, hostname: key.split('/')[1] ?? '', ...(rec.logFile === undefined ? {} : { logFile: rec.logFile }) });
    this._mains.set(key, main);
    void main.exit.then(({ code }) => {
      if (this._pods.get(key) !== rec) return;
      this._exits.set(key, { code, startedAt, finishedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z') });
      this._log(`lab: pod ${key}: command exited with ${code}`);
      this._markDirty();
    });
  }

  private async _serviceNames(): Promise<ServiceName[]> {
    const out: ServiceName[] = [];
    for (const s of (await this.ds.list(SVC_TYPE)).items as Obj[]) {
      const ip = s.spec?.['clusterIP'];
      if (typeof ip === 'string' && ip !== '' && ip !== 'None') out.push({ namespace: s.metadata.namespace ?? 'default', name: s.metadata.name ?? '', clusterIP: ip });
    }
    return out;
  }

  private _writePodEtcFor(rec: PodRecord, services: readonly ServiceName[]): void {
    const [namespace, name] = rec.key.split('/') as [string, string];
    const text = hostsFile({ namespace, name, ip: rec.ip }, services);
    if (this._etcText.get(rec.key) === text) return;
    writePodEtc(rec.netns, text, resolvConf(namespace));
    this._etcText.set(rec.key, text);
  }

  /** Every pod's /etc/hosts follows the Services (hosts.ts). */
  private async _writeEtc(): Promise<void> {
    const services = await this._serviceNames();
    for (const rec of this._pods.values()) this._writePodEtcFor(rec, services);
  }

  /** A core/v1 Event about a pod, as the scheduler and the kubelet record them. */
  private async _event(o: StoredObject, reason: string, message: string, component: string, host?: string): Promise<void> {
    if (this.opts.events !== true) return;
    const t = new Date();
    const ts = t.toISOString().replace(/\.\d+Z$/, 'Z');
    try {
      await this.client.create({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${o.metadata.name ?? ''}.${(BigInt(t.getTime()) * 1000000n + BigInt(this._podSeq * 1000 + reason.length)).toString(16)}`, namespace: o.metadata.namespace ?? 'default' },
        involvedObject: { kind: 'Pod', namespace: o.metadata.namespace ?? 'default', name: o.metadata.name ?? '', uid: o.metadata.uid ?? '', apiVersion: 'v1', resourceVersion: o.metadata.resourceVersion ?? '' },
        reason,
        message,
        source: { component, ...(host === undefined ? {} : { host }) },
        firstTimestamp: ts,
        lastTimestamp: ts,
        count: 1,
        type: 'Normal',
        reportingComponent: component,
        reportingInstance: host ?? component,
      });
    } catch (e) {
      this._log(`lab: event ${reason} for ${o.metadata.name ?? ''}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  // ------------------------------------------------------------------ the pod runtime (kubectl logs/exec/attach)

  private _runningRecord(pod: StoredObject, container: string, forExec: boolean): PodRecord | LabRuntimeRefusal {
    const key = `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name ?? ''}`;
    const rec = this._pods.get(key);
    if (rec === undefined || rec.uid !== (pod.metadata.uid ?? ''))
      return { refused: true, code: 400, reason: 'BadRequest', message: `container ${container} is not running in pod ${pod.metadata.name ?? ''}: the lab has not started it (yet)` };
    if (forExec && this._exits.has(key))
      return { refused: true, code: 400, reason: 'BadRequest', message: `cannot exec into a container in a completed pod; current phase is ${this._phase(key)}` };
    return rec;
  }

  /** The PodRuntime the API server uses for pods/log, exec and attach. */
  runtime(): {
    readLog(pod: StoredObject, container: string, offset: number): Promise<{ data: Uint8Array; next: number; running: boolean } | LabRuntimeRefusal>;
    exec(pod: StoredObject, container: string, argv: readonly string[], tty: boolean): Promise<CommandProcess | LabRuntimeRefusal>;
    attach(pod: StoredObject, container: string, tty: boolean): Promise<CommandProcess | LabRuntimeRefusal>;
  } {
    return {
      readLog: async (pod, container, offset) => {
        const rec = this._runningRecord(pod, container, false);
        if ('refused' in rec) return rec;
        const key = rec.key;
        const running = !this._exits.has(key);
        if (rec.logFile === undefined || !existsSync(rec.logFile)) return { data: new Uint8Array(0), next: offset, running };
        const fd = openSync(rec.logFile, 'r');
        try {
          const buf = Buffer.alloc(1024 * 1024);
          const n = readSync(fd, buf, 0, buf.length, offset);
          return { data: buf.subarray(0, n), next: offset + n, running };
        } finally {
          closeSync(fd);
        }
      },
      exec: async (pod, container, argv, tty) => {
        const rec = this._runningRecord(pod, container, true);
        if ('refused' in rec) return rec;
        return new CommandProcess(rec.netns, argv, { tty, hostname: pod.metadata.name ?? '' });
      },
      attach: async (pod, container, _tty) => {
        const rec = this._runningRecord(pod, container, true);
        if ('refused' in rec) return rec;
        const main = this._mains.get(rec.key);
        if (main === undefined || !main.running)
          return { refused: true, code: 400, reason: 'BadRequest', message: `container ${container} in pod ${pod.metadata.name ?? ''} runs no attachable process (the lab attaches to a pod's command; image ${rec.image ?? ''} has none)` };
        return main;
      },
    };
  }

  private _noteWrite(o: StoredObject): void {
    const rv = o.metadata.resourceVersion;
    if (rv !== undefined && /^\d+$/.test(rv) && BigInt(rv) > this._lastWrite) this._lastWrite = BigInt(rv);
  }

  private async _removePod(rec: PodRecord): Promise<void> {
    this._pods.delete(rec.key);
    this._mains.get(rec.key)?.kill();
    this._mains.delete(rec.key);
    this._exits.delete(rec.key);
    this._etcText.delete(rec.key);
    removePodEtc(rec.netns);
    if (rec.logFile !== undefined) rmSync(rec.logFile, { force: true });
    const p = this._procs.get(rec.key);
    this._procs.delete(rec.key);
    await p?.stop();
    const errs = await deleteNamespaces(this._runner, this.plan.prefix, [rec.netns]);
    if (errs.length > 0) throw new Error(errs.join('; '));
    const i = this._namespaces.indexOf(rec.netns);
    if (i >= 0) this._namespaces.splice(i, 1);
    // The veth's worker end went with the pod namespace; the /32 route with it.
    this._saveState();
    this._log(`lab: pod ${rec.key} removed`);
  }

  private async _allocateServices(): Promise<void> {
    const svcs = (await this.ds.list(SVC_TYPE)).items as Obj[];
    const usedCluster = new Set<string>();
    const usedLb = new Set<string>();
    const usedNodePorts = new Set<number>();
    type Port = { nodePort?: number };
    for (const s of svcs) {
      const cip = s.spec?.['clusterIP'];
      if (typeof cip === 'string') usedCluster.add(cip);
      for (const p of (s.spec?.['ports'] as Port[] | undefined) ?? []) if (typeof p.nodePort === 'number') usedNodePorts.add(p.nodePort);
      const ing = ((s.status?.['loadBalancer'] as { ingress?: { ip?: string }[] } | undefined)?.ingress ?? []).map((x) => x.ip);
      for (const ip of ing) if (ip !== undefined) usedLb.add(ip);
    }
    const pick = (cidr: string, used: Set<string>): string => {
      for (let k = 10; k <= 254; k++) {
        const ip = hostInCidr24(cidr, k);
        if (!used.has(ip)) {
          used.add(ip);
          return ip;
        }
      }
      throw new Error(`no free address in ${cidr}`);
    };
    for (const s of svcs) {
      const spec = { ...(s.spec ?? {}) };
      const type = typeof spec['type'] === 'string' ? spec['type'] : 'ClusterIP';
      let changed = false;
      if (spec['clusterIP'] === undefined || spec['clusterIP'] === '') {
        spec['clusterIP'] = pick(this.plan.serviceCidr, usedCluster);
        spec['clusterIPs'] = [spec['clusterIP']];
        changed = true;
      }
      if (type === 'NodePort' || type === 'LoadBalancer') {
        const ports = ((spec['ports'] as Port[] | undefined) ?? []).map((p) => {
          if (typeof p.nodePort === 'number' && p.nodePort > 0) return p;
          let np = 30000;
          while (usedNodePorts.has(np) && np < 32767) np++;
          usedNodePorts.add(np);
          changed = true;
          return { ...p, nodePort: np };
        });
        spec['ports'] = ports;
      }
      let status = s.status;
      const ingress = (status?.['loadBalancer'] as { ingress?: unknown[] } | undefined)?.ingress ?? [];
      if (type === 'LoadBalancer' && ingress.length === 0 && spec['loadBalancerIP'] === undefined) {
        status = { ...(status ?? {}), loadBalancer: { ingress: [{ ip: pick(this.plan.lbCidr, usedLb) }] } };
        changed = true;
      }
      if (!changed) continue;
      try {
        this._noteWrite(await this.ds.update(SVC_TYPE, { ...s, spec, ...(status !== undefined ? { status } : {}) } as StoredObject));
      } catch (e) {
        if (!(e instanceof ConflictError) && !(e instanceof NotFoundError)) throw e;
        this._dirty = true;
      }
    }
  }

  // ------------------------------------------------------------------ settle, probe

  /**
   * Waits (bounded) until the controller has handled every Pod/Service change up to now, and
   * every agent has programmed the datastore as of then (including the controller's writes).
   */
  async settle(minRevision?: string, timeoutMs = 30_000): Promise<void> {
    const t0 = performance.now();
    const deadline = (): number => timeoutMs - (performance.now() - t0);
    for (let round = 0; round < 20; round++) {
      const { revision } = await this.ds.list(POD_TYPE);
      let target = BigInt(revision);
      if (minRevision !== undefined && BigInt(minRevision) > target) target = BigInt(minRevision);
      this._markDirty();
      while (this._reconciled < target) {
        if (deadline() <= 0) throw new Error(`lab: not settled after ${timeoutMs} ms (controller at ${this._reconciled}, want ${target})${this.lastError ? `: ${this.lastError}` : ''}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      // Agents advance only on changes that matter to them (not on their own status annotations),
      // so wait for the writes we know of: the caller's and the controller's.
      const min = minRevision !== undefined ? BigInt(minRevision) : 0n;
      const want = (this._lastWrite > min ? this._lastWrite : min).toString();
      await _bounded(Promise.all(this._agents.map((a) => a.whenProgrammed(want, Math.max(1, deadline())))), Math.max(1, deadline()), `lab: agents did not program revision ${want}`);
      const after = await this.ds.list(POD_TYPE);
      if (after.revision === revision && !this._dirty) return;
    }
  }

  /** Runs one probe from a pod (`ns/name`), a worker (`node:<name>`), `internet`, `system` or a client host (addClient). */
  async probe(from: string, proto: ProbeProto, ip: string, port: number, timeoutMs: number): Promise<ProbeResult> {
    const key = this._procs.has(from) || from.includes('/') ? from : `default/${from}`;
    const p = this._procs.get(key);
    if (p === undefined) return 'error';
    return p.probe(proto, ip, port, timeoutMs);
  }

  /**
   * Forgets every tracked connection on the workers (`conntrack -F`), so the next probes are new
   * flows: a UDP or ICMP probe reusing the 5-tuple of one allowed earlier would otherwise ride
   * the old conntrack entry. Returns false when the conntrack tool is missing.
   */
  async flushConntrack(): Promise<boolean> {
    const rs = await Promise.all(this.plan.workers.map((w) => inNetns(this._runner, w.netns).run({ argv: ['conntrack', '-F'], timeoutMs: 10_000 })));
    return rs.every((r) => r.code === 0 || /flow entries have been deleted/.test(r.stderr));
  }

  sources(): string[] {
    return [...this._procs.keys()].sort();
  }

  agents(): readonly AgentHandle[] {
    return this._agents;
  }

  /** Stops everything and removes every namespace the lab created. Safe to call twice. */
  async down(): Promise<string[]> {
    if (this._down) return [];
    this._ac.abort();
    this._wake?.();
    await _bounded(this._loopDone, 10_000, 'lab: controller did not stop').catch(() => undefined);
    for (const a of this._agents) await _bounded(a.stop(), 10_000, 'agent stop').catch(() => undefined);
    for (const u of this._ulogds) await u.stop();
    await Promise.all([...this._procs.values()].map((p) => p.stop()));
    for (const m of this._mains.values()) m.kill();
    for (const rec of this._pods.values()) removePodEtc(rec.netns);
    const infra = namespaces(this.plan);
    const pods = this._namespaces.filter((n) => !infra.includes(n));
    const errors = await deleteNamespaces(this._runner, this.plan.prefix, [...pods, ...this._namespaces.filter((n) => infra.includes(n)).reverse()]);
    this._down = true;
    if (this._ownsDs) await this.ds.close();
    return errors;
  }
}

/**
 * A placed pod's status as a kubelet reports it: Running, the conditions kubectl reads
 * (PodScheduled, Initialized, ContainersReady, Ready), and every container ready and running,
 * so `kubectl get pods` shows `1/1 Running`. Times are kept from an earlier write when present.
 */
export function podStatus(cur: { spec?: Record<string, unknown>; status?: Record<string, unknown> }, rec: Pick<PodRecord, 'ip'>, hostIP: string | undefined, now: Date = new Date()): Record<string, unknown> {
  const prev = cur.status ?? {};
  const t = typeof prev['startTime'] === 'string' ? prev['startTime'] : now.toISOString().replace(/\.\d+Z$/, 'Z');
  const containers = Array.isArray(cur.spec?.['containers']) ? (cur.spec['containers'] as { name?: unknown; image?: unknown }[]) : [];
  return {
    ...prev,
    phase: 'Running',
    podIP: rec.ip,
    podIPs: [{ ip: rec.ip }],
    ...(hostIP !== undefined ? { hostIP, hostIPs: [{ ip: hostIP }] } : {}),
    startTime: t,
    conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: t })),
    containerStatuses: containers.map((c, i) => ({
      name: typeof c.name === 'string' ? c.name : `c${i}`,
      image: typeof c.image === 'string' ? c.image : 'tabby-lab/responder',
      imageID: '',
      containerID: `tabby-lab://${rec.ip}/${i}`,
      ready: true,
      started: true,
      restartCount: 0,
      state: { running: { startedAt: t } },
    })),
  };
}

/** A pod whose command ended: phase Succeeded (exit 0) or Failed, the container terminated, not ready. */
export function terminatedStatus(status: Record<string, unknown>, exit: { code: number; startedAt: string; finishedAt: string }): Record<string, unknown> {
  const reason = exit.code === 0 ? 'Completed' : 'Error';
  const conditions = (status['conditions'] as { type: string }[]).map((c) => (c.type === 'Ready' || c.type === 'ContainersReady' ? { ...c, status: 'False', reason: 'PodCompleted' } : c));
  const containerStatuses = (status['containerStatuses'] as Record<string, unknown>[]).map((c, i) =>
    i === 0 ? { ...c, ready: false, started: false, state: { terminated: { exitCode: exit.code, reason, startedAt: exit.startedAt, finishedAt: exit.finishedAt, containerID: c['containerID'] } } } : c,
  );
  return { ...status, phase: exit.code === 0 ? 'Succeeded' : 'Failed', conditions, containerStatuses };
}

async function _bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, rej) => (t = setTimeout(() => rej(new Error(`${what} (after ${Math.round(ms)} ms)`)), ms)))]);
  } finally {
    clearTimeout(t);
  }
}
