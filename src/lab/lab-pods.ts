/**
 * @module LabPods: the lab's scheduler, kubelet and CNI for Pods. For each Pod in the datastore
 * (not hostNetwork) it places the pod on a worker (its `spec.nodeName`, else round-robin), gives
 * it a namespace `<prefix>-pN`, an address from the worker's pod range (and, dual stack, the
 * same host number from the worker's IPv6 range), a responder on its container ports, its
 * command, /etc/hosts and resolv.conf, and writes back `spec.nodeName` and a kubelet's status.
 * A deleted (or re-created) Pod loses all of that. It also serves the pod runtime the API server
 * uses for `kubectl logs/exec/attach`.
 */
import { closeSync, existsSync, mkdirSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConflictError, NotFoundError, type StoredObject } from '../datastore/index.js';
import { workloadInterfaceName } from '../engine/index.js';
import { hostsFile, removePodEtc, resolvConf, writePodEtc, type ServiceName } from './hosts.js';
import { POD_TYPE, RESPONDER_LIFETIME_MS, type LabContext, type Obj, type PodRecord } from './lab-context.js';
import { containerPlan, imagePorts, podEventManifest, podStatus, terminatedStatus } from './manifests.js';
import { deleteNamespaces, plumbPod } from './netns-builder.js';
import { CommandProcess, PodProcess } from './pod-process.js';
import { serviceNames } from './services.js';
import { hostInCidr24, hostInCidr64, type WorkerPlan } from './topology.js';

/** What `PodRuntime` (src/apiserver/pod-runtime.ts) asks of the lab; structural, the CLI wires it. */
export interface LabRuntimeRefusal {
  readonly refused: true;
  readonly code: number;
  readonly reason: string;
  readonly message: string;
}

export interface LabRuntime {
  readLog(pod: StoredObject, container: string, offset: number): Promise<{ data: Uint8Array; next: number; running: boolean } | LabRuntimeRefusal>;
  exec(pod: StoredObject, container: string, argv: readonly string[], tty: boolean): Promise<CommandProcess | LabRuntimeRefusal>;
  attach(pod: StoredObject, container: string, tty: boolean): Promise<CommandProcess | LabRuntimeRefusal>;
}

type _Exit = { code: number; startedAt: string; finishedAt: string };
const _now = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

export class LabPods {
  private readonly _pods = new Map<string, PodRecord>();
  private readonly _mains = new Map<string, CommandProcess>();
  private readonly _exits = new Map<string, _Exit>();
  private readonly _etcText = new Map<string, string>();
  private _seq = 0;
  private _rr = 0;

  constructor(private readonly ctx: LabContext) {}

  records(): PodRecord[] {
    return [...this._pods.values()];
  }

  get(key: string): PodRecord | undefined {
    return this._pods.get(key);
  }

  /** Brings the placed pods in line with the Pods listed. */
  async reconcile(items: readonly Obj[]): Promise<void> {
    const seen = new Set<string>();
    for (const o of items) {
      if (o.spec?.['hostNetwork'] === true) continue;
      const key = `${o.metadata.namespace ?? 'default'}/${o.metadata.name ?? ''}`;
      const uid = o.metadata.uid ?? '';
      seen.add(key);
      const rec = this._pods.get(key);
      if (rec !== undefined && rec.uid !== uid) await this._remove(rec);
      if (rec === undefined || rec.uid !== uid) await this._add(key, o);
      else if (o.status?.['podIP'] !== rec.ip || o.spec?.['nodeName'] !== rec.node || o.status['phase'] !== this._phase(key) || !Array.isArray(o.status['containerStatuses']))
        await this._writeStatus(key, rec);
    }
    for (const rec of [...this._pods.values()]) if (!seen.has(rec.key)) await this._remove(rec);
  }

  /** Every pod's /etc/hosts follows the Services (hosts.ts). */
  async writeEtc(services?: readonly ServiceName[]): Promise<void> {
    const s = services ?? (await serviceNames(this.ctx.ds));
    for (const rec of this._pods.values()) this._writeEtcFor(rec, s);
  }

