/**
 * @module IpsetApplier: reconciles our IP sets with the kernel through `ipset restore`
 * (Felix `ipsets/ipsets.go`), in two phases around the iptables apply:
 *
 *   await ipsets.applyAdds();      // create sets, update members (one `ipset restore`)
 *   await table.apply();           // iptables now references only sets that exist
 *   await ipsets.applyRemovals();  // destroy sets no rule references any more
 *
 * Like IptablesTable, it remembers the state its last successful restore produced and reads
 * the kernel (`ipset save`) only on the first apply, after a failure, on `refresh()` or when
 * `refreshIntervalMs` has passed. Between reads it plans only the sets changed since the last
 * apply, so a membership change costs time proportional to the change, not to all sets.
 *
 * `ipset restore` is not transactional: it stops at the first failing line and keeps the lines
 * before it. After a failure we therefore always re-read, re-plan and retry (bounded, with
 * backoff), then throw `IpsetApplyError`. Destroying a set that a rule still uses fails in the
 * kernel; `applyRemovals` reports that in the error after its retries.
 */
import type { Clock, CommandRunner } from '../../sys/index.js';
import { realClock } from '../../sys/index.js';
import type { IpSet } from '../model.js';
import { canonicalMember } from './format.js';
import { reconcileWithRetry } from '../reconcile.js';
import {
  parseIpsetSave,
  planIpsetAdds,
  planIpsetRemovals,
  DEFAULT_IPSET_PREFIXES,
  type CanonicalIpSet,
  type IpsetPlan,
  type IpsetsState,
} from './plan.js';

export interface IpsetApplierOptions {
  readonly runner: CommandRunner;
  readonly clock?: Clock;
  /** The `ipset` binary (default `ipset`). */
  readonly binary?: string;
  /** Owned set-name prefixes (default `['cali4', 'cali6']`). */
  readonly ownedPrefixes?: readonly string[];
  readonly maxelem?: number;
  readonly maxAttempts?: number;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly timeoutMs?: number;
  readonly refreshIntervalMs?: number;
  readonly log?: (msg: string) => void;
}

export interface IpsetApplyResult {
  readonly changed: boolean;
  readonly attempts: number;
  readonly readBack: boolean;
  readonly created: readonly string[];
  readonly updated: readonly string[];
  readonly rewritten: readonly string[];
  readonly destroyed: readonly string[];
  readonly memberChanges: number;
}

export class IpsetApplyError extends Error {
  constructor(
    message: string,
    readonly attempts: number,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'IpsetApplyError';
  }
}

interface _Desired {
  readonly source: IpSet;
  readonly canonical: CanonicalIpSet;
}

function _canonical(set: IpSet): CanonicalIpSet {
  const members = new Set<string>();
  for (const m of set.members) members.add(canonicalMember(set.type, set.family, m));
  return { name: set.name, type: set.type, family: set.family, members };
}

export class IpsetApplier {
  private readonly _runner: CommandRunner;
  private readonly _clock: Clock;
  private readonly _bin: string;
  private readonly _prefixes: readonly string[];
  private readonly _maxelem: number | undefined;
  private readonly _maxAttempts: number;
  private readonly _backoff0: number;
  private readonly _backoffMax: number;
  private readonly _timeoutMs: number;
  private readonly _refreshIntervalMs: number | undefined;
  private readonly _log: (msg: string) => void;

  private readonly _desired = new Map<string, _Desired>();
  /** Desired sets changed since the last successful adds phase. */
  private readonly _dirty = new Set<string>();
  private _actual: IpsetsState | undefined;
  private _lastReadAt = -Infinity;
  private _queue: Promise<unknown> = Promise.resolve();

  constructor(opts: IpsetApplierOptions) {
    this._runner = opts.runner;
    this._clock = opts.clock ?? realClock;
    this._bin = opts.binary ?? 'ipset';
    this._prefixes = opts.ownedPrefixes ?? DEFAULT_IPSET_PREFIXES;
    this._maxelem = opts.maxelem;
    this._maxAttempts = Math.max(1, opts.maxAttempts ?? 5);
    this._backoff0 = opts.initialBackoffMs ?? 50;
    this._backoffMax = opts.maxBackoffMs ?? 1000;
    this._timeoutMs = opts.timeoutMs ?? 30_000;
    this._refreshIntervalMs = opts.refreshIntervalMs;
    this._log = opts.log ?? ((): void => undefined);
  }

  /** Replaces the whole desired set of IP sets. */
  setIpSets(sets: readonly IpSet[]): void {
    const seen = new Set<string>();
    for (const s of sets) {
      if (seen.has(s.name)) throw new Error(`IP set ${s.name} given twice`);
      seen.add(s.name);
      this.updateIpSet(s);
    }
    for (const name of [...this._desired.keys()]) if (!seen.has(name)) this.removeIpSet(name);
  }

