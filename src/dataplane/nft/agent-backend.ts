/**
 * @module NftAgentDataplane: lets the agent loop, which drives three iptables tables and an IP
 * set applier, program nftables instead, without changing the loop (`tabby agent --dataplane
 * nft`). It hands the loop objects with the iptables appliers' shape (subclasses, so the loop's
 * types hold) that only collect what the loop sets; the nft transaction runs once per loop
 * pass, when the raw, mangle and filter tables and the IP sets have all been given since the
 * last one (the loop sets all four on every pass, IP sets first, then applies raw, mangle,
 * filter), so every transaction holds a complete, consistent ruleset: no chain ever refers to
 * a set or chain of another generation.
 *
 * The collectors never run iptables or ipset: their superclasses get a runner that refuses
 * every command, so a method this adapter does not override cannot touch the kernel either.
 */
import type { Chain, Insertion, IpSet, Table } from '../model.js';
import type { Clock, CommandRunner } from '../../sys/index.js';
import { IptablesTable, DEFAULT_FAILSAFE_INBOUND, type ApplyResult } from '../iptables/table.js';
import { IpsetApplier, type IpsetApplyResult } from '../ipset/ipset-applier.js';
import { NftApplier, type NftApplyResult } from './applier.js';
import { renderNftFromTables } from './render.js';

type _TableName = 'raw' | 'mangle' | 'filter';

const _refuse: CommandRunner = {
  run: (cmd) => Promise.resolve({ code: 1, stdout: '', stderr: `nft dataplane: refusing to run ${cmd.argv[0] ?? ''}` }),
};

const _tableResult = (r: NftApplyResult | undefined): ApplyResult => ({
  changed: r?.changed ?? false,
  attempts: r?.attempts ?? 0,
  readBack: r?.readBack ?? false,
  created: [],
  rewritten: [],
  deleted: [],
  hooksRewritten: [],
});

const _NO_SET_CHANGE: IpsetApplyResult = { changed: false, attempts: 0, readBack: false, created: [], updated: [], rewritten: [], destroyed: [], memberChanges: 0, via: 'none' };

class _TableCollector extends IptablesTable {
  constructor(
    private readonly _owner: NftAgentDataplane,
    private readonly _name: _TableName,
  ) {
    super({ table: _name, runner: _refuse });
  }
  override setChains(chains: readonly Chain[]): void {
    this._owner.setChains(this._name, chains);
  }
  override setHooks(insertions: readonly Insertion[]): void {
    this._owner.setHooks(this._name, insertions);
  }
  override invalidate(): void {
    this._owner.applier.invalidate();
  }
  override async apply(): Promise<ApplyResult> {
    return _tableResult(await this._owner.commit());
  }
  override async refresh(): Promise<ApplyResult> {
    // One read covers the whole table: only the filter collector (refreshed last) reads.
    return _tableResult(this._name === 'filter' ? await this._owner.refresh() : undefined);
  }
  override async failClosed(inbound = DEFAULT_FAILSAFE_INBOUND): Promise<ApplyResult> {
    return _tableResult(await this._owner.applier.failClosed(inbound));
  }
}

class _SetCollector extends IpsetApplier {
  constructor(private readonly _owner: NftAgentDataplane) {
    super({ runner: _refuse, interactive: false });
  }
  override setIpSets(sets: readonly IpSet[]): void {
    this._owner.setIpSets(sets);
  }
  override invalidate(): void {
    this._owner.applier.invalidate();
  }
  override applyAdds(): Promise<IpsetApplyResult> {
    return Promise.resolve(_NO_SET_CHANGE);
  }
  override applyRemovals(): Promise<IpsetApplyResult> {
    return Promise.resolve(_NO_SET_CHANGE);
  }
  override refresh(): Promise<IpsetApplyResult> {
    return Promise.resolve(_NO_SET_CHANGE);
  }
  override close(): Promise<void> {
    return Promise.resolve();
  }
}

export interface NftAgentDataplaneOptions {
  readonly runner: CommandRunner;
  readonly clock?: Clock;
  readonly log?: (msg: string) => void;
  readonly table?: string;
}

export class NftAgentDataplane {
  readonly applier: NftApplier;
  readonly tables: { readonly raw: IptablesTable; readonly mangle: IptablesTable; readonly filter: IptablesTable };
  readonly ipsets: IpsetApplier;
  private readonly _chains = new Map<_TableName, readonly Chain[]>();
  private readonly _hooks = new Map<_TableName, readonly Insertion[]>();
  private _sets: readonly IpSet[] | undefined;
  /** Pieces given since the last transaction. */
  private readonly _fresh = new Set<string>();
  private _committed = false;

  constructor(opts: NftAgentDataplaneOptions) {
    this.applier = new NftApplier({
      runner: opts.runner,
      ...(opts.clock !== undefined ? { clock: opts.clock } : {}),
      ...(opts.log !== undefined ? { log: opts.log } : {}),
      ...(opts.table !== undefined ? { table: opts.table } : {}),
    });
    this.tables = { raw: new _TableCollector(this, 'raw'), mangle: new _TableCollector(this, 'mangle'), filter: new _TableCollector(this, 'filter') };
    this.ipsets = new _SetCollector(this);
  }

  setChains(t: _TableName, chains: readonly Chain[]): void {
    this._chains.set(t, chains);
    this._fresh.add(`chains:${t}`);
  }

  setHooks(t: _TableName, hooks: readonly Insertion[]): void {
    this._hooks.set(t, hooks);
    this._fresh.add(`hooks:${t}`);
  }

  setIpSets(sets: readonly IpSet[]): void {
    this._sets = sets;
    this._fresh.add('sets');
  }

  /** Programs the collected ruleset once all of it has been given since the last transaction. */
  async commit(): Promise<NftApplyResult | undefined> {
    const tables: _TableName[] = ['raw', 'mangle', 'filter'];
    const needed = ['sets', ...tables.flatMap((t) => [`chains:${t}`, `hooks:${t}`])];
    if (!needed.every((k) => this._fresh.has(k)) || this._sets === undefined) return undefined;
    const ruleset = renderNftFromTables(
      tables.map((t): { table: Table; chains: readonly Chain[]; hooks: readonly Insertion[] } => ({ table: t, chains: this._chains.get(t) ?? [], hooks: this._hooks.get(t) ?? [] })),
      this._sets,
      this.applier.table,
    );
    this._fresh.clear();
    this.applier.setRuleset(ruleset);
    const r = await this.applier.apply();
    this._committed = true;
    return r;
  }

  /** Reads back and repairs drift (after the first transaction). */
  async refresh(): Promise<NftApplyResult | undefined> {
    return this._committed ? this.applier.refresh() : undefined;
  }
}
