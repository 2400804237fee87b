/**
 * @module Kubernetes LabelSelector → Calico selector text, exactly as Calico's converter writes
 * it (k8sSelectorToCalico): matchLabels in sorted key order, then matchExpressions in the given
 * order, joined by ` && `; values single-quoted and not escaped. Pure.
 */
import type { LabelSelector } from '../k8s/types.js';

/** Label every Kubernetes workload endpoint carries in Calico. */
export const ORCHESTRATOR_TERM = "projectcalico.org/orchestrator == 'k8s'";

export type SelectorRole = 'pod' | 'namespace';

const _byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Pod selectors start with the orchestrator term (nil → just that term). Namespace selectors have
 * no such term: nil → `""` (the policy's own namespace), empty `{}` → `all()`.
 */
export function k8sSelectorToCalico(s: LabelSelector | undefined, role: SelectorRole): string {
  const terms: string[] = role === 'pod' ? [ORCHESTRATOR_TERM] : [];
  if (s === undefined) return terms.join(' && ');
  const labels = s.matchLabels ?? {};
  const exprs = s.matchExpressions ?? [];
  if (role === 'namespace' && Object.keys(labels).length === 0 && exprs.length === 0) return 'all()';
  for (const k of Object.keys(labels).sort(_byteOrder)) terms.push(`${k} == '${labels[k]!}'`);
  for (const e of exprs) {
    const key = e.key ?? '';
    const list = (e.values ?? []).join("', '");
    switch (e.operator) {
      case 'In':
        terms.push(`${key} in { '${list}' }`);
        break;
      case 'NotIn':
        terms.push(`${key} not in { '${list}' }`);
        break;
      case 'Exists':
        terms.push(`has(${key})`);
        break;
      case 'DoesNotExist':
        terms.push(`! has(${key})`);
        break;
      case undefined:
      default:
        // Calico skips unknown operators (Kubernetes validation rejects them).
        break;
    }
  }
  return terms.join(' && ');
}
