/**
 * @module The snapshot builder's workload endpoints (buildSnapshot, step 2): from Pods with an IP
 * that are not hostNetwork and not finished, and from WorkloadEndpoint resources (which win over a
 * Pod of the same namespace/name), sorted by key and indexed by key and by IP.
 *
 * Labels are Calico's: pod labels + `projectcalico.org/{namespace,orchestrator,serviceaccount}` +
 * inherited `pcns.*` (namespace labels, via profile `kns.<ns>`) and `pcsa.*` (service account
 * labels, via `ksa.<ns>.<sa>`); the endpoint's own labels win over inherited ones.
 *
 * Compact records (start of day for 100k endpoints, ~240 bytes each): pods with the same
 * namespace, service account and own labels share one frozen label map (a LabelSet, with its
 * selector memo), and share profile and named-port lists (the Interner); a workload is a small
 * class instance whose single address stays text until `ips` is read. Never mutate what a
 * workload holds: it is shared.
 */
import type { WorkloadEndpoint } from '../../model/calico/other-types.js';
import type { Pod } from '../../model/k8s/types.js';
import { ipFromText, isCanonicalV4Text, type Ip } from '../ip.js';
import { LabelSet, PROTO, type NamedPort } from '../match.js';
import { LABEL_NAMESPACE, LABEL_ORCHESTRATOR, LABEL_SERVICE_ACCOUNT, NS_PREFIX, SA_PREFIX } from '../compile-policy.js';
import { IpIndex, SortedKeyMap } from '../workload-index.js';
import type { WorkloadEndpointInfo } from '../snapshot.js';
import { ipsOf, keyOf, nameOf, namespaceOf, prefixed, protoOr, type SnapshotInput } from './input.js';

/** Interned label sets, by (label, value) pairs in order. */
interface LabelTrie {
  next: Map<string, Map<string, LabelTrie>> | undefined;
  ls: LabelSet | undefined;
}

/** What the workloads of one namespace and service account share. */
interface WorkloadGroup {
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly profiles: readonly string[];
}

/**
 * The compact workload record (≈ 110 bytes plus its key): labels, named ports and profiles are
 * interned and shared; a single address is kept as its text until `ips` is first read.
 */
