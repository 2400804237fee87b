/**
 * @module buildSnapshot: decoded resources → one immutable, indexed view the evaluator reads.
 *
 * Invariants:
 * - The result depends only on the set of resources, not their order (everything is sorted or
 *   keyed; duplicates by kind/namespace/name: the last one wins, as a datastore would keep it).
 * - Workload endpoints come from Pods with an IP that are not hostNetwork and not finished, and
 *   from WorkloadEndpoint resources (which win over a Pod of the same namespace/name). Their
 *   labels are Calico's: pod labels + `projectcalico.org/{namespace,orchestrator,serviceaccount}`
 *   + inherited `pcns.*` (namespace labels, via profile `kns.<ns>`) and `pcsa.*` (service account
 *   labels, via `ksa.<ns>.<sa>`); the endpoint's own labels win over inherited ones.
 * - Kubernetes NetworkPolicies are converted (`knp.default.<name>`, tier default, order 1000).
 * - Namespaces always carry `kubernetes.io/metadata.name` (as the API server sets it); a pod's
 *   namespace that has no Namespace object is synthesised with only that label.
 * - Selector results are memoised per label set; the memo is invisible to callers.
 *
 * Compact records (start of day for 100k endpoints, ~240 bytes each): pods with the same
 * namespace, service account and own labels share one frozen label map (a LabelSet, with its
 * selector memo), and share profile and named-port lists; a workload is a small class instance
 * whose single address stays text until `ips` is read; `workloadByKey` is a binary search over
 * the sorted workloads and `workloadByIp` a sorted typed array (workload-index.ts). Label maps,
 * lists and records are frozen or read-only: never mutate them (they are shared).
 */
import type { Resource } from '../model/meta.js';
import type { Rule } from '../model/calico/types.js';
import { endpointToHostAction, failsafeHostPorts, felixConfigForNode, type EffectiveFelixConfig } from '../model/calico/felix-configuration.js';
import type {
  FelixConfiguration,
  GlobalNetworkSet,
  HostEndpoint,
  NetworkSet,
  Profile,
  WorkloadEndpoint,
  CalicoNode,
} from '../model/calico/other-types.js';
import type { Namespace, Node as K8sNode, Pod, Service, ServiceAccount } from '../model/k8s/types.js';
import { convertKubernetesNetworkPolicy, convertStagedKubernetesNetworkPolicy } from '../model/convert/index.js';
import { decodeResource } from '../model/validate-resource.js';
import { FieldPath } from '../model/field/path.js';
import type { FieldError } from '../model/field/errors.js';
import { formatLine } from '../model/field/format.js';
import { ipFromText, isCanonicalV4Text, netContains, netFromText, type Ip, type Net } from './ip.js';
import { LabelSet, protocolNumber, type NamedPort, type Owner, type ServiceBackends, PROTO } from './match.js';
import {
  compilePolicy,
  compileRules,
  comparePolicies,
  LABEL_NAME,
  LABEL_NAMESPACE,
  LABEL_ORCHESTRATOR,
  LABEL_SERVICE_ACCOUNT,
  NS_PREFIX,
  SA_PREFIX,
  SelectorRegistry,
  type CompiledPolicy,
  type PolicyKind,
  type PolicyLike,
} from './compile-policy.js';
import type { CompiledRule } from './match.js';
import { IpIndex, SortedKeyMap } from './workload-index.js';
import { BUILT_IN_TIERS } from '../model/calico/derived.js';
import { adminPolicyOf, isAdminPolicy } from './admin-policies.js';

export interface WorkloadEndpointInfo extends Owner {
  readonly kind: 'workload';
  /** `namespace/name` (the pod name). */
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly node: string;
  readonly ips: readonly Ip[];
  readonly namedPorts: readonly NamedPort[];
  readonly profiles: readonly string[];
  readonly serviceAccount: string;
  /** The pod's own labels (for Service selectors). */
  readonly podLabels: Readonly<Record<string, string>>;
  /** Index in Snapshot.workloads. */
  readonly index: number;
}

/** Interned label sets, by (label, value) pairs in order. */
interface _LabelTrie {
  next: Map<string, Map<string, _LabelTrie>> | undefined;
  ls: LabelSet | undefined;
}

/** What the workloads of one namespace and service account share. */
interface _WorkloadGroup {
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly profiles: readonly string[];
}

/**
 * The compact workload record (≈ 110 bytes plus its key): labels, named ports and profiles are
 * interned and shared; a single address is kept as its text until `ips` is first read.
 */
