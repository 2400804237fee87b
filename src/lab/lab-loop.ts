/**
 * @module LabLoop: the lab controller's reconcile loop. It watches Pods and Services; on any
 * change (and every 2 s) it reconciles: pods placed or removed (LabPods), Service addresses
 * allocated (services.ts), every pod's /etc/hosts, and each worker's kube-proxy nat table
 * re-rendered when its text changed. `settle()` waits, bounded, until the loop has handled every
 * change up to now and every agent has programmed the latest write.
 */
import type { AgentHandle } from '../agent/main.js';
import type { ResourceType, StoredObject } from '../datastore/index.js';
import { inNetns } from '../sys/index.js';
import { applyKubeProxy, renderKubeProxy } from './kube-proxy.js';
import { bounded, POD_TYPE, SVC_TYPE, type LabContext, type Obj } from './lab-context.js';
import type { LabPods } from './lab-pods.js';
import { allocateServices, serviceNames } from './services.js';
import { snapshotOf } from './snapshot.js';

export class LabLoop {
  private _dirty = true;
  private _wake: (() => void) | undefined;
  private _reconciled = -1n;
  private _lastWrite = 0n;
  private readonly _natText = new Map<string, string>();
  lastError: string | undefined;

  constructor(
    private readonly ctx: LabContext,
    private readonly pods: LabPods,
    private readonly agents: () => readonly Pick<AgentHandle, 'whenProgrammed'>[],
  ) {}

  markDirty(): void {
    this._dirty = true;
    this._wake?.();
  }

  /** A write of the lab's own (settle waits for the agents to program it). */
  noteWrite(o: StoredObject): void {
    const rv = o.metadata.resourceVersion;
    if (rv !== undefined && /^\d+$/.test(rv) && BigInt(rv) > this._lastWrite) this._lastWrite = BigInt(rv);
  }

  /** Forget the kube-proxy texts (a new worker changes every worker's NAT-outgoing rules). */
  forgetNat(): void {
    this._natText.clear();
  }

  async run(signal: AbortSignal): Promise<void> {
    const watchers = [POD_TYPE, SVC_TYPE].map((t) => this._watch(t, signal));
    const stop = (): void => this._wake?.();
    signal.addEventListener('abort', stop);
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
        this._dirty = true; // woken, or the periodic resync
      }
      this._dirty = false;
      try {
        const rev = await this._reconcile();
        if (rev > this._reconciled) this._reconciled = rev;
        this.lastError = undefined;
      } catch (e) {
        this.lastError = e instanceof Error ? e.message : String(e);
        this.ctx.log(`lab: reconcile failed: ${this.lastError}`);
        this._dirty = true;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    signal.removeEventListener('abort', stop);
    await Promise.all(watchers);
  }

  private async _watch(t: ResourceType, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        const { revision } = await this.ctx.ds.list(t);
        this.markDirty();
        for await (const _ev of this.ctx.ds.watch(t, revision, signal)) this.markDirty();
      } catch (e) {
        if (signal.aborted) break;
        this.ctx.log(`lab: watch ${t.plural}: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (!signal.aborted) await new Promise((r) => setTimeout(r, 200));
    }
  }

  private async _reconcile(): Promise<bigint> {
    const { ctx } = this;
    const pods = await ctx.ds.list(POD_TYPE);
    await this.pods.reconcile(pods.items as Obj[]);
    if (!(await allocateServices(ctx.ds, ctx.plan(), (o) => this.noteWrite(o)))) this._dirty = true;
    await this.pods.writeEtc(await serviceNames(ctx.ds));
    const { snapshot } = await snapshotOf(ctx.ds);
    for (const w of ctx.plan().workers) {
      const text = renderKubeProxy(snapshot, ctx.plan(), w);
      if (this._natText.get(w.name) === text) continue;
      await applyKubeProxy(inNetns(ctx.runner, w.netns), text);
      this._natText.set(w.name, text);
    }
    return BigInt(pods.revision);
  }

  /**
   * Waits (bounded) until the loop has handled every Pod/Service change up to now, and every
   * agent has programmed the datastore as of then (including the lab's own writes).
   */
  async settle(minRevision?: string, timeoutMs = 30_000): Promise<void> {
    const t0 = performance.now();
    const deadline = (): number => timeoutMs - (performance.now() - t0);
    for (let round = 0; round < 20; round++) {
      const { revision } = await this.ctx.ds.list(POD_TYPE);
      let target = BigInt(revision);
      if (minRevision !== undefined && BigInt(minRevision) > target) target = BigInt(minRevision);
      this.markDirty();
      while (this._reconciled < target) {
        if (deadline() <= 0) throw new Error(`lab: not settled after ${timeoutMs} ms (controller at ${this._reconciled}, want ${target})${this.lastError ? `: ${this.lastError}` : ''}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      // Agents advance only on changes that matter to them (not on their own status annotations),
      // so wait for the writes we know of: the caller's and the controller's.
      const min = minRevision !== undefined ? BigInt(minRevision) : 0n;
      const want = (this._lastWrite > min ? this._lastWrite : min).toString();
      await bounded(Promise.all(this.agents().map((a) => a.whenProgrammed(want, Math.max(1, deadline())))), Math.max(1, deadline()), `lab: agents did not program revision ${want}`);
      const after = await this.ctx.ds.list(POD_TYPE);
      if (after.revision === revision && !this._dirty) return;
    }
  }
}
