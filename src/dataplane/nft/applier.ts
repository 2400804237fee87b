/**
 * @module NftApplier: keeps one nftables table (`table ip tabby`) equal to a rendered ruleset,
 * through a `CommandRunner` (the nft counterpart of `IptablesTable` + `IpsetApplier`).
 *
 * - One transaction per apply (`nft -f -`): chains, sets, set elements and verdict maps change
 *   together, atomically; there is no separate IP set step and no "sets before rules, set
 *   removal after" ordering across commands. The first apply (and any apply after a failure
 *   or drift) replaces the whole table; later ones rewrite only what changed (plan.ts).
 * - Drift: after each write we read back what it produced (`nft -j list table ip tabby`, or for
 *   a small incremental write `nft -j list chain|set` of the objects it wrote) and remember the
 *   canonical listing (format.ts). `refresh()` (and `apply()` when `alwaysRead` is set or
 *   `refreshIntervalMs` has passed) lists the table again; any difference — a rule or element
 *   added or deleted, a chain flushed, the table deleted — is repaired by a full replacement.
 *   Between reads, an unchanged desired ruleset costs nothing (no command runs).
 * - Ownership: every command names our table only. Other tables (iptables-nft's `ip filter`,
 *   firewalld's, the host's own) are never listed, flushed or deleted.
 * - Failure: a rejected transaction changes nothing (the old ruleset stays, whole). We retry
 *   with backoff (the shared reconcile loop), re-reading first and retrying as a full
 *   replacement (so a bad incremental plan cannot fail forever), up to `maxAttempts`, then
 *   throw `NftApplyError`. Fail closed: `failClosed()` programs, before the first real apply,
 *   a table that only lets established traffic, loopback and the failsafe ports in and drops
 *   forwarded traffic (render/fail-closed.ts, the rules the iptables driver installs too); the first successful apply
 *   replaces it in one transaction, so there is never a moment with no policy at all.
 * Calls are serialised.
 */
import type { Clock, CommandRunner } from '../../sys/index.js';
import { realClock } from '../../sys/index.js';
import { failClosedRules, type FailClosedRules } from '../render/fail-closed.js';
import { reconcileWithRetry } from '../reconcile.js';
import { formatNftDelete, listingDiff, parseNftListing, sameListing } from './format.js';
import { planNft, type NftPlan } from './plan.js';
import { NFT_TABLE, nftRuleCount, renderNftFromTables, type NftFamily, type NftRuleset } from './render.js';

export interface NftApplierOptions {
  readonly runner: CommandRunner;
  readonly clock?: Clock;
  /** The `nft` binary (default `nft`). */
  readonly binary?: string;
  /** Our table's name (default `tabby`). */
  readonly table?: string;
  /** Our table's family: `ip` (default) or `ip6` (the IPv6 dataplane of a dual-stack node). */
  readonly family?: NftFamily;
  readonly maxAttempts?: number;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly timeoutMs?: number;
  /** Read the table back before every apply. */
  readonly alwaysRead?: boolean;
  /** Re-read on `apply()` when the last read is older than this. */
  readonly refreshIntervalMs?: number;
  readonly log?: (msg: string) => void;
}

export interface NftApplyResult {
  readonly changed: boolean;
  /** Transactions tried (0 when nothing needed to change). */
  readonly attempts: number;
  readonly readBack: boolean;
  /** The table's rule count after the apply. */
  readonly rules: number;
  /** Why it was (re)programmed: `changed`, `drift`, `missing` or `first`; '' when unchanged. */
  readonly reason: string;
  /** Whether the whole table was replaced (else only what changed was rewritten). */
  readonly full: boolean;
}

/** Above this many written chains and sets, the read-back lists the whole table instead. */
export const MAX_OBJECT_READS = 16;

function _tryParse(text: string): Map<string, string> | undefined {
  try {
    return parseNftListing(text);
  } catch {
    return undefined;
  }
}

export class NftApplyError extends Error {
  constructor(
    message: string,
    readonly attempts: number,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'NftApplyError';
  }
}

/** What we believe the kernel holds: the ruleset we last wrote, if the kernel still matches it. */
interface _State {
  readonly ruleset: NftRuleset | undefined;
  readonly why: string;
}

interface _Plan {
  readonly script: string;
  readonly after: _State;
  readonly why: string;
  readonly plan: NftPlan;
}

