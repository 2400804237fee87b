/**
 * @module The snapshot builder's policy side (buildSnapshot, steps 7-9): tiers (the built-in ones
 * plus Tier resources), policies (Calico's, Kubernetes NetworkPolicies converted to
 * `knp.default.<name>`, staged ones, and AdminNetworkPolicies through admin-policies.ts) compiled
 * and sorted by tier (order, name) then policy (order, name) into the enforced set and, when
 * there are staged policies, the staged view; and profiles (explicit ones, Calico's
 * projectcalico-default-allow, and the `kns.*`/`ksa.*` profiles workloads name).
 */
import type { Resource } from '../../model/meta.js';
import type { Rule } from '../../model/calico/types.js';
import { BUILT_IN_TIERS } from '../../model/calico/derived.js';
import { convertKubernetesNetworkPolicy, convertStagedKubernetesNetworkPolicy } from '../../model/convert/index.js';
import { formatLine } from '../../model/field/format.js';
import { compilePolicy, compileRules, comparePolicies, type CompiledPolicy, type PolicyKind, type PolicyLike } from '../compile-policy.js';
import { adminPolicyOf, isAdminPolicy } from '../admin-policies.js';
import type { CompiledProfile, PolicySet, TierInfo, WorkloadEndpointInfo } from '../snapshot.js';
import { compareText, isCalico, isK8sNetworkPolicy, nameOf, namespaceOf, type SnapshotInput } from './input.js';

const DEFAULT_TIER_ORDER = 1_000_000;
let _policySetIds = 0;

/**
 * The profile Calico creates at start-up with allow-all ingress and egress rules; host endpoints
 * name it for "allow-all" instead of "deny-all" in the absence of policy (kube-controllers'
 * automatic host endpoints do). A Profile resource of that name, when given, replaces it.
 */
export const DEFAULT_ALLOW_PROFILE = 'projectcalico-default-allow';

export function buildTiers(inp: SnapshotInput): Map<string, TierInfo> {
  const tiers = new Map<string, TierInfo>();
  for (const t of BUILT_IN_TIERS) tiers.set(t.name, { name: t.name, order: t.order, defaultAction: t.defaultAction });
  for (const r of inp.byKind('Tier')) {
    const spec = (r as { spec?: { order?: number; defaultAction?: string } }).spec ?? {};
    const name = nameOf(r);
    tiers.set(name, {
      name,
      order: typeof spec.order === 'number' ? spec.order : name === 'default' ? DEFAULT_TIER_ORDER : Infinity,
      defaultAction: spec.defaultAction === 'Pass' ? 'Pass' : 'Deny',
    });
  }
  return tiers;
}

type _Spec = PolicyLike['spec'] & { stagedAction?: string };

/** The policy one resource stands for (undefined: not a policy, or not convertible; problems noted). */
function _policyOf(inp: SnapshotInput, r: Resource): PolicyLike | undefined {
  const name = nameOf(r);
  const ns = namespaceOf(r);
  const spec = (r as { spec?: _Spec }).spec ?? {};
  const problem = (kind: string) => (e: Parameters<typeof formatLine>[0]) => void inp.problems.push({ resource: `${kind} ${ns}/${name}`, message: formatLine(e) });
  if (isK8sNetworkPolicy(r)) {
    const c = convertKubernetesNetworkPolicy(r);
    c.errors.forEach(problem('NetworkPolicy'));
    return c.policy ? { kind: 'KubernetesNetworkPolicy', namespace: ns || 'default', name: c.policy.metadata?.name ?? name, spec: c.policy.spec ?? {}, staged: false } : undefined;
  }
  if (r.kind === 'StagedKubernetesNetworkPolicy') {
    const c = convertStagedKubernetesNetworkPolicy(r);
    c.errors.forEach(problem('StagedKubernetesNetworkPolicy'));
    if (!c.policy) return undefined;
    const s = (c.policy.spec ?? {}) as _Spec;
    return { kind: 'StagedKubernetesNetworkPolicy', namespace: ns || 'default', name: c.policy.metadata?.name ?? name, spec: { ...s, stagedAction: spec.stagedAction } as _Spec, staged: true };
  }
  if (isAdminPolicy(r)) return adminPolicyOf(r, inp.resources, inp.problems);
  if (isCalico(r) && (r.kind === 'NetworkPolicy' || r.kind === 'StagedNetworkPolicy'))
    return { kind: r.kind as PolicyKind, namespace: ns || 'default', name, spec, staged: r.kind === 'StagedNetworkPolicy' };
  if (isCalico(r) && (r.kind === 'GlobalNetworkPolicy' || r.kind === 'StagedGlobalNetworkPolicy'))
    return { kind: r.kind as PolicyKind, namespace: '', name, spec, staged: r.kind === 'StagedGlobalNetworkPolicy' };
  return undefined;
}

