/**
 * @module Kubernetes resource types Tabby reads, with the API's own field names and casing
 * (k8s.io/api networking/v1 and core/v1). Decoded values: every field optional, as Go's
 * omitempty; required fields are checked by validation, not by the type. Objects Tabby only
 * partly models (Pod, Service, Node...) keep their other fields at run time; the types list only
 * the fields Tabby uses.
 */
import type { ObjectMeta } from '../meta.js';

// ---------------------------------------------------------------- meta/v1 LabelSelector

export type LabelSelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface LabelSelectorRequirement {
  key?: string;
  /** Kept as written; validation reports anything but the four operators. */
  operator?: LabelSelectorOperator | string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

// ---------------------------------------------------------------- networking.k8s.io/v1

export type K8sPolicyType = 'Ingress' | 'Egress';
/** core/v1 Protocol. Validation accepts TCP, UDP and SCTP only. */
export type K8sProtocol = 'TCP' | 'UDP' | 'SCTP';

export interface IPBlock {
  cidr?: string;
  except?: string[];
}

export interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: IPBlock;
}

export interface NetworkPolicyPort {
  protocol?: K8sProtocol | string;
  /** IntOrString: a port number or a named container port. */
  port?: number | string;
  endPort?: number;
}

export interface NetworkPolicyIngressRule {
  ports?: NetworkPolicyPort[];
  from?: NetworkPolicyPeer[];
}

export interface NetworkPolicyEgressRule {
  ports?: NetworkPolicyPort[];
  to?: NetworkPolicyPeer[];
}

export interface K8sNetworkPolicySpec {
  podSelector?: LabelSelector;
  ingress?: NetworkPolicyIngressRule[];
  egress?: NetworkPolicyEgressRule[];
  policyTypes?: (K8sPolicyType | string)[];
}

/** networking.k8s.io/v1 NetworkPolicy (named K8s… to keep it apart from Calico's NetworkPolicy). */
export interface K8sNetworkPolicy {
  apiVersion: string;
  kind: 'NetworkPolicy';
  metadata?: ObjectMeta;
  spec?: K8sNetworkPolicySpec;
}

// ---------------------------------------------------------------- projectcalico.org/v3 staged k8s policy

export type StagedAction = 'Set' | 'Delete' | 'Learn' | 'Ignore';

export interface StagedKubernetesNetworkPolicySpec extends K8sNetworkPolicySpec {
  /** Omitted means `Set`. */
  stagedAction?: StagedAction | string;
}

export interface StagedKubernetesNetworkPolicy {
  apiVersion: string;
  kind: 'StagedKubernetesNetworkPolicy';
  metadata?: ObjectMeta;
  spec?: StagedKubernetesNetworkPolicySpec;
}

// ---------------------------------------------------------------- core/v1

export interface NamespaceSpec {
  finalizers?: string[];
}

export interface Namespace {
  apiVersion: string;
  kind: 'Namespace';
  metadata?: ObjectMeta;
  spec?: NamespaceSpec;
  status?: { phase?: string };
}

export interface ContainerPort {
  name?: string;
  containerPort?: number;
  protocol?: K8sProtocol | string;
  hostPort?: number;
  hostIP?: string;
}

export interface Container {
  name?: string;
  image?: string;
  command?: string[];
  args?: string[];
  stdin?: boolean;
  tty?: boolean;
  ports?: ContainerPort[];
}

export interface PodSpec {
  nodeName?: string;
  hostNetwork?: boolean;
  serviceAccountName?: string;
  containers?: Container[];
  initContainers?: Container[];
  restartPolicy?: 'Always' | 'OnFailure' | 'Never' | string;
}

export interface PodIP {
  ip?: string;
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

export interface PodStatus {
  phase?: PodPhase | string;
  podIP?: string;
  podIPs?: PodIP[];
}

export interface Pod {
  apiVersion: string;
  kind: 'Pod';
  metadata?: ObjectMeta;
  spec?: PodSpec;
  status?: PodStatus;
}

export type NodeAddressType = 'Hostname' | 'InternalIP' | 'ExternalIP' | 'InternalDNS' | 'ExternalDNS';

export interface NodeAddress {
  type?: NodeAddressType | string;
  address?: string;
}

export interface NodeSpec {
  podCIDR?: string;
  podCIDRs?: string[];
}

export interface NodeStatus {
  addresses?: NodeAddress[];
}

export interface Node {
  apiVersion: string;
  kind: 'Node';
  metadata?: ObjectMeta;
  spec?: NodeSpec;
  status?: NodeStatus;
}

export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
export type ExternalTrafficPolicy = 'Cluster' | 'Local';

export interface ServicePort {
  name?: string;
  protocol?: K8sProtocol | string;
  port?: number;
  /** IntOrString: a container port number or a named container port. */
  targetPort?: number | string;
  nodePort?: number;
}

export interface ServiceSpec {
  type?: ServiceType | string;
  clusterIP?: string;
  clusterIPs?: string[];
  ports?: ServicePort[];
  selector?: Record<string, string>;
  externalName?: string;
  externalTrafficPolicy?: ExternalTrafficPolicy | string;
  loadBalancerIP?: string;
}

export interface LoadBalancerIngress {
  ip?: string;
  hostname?: string;
}

export interface ServiceStatus {
  loadBalancer?: { ingress?: LoadBalancerIngress[] };
}

export interface Service {
  apiVersion: string;
  kind: 'Service';
  metadata?: ObjectMeta;
  spec?: ServiceSpec;
  status?: ServiceStatus;
}

export interface ServiceAccount {
  apiVersion: string;
  kind: 'ServiceAccount';
  metadata?: ObjectMeta;
}

/** Every Kubernetes-side kind Tabby decodes. */
export type K8sResource =
  | K8sNetworkPolicy
  | StagedKubernetesNetworkPolicy
  | Namespace
  | Pod
  | Node
  | Service
  | ServiceAccount;
