/**
 * @module Service address allocation at create, as kube-apiserver's Service registry does it: a
 * Service of type ClusterIP, NodePort or LoadBalancer created without `spec.clusterIP` gets one
 * (and `spec.clusterIPs`), and a NodePort/LoadBalancer port without `nodePort` gets a free one
 * from 30000-32767 — in the create response, so a client reads them at once (python's
 * `create_namespaced_service(...).spec.cluster_ip`, client-node's, `kubectl create service`).
 * Headless (`None`) and ExternalName Services get no address. A LoadBalancer's ingress IP stays
 * the lab's to assign (status, like a cloud controller).
 *
 * Addresses come from the cluster's Service range (`SERVICE_CLUSTER_IP_RANGE`, which the lab
 * routes; hosts .10 to .254, lowest free first, the lab's own rule), so a lab started later routes
 * them unchanged.
 *
 * An update (PUT, patch, apply) that omits them keeps what the Service holds, as kube's
 * `patchAllocatedValues` does: the cluster IP while both old and new types need one, and each
 * port's node port by port name while both need node ports; what is still missing (a new port, a
 * type changed to NodePort) is allocated as at create.
 */
import type { ResourceClient } from '../client/index.js';
import { isObject, type Json } from '../lib/json-patch.js';
import type { KindInfo } from '../model/kind-info.js';
import { SERVICE_CLUSTER_IP_RANGE } from '../model/k8s/defaults.js';
import { status, StatusError } from './status.js';

export const SERVICE_CIDR = SERVICE_CLUSTER_IP_RANGE;
export const NODE_PORT_MIN = 30000;
export const NODE_PORT_MAX = 32767;

type JsonObject = { [k: string]: Json };

/** What other Services already hold. */
export interface UsedServiceAddresses {
  readonly clusterIPs: ReadonlySet<string>;
  readonly nodePorts: ReadonlySet<number>;
}

export function usedServiceAddresses(services: readonly unknown[]): UsedServiceAddresses {
  const clusterIPs = new Set<string>();
  const nodePorts = new Set<number>();
  for (const s of services) {
    const spec = isObject(s as Json) ? (s as JsonObject)['spec'] : undefined;
    if (!isObject(spec)) continue;
    if (typeof spec['clusterIP'] === 'string') clusterIPs.add(spec['clusterIP']);
    for (const p of Array.isArray(spec['ports']) ? spec['ports'] : []) if (isObject(p) && typeof p['nodePort'] === 'number') nodePorts.add(p['nodePort']);
  }
  return { clusterIPs, nodePorts };
}

/** The Service with its addresses filled in (a new object; the input is unchanged). Throws when a range is full. */
export function allocateServiceAddresses(svc: JsonObject, used: UsedServiceAddresses): JsonObject {
  const spec = isObject(svc['spec']) ? svc['spec'] : undefined;
  if (spec === undefined) return svc;
  const type = typeof spec['type'] === 'string' ? spec['type'] : 'ClusterIP';
  if (type === 'ExternalName') return svc;
  const out: JsonObject = { ...spec };
  if (spec['clusterIP'] === undefined || spec['clusterIP'] === '') {
    const base = SERVICE_CIDR.split('/')[0]!.split('.').slice(0, 3).join('.');
    let ip: string | undefined;
    for (let k = 10; k <= 254 && ip === undefined; k++) if (!used.clusterIPs.has(`${base}.${k}`)) ip = `${base}.${k}`;
    if (ip === undefined) throw new Error(`no free cluster IP in ${SERVICE_CIDR}`);
    out['clusterIP'] = ip;
    out['clusterIPs'] = [ip];
  }
  if ((type === 'NodePort' || type === 'LoadBalancer') && Array.isArray(spec['ports'])) {
    const taken = new Set(used.nodePorts);
    for (const p of spec['ports']) if (isObject(p) && typeof p['nodePort'] === 'number' && p['nodePort'] > 0) taken.add(p['nodePort']);
    out['ports'] = spec['ports'].map((p) => {
      if (!isObject(p) || (typeof p['nodePort'] === 'number' && p['nodePort'] > 0)) return p;
      let np = NODE_PORT_MIN;
      while (taken.has(np) && np <= NODE_PORT_MAX) np++;
      if (np > NODE_PORT_MAX) throw new Error(`no free node port in ${NODE_PORT_MIN}-${NODE_PORT_MAX}`);
      taken.add(np);
      return { ...p, nodePort: np };
    });
  }
  return { ...svc, spec: out };
}

