/** From the engine's compiled policies back to the API objects they came from. */
import type { CompiledPolicy, Snapshot } from '../../src/engine/index.js';
import type { ApiObject } from '../../src/web/protocol.js';
import { findObject } from './store.js';

/** Per compiled-policy kind: the dashboard type of the source object, and the prefix its conversion adds to the name. */
const SOURCE_OF: Readonly<Record<string, { readonly type: string; readonly prefix?: string }>> = {
  GlobalNetworkPolicy: { type: 'projectcalico.org/globalnetworkpolicies' },
  NetworkPolicy: { type: 'projectcalico.org/networkpolicies' },
  KubernetesNetworkPolicy: { type: 'networking.k8s.io/networkpolicies', prefix: 'knp.default.' },
  StagedGlobalNetworkPolicy: { type: 'projectcalico.org/stagedglobalnetworkpolicies' },
  StagedNetworkPolicy: { type: 'projectcalico.org/stagednetworkpolicies' },
  StagedKubernetesNetworkPolicy: { type: 'projectcalico.org/stagedkubernetesnetworkpolicies', prefix: 'knp.default.' },
  AdminNetworkPolicy: { type: 'policy.networking.k8s.io/adminnetworkpolicies', prefix: 'kanp.adminnetworkpolicy.' },
  BaselineAdminNetworkPolicy: { type: 'policy.networking.k8s.io/baselineadminnetworkpolicies', prefix: 'kbanp.baselineadminnetworkpolicy.' },
};

export function policySource(p: CompiledPolicy): ApiObject | undefined {
  const src = SOURCE_OF[p.kind];
  if (src === undefined) return undefined;
  const name = src.prefix !== undefined && p.name.startsWith(src.prefix) ? p.name.slice(src.prefix.length) : p.name;
  return findObject(src.type, p.namespace, name);
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