class _Workload implements WorkloadEndpointInfo {
  #ips: readonly Ip[] | string;
  readonly #group: _WorkloadGroup;
  index = 0;
  constructor(
    readonly key: string,
    group: _WorkloadGroup,
    readonly name: string,
    readonly node: string,
    ips: readonly Ip[] | string,
    readonly namedPorts: readonly NamedPort[],
    readonly podLabels: Readonly<Record<string, string>>,
    readonly ls: LabelSet,
  ) {
    this.#ips = ips;
    this.#group = group;
  }
  get kind(): 'workload' {
    return 'workload';
  }
  get namespace(): string {
    return this.#group.namespace;
  }
  get serviceAccount(): string {
    return this.#group.serviceAccount;
  }
  get profiles(): readonly string[] {
    return this.#group.profiles;
  }
  get labels(): Readonly<Record<string, string>> {
    return this.ls.labels;
  }
  get ips(): readonly Ip[] {
    const v = this.#ips;
    return typeof v === 'string' ? this.#materialise(v) : v; // small enough to inline on the fast path
  }
  #materialise(text: string): readonly Ip[] {
    const list = Object.freeze([ipFromText(text)!]);
    this.#ips = list;
    return list;
  }
  /** Canonical text of every address, without materialising `ips`. */
  ipTexts(): readonly string[] | string {
    const v = this.#ips;
    return typeof v === 'string' ? v : v.map((i) => i.text);
  }
}

export interface HostEndpointInfo extends Owner {
  readonly kind: 'host';
  /** `hep:<name>`. */
  readonly key: string;
  readonly name: string;
  readonly node: string;
  readonly interfaceName: string;
  readonly ips: readonly Ip[];
  readonly namedPorts: readonly NamedPort[];
  readonly profiles: readonly string[];
}

export interface NetworkSetInfo extends Owner {
  readonly kind: 'networkSet';
  readonly key: string;
  readonly nets: readonly Net[];
}

export interface NodeInfo {
  readonly name: string;
  readonly internal: readonly Ip[];
  readonly external: readonly Ip[];
  readonly addresses: readonly Ip[];
  readonly hostEndpoints: readonly HostEndpointInfo[];
  /**
   * The subnets the node's interfaces are directly connected to, as far as the datastore says:
   * from the addresses given with a prefix (`addr/prefix`): the Calico Node's
   * `spec.bgp.ipv4Address`/`ipv6Address` (calico-node writes its autodetected address with the
   * interface's prefix there), CIDR-form `spec.addresses` and `spec.interfaces[].addresses`, and
   * a Kubernetes Node's `projectcalico.org/IPv4Address`/`IPv6Address` annotations. Plain
   * addresses (a Kubernetes Node's status, HostEndpoint expectedIPs) carry no prefix and add
   * none; full-length prefixes (/32, /128) and /0 say nothing about a subnet and are left out.
   */
  readonly subnets: readonly ConnectedSubnet[];
}

/** A subnet a node's interface is connected to, and the node's address on it (NodeInfo.subnets). */
export interface ConnectedSubnet {
  readonly net: Net;
  readonly addr: Ip;
}

export interface ServicePortInfo {
  readonly name: string;
  readonly proto: number;
  readonly port: number;
  readonly nodePort: number;
  readonly targetPort: number | string;
}

export interface ServiceInfo {
  readonly namespace: string;
  readonly name: string;
  readonly type: string;
  readonly clusterIPs: readonly Ip[];
  readonly lbIPs: readonly Ip[];
  readonly ports: readonly ServicePortInfo[];
  readonly externalTrafficPolicy: 'Cluster' | 'Local';
  readonly backends: readonly WorkloadEndpointInfo[];
}

export interface TierInfo {
  readonly name: string;
  /** Infinity when unset. */
  readonly order: number;
  readonly defaultAction: 'Deny' | 'Pass';
}

export interface CompiledProfile {
  readonly name: string;
  readonly ingress: readonly CompiledRule[];
  readonly egress: readonly CompiledRule[];
}

/** The policies of one view (enforced, or enforced with staged changes applied), sorted. */
export interface PolicySet {
  /** Sorted by tier (order, name), then policy (order, name). */
  readonly policies: readonly CompiledPolicy[];
  /** A distinct id per set, to key per-endpoint plan caches. */
  readonly id: number;
}

export interface FailsafePort {
  readonly proto: number;
  readonly port: number;
  readonly net: Net | null;
}

export interface FelixSettings {
  readonly failsafeInbound: readonly FailsafePort[];
  readonly failsafeOutbound: readonly FailsafePort[];
  readonly defaultEndpointToHostAction: 'Drop' | 'Accept' | 'Return';
}

export interface SnapshotProblem {
  readonly resource: string;
  readonly message: string;
}

export interface Snapshot {
  readonly workloads: readonly WorkloadEndpointInfo[];
  readonly workloadByKey: ReadonlyMap<string, WorkloadEndpointInfo>;
  readonly workloadByIp: ReadonlyMap<string, WorkloadEndpointInfo>;
  readonly hostEndpoints: readonly HostEndpointInfo[];
  readonly nodes: ReadonlyMap<string, NodeInfo>;
  readonly nodeByIp: ReadonlyMap<string, NodeInfo>;
  readonly networkSets: readonly NetworkSetInfo[];
  readonly services: readonly ServiceInfo[];
  readonly tiers: ReadonlyMap<string, TierInfo>;
  readonly profiles: ReadonlyMap<string, CompiledProfile>;
  readonly enforced: PolicySet;
  /** Enforced policies with staged ones applied (Set/Delete); null when there are no staged policies. */
  readonly stagedView: PolicySet | null;
  /** The cluster-wide settings (`default` over Felix's defaults): those of a node with no `node.<name>`. */
  readonly felix: FelixSettings;
  /** The settings Felix on `node` runs with (`default` overlaid by `node.<node>`); memoised. */
  felixFor(node: string): FelixSettings;
  /** `node`'s effective FelixConfiguration (felixConfigForNode over this snapshot's FelixConfigurations). */
  felixConfig(node: string): EffectiveFelixConfig;
  readonly registry: SelectorRegistry;
  readonly problems: readonly SnapshotProblem[];
  /** Backends of a service, for `services` rule matches. */
  serviceBackends(namespace: string, name: string): ServiceBackends | undefined;
  /** Labelled owners (workload, host endpoints, network sets) of an address: the IP-set view. */
  ownersOf(ip: Ip): readonly Owner[];
  /** Engine-internal memo tables (derived data only; never changes a result). */
  readonly memo: SnapshotMemo;
}

