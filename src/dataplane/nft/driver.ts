/**
 * @module NftDriver: the native nftables dataplane behind `DataplaneDriver` (`tabby agent
 * --dataplane nft`). It translates the rendered dataplane (raw, mangle and filter chains and the
 * IP sets) into one ruleset (render.ts) and hands it to the `NftApplier`: one transaction per
 * apply, so sets and the rules that use them always change together and there is no apply order
 * to keep.
 *
 * Drift: `verify()` lists our table (`nft -j list table ip tabby`) and compares its canonical
 * form with what our last write produced (the applier's fingerprint); any difference (a flushed
 * chain, a deleted hook, a removed element, an inserted rule, the table deleted) is repaired by
 * a full replacement in one transaction and reported per chain and set. `watch` runs `nft
 * monitor` so a change to our table is verified at once. The periodic full
 * refresh follows the node's `nftablesRefreshInterval` (Felix's default 180 s).
 */
import type { Clock, CommandRunner } from '../../sys/index.js';
import type { EffectiveFelixConfig } from '../../model/calico/felix-configuration.js';
import { NO_DRIFT, type DataplaneDriver, type DriftReport, type DriverApplyResult } from '../driver.js';
import type { FailClosedRules } from '../render/fail-closed.js';
import type { RenderedDataplane } from '../render/index.js';
import { RefreshSchedule, intervalMs } from '../refresh-schedule.js';
import { KernelMonitor } from '../kernel-monitor.js';
import { realClock } from '../../sys/index.js';
import { NftApplier, type NftApplyResult } from './applier.js';
import { renderNftFromDataplane } from './render.js';

export interface NftDriverOptions {
  readonly runner: CommandRunner;
  readonly clock?: Clock;
  /** Our table (default `tabby`, family `ip`). */
  readonly table?: string;
  /** Overrides FelixConfiguration's `nftablesRefreshInterval` (ms). */
  readonly refreshIntervalMs?: number;
  readonly timeoutMs?: number;
  readonly log?: (msg: string) => void;
}

export class NftDriver implements DataplaneDriver {
  readonly kind = 'nft' as const;
  readonly applier: NftApplier;
  private readonly _schedule: RefreshSchedule<'table'>;
  private readonly _monitor: KernelMonitor;
  private _applied = false;

  constructor(opts: NftDriverOptions) {
    const clock = opts.clock ?? realClock;
    const table = opts.table ?? 'tabby';
    // `nft monitor` prints e.g. `delete rule ip tabby filter-FORWARD handle 7`.
    this._monitor = new KernelMonitor(opts.runner, (l) => l.includes(` ip ${table} `) || l.endsWith(` ip ${table}`), opts.log);
    this.applier = new NftApplier({
      runner: opts.runner,
      clock,
      ...(opts.log !== undefined ? { log: opts.log } : {}),
      ...(opts.table !== undefined ? { table: opts.table } : {}),
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    });
    this._schedule = new RefreshSchedule(clock, ['table'], opts.refreshIntervalMs);
  }

  configure(felix: EffectiveFelixConfig): void {
    // Felix's config_params.go default; FELIX_DEFAULTS does not carry this one.
    this._schedule.setInterval('table', intervalMs(felix.nftablesRefreshInterval, '180s'));
  }

  async failClosed(rules: FailClosedRules): Promise<void> {
    await this.applier.failClosed(rules);
  }

  async apply(r: RenderedDataplane): Promise<DriverApplyResult> {
    this.applier.setRuleset(renderNftFromDataplane(r, this.applier.table));
    const res = await this.applier.apply();
    if (!this._applied) {
      this._applied = true;
      this._schedule.done('table');
    }
    return { changed: res.changed };
  }

  async verify(): Promise<DriftReport> {
    if (!this._applied) return NO_DRIFT;
    return this._report(await this.applier.refresh());
  }

  async refresh(force = false): Promise<DriftReport> {
    if (!this._applied || this._schedule.due(force).length === 0) return NO_DRIFT;
    this._schedule.done('table'); // a failed refresh waits for its next turn (or the next verify)
    const r = await this.applier.refresh();
    return this._report(r);
  }

  refreshDueInMs(): number {
    return this._schedule.dueInMs();
  }

  watch(onChange: () => void): void {
    this._monitor.start(onChange);
  }

  close(): Promise<void> {
    return this._monitor.close();
  }

  private _report(r: NftApplyResult): DriftReport {
    const repaired = r.changed && (r.reason === 'drift' || r.reason === 'missing');
    return { repaired, found: repaired ? [...this.applier.lastDrift] : [], read: r.readBack };
  }
}
