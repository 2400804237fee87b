/**
 * @module Plans one `iptables-restore --noflush` script that turns a table's actual state (read
 * back by parse-save, or remembered from the last apply) into the desired one (Felix
 * `table.go` `applyUpdates`).
 *
 * Decisions and invariants:
 * - **Whole-chain rewrites.** A chain whose hashes differ in any way is declared (which under
 *   `--noflush` flushes it) and rewritten entirely; we do not emit rule-level `-R`/`-D`/`-I`
 *   edits. The restore is one atomic transaction either way, so packets never see a half-written
 *   chain; whole-chain rewrites are simpler to get right (no rule-number arithmetic in our own
 *   chains), cost time proportional to the changed chain only, and repair any drift (a rule
 *   deleted, added or edited by someone else) the same way. The cost: the packet counters of a
 *   rewritten chain restart from zero.
 * - **Unchanged chains are never mentioned**, so their rules and counters are untouched.
 * - **Foreign rules are never touched.** Chains we own are those whose name starts with an owned
 *   prefix (`cali-`); in the kernel's built-in chains we only delete rules that carry our hash
 *   comment, by rule number, in descending order so earlier deletions do not shift later ones.
 * - **Hooks** (our rules at the top of built-in chains) are left alone when exactly the desired
 *   hashes occupy the top positions and no other rule of ours is in the chain; otherwise all of
 *   our rules in that chain are deleted and the desired ones inserted at positions 1..n.
 * - **Sweep.** Owned, non-built-in chains that are not desired are flushed (declared) first and
 *   deleted (`-X`) last, after every chain and hook that might reference them has been rewritten.
 *   A foreign rule that jumps to such a chain makes the kernel refuse the whole transaction;
 *   the applier then re-reads and retries, and finally reports the error.
 * - Script order: `*table`, declarations (created, rewritten, swept), appends, hook deletions
 *   and insertions, chain deletions, `COMMIT`.
 *
 * Pure: no `node:` imports, no I/O. Output depends only on the inputs (swept chains are sorted).
 */
import type { Table } from '../model.js';
import { appendLine, declareLine, insertLine, type RenderedChain } from './format.js';
import type { ChainState, TableState } from './parse-save.js';

export interface DesiredTable {
  /** Chains we own; every name must start with an owned prefix. */
  readonly chains: readonly RenderedChain[];
  /** Our rules for the top of built-in chains; `name` is the built-in chain (e.g. `INPUT`). */
  readonly hooks: readonly RenderedChain[];
}

export interface PlanOptions {
  /** Name prefixes of the chains we own (default `['cali-']`). */
  readonly ownedPrefixes?: readonly string[];
  /** Delete owned chains that are not desired (default true; failClosed keeps them). */
  readonly sweep?: boolean;
  /**
   * When given, only these desired chains may differ from `actual`; the others are known to be
   * in sync and are not compared. The applier passes the chains changed since its last apply
   * when `actual` is its own prediction (no read-back), which keeps a one-chain change
   * O(changed rules + number of chains) instead of O(all rules).
   */
  readonly candidates?: ReadonlySet<string>;
}

export interface RestorePlan {
  readonly table: Table;
  /** The whole `iptables-restore --noflush` input, or '' when nothing needs to change. */
  readonly script: string;
  readonly created: readonly string[];
  readonly rewritten: readonly string[];
  readonly deleted: readonly string[];
  /** Built-in chains whose hook rules are deleted and/or inserted. */
  readonly hooksRewritten: readonly string[];
  /** The table's state once the script has been applied successfully. */
  readonly after: TableState;
}

export const DEFAULT_OWNED_PREFIXES: readonly string[] = ['cali-'];

const _sameHashes = (rules: readonly RenderedRule[], actual: readonly (string | null)[]): boolean => {
  if (rules.length !== actual.length) return false;
  for (let i = 0; i < rules.length; i++) if (rules[i]?.hash !== actual[i]) return false;
  return true;
};

type RenderedRule = RenderedChain['rules'][number];

function _hooksInPlace(want: readonly RenderedRule[], actual: readonly (string | null)[]): boolean {
  let ours = 0;
  for (const h of actual) if (h !== null) ours++;
  if (ours !== want.length) return false;
  for (let i = 0; i < want.length; i++) if (actual[i] !== want[i]?.hash) return false;
  return true;
}

/** Plans the delta for one table. Throws if a desired chain is not owned (a programming error). */
export function planRestore(table: Table, desired: DesiredTable, actual: TableState, opts: PlanOptions = {}): RestorePlan {
  const prefixes = opts.ownedPrefixes ?? DEFAULT_OWNED_PREFIXES;
  const owned = (name: string): boolean => prefixes.some((p) => name.startsWith(p));

  const after = new Map<string, ChainState>(actual.chains);
  const created: string[] = [];
  const rewritten: string[] = [];
  const deleted: string[] = [];
  const hooksRewritten: string[] = [];
  const declarations: string[] = [];
  const appends: string[] = [];
  const hookLines: string[] = [];
  const wanted = new Set<string>();

  for (const chain of desired.chains) {
    if (!owned(chain.name)) throw new Error(`chain ${chain.name} does not start with an owned prefix (${prefixes.join(', ')})`);
    if (wanted.has(chain.name)) throw new Error(`chain ${chain.name} is desired twice`);
    wanted.add(chain.name);
    if (opts.candidates !== undefined && !opts.candidates.has(chain.name) && actual.chains.has(chain.name)) continue;
    const cur = actual.chains.get(chain.name);
    if (cur !== undefined && !cur.builtin && _sameHashes(chain.rules, cur.rules)) continue;
    (cur === undefined ? created : rewritten).push(chain.name);
    declarations.push(declareLine(chain.name));
    for (const r of chain.rules) appends.push(appendLine(chain.name, r));
    after.set(chain.name, { builtin: false, rules: chain.rules.map((r) => r.hash) });
  }

  for (const [name, cur] of actual.chains) {
    if (opts.sweep !== false && !cur.builtin && owned(name) && !wanted.has(name)) deleted.push(name);
  }
  deleted.sort();
  for (const name of deleted) {
    declarations.push(declareLine(name));
    after.delete(name);
  }

  const hookWant = new Map<string, readonly RenderedRule[]>();
  for (const h of desired.hooks) {
    if (hookWant.has(h.name)) throw new Error(`hooks for ${h.name} are given twice`);
    hookWant.set(h.name, h.rules);
  }
  const hookChains = new Set<string>(hookWant.keys());
  for (const [name, cur] of actual.chains) if (cur.builtin && cur.rules.some((h) => h !== null)) hookChains.add(name);
  for (const name of [...hookChains].sort()) {
    const want = hookWant.get(name) ?? [];
    const cur = actual.chains.get(name)?.rules ?? [];
    if (_hooksInPlace(want, cur)) continue;
    hooksRewritten.push(name);
    for (let i = cur.length - 1; i >= 0; i--) if (cur[i] !== null) hookLines.push(`-D ${name} ${i + 1}`);
    want.forEach((r, i) => hookLines.push(insertLine(name, i + 1, r)));
    after.set(name, { builtin: true, rules: [...want.map((r) => r.hash), ...cur.filter((h) => h === null)] });
  }

  const empty = declarations.length === 0 && hookLines.length === 0;
  const script = empty
    ? ''
    : [`*${table}`, ...declarations, ...appends, ...hookLines, ...deleted.map((n) => `-X ${n}`), 'COMMIT', ''].join('\n');
  return { table, script, created, rewritten, deleted, hooksRewritten, after: { chains: after } };
}