/** Slots for derived, lazily computed tables, owned by the modules that fill them. */
export class SnapshotMemo {
  fast: unknown = undefined;
  classes: unknown = undefined;
  verdictTables: Map<number, unknown> | undefined = undefined;
  lastVerdictKey = -1;
  lastVerdictTable: unknown = undefined;
}

const DEFAULT_TIER_ORDER = 1_000_000;
/**
 * The profile Calico creates at start-up with allow-all ingress and egress rules; host endpoints
 * name it for "allow-all" instead of "deny-all" in the absence of policy (kube-controllers'
 * automatic host endpoints do). A Profile resource of that name, when given, replaces it.
 */
export const DEFAULT_ALLOW_PROFILE = 'projectcalico-default-allow';
let _policySetIds = 0;

const _name = (r: Resource): string => r.metadata?.name ?? '';
const _ns = (r: Resource): string => r.metadata?.namespace ?? '';
const _cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const _noLabels: Readonly<Record<string, string>> = Object.freeze({});
const _noNamedPorts: readonly NamedPort[] = Object.freeze([]);

/** `namespace/name`, as a flat string: a template literal would keep two cons-string nodes per key. */
function _key(ns: string, name: string): string {
  return [ns, name].join('/');
}

/** Whether ipFromText keeps this text as is (so it can be stored instead of the Ip). */
function _isCanonicalIp(t: string): boolean {
  return isCanonicalV4Text(t) || ipFromText(t)?.text === t;
}

function _ipsOf(texts: readonly (string | undefined)[]): Ip[] {
  const out: Ip[] = [];
  for (const t of texts) {
    if (t === undefined || t === '') continue;
    const ip = ipFromText(t.includes('/') ? t.slice(0, t.indexOf('/')) : t);
    if (ip && !out.some((x) => x.text === ip.text)) out.push(ip);
  }
  return out;
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

function _protoOr(p: string | number | undefined, dflt: number): number {
  return protocolNumber(p) ?? dflt;
}

/** The engine's view of an effective FelixConfiguration (protocol numbers, parsed nets). */
export function felixSettings(cfg: EffectiveFelixConfig): FelixSettings {
  const ports = (dir: 'inbound' | 'outbound'): FailsafePort[] =>
    failsafeHostPorts(cfg, dir).map((p) => ({
      proto: _protoOr(p.protocol, PROTO.TCP),
      port: p.port,
      net: p.net !== undefined ? (netFromText(p.net) ?? null) : null,
    }));
  return { failsafeInbound: ports('inbound'), failsafeOutbound: ports('outbound'), defaultEndpointToHostAction: endpointToHostAction(cfg) };
}

/**
 * Keeps the last resource per kind/namespace/name, then returns them sorted by that key. Core
 * Pods (the bulk, ordered by their own key later) come separately and unsorted: in input order,
 * duplicates included, when every Pod names its namespace (the pod loop then lets the last one
 * win, which is the same thing), else deduplicated here.
 */
function _dedupe(resources: readonly Resource[]): { rest: Resource[]; pods: Resource[] } {
  const m = new Map<string, Resource>();
  const pods: Resource[] = [];
  let unnamespaced = false;
  for (const r of resources) {
    if (r.kind === 'Pod' && r.apiVersion === 'v1') {
      pods.push(r);
      if (_ns(r) === '') unnamespaced = true;
    } else m.set(`${r.kind}|${r.apiVersion.split('/')[0]}|${_ns(r)}|${_name(r)}`, r);
  }
  const rest = [...m.entries()].sort((a, b) => _cmp(a[0], b[0])).map((e) => e[1]);
  if (!unnamespaced) return { rest, pods };
  const byKey = new Map<string, Resource>();
  for (const r of pods) byKey.set(`${_ns(r)}|${_name(r)}`, r);
  return { rest, pods: [...byKey.entries()].sort((a, b) => _cmp(a[0], b[0])).map((e) => e[1]) };
}

const _isK8sNetpol = (r: Resource): boolean => r.kind === 'NetworkPolicy' && r.apiVersion.startsWith('networking.k8s.io/');
const _isCalico = (r: Resource): boolean => r.apiVersion.startsWith('projectcalico.org/');

function _prefixed(prefix: string, labels: Readonly<Record<string, string>> | undefined, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels ?? {})) out[prefix + k] = v;
  out[prefix + LABEL_NAME] = name;
  return out;
}

