/**
 * @module Reads `iptables-save` output back into what the planner needs, and nothing more
 * (Felix `table.go` `getHashesAndRulesFromDataplane`).
 *
 * Per table: every chain present (built-in or not), and per chain one entry per rule in kernel
 * order: our hash (from the `cali:<hash>` comment) or `null` for a foreign rule. The text of a
 * rule is never interpreted beyond finding our hash comment: the nft backend re-canonicalises
 * rule text (it reorders target options and re-quotes comments), so comparing text would see
 * phantom differences, and foreign rules are none of our business beyond counting them.
 *
 * Pure: no `node:` imports, no I/O.
 */
import type { Table } from '../model.js';

/** The kernel's view of one chain, as far as we care. */
export interface ChainState {
  /** True for the kernel's built-in chains (they have a policy instead of `-`). */
  readonly builtin: boolean;
  /** One entry per rule, in kernel order: our hash, or `null` for a foreign rule. */
  readonly rules: readonly (string | null)[];
}

export interface TableState {
  readonly chains: ReadonlyMap<string, ChainState>;
}

export const EMPTY_TABLE_STATE: TableState = { chains: new Map() };

const HASH_RE = /--comment "?cali:([A-Za-z0-9_-]+)/;

/** Our hash in one saved rule line, or null. Only the first `cali:` comment counts. */
export function hashOfSavedRule(line: string): string | null {
  if (!line.includes('cali:')) return null;
  const m = HASH_RE.exec(line);
  return m?.[1] ?? null;
}

const _isHashChar = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f /* _ */ || c === 0x2d; /* - */

/** `hashOfSavedRule` on `text[from, to)` without slicing the line out first (the common case is fast). */
function _hashIn(text: string, from: number, to: number): string | null {
  const at = text.indexOf('cali:', from);
  if (at < 0 || at >= to) return null;
  // The fast path: `--comment cali:` or `--comment "cali:` right before it.
  const q = text.charCodeAt(at - 1) === 0x22 /* " */ ? at - 1 : at;
  if (text.startsWith('--comment ', q - 10)) {
    let e = at + 5;
    while (e < to && _isHashChar(text.charCodeAt(e))) e++;
    return e > at + 5 ? text.slice(at + 5, e) : null;
  }
  return hashOfSavedRule(text.slice(from, to));
}

/**
 * Incremental `iptables-save` parser: feed it the output in chunks as it arrives (so parsing
 * overlaps the save and no copy of the whole text is kept), then `finish()`. Lines are scanned
 * in place; only chain names and our hashes are sliced out.
 */
export class SaveParser {
  private readonly _out = new Map<Table, TableState>();
  private _chains: Map<string, { builtin: boolean; rules: (string | null)[] }> | undefined;
  private _table: Table | undefined;
  private _rest = '';
  /** The chain of the previous `-A` line (consecutive lines mostly append to the same chain). */
  private _lastName = '';
  private _last: { builtin: boolean; rules: (string | null)[] } | undefined;

  push(chunk: string): this {
    const text = this._rest === '' ? chunk : this._rest + chunk;
    let pos = 0;
    for (;;) {
      const nl = text.indexOf('\n', pos);
      if (nl < 0) break;
      this._line(text, pos, nl);
      pos = nl + 1;
    }
    this._rest = pos === 0 ? text : text.slice(pos);
    return this;
  }

  finish(): Map<Table, TableState> {
    if (this._rest !== '') {
      const t = this._rest;
      this._rest = '';
      this._line(t, 0, t.length);
    }
    return this._out;
  }

