/**
 * @module recommend(snapshot, records, opts): least-privilege policies from observed allowed
 * flows. Pure; the output depends only on the set of records and the snapshot (sorted
 * everywhere), never on their order.
 *
 * - One policy per workload (identity.ts) of the namespaces in scope that took part in an
 *   observed allowed flow, named `recommended-<workload>`, namespace-scoped, selecting the
 *   workload by its identifying labels, with both directions (Ingress and Egress): what was not
 *   observed in a direction is not admitted.
 * - Ingress: one rule per (peer, protocol) with the destination ports seen; egress likewise.
 *   Peers: pods by their workload's identifying labels (with a namespace selector on
 *   `kubernetes.io/metadata.name` for another namespace), host endpoints by address, network
 *   sets by their labels (Calico) or addresses (Kubernetes), and addresses outside the cluster as
 *   one NetworkSet per workload, direction and port set (Calico) or ipBlocks (Kubernetes).
 * - `kind: 'calico'`: projectcalico.org/v3 StagedNetworkPolicy (`stagedAction: Set`), or
 *   NetworkPolicy when not staged; `kind: 'k8s'`: StagedKubernetesNetworkPolicy, or
 *   networking.k8s.io/v1 NetworkPolicy. A Kubernetes NetworkPolicy cannot name ICMP (or any
 *   protocol but TCP, UDP and SCTP): a peer seen with one gets a rule without ports (all
 *   protocols), and its `admits` line says so.
 * - Records whose endpoints cannot be named by labels or address (a pod without labels, an
 *   address folded away by aggregation) are left out with a note.
 */
import type { Resource } from '../../model/meta.js';
import type { FlowEndpoint, FlowRecord } from '../../model/flows.js';
import type { Snapshot } from '../snapshot.js';
import { protocolName, protocolNumber, PROTO } from '../match.js';
import { ipFromText } from '../ip.js';
import { calicoSelector, dnsLabel, identifyingLabels, labelKey, shortHash, stableLabels, workloadName, type Labels } from './identity.js';

export type RecommendKind = 'k8s' | 'calico';

export interface RecommendOptions {
  readonly kind: RecommendKind;
  /** Write staged kinds (default true). */
  readonly staged?: boolean;
  /** Only workloads of this namespace get policies (peers may be anywhere). */
  readonly namespace?: string;
}

/** A workload: the pods of a namespace with the same stable labels. */
export interface Workload {
  /** `<namespace>/<name>` */
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly stable: Labels;
  readonly identifying: Labels;
  /** Its pods in the snapshot (`ns/pod`), sorted. */
  readonly pods: readonly string[];
}

/** One observed allowed flow, in the terms the proof evaluates. */
export interface ObservedFlow {
  /** What the engine resolves: `ns/pod` or an address; undefined when nothing current can stand for it. */
  readonly from: string | undefined;
  readonly to: string | undefined;
  /** Why from/to is undefined. */
  readonly unresolved?: string;
  /** Readable ends: `workload ns/name`, `external 198.18.0.9`, ... */
  readonly fromText: string;
  readonly toText: string;
  /** Workload ids of the ends (for the proof's classes); undefined for non-pods. */
  readonly fromWorkload: string | undefined;
  readonly toWorkload: string | undefined;
  /** `TCP`, `UDP`, `SCTP`, `ICMP`, `ICMPv6` or a number. */
  readonly protocol: string;
  /** Destination port; 0 for protocols without ports. */
  readonly port: number;
  readonly connections: number;
}

export interface Proposal {
  readonly workload: Workload;
  /** The policy (staged or enforced form, as asked). */
  readonly policy: Resource;
  /** NetworkSets the policy's rules select (Calico kind, addresses outside the cluster). */
  readonly networkSets: readonly Resource[];
  /** What the policy admits, one line per rule, e.g. `ingress from workload demo/client (app=client): TCP 80`. */
  readonly admits: readonly string[];
}

