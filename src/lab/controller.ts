/**
 * @module The lab: a cluster made of network namespaces, and the controller that plays
 * scheduler, kubelet, CNI and kube-proxy for it (Lab.up / Lab.down). The Lab class is the
 * facade; the work is done by its parts:
 *
 *   topology.ts     the address plan and the `ip` steps (pure)      netns-builder.ts runs them
 *   manifests.ts    the Nodes, pod statuses and Events it writes (pure)
 *   lab-pods.ts     LabPods: pods placed, plumbed, started, removed; kubectl logs/exec/attach
 *   services.ts     ClusterIP / NodePort / LoadBalancer allocation
 *   lab-loop.ts     LabLoop: watch Pods and Services, reconcile, settle()
 *   lab-context.ts  what the parts share (options, records, state, LabContext)
 *
 * - up: plans the topology, builds it, registers the workers (Kubernetes Node + Calico Node),
 *   starts one agent per worker (in process, `netns` = the worker), one responder per worker
 *   and client namespace (probes), optionally one ulogd per worker (logs.ts), then the loop.
 * - Growing a running lab: addWorker(), addClient(), listenOnWorker(), routeOnHost(). The plan
 *   is replaced, never edited.
 * - Dual stack (`dualStack: true`): workers and pods also get 2001:db8::/32 addresses inside
 *   the lab's namespaces, declared on Nodes and Pods; the agents program both families.
 * - State: `<stateDir>/lab.json` lists every namespace and process the lab created, written
 *   before the next step, so `tabby lab down` (even from another process) removes exactly that.
 *
 * Every wait is bounded; `down` runs even after a failed `up`.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { runAgent, type AgentHandle } from '../agent/main.js';
import { ResourceClient } from '../client/index.js';
import { openSqliteDatastore, type Datastore, type StoredObject } from '../datastore/index.js';
import { buildSnapshot } from '../engine/index.js';
import { inNetns, nodeRunner, type CommandRunner } from '../sys/index.js';
import { applyKubeProxy, renderKubeProxy } from './kube-proxy.js';
import { bounded, writeLabState, NFLOG_GROUP, RESPONDER_LIFETIME_MS, type LabContext, type LabOptions, type LabState, type PodRecord } from './lab-context.js';
import { LabLoop } from './lab-loop.js';
import { LabPods, type LabRuntime } from './lab-pods.js';
import { calicoNodeManifest, nodeManifest, publicHostEndpointManifest } from './manifests.js';
import { deleteNamespaces, runSteps } from './netns-builder.js';
import { PodProcess } from './pod-process.js';
import type { ProbeProto, ProbeResult } from './responder.js';
import { snapshotOf } from './snapshot.js';
import { startUlogd, type UlogdHandle } from './logs.js';
import { serveFaultRequests } from './faults/requests.js';
import { ControlPlane, stopMembers, type RemoteAgent } from './distributed/control-plane.js';
import { startMember, stopMember } from './distributed/members.js';
import { addHostSteps, addWorkerSteps, clientPlan, namespaces, planLab, planWithWorker, upSteps, type HostPlan, type LabPlan, type WorkerPlan } from './topology.js';

export { STATE_FILE, NFLOG_GROUP, type LabOptions, type LabState, type PodRecord } from './lab-context.js';
export type { LabRuntimeRefusal } from './lab-pods.js';
export { imagePorts, defaultCommand, podStatus, terminatedStatus } from './manifests.js';
export { snapshotOf } from './snapshot.js';

/** What the workers' host responders listen on: the kubelet and BigFix. */
const NODE_TCP = [10250, 52311];
/**
 * What the unrelated private system listens on: DNS, block storage (443, 3260), NFS (2049) and
 * one port nobody allows (8080), so R7's worker egress can be probed against it.
 */
const SYSTEM_TCP = [53, 443, 2049, 3260, 8080];
const SYSTEM_UDP = [53];

export function newPrefix(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return `tby${[...randomBytes(5)].map((b) => alphabet[b % alphabet.length]).join('')}`;
}