  /** On lab down: ends every pod command and removes the pods' /etc files (namespaces go with the lab). */
  stopAll(): void {
    for (const m of this._mains.values()) m.kill();
    for (const rec of this._pods.values()) removePodEtc(rec.netns);
  }

  private _worker(name: unknown): WorkerPlan {
    const workers = this.ctx.plan().workers;
    const named = workers.find((w) => w.name === name);
    if (named) return named;
    const w = workers[this._rr % workers.length]!;
    this._rr++;
    return w;
  }

  private async _add(key: string, o: Obj): Promise<void> {
    const { ctx } = this;
    const worker = this._worker(o.spec?.['nodeName']);
    const used = new Set([...this._pods.values()].filter((p) => p.node === worker.name).map((p) => p.ip));
    let k = 2;
    while (k <= 254 && used.has(hostInCidr24(worker.podCidr, k))) k++;
    if (k > 254) throw new Error(`no free pod address on ${worker.name}`);
    const ip = hostInCidr24(worker.podCidr, k);
    const ip6 = worker.podCidr6 === undefined ? undefined : hostInCidr64(worker.podCidr6, k);
    const c = containerPlan(o.spec);
    const [ns, name] = key.split('/') as [string, string];
    const rec: PodRecord = {
      key,
      uid: o.metadata.uid ?? '',
      netns: `${ctx.plan().prefix}-p${++this._seq}`,
      ip,
      ...(ip6 === undefined ? {} : { ip6 }),
      node: worker.name,
      iface: workloadInterfaceName(ns, name),
      tcp: c.tcp,
      udp: c.udp,
      logFile: join(ctx.opts.stateDir, 'pods', `${ns}_${name}_${o.metadata.uid ?? ''}.log`),
      image: c.image,
      ...(c.command === undefined ? {} : { command: c.command }),
    };
    this._pods.set(key, rec);
    mkdirSync(join(ctx.opts.stateDir, 'pods'), { recursive: true });
    writeFileSync(rec.logFile!, '');
    await plumbPod(ctx.runner, { worker, netns: rec.netns, iface: rec.iface, ip, ...(ip6 === undefined ? {} : { ip6 }) }, (n) => ctx.trackNamespace(n));
    this._writeEtcFor(rec, await serviceNames(ctx.ds));
    await this._event(o, 'Scheduled', `Successfully assigned ${key} to ${worker.name}`, 'default-scheduler');
    const logsAccess = imagePorts(c.image).length > 0; // nginx writes an access log
    const proc = new PodProcess(rec.netns, { name: key, tcp: rec.tcp, udp: rec.udp, maxLifetimeMs: RESPONDER_LIFETIME_MS, ...(logsAccess ? { logFile: rec.logFile! } : {}) });
    ctx.procs.set(key, proc);
    ctx.saveState();
    await proc.ready();
    await this._event(o, 'Pulled', `Container image "${c.image}" already present on machine`, 'kubelet', worker.name);
    await this._event(o, 'Created', `Created container: ${c.name}`, 'kubelet', worker.name);
    if (c.command !== undefined) this._startMain(key, rec, c.command, c.tty);
    await this._event(o, 'Started', `Started container ${c.name}`, 'kubelet', worker.name);
    await this._writeStatus(key, rec);
    ctx.log(`lab: pod ${key} on ${worker.name} at ${ip}${ip6 === undefined ? '' : ` and ${ip6}`} (netns ${rec.netns})`);
  }

  private async _remove(rec: PodRecord): Promise<void> {
    const { ctx } = this;
    this._pods.delete(rec.key);
    this._mains.get(rec.key)?.kill();
    this._mains.delete(rec.key);
    this._exits.delete(rec.key);
    this._etcText.delete(rec.key);
    removePodEtc(rec.netns);
    if (rec.logFile !== undefined) rmSync(rec.logFile, { force: true });
    const p = ctx.procs.get(rec.key);
    ctx.procs.delete(rec.key);
    await p?.stop();
    const errs = await deleteNamespaces(ctx.runner, ctx.plan().prefix, [rec.netns]);
    if (errs.length > 0) throw new Error(errs.join('; '));
    // The veth's worker end went with the pod namespace; the routes with it.
    ctx.untrackNamespace(rec.netns);
    ctx.log(`lab: pod ${rec.key} removed`);
  }

