/**
 * @module One endpoint's policy chain for one packet, as Felix renders it (felix/rules/endpoints.go):
 * tiers in order; in each, policies in order; first matching rule of a policy decides — Allow
 * accepts (skipping later policies and tiers), Deny drops, Pass jumps to the next tier, Log
 * records and continues, no match falls through to the next policy. At the end of a tier in
 * which a policy applied, the tier's defaultAction (Deny) drops — only in normal and forward
 * chains, never in preDNAT or untracked ones. Then profiles (normal chains only): a profile
 * Allow accepts, otherwise "drop if no profiles matched".
 *
 * With `rec === null` nothing is recorded and nothing is allocated (the fast path); with a
 * recorder, every step is kept for the trace, including the nearest rule that almost matched.
 */
import { checkRule, type CompiledRule, type Packet, type ServiceLookup } from './match.js';
import type { Plan, Direction } from './resolve.js';
import type { Snapshot } from './snapshot.js';
import type { Decision, NearMiss, RuleRef } from './types.js';

export const NONE = 0;
export const ALLOW = 1;
export const DENY = 2;
export type Outcome = typeof NONE | typeof ALLOW | typeof DENY;

/** Collects what one stage saw (trace mode only). */
export class StageRecorder {
  decision: Decision | undefined;
  logged: RuleRef[] = [];
  nearMiss: NearMiss | undefined;
  #bestFails = Infinity;
  #bestIsAllow = false;

  consider(tier: string, policy: string, r: CompiledRule, failed: string[]): void {
    if (r.action === 'Log' || r.action === 'Deny') return;
    const isAllow = r.action === 'Allow';
    // Prefer rules that would allow; among them the fewest failed criteria; first wins ties.
    if (failed.length < this.#bestFails || (isAllow && !this.#bestIsAllow && failed.length <= this.#bestFails)) {
      this.#bestFails = failed.length;
      this.#bestIsAllow = isAllow;
      this.nearMiss = { tier, policy, ruleIndex: r.index, action: r.action, failed };
    }
  }
}

/** The rule's name for a trace decision, when it has one. */
const _ruleName = (r: CompiledRule): { ruleName?: string } => (r.name !== undefined && r.name !== null ? { ruleName: r.name } : {});

function _rules(p: { ingressRules: readonly CompiledRule[]; egressRules: readonly CompiledRule[] }, dir: Direction): readonly CompiledRule[] {
  return dir === 'ingress' ? p.ingressRules : p.egressRules;
}

/**
 * Runs the tiers of a plan. Returns ALLOW or DENY when a rule or an end-of-tier decided, NONE when
 * the packet got through every tier (by Pass or a Pass tier default), or when nothing decided in
 * a chain without end-of-tier drops.
 */
export function runTiers(
  plan: Plan,
  dir: Direction,
  pkt: Packet,
  svc: ServiceLookup,
  endOfTierDrop: boolean,
  rec: StageRecorder | null,
): Outcome {
  for (let t = 0; t < plan.length; t++) {
    const tp = plan[t]!;
    let passed = false;
    policies: for (let i = 0; i < tp.policies.length; i++) {
      const p = tp.policies[i]!;
      const rules = _rules(p, dir);
      for (let j = 0; j < rules.length; j++) {
        const r = rules[j]!;
        if (rec === null) {
          if (!checkRule(r, pkt, svc, null)) continue;
        } else {
          const failed: string[] = [];
          if (!checkRule(r, pkt, svc, failed)) {
            rec.consider(tp.tier.name, p.id, r, failed);
            continue;
          }
        }
        switch (r.action) {
          case 'Log':
            rec?.logged.push({ tier: tp.tier.name, policy: p.id, ruleIndex: r.index, action: 'Log' });
            continue;
          case 'Allow':
          case 'Deny':
            if (rec !== null) rec.decision = { kind: 'rule', tier: tp.tier.name, policy: p.id, policyKind: p.kind, ruleIndex: r.index, action: r.action, ..._ruleName(r) };
            return r.action === 'Allow' ? ALLOW : DENY;
          case 'Pass':
            if (rec !== null) rec.decision = { kind: 'rule', tier: tp.tier.name, policy: p.id, policyKind: p.kind, ruleIndex: r.index, action: 'Pass', ..._ruleName(r) };
            passed = true;
            break policies;
        }
      }
    }
    if (!passed && endOfTierDrop) {
      if (tp.tier.defaultAction === 'Deny') {
        if (rec !== null) rec.decision = { kind: 'endOfTier', tier: tp.tier.name, action: 'Deny' };
        return DENY;
      }
      if (rec !== null) rec.decision = { kind: 'endOfTier', tier: tp.tier.name, action: 'Pass' };
    }
  }
  return NONE;
}

/** Profiles in order: first Allow/Deny decides; none → drop. */
export function runProfiles(
  snapshot: Snapshot,
  profiles: readonly string[],
  dir: Direction,
  pkt: Packet,
  svc: ServiceLookup,
  rec: StageRecorder | null,
): Outcome {
  for (let i = 0; i < profiles.length; i++) {
    const prof = snapshot.profiles.get(profiles[i]!);
    if (prof === undefined) continue; // fail closed: an unknown profile allows nothing
    const rules = dir === 'ingress' ? prof.ingress : prof.egress;
    for (let j = 0; j < rules.length; j++) {
      const r = rules[j]!;
      if (rec === null) {
        if (!checkRule(r, pkt, svc, null)) continue;
      } else {
        const failed: string[] = [];
        if (!checkRule(r, pkt, svc, failed)) {
          rec.consider(`profile`, prof.name, r, failed);
          continue;
        }
      }
      if (r.action === 'Log') {
        rec?.logged.push({ tier: 'profile', policy: prof.name, ruleIndex: r.index, action: 'Log' });
        continue;
      }
      if (r.action === 'Pass') break;
      if (rec !== null) rec.decision = { kind: 'profile', profile: prof.name, ruleIndex: r.index, action: r.action };
      return r.action === 'Allow' ? ALLOW : DENY;
    }
  }
  if (rec !== null) rec.decision = { kind: 'noProfileMatch', profiles: [...profiles] };
  return DENY;
}
