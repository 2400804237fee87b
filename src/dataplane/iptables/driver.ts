/**
 * @module IptablesDriver: the iptables + ipset dataplane behind `DataplaneDriver` (Felix's
 * iptables mode). It owns the raw, mangle and filter `IptablesTable`s and the `IpsetApplier`,
 * and applies in Felix's order, so no rule ever refers to a set that does not exist:
 *
 *   ipsets.applyAdds → raw, mangle, filter apply → ipsets.applyRemovals
 *
 * Drift: `verify()` runs `iptables-save` (every table, one process) and `ipset save`, keeps the
 * lines that matter to us (our chains, the built-in chains our hooks sit in, our sets: see
 * `saveFingerprint`/`ipsetSaveFingerprint`) and compares them, table by table and for the sets,
 * with the last fingerprints. What differs is re-read and repaired (the sets first, then the
 * tables in raw, mangle, filter order), and reported. `watch` runs `nft monitor`, which reports
 * changes to iptables-nft's tables at once (not iptables-legacy's, nor IP sets: the poll does).
 * The fingerprint is taken before the repair it triggers, so a change made during a repair is
 * caught by the next verify (which then finds nothing to repair, or repairs it).
 * The periodic full refresh follows `iptablesRefreshInterval` (tables) and
 * `ipsetsRefreshInterval` (sets) of the node's FelixConfiguration (Felix's defaults 180 s and 90 s).
 *
 * IPv6 (a dual-stack node): the same three tables through `ip6tables-save`/`ip6tables-restore`
 * (`tables6`), and the `cali60` `family inet6` sets in the same IpsetApplier (one `ipset
 * restore` for both families), in the same order. Once an IPv6 dataplane has been applied, the
 * fingerprints, the monitor and the refresh cover the ip6tables tables too (parts `ip6 raw`,
 * `ip6 mangle`, `ip6 filter`); an apply without one leaves the IPv6 side as it was.
 */
import type { Clock, CommandRunner } from '../../sys/index.js';
import { realClock } from '../../sys/index.js';
import type { EffectiveFelixConfig } from '../../model/calico/felix-configuration.js';
import { mergeDrift, NO_DRIFT, type DataplaneDriver, type DriftReport, type DriverApplyResult } from '../driver.js';
import type { FailClosedRules } from '../render/fail-closed.js';
import type { RenderedDataplane } from '../render/index.js';
import { RefreshSchedule, intervalMs } from '../refresh-schedule.js';
import { KernelMonitor } from '../kernel-monitor.js';
import { IpsetApplier, type IpsetApplyResult } from '../ipset/ipset-applier.js';
import { DEFAULT_IPSET_PREFIXES, ipsetSaveFingerprint } from '../ipset/plan.js';
import { saveFingerprint } from './parse-save.js';
import { DEFAULT_OWNED_PREFIXES } from './plan.js';
import { IptablesTable, type ApplyResult, type IptablesBackend } from './table.js';

const TABLES = ['raw', 'mangle', 'filter'] as const;
type _TableName = (typeof TABLES)[number];
type _Table6 = `ip6 ${_TableName}`;
type _Part = _TableName | _Table6 | 'sets';
const TABLES6: readonly _Table6[] = ['ip6 raw', 'ip6 mangle', 'ip6 filter'];

export interface IptablesDriverOptions {
  readonly runner: CommandRunner;
  readonly clock?: Clock;
  readonly backend?: IptablesBackend;
  /** Overrides FelixConfiguration's refresh intervals (ms). */
  readonly refreshIntervalMs?: number;
  /** Per-command timeout (default 30 s for iptables, 60 s for ipset). */
  readonly timeoutMs?: number;
  /** Send IP set member changes through a long-lived `ipset -` process (default true). */
  readonly interactiveIpset?: boolean;
  readonly log?: (msg: string) => void;
}

function _tableFound(t: string, r: ApplyResult): string[] {
  if (!r.changed) return [];
  return [
    ...r.hooksRewritten.map((c) => `${t}: hook ${c} missing or not first`),
    ...r.created.map((c) => `${t}: chain ${c} missing`),
    ...r.rewritten.map((c) => `${t}: chain ${c} changed`),
    ...r.deleted.map((c) => `${t}: chain ${c} not ours`),
  ];
}

