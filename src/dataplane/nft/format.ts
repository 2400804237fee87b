/**
 * @module NftRuleset → the text of one `nft -f -` transaction, and the canonical form of
 * `nft -j list table` output used to detect drift. Pure.
 *
 * The script replaces our table atomically: `table ip tabby {}` (create if missing, so the
 * delete cannot fail), `delete table ip tabby`, then the full definition. nft runs a file as
 * one netlink batch: the kernel applies all of it or none of it, so packets see the old ruleset
 * or the new one, never a mix, and a rejected script leaves the old one in place. (nft 1.0.6,
 * Debian 12's, has no `destroy`; this form works on every nft ≥ 0.9.) Nothing in the script
 * names any other table.
 */
import type { NftChain, NftRuleset, NftSet } from './render.js';

function _set(s: NftSet): string[] {
  const out = [`\tset ${s.name} {`, `\t\ttype ${s.type}`];
  if (s.interval) out.push('\t\tflags interval');
  if (s.elements.length > 0) out.push(`\t\telements = { ${s.elements.join(', ')} }`);
  out.push('\t}');
  return out;
}

function _chain(c: NftChain): string[] {
  const out = [`\tchain ${c.name} {`];
  if (c.base !== undefined) out.push(`\t\ttype filter hook ${c.base.hook} priority ${c.base.priority}; policy accept;`);
  for (const r of c.rules) out.push(`\t\t${r}`);
  out.push('\t}');
  return out;
}

/** The table definition alone (`table ip tabby { … }`). */
export function formatNftTable(r: NftRuleset): string {
  const lines = [`table ${r.family} ${r.table} {`];
  for (const s of r.sets) lines.push(..._set(s));
  for (const c of r.chains) lines.push(..._chain(c));
  lines.push('}');
  return lines.join('\n') + '\n';
}

/** One atomic transaction replacing our table with `r`. */
export function formatNftScript(r: NftRuleset): string {
  return `table ${r.family} ${r.table} {}\ndelete table ${r.family} ${r.table}\n${formatNftTable(r)}`;
}

/** A transaction removing our table (and nothing else). */
export function formatNftDelete(family: string, table: string): string {
  return `table ${family} ${table} {}\ndelete table ${family} ${table}\n`;
}

function _strip(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(_strip);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (k !== 'handle') out[k] = _strip(x);
    return out;
  }
  return v;
}

/**
 * The canonical form of `nft -j list …` output (one JSON document per line, as `nft -j list
 * table` and `nft -j -f -` with several `list` commands print): one entry per chain (the chain
 * and its rules, in order) and per set (with its elements), keyed `chain <name>` / `set <name>`,
 * without `metainfo` and without kernel handles (which change on every write). Two listings
 * hold the same entries exactly when the objects hold the same rules and elements.
 */
export function parseNftListing(text: string): Map<string, string> {
  const out = new Map<string, unknown[]>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (e) {
      throw new Error(`nft -j output is not JSON: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    const list = (parsed as { nftables?: unknown }).nftables;
    if (!Array.isArray(list)) throw new Error('nft -j output has no `nftables` array');
    for (const o of list as unknown[]) {
      if (o === null || typeof o !== 'object') continue;
      const obj = o as Record<string, Record<string, unknown> | undefined>;
      if (obj['chain'] !== undefined) out.set(`chain ${String(obj['chain']['name'])}`, [_strip(obj['chain'])]);
      else if (obj['set'] !== undefined) out.set(`set ${String(obj['set']['name'])}`, [_strip(obj['set'])]);
      else if (obj['map'] !== undefined) out.set(`map ${String(obj['map']['name'])}`, [_strip(obj['map'])]);
      else if (obj['rule'] !== undefined) {
        const key = `chain ${String(obj['rule']['chain'])}`;
        const entry = out.get(key) ?? [];
        entry.push(_strip(obj['rule']));
        out.set(key, entry);
      }
    }
  }
  return new Map([...out].map(([k, v]) => [k, JSON.stringify(v)]));
}

/** Whether two parsed listings hold the same entries. */
export function sameListing(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

/** The entries (`chain <name>`, `set <name>`) that differ between two parsed listings, sorted. */
export function listingDiff(want: ReadonlyMap<string, string>, have: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of want) {
    const h = have.get(k);
    if (h === undefined) out.push(`${k} missing`);
    else if (h !== v) out.push(`${k} changed`);
  }
  for (const k of have.keys()) if (!want.has(k)) out.push(`${k} not ours`);
  return out.sort();
}
