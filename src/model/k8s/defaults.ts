/**
 * @module Kubernetes API defaulting (pkg/apis/{networking,core}/v1 defaults.go) for the fields
 * Tabby models. Pure: every function returns a new object and leaves its input unchanged.
 */
import type { ContainerPort, K8sNetworkPolicy, NetworkPolicyPort, Pod, Service, ServicePort } from './types.js';

const _port = (p: NetworkPolicyPort): NetworkPolicyPort => (p.protocol === undefined ? { ...p, protocol: 'TCP' } : p);

/**
 * SetDefaults_NetworkPolicy: each port's protocol defaults to TCP; empty policyTypes become
 * [Ingress], plus Egress when there are egress rules.
 */
export function defaultK8sNetworkPolicy(np: K8sNetworkPolicy): K8sNetworkPolicy {
  const spec = np.spec ?? {};
  const ingress = spec.ingress?.map((r) => (r.ports ? { ...r, ports: r.ports.map(_port) } : r));
  const egress = spec.egress?.map((r) => (r.ports ? { ...r, ports: r.ports.map(_port) } : r));
  const policyTypes =
    spec.policyTypes !== undefined && spec.policyTypes.length > 0
      ? spec.policyTypes
      : egress !== undefined && egress.length > 0
        ? ['Ingress', 'Egress']
        : ['Ingress'];
  return {
    ...np,
    spec: {
      ...spec,
      ...(ingress !== undefined ? { ingress } : {}),
      ...(egress !== undefined ? { egress } : {}),
      policyTypes,
    },
  };
}

const _containerPort = (p: ContainerPort): ContainerPort =>
  p.protocol === undefined || p.protocol === '' ? { ...p, protocol: 'TCP' } : p;

/** Container ports default to protocol TCP (SetDefaults_ContainerPort). */
export function defaultPod(pod: Pod): Pod {
  if (!pod.spec?.containers) return pod;
  const containers = pod.spec.containers.map((c) => (c.ports ? { ...c, ports: c.ports.map(_containerPort) } : c));
  return { ...pod, spec: { ...pod.spec, containers } };
}

function _servicePort(p: ServicePort): ServicePort {
  const protocol = p.protocol === undefined || p.protocol === '' ? 'TCP' : p.protocol;
  const targetUnset = p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '';
  return { ...p, protocol, ...(targetUnset && p.port !== undefined ? { targetPort: p.port } : {}) };
}

/**
 * SetDefaults_Service: type ClusterIP; port protocol TCP; targetPort = port; externalTrafficPolicy
 * Cluster for NodePort and LoadBalancer services.
 */
export function defaultService(svc: Service): Service {
  const spec = svc.spec ?? {};
  const type = spec.type === undefined || spec.type === '' ? 'ClusterIP' : spec.type;
  const external = type === 'NodePort' || type === 'LoadBalancer';
  const etp = spec.externalTrafficPolicy === undefined || spec.externalTrafficPolicy === '' ? undefined : spec.externalTrafficPolicy;
  return {
    ...svc,
    spec: {
      ...spec,
      type,
      ...(spec.ports ? { ports: spec.ports.map(_servicePort) } : {}),
      ...(external && etp === undefined ? { externalTrafficPolicy: 'Cluster' } : {}),
    },
  };
}

/**
 * The cluster's Service IP range (kube-apiserver's `--service-cluster-ip-range`): the API server
 * allocates cluster IPs from it and the lab routes it, so both read this one constant.
 */
export const SERVICE_CLUSTER_IP_RANGE = '198.18.16.0/24';
