/**
 * @module Plans the nft transaction that takes our table from the ruleset we last programmed to
 * the desired one (Felix's nftables table does the same: rewrite only what changed). Pure.
 *
 * Without a trusted previous ruleset (first apply, after a failure, after drift) the plan is
 * the full replacement (format.ts). Otherwise it is one transaction of incremental commands,
 * ordered so every reference resolves at every step:
 * 1. new sets (`add set`, `add element`); changed sets: `delete element` then `add element`
 *    (deletes first: a new interval may overlap one it replaces);
 * 2. new chains (`add chain`, base chains with their hook);
 * 3. new and changed chains: `flush chain`, then `add rule` for each rule (new rules may jump to
 *    the chains of step 2 and use the sets of step 1);
 * 4. removed chains: `flush chain` for all of them, then `delete chain` (whoever jumped to a
 *    removed chain was rewritten in step 3 or is removed too);
 * 5. removed sets: `delete set` (no rule refers to them any more).
 * A base chain whose hook or priority changed, or a set whose type changed, makes the plan a
 * full replacement. The kernel applies the batch atomically either way.
 */
import { formatNftScript } from './format.js';
import type { NftChain, NftRuleset, NftSet } from './render.js';

export interface NftPlan {
  /** The `nft -f -` input; '' when nothing changed. */
  readonly script: string;
  readonly full: boolean;
  /** Chains and sets written (created or changed) by the plan. */
  readonly chains: readonly string[];
  readonly sets: readonly string[];
  /** Chains and sets the plan deletes. */
  readonly deletedChains: readonly string[];
  readonly deletedSets: readonly string[];
}

const _sameBase = (a: NftChain, b: NftChain): boolean =>
  (a.base === undefined && b.base === undefined) || (a.base !== undefined && b.base !== undefined && a.base.hook === b.base.hook && a.base.priority === b.base.priority);

const _sameRules = (a: NftChain, b: NftChain): boolean => a.rules.length === b.rules.length && a.rules.every((r, i) => r === b.rules[i]);

function _full(next: NftRuleset): NftPlan {
  return { script: formatNftScript(next), full: true, chains: next.chains.map((c) => c.name), sets: next.sets.map((s) => s.name), deletedChains: [], deletedSets: [] };
}

export function planNft(prev: NftRuleset | undefined, next: NftRuleset): NftPlan {
  if (prev === undefined || prev.table !== next.table || prev.family !== next.family) return _full(next);
  const T = `${next.family} ${next.table}`;
  const prevSets = new Map(prev.sets.map((s) => [s.name, s]));
  const nextSets = new Map(next.sets.map((s) => [s.name, s]));
  const prevChains = new Map(prev.chains.map((c) => [c.name, c]));
  const nextChains = new Map(next.chains.map((c) => [c.name, c]));
  const lines: string[] = [];
  const sets: string[] = [];
  const chains: string[] = [];

  // 1. sets
  for (const s of next.sets) {
    const p = prevSets.get(s.name);
    if (p === undefined) {
      lines.push(`add set ${T} ${s.name} { type ${s.type};${s.interval ? ' flags interval;' : ''} }`);
      if (s.elements.length > 0) lines.push(`add element ${T} ${s.name} { ${s.elements.join(', ')} }`);
      sets.push(s.name);
      continue;
    }
    if (p.type !== s.type || p.interval !== s.interval) return _full(next);
    const had = new Set(p.elements);
    const has = new Set(s.elements);
    const gone = p.elements.filter((e) => !has.has(e));
    const added = s.elements.filter((e) => !had.has(e));
    if (gone.length > 0) lines.push(`delete element ${T} ${s.name} { ${gone.join(', ')} }`);
    if (added.length > 0) lines.push(`add element ${T} ${s.name} { ${added.join(', ')} }`);
    if (gone.length + added.length > 0) sets.push(s.name);
  }

  // 2. new chains; 3. new and changed chains get their rules
  const write: NftChain[] = [];
  for (const c of next.chains) {
    const p = prevChains.get(c.name);
    if (p === undefined) {
      lines.push(c.base === undefined ? `add chain ${T} ${c.name}` : `add chain ${T} ${c.name} { type filter hook ${c.base.hook} priority ${c.base.priority}; policy accept; }`);
      write.push(c);
    } else if (!_sameBase(p, c)) return _full(next);
    else if (!_sameRules(p, c)) {
      lines.push(`flush chain ${T} ${c.name}`);
      write.push(c);
    }
  }
  for (const c of write) {
    chains.push(c.name);
    for (const r of c.rules) lines.push(`add rule ${T} ${c.name} ${r}`);
  }

  // 4. removed chains; 5. removed sets
  const deletedChains = prev.chains.filter((c) => !nextChains.has(c.name)).map((c) => c.name);
  for (const n of deletedChains) lines.push(`flush chain ${T} ${n}`);
  for (const n of deletedChains) lines.push(`delete chain ${T} ${n}`);
  const deletedSets = prev.sets.filter((s: NftSet) => !nextSets.has(s.name)).map((s) => s.name);
  for (const n of deletedSets) lines.push(`delete set ${T} ${n}`);

  return { script: lines.length === 0 ? '' : lines.join('\n') + '\n', full: false, chains, sets, deletedChains, deletedSets };
}