export interface Recommendation {
  readonly kind: RecommendKind;
  readonly staged: boolean;
  readonly proposals: readonly Proposal[];
  /** Every workload known (the snapshot's pods and the flows' pods), sorted by id. */
  readonly workloads: readonly Workload[];
  /** Every distinct observed allowed flow that touches a workload in scope, sorted. */
  readonly observed: readonly ObservedFlow[];
  /** Records left out and why, sorted. */
  readonly notes: readonly string[];
}

type _PeerKind = 'workload' | 'hostEndpoint' | 'networkSet' | 'globalNetworkSet' | 'external';

interface _Peer {
  readonly kind: _PeerKind;
  /** Identity for grouping and sorting. */
  readonly key: string;
  readonly text: string;
  readonly namespace: string;
  /** Selector labels (workload: identifying labels; sets: the set's labels). */
  readonly labels: Labels;
  /** Addresses (/32 or /128) when the peer is named by address. */
  readonly nets: readonly string[];
}

interface _End {
  readonly peer: _Peer | undefined;
  /** The workload (pods only). */
  readonly workload: Workload | undefined;
  /** What the engine resolves now. */
  readonly engineName: string | undefined;
  readonly why?: string;
}

const K8S_META_NAME = 'kubernetes.io/metadata.name';
/** The label a recommended NetworkSet carries (its own name), for the rules that select it. */
export const NETWORK_SET_LABEL = 'tabby.dev/network-set';

const _hostNet = (ip: string): string | undefined => {
  const p = ipFromText(ip);
  return p === undefined ? undefined : `${p.text}/${p.family === 4 ? 32 : 128}`;
};

const _labelsText = (l: Labels): string => labelKey(l) || 'no labels';

/** The protocol as a policy names it; undefined for one it cannot parse. */
function _proto(p: string): string | undefined {
  const n = protocolNumber(p);
  return n === undefined ? undefined : protocolName(n);
}

const _hasPorts = (proto: string): boolean => {
  const n = protocolNumber(proto);
  return n === PROTO.TCP || n === PROTO.UDP || n === PROTO.SCTP || n === PROTO.UDPLite;
};

/** Workloads of every namespace: from the snapshot's pods and from the flows' pod endpoints. */
class _Workloads {
  readonly #byNs = new Map<string, Map<string, { stable: Labels; pods: Set<string> }>>();
  #built: Map<string, Map<string, Workload>> | undefined;

  add(namespace: string, labels: Labels, pod: string | undefined): void {
    const stable = stableLabels(labels);
    const k = labelKey(stable);
    let ns = this.#byNs.get(namespace);
    if (ns === undefined) this.#byNs.set(namespace, (ns = new Map()));
    let w = ns.get(k);
    if (w === undefined) ns.set(k, (w = { stable, pods: new Set() }));
    if (pod !== undefined) w.pods.add(pod);
  }

  all(): Workload[] {
    this.#built ??= this.#build();
    return [...this.#built.values()].flatMap((m) => [...m.values()]).sort((a, b) => _cmp(a.id, b.id));
  }

  get(namespace: string, labels: Labels): Workload | undefined {
    this.#built ??= this.#build();
    return this.#built.get(namespace)?.get(labelKey(stableLabels(labels)));
  }

  #build(): Map<string, Map<string, Workload>> {
    const out = new Map<string, Map<string, Workload>>();
    for (const [ns, ws] of this.#byNs) {
      const all = [...ws.values()].map((w) => w.stable);
      const named = [...ws.entries()].map(([k, w]) => {
        const identifying = identifyingLabels(w.stable, all);
        return { k, w, identifying, name: workloadName(identifying) };
      });
      const count = new Map<string, number>();
      for (const n of named) count.set(n.name, (count.get(n.name) ?? 0) + 1);
      const m = new Map<string, Workload>();
      for (const n of named) {
        const name = count.get(n.name)! > 1 ? dnsLabel(`${n.name}-${shortHash(n.k)}`) : n.name;
        m.set(n.k, { id: `${ns}/${name}`, namespace: ns, name, stable: n.w.stable, identifying: n.identifying, pods: [...n.w.pods].sort() });
      }
      out.set(ns, m);
    }
    return out;
  }
}