export class NftApplier {
  readonly table: string;
  readonly family: NftFamily;
  private readonly _runner: CommandRunner;
  private readonly _clock: Clock;
  private readonly _bin: string;
  private readonly _maxAttempts: number;
  private readonly _backoff0: number;
  private readonly _backoffMax: number;
  private readonly _timeoutMs: number;
  private readonly _alwaysRead: boolean;
  private readonly _refreshIntervalMs: number | undefined;
  private readonly _log: (msg: string) => void;
  private _desired: NftRuleset | undefined;
  private _actual: _State | undefined;
  /** The parsed listing (format.ts) of what our writes produced; undefined when unknown. */
  private _fingerprint: Map<string, string> | undefined;
  /** The ruleset of our last successful write. */
  private _lastWritten: NftRuleset | undefined;
  private _lastPlan: NftPlan | undefined;
  /** Set by a failed transaction: the retry replaces the whole table. */
  private _forceFull = false;
  private _lastReadAt = -Infinity;
  private _queue: Promise<unknown> = Promise.resolve();
  private _stats = { transactions: 0, reads: 0, repairs: 0 };
  /** What the last read found different from what we wrote (empty when it matched). */
  private _lastDrift: readonly string[] = [];

  constructor(opts: NftApplierOptions) {
    this._runner = opts.runner;
    this._clock = opts.clock ?? realClock;
    this._bin = opts.binary ?? 'nft';
    this.table = opts.table ?? NFT_TABLE;
    this.family = opts.family ?? 'ip';
    this._maxAttempts = Math.max(1, opts.maxAttempts ?? 5);
    this._backoff0 = opts.initialBackoffMs ?? 50;
    this._backoffMax = opts.maxBackoffMs ?? 1000;
    this._timeoutMs = opts.timeoutMs ?? 30_000;
    this._alwaysRead = opts.alwaysRead ?? false;
    this._refreshIntervalMs = opts.refreshIntervalMs;
    this._log = opts.log ?? ((): void => undefined);
  }

  get stats(): { readonly transactions: number; readonly reads: number; readonly repairs: number } {
    return { ...this._stats };
  }

  /** What the last read of the table found different from our last write (`chain X changed`, `table missing`, …). */
  get lastDrift(): readonly string[] {
    return this._lastDrift;
  }

  /** The plan of the last transaction that ran (for diagnostics and tests). */
  get lastPlan(): NftPlan | undefined {
    return this._lastPlan;
  }

  setRuleset(r: NftRuleset): void {
    if (r.table !== this.table || r.family !== this.family) throw new Error(`ruleset for table ${r.family} ${r.table}, applier owns ${this.family} ${this.table}`);
    this._desired = r;
  }

  /** Forget what the kernel holds; the next apply reads it. */
  invalidate(): void {
    this._actual = undefined;
  }

  apply(): Promise<NftApplyResult> {
    return this._serial(() => this._apply(false));
  }

  /** Reads the table back and repairs any drift. */
  refresh(): Promise<NftApplyResult> {
    return this._serial(() => this._apply(true));
  }

  /** Programs the fail-closed table (see the module doc), replacing whatever our table held. */
  failClosed(fc: FailClosedRules = failClosedRules()): Promise<NftApplyResult> {
    const r = renderNftFromTables([{ table: 'filter', chains: fc.chains, hooks: fc.hooks }], [], this.table, this.family === 'ip6' ? 6 : 4);
    return this._serial(() => this._apply(true, r));
  }

  /** Deletes our table (only ours). */
  remove(): Promise<void> {
    return this._serial(async () => {
      const r = await this._runner.run({ argv: [this._bin, '-f', '-'], stdin: formatNftDelete(this.family, this.table), timeoutMs: this._timeoutMs });
      if (r.code !== 0) throw new NftApplyError(`nft: deleting table ${this.family} ${this.table} failed (${r.code}): ${r.stderr.trim()}`, 1, r.stderr);
      this._actual = { ruleset: undefined, why: 'missing' };
      this._fingerprint = undefined;
    });
  }

