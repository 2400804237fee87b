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

/** Parses the output of `iptables-save` (one or more tables). */
export function parseSave(text: string): Map<Table, TableState> {
  const out = new Map<Table, TableState>();
  let chains: Map<string, { builtin: boolean; rules: (string | null)[] }> | undefined;
  let table: Table | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (line === '' || line.startsWith('#')) continue;
    const c0 = line.charCodeAt(0);
    if (c0 === 0x2a /* * */) {
      table = line.slice(1) as Table;
      chains = new Map();
      continue;
    }
    if (chains === undefined || table === undefined) continue;
    if (c0 === 0x3a /* : */) {
      const sp = line.indexOf(' ');
      const name = sp < 0 ? line.slice(1) : line.slice(1, sp);
      const policy = sp < 0 ? '-' : (line.slice(sp + 1).split(' ')[0] ?? '-');
      if (!chains.has(name)) chains.set(name, { builtin: policy !== '-', rules: [] });
      continue;
    }
    if (line.startsWith('-A ')) {
      const sp = line.indexOf(' ', 3);
      const name = sp < 0 ? line.slice(3) : line.slice(3, sp);
      let c = chains.get(name);
      if (c === undefined) {
        c = { builtin: false, rules: [] };
        chains.set(name, c);
      }
      c.rules.push(hashOfSavedRule(line));
      continue;
    }
    if (line === 'COMMIT') {
      out.set(table, { chains });
      chains = undefined;
      table = undefined;
    }
  }
  return out;
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