function _end(snap: Snapshot, wls: _Workloads, e: FlowEndpoint): _End {
  switch (e.kind) {
    case 'wep': {
      const pod = snap.workloadByKey.get(`${e.namespace}/${e.name}`);
      const w = wls.get(e.namespace, pod?.podLabels ?? e.labels);
      if (w === undefined) return { peer: undefined, workload: undefined, engineName: undefined, why: `pod ${e.namespace}/${e.name}: unknown` };
      // The pod itself when it still runs, else a current replica of its workload.
      const engineName = pod !== undefined ? pod.key : w.pods[0];
      if (Object.keys(w.identifying).length === 0)
        return { peer: undefined, workload: w, engineName, why: `pod ${e.namespace}/${e.name} has no labels but per-instance ones: label its workload to get a recommendation` };
      const peer: _Peer = { kind: 'workload', key: `0|${w.id}`, text: `workload ${w.id} (${_labelsText(w.identifying)})`, namespace: e.namespace, labels: w.identifying, nets: [] };
      return { peer, workload: w, engineName, ...(engineName === undefined ? { why: `no pod of workload ${w.id} runs now` } : {}) };
    }
    case 'hep': {
      const net = _hostNet(e.ip);
      if (net === undefined) return { peer: undefined, workload: undefined, engineName: undefined, why: `host endpoint ${e.name}: no address in the record` };
      return { peer: { kind: 'hostEndpoint', key: `1|${net}`, text: `host endpoint ${e.name === '' ? e.ip : e.name} (${net})`, namespace: '', labels: {}, nets: [net] }, workload: undefined, engineName: e.ip };
    }
    case 'networkset':
    case 'globalnetworkset': {
      const global = e.kind === 'globalnetworkset';
      const labels = stableLabels(e.labels);
      const net = _hostNet(e.ip);
      const name = global ? e.name : `${e.namespace}/${e.name}`;
      if (Object.keys(labels).length === 0 && net === undefined) return { peer: undefined, workload: undefined, engineName: undefined, why: `network set ${name}: no labels and no address` };
      const peer: _Peer = {
        kind: global ? 'globalNetworkSet' : 'networkSet',
        key: `2|${global ? '' : e.namespace}|${labelKey(labels)}|${Object.keys(labels).length === 0 ? (net ?? '') : ''}`,
        text: `${global ? 'global network set' : 'network set'} ${name} (${_labelsText(labels)})`,
        namespace: global ? '' : e.namespace,
        labels,
        nets: net === undefined ? [] : [net],
      };
      return { peer, workload: undefined, engineName: net === undefined ? undefined : e.ip, ...(net === undefined ? { why: `network set ${name}: no address in the record` } : {}) };
    }
    case 'net': {
      const net = _hostNet(e.ip);
      if (net === undefined) return { peer: undefined, workload: undefined, engineName: undefined, why: 'an address outside the cluster folded away by aggregation (no ip in the record)' };
      return { peer: { kind: 'external', key: `3|${net}`, text: `external ${e.ip}`, namespace: '', labels: {}, nets: [net] }, workload: undefined, engineName: e.ip };
    }
  }
}

interface _Entry {
  readonly peer: _Peer;
  readonly protocol: string;
  readonly ports: Set<number>;
}

/** Per workload and direction: peer key → protocol → ports. */
class _Rules {
  readonly ingress = new Map<string, _Entry>();
  readonly egress = new Map<string, _Entry>();
  constructor(readonly workload: Workload) {}
  add(dir: 'ingress' | 'egress', peer: _Peer, protocol: string, port: number): void {
    const m = this[dir];
    const k = `${peer.key}|${protocol}`;
    let e = m.get(k);
    if (e === undefined) {
      e = { peer, protocol, ports: new Set() };
      m.set(k, e);
    } else if (peer.nets.length > 0 && peer.kind !== 'external' && peer.kind !== 'hostEndpoint') {
      // a label-less network set seen at several addresses: keep them all
      e = { peer: { ...e.peer, nets: [...new Set([...e.peer.nets, ...peer.nets])].sort() }, protocol, ports: e.ports };
      m.set(k, e);
    }
    if (_hasPorts(protocol) && port > 0) e.ports.add(port);
  }
}

