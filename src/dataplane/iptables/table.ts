/**
 * @module IptablesTable: reconciles one iptables table (for one IP family) with the chains and
 * hooks we want, through a `CommandRunner` (Felix `iptables/table.go`).
 *
 * Shape: `setChains`/`updateChain`/`removeChain`/`setHooks` record the desired state (rendering
 * and hashing only chains whose text changed); `apply()` plans against the table's state and
 * runs at most one `iptables-restore --noflush` for the table.
 *
 * Reading back (`iptables-save -t <table>`) costs time proportional to the whole table (1.2 s of
 * CPU for 100k rules on the nft backend, 17 MB of text), so, like Felix, we remember the state our last
 * successful restore produced and plan against that. We read the kernel again:
 * - on the first apply, and after any failure (save or restore), before retrying;
 * - when the desired hooks changed (hook rules are deleted by rule number, which must come
 *   from a fresh read, because other programs insert rules into built-in chains too);
 * - on `refresh()` (call it periodically: it repairs drift, e.g. someone deleting or adding a
 *   rule in one of our chains), or automatically when `refreshIntervalMs` has passed;
 * - always, if `alwaysRead` is set.
 * Between reads, only chains whose rendering changed since the last successful apply are
 * compared (plus the sweep over chain names), so a one-chain change costs O(that chain).
 * When the runner can `start` processes, a read is parsed while `iptables-save` is still
 * writing (SaveParser), so the parse overlaps the save and the text is never held whole.
 *
 * Failures: a failed restore changes nothing (it is one transaction). We re-read, re-plan and
 * retry with exponential backoff, at most `maxAttempts` times, then throw `IptablesApplyError`.
 *
 * Fail closed (`failClosed(rules)`): before the first apply, the driver installs, in the filter
 * table, the fail-closed chains and hooks rendered by render/fail-closed.ts (established,
 * loopback and the failsafe ports in; everything else dropped in INPUT and FORWARD). Chains we
 * already own are kept (only their hooks are replaced), so the first successful `apply()`,
 * which installs the real hooks and sweeps both fail-closed chains in the same transaction,
 * rewrites only what changed.
 *
 * `apply()` calls are serialised. The binaries are `iptables-save`/`iptables-restore` (or the
 * `ip6tables` ones for family 6), with `-nft`/`-legacy` appended for an explicit backend.
 */
import type { Chain, Insertion, IpFamily, Rule, Table } from '../model.js';
import type { Clock, CommandRunner } from '../../sys/index.js';
import { realClock } from '../../sys/index.js';
import { formatRuleSpec, renderRules, type RenderedChain, type RenderedRule } from './format.js';
import { ruleHashes } from './hash.js';
import { parseSaveTable, SaveParser, EMPTY_TABLE_STATE, type TableState } from './parse-save.js';
import { planRestore, DEFAULT_OWNED_PREFIXES, type DesiredTable, type RestorePlan } from './plan.js';
import { reconcileWithRetry } from '../reconcile.js';
import { failClosedRules, type FailClosedRules } from '../render/fail-closed.js';

export type IptablesBackend = 'default' | 'nft' | 'legacy';

export interface IptablesTableOptions {
  readonly table: Table;
  readonly runner: CommandRunner;
  readonly clock?: Clock;
  readonly family?: IpFamily;
  /** Which binaries: `iptables-save` (default), `iptables-nft-save` or `iptables-legacy-save`. */
  readonly backend?: IptablesBackend;
  /** Explicit binaries; overrides `family` and `backend`. */
  readonly binaries?: { readonly save: string; readonly restore: string };
  /** Owned chain-name prefixes (default `['cali-']`). */
  readonly ownedPrefixes?: readonly string[];
  /** Attempts per apply, including the first (default 5). */
  readonly maxAttempts?: number;
  /** First retry delay; doubles per retry up to `maxBackoffMs` (defaults 50 ms and 1 s). */
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Per-command timeout (default 30 s). */
  readonly timeoutMs?: number;
  /** Read the kernel before every apply instead of trusting the last applied state. */
  readonly alwaysRead?: boolean;
  /** Re-read the kernel on `apply()` when the last read is older than this. */
  readonly refreshIntervalMs?: number;
  readonly log?: (msg: string) => void;
}