function _setsFound(r: IpsetApplyResult): string[] {
  if (!r.changed) return [];
  return [
    ...r.created.map((s) => `set ${s} missing`),
    ...r.updated.map((s) => `set ${s} members changed`),
    ...r.rewritten.map((s) => `set ${s} type changed`),
    ...(r.created.length + r.updated.length + r.rewritten.length === 0 ? [`sets: ${r.memberChanges} member changes`] : []),
  ];
}

export class IptablesDriver implements DataplaneDriver {
  readonly kind = 'iptables' as const;
  readonly tables: Readonly<Record<_TableName, IptablesTable>>;
  /** The ip6tables tables (used once an IPv6 dataplane is applied). */
  readonly tables6: Readonly<Record<_TableName, IptablesTable>>;
  readonly ipsets: IpsetApplier;
  private readonly _runner: CommandRunner;
  private readonly _save: string;
  private readonly _save6: string;
  /** The last IPv6 dataplane applied (undefined: this node has programmed no IPv6). */
  private _v6: RenderedDataplane | undefined;
  private readonly _timeoutMs: number;
  private readonly _schedule: RefreshSchedule<'tables' | 'sets'>;
  private readonly _monitor: KernelMonitor;
  private _applied = false;
  /** The last fingerprint of each table and of the sets. */
  private readonly _fingerprints = new Map<_Part, string>();
  private _queue: Promise<unknown> = Promise.resolve();

