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
 */
import type { DesiredTier } from '../../engine/index.js';
import type { Chain, MatchCriterion, Rule } from '../model.js';
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
}

export function renderEndpointChain(s: EndpointChainSpec): Chain {
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
  const passClear = { kind: 'mark', value: 0, mask: marks.pass } as const;
  const accepted = { kind: 'mark', value: marks.accept, mask: marks.accept } as const;
  // A policy is entered only while neither bit is set: after an Allow the rest of the tier's jumps
  // fail this one mark test (no chain is entered), and the tier's single return ends the chain.
  const noVerdict = { kind: 'mark', value: 0, mask: (marks.accept | marks.pass) >>> 0 } as const;
  const newConn = { kind: 'conntrackState', states: ['NEW'] } as const;
  for (const t of s.tiers) {
    rules.push({ match: [], action: { kind: 'clearMark', mask: marks.pass }, comment: `Start of tier ${t.name}` });
    for (const key of t.policies) rules.push({ match: [noVerdict, ...(s.prefilter?.(key) ?? [])], action: { kind: 'jump', chain: policyChainName(s.direction, key) } });
    if (t.policies.length > 0) {
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
  return { name: s.name, rules };
}

export const workloadChainName = (dir: 'ingress' | 'egress', iface: string): string =>
  chainName(dir === 'ingress' ? PREFIX.toWorkload : PREFIX.fromWorkload, iface);

/** Host endpoint chain name; `*` becomes `any-interface-at-all`. */
export function hostChainName(prefix: string, iface: string): string {
  return chainName(prefix, iface === '*' ? 'any-interface-at-all' : iface);
}