interface _PortTrie {
  next: Map<string | number, _PortTrie> | undefined;
  list: readonly NamedPort[] | undefined;
}

function _portChild(node: _PortTrie, key: string | number): _PortTrie {
  node.next ??= new Map();
  let c = node.next.get(key);
  if (c === undefined) node.next.set(key, (c = { next: undefined, list: undefined }));
  return c;
}

/** Walks the trie along the named container ports of `list` (what _containerPorts reads). */
function _portsWalk(node: _PortTrie, list: NonNullable<Pod['spec']>['containers']): _PortTrie {
  if (list !== undefined)
    for (const c of list)
      if (c.ports !== undefined)
        for (const p of c.ports)
          if (p.name !== undefined && p.name !== '' && p.containerPort !== undefined)
            node = _portChild(_portChild(_portChild(node, p.name), p.protocol ?? ''), p.containerPort);
  return node;
}

function _containerPorts(pod: Pod): NamedPort[] {
  const out: NamedPort[] = [];
  for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])])
    for (const p of c.ports ?? [])
      if (p.name !== undefined && p.name !== '' && p.containerPort !== undefined)
        out.push({ name: p.name, proto: _protoOr(p.protocol, PROTO.TCP), port: p.containerPort });
  return out;
}

interface _Built {
  policies: PolicyLike[];
  staged: PolicyLike[];
}

