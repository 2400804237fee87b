/**
 * @module IptablesDriver: the iptables + ipset dataplane behind `DataplaneDriver` (Felix's
 * iptables mode). It owns the raw, mangle and filter `IptablesTable`s and the `IpsetApplier`,
 * and applies in Felix's order, so no rule ever refers to a set that does not exist:
 *
 *   ipsets.applyAdds → raw, mangle, filter apply → ipsets.applyRemovals
 *
 * Drift: `verify()` runs `iptables-save` (every table, one process) and `ipset save`, keeps the
 * lines that matter to us (our chains, the built-in chains our hooks sit in, our sets: see
 * `saveFingerprint`/`ipsetSaveFingerprint`) and compares them with the last fingerprint. When
 * they differ, it re-reads and repairs every table and set (`refresh`), reporting what it found.
 * The fingerprint is taken before the repair it triggers, so a change made during a repair is
 * caught by the next verify (which then finds nothing to repair, or repairs it).
 * The periodic full refresh follows `iptablesRefreshInterval` (tables) and
 * `ipsetsRefreshInterval` (sets) of the node's FelixConfiguration (Felix's defaults 180 s and 90 s).
 *
 * IPv6 (a dual-stack node): the same three tables through `ip6tables-save`/`ip6tables-restore`
 * (`tables6`), and the `cali60` `family inet6` sets in the same IpsetApplier (one `ipset
 * restore` for both families), in the same order. Once an IPv6 dataplane has been applied, the
 * fingerprint and the refresh cover the ip6tables tables too; an apply without one leaves the
 * IPv6 side as it was.
 */
import type { Clock, CommandRunner } from '../../sys/index.js';
import { realClock } from '../../sys/index.js';
import type { EffectiveFelixConfig } from '../../model/calico/felix-configuration.js';
import { mergeDrift, NO_DRIFT, type DataplaneDriver, type DriftReport, type DriverApplyResult } from '../driver.js';
import type { FailClosedRules } from '../render/fail-closed.js';
import type { RenderedDataplane } from '../render/index.js';
import { RefreshSchedule, intervalMs } from '../refresh-schedule.js';
import { IpsetApplier, type IpsetApplyResult } from '../ipset/ipset-applier.js';
import { DEFAULT_IPSET_PREFIXES, ipsetSaveFingerprint } from '../ipset/plan.js';
import { saveFingerprint } from './parse-save.js';
import { DEFAULT_OWNED_PREFIXES } from './plan.js';
import { IptablesTable, type ApplyResult, type IptablesBackend } from './table.js';

const TABLES = ['raw', 'mangle', 'filter'] as const;
type _TableName = (typeof TABLES)[number];

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
  private _applied = false;
  private _fingerprint: string | undefined;
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
      const apply = async (tables: Readonly<Record<_TableName, IptablesTable>>, d: RenderedDataplane): Promise<void> => {
        for (const t of [d.raw, d.mangle, d.filter]) {
          const table = tables[t.table as _TableName];
          table.setChains(t.chains);
          table.setHooks(t.hooks);
          changed = (await table.apply()).changed || changed;
        }
      };
      await apply(this.tables, r);
      if (ipv6 !== undefined) {
        await apply(this.tables6, ipv6);
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
      const fp = await this._readFingerprint();
      if (fp === this._fingerprint) return { repaired: false, found: [], read: true };
      this._fingerprint = fp;
      try {
        return await this._refresh(['tables', 'sets']);
      } catch (e) {
        this._fingerprint = undefined; // the next verify tries again
        throw e;
      }
    });
  }

  refresh(force = false): Promise<DriftReport> {
    return this._serial(async () => {
      if (!this._applied) return NO_DRIFT;
      return this._refresh(this._schedule.due(force));
    });
  }

  refreshDueInMs(): number {
    return this._schedule.dueInMs();
  }

  close(): Promise<void> {
    return this.ipsets.close();
  }

  private async _refresh(parts: readonly ('tables' | 'sets')[]): Promise<DriftReport> {
    const reports: DriftReport[] = [];
    // Sets first: a repaired rule may refer to a repaired set.
    if (parts.includes('sets')) {
      this._schedule.done('sets'); // a failed refresh waits for its next turn (or the next verify)
      const r = await this.ipsets.refresh();
      const found = _setsFound(r);
      reports.push({ repaired: found.length > 0, found, read: true });
    }
    if (parts.includes('tables')) {
      this._schedule.done('tables');
      for (const t of TABLES) {
        const found = _tableFound(t, await this.tables[t].refresh());
        reports.push({ repaired: found.length > 0, found, read: true });
      }
      if (this._v6 !== undefined)
        for (const t of TABLES) {
          const found = _tableFound(`ip6 ${t}`, await this.tables6[t].refresh());
          reports.push({ repaired: found.length > 0, found, read: true });
        }
    }
    return mergeDrift(reports);
  }

  private async _readFingerprint(): Promise<string> {
    const v6 = this._v6 !== undefined;
    const [ipt, ips, ipt6] = await Promise.all([
      this._runner.run({ argv: [this._save], timeoutMs: this._timeoutMs }),
      this._runner.run({ argv: ['ipset', 'save'], timeoutMs: this._timeoutMs }),
      v6 ? this._runner.run({ argv: [this._save6], timeoutMs: this._timeoutMs }) : Promise.resolve(undefined),
    ]);
    if (ipt.code !== 0) throw new Error(`${this._save} exited ${ipt.code}: ${ipt.stderr.trim()}`);
    if (ips.code !== 0) throw new Error(`ipset save exited ${ips.code}: ${ips.stderr.trim()}`);
    if (ipt6 !== undefined && ipt6.code !== 0) throw new Error(`${this._save6} exited ${ipt6.code}: ${ipt6.stderr.trim()}`);
    const six = ipt6 === undefined ? '' : `\n--\n${saveFingerprint(ipt6.stdout, TABLES, DEFAULT_OWNED_PREFIXES)}`;
    return `${saveFingerprint(ipt.stdout, TABLES, DEFAULT_OWNED_PREFIXES)}\n--\n${ipsetSaveFingerprint(ips.stdout, DEFAULT_IPSET_PREFIXES)}${six}`;
  }

  private _serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this._queue.then(fn, fn);
    this._queue = p.catch(() => undefined);
    return p;
  }
}