  constructor(opts: IptablesDriverOptions) {
    const clock = opts.clock ?? realClock;
    const log = opts.log ?? ((): void => undefined);
    const backend = opts.backend ?? 'default';
    this._runner = opts.runner;
    this._timeoutMs = opts.timeoutMs ?? 30_000;
    this._save = `iptables${backend === 'default' ? '' : `-${backend}`}-save`;
    this._save6 = `ip6tables${backend === 'default' ? '' : `-${backend}`}-save`;
    const mk = (table: _TableName, family: 4 | 6 = 4): IptablesTable =>
      new IptablesTable({ table, family, runner: opts.runner, clock, backend, log, ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }) });
    this.tables = { raw: mk('raw'), mangle: mk('mangle'), filter: mk('filter') };
    this.tables6 = { raw: mk('raw', 6), mangle: mk('mangle', 6), filter: mk('filter', 6) };
    this.ipsets = new IpsetApplier({
      runner: opts.runner,
      clock,
      log,
      ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
      ...(opts.interactiveIpset === undefined ? {} : { interactive: opts.interactiveIpset }),
    });
    this._schedule = new RefreshSchedule(clock, ['tables', 'sets'], opts.refreshIntervalMs);
    // iptables-nft's tables are nftables tables (`add rule ip filter FORWARD …`); legacy ones and
    // IP sets raise no event (the poll finds those).
    this._monitor = new KernelMonitor(opts.runner, (l) => /\bip6? (raw|mangle|filter)\b/.test(l), log);
  }

  watch(onChange: () => void): void {
    this._monitor.start(onChange);
  }

  configure(felix: EffectiveFelixConfig): void {
    this._schedule.setInterval('tables', intervalMs(felix.iptablesRefreshInterval, '180s'));
    this._schedule.setInterval('sets', intervalMs(felix.ipsetsRefreshInterval, '90s'));
  }

  failClosed(rules: FailClosedRules, ipv6?: FailClosedRules): Promise<void> {
    return this._serial(async () => {
      await this.tables.filter.failClosed(rules);
      if (ipv6 !== undefined) await this.tables6.filter.failClosed(ipv6);
    });
  }

  apply(r: RenderedDataplane, ipv6?: RenderedDataplane): Promise<DriverApplyResult> {
    return this._serial(async () => {
      if (ipv6 !== undefined && ipv6.family !== 6) throw new Error('IptablesDriver.apply: the second dataplane must be the IPv6 one');
      const v6 = ipv6 ?? this._v6;
      this.ipsets.setIpSets(v6 === undefined ? r.ipSets : [...r.ipSets, ...v6.ipSets]);
      let changed = (await this.ipsets.applyAdds()).changed;
      const program = async (tables: Readonly<Record<_TableName, IptablesTable>>, d: RenderedDataplane): Promise<void> => {
        for (const t of [d.raw, d.mangle, d.filter]) {
          const table = tables[t.table as _TableName];
          table.setChains(t.chains);
          table.setHooks(t.hooks);
          changed = (await table.apply()).changed || changed;
        }
      };
      await program(this.tables, r);
      if (ipv6 !== undefined) {
        await program(this.tables6, ipv6);
        this._v6 = ipv6;
      }
      changed = (await this.ipsets.applyRemovals()).changed || changed;
      if (!this._applied) {
        this._applied = true;
        this._schedule.done('tables');
        this._schedule.done('sets');
      }
      return { changed };
    });
  }

  verify(): Promise<DriftReport> {
    return this._serial(async () => {
      if (!this._applied) return NO_DRIFT;
      const fps = await this._readFingerprints();
      const changed = [...fps].filter(([part, fp]) => this._fingerprints.get(part) !== fp).map(([part]) => part);
      if (changed.length === 0) return { repaired: false, found: [], read: true };
      // Taken before the repair: a change made during the repair shows in the next verify.
      for (const part of changed) this._fingerprints.set(part, fps.get(part)!);
      try {
        return await this._repair(changed);
      } catch (e) {
        for (const part of changed) this._fingerprints.delete(part); // the next verify tries again
        throw e;
      }
    });
  }

  refresh(force = false): Promise<DriftReport> {
    return this._serial(async () => {
      if (!this._applied) return NO_DRIFT;
      const due = this._schedule.due(force);
      for (const p of due) this._schedule.done(p); // a failed refresh waits for its next turn (or the next verify)
      return this._repair([...(due.includes('sets') ? ['sets' as const] : []), ...(due.includes('tables') ? [...TABLES, ...TABLES6] : [])]);
    });
  }

  refreshDueInMs(): number {
    return this._schedule.dueInMs();
  }

  async close(): Promise<void> {
    await this._monitor.close();
    await this.ipsets.close();
  }

  /** Re-reads and repairs these parts: the sets first (a repaired rule may use a repaired set), then the tables in order. */
  private async _repair(parts: readonly _Part[]): Promise<DriftReport> {
    const reports: DriftReport[] = [];
    if (parts.includes('sets')) {
      const found = _setsFound(await this.ipsets.refresh());
      reports.push({ repaired: found.length > 0, found, read: true });
    }
    for (const t of TABLES) {
      if (!parts.includes(t)) continue;
      const found = _tableFound(t, await this.tables[t].refresh());
      reports.push({ repaired: found.length > 0, found, read: true });
    }
    if (this._v6 !== undefined)
      for (const t of TABLES) {
        if (!parts.includes(`ip6 ${t}`)) continue;
        const found = _tableFound(`ip6 ${t}`, await this.tables6[t].refresh());
        reports.push({ repaired: found.length > 0, found, read: true });
      }
    return mergeDrift(reports);
  }

  private async _readFingerprints(): Promise<Map<_Part, string>> {
    const [ipt, ips, ipt6] = await Promise.all([
      this._runner.run({ argv: [this._save], timeoutMs: this._timeoutMs }),
      this._runner.run({ argv: ['ipset', 'save'], timeoutMs: this._timeoutMs }),
      this._v6 !== undefined ? this._runner.run({ argv: [this._save6], timeoutMs: this._timeoutMs }) : Promise.resolve(undefined),
    ]);
    if (ipt.code !== 0) throw new Error(`${this._save} exited ${ipt.code}: ${ipt.stderr.trim()}`);
    if (ips.code !== 0) throw new Error(`ipset save exited ${ips.code}: ${ips.stderr.trim()}`);
    if (ipt6 !== undefined && ipt6.code !== 0) throw new Error(`${this._save6} exited ${ipt6.code}: ${ipt6.stderr.trim()}`);
    const out = new Map<_Part, string>(TABLES.map((t) => [t, saveFingerprint(ipt.stdout, [t], DEFAULT_OWNED_PREFIXES)]));
    if (ipt6 !== undefined) for (const t of TABLES) out.set(`ip6 ${t}`, saveFingerprint(ipt6.stdout, [t], DEFAULT_OWNED_PREFIXES));
    out.set('sets', ipsetSaveFingerprint(ips.stdout, DEFAULT_IPSET_PREFIXES));
    return out;
  }

  private _serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this._queue.then(fn, fn);
    this._queue = p.catch(() => undefined);
    return p;
  }
}
