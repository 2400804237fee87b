/**
 * @module The lab's Service controller: allocates what the API server left empty — a ClusterIP
 * from the plan's service range, NodePorts from 30000 up for NodePort and LoadBalancer Services,
 * a LoadBalancer IP from the plan's LB range — and lists ClusterIPs by name for the pods'
 * /etc/hosts. Services are IPv4 (single-stack) in the lab, dual-stack or not.
 */
import { ConflictError, NotFoundError, type Datastore, type StoredObject } from '../datastore/index.js';
import { SVC_TYPE, type Obj } from './lab-context.js';
import type { ServiceName } from './hosts.js';
import { hostInCidr24, type LabPlan } from './topology.js';

type Port = { nodePort?: number };

/** Writes the missing allocations; returns false when a write conflicted (the caller retries later). */
export async function allocateServices(ds: Datastore, plan: LabPlan, noteWrite: (o: StoredObject) => void): Promise<boolean> {
  const svcs = (await ds.list(SVC_TYPE)).items as Obj[];
  const usedCluster = new Set<string>();
  const usedLb = new Set<string>();
  const usedNodePorts = new Set<number>();
  for (const s of svcs) {
    const cip = s.spec?.['clusterIP'];
    if (typeof cip === 'string') usedCluster.add(cip);
    for (const p of (s.spec?.['ports'] as Port[] | undefined) ?? []) if (typeof p.nodePort === 'number') usedNodePorts.add(p.nodePort);
    const ing = ((s.status?.['loadBalancer'] as { ingress?: { ip?: string }[] } | undefined)?.ingress ?? []).map((x) => x.ip);
    for (const ip of ing) if (ip !== undefined) usedLb.add(ip);
  }
  const pick = (cidr: string, used: Set<string>): string => {
    for (let k = 10; k <= 254; k++) {
      const ip = hostInCidr24(cidr, k);
      if (!used.has(ip)) {
        used.add(ip);
        return ip;
      }
    }
    throw new Error(`no free address in ${cidr}`);
  };
  let ok = true;
  for (const s of svcs) {
    const spec = { ...(s.spec ?? {}) };
    const type = typeof spec['type'] === 'string' ? spec['type'] : 'ClusterIP';
    let changed = false;
    if (spec['clusterIP'] === undefined || spec['clusterIP'] === '') {
      spec['clusterIP'] = pick(plan.serviceCidr, usedCluster);
      spec['clusterIPs'] = [spec['clusterIP']];
      changed = true;
    }
    if (type === 'NodePort' || type === 'LoadBalancer') {
      spec['ports'] = ((spec['ports'] as Port[] | undefined) ?? []).map((p) => {
        if (typeof p.nodePort === 'number' && p.nodePort > 0) return p;
        let np = 30000;
        while (usedNodePorts.has(np) && np < 32767) np++;
        usedNodePorts.add(np);
        changed = true;
        return { ...p, nodePort: np };
      });
    }
    let status = s.status;
    const ingress = (status?.['loadBalancer'] as { ingress?: unknown[] } | undefined)?.ingress ?? [];
    if (type === 'LoadBalancer' && ingress.length === 0 && spec['loadBalancerIP'] === undefined) {
      status = { ...(status ?? {}), loadBalancer: { ingress: [{ ip: pick(plan.lbCidr, usedLb) }] } };
      changed = true;
    }
    if (!changed) continue;
    try {
      noteWrite(await ds.update(SVC_TYPE, { ...s, spec, ...(status !== undefined ? { status } : {}) } as StoredObject));
    } catch (e) {
      if (!(e instanceof ConflictError) && !(e instanceof NotFoundError)) throw e;
      ok = false;
    }
  }
  return ok;
}

/** Every Service with a ClusterIP, for /etc/hosts. */
export async function serviceNames(ds: Datastore): Promise<ServiceName[]> {
  const out: ServiceName[] = [];
  for (const s of (await ds.list(SVC_TYPE)).items as Obj[]) {
    const ip = s.spec?.['clusterIP'];
    if (typeof ip === 'string' && ip !== '' && ip !== 'None') out.push({ namespace: s.metadata.namespace ?? 'default', name: s.metadata.name ?? '', clusterIP: ip });
  }
  return out;
}