const _cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Proposals for the workloads in scope, from the allowed records (see the module doc). */
export function recommend(snap: Snapshot, records: readonly FlowRecord[], opts: RecommendOptions): Recommendation {
  const staged = opts.staged ?? true;
  const wls = new _Workloads();
  for (const w of snap.workloads) wls.add(w.namespace, w.podLabels, w.key);
  for (const r of records)
    for (const e of [r.source, r.dest]) if (e.kind === 'wep') wls.add(e.namespace, snap.workloadByKey.get(`${e.namespace}/${e.name}`)?.podLabels ?? e.labels, undefined);

  const inScope = (w: Workload | undefined): w is Workload => w !== undefined && (opts.namespace === undefined || w.namespace === opts.namespace);
  const notes = new Set<string>();
  const rules = new Map<string, _Rules>();
  const observed = new Map<string, ObservedFlow>();
  const rulesOf = (w: Workload): _Rules => rules.get(w.id) ?? rules.set(w.id, new _Rules(w)).get(w.id)!;

  for (const r of records) {
    if (r.action !== 'allow') continue;
    const protocol = _proto(String(r.protocol));
    const src = _end(snap, wls, r.source);
    const dst = _end(snap, wls, r.dest);
    if (!inScope(src.workload) && !inScope(dst.workload)) continue;
    if (protocol === undefined) {
      notes.add(`a flow with the unknown protocol ${JSON.stringify(r.protocol)} is left out`);
      continue;
    }
    const port = _hasPorts(protocol) ? r.destPort : 0;
    const fromText = src.peer?.text ?? src.why ?? '?';
    const toText = dst.peer?.text ?? dst.why ?? '?';
    // Observed even when an end cannot be named in a rule: the proof then shows it cut.
    if (src.peer === undefined || dst.peer === undefined)
      notes.add(`no rule for ${fromText} → ${toText} ${protocol}${port > 0 ? ` ${port}` : ''}: ${(src.peer === undefined ? src.why : dst.why) ?? 'unnamed endpoint'}`);
    else {
      if (inScope(dst.workload)) rulesOf(dst.workload).add('ingress', src.peer, protocol, port);
      if (inScope(src.workload)) rulesOf(src.workload).add('egress', dst.peer, protocol, port);
    }
    const ok = src.engineName !== undefined && dst.engineName !== undefined;
    const key = `${fromText}|${src.engineName ?? ''}|${toText}|${dst.engineName ?? ''}|${protocol}|${port}`;
    const prev = observed.get(key);
    observed.set(key, {
      from: ok ? src.engineName : undefined,
      to: ok ? dst.engineName : undefined,
      ...(ok ? {} : { unresolved: (src.engineName === undefined ? src.why : dst.why) ?? 'no current endpoint' }),
      fromText,
      toText,
      fromWorkload: src.workload?.id,
      toWorkload: dst.workload?.id,
      protocol,
      port,
      connections: (prev?.connections ?? 0) + r.connections,
    });
  }

  const proposals = [...rules.values()]
    .sort((a, b) => _cmp(a.workload.id, b.workload.id))
    .map((r) => (opts.kind === 'calico' ? _calicoPolicy(r, staged) : _k8sPolicy(r, staged)));
  const flows = [...observed.entries()].sort((a, b) => _cmp(a[0], b[0])).map(([, f]) => f);
  return { kind: opts.kind, staged, proposals, workloads: wls.all(), observed: flows, notes: [...notes].sort() };
}

