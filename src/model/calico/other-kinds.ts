/**
 * @module Registry rows for the projectcalico.org/v3 kinds other than policies and tiers:
 * HostEndpoint, GlobalNetworkSet, NetworkSet, Profile, Node, WorkloadEndpoint,
 * FelixConfiguration, KubeControllersConfiguration, and CalicoAPIConfig (the calicoctl config
 * file, which needs no name), with the API structs that validateFragment accepts.
 */
import type { FragmentInfo, KindInfo } from '../kind-info.js';
import { HOST_ENDPOINT_FRAGMENTS, hostEndpointKind } from './host-endpoint.js';
import { NETWORK_SET_FRAGMENTS, globalNetworkSetKind, networkSetKind } from './network-set.js';
import { PROFILE_FRAGMENTS, profileKind } from './profile.js';
import { NODE_FRAGMENTS, nodeKind } from './node.js';
import { WORKLOAD_ENDPOINT_FRAGMENTS, workloadEndpointKind } from './workload-endpoint.js';
import { FELIX_CONFIGURATION_FRAGMENTS, felixConfigurationKind } from './felix-configuration.js';
import { KUBE_CONTROLLERS_FRAGMENTS, kubeControllersConfigurationKind } from './kube-controllers-configuration.js';
import { CALICO_API_CONFIG_FRAGMENTS, calicoAPIConfigKind } from './calico-api-config.js';

export const KINDS: readonly KindInfo[] = [
  hostEndpointKind,
  globalNetworkSetKind,
  networkSetKind,
  profileKind,
  nodeKind,
  workloadEndpointKind,
  felixConfigurationKind,
  kubeControllersConfigurationKind,
  calicoAPIConfigKind,
];

export const FRAGMENTS: readonly FragmentInfo[] = [
  ...HOST_ENDPOINT_FRAGMENTS,
  ...NETWORK_SET_FRAGMENTS,
  ...PROFILE_FRAGMENTS,
  ...NODE_FRAGMENTS,
  ...WORKLOAD_ENDPOINT_FRAGMENTS,
  ...FELIX_CONFIGURATION_FRAGMENTS,
  ...KUBE_CONTROLLERS_FRAGMENTS,
  ...CALICO_API_CONFIG_FRAGMENTS,
];
