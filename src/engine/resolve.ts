/**
 * @module Endpoint → ordered tiers → ordered policies, per direction and chain flavour (Felix's
 * calc graph output for one endpoint). Only tiers with at least one policy that selects the
 * endpoint and applies in that direction (policy `types`) appear, so "end of tier" only drops
 * where a policy applied. Results are cached per (policy set, endpoint, direction, flavour).
 *
 * Flavours (felix/calc policy resolver; calico-semantics §d):
 * - `normal`: workload chains, and host endpoint chains for traffic to/from the host itself;
 *   excludes preDNAT and doNotTrack policies.
 * - `forward`: host endpoint chains for forwarded traffic: normal policies with applyOnForward.
 * - `preDNAT`: preDNAT policies (ingress only, host endpoints only).
 * - `untracked`: doNotTrack policies (host endpoints only).
 */
import { selMatches, type Owner } from './match.js';
import type { CompiledPolicy } from './compile-policy.js';
import type { PolicySet, Snapshot, TierInfo } from './snapshot.js';
import { SelectorIndex } from './selector-index.js';

export type Direction = 'ingress' | 'egress';
export type Flavour = 'normal' | 'forward' | 'preDNAT' | 'untracked';

export interface TierPlan {
  readonly tier: TierInfo;
  readonly policies: readonly CompiledPolicy[];
}
export type Plan = readonly TierPlan[];

const _cache = new WeakMap<PolicySet, WeakMap<Owner, Map<string, Plan>>>();

/**
 * Per policy set, its policies' positions filed under their selectors' label restrictions
 * (selector-index.ts): an endpoint tests only the policies that can select it, not all of them
 * (10,000 policies × 250 local endpoints was most of an agent's computation, issue 19).
 */
const _index = new WeakMap<PolicySet, SelectorIndex<number>>();

function _indexOf(set: PolicySet): SelectorIndex<number> {
  let ix = _index.get(set);
  if (ix === undefined) {
    ix = new SelectorIndex<number>();
    for (let i = 0; i < set.policies.length; i++) ix.add(i, set.policies[i]!.selector.sel.ast);
    _index.set(set, ix);
  }
  return ix;
}

function _applies(p: CompiledPolicy, dir: Direction, flavour: Flavour, host: boolean): boolean {
  if (!(dir === 'ingress' ? p.ingress : p.egress)) return false;
  switch (flavour) {
    case 'normal':
      return !p.preDNAT && !p.doNotTrack;
    case 'forward':
      return host && !p.preDNAT && !p.doNotTrack && p.applyOnForward;
    case 'preDNAT':
      return host && p.preDNAT && dir === 'ingress';
    case 'untracked':
      return host && p.doNotTrack;
    default: {
      const never: never = flavour;
      return never;
    }
  }
}

/** The tiers and policies that apply to `ep` in one direction and flavour, in evaluation order. */
export function planFor(
  snapshot: Snapshot,
  set: PolicySet,
  ep: Owner,
  dir: Direction,
  flavour: Flavour,
  host: boolean,
): Plan {
  let bySet = _cache.get(set);
  if (bySet === undefined) {
    bySet = new WeakMap();
    _cache.set(set, bySet);
  }
  let byEp = bySet.get(ep);
  if (byEp === undefined) {
    byEp = new Map();
    bySet.set(ep, byEp);
  }
  const key = dir + flavour;
  let plan = byEp.get(key);
  if (plan === undefined) {
    const tiers: TierPlan[] = [];
    const one: Owner[] = [ep];
    let current: { tier: TierInfo; policies: CompiledPolicy[] } | undefined;
    // candidates in the set's order (the index names each at most once)
    const candidates: number[] = [];
    _indexOf(set).forCandidates(ep.ls.labels, (i) => candidates.push(i));
    candidates.sort((a, b) => a - b);
    for (const i of candidates) {
      const p = set.policies[i]!;
      if (!_applies(p, dir, flavour, host) || !selMatches(p.selector, one)) continue;
      if (current === undefined || current.tier.name !== p.tier) {
        const tier = snapshot.tiers.get(p.tier) ?? { name: p.tier, order: Infinity, defaultAction: 'Deny' as const };
        current = { tier, policies: [] };
        tiers.push(current);
      }
      current.policies.push(p);
    }
    plan = tiers;
    byEp.set(key, plan);
  }
  return plan;
}

/** All policies that select `ep` in any direction (for tools: "which policies apply to this pod"). */
export function policiesSelecting(snapshot: Snapshot, ep: Owner, host: boolean): readonly CompiledPolicy[] {
  const set = snapshot.enforced;
  const seen = new Set<CompiledPolicy>();
  for (const dir of ['ingress', 'egress'] as const)
    for (const f of host ? (['normal', 'forward', 'preDNAT', 'untracked'] as const) : (['normal'] as const))
      for (const t of planFor(snapshot, set, ep, dir, f, host)) for (const p of t.policies) seen.add(p);
  return set.policies.filter((p) => seen.has(p));
}
