/**
 * @module RecordingDriver: a DataplaneDriver whose "kernel" is memory (`RecordedDataplane`), for
 * the scale simulation (`tabby sim`), where hundreds of agents share one machine and none may
 * touch the host's tables. It is a real implementation of the port, not a mock: it programs the
 * iptables layout the renderer produced (chains and hooks of raw/mangle/filter, IP sets, both
 * families) into its store, writes only what changed, detects drift by a fingerprint (the
 * store's generation) and repairs it on `verify`, refreshes parts on FelixConfiguration's
 * intervals, and keeps what it last programmed, when, and (told by the harness) at which
 * datastore revision.
 *
 * Invariants: the store holds one canonical string per object (`4 filter chain cali-…`,
 * `4 filter hook FORWARD`, `4 set cali40…`), so two equal dataplanes are equal maps and a diff
 * is a key-by-key string compare; our hook in a built-in chain is visible only while no foreign
 * rule sits ahead of it (as iptables reads it), and a repair puts ours first again.
 */
import { NO_DRIFT, type DataplaneDriver, type DriftReport, type DriverApplyResult } from '../driver.js';
import type { FailClosedRules } from '../render/fail-closed.js';
import type { RenderedDataplane } from '../render/index.js';
import type { Chain, Insertion, IpSet } from '../model.js';
import { intervalMs, RefreshSchedule } from '../refresh-schedule.js';
import type { EffectiveFelixConfig } from '../../model/calico/felix-configuration.js';
import { realClock, type Clock } from '../../sys/index.js';

type _Part = 'tables' | 'sets';

/** The in-memory "kernel" one RecordingDriver programs (and tests tamper with). */
export class RecordedDataplane {
  /** key → canonical value; see the module doc for the key forms. */
  readonly objects = new Map<string, string>();
  /** Foreign rules that sit ahead of our hook in a built-in chain (`4 filter FORWARD` → rules). */
  readonly foreignAhead = new Map<string, string[]>();
  /** Bumped on every write: the fingerprint `verify` compares. */
  generation = 0;

  set(key: string, value: string): void {
    this.objects.set(key, value);
    this.generation++;
  }

  delete(key: string): void {
    if (this.objects.delete(key)) this.generation++;
  }

  /** Puts a foreign rule first in a built-in chain (ahead of ours), e.g. `insertFirst('4 filter FORWARD', '-j ACCEPT')`. */
  insertFirst(builtin: string, rule: string): void {
    this.foreignAhead.set(builtin, [rule, ...(this.foreignAhead.get(builtin) ?? [])]);
    this.generation++;
  }

  /** What is in effect, canonically: our objects sorted; a hook behind a foreign rule shows as that rule. */
  view(): string {
    const out: string[] = [];
    for (const [k, v] of [...this.objects].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const hook = / hook (\S+)$/.exec(k);
      const builtin = hook === null ? undefined : k.replace(/ hook /, ' ');
      const ahead = builtin === undefined ? undefined : this.foreignAhead.get(builtin);
      if (ahead !== undefined && ahead.length > 0) out.push(`${builtin!} foreign first: ${ahead.join(' | ')}`);
      else out.push(`${k} ${v}`);
    }
    return out.join('\n');
  }
}

const _chainKey = (family: number, table: string, name: string): string => `${family} ${table} chain ${name}`;
const _hookKey = (family: number, table: string, chain: string): string => `${family} ${table} hook ${chain}`;
const _setKey = (family: number, name: string): string => `${family} set ${name}`;
const _isSetKey = (k: string): boolean => / set /.test(k);

/** The canonical image of one rendered dataplane (every chain, hook and set, one string each). */
export function imageOf(r: RenderedDataplane, into = new Map<string, string>()): Map<string, string> {
  for (const t of [r.raw, r.mangle, r.filter]) {
    for (const c of t.chains) into.set(_chainKey(r.family, t.table, c.name), JSON.stringify(c.rules));
    for (const h of t.hooks) into.set(_hookKey(r.family, t.table, h.chain), JSON.stringify(h.rules));
  }
  for (const s of r.ipSets) into.set(_setKey(r.family, s.name), _setValue(s));
  return into;
}

function _setValue(s: IpSet): string {
  return JSON.stringify({ type: s.type, family: s.family, members: [...s.members].sort() });
}

function _failClosedImage(rules: FailClosedRules, family: number, into: Map<string, string>): void {
  for (const c of rules.chains as readonly Chain[]) into.set(_chainKey(family, 'filter', c.name), JSON.stringify(c.rules));
  for (const h of rules.hooks as readonly Insertion[]) into.set(_hookKey(family, 'filter', h.chain), JSON.stringify(h.rules));
}

/** What a node's agent last programmed: the rendering, when, and (from the harness) the revision. */
export interface ProgrammedRecord {
  readonly rendered: RenderedDataplane;
  readonly rendered6: RenderedDataplane | undefined;
  /** Clock time of the apply. */
  readonly at: number;
}

export interface RecordingDriverOptions {
  /** The store to program (default: a new one). */
  readonly dataplane?: RecordedDataplane;
  readonly clock?: Clock;
  /** Overrides FelixConfiguration's refresh intervals (ms). */
  readonly refreshIntervalMs?: number;
}