  private _serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this._queue.then(fn, fn);
    this._queue = next.catch(() => undefined);
    return next;
  }

  /** Lists our whole table (parsed), `undefined` when it does not exist, or a read error. */
  private async _list(): Promise<{ ok: true; listing: Map<string, string> | undefined } | { ok: false; stderr: string }> {
    this._stats.reads++;
    const r = await this._runner.run({ argv: [this._bin, '-j', 'list', 'table', this.family, this.table], timeoutMs: this._timeoutMs });
    this._lastReadAt = this._clock.now();
    if (r.code !== 0) {
      if (/No such file or directory/i.test(r.stderr)) return { ok: true, listing: undefined };
      return { ok: false, stderr: `nft -j list table ${this.family} ${this.table} failed (${r.code}): ${r.stderr.trim()}` };
    }
    try {
      return { ok: true, listing: parseNftListing(r.stdout) };
    } catch (e) {
      return { ok: false, stderr: e instanceof Error ? e.message : String(e) };
    }
  }

  /**
   * After a successful write: the fingerprint of what it produced. A full write, or one that
   * touched more than `MAX_OBJECT_READS` chains and sets, lists the whole table; a smaller
   * incremental one lists only the chains and sets it wrote (`nft -j list chain|set`, one process
   * each: nft 1.0.6 mis-resolves several `list` commands in one run, and `nft -j -f -` cannot
   * read a socket stdin) and patches the fingerprint. Undefined (unknown: the next refresh
   * rewrites the table) if a read fails.
   */
  private async _readBack(p: NftPlan): Promise<Map<string, string> | undefined> {
    const objects = [...p.chains.map((n) => ['chain', n] as const), ...p.sets.map((n) => ['set', n] as const)];
    if (p.full || this._fingerprint === undefined || objects.length > MAX_OBJECT_READS) {
      const l = await this._list();
      if (!l.ok) this._log(`nft: reading back table ${this.family} ${this.table} failed: ${l.stderr}`);
      return l.ok ? l.listing : undefined;
    }
    const fp = new Map(this._fingerprint);
    for (const c of p.deletedChains) fp.delete(`chain ${c}`);
    for (const n of p.deletedSets) fp.delete(`set ${n}`);
    for (const [kind, name] of objects) {
      this._stats.reads++;
      const r = await this._runner.run({ argv: [this._bin, '-j', 'list', kind, this.family, this.table, name], timeoutMs: this._timeoutMs });
      const v = r.code === 0 ? _tryParse(r.stdout)?.get(`${kind} ${name}`) : undefined;
      if (v === undefined) {
        this._log(`nft: reading back ${kind} ${name} of table ${this.family} ${this.table} failed (${r.code}): ${r.stderr.trim()}`);
        return undefined;
      }
      fp.set(`${kind} ${name}`, v);
    }
    return fp;
  }

  private async _apply(forceRead: boolean, override?: NftRuleset): Promise<NftApplyResult> {
    const desired = override ?? this._desired;
    if (desired === undefined) throw new Error('NftApplier.apply: no ruleset set');
    const stale = this._refreshIntervalMs !== undefined && this._clock.now() - this._lastReadAt >= this._refreshIntervalMs;
    return reconcileWithRetry<_State, _Plan, NftApplyResult>({
      mustRead: forceRead || this._alwaysRead || stale,
      maxAttempts: this._maxAttempts,
      backoff0: this._backoff0,
      backoffMax: this._backoffMax,
      clock: this._clock,
      getActual: () => this._actual,
      setActual: (s) => {
        this._actual = s;
      },
      read: async () => {
        const l = await this._list();
        this._lastDrift = [];
        if (!l.ok) return { ok: false, stderr: l.stderr };
        if (l.listing === undefined) {
          if (this._lastWritten !== undefined) this._lastDrift = [`table ${this.family} ${this.table} missing`];
          return { ok: true, state: { ruleset: undefined, why: 'missing' } };
        }
        if (this._fingerprint === undefined) return { ok: true, state: { ruleset: undefined, why: 'first' } };
        if (!sameListing(l.listing, this._fingerprint)) {
          this._lastDrift = listingDiff(this._fingerprint, l.listing);
          return { ok: true, state: { ruleset: undefined, why: 'drift' } };
        }
        return { ok: true, state: { ruleset: this._lastWritten, why: '' } };
      },
      plan: (actual) => {
        const plan = planNft(this._forceFull ? undefined : actual.ruleset, desired);
        const why = actual.ruleset === undefined ? actual.why : 'changed';
        return { script: plan.script, after: { ruleset: desired, why: '' }, why: plan.script === '' ? '' : why, plan };
      },
      restore: async (plan) => {
        this._stats.transactions++;
        const r = await this._runner.run({ argv: [this._bin, '-f', '-'], stdin: plan.script, timeoutMs: this._timeoutMs });
        if (r.code !== 0) {
          this._forceFull = true;
          return { ok: false, error: `nft -f - failed (${r.code}): ${r.stderr.trim()}` };
        }
        this._forceFull = false;
        if (this._lastWritten !== undefined && (plan.why === 'drift' || plan.why === 'missing')) this._stats.repairs++;
        this._lastPlan = plan.plan;
        this._fingerprint = await this._readBack(plan.plan);
        this._lastWritten = desired;
        return { ok: true, error: '' };
      },
      done: (plan, changed, attempts, readBack) => {
        if (changed && plan.why !== 'changed') this._log(`nft: table ${this.family} ${this.table} programmed (${plan.why})`);
        return { changed, attempts, readBack, rules: nftRuleCount(desired), reason: changed ? plan.why : '', full: changed && plan.plan.full };
      },
      onReadError: (stderr) => this._log(`nft: ${stderr}`),
      onAttemptFailed: (attempt, error) => this._log(`nft: attempt ${attempt} failed: ${error}`),
      giveUp: (attempts, lastError) => new NftApplyError(`nft: table ${this.family} ${this.table} not programmed after ${attempts} attempts: ${lastError}`, attempts, lastError),
    });
  }
}