  private async _writeStatus(key: string, rec: PodRecord): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    for (let i = 0; i < 10; i++) {
      let cur: Obj;
      try {
        cur = (await this.ctx.ds.get({ ...POD_TYPE, namespace, name })) as Obj;
      } catch (e) {
        if (e instanceof NotFoundError) return;
        throw e;
      }
      if ((cur.metadata.uid ?? '') !== rec.uid) return;
      const status = podStatus(cur, rec, this.ctx.plan().workers.find((w) => w.name === rec.node)?.privateIp);
      const exit = this._exits.get(key);
      const next = { ...cur, spec: { ...(cur.spec ?? {}), nodeName: rec.node }, status: exit === undefined ? status : terminatedStatus(status, exit) };
      try {
        this.ctx.noteWrite(await this.ctx.ds.update(POD_TYPE, next));
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
    const startedAt = _now();
    const main = new CommandProcess(rec.netns, command, { tty, hostname: key.split('/')[1] ?? '', ...(rec.logFile === undefined ? {} : { logFile: rec.logFile }) });
    this._mains.set(key, main);
    void main.exit.then(({ code }) => {
      if (this._pods.get(key) !== rec) return;
      this._exits.set(key, { code, startedAt, finishedAt: _now() });
      this.ctx.log(`lab: pod ${key}: command exited with ${code}`);
      this.ctx.markDirty();
    });
  }

  private _writeEtcFor(rec: PodRecord, services: readonly ServiceName[]): void {
    const [namespace, name] = rec.key.split('/') as [string, string];
    const text = hostsFile({ namespace, name, ip: rec.ip }, services);
    if (this._etcText.get(rec.key) === text) return;
    writePodEtc(rec.netns, text, resolvConf(namespace));
    this._etcText.set(rec.key, text);
  }

  private async _event(o: StoredObject, reason: string, message: string, component: string, host?: string): Promise<void> {
    if (this.ctx.opts.events !== true) return;
    try {
      await this.ctx.client.create(podEventManifest(o, reason, message, component, host, this._seq));
    } catch (e) {
      this.ctx.log(`lab: event ${reason} for ${o.metadata.name ?? ''}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private _running(pod: StoredObject, container: string, forExec: boolean): PodRecord | LabRuntimeRefusal {
    const key = `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name ?? ''}`;
    const rec = this._pods.get(key);
    if (rec === undefined || rec.uid !== (pod.metadata.uid ?? ''))
      return { refused: true, code: 400, reason: 'BadRequest', message: `container ${container} is not running in pod ${pod.metadata.name ?? ''}: the lab has not started it (yet)` };
    if (forExec && this._exits.has(key))
      return { refused: true, code: 400, reason: 'BadRequest', message: `cannot exec into a container in a completed pod; current phase is ${this._phase(key)}` };
    return rec;
  }

  /** The PodRuntime the API server uses for pods/log, exec and attach. */
  runtime(): LabRuntime {
    return {
      readLog: async (pod, container, offset) => {
        const rec = this._running(pod, container, false);
        if ('refused' in rec) return rec;
        const running = !this._exits.has(rec.key);
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
        const rec = this._running(pod, container, true);
        if ('refused' in rec) return rec;
        return new CommandProcess(rec.netns, argv, { tty, hostname: pod.metadata.name ?? '' });
      },
      attach: async (pod, container, _tty) => {
        const rec = this._running(pod, container, true);
        if ('refused' in rec) return rec;
        const main = this._mains.get(rec.key);
        if (main === undefined || !main.running)
          return { refused: true, code: 400, reason: 'BadRequest', message: `container ${container} in pod ${pod.metadata.name ?? ''} runs no attachable process (the lab attaches to a pod's command; image ${rec.image ?? ''} has none)` };
        return main;
      },
    };
  }
}
