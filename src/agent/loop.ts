/**
 * @module AgentLoop: the dataplane side of the agent (Felix's `int_dataplane` apply loop). It
 * knows one `DataplaneDriver` and nothing of the backend behind it.
 *
 *   dirty → (in sync?) → wait out the rate limit → compute → render → driver.apply → publish
 *
 * - Fail closed: `run` has the driver install the fail-closed rules (render/fail-closed.ts, with
 *   the node's failsafe ports) before anything else; the first in-sync apply replaces them.
 * - Rate limit and coalescing: applies are at least `minApplyIntervalMs` apart (default 50 ms);
 *   changes arriving meanwhile only set the dirty flag, so a burst costs one apply.
 * - Only what changed is written (the driver diffs against what it last applied).
 * - Drift: every `driftCheckMs` (default 250 ms), right after every apply (a datastore change
 *   triggers a verify) and whenever the driver hears of a kernel change (`watch`: `nft monitor`),
 *   `driver.verify()` compares a fingerprint of the kernel's tables and sets with the last one
 *   and repairs at once what differs; each repair is logged with what was found. A verify that
 *   takes long spaces the next one out (at least 2× its duration apart), so checking never takes
 *   more than a third of the agent's time. The periodic full refresh runs when the driver says
 *   it is due (FelixConfiguration's refresh intervals, given with `configure`).
 * - Failure: logged, the loop stays dirty and retries with backoff (up to 5 s).
 * - Status: after an apply, if the revision or the programmed policies changed, `publish` is
 *   called (one at a time, so they land in order; a failure is logged and retried with the
 *   latest state after the interval, at least 250 ms, until one goes through or the loop
 *   stops), at most once per
 *   `statusIntervalMs` (default 1 s): the first change after a quiet interval is published at
 *   once (and the apply waits for it, at most 1 s: a write stuck on a dead connection does not
 *   hold back the next apply), later ones are coalesced into one publication of the
 *   latest state at the end of the interval — so a cluster-wide change costs N agents at most N
 *   status writes per interval, not one per change.
 * - Agent-side filtering (issue 19): when every change since the last apply is a Pod change
 *   that cannot alter this node's desired state (relevance.ts: not on this node, not a member
 *   of any of its IP sets before, matching none of their selectors after), the pass skips
 *   compute, render and apply and only records the new revision as programmed (`skipped`).
 *   IPv6 (dual stack) and any failure since the last full apply turn this off.
 * - Pod scope (issue 19, scope.ts): a source that keeps only some remote Pods (`cover`) is asked
 *   after each computation whether it kept all the computation needs; when not, nothing is
 *   programmed (the source widens and fetches, and wakes the loop when done).
 */
import { setTimeout as sleepReal } from 'node:timers/promises';
import { computeDesiredState, programmedPolicies, type DesiredState, type Snapshot } from '../engine/index.js';
import { render, type RenderedDataplane } from '../dataplane/render/index.js';
import { failClosedRules } from '../dataplane/render/fail-closed.js';
import type { DataplaneDriver, DriftReport } from '../dataplane/driver.js';
import { failsafeHostPorts, type EffectiveFelixConfig } from '../model/calico/felix-configuration.js';
import type { Clock } from '../sys/index.js';
import type { NodeStatus } from './status.js';
import { footprint, podChangeMatters, type NodeFootprint } from './relevance.js';
import type { PodChange } from './syncer.js';
import type { Resource } from '../model/meta.js';

/** What the loop needs from the syncer. */
export interface SyncSource {
  readonly inSync: boolean;
  readonly revision: string;
  snapshot(): Snapshot;
  felixConfig(node: string): EffectiveFelixConfig;
  /** What changed since the previous call (syncer.ts); without it every pass recomputes. */
  takeChanges?(): ReadonlyMap<string, PodChange> | 'all';
  /** One decoded object (the Pod's Namespace and ServiceAccount, for relevance.ts). */
  decoded?(type: { group: string; plural: string }, namespace: string, name: string): Resource | undefined;
  /** Whether the kept Pods cover this footprint (scope.ts); false: not yet, the source is fetching. */
  cover?(fp: NodeFootprint): boolean;
}