export interface ApplyResult {
  /** True when a restore ran (something was out of date). */
  readonly changed: boolean;
  /** Restore attempts made (0 when nothing needed to change). */
  readonly attempts: number;
  /** Whether the kernel state was read during this apply. */
  readonly readBack: boolean;
  readonly created: readonly string[];
  readonly rewritten: readonly string[];
  readonly deleted: readonly string[];
  readonly hooksRewritten: readonly string[];
}

export class IptablesApplyError extends Error {
  constructor(
    message: string,
    readonly attempts: number,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'IptablesApplyError';
  }
}

interface _Cached {
  readonly chain: Chain;
  readonly rendered: RenderedChain;
}

/** Renders a chain, reusing the previous hashes when the rule text is unchanged. */
function _render(name: string, rules: readonly Rule[], prev: RenderedChain | undefined): RenderedChain {
  const specs = rules.map(formatRuleSpec);
  if (prev !== undefined && prev.rules.length === specs.length && prev.rules.every((r, i) => r.spec === specs[i])) return prev;
  const hashes = ruleHashes(name, specs);
  return { name, rules: specs.map((spec, i): RenderedRule => ({ hash: hashes[i] ?? '', spec })) };
}

export class IptablesTable {
  readonly table: Table;
  private readonly _runner: CommandRunner;
  private readonly _clock: Clock;
  private readonly _save: string;
  private readonly _restore: string;
  private readonly _prefixes: readonly string[];
  private readonly _maxAttempts: number;
  private readonly _backoff0: number;
  private readonly _backoffMax: number;
  private readonly _timeoutMs: number;
  private readonly _alwaysRead: boolean;
  private readonly _refreshIntervalMs: number | undefined;
  private readonly _log: (msg: string) => void;

  private readonly _chains = new Map<string, _Cached>();
  /** Chains whose rendering changed since the last successful apply, with a change counter. */
  private readonly _dirty = new Map<string, number>();
  private _changeCount = 0;
  private _hooks: readonly RenderedChain[] = [];
  private _hooksKey = '';
  private _appliedHooksKey: string | undefined;
  /** What the kernel holds, as far as we know; undefined means "read it before planning". */
  private _actual: TableState | undefined;
  private _lastReadAt = -Infinity;
  private _queue: Promise<unknown> = Promise.resolve();
  private _lastPlan: RestorePlan | undefined;

  constructor(opts: IptablesTableOptions) {
    this.table = opts.table;
    this._runner = opts.runner;
    this._clock = opts.clock ?? realClock;
    const base = (opts.family ?? 4) === 6 ? 'ip6tables' : 'iptables';
    const suffix = opts.backend === undefined || opts.backend === 'default' ? '' : `-${opts.backend}`;
    this._save = opts.binaries?.save ?? `${base}${suffix}-save`;
    this._restore = opts.binaries?.restore ?? `${base}${suffix}-restore`;
    this._prefixes = opts.ownedPrefixes ?? DEFAULT_OWNED_PREFIXES;
    this._maxAttempts = Math.max(1, opts.maxAttempts ?? 5);
    this._backoff0 = opts.initialBackoffMs ?? 50;
    this._backoffMax = opts.maxBackoffMs ?? 1000;
    this._timeoutMs = opts.timeoutMs ?? 30_000;
    this._alwaysRead = opts.alwaysRead ?? false;
    this._refreshIntervalMs = opts.refreshIntervalMs;
    this._log = opts.log ?? ((): void => undefined);
  }

  /** Replaces the whole set of desired chains. Unchanged chains are not re-hashed. */
  setChains(chains: readonly Chain[]): void {
    const seen = new Set<string>();
    for (const c of chains) {
      if (seen.has(c.name)) throw new Error(`chain ${c.name} given twice`);
      seen.add(c.name);
      this.updateChain(c);
    }
    for (const name of [...this._chains.keys()]) if (!seen.has(name)) this._chains.delete(name);
  }