const _entries = (m: Map<string, _Entry>): _Entry[] => [...m.values()].sort((a, b) => _cmp(a.peer.key, b.peer.key) || _cmp(a.protocol, b.protocol));
const _ports = (e: _Entry): number[] => [...e.ports].sort((a, b) => a - b);
const _portsText = (e: _Entry): string => {
  const p = _ports(e);
  return p.length === 0 ? e.protocol : `${e.protocol} ${p.join(', ')}`;
};

function _meta(w: Workload): { name: string; namespace: string; labels: Record<string, string> } {
  return { name: `recommended-${w.name}`, namespace: w.namespace, labels: { 'tabby.dev/recommended': 'true' } };
}

// ---------------------------------------------------------------------------------------------
// Calico

function _calicoPolicy(r: _Rules, staged: boolean): Proposal {
  const w = r.workload;
  const meta = _meta(w);
  const networkSets: Resource[] = [];
  const admits: string[] = [];
  const dirRules = (dir: 'ingress' | 'egress'): Record<string, unknown>[] => {
    const entries = _entries(r[dir]);
    // Addresses outside the cluster: one NetworkSet per protocol+ports signature.
    const external = new Map<string, { nets: Set<string>; entries: _Entry[] }>();
    for (const e of entries) {
      if (e.peer.kind !== 'external') continue;
      const sig = `${e.protocol}|${_ports(e).join(',')}`;
      const g = external.get(sig) ?? external.set(sig, { nets: new Set(), entries: [] }).get(sig)!;
      for (const n of e.peer.nets) g.nets.add(n);
      g.entries.push(e);
    }
    const out: Record<string, unknown>[] = [];
    const word = dir === 'ingress' ? 'from' : 'to';
    for (const e of entries) {
      if (e.peer.kind === 'external') continue;
      const peer: Record<string, unknown> = {};
      switch (e.peer.kind) {
        case 'workload':
          peer['selector'] = calicoSelector(e.peer.labels);
          if (e.peer.namespace !== w.namespace) peer['namespaceSelector'] = `${K8S_META_NAME} == '${e.peer.namespace}'`;
          break;
        case 'networkSet':
        case 'globalNetworkSet':
          if (Object.keys(e.peer.labels).length === 0) peer['nets'] = [...e.peer.nets];
          else {
            peer['selector'] = calicoSelector(e.peer.labels);
            if (e.peer.kind === 'globalNetworkSet') peer['namespaceSelector'] = 'global()';
            else if (e.peer.namespace !== w.namespace) peer['namespaceSelector'] = `${K8S_META_NAME} == '${e.peer.namespace}'`;
          }
          break;
        case 'hostEndpoint':
          peer['nets'] = [...e.peer.nets];
          break;
      }
      out.push(_calicoRule(dir, e, peer));
      admits.push(`${dir} ${word} ${e.peer.text}: ${_portsText(e)}`);
    }
    const groups = [...external.entries()].sort((a, b) => _cmp(a[0], b[0]));
    groups.forEach(([sig, g]) => {
      const name = dnsLabel(`${meta.name}-${dir}${groups.length > 1 ? `-${shortHash(sig)}` : ''}`, 63);
      const nets = [...g.nets].sort();
      networkSets.push({
        apiVersion: 'projectcalico.org/v3',
        kind: 'NetworkSet',
        metadata: { name, namespace: w.namespace, labels: { [NETWORK_SET_LABEL]: name, 'tabby.dev/recommended': 'true' } },
        spec: { nets },
      } as Resource);
      const e = g.entries[0]!;
      out.push(_calicoRule(dir, e, { selector: `${NETWORK_SET_LABEL} == '${name}'` }));
      admits.push(`${dir} ${word} outside the cluster, network set ${name} (${nets.join(', ')}): ${_portsText(e)}`);
    });
    return out;
  };
  const ingress = dirRules('ingress');
  if (ingress.length === 0) admits.push('ingress: nothing (none observed)');
  const egress = dirRules('egress');
  if (egress.length === 0) admits.push('egress: nothing (none observed)');
  const spec: Record<string, unknown> = {
    ...(staged ? { stagedAction: 'Set' } : {}),
    tier: 'default',
    selector: calicoSelector(w.identifying),
    types: ['Ingress', 'Egress'],
    ingress,
    egress,
  };
  const policy = { apiVersion: 'projectcalico.org/v3', kind: staged ? 'StagedNetworkPolicy' : 'NetworkPolicy', metadata: meta, spec } as Resource;
  return { workload: w, policy, networkSets, admits };
}

