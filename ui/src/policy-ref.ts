/** From the engine's compiled policies back to the API objects they came from. */
import type { CompiledPolicy, Snapshot } from '../../src/engine/index.js';
import type { ApiObject } from '../../src/web/protocol.js';
import { findObject } from './store.js';

const TYPE_OF: Readonly<Record<string, string>> = {
  GlobalNetworkPolicy: 'projectcalico.org/globalnetworkpolicies',
  NetworkPolicy: 'projectcalico.org/networkpolicies',
  KubernetesNetworkPolicy: 'networking.k8s.io/networkpolicies',
  StagedGlobalNetworkPolicy: 'projectcalico.org/stagedglobalnetworkpolicies',
  StagedNetworkPolicy: 'projectcalico.org/stagednetworkpolicies',
  StagedKubernetesNetworkPolicy: 'projectcalico.org/stagedkubernetesnetworkpolicies',
};

export function policySource(p: CompiledPolicy): ApiObject | undefined {
  const t = TYPE_OF[p.kind];
  if (t === undefined) return undefined;
  const name = p.kind.endsWith('KubernetesNetworkPolicy') && p.name.startsWith('knp.default.') ? p.name.slice('knp.default.'.length) : p.name;
  return findObject(t, p.namespace, name);
}

/** The query value that names a policy on the Policies page. */
export const policyParam = (p: { kind: string; id: string }): string => `${p.kind}:${p.id}`;

export function findPolicy(snap: Snapshot, param: string): CompiledPolicy | undefined {
  return snap.enforced.policies.find((p) => policyParam(p) === param) ?? snap.stagedView?.policies.find((p) => policyParam(p) === param);
}

/** Trace name of a policy (as stages name it) → its compiled policy. */
export function policyById(snap: Snapshot, id: string): CompiledPolicy | undefined {
  return snap.enforced.policies.find((p) => p.id === id) ?? snap.stagedView?.policies.find((p) => p.id === id);
}

export interface Selected {
  readonly workloads: readonly string[];
  readonly hosts: readonly string[];
}

export function selectedBy(snap: Snapshot, p: CompiledPolicy): Selected {
  const sel = p.selector.sel;
  const workloads: string[] = [];
  for (const w of snap.workloads) if (sel.matches(w.labels)) workloads.push(w.key);
  const hosts: string[] = [];
  for (const h of snap.hostEndpoints) if (sel.matches(h.labels)) hosts.push(h.key);
  return { workloads, hosts };
}
