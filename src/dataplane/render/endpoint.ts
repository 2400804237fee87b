/**
 * @module Per-endpoint chains (Felix `rules/endpoints.go`): workload `cali-tw-`/`cali-fw-`,
 * host endpoint `cali-th-`/`cali-fh-` (filter, raw for untracked, mangle for preDNAT) and the
 * forward variants `cali-thfw-`/`cali-fhfw-`.
 *
 * Layout of one chain, in order:
 * 1. tracked chains: `ESTABLISHED,RELATED → ACCEPT`, `INVALID → DROP` (the conntrack fast path);
 * 2. host endpoints: jump to the failsafe chain;
 * 3. clear the accept and pass bits;
 * 4. per tier: clear the pass bit (`Start of tier X`); per policy: `mark accept and pass clear
 *    [and the policy's prefilter, prefilter.ts] → jump cali-pi-…`; then, once per tier with
 *    policies, (untracked: `NOTRACK` when accepted) `Return if policy accepted`; then, in normal
 *    and forward chains of a tier whose default action is Deny, `DROP if no policies passed
 *    packet`. Felix returns after each policy; one return per tier is the same verdict, because
 *    once a policy sets the accept (or pass) bit no later jump of the tier matches: a skipped
 *    policy's cost is one rule, not two;
 * 5. normal chains: each profile, `Return if profile accepted`, then `Drop if no profiles
 *    matched`; forward chains with no tier: accept (`Allow forwarded traffic by default`).
 * preDNAT and untracked chains end after the tiers: what no policy allowed falls through to
 * normal processing.
 *
 * With flow logs on, each of those drops is preceded by its NFLOG mark for new connections
 * (Felix `endpoints.go`): `DP<I|E>|<tier>` before an end-of-tier drop, `DR<I|E>` before the
 * no-profile drop (flow-log.ts).
 *
 * With enough port-bounded policies, steps 4-5 move to class chains, one per (address,
 * protocol, port) class, holding only the policies that can match the class (classes.ts); the
 * chain dispatches to them after step 3 (see `renderEndpointChains`).
 */
import type { DesiredTier } from '../../engine/index.js';
import type { Chain, IpFamily, MatchCriterion, Rule } from '../model.js';
import { renderClassTree } from './class-tree.js';
import type { ClassPlan } from './classes.js';
import { endOfTierFlowLogPrefix, flowLogGroup, noProfileFlowLogPrefix } from './flow-log.js';
import { chainName, PREFIX, type MarkBits } from './names.js';
import { policyChainName, profileChainName } from './policy.js';

export type EndpointChainType = 'normal' | 'forward' | 'preDNAT' | 'untracked';

export interface EndpointChainSpec {
  readonly name: string;
  readonly direction: 'ingress' | 'egress';
  readonly type: EndpointChainType;
  readonly tiers: readonly DesiredTier[];
  /** Normal chains only. */
  readonly profiles?: readonly string[];
  readonly failsafe?: string;
  readonly marks: MarkBits;
  /** The prefilter criteria for the jump into a policy's chain in this direction (prefilter.ts), if any. */
  readonly prefilter?: (policyKey: string) => readonly MatchCriterion[] | undefined;
  /** Flow-log NFLOG marks at the end-of-tier drop and the no-profile drop (normal and forward chains). */
  readonly flowLogs?: boolean;
  /** Class dispatch (classes.ts). */
  readonly classes?: ClassPlan;
  /**
   * How the class dispatch is programmed: `map`, one `classMap` rule (an nft verdict map), or
   * `tree`, a goto into a search tree of chains (class-tree.ts: iptables, which has no verdict
   * maps; needs `family`). Default `map`.
   */
  readonly classForm?: 'map' | 'tree';
  /** The IP family of the class map's addresses (for `classForm: 'tree'`); default 4. */
  readonly family?: IpFamily;
}

export function renderEndpointChain(s: EndpointChainSpec): Chain {
  return renderEndpointChains(s)[0]!;
}

/**
 * The endpoint chain, then (with `classes`) its class chains: the chain looks the packet's class
 * up and goes to that class's chain, whose tiers hold only the class's policies (classes.ts).
 * - `map` (nft): one `classMap` rule; what no entry matches continues in the chain itself, whose
 *   tiers hold only the policies with an unbounded domain;
 * - `tree` (iptables): a goto into a class tree (class-tree.ts) whose leaves go to the class
 *   chains, and whose misses go to a fall-through class chain holding what the nft chain has
 *   after its map. The tree and fall-through chains follow the class chains.
 * Class and tree chains are named by their content, so endpoints with the same tiers share them.
 */