/** Builds the snapshot from decoded, defaulted resources (any order, any mix of kinds). */
export function buildSnapshot(input: readonly Resource[]): Snapshot {
  const deduped = _dedupe(input);
  const resources = deduped.rest;
  const problems: SnapshotProblem[] = [];
  const registry = new SelectorRegistry();
  const byKind = (kind: string): Resource[] => resources.filter((r) => r.kind === kind);

  // ---- profiles (explicit), namespaces, service accounts
  const explicitProfiles = new Map<string, Profile>();
  for (const r of byKind('Profile')) explicitProfiles.set(_name(r), r as Profile);

  const nsLabels = new Map<string, Record<string, string>>();
  for (const r of byKind('Namespace')) {
    const n = _name(r);
    nsLabels.set(n, { 'kubernetes.io/metadata.name': n, ...((r as Namespace).metadata?.labels ?? {}) });
  }
  const nsLabelsOf = (ns: string): Record<string, string> => {
    let l = nsLabels.get(ns);
    if (l === undefined) {
      l = { 'kubernetes.io/metadata.name': ns };
      nsLabels.set(ns, l);
    }
    return l;
  };
  const saLabels = new Map<string, Record<string, string>>();
  for (const r of byKind('ServiceAccount')) saLabels.set(`${_ns(r)}/${_name(r)}`, (r as ServiceAccount).metadata?.labels ?? {});

  const profileLabels = (name: string): Record<string, string> => explicitProfiles.get(name)?.spec?.labelsToApply ?? {};

  // ---- workload endpoints
  const weps = new Map<string, _Workload>();
  // Interned per snapshot: pods with the same namespace, service account and own labels share
  // one frozen label map (and its selector results); likewise profiles and named ports.
  /** Per namespace and service account: the profiles, the inherited labels, the label sets. */
  interface _PodGroup extends _WorkloadGroup {
    readonly inherited: Readonly<Record<string, string>>;
    readonly sets: _LabelTrie;
  }
  const podGroups = new Map<string, Map<string, _PodGroup>>();
  const podGroup = (ns: string, sa: string): _PodGroup => {
    let bySa = podGroups.get(ns);
    if (bySa === undefined) podGroups.set(ns, (bySa = new Map()));
    let g = bySa.get(sa);
    if (g === undefined) {
      // Object.assign, not spread: spreading label maps is ~10× slower in V8.
      const inherited = Object.assign({}, _prefixed(NS_PREFIX, nsLabelsOf(ns), ns), _prefixed(SA_PREFIX, saLabels.get(`${ns}/${sa}`), sa));
      g = { namespace: ns, serviceAccount: sa, profiles: Object.freeze([`kns.${ns}`, `ksa.${ns}.${sa}`]), inherited, sets: { next: undefined, ls: undefined } };
      bySa.set(sa, g);
    }
    return g;
  };
  const podLabelSet = (g: _PodGroup, ns: string, sa: string, own: Readonly<Record<string, string>>): LabelSet => {
    // A trie over (label, value) pairs in the map's order: no key string per pod.
    let node = g.sets;
    for (const l in own) {
      const v = own[l]!;
      node.next ??= new Map();
      let byValue = node.next.get(l);
      if (byValue === undefined) node.next.set(l, (byValue = new Map()));
      let child = byValue.get(v);
      if (child === undefined) byValue.set(v, (child = { next: undefined, ls: undefined }));
      node = child;
    }
    let ls = node.ls;
    if (ls === undefined) {
      const labels: Record<string, string> = Object.assign({}, g.inherited, own);
      labels[LABEL_NAMESPACE] = ns;
      labels[LABEL_ORCHESTRATOR] = 'k8s';
      labels[LABEL_SERVICE_ACCOUNT] = sa;
      ls = new LabelSet(Object.freeze(labels));
      node.ls = ls;
    }
    return ls;
  };
  const portLists = new Map<string, readonly NamedPort[]>();
  const internPorts = (ports: NamedPort[]): readonly NamedPort[] => {
    if (ports.length === 0) return _noNamedPorts;
    let k = '';
    for (const p of ports) k += `${p.name}\u0000${p.proto}\u0000${p.port}\u0001`;
    let l = portLists.get(k);
    if (l === undefined) portLists.set(k, (l = Object.freeze(ports.map((p) => Object.freeze(p)))));
    return l;
  };
  /**
   * A pod's named container ports, interned through a trie over the raw (name, protocol, port)
   * sequence: allocates nothing for a port list seen before.
   */
  const portTrie: _PortTrie = { next: undefined, list: undefined };
  const podPorts = (pod: Pod): readonly NamedPort[] => {
    const spec = pod.spec;
    if (spec === undefined) return _noNamedPorts;
    const node = _portsWalk(_portsWalk(portTrie, spec.containers), spec.initContainers);
    if (node === portTrie) return _noNamedPorts;
    return (node.list ??= internPorts(_containerPorts(pod)));
  };
  for (const r of deduped.pods) {
    const pod = r as Pod;
    const ns = _ns(pod) || 'default';
    const name = _name(pod);
    const key = _key(ns, name);
    // A skipped pod also drops an earlier duplicate (see _dedupe): the last one wins.
    if (pod.spec?.hostNetwork === true) {
      weps.delete(key);
      continue;
    }
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') {
      weps.delete(key);
      continue;
    }
    const podIPs = pod.status?.podIPs;
    const podIP = pod.status?.podIP;
    let ips: readonly Ip[] | string;
    if ((podIPs === undefined || podIPs.length === 0) && podIP !== undefined && _isCanonicalIp(podIP)) ips = podIP;
    else {
      const list = _ipsOf([podIP, ...(podIPs ?? []).map((p) => p.ip)]);
      if (list.length === 0) {
        weps.delete(key);
        continue;
      }
      ips = list;
    }
    const sa = pod.spec?.serviceAccountName || 'default';
    const own = pod.metadata?.labels ?? _noLabels;
    const g = podGroup(ns, sa);
    weps.set(key, new _Workload(key, g, name, pod.spec?.nodeName ?? '', ips, podPorts(pod), own, podLabelSet(g, ns, sa, own)));
  }
  for (const r of byKind('WorkloadEndpoint')) {
    const w = r as WorkloadEndpoint;
    const ns = _ns(w) || 'default';
    const spec = w.spec ?? {};
    const name = spec.pod || spec.workload || _name(w);
    const ips = _ipsOf(spec.ipNetworks ?? []);
    if (ips.length === 0) continue;
    const profiles = spec.profiles ?? [];
    const inherited: Record<string, string> = {};
    for (const p of profiles) {
      if (p.startsWith('kns.') && !explicitProfiles.has(p)) Object.assign(inherited, _prefixed(NS_PREFIX, nsLabelsOf(p.slice(4)), p.slice(4)));
      else if (p.startsWith('ksa.') && !explicitProfiles.has(p)) {
        const rest = p.slice(4);
        const dot = rest.indexOf('.');
        const sa = dot < 0 ? rest : rest.slice(dot + 1);
        Object.assign(inherited, _prefixed(SA_PREFIX, saLabels.get(`${rest.slice(0, Math.max(dot, 0))}/${sa}`), sa));
      } else Object.assign(inherited, profileLabels(p));
    }
    const own = w.metadata?.labels ?? {};
    const labels: Record<string, string> = Object.assign({}, inherited, own);
    labels[LABEL_NAMESPACE] = ns;
    if (labels[LABEL_ORCHESTRATOR] === undefined && spec.orchestrator) labels[LABEL_ORCHESTRATOR] = spec.orchestrator;
    const sa = spec.serviceAccountName ?? own[LABEL_SERVICE_ACCOUNT] ?? '';
    if (sa !== '') labels[LABEL_SERVICE_ACCOUNT] = sa;
    const key = _key(ns, name);
    const ports = internPorts((spec.ports ?? []).filter((p) => p.name && p.port !== undefined).map((p) => ({ name: p.name!, proto: _protoOr(p.protocol, PROTO.TCP), port: p.port! })));
    const group: _WorkloadGroup = { namespace: ns, serviceAccount: sa, profiles };
    weps.set(key, new _Workload(key, group, name, spec.node ?? '', ips, ports, own, new LabelSet(Object.freeze(labels))));
  }
  const keys = [...weps.keys()].sort();
  const workloads: _Workload[] = new Array<_Workload>(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const w = weps.get(keys[i]!)!;
    w.index = i;
    workloads[i] = w;
  }
  const workloadByKey: ReadonlyMap<string, WorkloadEndpointInfo> = new SortedKeyMap(workloads);
  const byIp = new IpIndex<_Workload>(workloads, (w) => w.ipTexts());
  for (const c of byIp.conflicts) problems.push({ resource: `Pod ${c.loser.key}`, message: `IP ${c.ip} is also used by ${c.owner.key}` });
  const workloadByIp: ReadonlyMap<string, WorkloadEndpointInfo> = byIp;

  // ---- host endpoints and nodes
  const hostEndpoints: HostEndpointInfo[] = byKind('HostEndpoint').map((r) => {
    const h = r as HostEndpoint;
    const spec = h.spec ?? {};
    const inherited: Record<string, string> = {};
    for (const p of spec.profiles ?? []) Object.assign(inherited, profileLabels(p));
    const labels = Object.freeze(Object.assign({}, inherited, h.metadata?.labels));
    return {
      kind: 'host',
      key: `hep:${_name(h)}`,
      name: _name(h),
      node: spec.node ?? '',
      interfaceName: spec.interfaceName ?? '',
      ips: _ipsOf(spec.expectedIPs ?? []),
      namedPorts: (spec.ports ?? []).filter((p) => p.name && p.port !== undefined).map((p) => ({ name: p.name!, proto: _protoOr(p.protocol, PROTO.TCP), port: p.port! })),
      profiles: spec.profiles ?? [],
      labels,
      ls: new LabelSet(labels),
    };
  });

  interface NodeDraft {
    internal: (string | undefined)[];
    external: (string | undefined)[];
    /** Addresses that may carry a prefix: see NodeInfo.subnets. */
    prefixed: (string | undefined)[];
  }
  const nodeDraft = new Map<string, NodeDraft>();
  const draft = (n: string): NodeDraft => {
    let d = nodeDraft.get(n);
    if (!d) {
      d = { internal: [], external: [], prefixed: [] };
      nodeDraft.set(n, d);
    }
    return d;
  };
  for (const r of byKind('Node')) {
    const d = draft(_name(r));
    if (_isCalico(r)) {
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
  const nodes = new Map<string, NodeInfo>();
  const nodeByIp = new Map<string, NodeInfo>();
  for (const name of [...nodeDraft.keys()].sort(_cmp)) {
    const d = nodeDraft.get(name)!;
    const heps = hostEndpoints.filter((h) => h.node === name);
    const internal = _ipsOf(d.internal);
    const external = _ipsOf(d.external);
    const addresses = _ipsOf([...internal, ...external, ...heps.flatMap((h) => h.ips)].map((i) => i.text));
    const info: NodeInfo = { name, internal, external, addresses, hostEndpoints: heps, subnets: _subnetsOf(d.prefixed) };
    nodes.set(name, info);
    for (const ip of addresses) if (!nodeByIp.has(ip.text)) nodeByIp.set(ip.text, info);
  }

  // ---- network sets
  const networkSets: NetworkSetInfo[] = [];
  for (const r of [...byKind('GlobalNetworkSet'), ...byKind('NetworkSet')]) {
    const ns = r.kind === 'NetworkSet' ? _ns(r) || 'default' : '';
    const nets = ((r as NetworkSet | GlobalNetworkSet).spec?.nets ?? []).map((t) => netFromText(t)).filter((n): n is Net => n !== undefined);
    const own = r.metadata?.labels ?? {};
    const labels: Record<string, string> = ns === '' ? Object.assign({}, own) : Object.assign({}, _prefixed(NS_PREFIX, nsLabelsOf(ns), ns), own);
    if (ns !== '') labels[LABEL_NAMESPACE] = ns;
    networkSets.push({ kind: 'networkSet', key: ns === '' ? `globalnetworkset:${_name(r)}` : `networkset:${ns}/${_name(r)}`, nets, labels, ls: new LabelSet(labels) });
  }

  // ---- services
  const services: ServiceInfo[] = byKind('Service').map((r) => {
    const s = r as Service;
    const spec = s.spec ?? {};
    const ns = _ns(s) || 'default';
    const sel = spec.selector;
    const backends =
      sel === undefined || Object.keys(sel).length === 0
        ? []
        : workloads.filter((w) => w.namespace === ns && Object.entries(sel).every(([k, v]) => w.podLabels[k] === v));
    const type = spec.type ?? 'ClusterIP';
    const clusterIPs = spec.clusterIP === 'None' ? [] : _ipsOf([spec.clusterIP, ...(spec.clusterIPs ?? [])].filter((x) => x !== 'None'));
    const lbIPs = type === 'LoadBalancer' ? _ipsOf([spec.loadBalancerIP, ...(s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip)]) : [];
    return {
      namespace: ns,
      name: _name(s),
      type,
      clusterIPs,
      lbIPs,
      ports: (spec.ports ?? []).map((p) => ({
        name: p.name ?? '',
        proto: _protoOr(p.protocol, PROTO.TCP),
        port: p.port ?? 0,
        nodePort: type === 'NodePort' || type === 'LoadBalancer' ? (p.nodePort ?? 0) : 0,
        targetPort: p.targetPort ?? p.port ?? 0,
      })),
      externalTrafficPolicy: spec.externalTrafficPolicy === 'Local' ? 'Local' : 'Cluster',
      backends,
    };
  });
  const backendCache = new Map<string, ServiceBackends>();
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
    backendCache.set(`${s.namespace}/${s.name}`, { ipPorts, ips });
  }

  // ---- tiers
  const tiers = new Map<string, TierInfo>();
  for (const t of BUILT_IN_TIERS) tiers.set(t.name, { name: t.name, order: t.order, defaultAction: t.defaultAction });
  for (const r of byKind('Tier')) {
    const spec = (r as { spec?: { order?: number; defaultAction?: string } }).spec ?? {};
    const name = _name(r);
    tiers.set(name, {
      name,
      order: typeof spec.order === 'number' ? spec.order : name === 'default' ? DEFAULT_TIER_ORDER : Infinity,
      defaultAction: spec.defaultAction === 'Pass' ? 'Pass' : 'Deny',
    });
  }

  // ---- policies
  const built: _Built = { policies: [], staged: [] };
  const add = (p: PolicyLike): void => {
    (p.staged ? built.staged : built.policies).push(p);
  };
  type Spec = PolicyLike['spec'] & { stagedAction?: string };
  for (const r of resources) {
    const name = _name(r);
    const ns = _ns(r);
    const spec = (r as { spec?: Spec }).spec ?? {};
    if (_isK8sNetpol(r)) {
      const c = convertKubernetesNetworkPolicy(r);
      for (const e of c.errors) problems.push({ resource: `NetworkPolicy ${ns}/${name}`, message: _fe(e) });
      if (c.policy) add({ kind: 'KubernetesNetworkPolicy', namespace: ns || 'default', name: c.policy.metadata?.name ?? name, spec: c.policy.spec ?? {}, staged: false });
    } else if (r.kind === 'StagedKubernetesNetworkPolicy') {
      const c = convertStagedKubernetesNetworkPolicy(r);
      for (const e of c.errors) problems.push({ resource: `StagedKubernetesNetworkPolicy ${ns}/${name}`, message: _fe(e) });
      if (c.policy) {
        const s = (c.policy.spec ?? {}) as Spec;
        add({ kind: 'StagedKubernetesNetworkPolicy', namespace: ns || 'default', name: c.policy.metadata?.name ?? name, spec: { ...s, stagedAction: (r as { spec?: Spec }).spec?.stagedAction } as Spec, staged: true });
      }
    } else if (isAdminPolicy(r)) {
      const p = adminPolicyOf(r, resources, problems);
      if (p) add(p);
    } else if (_isCalico(r) && (r.kind === 'NetworkPolicy' || r.kind === 'StagedNetworkPolicy')) {
      add({ kind: r.kind as PolicyKind, namespace: ns || 'default', name, spec, staged: r.kind === 'StagedNetworkPolicy' });
    } else if (_isCalico(r) && (r.kind === 'GlobalNetworkPolicy' || r.kind === 'StagedGlobalNetworkPolicy')) {
      add({ kind: r.kind as PolicyKind, namespace: '', name, spec, staged: r.kind === 'StagedGlobalNetworkPolicy' });
    }
  }
  const tierKey = (t: string): [number, string] => [tiers.get(t)?.order ?? Infinity, t];
  const sortPolicies = (list: CompiledPolicy[]): CompiledPolicy[] =>
    list.sort((a, b) => {
      const [ao, an] = tierKey(a.tier);
      const [bo, bn] = tierKey(b.tier);
      if (ao !== bo) return ao < bo ? -1 : 1;
      if (an !== bn) return _cmp(an, bn);
      return comparePolicies(a, b);
    });
  const compileAll = (list: readonly PolicyLike[]): CompiledPolicy[] => {
    const out: CompiledPolicy[] = [];
    for (const p of list) {
      try {
        out.push(compilePolicy(p, registry));
      } catch (e) {
        problems.push({ resource: `${p.kind} ${p.namespace === '' ? '' : p.namespace + '/'}${p.name}`, message: `not evaluated: ${(e as Error).message}` });
      }
    }
    return out;
  };
  const enforcedList = sortPolicies(compileAll(built.policies));
  const enforced: PolicySet = { policies: enforcedList, id: ++_policySetIds };
  let stagedView: PolicySet | null = null;
  if (built.staged.length > 0) {
    // The staged view: each staged policy, enforced, replaces (Set) or removes (Delete) the policy
    // it stages; Learn and Ignore change nothing.
    const keyOf = (p: { kind: string; namespace: string; name: string }): string =>
      `${p.namespace === '' ? 'global' : 'ns'}|${p.namespace}|${p.name}`;
    const view = new Map<string, PolicyLike>(built.policies.map((p) => [keyOf(p), p]));
    for (const s of built.staged) {
      const action = (s.spec as Spec).stagedAction ?? 'Set';
      if (action === 'Delete') view.delete(keyOf(s));
      else if (action === 'Set' || action === '') view.set(keyOf(s), s);
    }
    stagedView = { policies: sortPolicies(compileAll([...view.values()])), id: ++_policySetIds };
  }

  // ---- profiles
  const profiles = new Map<string, CompiledProfile>();
  const allowAll: Rule[] = [{ action: 'Allow' }];
  const compileProfile = (name: string, ingress: readonly Rule[] | undefined, egress: readonly Rule[] | undefined): CompiledProfile => ({
    name,
    ingress: compileRules(ingress as Rule[] | undefined, { registry, namespace: '' }),
    egress: compileRules(egress as Rule[] | undefined, { registry, namespace: '' }),
  });
  for (const [name, p] of explicitProfiles) profiles.set(name, compileProfile(name, p.spec?.ingress, p.spec?.egress));
  // Calico creates this one itself (allow all ingress and egress) for host endpoints to name.
  if (!profiles.has(DEFAULT_ALLOW_PROFILE)) profiles.set(DEFAULT_ALLOW_PROFILE, compileProfile(DEFAULT_ALLOW_PROFILE, allowAll, allowAll));
  const seenLists = new Set<readonly string[]>(); // profile lists are shared: visit each once
  for (const w of workloads) {
    if (seenLists.has(w.profiles)) continue;
    seenLists.add(w.profiles);
    for (const p of w.profiles)
      if (!profiles.has(p)) {
        if (p.startsWith('kns.')) profiles.set(p, compileProfile(p, allowAll, allowAll));
        else if (p.startsWith('ksa.')) profiles.set(p, compileProfile(p, [], []));
      }
  }

  // ---- Felix configuration: per node, `default` overlaid by `node.<name>`
  const fcs = byKind('FelixConfiguration') as FelixConfiguration[];
  const felixConfig = (node: string): EffectiveFelixConfig => felixConfigForNode(fcs, node);
  const felix = felixSettings(felixConfig(''));
  const felixByNode = new Map<string, FelixSettings>();
  const felixFor = (node: string): FelixSettings => {
    let f = felixByNode.get(node);
    if (f === undefined) {
      f = fcs.some((c) => _name(c) === `node.${node}`) ? felixSettings(felixConfig(node)) : felix;
      felixByNode.set(node, f);
    }
    return f;
  };

  // ---- owners by IP (IP-set membership), memoised
  const ownerCache = new Map<string, readonly Owner[]>();
  const ownersOf = (ip: Ip): readonly Owner[] => {
    let o = ownerCache.get(ip.text);
    if (o === undefined) {
      const list: Owner[] = [];
      const w = workloadByIp.get(ip.text);
      if (w) list.push(w);
      for (const h of hostEndpoints) if (h.ips.some((x) => x.text === ip.text)) list.push(h);
      for (const s of networkSets) if (s.nets.some((n) => netContains(n, ip))) list.push(s);
      o = list;
      ownerCache.set(ip.text, o);
    }
    return o;
  };

  return {
    workloads,
    workloadByKey,
    workloadByIp,
    hostEndpoints,
    nodes,
    nodeByIp,
    networkSets,
    services,
    tiers,
    profiles,
    enforced,
    stagedView,
    felix,
    felixFor,
    felixConfig,
    registry,
    problems,
    serviceBackends: (namespace, name) => backendCache.get(`${namespace}/${name}`),
    ownersOf,
    memo: new SnapshotMemo(),
  };
}

