/**
 * @module AgentLoop: the dataplane side of the agent (Felix's `int_dataplane` apply loop).
 *
 *   dirty → (in sync?) → wait out the rate limit → compute → render →
 *   ipsets.applyAdds → raw, mangle, filter apply → ipsets.applyRemovals → publish status
 *
 * - Fail closed: `start` installs the fail-closed chains in the filter table before anything
 *   else; the first in-sync apply replaces them (the table sweeps them in the same restore).
 * - Rate limit and coalescing: applies are at least `minApplyIntervalMs` apart (default 50 ms);
 *   changes arriving meanwhile only set the dirty flag, so a burst costs one apply.
 * - Only what changed is written: the tables and the IP set applier diff against what they last
 *   applied (unchanged chains are neither re-hashed nor rewritten).
 * - Drift: every `refreshIntervalMs` (default 90 s) the tables and IP sets are re-read from the
 *   kernel and repaired.
 * - Failure: logged, the loop stays dirty and retries with backoff (up to 5 s).
 * - Status: after an apply, if the revision or the programmed policies changed, `publish` is
 *   called (best effort; a failure is retried on the next apply).
 */
import { setTimeout as sleepReal } from 'node:timers/promises';
import { computeDesiredState, programmedPolicies, type DesiredState, type Snapshot } from '../engine/index.js';
import { render, type RenderedDataplane } from '../dataplane/render/index.js';
import type { IptablesTable } from '../dataplane/iptables/table.js';
import type { IpsetApplier } from '../dataplane/ipset/ipset-applier.js';
import type { EffectiveFelixConfig } from '../model/calico/felix-configuration.js';
import type { Clock } from '../sys/index.js';
import type { NodeStatus } from './status.js';

/** What the loop needs from the syncer. */
export interface SyncSource {
  readonly inSync: boolean;
  readonly revision: string;
  snapshot(): Snapshot;
  felixConfig(node: string): EffectiveFelixConfig;
}

export interface AgentLoopOptions {
  readonly node: string;
  readonly source: SyncSource;
  readonly tables: { readonly raw: IptablesTable; readonly mangle: IptablesTable; readonly filter: IptablesTable };
  readonly ipsets: IpsetApplier;
  readonly clock: Clock;
  readonly nflogGroup?: number;
  readonly minApplyIntervalMs?: number;
  readonly refreshIntervalMs?: number;
  readonly publish?: (s: NodeStatus) => Promise<void>;
  readonly now?: () => Date;
  readonly log?: (msg: string) => void;
}

export interface ApplyRecord {
  readonly revision: string;
  readonly policies: readonly string[];
  /** From the first change noticed (markDirty) to the end of the apply. */
  readonly latencyMs: number;
  /** Duration of compute + render alone. */
  readonly computeMs: number;
  readonly changed: boolean;
}

/** How long `whenProgrammed` waits by default. */
export const DEFAULT_PROGRAMMED_TIMEOUT_MS = 60_000;

export class AgentLoop {
  private readonly _o: AgentLoopOptions;
  private readonly _minInterval: number;
  private readonly _refreshInterval: number;
  private readonly _log: (msg: string) => void;
  private _dirty = true;
  private _dirtySince: number | undefined;
  private _wake: (() => void) | undefined;
  private _lastApplyAt = -Infinity;
  private _lastRefreshAt: number;
  private _published: string | undefined;
  private readonly _waiters: { rev: bigint; resolve: () => void }[] = [];
  /** The last successful apply. */
  last: ApplyRecord | undefined;
  lastDesired: DesiredState | undefined;
  lastRendered: RenderedDataplane | undefined;
  applies = 0;
  failures = 0;

  constructor(opts: AgentLoopOptions) {
    this._o = opts;
    this._minInterval = opts.minApplyIntervalMs ?? 50;
    this._refreshInterval = opts.refreshIntervalMs ?? 90_000;
    this._log = opts.log ?? ((): void => undefined);
    this._lastRefreshAt = opts.clock.now();
  }

  /** Something changed; the loop will recompute (coalesced with other changes). */
  markDirty(): void {
    if (this._dirtySince === undefined) this._dirtySince = this._o.clock.now();
    this._dirty = true;
    const w = this._wake;
    this._wake = undefined;
    w?.();
  }

