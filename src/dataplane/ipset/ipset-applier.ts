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
 * Two ways to the kernel:
 * - **Session** (incremental member changes): when the plan only adds and deletes members of
 *   existing sets and was made against our own prediction (no read in this apply), its lines go
 *   to a long-lived `ipset -` process (session.ts), one per applier, so one per network
 *   namespace: about 1 ms for 100 members instead of a process spawn. Needs a runner with
 *   `start`; off with `interactive: false`.
 * - **One-shot `ipset restore`**: everything else (first apply, creates, rewrites through a
 *   temporary set, destroys, full resyncs after a read), and every retry after a failure.
 * The session is started after the first successful apply (so it is warm for the first change)
 * and restarted after a failure. `close()` ends it and waits for the process to exit; the agent
 * calls it on stop. If it cannot even start (e.g. no `stdbuf`), sessions are turned off and
 * everything goes through restore.
 *
 * `ipset restore` is not transactional: it stops at the first failing line and keeps the lines
 * before it (the session runs all lines). After a failure we therefore always re-read, re-plan
 * and retry through restore (bounded, with backoff), then throw `IpsetApplyError`. Destroying a
 * set that a rule still uses fails in the kernel; `applyRemovals` reports that in the error after
 * its retries.
 */
import type { Clock, CommandRunner } from '../../sys/index.js';
import { realClock } from '../../sys/index.js';
import type { IpSet } from '../model.js';
import { canonicalMember } from './format.js';
import { reconcileWithRetry } from '../reconcile.js';
import { IpsetSession } from './session.js';
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
  /** Send incremental member changes through a long-lived `ipset -` process (default true). */
  readonly interactive?: boolean;
  /** Bound on one session batch, including start-up (default 5 s). */
  readonly sessionTimeoutMs?: number;
  /** Larger member-only plans go through restore (default 20,000 lines). */
  readonly maxSessionLines?: number;
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
  /** How the last successful write reached the kernel (`none` when nothing needed to change). */
  readonly via: 'session' | 'restore' | 'none';
}

/** Counters, for tests and diagnostics. */
export interface IpsetApplierStats {
  /** Batches written through the session successfully. */
  readonly sessionBatches: number;
  /** Session batches that failed (each followed by a read and a restore). */
  readonly sessionFailures: number;
  /** Session processes started. */
  readonly sessionStarts: number;
  /** One-shot `ipset restore` runs. */
  readonly restores: number;
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
  private readonly _interactive: boolean;
  private readonly _sessionTimeoutMs: number;
  private readonly _maxSessionLines: number;
  private _session: IpsetSession | undefined;
  private _sessionOff: string | undefined;
  private _closed = false;
  private _stats = { sessionBatches: 0, sessionFailures: 0, sessionStarts: 0, restores: 0 };

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
    this._interactive = opts.interactive ?? true;
    this._sessionTimeoutMs = opts.sessionTimeoutMs ?? 5000;
    this._maxSessionLines = opts.maxSessionLines ?? 20_000;
    if (!this._interactive) this._sessionOff = 'turned off';
    else if (this._runner.start === undefined) this._sessionOff = 'the runner cannot start long-running processes';
  }

  get stats(): IpsetApplierStats {
    return { ...this._stats };
  }

  /** The session process's id, while one runs (for tests). */
  get sessionPid(): number | undefined {
    return this._session?.failure === undefined ? this._session?.pid : undefined;
  }

  /**
   * Ends the session process and waits for it to exit (after any apply in progress). Later
   * applies still work, through one-shot restores only. Idempotent.
   */
  close(): Promise<void> {
    this._closed = true;
    return this._serial(async () => {
      const s = this._session;
      this._session = undefined;
      if (s !== undefined) await s.close();
    });
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

  /** The running session, starting one if allowed. */
  private _ensureSession(): IpsetSession | undefined {
    if (this._closed || this._sessionOff !== undefined) return undefined;
    if (this._session?.failure !== undefined) this._session = undefined;
    if (this._session === undefined && this._runner.start !== undefined) {
      this._session = new IpsetSession({ run: (c) => this._runner.run(c), start: this._runner.start.bind(this._runner) }, this._bin, this._sessionTimeoutMs);
      this._stats.sessionStarts++;
    }
    return this._session;
  }

  private async _viaSession(plan: IpsetPlan): Promise<{ ok: boolean; error: string }> {
    const s = this._ensureSession();
    if (s === undefined) return { ok: false, error: 'no ipset session' };
    const wasReady = s.ready;
    const r = await s.exec(plan.script.split('\n').filter((l) => l !== ''));
    if (r.ok) {
      this._stats.sessionBatches++;
      return { ok: true, error: '' };
    }
    this._stats.sessionFailures++;
    this._session = undefined;
    await s.close(200);
    if (!wasReady && !s.ready) {
      // It never came up (e.g. no stdbuf): stop trying; restore does everything.
      this._sessionOff = r.error;
      this._log(`ipset: interactive session unavailable, using ipset restore only: ${r.error}`);
    }
    return { ok: false, error: r.error };
  }

  private async _run(phase: 'adds' | 'removals', forceRead: boolean): Promise<IpsetApplyResult> {
    let readBackPlan = false;
    let failed = false;
    let via: 'session' | 'restore' = 'restore';
    const sessionOk = (plan: IpsetPlan): boolean =>
      phase === 'adds' &&
      !readBackPlan &&
      !failed &&
      plan.created.length === 0 &&
      plan.rewritten.length === 0 &&
      plan.destroyed.length === 0 &&
      plan.memberChanges < this._maxSessionLines &&
      this._ensureSession() !== undefined;
    const result = await reconcileWithRetry({
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
      plan: (actual, readBack) => {
        readBackPlan = readBack;
        return this._plan(phase, actual, readBack);
      },
      restore: async (plan) => {
        let r: { ok: boolean; error: string };
        if (sessionOk(plan)) {
          via = 'session';
          r = await this._viaSession(plan);
        } else {
          via = 'restore';
          this._stats.restores++;
          const out = await this._runner.run({ argv: [this._bin, '-exist', 'restore'], stdin: plan.script, timeoutMs: this._timeoutMs });
          r = { ok: out.code === 0, error: `${this._bin} restore exited ${out.code}: ${out.stderr.trim()}` };
        }
        if (!r.ok) failed = true;
        return r;
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
          via: changed ? via : 'none',
        };
      },
      onReadError: (stderr) => this._log(`ipset: ${stderr}`),
      onAttemptFailed: (n, error) => this._log(`ipset ${phase}: attempt ${n} failed: ${error}`),
      giveUp: (attempts, lastErr) => new IpsetApplyError(`ipset ${phase}: giving up after ${this._maxAttempts} attempts: ${lastErr}`, attempts, lastErr),
    });
    // Warm a session for the next incremental change (it starts in the background).
    if (phase === 'adds') this._ensureSession();
    return result;
  }

}