export class RecordingDriver implements DataplaneDriver {
  readonly kind = 'iptables' as const;
  readonly dataplane: RecordedDataplane;
  private readonly _clock: Clock;
  private readonly _schedule: RefreshSchedule<_Part>;
  /** What we want the store to hold (the last apply, or the fail-closed rules before it). */
  private _desired = new Map<string, string>();
  private _seen = -1;
  private _applied = false;
  /** The last successful apply (undefined before the first). */
  last: ProgrammedRecord | undefined;
  /** The datastore revision the last apply reflects, when the harness reports it (`programmed`). */
  programmedRevision: string | undefined;
  applies = 0;
  /** Objects written or deleted, over the driver's life (the "kernel writes"). */
  writes = 0;

  constructor(opts: RecordingDriverOptions = {}) {
    this.dataplane = opts.dataplane ?? new RecordedDataplane();
    this._clock = opts.clock ?? realClock;
    this._schedule = new RefreshSchedule<_Part>(this._clock, ['tables', 'sets'], opts.refreshIntervalMs);
  }

  configure(felix: EffectiveFelixConfig): void {
    this._schedule.setInterval('tables', intervalMs(felix.iptablesRefreshInterval, '180s'));
    this._schedule.setInterval('sets', intervalMs(felix.ipsetsRefreshInterval, '90s'));
  }

  failClosed(rules: FailClosedRules, ipv6?: FailClosedRules): Promise<void> {
    const img = new Map<string, string>();
    _failClosedImage(rules, 4, img);
    if (ipv6 !== undefined) _failClosedImage(ipv6, 6, img);
    this._program(img);
    return Promise.resolve();
  }

  apply(rendered: RenderedDataplane, ipv6?: RenderedDataplane): Promise<DriverApplyResult> {
    const img = imageOf(rendered);
    if (ipv6 !== undefined) imageOf(ipv6, img);
    else for (const [k, v] of this._desired) if (k.startsWith('6 ')) img.set(k, v); // the IPv6 side is left as it is
    const changed = this._program(img);
    this.last = { rendered, rendered6: ipv6, at: this._clock.now() };
    this.applies++;
    if (!this._applied) {
      this._applied = true;
      this._schedule.done('tables');
      this._schedule.done('sets');
    }
    return Promise.resolve({ changed });
  }

  /** The harness tells which datastore revision the last apply reflects. */
  programmed(revision: string): void {
    this.programmedRevision = revision;
  }

  verify(): Promise<DriftReport> {
    if (!this._applied) return Promise.resolve(NO_DRIFT);
    if (this.dataplane.generation === this._seen) return Promise.resolve(NO_DRIFT);
    return Promise.resolve(this._repair(() => true));
  }

  refresh(force = false): Promise<DriftReport> {
    if (!this._applied) return Promise.resolve(NO_DRIFT);
    const due = this._schedule.due(force);
    if (due.length === 0) return Promise.resolve(NO_DRIFT);
    for (const p of due) this._schedule.done(p);
    return Promise.resolve(this._repair((k) => due.includes(_isSetKey(k) ? 'sets' : 'tables')));
  }

  refreshDueInMs(): number {
    return this._schedule.dueInMs();
  }

  /** Nothing outside the driver changes the store but tests, which call verify themselves. */
  watch(_onChange: () => void): void {}

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Writes the difference between what we last wanted and `img`; true when anything was written. */
  private _program(img: Map<string, string>): boolean {
    const ds = this.dataplane;
    let n = 0;
    for (const [k, v] of img)
      if (this._desired.get(k) !== v || ds.objects.get(k) !== v) {
        ds.set(k, v);
        n++;
      }
    for (const k of this._desired.keys())
      if (!img.has(k)) {
        ds.delete(k);
        n++;
      }
    this._desired = img;
    this._seen = ds.generation;
    this.writes += n;
    return n > 0;
  }

  /** Compares the store with what we want (keys passing `part`) and repairs every difference. */
  private _repair(part: (key: string) => boolean): DriftReport {
    const ds = this.dataplane;
    const found: string[] = [];
    for (const [k, v] of this._desired) {
      if (!part(k)) continue;
      const have = ds.objects.get(k);
      if (have !== v) {
        found.push(have === undefined ? `${k} missing` : `${k} differs`);
        ds.set(k, v);
      }
      const hook = / hook (\S+)$/.exec(k);
      if (hook !== null) {
        const builtin = k.replace(/ hook /, ' ');
        const ahead = ds.foreignAhead.get(builtin);
        if (ahead !== undefined && ahead.length > 0) {
          // ours goes back to the top; the foreign rules stay, behind it (and out of our view)
          found.push(`${builtin}: ${ahead.length} foreign rule(s) ahead of our hook`);
          ds.foreignAhead.delete(builtin);
          ds.generation++;
        }
      }
    }
    for (const k of [...ds.objects.keys()])
      if (part(k) && !this._desired.has(k)) {
        found.push(`${k} not ours any more`);
        ds.delete(k);
      }
    this._seen = ds.generation;
    this.writes += found.length;
    return { repaired: found.length > 0, found, read: true };
  }
}
