/**
 * @module Registry rows for `policy.networking.k8s.io/v1alpha1`: AdminNetworkPolicy (`anp`) and
 * BaselineAdminNetworkPolicy (`banp`), both cluster-scoped, and their spec fragments.
 */
import type { FieldPath } from '../field/path.js';
import { defineFragment, defineKind, type FragmentInfo, type KindInfo } from '../kind-info.js';
import { adminNetworkPolicyDecoder, adminNetworkPolicySpecDecoder, baselineAdminNetworkPolicyDecoder, baselineAdminNetworkPolicySpecDecoder } from './decode.js';
import { defaultAdminPolicy } from './defaults.js';
import {
  validateAdminNetworkPolicy,
  validateAdminNetworkPolicySpec,
  validateBaselineAdminNetworkPolicy,
  validateBaselineAdminNetworkPolicySpec,
} from './validate.js';
import { POLICY_API_GROUP, POLICY_API_VERSION, type AdminNetworkPolicy, type AdminNetworkPolicySpec, type BaselineAdminNetworkPolicy, type BaselineAdminNetworkPolicySpec } from './types.js';

export const ADMIN_NETWORK_POLICY_KIND = defineKind<AdminNetworkPolicy>({
  kind: 'AdminNetworkPolicy',
  group: POLICY_API_GROUP,
  version: POLICY_API_VERSION,
  plural: 'adminnetworkpolicies',
  singular: 'adminnetworkpolicy',
  shortNames: ['anp'],
  namespaced: false,
  decode: adminNetworkPolicyDecoder,
  applyDefaults: defaultAdminPolicy,
  validate: validateAdminNetworkPolicy,
});

export const BASELINE_ADMIN_NETWORK_POLICY_KIND = defineKind<BaselineAdminNetworkPolicy>({
  kind: 'BaselineAdminNetworkPolicy',
  group: POLICY_API_GROUP,
  version: POLICY_API_VERSION,
  plural: 'baselineadminnetworkpolicies',
  singular: 'baselineadminnetworkpolicy',
  shortNames: ['banp'],
  namespaced: false,
  decode: baselineAdminNetworkPolicyDecoder,
  applyDefaults: defaultAdminPolicy,
  validate: validateBaselineAdminNetworkPolicy,
});

export const KINDS: readonly KindInfo[] = [ADMIN_NETWORK_POLICY_KIND, BASELINE_ADMIN_NETWORK_POLICY_KIND];

export const FRAGMENTS: readonly FragmentInfo[] = [
  defineFragment<AdminNetworkPolicySpec>({
    name: 'AdminNetworkPolicySpec',
    decode: adminNetworkPolicySpecDecoder,
    validate: (spec: AdminNetworkPolicySpec, path: FieldPath) => validateAdminNetworkPolicySpec(spec, path),
  }),
  defineFragment<BaselineAdminNetworkPolicySpec>({
    name: 'BaselineAdminNetworkPolicySpec',
    decode: baselineAdminNetworkPolicySpecDecoder,
    validate: (spec: BaselineAdminNetworkPolicySpec, path: FieldPath) => validateBaselineAdminNetworkPolicySpec(spec, path),
  }),
];