/** Compiles the policies (a policy that cannot be compiled is a problem, left out) and sorts them by tier, then policy. */
function _compileSorted(inp: SnapshotInput, tiers: ReadonlyMap<string, TierInfo>, list: readonly PolicyLike[]): CompiledPolicy[] {
  const out: CompiledPolicy[] = [];
  for (const p of list) {
    try {
      out.push(compilePolicy(p, inp.registry));
    } catch (e) {
      inp.problems.push({ resource: `${p.kind} ${p.namespace === '' ? '' : p.namespace + '/'}${p.name}`, message: `not evaluated: ${(e as Error).message}` });
    }
  }
  const tierKey = (t: string): [number, string] => [tiers.get(t)?.order ?? Infinity, t];
  return out.sort((a, b) => {
    const [ao, an] = tierKey(a.tier);
    const [bo, bn] = tierKey(b.tier);
    if (ao !== bo) return ao < bo ? -1 : 1;
    if (an !== bn) return compareText(an, bn);
    return comparePolicies(a, b);
  });
}

/** The enforced policies and, when there are staged ones, the staged view. */
export function buildPolicies(inp: SnapshotInput, tiers: ReadonlyMap<string, TierInfo>): { enforced: PolicySet; stagedView: PolicySet | null } {
  const policies: PolicyLike[] = [];
  const staged: PolicyLike[] = [];
  for (const r of inp.resources) {
    const p = _policyOf(inp, r);
    if (p) (p.staged ? staged : policies).push(p);
  }
  const enforced: PolicySet = { policies: _compileSorted(inp, tiers, policies), id: ++_policySetIds };
  if (staged.length === 0) return { enforced, stagedView: null };
  // The staged view: each staged policy, enforced, replaces (Set) or removes (Delete) the policy
  // it stages; Learn and Ignore change nothing.
  const keyOf = (p: { kind: string; namespace: string; name: string }): string => `${p.namespace === '' ? 'global' : 'ns'}|${p.namespace}|${p.name}`;
  const view = new Map<string, PolicyLike>(policies.map((p) => [keyOf(p), p]));
  for (const s of staged) {
    const action = (s.spec as _Spec).stagedAction ?? 'Set';
    if (action === 'Delete') view.delete(keyOf(s));
    else if (action === 'Set' || action === '') view.set(keyOf(s), s);
  }
  return { enforced, stagedView: { policies: _compileSorted(inp, tiers, [...view.values()]), id: ++_policySetIds } };
}

export function buildProfiles(inp: SnapshotInput, workloads: readonly WorkloadEndpointInfo[]): Map<string, CompiledProfile> {
  const profiles = new Map<string, CompiledProfile>();
  const allowAll: Rule[] = [{ action: 'Allow' }];
  const compile = (name: string, ingress: readonly Rule[] | undefined, egress: readonly Rule[] | undefined): CompiledProfile => ({
    name,
    ingress: compileRules(ingress as Rule[] | undefined, { registry: inp.registry, namespace: '' }),
    egress: compileRules(egress as Rule[] | undefined, { registry: inp.registry, namespace: '' }),
  });
  for (const [name, p] of inp.explicitProfiles) profiles.set(name, compile(name, p.spec?.ingress, p.spec?.egress));
  if (!profiles.has(DEFAULT_ALLOW_PROFILE)) profiles.set(DEFAULT_ALLOW_PROFILE, compile(DEFAULT_ALLOW_PROFILE, allowAll, allowAll));
  const seenLists = new Set<readonly string[]>(); // profile lists are shared: visit each once
  for (const w of workloads) {
    if (seenLists.has(w.profiles)) continue;
    seenLists.add(w.profiles);
    for (const p of w.profiles)
      if (!profiles.has(p)) {
        if (p.startsWith('kns.')) profiles.set(p, compile(p, allowAll, allowAll));
        else if (p.startsWith('ksa.')) profiles.set(p, compile(p, [], []));
      }
  }
  return profiles;
}