function _calicoRule(dir: 'ingress' | 'egress', e: _Entry, peer: Record<string, unknown>): Record<string, unknown> {
  const ports = _ports(e);
  const rule: Record<string, unknown> = { action: 'Allow', protocol: e.protocol };
  if (dir === 'ingress') {
    rule['source'] = peer;
    if (ports.length > 0) rule['destination'] = { ports };
  } else rule['destination'] = ports.length > 0 ? { ...peer, ports } : peer;
  return rule;
}

// ---------------------------------------------------------------------------------------------
// Kubernetes

function _k8sPolicy(r: _Rules, staged: boolean): Proposal {
  const w = r.workload;
  const admits: string[] = [];
  const dirRules = (dir: 'ingress' | 'egress'): Record<string, unknown>[] => {
    // One rule per peer, with the ports of every protocol seen from it.
    const byPeer = new Map<string, { peer: _Peer; entries: _Entry[] }>();
    for (const e of _entries(r[dir])) (byPeer.get(e.peer.key) ?? byPeer.set(e.peer.key, { peer: e.peer, entries: [] }).get(e.peer.key)!).entries.push(e);
    const word = dir === 'ingress' ? 'from' : 'to';
    const out: Record<string, unknown>[] = [];
    for (const { peer, entries } of byPeer.values()) {
      let peers: Record<string, unknown>[];
      if (peer.kind === 'workload') {
        const p: Record<string, unknown> = { podSelector: { matchLabels: { ...peer.labels } } };
        if (peer.namespace !== w.namespace) p['namespaceSelector'] = { matchLabels: { [K8S_META_NAME]: peer.namespace } };
        peers = [p];
      } else peers = peer.nets.map((cidr) => ({ ipBlock: { cidr } }));
      const allProtocols = entries.some((e) => !['TCP', 'UDP', 'SCTP'].includes(e.protocol));
      const rule: Record<string, unknown> = { [dir === 'ingress' ? 'from' : 'to']: peers };
      if (allProtocols) {
        admits.push(
          `${dir} ${word} ${peer.text}: every protocol and port (${entries.map(_portsText).join('; ')} seen; a Kubernetes NetworkPolicy cannot name ${entries
            .filter((e) => !['TCP', 'UDP', 'SCTP'].includes(e.protocol))
            .map((e) => e.protocol)
            .join(', ')})`,
        );
      } else {
        const ports: Record<string, unknown>[] = [];
        for (const e of entries) {
          const list = _ports(e);
          if (list.length === 0) ports.push({ protocol: e.protocol });
          for (const port of list) ports.push({ protocol: e.protocol, port });
        }
        rule['ports'] = ports;
        admits.push(`${dir} ${word} ${peer.text}: ${entries.map(_portsText).join('; ')}`);
      }
      out.push(rule);
    }
    return out;
  };
  const ingress = dirRules('ingress');
  if (ingress.length === 0) admits.push('ingress: nothing (none observed)');
  const egress = dirRules('egress');
  if (egress.length === 0) admits.push('egress: nothing (none observed)');
  const spec: Record<string, unknown> = {
    ...(staged ? { stagedAction: 'Set' } : {}),
    podSelector: { matchLabels: { ...w.identifying } },
    policyTypes: ['Ingress', 'Egress'],
    ingress,
    egress,
  };
  const policy = staged
    ? ({ apiVersion: 'projectcalico.org/v3', kind: 'StagedKubernetesNetworkPolicy', metadata: _meta(w), spec } as Resource)
    : ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: _meta(w), spec } as Resource);
  return { workload: w, policy, networkSets: [], admits };
}
