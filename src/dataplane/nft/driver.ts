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
 *
 * IPv6 (a dual-stack node): a second table of the same name in family `ip6`, with its own
 * applier (`applier6`), the IPv6 rendering translated the same way; verify, refresh and the
 * monitor cover it once an IPv6 dataplane has been applied. An apply without one leaves the
 * `ip6` table as it was.
 */
import type { Clock, CommandRunner } from '../../sys/index.js';
import type { EffectiveFelixConfig } from '../../model/calico/felix-configuration.js';
import { mergeDrift, NO_DRIFT, type DataplaneDriver, type DriftReport, type DriverApplyResult } from '../driver.js';
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
  /** The `ip6` table (used once an IPv6 dataplane is applied). */
  readonly applier6: NftApplier;
  private readonly _schedule: RefreshSchedule<'table'>;
  private readonly _monitor: KernelMonitor;
  private _applied = false;
  private _v6 = false;

  constructor(opts: NftDriverOptions) {
    const clock = opts.clock ?? realClock;
    const table = opts.table ?? 'tabby';
    // `nft monitor` prints e.g. `delete rule ip tabby filter-FORWARD handle 7` (`ip6 tabby` for IPv6).
    this._monitor = new KernelMonitor(opts.runner, (l) => [` ip ${table}`, ` ip6 ${table}`].some((t) => l.includes(`${t} `) || l.endsWith(t)), opts.log);
    const mk = (family: 'ip' | 'ip6'): NftApplier =>
      new NftApplier({
        runner: opts.runner,
        clock,
        family,
        ...(opts.log !== undefined ? { log: opts.log } : {}),
        ...(opts.table !== undefined ? { table: opts.table } : {}),
        ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      });
    this.applier = mk('ip');
    this.applier6 = mk('ip6');
    this._schedule = new RefreshSchedule(clock, ['table'], opts.refreshIntervalMs);
  }

  configure(felix: EffectiveFelixConfig): void {
    // Felix's config_params.go default; FELIX_DEFAULTS does not carry this one.
    this._schedule.setInterval('table', intervalMs(felix.nftablesRefreshInterval, '180s'));
  }

  async failClosed(rules: FailClosedRules, ipv6?: FailClosedRules): Promise<void> {
    await this.applier.failClosed(rules);
    if (ipv6 !== undefined) await this.applier6.failClosed(ipv6);
  }

  async apply(r: RenderedDataplane, ipv6?: RenderedDataplane): Promise<DriverApplyResult> {
    this.applier.setRuleset(renderNftFromDataplane(r, this.applier.table));
    if (ipv6 !== undefined) this.applier6.setRuleset(renderNftFromDataplane(ipv6, this.applier6.table));
    let changed = (await this.applier.apply()).changed;
    if (ipv6 !== undefined) {
      changed = (await this.applier6.apply()).changed || changed;
      this._v6 = true;
    }
    if (!this._applied) {
      this._applied = true;
      this._schedule.done('table');
    }
    return { changed };
  }

  async verify(): Promise<DriftReport> {
    if (!this._applied) return NO_DRIFT;
    return this._both();
  }

  async refresh(force = false): Promise<DriftReport> {
    if (!this._applied || this._schedule.due(force).length === 0) return NO_DRIFT;
    this._schedule.done('table'); // a failed refresh waits for its next turn (or the next verify)
    return this._both();
  }

  /** Reads back (and repairs) the `ip` table and, once programmed, the `ip6` one. */
  private async _both(): Promise<DriftReport> {
    const r4 = this._report(await this.applier.refresh());
    if (!this._v6) return r4;
    return mergeDrift([r4, this._report(await this.applier6.refresh(), 'ip6 ')]);
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

  private _report(r: NftApplyResult, family = ''): DriftReport {
    const repaired = r.changed && (r.reason === 'drift' || r.reason === 'missing');
    const applier = family === '' ? this.applier : this.applier6;
    return { repaired, found: repaired ? applier.lastDrift.map((d) => `${family}${d}`) : [], read: r.readBack };
  }
}