/** The computation needed Pods the source had not kept (it is fetching them): nothing programmed. */
export class ScopeWidened extends Error {
  constructor(node: string) {
    super(`agent ${node}: the computation needs pods not yet fetched; widening`);
    this.name = 'ScopeWidened';
  }
}

export interface AgentLoopOptions {
  readonly node: string;
  readonly source: SyncSource;
  readonly driver: DataplaneDriver;
  readonly clock: Clock;
  readonly nflogGroup?: number;
  /** Flow-log marks when FelixConfiguration leaves `flowLogsLocalReporter` unset (the lab: on). */
  readonly flowLogsDefault?: boolean;
  /** Dual stack: also compute, render and program the node's IPv6 dataplane (default false). */
  readonly ipv6?: boolean;
  readonly minApplyIntervalMs?: number;
  /** How often the driver checks for drift (default 250 ms; 0 turns drift checks off). */
  readonly driftCheckMs?: number;
  /** Called after each repair of drift (also logged). */
  readonly onRepair?: (r: RepairRecord) => void;
  /** Called after every successful apply, before status is published. */
  readonly onApply?: (rec: ApplyRecord) => void;
  /** Skip passes whose changes cannot touch this node (default true; false: always recompute). */
  readonly filterChanges?: boolean;
  readonly publish?: (s: NodeStatus) => Promise<void>;
  /** Status publications at most this often (ms; default 1000; 0: after every apply that changed it). */
  readonly statusIntervalMs?: number;
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
  /** Wall time the apply ended (published as `tabby.dev/programmed-at`, also when coalesced). */
  readonly at?: Date;
}

/** A repair of drift: what the verify or refresh found, and when. */
export interface RepairRecord {
  readonly found: readonly string[];
  /** `verify` (the fingerprint differed) or `refresh` (the periodic full refresh). */
  readonly by: 'verify' | 'refresh';
  /** Clock time when the check that found it started, and when the repair ended. */
  readonly startedAt: number;
  readonly endedAt: number;
}

/** How long an apply waits for its status publication before going on (it completes in the background). */
const STATUS_WAIT_MS = 1_000;

/** How long `whenProgrammed` waits by default. */
export const DEFAULT_PROGRAMMED_TIMEOUT_MS = 60_000;

export class AgentLoop {
  private readonly _o: AgentLoopOptions;
  private readonly _minInterval: number;
  private readonly _driftCheck: number;
  private readonly _log: (msg: string) => void;
  private _verifyAt = Infinity;
  /** The earliest a kernel notification may start a verify (spacing after a slow one). */
  private _verifyNotBefore = -Infinity;
  /** Kernel change notifications received from the driver. */
  notifications = 0;
  private _dirty = true;
  private _dirtySince: number | undefined;
  private _wake: (() => void) | undefined;
  private _lastApplyAt = -Infinity;
  private _published: string | undefined;
  private _publishedAt = -Infinity;
  private _publishing = false;
  private _statusPending: ApplyRecord | undefined;
  private _statusTimer: ReturnType<typeof setTimeout> | undefined;
  /** Status publications made (writes attempted). */
  publications = 0;
  private readonly _waiters: { rev: bigint; resolve: () => void }[] = [];
  /** The last successful apply. */
  last: ApplyRecord | undefined;
  lastDesired: DesiredState | undefined;
  /**
   * The DesiredState of the apply in progress, from just before the driver writes it until the
   * write returns (the flow reader decodes its NFLOG prefixes: the kernel judges — and logs —
   * packets with the new rules before the driver has finished reading them back).
   */
  applyingDesired: DesiredState | undefined;
  lastRendered: RenderedDataplane | undefined;
  /** The IPv6 rendering of the last apply (dual stack only). */
  lastRendered6: RenderedDataplane | undefined;
  applies = 0;
  failures = 0;
  /** Drift repairs made (verify or periodic refresh), and checks run. */
  repairs = 0;
  verifies = 0;
  lastRepair: RepairRecord | undefined;
  /** Passes that skipped compute because no change could touch this node. */
  skipped = 0;
  /** Computations discarded because the source had not kept every Pod they needed (scope.ts). */
  widened = 0;
  /** The snapshot and footprint of the last full apply (for skipping); undefined after a failure. */
  private _basis: { snapshot: Snapshot; fp: NodeFootprint } | undefined;