export class Lab {
  private _plan: LabPlan;
  readonly ds: Datastore;
  readonly client: ResourceClient;
  private readonly _runner: CommandRunner;
  private readonly _log: (line: string) => void;
  private readonly _ownsDs: boolean;
  private readonly _namespaces: string[] = [];
  private readonly _procs = new Map<string, PodProcess>();
  private readonly _agents: AgentHandle[] = [];
  /** The worker of each agent in `_agents` (same index). */
  private readonly _agentNodes: string[] = [];
  private _faultsDone: Promise<void> = Promise.resolve();
  /** A distributed lab's agents (processes; their progress is read from their Nodes). */
  private readonly _remote: RemoteAgent[] = [];
  private readonly _ulogds: UlogdHandle[] = [];
  private readonly _ac = new AbortController();
  private readonly _pods: LabPods;
  private readonly _loop: LabLoop;
  private _loopDone: Promise<void> = Promise.resolve();
  private _ready = false;
  private _down = false;
  private _logFiles: Record<string, string> = {};

  private constructor(
    readonly opts: LabOptions,
    plan: LabPlan,
    ds: Datastore,
    ownsDs: boolean,
    private readonly _cp?: ControlPlane,
  ) {
    this._plan = plan;
    this.ds = ds;
    this._ownsDs = ownsDs;
    this.client = new ResourceClient(ds);
    this._runner = opts.runner ?? nodeRunner;
    this._log = opts.log ?? ((): void => undefined);
    const ctx: LabContext = {
      opts,
      ds,
      client: this.client,
      runner: this._runner,
      log: this._log,
      plan: () => this._plan,
      procs: this._procs,
      trackNamespace: (ns) => {
        this._namespaces.push(ns);
        this._saveState();
      },
      untrackNamespace: (ns) => {
        const i = this._namespaces.indexOf(ns);
        if (i >= 0) this._namespaces.splice(i, 1);
        this._saveState();
      },
      saveState: () => this._saveState(),
      noteWrite: (o) => this._loop.noteWrite(o),
      markDirty: () => this._loop.markDirty(),
    };
    this._pods = new LabPods(ctx);
    this._loop = new LabLoop(ctx, this._pods, () => [...this._agents, ...this._remote]);
  }

  /** The topology; replaced (never edited) when a worker or a client host is added. */
  get plan(): LabPlan {
    return this._plan;
  }

  /** The last reconcile error (undefined after a good pass). */
  get lastError(): string | undefined {
    return this._loop.lastError;
  }

