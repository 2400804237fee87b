/**
 * @module The kinds the engine reads, as (apiVersion, kind): what an agent lists and watches, and
 * what the API server's flow collector loads to compute pending traces. Pure data.
 */
export const ENGINE_KINDS: readonly (readonly [string, string])[] = [
  ['v1', 'Pod'],
  ['v1', 'Namespace'],
  ['v1', 'ServiceAccount'],
  ['v1', 'Service'],
  ['v1', 'Node'],
  ['networking.k8s.io/v1', 'NetworkPolicy'],
  ['projectcalico.org/v3', 'NetworkPolicy'],
  ['projectcalico.org/v3', 'GlobalNetworkPolicy'],
  ['projectcalico.org/v3', 'StagedNetworkPolicy'],
  ['projectcalico.org/v3', 'StagedGlobalNetworkPolicy'],
  ['projectcalico.org/v3', 'StagedKubernetesNetworkPolicy'],
  ['projectcalico.org/v3', 'Tier'],
  ['projectcalico.org/v3', 'Profile'],
  ['projectcalico.org/v3', 'HostEndpoint'],
  ['projectcalico.org/v3', 'WorkloadEndpoint'],
  ['projectcalico.org/v3', 'NetworkSet'],
  ['projectcalico.org/v3', 'GlobalNetworkSet'],
  ['projectcalico.org/v3', 'Node'],
  ['projectcalico.org/v3', 'FelixConfiguration'],
  ['policy.networking.k8s.io/v1alpha1', 'AdminNetworkPolicy'],
  ['policy.networking.k8s.io/v1alpha1', 'BaselineAdminNetworkPolicy'],
];