export function renderEndpointChains(s: EndpointChainSpec): Chain[] {
  const { marks } = s;
  const rules: Rule[] = [];
  if (s.type !== 'untracked') {
    rules.push(
      { match: [{ kind: 'conntrackState', states: ['RELATED', 'ESTABLISHED'] }], action: { kind: 'accept' } },
      { match: [{ kind: 'conntrackState', states: ['INVALID'] }], action: { kind: 'drop' } },
    );
  }
  if (s.failsafe !== undefined) rules.push({ match: [], action: { kind: 'jump', chain: s.failsafe } });
  // With flow logs a Deny sets the drop mark (scratch0) before it drops; clear it with the others.
  rules.push({ match: [], action: { kind: 'clearMark', mask: (marks.accept | marks.pass | (s.flowLogs === true ? marks.scratch0 : 0)) >>> 0 } });
  const plan = s.classes;
  if (plan === undefined) {
    rules.push(..._tiersAndTail(s, () => true));
    return [{ name: s.name, rules }];
  }
  // In a class chain every bounded policy's domain holds the packet, so its prefilter would always pass: none.
  const { prefilter: _p, ...noPrefilter } = s;
  // What makes a class chain's rules: the chain's kind, and per tier the policies it keeps.
  const shape = `${s.direction} ${s.type} ${s.flowLogs === true} ${marks.accept} ${marks.pass} ${marks.scratch0} ${(s.profiles ?? []).join(',')}`;
  const classChains = plan.classes.map((set): Chain => {
    const include = (k: string): boolean => !plan.bounded.has(k) || set.has(k);
    const id = `${shape} ${s.tiers.map((t) => `${t.name} ${t.defaultAction} ${t.policies.filter(include).join(',')}`).join(';')}`;
    return { name: chainName(PREFIX.classChain, id), rules: _tiersAndTail(noPrefilter, include) };
  });
  const unbounded = (k: string): boolean => !plan.bounded.has(k);
  // No entry (every bounded domain is empty, e.g. a selector with no member yet): no lookup at all.
  if (plan.entries.length === 0) {
    rules.push(..._tiersAndTail(noPrefilter, unbounded));
    return [{ name: s.name, rules }, ...classChains];
  }
  const entries = plan.entries.map(({ cls, ...e }) => ({ ...e, chain: classChains[cls]!.name }));
  const addr = s.direction === 'ingress' ? 'src' : 'dst';
  if (s.classForm !== 'tree') {
    rules.push({ match: [], action: { kind: 'classMap', addr, entries } });
    rules.push(..._tiersAndTail(noPrefilter, unbounded));
    return [{ name: s.name, rules }, ...classChains];
  }
  // The tree's leaves go to the class chains, and what no entry holds to the fall-through chain:
  // the endpoint's tiers with only the unbounded policies (the nft chain's own rules after its map).
  const ftId = `${shape} ${s.tiers.map((t) => `${t.name} ${t.defaultAction} ${t.policies.filter(unbounded).join(',')}`).join(';')}`;
  const fallthrough: Chain = { name: chainName(PREFIX.classChain, ftId), rules: _tiersAndTail(noPrefilter, unbounded) };
  const tree = renderClassTree(entries, addr, fallthrough.name, s.family ?? 4);
  rules.push({ match: [], action: { kind: 'goto', chain: tree.root } });
  return [{ name: s.name, rules }, ...classChains, fallthrough, ...tree.chains];
}

/** Everything after the mark clearing: the tiers (with the policies `include` admits) and the profiles or default. */
function _tiersAndTail(s: EndpointChainSpec, include: (policyKey: string) => boolean): Rule[] {
  const { marks } = s;
  const rules: Rule[] = [];
  const passClear = { kind: 'mark', value: 0, mask: marks.pass } as const;
  const accepted = { kind: 'mark', value: marks.accept, mask: marks.accept } as const;
  // A policy is entered only while neither bit is set: after an Allow the rest of the tier's jumps
  // fail this one mark test (no chain is entered), and the tier's single return ends the chain.
  const noVerdict = { kind: 'mark', value: 0, mask: (marks.accept | marks.pass) >>> 0 } as const;
  const newConn = { kind: 'conntrackState', states: ['NEW'] } as const;
  for (const t of s.tiers) {
    rules.push({ match: [], action: { kind: 'clearMark', mask: marks.pass }, comment: `Start of tier ${t.name}` });
    const policies = t.policies.filter(include);
    for (const key of policies) rules.push({ match: [noVerdict, ...(s.prefilter?.(key) ?? [])], action: { kind: 'jump', chain: policyChainName(s.direction, key) } });
    if (policies.length > 0) {
      if (s.type === 'untracked') rules.push({ match: [accepted], action: { kind: 'notrack' } });
      rules.push({ match: [accepted], action: { kind: 'return' }, comment: 'Return if policy accepted' });
    }
    if ((s.type === 'normal' || s.type === 'forward') && t.defaultAction === 'Deny') {
      if (s.flowLogs === true) rules.push({ match: [passClear, newConn], action: { kind: 'nflog', group: flowLogGroup(s.direction), prefix: endOfTierFlowLogPrefix(s.direction, t.name) } });
      rules.push({ match: [passClear], action: { kind: 'drop' }, comment: `End of tier ${t.name}. Drop if no policies passed packet` });
    }
  }
  if (s.type === 'normal') {
    for (const p of s.profiles ?? []) {
      rules.push({ match: [], action: { kind: 'jump', chain: profileChainName(s.direction, p) } });
      rules.push({ match: [accepted], action: { kind: 'return' }, comment: 'Return if profile accepted' });
    }
    if (s.flowLogs === true) rules.push({ match: [newConn], action: { kind: 'nflog', group: flowLogGroup(s.direction), prefix: noProfileFlowLogPrefix(s.direction) } });
    rules.push({ match: [], action: { kind: 'drop' }, comment: 'Drop if no profiles matched' });
  } else if (s.type === 'forward' && s.tiers.length === 0) {
    rules.push({ match: [], action: { kind: 'setMark', mark: marks.accept, mask: marks.accept } });
    rules.push({ match: [], action: { kind: 'return' }, comment: 'Allow forwarded traffic by default' });
  }
  return rules;
}

export const workloadChainName = (dir: 'ingress' | 'egress', iface: string): string =>
  chainName(dir === 'ingress' ? PREFIX.toWorkload : PREFIX.fromWorkload, iface);

/** Host endpoint chain name; `*` becomes `any-interface-at-all`. */
export function hostChainName(prefix: string, iface: string): string {
  return chainName(prefix, iface === '*' ? 'any-interface-at-all' : iface);
}