  /** Adds or replaces one desired chain. */
  updateChain(chain: Chain): void {
    if (!this._prefixes.some((p) => chain.name.startsWith(p))) {
      throw new Error(`chain ${chain.name} does not start with an owned prefix (${this._prefixes.join(', ')})`);
    }
    const prev = this._chains.get(chain.name);
    if (prev?.chain === chain) return;
    const rendered = _render(chain.name, chain.rules, prev?.rendered);
    if (rendered !== prev?.rendered) this._dirty.set(chain.name, ++this._changeCount);
    this._chains.set(chain.name, { chain, rendered });
  }

  /** Stops wanting a chain; the next apply deletes it. */
  removeChain(name: string): void {
    this._chains.delete(name);
  }

  /** Replaces the desired hook rules (at the top of built-in chains). */
  setHooks(insertions: readonly Insertion[]): void {
    const byChain = new Map<string, Rule[]>();
    for (const ins of insertions) byChain.set(ins.chain, [...(byChain.get(ins.chain) ?? []), ...ins.rules]);
    this._hooks = [...byChain].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, rules]) => renderRules(name, rules));
    this._hooksKey = this._hooks.map((h) => `${h.name}:${h.rules.map((r) => r.hash).join(',')}`).join(';');
  }

  /** The desired chains' names, sorted. */
  chainNames(): string[] {
    return [...this._chains.keys()].sort();
  }

  /** The plan of the last restore that ran (for diagnostics). */
  get lastPlan(): RestorePlan | undefined {
    return this._lastPlan;
  }

  /** Forget what we believe the kernel holds; the next apply reads it. */
  invalidate(): void {
    this._actual = undefined;
  }

  /** Brings the table in line with the desired state. Serialised with other calls. */
  apply(): Promise<ApplyResult> {
    return this._serial(() => this._apply(this._desired(), { sweep: true, forceRead: false }, new Map(this._dirty)));
  }

  /** Re-reads the kernel and repairs any drift. */
  refresh(): Promise<ApplyResult> {
    return this._serial(() => this._apply(this._desired(), { sweep: true, forceRead: true }, new Map(this._dirty)));
  }

  /**
   * Installs the fail-closed chains and hooks (render/fail-closed.ts; filter table only). Keeps
   * every chain we already own; the next `apply()` replaces the hooks and sweeps these chains.
   */
  failClosed(fc: FailClosedRules = failClosedRules()): Promise<ApplyResult> {
    if (this.table !== 'filter') return Promise.reject(new Error('failClosed() applies to the filter table only'));
    const desired: DesiredTable = {
      chains: fc.chains.map((c) => renderRules(c.name, c.rules)),
      hooks: fc.hooks.map((h) => renderRules(h.chain, h.rules)),
    };
    return this._serial(async () => {
      const r = await this._apply(desired, { sweep: false, forceRead: true }, new Map());
      this._appliedHooksKey = undefined; // the real hooks are not in place
      return r;
    });
  }

  /** Forgets dirty marks that this apply covered (not ones made while it was running). */
  private _clearDirty(covered: ReadonlyMap<string, number>): void {
    for (const [name, n] of covered) if (this._dirty.get(name) === n) this._dirty.delete(name);
  }

  private _desired(): DesiredTable {
    return { chains: [...this._chains.values()].map((c) => c.rendered), hooks: this._hooks };
  }

  private _serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this._queue.then(fn, fn);
    this._queue = p.catch(() => undefined);
    return p;
  }

  private async _read(): Promise<{ ok: true; state: TableState } | { ok: false; stderr: string }> {
    if (this._runner.start !== undefined) return this._readStreaming(this._runner.start.bind(this._runner));
    const r = await this._runner.run({ argv: [this._save, '-t', this.table], timeoutMs: this._timeoutMs });
    if (r.code !== 0) return { ok: false, stderr: `${this._save} -t ${this.table} exited ${r.code}: ${r.stderr.trim()}` };
    this._lastReadAt = this._clock.now();
    return { ok: true, state: parseSaveTable(r.stdout, this.table) };
  }

  /**
   * The same read, parsed while `iptables-save` is still writing (about 17 MB for 100k rules):
   * the parse overlaps the save instead of following it, and the whole text is never held.
   */
  private async _readStreaming(start: NonNullable<CommandRunner['start']>): Promise<{ ok: true; state: TableState } | { ok: false; stderr: string }> {
    const parser = new SaveParser();
    let stderr = '';
    const argv = [this._save, '-t', this.table];
    const proc = start({
      argv,
      onOutput: (text, stream) => {
        if (stream === 'stdout') parser.push(text);
        else if (stderr.length < 64 * 1024) stderr += text;
      },
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      void proc.stop(0);
    }, this._timeoutMs);
    let code: number;
    try {
      code = await proc.exited;
    } finally {
      clearTimeout(timer);
    }
    if (timedOut) return { ok: false, stderr: `${argv.join(' ')} timed out after ${this._timeoutMs} ms` };
    if (code !== 0) return { ok: false, stderr: `${argv.join(' ')} exited ${code}: ${stderr.trim()}` };
    this._lastReadAt = this._clock.now();
    return { ok: true, state: parser.finish().get(this.table) ?? EMPTY_TABLE_STATE };
  }

  /** `dirty` is the dirty-chain snapshot taken together with `desired`. */
  private async _apply(
    desired: DesiredTable,
    how: { sweep: boolean; forceRead: boolean },
    dirty: ReadonlyMap<string, number>,
  ): Promise<ApplyResult> {
    const hooksKey = how.sweep ? this._hooksKey : undefined;
    const finish = (): void => {
      if (hooksKey !== undefined) this._appliedHooksKey = hooksKey;
      if (how.sweep) this._clearDirty(dirty);
    };
    return reconcileWithRetry({
      mustRead:
        how.forceRead ||
        this._alwaysRead ||
        this._actual === undefined ||
        (hooksKey !== undefined && hooksKey !== this._appliedHooksKey) ||
        (this._refreshIntervalMs !== undefined && this._clock.now() - this._lastReadAt >= this._refreshIntervalMs),
      maxAttempts: this._maxAttempts,
      backoff0: this._backoff0,
      backoffMax: this._backoffMax,
      clock: this._clock,
      getActual: () => this._actual,
      setActual: (st) => void (this._actual = st),
      read: () => this._read(),
      plan: (actual, readBack) => {
        // Without a read in this apply, `_actual` is our own prediction: only dirty chains can differ.
        const candidates = readBack || !how.sweep ? undefined : new Set(dirty.keys());
        return planRestore(this.table, desired, actual, {
          ownedPrefixes: this._prefixes,
          sweep: how.sweep,
          ...(candidates === undefined ? {} : { candidates }),
        });
      },
      restore: async (plan) => {
        this._lastPlan = plan;
        const r = await this._runner.run({ argv: [this._restore, '--noflush', '--wait', '10'], stdin: plan.script, timeoutMs: this._timeoutMs });
        return { ok: r.code === 0, error: `${this._restore} exited ${r.code}: ${r.stderr.trim()}` };
      },
      done: (plan, changed, attempts, readBack): ApplyResult => {
        finish();
        if (!changed) return { changed: false, attempts, readBack, created: [], rewritten: [], deleted: [], hooksRewritten: [] };
        const { created, rewritten, deleted, hooksRewritten } = plan;
        return { changed: true, attempts, readBack, created, rewritten, deleted, hooksRewritten };
      },
      onReadError: (stderr) => this._log(`iptables ${this.table}: ${stderr}`),
      onAttemptFailed: (n, error) => this._log(`iptables ${this.table}: attempt ${n} failed: ${error}`),
      giveUp: (attempts, lastErr) =>
        new IptablesApplyError(`iptables ${this.table}: giving up after ${this._maxAttempts} attempts: ${lastErr}`, attempts, lastErr),
    });
  }
}