  updateIpSet(set: IpSet): void {
    if (!this._prefixes.some((p) => set.name.startsWith(p))) {
      throw new Error(`IP set ${set.name} does not start with an owned prefix (${this._prefixes.join(', ')})`);
    }
    if (set.name.length > 31) throw new Error(`IP set name ${set.name} is longer than 31 characters`);
    const prev = this._desired.get(set.name);
    if (prev?.source === set) return;
    if (prev !== undefined && prev.source.members === set.members && prev.source.type === set.type && prev.source.family === set.family) {
      this._desired.set(set.name, { source: set, canonical: prev.canonical });
      return;
    }
    this._desired.set(set.name, { source: set, canonical: _canonical(set) });
    this._dirty.add(set.name);
  }

  removeIpSet(name: string): void {
    this._desired.delete(name);
    this._dirty.delete(name);
  }

  /** Names of the desired sets, sorted. */
  names(): string[] {
    return [...this._desired.keys()].sort();
  }

  /** Forget what we believe the kernel holds; the next apply reads it. */
  invalidate(): void {
    this._actual = undefined;
  }

  /** Phase 1: create sets and update members. */
  applyAdds(): Promise<IpsetApplyResult> {
    return this._serial(() => this._run('adds', false));
  }

  /** Phase 2: destroy owned sets that are no longer desired. */
  applyRemovals(): Promise<IpsetApplyResult> {
    return this._serial(() => this._run('removals', false));
  }

  /** Re-reads the kernel and repairs drift in every desired set (phase 1; stale sets go in applyRemovals). */
  refresh(): Promise<IpsetApplyResult> {
    return this._serial(() => this._run('adds', true));
  }

  private _serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this._queue.then(fn, fn);
    this._queue = p.catch(() => undefined);
    return p;
  }

  private async _read(): Promise<{ ok: true; state: IpsetsState } | { ok: false; stderr: string }> {
    const r = await this._runner.run({ argv: [this._bin, 'save'], timeoutMs: this._timeoutMs });
    if (r.code !== 0) return { ok: false, stderr: `${this._bin} save exited ${r.code}: ${r.stderr.trim()}` };
    this._lastReadAt = this._clock.now();
    return { ok: true, state: parseIpsetSave(r.stdout, this._prefixes) };
  }

  private _plan(phase: 'adds' | 'removals', actual: IpsetsState, all: boolean): IpsetPlan {
    const opts = { ownedPrefixes: this._prefixes, ...(this._maxelem === undefined ? {} : { maxelem: this._maxelem }) };
    if (phase === 'removals') return planIpsetRemovals(new Set(this._desired.keys()), actual, opts);
    const sets: CanonicalIpSet[] = [];
    for (const [name, d] of this._desired) if (all || this._dirty.has(name)) sets.push(d.canonical);
    return planIpsetAdds(sets, actual, opts);
  }

  private async _run(phase: 'adds' | 'removals', forceRead: boolean): Promise<IpsetApplyResult> {
    return reconcileWithRetry({
      mustRead:
        forceRead ||
        this._actual === undefined ||
        (this._refreshIntervalMs !== undefined && this._clock.now() - this._lastReadAt >= this._refreshIntervalMs),
      maxAttempts: this._maxAttempts,
      backoff0: this._backoff0,
      backoffMax: this._backoffMax,
      clock: this._clock,
      getActual: () => this._actual,
      setActual: (st) => void (this._actual = st),
      read: () => this._read(),
      // After a read, every desired set must be compared, not only the dirty ones.
      plan: (actual, readBack) => this._plan(phase, actual, readBack),
      restore: async (plan) => {
        const r = await this._runner.run({ argv: [this._bin, '-exist', 'restore'], stdin: plan.script, timeoutMs: this._timeoutMs });
        return { ok: r.code === 0, error: `${this._bin} restore exited ${r.code}: ${r.stderr.trim()}` };
      },
      done: (plan, changed, attempts, readBack): IpsetApplyResult => {
        if (phase === 'adds') this._dirty.clear();
        return {
          changed,
          attempts,
          readBack,
          created: plan.created,
          updated: plan.updated,
          rewritten: plan.rewritten,
          destroyed: plan.destroyed,
          memberChanges: plan.memberChanges,
        };
      },
      onReadError: (stderr) => this._log(`ipset: ${stderr}`),
      onAttemptFailed: (n, error) => this._log(`ipset ${phase}: attempt ${n} failed: ${error}`),
      giveUp: (attempts, lastErr) => new IpsetApplyError(`ipset ${phase}: giving up after ${this._maxAttempts} attempts: ${lastErr}`, attempts, lastErr),
    });
  }

}
