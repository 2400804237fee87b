/**
 * @module The snapshot builder's Services (buildSnapshot, step 6): ClusterIPs, LoadBalancer IPs,
 * ports (NodePorts only for NodePort and LoadBalancer Services), backends by the selector over
 * the pod labels of the Service's namespace, and the backend addresses and ports `services` rule
 * matches read.
 */
import type { Service } from '../../model/k8s/types.js';
import { PROTO, type ServiceBackends } from '../match.js';
import type { ServiceInfo, ServicePortInfo, WorkloadEndpointInfo } from '../snapshot.js';
import { ipsOf, nameOf, namespaceOf, protoOr, type SnapshotInput } from './input.js';

/** A service port's targetPort on one backend: a number, or a named container port for the protocol. */
export function resolveTargetPort(b: WorkloadEndpointInfo, p: ServicePortInfo): number | undefined {
  if (typeof p.targetPort === 'number') return p.targetPort;
  if (/^\d+$/.test(p.targetPort)) return Number(p.targetPort);
  return b.namedPorts.find((n) => n.name === p.targetPort && n.proto === p.proto)?.port;
}

function _service(s: Service, workloads: readonly WorkloadEndpointInfo[]): ServiceInfo {
  const spec = s.spec ?? {};
  const ns = namespaceOf(s) || 'default';
  const sel = spec.selector;
  const backends =
    sel === undefined || Object.keys(sel).length === 0
      ? []
      : workloads.filter((w) => w.namespace === ns && Object.entries(sel).every(([k, v]) => w.podLabels[k] === v));
  const type = spec.type ?? 'ClusterIP';
  const clusterIPs = spec.clusterIP === 'None' ? [] : ipsOf([spec.clusterIP, ...(spec.clusterIPs ?? [])].filter((x) => x !== 'None'));
  const lbIPs = type === 'LoadBalancer' ? ipsOf([spec.loadBalancerIP, ...(s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip)]) : [];
  return {
    namespace: ns,
    name: nameOf(s),
    type,
    clusterIPs,
    lbIPs,
    ports: (spec.ports ?? []).map((p) => ({
      name: p.name ?? '',
      proto: protoOr(p.protocol, PROTO.TCP),
      port: p.port ?? 0,
      nodePort: type === 'NodePort' || type === 'LoadBalancer' ? (p.nodePort ?? 0) : 0,
      targetPort: p.targetPort ?? p.port ?? 0,
    })),
    externalTrafficPolicy: spec.externalTrafficPolicy === 'Local' ? 'Local' : 'Cluster',
    backends,
  };
}

/** The Services, and their backends' `ip|targetPort` pairs and addresses by `namespace/name`. */
export function buildServices(inp: SnapshotInput, workloads: readonly WorkloadEndpointInfo[]): { services: ServiceInfo[]; backends: Map<string, ServiceBackends> } {
  const services = inp.byKind('Service').map((r) => _service(r as Service, workloads));
  const backends = new Map<string, ServiceBackends>();
  for (const s of services) {
    const ipPorts = new Set<string>();
    const ips = new Set<string>();
    for (const b of s.backends)
      for (const ip of b.ips) {
        ips.add(ip.text);
        for (const p of s.ports) {
          const tp = resolveTargetPort(b, p);
          if (tp !== undefined) ipPorts.add(`${ip.text}|${tp}`);
        }
      }
    backends.set(`${s.namespace}/${s.name}`, { ipPorts, ips });
  }
  return { services, backends };
}
