/**
 * @module Automatic host endpoints, as Calico kube-controllers' node controller makes them: from
 * the KubeControllersConfiguration `default` (`controllers.node.hostEndpoint`, autoCreate
 * Enabled, `templates`) and the Kubernetes Nodes, the HostEndpoints there should be. Pure.
 *
 * For each template and each Node its `nodeSelector` matches (empty: every node):
 * - the node's interfaces are its `tabby.dev/interfaces` annotation (`eth0=10.0.0.1,eth1=…`),
 *   else the profile's convention applied to its addresses (IBM classic: InternalIP on eth0,
 *   ExternalIP on eth1);
 * - an interface takes part if its name matches `interfacePattern` (when set) and, when
 *   `interfaceCIDRs` is set, only its addresses inside those CIDRs count, and it needs one;
 * - one HostEndpoint per interface, named `<node>-<generateName>` (`-<interface>` appended when
 *   the pattern matches several), `interfaceName` the interface, `expectedIPs` its addresses,
 *   labelled with the node's labels, then the template's, then the ownership markers.
 * With autoCreate not Enabled there are none (existing ones are removed).
 */
import type { StoredObject } from '../datastore/index.js';
import type { AutoHostEndpointTemplate, KubeControllersConfigurationSpec } from '../model/calico/other-types.js';
import { tryParseSelector } from '../selector/index.js';
import { BREAKS_ANNOTATION, CREATED_BY_CONTROLLER, CREATED_BY_LABEL, INTERFACES_ANNOTATION, MANAGED_BY_LABEL, PROVIDER } from './markers.js';
import type { InterfaceConvention, Manifest } from './profile.js';
import { cidrContains } from './cidr.js';

export interface NodeInterface {
  readonly name: string;
  readonly addresses: readonly string[];
}

type Obj = Record<string, unknown>;
const _obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});

/** The interfaces of a Kubernetes Node (see the module doc). */
export function nodeInterfaces(node: StoredObject, convention: InterfaceConvention): NodeInterface[] {
  const ann = node.metadata.annotations?.[INTERFACES_ANNOTATION];
  const byName = new Map<string, string[]>();
  const add = (iface: string, addr: string): void => {
    const list = byName.get(iface) ?? [];
    if (!list.includes(addr)) list.push(addr);
    byName.set(iface, list);
  };
  if (ann !== undefined && ann.trim() !== '') {
    for (const part of ann.split(',')) {
      const [iface, addr] = part.split('=').map((s) => s.trim());
      if (iface && addr) add(iface, addr);
    }
  } else {
    const addresses = _obj(_obj(node)['status'])['addresses'];
    for (const a of Array.isArray(addresses) ? addresses.map(_obj) : []) {
      const type = a['type'];
      const iface = type === 'InternalIP' || type === 'ExternalIP' ? convention[type] : undefined;
      if (iface !== undefined && typeof a['address'] === 'string') add(iface, a['address']);
    }
  }
  return [...byName].map(([name, addresses]) => ({ name, addresses })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function _templateMatches(t: AutoHostEndpointTemplate, labels: Readonly<Record<string, string>>): boolean {
  const text = (t.nodeSelector ?? '').trim();
  if (text === '') return true;
  const sel = tryParseSelector(text);
  return sel.ok && sel.value.matches(labels);
}

function _pattern(t: AutoHostEndpointTemplate): RegExp | undefined {
  const p = t.interfacePattern ?? '';
  if (p === '') return undefined;
  try {
    return new RegExp(p);
  } catch {
    return /$^/; // validation rejects bad patterns; a stored one matches nothing (fail closed)
  }
}

/** The HostEndpoints the configuration and nodes call for, sorted by name. */
export function desiredHostEndpoints(spec: KubeControllersConfigurationSpec | undefined, nodes: readonly StoredObject[], convention: InterfaceConvention): Manifest[] {
  const hep = spec?.controllers?.node?.hostEndpoint;
  if (hep?.autoCreate !== 'Enabled') return [];
  const out = new Map<string, Manifest>();
  for (const node of nodes) {
    const nodeName = node.metadata.name ?? '';
    const nodeLabels = node.metadata.labels ?? {};
    const ifaces = nodeInterfaces(node, convention);
    for (const t of hep.templates ?? []) {
      if (!_templateMatches(t, nodeLabels)) continue;
      const re = _pattern(t);
      const cidrs = t.interfaceCIDRs ?? [];
      const chosen: NodeInterface[] = [];
      for (const i of ifaces) {
        if (re !== undefined && !re.test(i.name)) continue;
        const addrs = cidrs.length === 0 ? i.addresses : i.addresses.filter((a) => cidrs.some((c) => cidrContains(c, a)));
        if (addrs.length === 0) continue;
        chosen.push({ name: i.name, addresses: addrs });
      }
      const base = `${nodeName}-${t.generateName ?? 'auto-hep'}`;
      for (const i of chosen) {
        const name = chosen.length === 1 ? base : `${base}-${i.name}`;
        out.set(name, {
          apiVersion: 'projectcalico.org/v3',
          kind: 'HostEndpoint',
          metadata: {
            name,
            labels: { ...nodeLabels, ...(t.labels ?? {}), [CREATED_BY_LABEL]: CREATED_BY_CONTROLLER, [MANAGED_BY_LABEL]: PROVIDER },
            annotations: {
              [BREAKS_ANNOTATION]: `host policy on ${i.name} of ${nodeName}; the controller re-creates it from KubeControllersConfiguration default while the node exists`,
            },
          },
          spec: { node: nodeName, interfaceName: i.name, expectedIPs: [...i.addresses] },
        });
      }
    }
  }
  return [...out.keys()].sort().map((k) => out.get(k)!);
}
