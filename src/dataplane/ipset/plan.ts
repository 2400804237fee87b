/**
 * @module Plans `ipset restore` scripts: desired sets vs the kernel's (Felix `ipsets/ipsets.go`).
 *
 * Two phases, in Felix's order around the iptables apply:
 * - `planIpsetAdds` (before iptables, so every set a new rule names exists): creates missing
 *   sets and brings the members of existing ones up to date. Deletions are written before
 *   additions, so a replaced member is never briefly allowed by both its old and new entries
 *   (fail closed). When the delta is larger than the desired set, the set is rewritten whole
 *   into a temporary set (`cali4t<n>`) that is then swapped in (atomic) and destroyed. A set
 *   whose type or family changed cannot be swapped (the kernel refuses) and is destroyed and
 *   re-created, which fails while a rule still references it; names encode the family and the
 *   renderer derives them from content, so this does not happen in practice.
 * - `planIpsetRemovals` (after iptables no longer references them): destroys owned sets that
 *   are no longer wanted, including leftover temporary sets.
 *
 * Owned sets are those whose name starts with an owned prefix (`cali4`, `cali6`); others are
 * never read into the state nor touched. Members are compared in canonical form (format.ts).
 *
 * Pure: no `node:` imports, no I/O. Output is deterministic (members and names sorted).
 */
import type { IpFamily, IpSetType } from '../model.js';
import { addLine, createLine, delLine, destroyLine, formatIpsetScript, swapLine, tempSetName, DEFAULT_MAXELEM } from './format.js';

export interface IpSetState {
  readonly type: string;
  readonly family: IpFamily;
  /** Canonical members. */
  readonly members: ReadonlySet<string>;
}

export type IpsetsState = ReadonlyMap<string, IpSetState>;

/** A desired set whose members are already canonical (see `canonicalMember`). */
export interface CanonicalIpSet {
  readonly name: string;
  readonly type: IpSetType;
  readonly family: IpFamily;
  readonly members: ReadonlySet<string>;
}

export const DEFAULT_IPSET_PREFIXES: readonly string[] = ['cali4', 'cali6'];

export interface IpsetPlanOptions {
  readonly ownedPrefixes?: readonly string[];
  readonly maxelem?: number;
}

export interface IpsetPlan {
  /** `ipset restore` input, or '' when nothing needs to change. */
  readonly script: string;
  readonly created: readonly string[];
  /** Sets updated member by member. */
  readonly updated: readonly string[];
  /** Sets rewritten through a temporary set, or re-created for a new type. */
  readonly rewritten: readonly string[];
  readonly destroyed: readonly string[];
  /** Members added plus members deleted, over all updated sets. */
  readonly memberChanges: number;
  /** The state once the script has run successfully. */
  readonly after: IpsetsState;
}

/** Reads `ipset save` output; only sets with an owned prefix are kept. */
export function parseIpsetSave(text: string, ownedPrefixes: readonly string[] = DEFAULT_IPSET_PREFIXES): Map<string, IpSetState> {
  const out = new Map<string, { type: string; family: IpFamily; members: Set<string> }>();
  const owned = (n: string): boolean => ownedPrefixes.some((p) => n.startsWith(p));
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('add ')) {
      const sp = line.indexOf(' ', 4);
      if (sp < 0) continue;
      out.get(line.slice(4, sp))?.members.add(line.slice(sp + 1).trim());
    } else if (line.startsWith('create ')) {
      const f = line.split(/\s+/);
      const name = f[1];
      if (name === undefined || !owned(name)) continue;
      const fi = f.indexOf('family');
      out.set(name, { type: f[2] ?? '', family: f[fi + 1] === 'inet6' ? 6 : 4, members: new Set() });
    }
  }
  return out;
}

const _sorted = (xs: Iterable<string>): string[] => [...xs].sort();

/** Creates and updates sets (phase 1). `desired` may be a subset: only these sets are considered. */
export function planIpsetAdds(desired: readonly CanonicalIpSet[], actual: IpsetsState, opts: IpsetPlanOptions = {}): IpsetPlan {
  const maxelem = opts.maxelem ?? DEFAULT_MAXELEM;
  const after = new Map(actual);
  const lines: string[] = [];
  const created: string[] = [];
  const updated: string[] = [];
  const rewritten: string[] = [];
  let memberChanges = 0;
  const usedNames = new Set<string>([...actual.keys(), ...desired.map((s) => s.name)]);
  const temp = (family: IpFamily): string => {
    for (let n = 0; ; n++) {
      const name = tempSetName(family, n);
      if (!usedNames.has(name)) {
        usedNames.add(name);
        return name;
      }
    }
  };

  for (const set of [...desired].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const cur = actual.get(set.name);
    const state: IpSetState = { type: set.type, family: set.family, members: set.members };
    if (cur === undefined) {
      created.push(set.name);
      lines.push(createLine(set, maxelem));
      for (const m of _sorted(set.members)) lines.push(addLine(set.name, m));
      after.set(set.name, state);
      continue;
    }
    if (cur.type !== set.type || cur.family !== set.family) {
      rewritten.push(set.name);
      lines.push(destroyLine(set.name), createLine(set, maxelem));
      for (const m of _sorted(set.members)) lines.push(addLine(set.name, m));
      after.set(set.name, state);
      continue;
    }
    const dels: string[] = [];
    const adds: string[] = [];
    for (const m of cur.members) if (!set.members.has(m)) dels.push(m);
    for (const m of set.members) if (!cur.members.has(m)) adds.push(m);
    if (dels.length + adds.length === 0) continue;
    if (dels.length + adds.length > Math.max(set.members.size, 16)) {
      rewritten.push(set.name);
      const t = temp(set.family);
      lines.push(createLine({ name: t, type: set.type, family: set.family }, maxelem));
      for (const m of _sorted(set.members)) lines.push(addLine(t, m));
      lines.push(swapLine(t, set.name), destroyLine(t));
    } else {
      updated.push(set.name);
      memberChanges += dels.length + adds.length;
      for (const m of dels.sort()) lines.push(delLine(set.name, m));
      for (const m of adds.sort()) lines.push(addLine(set.name, m));
    }
    after.set(set.name, state);
  }
  return { script: formatIpsetScript(lines), created, updated, rewritten, destroyed: [], memberChanges, after };
}

/** Destroys owned sets that are not in `wanted` (phase 2, after iptables stopped using them). */
export function planIpsetRemovals(wanted: ReadonlySet<string>, actual: IpsetsState, opts: IpsetPlanOptions = {}): IpsetPlan {
  const prefixes = opts.ownedPrefixes ?? DEFAULT_IPSET_PREFIXES;
  const destroyed = _sorted([...actual.keys()].filter((n) => !wanted.has(n) && prefixes.some((p) => n.startsWith(p))));
  const after = new Map(actual);
  for (const n of destroyed) after.delete(n);
  return {
    script: formatIpsetScript(destroyed.map(destroyLine)),
    created: [],
    updated: [],
    rewritten: [],
    destroyed,
    memberChanges: 0,
    after,
  };
}

/**
 * A fingerprint of our sets in `ipset save` output: the `create` and `add` lines of sets with an
 * owned prefix, sorted (the kernel lists a hash set's members in bucket order). Pure.
 */
export function ipsetSaveFingerprint(text: string, ownedPrefixes: readonly string[] = DEFAULT_IPSET_PREFIXES): string {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^(?:create|add) (\S+)/.exec(line);
    if (m !== null && ownedPrefixes.some((p) => m[1]!.startsWith(p))) out.push(line.trimEnd());
  }
  return out.sort().join('\n');
}