function _fe(e: FieldError): string {
  return formatLine(e);
}

/** A service port's targetPort on one backend: a number, or a named container port for the protocol. */
export function resolveTargetPort(b: WorkloadEndpointInfo, p: ServicePortInfo): number | undefined {
  if (typeof p.targetPort === 'number') return p.targetPort;
  if (/^\d+$/.test(p.targetPort)) return Number(p.targetPort);
  return b.namedPorts.find((n) => n.name === p.targetPort && n.proto === p.proto)?.port;
}

export interface LoadResult {
  readonly snapshot: Snapshot;
  /** Raw objects that failed to decode or validate, by input index. */
  readonly invalid: readonly { readonly index: number; readonly kind: string; readonly name: string; readonly errors: readonly FieldError[] }[];
}

/** Decodes raw objects (a `kind: List` is opened), reports invalid ones, and builds a snapshot of the rest. */
export function loadSnapshot(raws: readonly unknown[]): LoadResult {
  const good: Resource[] = [];
  const invalid: { index: number; kind: string; name: string; errors: FieldError[] }[] = [];
  const one = (raw: unknown, index: number, path: FieldPath): void => {
    const r = decodeResource(raw, path);
    if (r.ok) good.push(r.value.resource);
    else {
      const o = typeof raw === 'object' && raw !== null ? (raw as { kind?: unknown; metadata?: { name?: unknown } }) : {};
      invalid.push({ index, kind: String(o.kind ?? ''), name: String(o.metadata?.name ?? ''), errors: r.error });
    }
  };
  raws.forEach((raw, index) => {
    const o = raw as { kind?: unknown; items?: unknown } | null;
    if (o !== null && typeof o === 'object' && o.kind === 'List' && Array.isArray(o.items)) {
      o.items.forEach((it, j) => one(it, index, FieldPath.root('items').index(j)));
    } else one(raw, index, FieldPath.root());
  });
  return { snapshot: buildSnapshot(good), invalid };
}