  constructor(opts: AgentLoopOptions) {
    this._o = opts;
    this._minInterval = opts.minApplyIntervalMs ?? 50;
    this._driftCheck = opts.driftCheckMs ?? 250;
    this._log = opts.log ?? ((): void => undefined);
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
    const { driver, source, node } = this._o;
    try {
      const felix = source.felixConfig(node);
      driver.configure(felix);
      if (this._driftCheck > 0) driver.watch(() => this._kernelChanged());
      const failsafe = failsafeHostPorts(felix, 'inbound');
      await driver.failClosed(failClosedRules(failsafe), this._o.ipv6 === true ? failClosedRules(failsafe, 6) : undefined);
    } catch (e) {
      this._log(`fail-closed rules not installed: ${e instanceof Error ? e.message : String(e)}`);
    }
    const onAbort = (): void => this._wake?.();
    signal.addEventListener('abort', onAbort);
    let backoff = 100;
    try {
      while (!signal.aborted) {
        if (!this._dirty || !this._o.source.inSync) {
          await this._maintain();
          if (this._dirty && this._o.source.inSync) continue;
          await this._idle(signal);
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
          if (e instanceof ScopeWidened) {
            // not in sync until the source has fetched; it wakes the loop then
            this._dirty = true;
            this._dirtySince ??= since;
            continue;
          }
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
      clearTimeout(this._statusTimer);
      this._statusTimer = undefined;
    }
  }

  /** One compute → render → apply pass (exposed for tests and benchmarks). */
  async applyOnce(dirtySince?: number): Promise<ApplyRecord> {
    const { clock, source, driver, node } = this._o;
    const t0 = clock.now();
    const revision = source.revision;
    const changes = source.takeChanges?.();
    if (changes !== undefined && changes !== 'all' && this._unaffected(changes)) return this._skip(revision, t0, dirtySince);
    // until this pass succeeds, nothing may be skipped (its changes were taken)
    this._basis = undefined;
    const felix = source.felixConfig(node);
    const opts = {
      ...(this._o.nflogGroup === undefined ? {} : { nflogGroup: this._o.nflogGroup }),
      ...(this._o.flowLogsDefault === true ? { flowLogsDefault: true } : {}),
    };
    const snapshot = source.snapshot();
    const desired = computeDesiredState(snapshot, node, felix, opts);
    const fp = source.cover !== undefined || this._o.filterChanges !== false ? footprint(desired) : undefined;
    if (fp !== undefined && source.cover !== undefined && !source.cover(fp)) {
      this.widened++;
      throw new ScopeWidened(node);
    }
    // Class dispatch (render/classes.ts): nft as verdict maps, iptables as class trees (render/class-tree.ts).
    const rendered = render(desired, { target: driver.kind });
    // Dual stack: the IPv6 dataplane is computed and rendered the same way (Felix's v6 rule renderer).
    const rendered6 = this._o.ipv6 === true ? render(computeDesiredState(snapshot, node, felix, { ...opts, family: 6 }), { target: driver.kind }) : undefined;
    const computeMs = clock.now() - t0;
    driver.configure(felix);
    this.applyingDesired = desired;
    let changed: boolean;
    try {
      ({ changed } = await driver.apply(rendered, rendered6));
    } finally {
      this.applyingDesired = undefined;
    }
    const end = clock.now();
    this._lastApplyAt = end;
    // A datastore change also triggers a verify (right after this apply).
    if (this._driftCheck > 0) this._verifyAt = end;
    const policies = programmedPolicies(desired);
    const rec: ApplyRecord = { revision, policies, latencyMs: end - (dirtySince ?? t0), computeMs, changed, at: (this._o.now ?? ((): Date => new Date()))() };
    this.last = rec;
    this.lastDesired = desired;
    this.lastRendered = rendered;
    this.lastRendered6 = rendered6;
    this.applies++;
    if (this._o.filterChanges !== false && this._o.ipv6 !== true && source.takeChanges !== undefined && fp !== undefined) this._basis = { snapshot, fp };
    if (changed) this._log(`programmed revision ${revision}: ${policies.length} policies, ${rendered.ipSets.length} IP sets (${rec.latencyMs.toFixed(1)} ms)`);
    this._o.onApply?.(rec);
    await this._publishBounded(rec);
    this._resolveWaiters(revision);
    return rec;
  }

  private _resolveWaiters(revision: string): void {
    const rev = BigInt(revision);
    for (let i = this._waiters.length - 1; i >= 0; i--)
      if (this._waiters[i]!.rev <= rev) {
        this._waiters[i]!.resolve();
        this._waiters.splice(i, 1);
      }
  }

  /** True when none of these Pod changes can alter the desired state of the last full apply. */
  private _unaffected(changes: ReadonlyMap<string, PodChange>): boolean {
    const basis = this._basis;
    const { source } = this._o;
    if (basis === undefined || this.last === undefined || source.decoded === undefined) return false;
    const lookup = (kind: 'Namespace' | 'ServiceAccount', ns: string, name: string): Resource | undefined =>
      source.decoded!(kind === 'Namespace' ? { group: '', plural: 'namespaces' } : { group: '', plural: 'serviceaccounts' }, ns, name);
    for (const [key, c] of changes) {
      const slash = key.indexOf('/');
      const next$ = c.next === undefined ? undefined : source.decoded({ group: '', plural: 'pods' }, key.slice(0, slash), key.slice(slash + 1));
      if (podChangeMatters(basis.fp, basis.snapshot, key, c.prev, c.next, next$, lookup)) return false;
    }
    return true;
  }

  /** A pass whose changes cannot touch this node: the programmed state stands for `revision` too. */
  private async _skip(revision: string, t0: number, dirtySince: number | undefined): Promise<ApplyRecord> {
    const end = this._o.clock.now();
    const rec: ApplyRecord = { revision, policies: this.last!.policies, latencyMs: end - (dirtySince ?? t0), computeMs: end - t0, changed: false, at: (this._o.now ?? ((): Date => new Date()))() };
    this.last = rec;
    this.skipped++;
    this._o.onApply?.(rec);
    await this._publishBounded(rec);
    this._resolveWaiters(revision);
    return rec;
  }

  private async _publish(rec: ApplyRecord): Promise<void> {
    if (this._o.publish === undefined) return;
    const key = `${rec.revision}|${rec.policies.join(',')}`;
    if (key === this._published) return;
    // One publication at a time: two in flight could land out of order, an older revision last,
    // and stand there until the next apply (a slow write through a loaded API server took longer
    // than the interval). The latest state goes out when the one in flight is done.
    if (this._publishing) {
      this._statusPending = rec;
      return;
    }
    const interval = this._o.statusIntervalMs ?? 1000;
    const wait = this._publishedAt + interval - this._o.clock.now();
    if (wait > 0) {
      // coalesced: the latest state goes out at the end of the interval
      this._statusPending = rec;
      this._publishLater(wait);
      return;
    }
    // This state supersedes any coalesced one still waiting for its timer (a timer fires late
    // under load, after the interval has ended by the clock): published after this one, the
    // older state would stay on the Node until the next apply, for good in a quiet datastore.
    this._statusPending = undefined;
    clearTimeout(this._statusTimer);
    this._statusTimer = undefined;
    this._publishedAt = this._o.clock.now();
    this.publications++;
    this._publishing = true;
    let retryMs = 0;
    try {
      // The apply's own time, not the publication's (a coalesced publication goes out up to an interval later).
      await this._o.publish({ revision: rec.revision, policies: rec.policies, at: rec.at ?? (this._o.now ?? ((): Date => new Date()))() });
      this._published = key;
    } catch (e) {
      // Retried (with the latest state by then) after the interval, not only with the next apply:
      // a quiet datastore brings none, and whoever waits for this revision would wait forever.
      retryMs = Math.max(interval, 250);
      this._log(`status not published: ${e instanceof Error ? e.message : String(e)}; retrying in ${retryMs} ms`);
      this._statusPending ??= rec;
    } finally {
      this._publishing = false;
    }
    if (this._statusPending !== undefined) this._publishLater(Math.max(retryMs, this._publishedAt + interval - this._o.clock.now(), 0));
  }

  /**
   * The apply waits for its publication, but at most STATUS_WAIT_MS: a write stuck on a dead
   * connection (a partition, until the request times out) must not hold back applying what
   * arrives next. The publication goes on in the background (and publications stay one at a time).
   */
  private async _publishBounded(rec: ApplyRecord): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this._publish(rec), new Promise<void>((r) => (timer = setTimeout(r, STATUS_WAIT_MS)))]);
    clearTimeout(timer);
  }

  /** Publishes the pending status (the latest by then) in MS, unless a publication is already due. */
  private _publishLater(ms: number): void {
    this._statusTimer ??= setTimeout(() => {
      this._statusTimer = undefined;
      const latest = this._statusPending;
      this._statusPending = undefined;
      if (latest !== undefined) void this._publish(latest);
    }, ms);
  }

  /** The driver heard of a kernel change: verify now (no sooner than the spacing allows). */
  private _kernelChanged(): void {
    this.notifications++;
    if (this.last === undefined) return;
    const at = Math.max(this._o.clock.now(), this._verifyNotBefore);
    if (at >= this._verifyAt) return;
    this._verifyAt = at;
    const w = this._wake;
    this._wake = undefined;
    w?.();
  }

  /** Runs the drift check and the periodic refresh when they are due (after the first apply). */
  private async _maintain(): Promise<void> {
    if (this.last === undefined) return;
    const { clock, driver } = this._o;
    if (clock.now() >= this._verifyAt) {
      const t0 = clock.now();
      const ok = await this._check('verify', () => driver.verify());
      const took = clock.now() - t0;
      // A failed check (e.g. a read timed out) is retried after 5 s, not in a tight loop.
      this._verifyAt = clock.now() + Math.max(ok ? this._driftCheck : 5000, 2 * took);
      this._verifyNotBefore = clock.now() + (ok ? 2 * took : 5000);
    }
    if (driver.refreshDueInMs() <= 0) await this._check('refresh', () => driver.refresh());
  }

  /** Runs one check; false when it failed (logged). */
  private async _check(by: 'verify' | 'refresh', fn: () => Promise<DriftReport>): Promise<boolean> {
    const { clock, node } = this._o;
    const startedAt = clock.now();
    try {
      if (by === 'verify') this.verifies++;
      const r = await fn();
      if (!r.repaired) return true;
      const endedAt = clock.now();
      this.repairs++;
      this.lastRepair = { found: r.found, by, startedAt, endedAt };
      this._log(`drift repaired on node ${node} (${by}, ${(endedAt - startedAt).toFixed(0)} ms): found ${r.found.join('; ')}`);
      this._o.onRepair?.(this.lastRepair);
      return true;
    } catch (e) {
      this._log(`${by} failed: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
  }

  /** Waits (real time) for markDirty, abort, the next drift check or the next refresh. */
  private async _idle(signal: AbortSignal): Promise<void> {
    const ac = new AbortController();
    const woke = new Promise<void>((resolve) => {
      this._wake = resolve;
    });
    const now = this._o.clock.now();
    const untilVerify = this.last === undefined ? Infinity : this._verifyAt - now;
    const untilRefresh = this.last === undefined ? Infinity : this._o.driver.refreshDueInMs();
    const remaining = Math.max(1, Math.min(untilVerify, untilRefresh, 2_147_000_000));
    const timer = sleepReal(remaining, undefined, { signal: ac.signal }).catch(() => undefined);
    if (signal.aborted) this._wake?.();
    await Promise.race([woke, timer]);
    ac.abort();
    this._wake = undefined;
  }
}
