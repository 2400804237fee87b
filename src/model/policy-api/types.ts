/**
 * @module Types of the Kubernetes network-policy-api kinds `policy.networking.k8s.io/v1alpha1`
 * AdminNetworkPolicy and BaselineAdminNetworkPolicy, with the API's field names (v0.1.5, the
 * version Calico v3.31 ships, experimental channel: `namedPort`, `nodes` and `networks` included).
 * Optional everywhere: decoding checks shape, validation checks what the CRD requires.
 */
import type { ObjectMeta } from '../meta.js';
import type { LabelSelector } from '../k8s/types.js';

export const POLICY_API_GROUP = 'policy.networking.k8s.io';
export const POLICY_API_VERSION = 'v1alpha1';
export const POLICY_API_GROUP_VERSION = `${POLICY_API_GROUP}/${POLICY_API_VERSION}`;

export interface NamespacedPod {
  namespaceSelector?: LabelSelector;
  podSelector?: LabelSelector;
}

/** Exactly one field. */
export interface AdminNetworkPolicySubject {
  namespaces?: LabelSelector;
  pods?: NamespacedPod;
}

export interface AdminPolicyPortNumber {
  protocol?: string;
  port?: number;
}

export interface AdminPolicyPortRange {
  protocol?: string;
  start?: number;
  end?: number;
}

/** Exactly one field. */
export interface AdminNetworkPolicyPort {
  portNumber?: AdminPolicyPortNumber;
  namedPort?: string;
  portRange?: AdminPolicyPortRange;
}

/** Exactly one field. */
export interface AdminNetworkPolicyIngressPeer {
  namespaces?: LabelSelector;
  pods?: NamespacedPod;
}

/** Exactly one field. */
export interface AdminNetworkPolicyEgressPeer {
  namespaces?: LabelSelector;
  pods?: NamespacedPod;
  nodes?: LabelSelector;
  networks?: string[];
}

export interface AdminNetworkPolicyIngressRule {
  name?: string;
  action?: string;
  from?: AdminNetworkPolicyIngressPeer[];
  ports?: AdminNetworkPolicyPort[];
}

export interface AdminNetworkPolicyEgressRule {
  name?: string;
  action?: string;
  to?: AdminNetworkPolicyEgressPeer[];
  ports?: AdminNetworkPolicyPort[];
}

export interface AdminNetworkPolicySpec {
  priority?: number;
  subject?: AdminNetworkPolicySubject;
  ingress?: AdminNetworkPolicyIngressRule[];
  egress?: AdminNetworkPolicyEgressRule[];
}

/** BANP rules share the shapes; only Allow and Deny are valid actions. */
export interface BaselineAdminNetworkPolicySpec {
  subject?: AdminNetworkPolicySubject;
  ingress?: AdminNetworkPolicyIngressRule[];
  egress?: AdminNetworkPolicyEgressRule[];
}

/** metav1.Condition. */
export interface PolicyCondition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

export interface AdminPolicyStatus {
  conditions?: PolicyCondition[];
}

export interface AdminNetworkPolicy {
  apiVersion: string;
  kind: 'AdminNetworkPolicy';
  metadata?: ObjectMeta;
  spec?: AdminNetworkPolicySpec;
  status?: AdminPolicyStatus;
}

export interface BaselineAdminNetworkPolicy {
  apiVersion: string;
  kind: 'BaselineAdminNetworkPolicy';
  metadata?: ObjectMeta;
  spec?: BaselineAdminNetworkPolicySpec;
  status?: AdminPolicyStatus;
}
