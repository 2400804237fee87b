/** @module Resource identity for lint findings, from a resource or from a compiled policy. */
import type { Resource } from '../../model/meta.js';
import { kindFor } from '../../model/kinds.js';
import type { CompiledPolicy } from '../compile-policy.js';
import { ADMIN_NETWORK_POLICY_NAME_PREFIX, BASELINE_ADMIN_NETWORK_POLICY_NAME_PREFIX } from '../../model/convert/index.js';
import type { LintResourceRef } from './types.js';

export const KNP_NAME_PREFIX = 'knp.default.';

const _group = (apiVersion: string): string => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '');

export function refOfResource(r: Resource): LintResourceRef {
  const ns = r.metadata?.namespace ?? '';
  const namespaced = kindFor(r.apiVersion, r.kind)?.namespaced ?? ns !== '';
  return { kind: r.kind, group: _group(r.apiVersion), namespace: namespaced && ns === '' ? 'default' : ns, name: r.metadata?.name ?? '' };
}

/** The resource a compiled policy came from (a Kubernetes policy for `knp.default.*`). */
export function refOfPolicy(p: CompiledPolicy): LintResourceRef {
  const strip = (n: string): string => (n.startsWith(KNP_NAME_PREFIX) ? n.slice(KNP_NAME_PREFIX.length) : n);
  switch (p.kind) {
    case 'KubernetesNetworkPolicy':
      return { kind: 'NetworkPolicy', group: 'networking.k8s.io', namespace: p.namespace, name: strip(p.name) };
    case 'StagedKubernetesNetworkPolicy':
      return { kind: 'StagedKubernetesNetworkPolicy', group: 'projectcalico.org', namespace: p.namespace, name: strip(p.name) };
    case 'AdminNetworkPolicy':
      return { kind: p.kind, group: 'policy.networking.k8s.io', namespace: '', name: stripPrefix(p.name, ADMIN_NETWORK_POLICY_NAME_PREFIX) };
    case 'BaselineAdminNetworkPolicy':
      return { kind: p.kind, group: 'policy.networking.k8s.io', namespace: '', name: stripPrefix(p.name, BASELINE_ADMIN_NETWORK_POLICY_NAME_PREFIX) };
    case 'NetworkPolicy':
    case 'GlobalNetworkPolicy':
    case 'StagedNetworkPolicy':
    case 'StagedGlobalNetworkPolicy':
      return { kind: p.kind, group: 'projectcalico.org', namespace: p.namespace, name: p.name };
    default: {
      const never: never = p.kind;
      return never;
    }
  }
}

/** Whether the policy's rules are Calico rules as written (so rule indexes map to spec paths). */
export function hasCalicoRules(p: CompiledPolicy): boolean {
  return (
    p.kind !== 'KubernetesNetworkPolicy' &&
    p.kind !== 'StagedKubernetesNetworkPolicy' &&
    p.kind !== 'AdminNetworkPolicy' &&
    p.kind !== 'BaselineAdminNetworkPolicy'
  );
}

const stripPrefix = (n: string, prefix: string): string => (n.startsWith(prefix) ? n.slice(prefix.length) : n);