  private _line(text: string, from: number, to0: number): void {
    let to = to0;
    while (to > from && (text.charCodeAt(to - 1) === 0x20 || text.charCodeAt(to - 1) === 0x0d || text.charCodeAt(to - 1) === 0x09)) to--;
    if (to === from) return;
    const c0 = text.charCodeAt(from);
    if (c0 === 0x23 /* # */) return;
    if (c0 === 0x2a /* * */) {
      this._table = text.slice(from + 1, to) as Table;
      this._chains = new Map();
      this._last = undefined;
      return;
    }
    const chains = this._chains;
    if (chains === undefined || this._table === undefined) return;
    if (c0 === 0x3a /* : */) {
      const sp = text.indexOf(' ', from);
      const name = sp < 0 || sp >= to ? text.slice(from + 1, to) : text.slice(from + 1, sp);
      let policy = '-';
      if (sp >= 0 && sp < to) {
        const sp2 = text.indexOf(' ', sp + 1);
        policy = text.slice(sp + 1, sp2 < 0 || sp2 > to ? to : sp2);
      }
      if (!chains.has(name)) chains.set(name, { builtin: policy !== '-', rules: [] });
      this._last = undefined;
      return;
    }
    if (c0 === 0x2d /* - */ && text.startsWith('-A ', from)) {
      const ln = this._lastName.length;
      if (this._last !== undefined && text.charCodeAt(from + 3 + ln) === 0x20 && text.startsWith(this._lastName, from + 3)) {
        this._last.rules.push(_hashIn(text, from + 4 + ln, to));
        return;
      }
      const sp = text.indexOf(' ', from + 3);
      const name = sp < 0 || sp >= to ? text.slice(from + 3, to) : text.slice(from + 3, sp);
      let c = chains.get(name);
      if (c === undefined) {
        c = { builtin: false, rules: [] };
        chains.set(name, c);
      }
      this._lastName = name;
      this._last = c;
      c.rules.push(_hashIn(text, from, to));
      return;
    }
    if (to - from === 6 && text.startsWith('COMMIT', from)) {
      this._out.set(this._table, { chains });
      this._chains = undefined;
      this._table = undefined;
    }
  }
}

/** Parses the output of `iptables-save` (one or more tables). */
export function parseSave(text: string): Map<Table, TableState> {
  return new SaveParser().push(text).finish();
}

/** One table's state from `iptables-save -t <table>` output (empty when the table is absent). */
export function parseSaveTable(text: string, table: Table): TableState {
  return parseSave(text).get(table) ?? EMPTY_TABLE_STATE;
}

/** How many foreign rules (without our hash) a chain holds. */
export function foreignRuleCount(chain: ChainState): number {
  let n = 0;
  for (const h of chain.rules) if (h === null) n++;
  return n;
}

/** Built-in chains that hold at least one of our (hook) rules. */
export function chainsWithOurHooks(state: TableState): string[] {
  const out: string[] = [];
  for (const [name, c] of state.chains) if (c.builtin && c.rules.some((h) => h !== null)) out.push(name);
  return out.sort();
}

const _BUILTIN = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);

/**
 * A fingerprint of what matters to us in `iptables-save` output (all tables): in `tables`, the
 * declarations and rules of our chains (names starting with an owned prefix) and every rule of
 * the built-in chains (where our hooks must come first), without comments and counters. Two
 * equal fingerprints mean nothing of ours changed; a foreign chain's rules are not included.
 * Pure; drift detection compares these strings (cheaper than parsing hashes).
 */
export function saveFingerprint(text: string, tables: readonly string[], ownedPrefixes: readonly string[]): string {
  const out: string[] = [];
  let inTable = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) {
      inTable = tables.includes(line.slice(1).trim());
      if (inTable) out.push(line);
      continue;
    }
    if (!inTable || line === '' || line.startsWith('#') || line === 'COMMIT') continue;
    if (line.startsWith(':')) {
      const name = line.slice(1).split(' ', 1)[0] ?? '';
      if (ownedPrefixes.some((p) => name.startsWith(p))) out.push(`:${name}`);
      else if (_BUILTIN.has(name)) out.push(line.replace(/\s*\[\d+:\d+\]\s*$/, ''));
      continue;
    }
    if (line.startsWith('-A ')) {
      const name = line.slice(3).split(' ', 1)[0] ?? '';
      if (_BUILTIN.has(name) || ownedPrefixes.some((p) => name.startsWith(p))) out.push(line.replace(/^\[\d+:\d+\] /, ''));
    }
  }
  return out.join('\n');
}
