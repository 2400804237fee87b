/**
 * @module Kubernetes-side kinds: types, strict decoders, defaulting and Kubernetes validation for
 * NetworkPolicy, StagedKubernetesNetworkPolicy, Namespace, Pod, Node, Service and ServiceAccount.
 */
export * from './types.js';
export {
  k8sNetworkPolicyDecoder,
  k8sNetworkPolicySpecDecoder,
  stagedKubernetesNetworkPolicyDecoder,
  stagedKubernetesNetworkPolicySpecDecoder,
  labelSelectorDecoder,
  namespaceDecoder,
  podDecoder,
  nodeDecoder,
  serviceDecoder,
  serviceAccountDecoder,
} from './decode.js';
export { defaultK8sNetworkPolicy, defaultPod, defaultService } from './defaults.js';
export {
  validateK8sNetworkPolicySpec,
  validateLabelSelector,
  validateIPBlock,
  validateNetworkPolicyPeer,
  validateNetworkPolicyPort,
  isValidPortName,
  isValidPortNum,
} from './validate-network-policy.js';
export { validatePod, validateService, validateNode, isDNS1035Label, NODE_PORT_RANGE } from './validate-core.js';
export { KINDS, FRAGMENTS, STAGED_ACTIONS } from './kinds.js';
