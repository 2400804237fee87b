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
export {
  deploymentDecoder,
  replicaSetDecoder,
  defaultDeployment,
  defaultReplicaSet,
  validateDeployment,
  validateReplicaSet,
  validatePodTemplate,
  selectorMatches,
  type Deployment,
  type ReplicaSet,
  type PodTemplateSpec,
} from './apps.js';
export { coreEventDecoder, eventsV1EventDecoder, endpointSliceDecoder, validateCoreEvent, validateEventsV1Event, validateEndpointSlice, type CoreEvent, type EventsV1Event, type EndpointSlice } from './events.js';
export { WORKLOAD_KINDS, DEPLOYMENT_KIND, REPLICA_SET_KIND, ENDPOINT_SLICE_KIND, CORE_EVENT_KIND, EVENTS_V1_EVENT_KIND } from './workload-kinds.js';
export { SELF_SUBJECT_ACCESS_REVIEW_KIND, validateSelfSubjectAccessReview, type SelfSubjectAccessReview } from './authorization.js';
