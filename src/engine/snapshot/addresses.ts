/**
 * @module The snapshot builder's other address owners (buildSnapshot, steps 3-5): host endpoints
 * (labels inherited from their profiles), nodes (their InternalIPs, ExternalIPs, host endpoints
 * and connected subnets, from Kubernetes and Calico Nodes, plus every node a workload or host
 * endpoint names) and network sets (namespaced ones carry their namespace's labels).
 */
import type { CalicoNode, GlobalNetworkSet, HostEndpoint, NetworkSet } from '../../model/calico/other-types.js';
import type { Node as K8sNode } from '../../model/k8s/types.js';
import { ipFromText, netFromText, type Net } from '../ip.js';
import { LabelSet, PROTO } from '../match.js';
import { LABEL_NAMESPACE, NS_PREFIX } from '../compile-policy.js';
import type { ConnectedSubnet, HostEndpointInfo, NetworkSetInfo, NodeInfo, WorkloadEndpointInfo } from '../snapshot.js';
import { compareText, ipsOf, isCalico, nameOf, namespaceOf, prefixed, protoOr, type SnapshotInput } from './input.js';

export function buildHostEndpoints(inp: SnapshotInput): HostEndpointInfo[] {
  return inp.byKind('HostEndpoint').map((r) => {
    const h = r as HostEndpoint;
    const spec = h.spec ?? {};
    const inherited: Record<string, string> = {};
    for (const p of spec.profiles ?? []) Object.assign(inherited, inp.profileLabels(p));
    const labels = Object.freeze(Object.assign({}, inherited, h.metadata?.labels));
    return {
      kind: 'host',
      key: `hep:${nameOf(h)}`,
      name: nameOf(h),
      node: spec.node ?? '',
      interfaceName: spec.interfaceName ?? '',
      ips: ipsOf(spec.expectedIPs ?? []),
      namedPorts: (spec.ports ?? []).filter((p) => p.name && p.port !== undefined).map((p) => ({ name: p.name!, proto: protoOr(p.protocol, PROTO.TCP), port: p.port! })),
      profiles: spec.profiles ?? [],
      labels,
      ls: new LabelSet(labels),
    };
  });
}

/** A node's addresses as the datastore gives them, before parsing. */
interface _NodeDraft {
  internal: (string | undefined)[];
  external: (string | undefined)[];
  /** Addresses that may carry a prefix: see NodeInfo.subnets. */
  prefixed: (string | undefined)[];
}

function _draftNodes(inp: SnapshotInput, workloads: readonly WorkloadEndpointInfo[], hostEndpoints: readonly HostEndpointInfo[]): Map<string, _NodeDraft> {
  const drafts = new Map<string, _NodeDraft>();
  const draft = (n: string): _NodeDraft => {
    let d = drafts.get(n);
    if (!d) drafts.set(n, (d = { internal: [], external: [], prefixed: [] }));
    return d;
  };
  for (const r of inp.byKind('Node')) {
    const d = draft(nameOf(r));
    if (isCalico(r)) {
      const n = r as CalicoNode;
      d.internal.push(n.spec?.bgp?.ipv4Address, n.spec?.bgp?.ipv6Address);
      d.prefixed.push(n.spec?.bgp?.ipv4Address, n.spec?.bgp?.ipv6Address);
      for (const a of n.spec?.addresses ?? []) {
        (a.type === 'ExternalIP' ? d.external : d.internal).push(a.address);
        d.prefixed.push(a.address);
      }
      for (const i of n.spec?.interfaces ?? []) d.prefixed.push(...(i.addresses ?? []));
    } else {
      for (const a of (r as K8sNode).status?.addresses ?? []) {
        if (a.type === 'InternalIP') d.internal.push(a.address);
        else if (a.type === 'ExternalIP') d.external.push(a.address);
      }
      const ann = r.metadata?.annotations ?? {};
      d.prefixed.push(ann['projectcalico.org/IPv4Address'], ann['projectcalico.org/IPv6Address']);
    }
  }
  for (const w of workloads) if (w.node !== '') draft(w.node);
  for (const h of hostEndpoints) if (h.node !== '') draft(h.node);
  return drafts;
}

export function buildNodes(
  inp: SnapshotInput,
  workloads: readonly WorkloadEndpointInfo[],
  hostEndpoints: readonly HostEndpointInfo[],
): { nodes: Map<string, NodeInfo>; nodeByIp: Map<string, NodeInfo> } {
  const drafts = _draftNodes(inp, workloads, hostEndpoints);
  const nodes = new Map<string, NodeInfo>();
  const nodeByIp = new Map<string, NodeInfo>();
  for (const name of [...drafts.keys()].sort(compareText)) {
    const d = drafts.get(name)!;
    const heps = hostEndpoints.filter((h) => h.node === name);
    const internal = ipsOf(d.internal);
    const external = ipsOf(d.external);
    const addresses = ipsOf([...internal, ...external, ...heps.flatMap((h) => h.ips)].map((i) => i.text));
    const info: NodeInfo = { name, internal, external, addresses, hostEndpoints: heps, subnets: _subnetsOf(d.prefixed) };
    nodes.set(name, info);
    for (const ip of addresses) if (!nodeByIp.has(ip.text)) nodeByIp.set(ip.text, info);
  }
  return { nodes, nodeByIp };
}

/** The subnets of the `addr/prefix` texts among `texts` (NodeInfo.subnets); plain addresses give none. */
function _subnetsOf(texts: readonly (string | undefined)[]): ConnectedSubnet[] {
  const out: ConnectedSubnet[] = [];
  for (const t of texts) {
    const slash = t?.indexOf('/') ?? -1;
    if (t === undefined || slash < 0) continue;
    const net = netFromText(t);
    const addr = ipFromText(t.slice(0, slash).trim());
    if (net === undefined || addr === undefined) continue;
    // A host route (/32, /128) names no subnet; /0 is no connected subnet either.
    const full = net.family === 4 ? net.mask4 === 0xffffffff : net.mask6 === (1n << 128n) - 1n;
    const none = net.family === 4 ? net.mask4 === 0 : net.mask6 === 0n;
    if (!full && !none && !out.some((x) => x.net.text === net.text && x.addr.text === addr.text)) out.push({ net, addr });
  }
  return out;
}

export function buildNetworkSets(inp: SnapshotInput): NetworkSetInfo[] {
  const networkSets: NetworkSetInfo[] = [];
  for (const r of [...inp.byKind('GlobalNetworkSet'), ...inp.byKind('NetworkSet')]) {
    const ns = r.kind === 'NetworkSet' ? namespaceOf(r) || 'default' : '';
    const nets = ((r as NetworkSet | GlobalNetworkSet).spec?.nets ?? []).map((t) => netFromText(t)).filter((n): n is Net => n !== undefined);
    const own = r.metadata?.labels ?? {};
    const labels: Record<string, string> = ns === '' ? Object.assign({}, own) : Object.assign({}, prefixed(NS_PREFIX, inp.nsLabelsOf(ns), ns), own);
    if (ns !== '') labels[LABEL_NAMESPACE] = ns;
    networkSets.push({ kind: 'networkSet', key: ns === '' ? `globalnetworkset:${nameOf(r)}` : `networkset:${ns}/${nameOf(r)}`, nets, labels, ls: new LabelSet(labels) });
  }
  return networkSets;
}
