/**
 * @module The Kubernetes network-policy-api kinds (`policy.networking.k8s.io/v1alpha1`):
 * AdminNetworkPolicy and BaselineAdminNetworkPolicy — types, strict decoders, CRD defaults and
 * the CRD schema + CEL validation. Their conversion into Calico policy is in ../convert.
 */
export * from './types.js';
export {
  adminNetworkPolicyDecoder,
  baselineAdminNetworkPolicyDecoder,
  adminNetworkPolicySpecDecoder,
  baselineAdminNetworkPolicySpecDecoder,
} from './decode.js';
export { defaultAdminPolicy } from './defaults.js';
export {
  validateAdminNetworkPolicy,
  validateAdminNetworkPolicySpec,
  validateBaselineAdminNetworkPolicy,
  validateBaselineAdminNetworkPolicySpec,
  ANP_ACTIONS,
  BANP_ACTIONS,
  BANP_NAME,
  MAX_PRIORITY,
  MAX_RULES,
} from './validate.js';
export { KINDS, FRAGMENTS, ADMIN_NETWORK_POLICY_KIND, BASELINE_ADMIN_NETWORK_POLICY_KIND } from './kinds.js';
