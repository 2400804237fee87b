/**
 * @module The kind registry: every resource kind Tabby knows, looked up by apiVersion+kind,
 * by plural, or by any alias (case-insensitive, as calicoctl and kubectl accept them).
 */
import { apiVersionOf, type FragmentInfo, type KindInfo } from './kind-info.js';
import { KINDS as POLICY_KINDS, FRAGMENTS as POLICY_FRAGMENTS } from './calico/policy-kinds.js';
import { KINDS as OTHER_CALICO_KINDS, FRAGMENTS as OTHER_FRAGMENTS } from './calico/other-kinds.js';
import { KINDS as K8S_KINDS, FRAGMENTS as K8S_FRAGMENTS } from './k8s/kinds.js';
import { KINDS as POLICY_API_KINDS, FRAGMENTS as POLICY_API_FRAGMENTS } from './policy-api/kinds.js';

export const ALL_KINDS: readonly KindInfo[] = [...POLICY_KINDS, ...OTHER_CALICO_KINDS, ...K8S_KINDS, ...POLICY_API_KINDS];
export const ALL_FRAGMENTS: readonly FragmentInfo[] = [...POLICY_FRAGMENTS, ...OTHER_FRAGMENTS, ...K8S_FRAGMENTS, ...POLICY_API_FRAGMENTS];

const byTypeMeta = new Map<string, KindInfo>();
for (const k of ALL_KINDS) byTypeMeta.set(`${apiVersionOf(k)}|${k.kind}`, k);
const fragments = new Map<string, FragmentInfo>(ALL_FRAGMENTS.map((f) => [f.name, f]));

export function kindFor(apiVersion: string, kind: string): KindInfo | undefined {
  return byTypeMeta.get(`${apiVersion}|${kind}`);
}

/** Kinds known under this kind name in any group (to explain an apiVersion mistake). */
export function kindsNamed(kind: string): KindInfo[] {
  return ALL_KINDS.filter((k) => k.kind === kind);
}

/**
 * Resolves a user-typed resource name (`NetworkPolicy`, `policies`, `gnp`, `hep`...) among the
 * kinds of one API group, case-insensitively.
 */
export function kindByAlias(alias: string, group: string): KindInfo | undefined {
  const a = alias.toLowerCase();
  return ALL_KINDS.find(
    (k) =>
      k.group === group &&
      (k.kind.toLowerCase() === a || k.plural === a || k.singular === a || k.shortNames.includes(a)),
  );
}

export function fragmentFor(name: string): FragmentInfo | undefined {
  return fragments.get(name);
}
