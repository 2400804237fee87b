/**
 * @module Objects a calicoctl kind also shows from another collection (a registry row per
 * kind): `calicoctl get nodes` lists Calico Nodes and, as Calico's Kubernetes datastore does,
 * every Kubernetes v1 Node, converted to a Calico Node (a Calico Node of the same name wins).
 */
import type { ResourceType, StoredObject } from '../../datastore/index.js';

type Obj = Record<string, unknown>;

export interface ExtraSource {
  readonly type: ResourceType;
  convert(o: StoredObject): Obj;
}

const _obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});

/** A Kubernetes Node as the Calico Node calico/node would maintain for it. */
export function calicoNodeFromK8s(o: StoredObject): Obj {
  const m = o.metadata;
  const ann = m.annotations ?? {};
  const status = _obj((o as unknown as Obj)['status']);
  const spec = _obj((o as unknown as Obj)['spec']);
  const addresses = (Array.isArray(status['addresses']) ? status['addresses'] : [])
    .map(_obj)
    .filter((a) => a['type'] === 'InternalIP' || a['type'] === 'ExternalIP')
    .map((a) => ({ address: a['address'], type: a['type'] }));
  const bgp: Obj = {};
  if (ann['projectcalico.org/IPv4Address']) bgp['ipv4Address'] = ann['projectcalico.org/IPv4Address'];
  if (ann['projectcalico.org/IPv6Address']) bgp['ipv6Address'] = ann['projectcalico.org/IPv6Address'];
  if (ann['projectcalico.org/ASNumber']) bgp['asNumber'] = Number(ann['projectcalico.org/ASNumber']);
  const podCIDRs = Array.isArray(spec['podCIDRs']) ? spec['podCIDRs'] : typeof spec['podCIDR'] === 'string' ? [spec['podCIDR']] : [];
  return {
    apiVersion: 'projectcalico.org/v3',
    kind: 'Node',
    metadata: {
      name: m.name,
      ...(m.labels ? { labels: m.labels } : {}),
      ...(m.uid ? { uid: m.uid } : {}),
      ...(m.resourceVersion ? { resourceVersion: m.resourceVersion } : {}),
      ...(m.creationTimestamp ? { creationTimestamp: m.creationTimestamp } : {}),
    },
    spec: {
      ...(Object.keys(bgp).length > 0 ? { bgp } : {}),
      ...(addresses.length > 0 ? { addresses } : {}),
      orchRefs: [{ nodeName: m.name, orchestrator: 'k8s' }],
    },
    ...(podCIDRs.length > 0 ? { status: { podCIDRs } } : {}),
  };
}

export const EXTRA_SOURCES: Readonly<Record<string, ExtraSource>> = {
  Node: { type: { group: '', plural: 'nodes' }, convert: calicoNodeFromK8s },
};