  /** Builds the lab; on failure everything already created is removed and the error rethrown. */
  static async up(opts: LabOptions): Promise<Lab> {
    mkdirSync(opts.stateDir, { recursive: true });
    const plan = planLab({
      prefix: opts.prefix ?? newPrefix(),
      workers: opts.workers,
      ...(opts.nodeNames === undefined ? {} : { nodeNames: opts.nodeNames }),
      ...(opts.nodeLabels === undefined ? {} : { nodeLabels: opts.nodeLabels }),
      ...(opts.dualStack === true ? { dualStack: true } : {}),
      ...(opts.distributed === undefined ? {} : { controlPlane: { etcd: opts.distributed.etcd, apiservers: opts.distributed.apiservers } }),
    });
    if (opts.distributed !== undefined) return Lab._upDistributed(opts, plan);
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

  /**
   * The distributed lab: the namespaces, then the control plane (etcd, API servers, relay: its
   * datastore is the API servers), then the rest as usual with agents as joined processes. The
   * state file lists every namespace and the member list before the next step.
   */
  private static async _upDistributed(opts: LabOptions, plan: LabPlan): Promise<Lab> {
    const d = opts.distributed!;
    if (opts.datastore !== undefined) throw new Error('lab: a distributed lab stores through its API servers; pass no datastore');
    const runner = opts.runner ?? nodeRunner;
    const log = opts.log ?? ((): void => undefined);
    const created: string[] = [];
    const cp = new ControlPlane({ stateDir: opts.stateDir, plan, tabbyArgv: d.tabbyArgv, newCa: d.newCa, ...(d.etcdBin === undefined ? {} : { etcdBin: d.etcdBin }), ...(opts.dataplane === undefined ? {} : { dataplane: opts.dataplane }), nflogGroup: NFLOG_GROUP, runner, log });
    const pre = (): void => {
      const st: LabState = { version: 1, prefix: plan.prefix, stateDir: opts.stateDir, plan, namespaces: [...created], pids: [], pods: [], logFiles: {}, daemonPid: process.pid, ready: false, distributed: cp.state() };
      writeLabState(opts.stateDir, st);
    };
    try {
      pre();
      await runSteps(runner, upSteps(plan), (ns) => {
        created.push(ns);
        pre();
      });
      await cp.start();
      pre();
    } catch (e) {
      await cp.close();
      for (const err of await stopMembers(opts.stateDir)) log(err);
      for (const err of await deleteNamespaces(runner, plan.prefix, [...created].reverse())) log(err);
      throw e;
    }
    const lab = new Lab(opts, plan, cp.datastore, false, cp);
    lab._namespaces.push(...created);
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
    if (this._cp === undefined) await runSteps(this._runner, upSteps(this.plan), (ns) => this._track(ns));
    for (const w of this.plan.workers) await applyKubeProxy(inNetns(this._runner, w.netns), renderKubeProxy(buildSnapshot([]), this.plan, w));
    this._noteWrite((await this.client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } })).object);
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
    // A distributed lab's agents join in parallel (each: a token made on the control plane, then the agent process).
    if (this._cp !== undefined) await Promise.all(this.plan.workers.map((w) => this._startAgent(w)));
    else for (const w of this.plan.workers) await this._startAgent(w);
    this._loopDone = this._loop.run(this._ac.signal);
    // `tabby lab fault restart agent W` from another process (faults/requests.ts).
    this._faultsDone = serveFaultRequests(this.opts.stateDir, async (r) => {
      await this.restartAgent(r.node);
      return `agent ${r.node} restarted`;
    }, this._ac.signal, this._log);
    // Ready (in the state file, which `tabby lab up` waits for) once every agent programmed the lab's writes.
    await this.settle(undefined, this._cp === undefined ? 30_000 : 180_000);
    this._ready = true;
    this._saveState();
  }

  private _track(ns: string): void {
    this._namespaces.push(ns);
    this._saveState();
  }

  private _noteWrite(o: StoredObject): void {
    this._loop.noteWrite(o);
  }

  private async _startLogs(w: WorkerPlan): Promise<void> {
    if (!(this.opts.logs ?? true)) return;
    const u = await startUlogd(this.opts.stateDir, w.name, w.netns, NFLOG_GROUP, this._log);
    if (u === undefined) return;
    this._ulogds.push(u);
    this._logFiles[w.name] = u.logFile;
    this._saveState();
  }

  private async _startAgent(w: WorkerPlan): Promise<void> {
    if (this._cp !== undefined) {
      this._remote.push(await this._cp.startAgent(w));
      this._saveState();
      return;
    }
    this._agents.push(this._newAgent(w));
    this._agentNodes.push(w.name);
  }

  /**
   * Restarts worker `name`'s agent (the fault `restart agent`): the running one stops (its rules
   * stay programmed, as when Felix stops), then a new one starts as any agent does: fail-closed
   * rules first, a fresh list of the datastore, then its first full apply. In the single-machine
   * lab the agents run inside this process, so this is a stop and a start; in the distributed
   * lab the agent's process is killed (SIGKILL) and started again from its member record.
   */
  async restartAgent(name: string): Promise<void> {
    if (this._down) throw new Error('lab: down');
    const w = this.plan.workers.find((x) => x.name === name);
    if (w === undefined) throw new Error(`lab: no worker ${JSON.stringify(name)} (workers: ${this.plan.workers.map((x) => x.name).join(', ')})`);
    if (this._cp !== undefined) {
      await stopMember(this.opts.stateDir, `agent-${name}`, 'SIGKILL');
      await startMember(this.opts.stateDir, `agent-${name}`);
      this._log(`lab: agent ${name} killed and started again`);
      return;
    }
    const i = this._agentNodes.indexOf(name);
    if (i < 0) throw new Error(`lab: worker ${name} has no agent`);
    await bounded(this._agents[i]!.stop(), 10_000, `lab: agent ${name} did not stop`);
    this._agents[i] = this._newAgent(w);
    this._log(`lab: agent ${name} restarted`);
  }

  private _newAgent(w: WorkerPlan): AgentHandle {
    return (
      runAgent({
        node: w.name,
        datastore: this.ds,
        runner: this._runner,
        netns: w.netns,
        nflogGroup: NFLOG_GROUP,
        // Flow logs (issue 17): on unless FelixConfiguration's flowLogsLocalReporter says Disabled
        // (or the lab was started with flowLogs: false); events go to <stateDir>/flows-<worker>.jsonl.
        ...(this.opts.flowLogs === false ? {} : { flowLogDir: this.opts.stateDir, flowLogsDefault: true, conntrackAcct: true }),
        minApplyIntervalMs: 20,
        ...(this.opts.dataplane === undefined ? {} : { dataplane: this.opts.dataplane }),
        ...(this.opts.iptablesBackend === undefined ? {} : { iptablesBackend: this.opts.iptablesBackend }),
        ...(this.plan.dualStack === true ? { ipv6: true } : {}),
        log: (m) => this._log(`agent ${w.name}: ${m}`),
      })
    );
  }

  /** The Kubernetes Node the lab registers for a worker (manifests.ts). */
  static nodeManifest(plan: LabPlan, w: WorkerPlan, now: Date = new Date()): Record<string, unknown> {
    return nodeManifest(plan, w, now);
  }

  private async _registerNode(w: WorkerPlan): Promise<void> {
    this._noteWrite((await this.client.apply(nodeManifest(this.plan, w))).object);
    this._noteWrite((await this.client.apply(calicoNodeManifest(w))).object);
    if (this.opts.hostEndpoints === true) this._noteWrite((await this.client.apply(publicHostEndpointManifest(w))).object);
  }

  /**
   * Adds a worker to the running lab (R7: "a worker added later"): its namespace and wiring,
   * routes to its pod range on the other workers, its Nodes (Kubernetes and Calico), responder,
   * ulogd and agent; every worker's kube-proxy is re-rendered. Waits until it is programmed.
   */
  async addWorker(): Promise<WorkerPlan> {
    if (this._down) throw new Error('lab: down');
    const { plan, worker } = planWithWorker(this.plan);
    await runSteps(this._runner, addWorkerSteps(this.plan, worker), (ns) => this._track(ns));
    this._plan = plan;
    this._saveState();
    await applyKubeProxy(inNetns(this._runner, worker.netns), renderKubeProxy((await snapshotOf(this.ds)).snapshot, this.plan, worker));
    await this._listen(worker.netns, `node:${worker.name}`, NODE_TCP, []);
    await this._startLogs(worker);
    await this._registerNode(worker);
    await this._startAgent(worker);
    this._loop.forgetNat(); // TABBY-NAT-OUTGOING lists every worker
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
    await runSteps(this._runner, addHostSteps(this.plan, host), (ns) => this._track(ns));
    this._plan = { ...this.plan, clients: [...(this.plan.clients ?? []), host] };
    await this._listen(host.netns, name, ports.tcp ?? [], ports.udp ?? []);
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
    await this._listen(w.netns, name, ports, []);
  }

  private async _listen(netns: string, name: string, tcp: readonly number[], udp: readonly number[]): Promise<void> {
    const proc = new PodProcess(netns, { name, tcp: [...tcp], udp: [...udp], maxLifetimeMs: RESPONDER_LIFETIME_MS });
    this._procs.set(name, proc);
    this._saveState();
    await proc.ready();
  }

  state(): LabState {
    return {
      version: 1,
      prefix: this.plan.prefix,
      stateDir: this.opts.stateDir,
      plan: this.plan,
      namespaces: [...this._namespaces],
      pids: [...this._procs.values(), ...this._ulogds].map((p) => p.pid).filter((p): p is number => p !== undefined),
      pods: this._pods.records(),
      logFiles: { ...this._logFiles },
      daemonPid: process.pid,
      ready: this._ready,
      ...(this._cp === undefined ? {} : { distributed: this._cp.state() }),
      ...(this._cp !== undefined ? {} : this.opts.datastore === undefined ? { datastorePath: join(this.opts.stateDir, 'tabby.db') } : this.opts.datastorePath === undefined ? {} : { datastorePath: this.opts.datastorePath }),
    };
  }

  private _saveState(): void {
    if (this._down) return;
    writeLabState(this.opts.stateDir, this.state());
  }

  pods(): readonly PodRecord[] {
    return this._pods.records();
  }

  pod(key: string): PodRecord | undefined {
    return this._pods.get(key.includes('/') ? key : `default/${key}`);
  }

  /** The PodRuntime the API server uses for pods/log, exec and attach. */
  runtime(): LabRuntime {
    return this._pods.runtime();
  }

  /**
   * Waits (bounded) until the controller has handled every Pod/Service change up to now, and
   * every agent has programmed the datastore as of then (including the controller's writes).
   */
  settle(minRevision?: string, timeoutMs = 30_000): Promise<void> {
    // A distributed lab's agents are processes reporting through the API servers (and the
    // controller reads and writes through them too): on a loaded machine that takes longer.
    return this._loop.settle(minRevision, this._cp === undefined ? timeoutMs : Math.max(timeoutMs, 90_000));
  }

  /** Runs one probe from a pod (`ns/name`), a worker (`node:<name>`), `internet`, `system` or a client host (addClient). */
  async probe(from: string, proto: ProbeProto, ip: string, port: number, timeoutMs: number): Promise<ProbeResult> {
    const key = this._procs.has(from) || from.includes('/') ? from : `default/${from}`;
    const p = this._procs.get(key);
    if (p === undefined) return 'error';
    return p.probe(proto, ip, port, timeoutMs);
  }

  /**
   * Forgets every tracked connection on the workers (`conntrack -F`, both families), so the
   * next probes are new flows: a UDP or ICMP probe reusing the 5-tuple of one allowed earlier
   * would otherwise ride the old conntrack entry. Returns false when the conntrack tool is missing.
   */
  async flushConntrack(): Promise<boolean> {
    const families = this.plan.dualStack === true ? [['-f', 'ipv4'], ['-f', 'ipv6']] : [[]];
    const rs = await Promise.all(this.plan.workers.flatMap((w) => families.map((f) => inNetns(this._runner, w.netns).run({ argv: ['conntrack', '-F', ...f], timeoutMs: 10_000 }))));
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
    await bounded(this._loopDone, 10_000, 'lab: controller did not stop').catch(() => undefined);
    await bounded(this._faultsDone, 5_000, 'lab: fault channel did not stop').catch(() => undefined);
    for (const a of this._agents) await bounded(a.stop(), 10_000, 'agent stop').catch(() => undefined);
    for (const u of this._ulogds) await u.stop();
    await Promise.all([...this._procs.values()].map((p) => p.stop()));
    this._pods.stopAll();
    const memberErrors: string[] = [];
    if (this._cp !== undefined) {
      await this._cp.close();
      memberErrors.push(...(await stopMembers(this.opts.stateDir)));
    }
    const infra = namespaces(this.plan);
    const pods = this._namespaces.filter((n) => !infra.includes(n));
    const errors = [...memberErrors, ...(await deleteNamespaces(this._runner, this.plan.prefix, [...pods, ...this._namespaces.filter((n) => infra.includes(n)).reverse()]))];
    this._down = true;
    if (this._ownsDs) await this.ds.close();
    return errors;
  }
}