export class Workload implements WorkloadEndpointInfo {
  #ips: readonly Ip[] | string;
  readonly #group: WorkloadGroup;
  index = 0;
  constructor(
    readonly key: string,
    group: WorkloadGroup,
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

const _noLabels: Readonly<Record<string, string>> = Object.freeze({});
const _noNamedPorts: readonly NamedPort[] = Object.freeze([]);

/** Whether ipFromText keeps this text as is (so it can be stored instead of the Ip). */
function _isCanonicalIp(t: string): boolean {
  return isCanonicalV4Text(t) || ipFromText(t)?.text === t;
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
        out.push({ name: p.name, proto: protoOr(p.protocol, PROTO.TCP), port: p.containerPort });
  return out;
}

/** Per namespace and service account: the profiles, the inherited labels, the label sets. */
interface _PodGroup extends WorkloadGroup {
  readonly inherited: Readonly<Record<string, string>>;
  readonly sets: LabelTrie;
}

/** Interned per snapshot: pod groups with their label sets, named-port lists. */
class _Interner {
  readonly #groups = new Map<string, Map<string, _PodGroup>>();
  readonly #portLists = new Map<string, readonly NamedPort[]>();
  readonly #portTrie: _PortTrie = { next: undefined, list: undefined };
  constructor(private readonly inp: SnapshotInput) {}

  group(ns: string, sa: string): _PodGroup {
    let bySa = this.#groups.get(ns);
    if (bySa === undefined) this.#groups.set(ns, (bySa = new Map()));
    let g = bySa.get(sa);
    if (g === undefined) {
      // Object.assign, not spread: spreading label maps is ~10× slower in V8.
      const inherited = Object.assign({}, prefixed(NS_PREFIX, this.inp.nsLabelsOf(ns), ns), prefixed(SA_PREFIX, this.inp.saLabels.get(`${ns}/${sa}`), sa));
      g = { namespace: ns, serviceAccount: sa, profiles: Object.freeze([`kns.${ns}`, `ksa.${ns}.${sa}`]), inherited, sets: { next: undefined, ls: undefined } };
      bySa.set(sa, g);
    }
    return g;
  }

  /** The pod's full label set, through a trie over (label, value) pairs in the map's order: no key string per pod. */
  labelSet(g: _PodGroup, own: Readonly<Record<string, string>>): LabelSet {
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
      labels[LABEL_NAMESPACE] = g.namespace;
      labels[LABEL_ORCHESTRATOR] = 'k8s';
      labels[LABEL_SERVICE_ACCOUNT] = g.serviceAccount;
      ls = new LabelSet(Object.freeze(labels));
      node.ls = ls;
    }
    return ls;
  }

  ports(ports: NamedPort[]): readonly NamedPort[] {
    if (ports.length === 0) return _noNamedPorts;
    let k = '';
    for (const p of ports) k += `${p.name}\u0000${p.proto}\u0000${p.port}\u0001`;
    let l = this.#portLists.get(k);
    if (l === undefined) this.#portLists.set(k, (l = Object.freeze(ports.map((p) => Object.freeze(p)))));
    return l;
  }

  /** A pod's named container ports, through a trie over the raw (name, protocol, port) sequence: nothing allocated for a list seen before. */
  podPorts(pod: Pod): readonly NamedPort[] {
    const spec = pod.spec;
    if (spec === undefined) return _noNamedPorts;
    const node = _portsWalk(_portsWalk(this.#portTrie, spec.containers), spec.initContainers);
    if (node === this.#portTrie) return _noNamedPorts;
    return (node.list ??= this.ports(_containerPorts(pod)));
  }
}

/** The address of a pod that gets one: its text when canonical and alone, else the list; undefined for none. */
function _podIps(pod: Pod): readonly Ip[] | string | undefined {
  const podIPs = pod.status?.podIPs;
  const podIP = pod.status?.podIP;
  if ((podIPs === undefined || podIPs.length === 0) && podIP !== undefined && _isCanonicalIp(podIP)) return podIP;
  const list = ipsOf([podIP, ...(podIPs ?? []).map((p) => p.ip)]);
  return list.length === 0 ? undefined : list;
}

function _addPods(inp: SnapshotInput, interner: _Interner, weps: Map<string, Workload>): void {
  for (const r of inp.pods) {
    const pod = r as Pod;
    const ns = namespaceOf(pod) || 'default';
    const name = nameOf(pod);
    const key = keyOf(ns, name);
    const phase = pod.status?.phase;
    const ips = pod.spec?.hostNetwork === true || phase === 'Succeeded' || phase === 'Failed' ? undefined : _podIps(pod);
    if (ips === undefined) {
      weps.delete(key); // a skipped pod also drops an earlier duplicate (see dedupe): the last one wins
      continue;
    }
    const sa = pod.spec?.serviceAccountName || 'default';
    const own = pod.metadata?.labels ?? _noLabels;
    const g = interner.group(ns, sa);
    weps.set(key, new Workload(key, g, name, pod.spec?.nodeName ?? '', ips, interner.podPorts(pod), own, interner.labelSet(g, own)));
  }
}

/** Labels a WorkloadEndpoint inherits from its profiles (namespace, service account, explicit ones). */
function _inheritedLabels(inp: SnapshotInput, profiles: readonly string[]): Record<string, string> {
  const inherited: Record<string, string> = {};
  for (const p of profiles) {
    if (p.startsWith('kns.') && !inp.explicitProfiles.has(p)) Object.assign(inherited, prefixed(NS_PREFIX, inp.nsLabelsOf(p.slice(4)), p.slice(4)));
    else if (p.startsWith('ksa.') && !inp.explicitProfiles.has(p)) {
      const rest = p.slice(4);
      const dot = rest.indexOf('.');
      const sa = dot < 0 ? rest : rest.slice(dot + 1);
      Object.assign(inherited, prefixed(SA_PREFIX, inp.saLabels.get(`${rest.slice(0, Math.max(dot, 0))}/${sa}`), sa));
    } else Object.assign(inherited, inp.profileLabels(p));
  }
  return inherited;
}

function _addWorkloadEndpoints(inp: SnapshotInput, interner: _Interner, weps: Map<string, Workload>): void {
  for (const r of inp.byKind('WorkloadEndpoint')) {
    const w = r as WorkloadEndpoint;
    const ns = namespaceOf(w) || 'default';
    const spec = w.spec ?? {};
    const name = spec.pod || spec.workload || nameOf(w);
    const ips = ipsOf(spec.ipNetworks ?? []);
    if (ips.length === 0) continue;
    const profiles = spec.profiles ?? [];
    const own = w.metadata?.labels ?? {};
    const labels: Record<string, string> = Object.assign({}, _inheritedLabels(inp, profiles), own);
    labels[LABEL_NAMESPACE] = ns;
    if (labels[LABEL_ORCHESTRATOR] === undefined && spec.orchestrator) labels[LABEL_ORCHESTRATOR] = spec.orchestrator;
    const sa = spec.serviceAccountName ?? own[LABEL_SERVICE_ACCOUNT] ?? '';
    if (sa !== '') labels[LABEL_SERVICE_ACCOUNT] = sa;
    const key = keyOf(ns, name);
    const ports = interner.ports((spec.ports ?? []).filter((p) => p.name && p.port !== undefined).map((p) => ({ name: p.name!, proto: protoOr(p.protocol, PROTO.TCP), port: p.port! })));
    const group: WorkloadGroup = { namespace: ns, serviceAccount: sa, profiles };
    weps.set(key, new Workload(key, group, name, spec.node ?? '', ips, ports, own, new LabelSet(Object.freeze(labels))));
  }
}

export interface Workloads {
  /** Sorted by key; `index` is the position. */
  readonly workloads: readonly Workload[];
  /** A binary search over the sorted workloads. */
  readonly workloadByKey: ReadonlyMap<string, WorkloadEndpointInfo>;
  /** A sorted typed array of addresses (workload-index.ts); a conflict is a snapshot problem. */
  readonly workloadByIp: ReadonlyMap<string, WorkloadEndpointInfo>;
}

export function buildWorkloads(inp: SnapshotInput): Workloads {
  const weps = new Map<string, Workload>();
  const interner = new _Interner(inp);
  _addPods(inp, interner, weps);
  _addWorkloadEndpoints(inp, interner, weps);
  const keys = [...weps.keys()].sort();
  const workloads: Workload[] = new Array<Workload>(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const w = weps.get(keys[i]!)!;
    w.index = i;
    workloads[i] = w;
  }
  const byIp = new IpIndex<Workload>(workloads, (w) => w.ipTexts());
  for (const c of byIp.conflicts) inp.problems.push({ resource: `Pod ${c.loser.key}`, message: `IP ${c.ip} is also used by ${c.owner.key}` });
  return { workloads, workloadByKey: new SortedKeyMap(workloads), workloadByIp: byIp };
}