  /**
   * Resolves once an apply at a revision ≥ `revision` has succeeded; rejects after `timeoutMs`
   * (real time, default 60 s) naming the node, the revision waited for and the last one
   * programmed. Every wait is bounded.
   */
  whenProgrammed(revision: string, timeoutMs = DEFAULT_PROGRAMMED_TIMEOUT_MS): Promise<void> {
    const rev = BigInt(revision);
    if (this.last !== undefined && BigInt(this.last.revision) >= rev) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = {
        rev,
        resolve: (): void => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        const i = this._waiters.indexOf(waiter);
        if (i >= 0) this._waiters.splice(i, 1);
        const last = this.last === undefined ? 'nothing programmed yet' : `last programmed revision ${this.last.revision}`;
        reject(new Error(`agent ${this._o.node}: revision ${revision} not programmed within ${timeoutMs} ms (${last}; ${this.applies} applies, ${this.failures} failed; in sync: ${this._o.source.inSync})`));
      }, timeoutMs);
      this._waiters.push(waiter);
    });
  }

  /** Installs the fail-closed rules, then loops until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    try {
      await this._o.tables.filter.failClosed();
    } catch (e) {
      this._log(`fail-closed rules not installed: ${e instanceof Error ? e.message : String(e)}`);
    }
    const onAbort = (): void => this._wake?.();
    signal.addEventListener('abort', onAbort);
    let backoff = 100;
    try {
      while (!signal.aborted) {
        if (!this._dirty || !this._o.source.inSync) {
          await this._idle(signal);
          if (signal.aborted) break;
          if (this._o.clock.now() - this._lastRefreshAt >= this._refreshInterval) await this._refresh();
          continue;
        }
        const wait = this._lastApplyAt + this._minInterval - this._o.clock.now();
        if (wait > 0) await this._o.clock.sleep(wait);
        if (signal.aborted) break;
        this._dirty = false;
        const since = this._dirtySince;
        this._dirtySince = undefined;
        try {
          await this.applyOnce(since);
          backoff = 100;
        } catch (e) {
          this.failures++;
          this._log(`apply failed: ${e instanceof Error ? e.message : String(e)}; retrying in ${backoff} ms`);
          this._dirty = true;
          this._dirtySince ??= since;
          await this._o.clock.sleep(backoff);
          backoff = Math.min(backoff * 2, 5000);
        }
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** One compute → render → apply pass (exposed for tests and benchmarks). */
  async applyOnce(dirtySince?: number): Promise<ApplyRecord> {
    const { clock, source, tables, ipsets, node } = this._o;
    const t0 = clock.now();
    const revision = source.revision;
    const desired = computeDesiredState(source.snapshot(), node, source.felixConfig(node), this._o.nflogGroup === undefined ? {} : { nflogGroup: this._o.nflogGroup });
    const rendered = render(desired);
    const computeMs = clock.now() - t0;
    ipsets.setIpSets(rendered.ipSets);
    const adds = await ipsets.applyAdds();
    let changed = adds.changed;
    for (const t of [rendered.raw, rendered.mangle, rendered.filter]) {
      const table = tables[t.table as 'raw' | 'mangle' | 'filter'];
      table.setChains(t.chains);
      table.setHooks(t.hooks);
      changed = (await table.apply()).changed || changed;
    }
    changed = (await ipsets.applyRemovals()).changed || changed;
    const end = clock.now();
    this._lastApplyAt = end;
    const policies = programmedPolicies(desired);
    const rec: ApplyRecord = { revision, policies, latencyMs: end - (dirtySince ?? t0), computeMs, changed };
    this.last = rec;
    this.lastDesired = desired;
    this.lastRendered = rendered;
    this.applies++;
    if (changed) this._log(`programmed revision ${revision}: ${policies.length} policies, ${rendered.ipSets.length} IP sets (${rec.latencyMs.toFixed(1)} ms)`);
    await this._publish(rec);
    const rev = BigInt(revision);
    for (let i = this._waiters.length - 1; i >= 0; i--)
      if (this._waiters[i]!.rev <= rev) {
        this._waiters[i]!.resolve();
        this._waiters.splice(i, 1);
      }
    return rec;
  }

  private async _publish(rec: ApplyRecord): Promise<void> {
    if (this._o.publish === undefined) return;
    const key = `${rec.revision}|${rec.policies.join(',')}`;
    if (key === this._published) return;
    try {
      await this._o.publish({ revision: rec.revision, policies: rec.policies, at: (this._o.now ?? ((): Date => new Date()))() });
      this._published = key;
    } catch (e) {
      this._log(`status not published: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private async _refresh(): Promise<void> {
    this._lastRefreshAt = this._o.clock.now();
    if (this.last === undefined) return;
    try {
      await this._o.ipsets.refresh();
      for (const t of [this._o.tables.raw, this._o.tables.mangle, this._o.tables.filter]) await t.refresh();
    } catch (e) {
      this._log(`refresh failed: ${e instanceof Error ? e.message : String(e)}`);
      this._dirty = true;
    }
  }

  /** Waits (real time) for markDirty, abort, or the next refresh. */
  private async _idle(signal: AbortSignal): Promise<void> {
    const ac = new AbortController();
    const woke = new Promise<void>((resolve) => {
      this._wake = resolve;
    });
    const remaining = Math.max(1, this._refreshInterval - (this._o.clock.now() - this._lastRefreshAt));
    const timer = sleepReal(Math.min(remaining, 2_147_000_000), undefined, { signal: ac.signal }).catch(() => undefined);
    if (signal.aborted) this._wake?.();
    await Promise.race([woke, timer]);
    ac.abort();
    this._wake = undefined;
  }
}
