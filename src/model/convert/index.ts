/**
 * @module Kubernetes → Calico conversion (calico-semantics §c): NetworkPolicy → NetworkPolicy
 * `knp.default.<name>`, StagedKubernetesNetworkPolicy → StagedNetworkPolicy, and the pieces they
 * are built from (selector text, port simplification, UID transform); AdminNetworkPolicy and
 * BaselineAdminNetworkPolicy → GlobalNetworkPolicy in the `adminnetworkpolicy` /
 * `baselineadminnetworkpolicy` tiers. Pure.
 */
export {
  convertKubernetesNetworkPolicy,
  convertStagedKubernetesNetworkPolicy,
  K8S_NETWORK_POLICY_NAME_PREFIX,
  K8S_POLICY_ORDER,
} from './k8s-network-policy.js';
export type { ConversionResult, StagedConversionResult } from './k8s-network-policy.js';
export { k8sSelectorToCalico, ORCHESTRATOR_TERM } from './selector.js';
export type { SelectorRole } from './selector.js';
export { portFromString, simplifyPorts, portToJSON } from './ports.js';
export type { CalicoPort } from './ports.js';
export { convertUID, parseUUID } from './uid.js';
export {
  convertAdminNetworkPolicy,
  convertBaselineAdminNetworkPolicy,
  adminPolicyNodes,
  ADMIN_NETWORK_POLICY_TIER,
  BASELINE_ADMIN_NETWORK_POLICY_TIER,
  ADMIN_NETWORK_POLICY_NAME_PREFIX,
  BASELINE_ADMIN_NETWORK_POLICY_NAME_PREFIX,
  BASELINE_ADMIN_POLICY_ORDER,
  ADMIN_POLICY_RULE_NAME_ANNOTATION,
} from './admin-network-policy.js';
export type { AdminConversionResult, AdminConversionContext, AdminPolicyNode } from './admin-network-policy.js';
export {
  kddToV3,
  v3ToKdd,
  isKddObject,
  isTieredPolicyKind,
  tieredPolicyName,
  KDD_GROUP,
  KDD_VERSION,
  KDD_API_VERSION,
  KDD_METADATA_ANNOTATION,
  CALICO_API_VERSION,
} from './crd-kdd.js';
export { decodeImported } from './crd-import.js';
export type { ImportedResource } from './crd-import.js';
export { KDD_KINDS, CUSTOM_RESOURCE_DEFINITION_KIND, customResourceDefinitionFor, isModelledKddKind } from './crd-kinds.js';
