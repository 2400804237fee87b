/**
 * @module The pending trace of a flow (issue 17 item 3): what the staged policies
 * (StagedNetworkPolicy, StagedGlobalNetworkPolicy, StagedKubernetesNetworkPolicy) would do to it,
 * as Calico marks a flow's "pending" policies. Pure.
 *
 * The flow is resolved by its addresses against the snapshot and evaluated under the staged view
 * (each staged policy, enforced, replacing or deleting the policy it stages — snapshot/policies.ts).
 * The trace keeps the reporting side only, as Calico's per-reporter flow logs: egress stages for
 * `reporter: 'src'`, ingress stages for `'dst'`; one hit per stage, the decision that ended it
 * (the tiers a Pass skipped are not listed). `[]` when there are no staged policies or when the
 * staged view leaves the reporting endpoint's policies in that direction as they are (for a pod:
 * the same policies, tier by tier; for a host: the same decisions), and when the addresses do
 * not resolve (an address family mismatch, a malformed address).
 */
import type { FlowEvent, FlowHitAction, FlowPolicyHit } from '../../model/flows.js';
import { evaluateUnder, type ResolvedFlow } from '../evaluate.js';
import { planFor, type Direction } from '../resolve.js';
import type { PolicySet, Snapshot } from '../snapshot.js';
import type { Decision, Stage, StageKind } from '../types.js';
import { resolveFlow } from '../verdicts.js';

const _EGRESS: ReadonlySet<StageKind> = new Set(['sourceEgress', 'hostEgress', 'forwardEgress', 'endpointToHost']);
const _INGRESS: ReadonlySet<StageKind> = new Set(['destinationIngress', 'hostIngress', 'forwardIngress', 'preDNAT', 'untracked']);

const _KNP_PREFIX = 'knp.default.';

/** A policy's name as the user wrote it (a Kubernetes NetworkPolicy without its `knp.default.`). */
function _userName(kind: string, name: string): string {
  if ((kind === 'KubernetesNetworkPolicy' || kind === 'StagedKubernetesNetworkPolicy') && name.startsWith(_KNP_PREFIX)) return name.slice(_KNP_PREFIX.length);
  return name;
}

function _hit(d: Decision, direction: Direction): FlowPolicyHit | undefined {
  switch (d.kind) {
    case 'rule': {
      const slash = d.policy.indexOf('/');
      const namespace = slash >= 0 ? d.policy.slice(0, slash) : '';
      const name = slash >= 0 ? d.policy.slice(slash + 1) : d.policy;
      const action: FlowHitAction = d.action === 'Allow' ? 'allow' : d.action === 'Deny' ? 'deny' : 'pass';
      return { tier: d.tier, kind: d.policyKind, namespace, name: _userName(d.policyKind, name), ruleIndex: d.ruleIndex, direction, action };
    }
    case 'endOfTier':
      return { tier: d.tier, kind: 'Tier', namespace: '', name: d.tier, ruleIndex: -1, direction, action: d.action === 'Deny' ? 'end-of-tier-deny' : 'pass' };
    case 'profile':
      return { tier: 'profile', kind: 'Profile', namespace: '', name: d.profile, ruleIndex: d.ruleIndex, direction, action: d.action === 'Allow' ? 'profile-allow' : 'profile-deny' };
    case 'noProfileMatch':
      return { tier: 'profile', kind: 'Profile', namespace: '', name: d.profiles.join(','), ruleIndex: -1, direction, action: 'profile-deny' };
    case 'failsafe':
    case 'default':
      return undefined;
    default: {
      const never: never = d;
      return never;
    }
  }
}

/** The policy hits of a trace on one side (egress or ingress), in evaluation order. */
export function hitsOfStages(stages: readonly Stage[], direction: Direction): FlowPolicyHit[] {
  const keep = direction === 'egress' ? _EGRESS : _INGRESS;
  const out: FlowPolicyHit[] = [];
  for (const s of stages) {
    if (!keep.has(s.stage) || s.decidedBy === undefined) continue;
    const h = _hit(s.decidedBy, direction);
    if (h !== undefined) out.push(h);
  }
  return out;
}

const _planKey = (snap: Snapshot, set: PolicySet, ep: Parameters<typeof planFor>[2], dir: Direction): string =>
  planFor(snap, set, ep, dir, 'normal', false)
    .map((t) => `${t.tier.name}:${t.policies.map((p) => `${p.kind}|${p.namespace}|${p.name}`).join(',')}`)
    .join(';');

/** Does the staged view change what applies to the reporting endpoint in the reporting direction? */
function _touched(snap: Snapshot, staged: PolicySet, flow: ResolvedFlow, reporter: 'src' | 'dst', direction: Direction): boolean {
  const party = reporter === 'src' ? flow.src : flow.dst;
  if (party.kind === 'workload') return _planKey(snap, snap.enforced, party.ep, direction) !== _planKey(snap, staged, party.ep, direction);
  const a = hitsOfStages(evaluateUnder(snap, snap.enforced, flow).stages, direction);
  const b = hitsOfStages(evaluateUnder(snap, staged, flow).stages, direction);
  return JSON.stringify(a) !== JSON.stringify(b);
}

/** The pending trace of one observed flow (see the module doc). */
export function pendingTrace(snap: Snapshot, ev: Pick<FlowEvent, 'source' | 'dest' | 'destPort' | 'sourcePort' | 'protocol' | 'reporter'>): FlowPolicyHit[] {
  const staged = snap.stagedView;
  if (staged === null || ev.source.ip === '' || ev.dest.ip === '') return [];
  const r = resolveFlow(snap, { from: ev.source.ip, to: ev.dest.ip, port: ev.destPort, protocol: ev.protocol, ...(ev.sourcePort > 0 ? { srcPort: ev.sourcePort } : {}) });
  if (!r.ok) return [];
  const direction: Direction = ev.reporter === 'src' ? 'egress' : 'ingress';
  if (!_touched(snap, staged, r.flow, ev.reporter, direction)) return [];
  return hitsOfStages(evaluateUnder(snap, staged, r.flow).stages, direction);
}

/** The pending action of a trace: the last hit that decides (deny, end-of-tier deny or profile deny → deny). */
export function pendingAction(hits: readonly FlowPolicyHit[]): 'allow' | 'deny' | undefined {
  for (let i = hits.length - 1; i >= 0; i--) {
    const a = hits[i]!.action;
    if (a === 'pass') continue;
    return a === 'allow' || a === 'profile-allow' ? 'allow' : 'deny';
  }
  return undefined;
}