function _type(spec: JsonObject): string {
  return typeof spec['type'] === 'string' ? spec['type'] : 'ClusterIP';
}
const _needsClusterIP = (spec: JsonObject): boolean => _type(spec) !== 'ExternalName';
const _needsNodePort = (spec: JsonObject): boolean => _type(spec) === 'NodePort' || _type(spec) === 'LoadBalancer';
const _nodePorts = (spec: JsonObject): Set<number> =>
  new Set((Array.isArray(spec['ports']) ? spec['ports'] : []).flatMap((p) => (isObject(p) && typeof p['nodePort'] === 'number' && p['nodePort'] > 0 ? [p['nodePort']] : [])));

/**
 * The updated Service with the addresses the stored one holds and the update omits (kube's
 * `patchAllocatedValues`): a new object; the inputs are unchanged.
 */
export function keepAllocatedValues(old: JsonObject, next: JsonObject): JsonObject {
  const os = isObject(old['spec']) ? old['spec'] : undefined;
  const ns = isObject(next['spec']) ? next['spec'] : undefined;
  if (os === undefined || ns === undefined) return next;
  const out: JsonObject = { ...ns };
  if (_needsClusterIP(os) && _needsClusterIP(ns) && (ns['clusterIP'] === undefined || ns['clusterIP'] === '')) {
    if (typeof os['clusterIP'] === 'string') out['clusterIP'] = os['clusterIP'];
    if (ns['clusterIPs'] === undefined && Array.isArray(os['clusterIPs'])) out['clusterIPs'] = os['clusterIPs'];
  }
  if (_needsNodePort(os) && _needsNodePort(ns) && Array.isArray(ns['ports']) && Array.isArray(os['ports'])) {
    const newPorts = _nodePorts(ns);
    const byName = new Map<string, number>();
    for (const p of os['ports']) if (isObject(p) && typeof p['nodePort'] === 'number') byName.set(typeof p['name'] === 'string' ? p['name'] : '', p['nodePort']);
    out['ports'] = ns['ports'].map((p) => {
      if (!isObject(p) || (typeof p['nodePort'] === 'number' && p['nodePort'] > 0)) return p;
      const was = byName.get(typeof p['name'] === 'string' ? p['name'] : '');
      return was === undefined || newPorts.has(was) ? p : { ...p, nodePort: was };
    });
  }
  return { ...next, spec: out };
}

function _metaName(o: unknown): string | undefined {
  const m = isObject(o as Json) ? (o as JsonObject)['metadata'] : undefined;
  return isObject(m) && typeof m['name'] === 'string' ? `${String(m['namespace'] ?? '')}/${m['name']}` : undefined;
}

type Allocator = (client: ResourceClient, info: KindInfo, obj: JsonObject, old: JsonObject | undefined) => Promise<JsonObject>;

const _service: Allocator = async (client, info, obj, old) => {
  const self = _metaName(obj);
  const { items } = await client.list(info);
  try {
    const kept = old === undefined ? obj : keepAllocatedValues(old, obj);
    // on update, the Service's own addresses are not "taken by another"
    return allocateServiceAddresses(kept, usedServiceAddresses(old === undefined ? items : items.filter((s) => _metaName(s) !== self)));
  } catch (e) {
    throw new StatusError(status(422, 'Invalid', `Service is invalid: ${e instanceof Error ? e.message : String(e)}`));
  }
};

/** Per kind: what a create fills in from the state of the store (a registry, like admission.ts). */
const ALLOCATORS: ReadonlyMap<string, Allocator> = new Map([['/Service', _service]]);

/** The object a create stores: with the addresses its kind allocates at create, if any. */
export function allocateOnCreate(client: ResourceClient, info: KindInfo, obj: JsonObject): Promise<JsonObject> {
  const a = ALLOCATORS.get(`${info.group}/${info.kind}`);
  return a === undefined ? Promise.resolve(obj) : a(client, info, obj, undefined);
}

/** The object an update stores: what the stored object holds and the update omits, kept; the rest allocated as at create. */
export function allocateOnUpdate(client: ResourceClient, info: KindInfo, old: JsonObject, obj: JsonObject): Promise<JsonObject> {
  const a = ALLOCATORS.get(`${info.group}/${info.kind}`);
  return a === undefined ? Promise.resolve(obj) : a(client, info, obj, old);
}
