/**
 * @module The differential test: seeded random clusters and policies, applied to a running lab,
 * probed with real packets and compared with the engine's verdicts flow by flow.
 *
 * The physical pods are set up once (POOL_PODS pods spread over the workers, in namespaces
 * `va` and `vb`, each serving TCP 80 and 8080 and UDP 53). Each case then randomises everything
 * policy depends on: pod labels, namespace labels, which pod backs the Service `va/vsvc`
 * (port 8081 → 8080; always exactly one backend, so the real choice is deterministic), and
 * 1-4 policies: Kubernetes NetworkPolicies (pod and namespace selectors, both together,
 * ipBlocks with except, ports, ingress and egress) and Calico NetworkPolicies and
 * GlobalNetworkPolicies (Allow/Deny/Pass/Log, orders, nets, protocols, ports, selectors); and in
 * about half the cases cluster-admin policy in front of and behind them: 1-2
 * AdminNetworkPolicies (distinct priorities; namespaces/pods subjects; Allow/Deny/Pass rules with
 * namespaces, pods, networks and nodes peers, port numbers, ranges and named ports) and the
 * BaselineAdminNetworkPolicy `default`. These come from their own random stream, so the other
 * policies of a seed stay what they were. With `manyPolicies` a case has 10-16 Calico policies
 * with mostly port-bounded rules over many ports instead (see VerifyOptions).
 * After the writes the lab settles (the controller and every agent have programmed the last
 * write revision), then every flow of the case is probed.
 *
 * Flows: pod → pod (TCP 80, TCP 8080, UDP 53, ICMP; a pod → itself included), pod → Service ClusterIP, and worker →
 * pods on other workers. Worker → pods on the same worker is left out unless asked for:
 * the dataplane (like Felix) does not police host → local workload traffic; see the report.
 *
 * IP family (`ipFamily`, on a dual-stack lab for 6 and dual): 4 probes the IPv4 flows above; 6
 * the same pod → pod and worker → pod flows to the pods' IPv6 addresses (ping is ICMPv6; the
 * lab's Services are IPv4, so no Service flow); dual both. With 6 or dual the generated ipBlocks
 * and nets name IPv6 pod addresses too (6: only; dual: every other pod), so rules of both
 * families are exercised; the random choices, and so the cases of a seed, are the same.
 */
import type { Lab, PodRecord } from './controller.js';
import { snapshotOf } from './controller.js';
import { engineInput, runProbe, type ProbeFlow, type ProbeRow } from './probe.js';
import { computeDesiredState, runVerdicts, type Snapshot } from '../engine/index.js';
import { PREFIX, render } from '../dataplane/render/index.js';
import type { ResourceType, StoredObject } from '../datastore/index.js';
import { mulberry32 } from '../lib/prng.js';

export const POOL_PODS = 4;
const NAMESPACES = ['va', 'vb'] as const;
const POD_TYPE: ResourceType = { group: '', plural: 'pods' };
const NS_TYPE: ResourceType = { group: '', plural: 'namespaces' };

/** The seeded PRNG that generates verify cases (lib/prng.ts). */
export const rng = mulberry32;

interface Gen {
  readonly r: () => number;
  pick<T>(xs: readonly T[]): T;
  chance(p: number): boolean;
  int(lo: number, hi: number): number;
}

function _gen(r: () => number): Gen {
  return {
    r,
    pick: (xs) => xs[Math.floor(r() * xs.length)]!,
    chance: (p) => r() < p,
    int: (lo, hi) => lo + Math.floor(r() * (hi - lo + 1)),
  };
}

export interface PoolPod {
  readonly namespace: string;
  readonly name: string;
}

export function poolPods(): PoolPod[] {
  return Array.from({ length: POOL_PODS }, (_, i) => ({ namespace: NAMESPACES[i % NAMESPACES.length]!, name: `vp${i}` }));
}

export interface CaseSpec {
  readonly podLabels: readonly Record<string, string>[];
  readonly nsLabels: Readonly<Record<string, Record<string, string>>>;
  readonly policies: readonly unknown[];
}

const APPS = ['web', 'db', 'api'];
const TIERS = ['fe', 'be'];
const TEAMS = ['x', 'y'];

export type IpFamilyOption = 4 | 6 | 'dual';

/** The addresses ipBlocks and nets pick from: the pods' IPv4 ones, IPv6 ones (6), or every other pod's IPv6 (dual). */
function _peerIps(pods: readonly PodRecord[], family: IpFamilyOption): string[] {
  return pods.map((p, i) => (p.ip6 !== undefined && (family === 6 || (family === 'dual' && i % 2 === 1)) ? p.ip6 : p.ip));
}

/** `a/32` or `a/128`. */
const _hostNet = (ip: string): string => (ip.includes(':') ? `${ip}/128` : `${ip}/32`);
/** The address's /16 (IPv4) or /48 (IPv6): all of the lab's pods. */
const _wideNet = (ip: string): string => (ip.includes(':') ? `${ip.split(':').slice(0, 3).join(':')}::/48` : `${ip.split('.').slice(0, 2).join('.')}.0.0/16`);

/** One random case (pure): labels and policies; `pods[i]` gets `podLabels[i]`. */
export function generateCase(seed: number, index: number, pods: readonly PodRecord[], family: IpFamilyOption = 4, many = false): CaseSpec {
  const g = _gen(rng(seed * 100_003 + index));
  const pool = poolPods();
  const podLabels = pool.map(() => {
    const l: Record<string, string> = { app: g.pick(APPS) };
    if (g.chance(0.6)) l['tier'] = g.pick(TIERS);
    return l;
  });
  const backends = pool.map((p, i) => (p.namespace === 'va' ? i : -1)).filter((i) => i >= 0);
  podLabels[g.pick(backends)]!['svc'] = 'vsvc';
  const nsLabels: Record<string, Record<string, string>> = {};
  for (const ns of NAMESPACES) nsLabels[ns] = g.chance(0.8) ? { team: g.pick(TEAMS) } : {};
  const ips = _peerIps(pods, family);
  const policies: unknown[] = [];
  const n = many ? g.int(10, 16) : g.int(1, 4);
  for (let k = 0; k < n; k++) policies.push(!many && g.chance(0.6) ? _k8sPolicy(g, k, ips) : _calicoPolicy(g, k, ips, many));
  policies.push(..._adminPolicies(_gen(rng(seed * 100_003 + index + 0x2a4e9)), ips));
  return { podLabels, nsLabels, policies };
}

const ADMIN_GROUP = 'policy.networking.k8s.io/v1alpha1';

function _adminSelector(g: Gen): Record<string, unknown> {
  return g.chance(0.25) ? {} : g.chance(0.5) ? { matchLabels: _matchLabels(g) } : { matchExpressions: [{ key: 'app', operator: 'In', values: [g.pick(APPS), g.pick(APPS)] }] };
}

function _adminNamespaces(g: Gen): Record<string, unknown> {
  return g.pick([{}, { matchLabels: { team: g.pick(TEAMS) } }, { matchLabels: { 'kubernetes.io/metadata.name': g.pick(NAMESPACES) } }]);
}

function _adminPeer(g: Gen, ips: readonly string[], egress: boolean): unknown {
  switch (g.int(0, egress ? 4 : 1)) {
    case 0:
      return { namespaces: _adminNamespaces(g) };
    case 1:
      return { pods: { namespaceSelector: _adminNamespaces(g), podSelector: _adminSelector(g) } };
    case 2:
      return { networks: [_hostNet(g.pick(ips))] };
    case 3:
      return { networks: [_wideNet(g.pick(ips))] };
    default:
      return { nodes: g.chance(0.5) ? {} : { matchLabels: { 'kubernetes.io/os': 'linux' } } };
  }
}

function _adminPorts(g: Gen, named: boolean): unknown[] | undefined {
  if (g.chance(0.45)) return undefined;
  const all = [
    { portNumber: { protocol: 'TCP', port: 80 } },
    { portNumber: { protocol: 'TCP', port: 8080 } },
    { portNumber: { protocol: 'UDP', port: 53 } },
    { portRange: { protocol: 'TCP', start: 8000, end: 8100 } },
    { portRange: { protocol: 'TCP', start: 70, end: 90 } },
    { namedPort: 'alt' },
  ];
  // the CRD's CEL rule: a rule with a networks or nodes peer takes no namedPort
  const opts = named ? all : all.filter((p) => !('namedPort' in p));
  const out = [g.pick(opts)];
  if (g.chance(0.3)) out.push(g.pick(opts));
  return out;
}

function _adminRules(g: Gen, ips: readonly string[], egress: boolean, actions: readonly string[]): unknown[] {
  return Array.from({ length: g.int(0, 3) }, (_, i) => {
    const peers = Array.from({ length: g.int(1, 2) }, () => _adminPeer(g, ips, egress) as Record<string, unknown>);
    const rule: Record<string, unknown> = { name: `r${i}`, action: g.pick(actions), [egress ? 'to' : 'from']: peers };
    const ports = _adminPorts(g, !peers.some((p) => 'networks' in p || 'nodes' in p));
    if (ports !== undefined) rule['ports'] = ports;
    return rule;
  });
}

function _adminSpec(g: Gen, ips: readonly string[], actions: readonly string[]): Record<string, unknown> {
  const subject = g.chance(0.5) ? { namespaces: _adminNamespaces(g) } : { pods: { namespaceSelector: _adminNamespaces(g), podSelector: _adminSelector(g) } };
  const spec: Record<string, unknown> = { subject };
  const ingress = _adminRules(g, ips, false, actions);
  const egress = _adminRules(g, ips, true, actions);
  if (ingress.length > 0) spec['ingress'] = ingress;
  if (egress.length > 0) spec['egress'] = egress;
  return spec;
}

/** 0-2 AdminNetworkPolicies with distinct priorities and, sometimes, the BaselineAdminNetworkPolicy. */
function _adminPolicies(g: Gen, ips: readonly string[]): unknown[] {
  if (!g.chance(0.5)) return [];
  const out: unknown[] = [];
  const priorities = [g.int(0, 40), g.int(50, 1000)];
  const n = g.int(1, 2);
  for (let k = 0; k < n; k++)
    out.push({ apiVersion: ADMIN_GROUP, kind: 'AdminNetworkPolicy', metadata: { name: `vanp${k}` }, spec: { priority: priorities[k]!, ..._adminSpec(g, ips, ['Allow', 'Deny', 'Pass']) } });
  if (g.chance(0.6)) out.push({ apiVersion: ADMIN_GROUP, kind: 'BaselineAdminNetworkPolicy', metadata: { name: 'default' }, spec: _adminSpec(g, ips, ['Allow', 'Deny']) });
  return out;
}

function _matchLabels(g: Gen): Record<string, string> {
  const m: Record<string, string> = {};
  if (g.chance(0.7)) m['app'] = g.pick(APPS);
  if (g.chance(0.3)) m['tier'] = g.pick(TIERS);
  return m;
}

function _k8sPeer(g: Gen, ips: readonly string[]): unknown {
  const kind = g.int(0, 4);
  switch (kind) {
    case 0:
      return { podSelector: { matchLabels: _matchLabels(g) } };
    case 1:
      return { namespaceSelector: g.chance(0.3) ? {} : { matchLabels: { team: g.pick(TEAMS) } } };
    case 2:
      return { podSelector: { matchLabels: _matchLabels(g) }, namespaceSelector: { matchLabels: { team: g.pick(TEAMS) } } };
    case 3: {
      const ip = g.pick(ips);
      return { ipBlock: { cidr: _hostNet(ip) } };
    }
    default: {
      const ip = g.pick(ips);
      // An except must lie inside the cidr (and be of its family): pick it among the same family.
      const except = g.pick(ips);
      return { ipBlock: { cidr: _wideNet(ip), except: [_hostNet(except.includes(':') === ip.includes(':') ? except : ip)] } };
    }
  }
}

function _k8sPorts(g: Gen): unknown[] | undefined {
  if (g.chance(0.4)) return undefined;
  const opts = [{ protocol: 'TCP', port: 80 }, { protocol: 'TCP', port: 8080 }, { protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 8000, endPort: 8100 }];
  const out = [g.pick(opts)];
  if (g.chance(0.3)) out.push(g.pick(opts));
  return out;
}

function _k8sRules(g: Gen, ips: readonly string[], dir: 'from' | 'to'): unknown[] {
  const rules: unknown[] = [];
  const n = g.int(0, 2);
  for (let i = 0; i < n; i++) {
    const rule: Record<string, unknown> = {};
    if (g.chance(0.8)) rule[dir] = Array.from({ length: g.int(1, 2) }, () => _k8sPeer(g, ips));
    const ports = _k8sPorts(g);
    if (ports !== undefined) rule['ports'] = ports;
    rules.push(rule);
  }
  return rules;
}

function _k8sPolicy(g: Gen, k: number, ips: readonly string[]): unknown {
  const types = g.pick([['Ingress'], ['Egress'], ['Ingress', 'Egress']]);
  const spec: Record<string, unknown> = { podSelector: g.chance(0.3) ? {} : { matchLabels: _matchLabels(g) }, policyTypes: types };
  if (types.includes('Ingress')) spec['ingress'] = _k8sRules(g, ips, 'from');
  if (types.includes('Egress')) spec['egress'] = _k8sRules(g, ips, 'to');
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: `vk${k}`, namespace: g.pick(NAMESPACES) }, spec };
}

function _calicoSelector(g: Gen): string {
  return g.pick([`app == '${g.pick(APPS)}'`, `tier == '${g.pick(TIERS)}'`, `has(tier)`, `app in {'${g.pick(APPS)}', '${g.pick(APPS)}'}`, 'all()', `!has(svc)`]);
}

/** `--many-policies`: ports of every kind, most of them probed by no flow, so the policies fall in many port classes. */
const _MANY_TCP_PORTS: readonly (number | string)[] = [80, 8080, '8000:8100', 81, 443, '7000:7999', '79:81', 22, '8080:8081', 9090];
const _MANY_UDP_PORTS: readonly (number | string)[] = [53, 54, '50:60', 123];

function _calicoRule(g: Gen, ips: readonly string[], dir: 'ingress' | 'egress', many = false): unknown {
  const rule: Record<string, unknown> = { action: g.pick(['Allow', 'Allow', 'Deny', 'Pass', 'Log']) };
  // Many policies: mostly port-bounded rules (their policies then get class dispatch).
  const proto = many ? g.pick([undefined, 'TCP', 'TCP', 'TCP', 'UDP', 'UDP', 'ICMP']) : g.pick([undefined, 'TCP', 'UDP', 'ICMP']);
  if (proto !== undefined) rule['protocol'] = proto;
  const peer: Record<string, unknown> = {};
  if (g.chance(0.4)) peer['selector'] = _calicoSelector(g);
  if (g.chance(0.2)) peer['nets'] = [_hostNet(g.pick(ips))];
  if (g.chance(0.15)) peer['namespaceSelector'] = `team == '${g.pick(TEAMS)}'`;
  const ports: Record<string, unknown> = {};
  if (many && (proto === 'TCP' || proto === 'UDP') && g.chance(0.9)) {
    const pool = proto === 'UDP' ? _MANY_UDP_PORTS : _MANY_TCP_PORTS;
    ports['ports'] = g.chance(0.3) ? [g.pick(pool), g.pick(pool)] : [g.pick(pool)];
  } else if (!many && (proto === 'TCP' || proto === 'UDP') && g.chance(0.6)) ports['ports'] = [proto === 'UDP' ? 53 : g.pick([80, 8080, '8000:8100'])];
  const other = dir === 'ingress' ? 'source' : 'destination';
  const self = dir === 'ingress' ? 'destination' : 'source';
  if (Object.keys(peer).length > 0) rule[other] = peer;
  if (Object.keys(ports).length > 0) rule[dir === 'ingress' ? self : other] = { ...((rule[dir === 'ingress' ? self : other] as object | undefined) ?? {}), ...ports };
  return rule;
}

function _calicoPolicy(g: Gen, k: number, ips: readonly string[], many = false): unknown {
  const types = g.pick([['Ingress'], ['Egress'], ['Ingress', 'Egress']]);
  const spec: Record<string, unknown> = { selector: _calicoSelector(g), types, order: g.pick([10, 100, 500, 1000, 3000]) };
  const count = (): number => (many ? g.int(1, 3) : g.int(0, 2));
  if (types.includes('Ingress')) spec['ingress'] = Array.from({ length: count() }, () => _calicoRule(g, ips, 'ingress', many));
  if (types.includes('Egress')) spec['egress'] = Array.from({ length: count() }, () => _calicoRule(g, ips, 'egress', many));
  if (g.chance(0.3)) return { apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name: `vg${k}` }, spec: { ...spec, selector: `${spec['selector'] as string} && projectcalico.org/orchestrator == 'k8s'` } };
  return { apiVersion: 'projectcalico.org/v3', kind: 'NetworkPolicy', metadata: { name: `vc${k}`, namespace: g.pick(NAMESPACES) }, spec };
}

export interface VerifyOptions {
  readonly cases: number;
  readonly seed: number;
  readonly timeoutMs?: number;
  /** Also probe worker → pods on the same worker (see the module doc). */
  readonly includeHostLocal?: boolean;
  /** Which flows (see the module doc); 6 and dual need a dual-stack lab. Default 4. */
  readonly ipFamily?: IpFamilyOption;
  /**
   * 10-16 Calico policies per case instead of 1-4, with mostly port-bounded rules over many
   * ports (most of them probed by no flow), so many policies select each pod and fall in
   * different (address, protocol, port) classes: the class dispatch (render/classes.ts; nft
   * verdict maps, iptables class trees) is exercised with real packets.
   */
  readonly manyPolicies?: boolean;
  readonly log?: (line: string) => void;
  /** Progress lines (pool ready, every tenth of the cases), for a terminal. */
  readonly progress?: (line: string) => void;
}

export interface VerifyResult {
  readonly agree: number;
  readonly total: number;
  readonly cases: number;
  /**
   * With `manyPolicies`: endpoint chains (summed over cases and workers) that dispatch by class
   * (render/classes.ts: an nft verdict map, an iptables class tree), as the workers' agents
   * render them, and the cases with at least one, so a run shows the dispatch was exercised.
   */
  readonly classDispatch?: { readonly chains: number; readonly cases: number };
  readonly disagreements: readonly string[];
  readonly ms: number;
}

/** Creates the pod pool and the Service (once). */
export async function preparePool(lab: Lab): Promise<void> {
  let rev = '0';
  for (const ns of NAMESPACES) rev = (await lab.client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })).object.metadata.resourceVersion ?? rev;
  for (const p of poolPods()) {
    const w = await lab.client.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: p.name, namespace: p.namespace, labels: { app: 'web' } },
      spec: { containers: [{ name: 'c', ports: [{ containerPort: 80 }, { containerPort: 8080, name: 'alt' }, { containerPort: 53, protocol: 'UDP' }] }] },
    });
    rev = w.object.metadata.resourceVersion ?? rev;
  }
  const s = await lab.client.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'vsvc', namespace: 'va' }, spec: { selector: { svc: 'vsvc' }, ports: [{ port: 8081, targetPort: 8080 }] } });
  await lab.settle(s.object.metadata.resourceVersion ?? rev, 60_000);
}

async function _setLabels(lab: Lab, type: ResourceType, namespace: string, name: string, labels: Record<string, string>): Promise<string | undefined> {
  for (let i = 0; i < 10; i++) {
    const cur = await lab.ds.get({ ...type, namespace, name });
    if (JSON.stringify(cur.metadata.labels ?? {}) === JSON.stringify(labels)) return undefined;
    try {
      const w = await lab.ds.update(type, { ...cur, metadata: { ...cur.metadata, labels } } as StoredObject);
      return w.metadata.resourceVersion;
    } catch {
      // conflict with the controller's status write: read again
    }
  }
  throw new Error(`labels of ${namespace}/${name} kept conflicting`);
}

const POLICY_TYPES: readonly ResourceType[] = [
  { group: 'networking.k8s.io', plural: 'networkpolicies' },
  { group: 'projectcalico.org', plural: 'networkpolicies' },
  { group: 'projectcalico.org', plural: 'globalnetworkpolicies' },
  { group: 'policy.networking.k8s.io', plural: 'adminnetworkpolicies' },
  { group: 'policy.networking.k8s.io', plural: 'baselineadminnetworkpolicies' },
];

/** Applies one case; returns the highest revision written. */
export async function applyCase(lab: Lab, c: CaseSpec): Promise<string> {
  let rev = 0n;
  const note = (rv: string | undefined): void => {
    if (rv !== undefined && /^\d+$/.test(rv) && BigInt(rv) > rev) rev = BigInt(rv);
  };
  for (const t of POLICY_TYPES)
    for (const o of (await lab.ds.list(t)).items) {
      if (o.metadata.name?.startsWith('knp.')) continue; // the Calico view of a k8s policy
      const d = await lab.ds.delete({ ...t, namespace: o.metadata.namespace ?? '', name: o.metadata.name ?? '' }).catch(() => undefined);
      note(d?.metadata.resourceVersion);
    }
  for (const ns of NAMESPACES) note(await _setLabels(lab, NS_TYPE, '', ns, c.nsLabels[ns] ?? {}));
  const pool = poolPods();
  for (let i = 0; i < pool.length; i++) note(await _setLabels(lab, POD_TYPE, pool[i]!.namespace, pool[i]!.name, c.podLabels[i]!));
  for (const p of c.policies) note((await lab.client.apply(p)).object.metadata.resourceVersion);
  return rev.toString();
}

export function caseFlows(lab: Lab, pods: readonly PodRecord[], svcIp: string | undefined, includeHostLocal: boolean, family: IpFamilyOption = 4): ProbeFlow[] {
  const v4 = family === 6 ? [] : _caseFlows4(lab, pods, svcIp, includeHostLocal);
  return family === 4 ? v4 : [...v4, ..._caseFlows6(lab, pods, includeHostLocal)];
}

/** The IPv6 flows: pod → pod and worker → pod to the pods' IPv6 addresses, judged from the sources' IPv6 addresses. */
function _caseFlows6(lab: Lab, pods: readonly PodRecord[], includeHostLocal: boolean): ProbeFlow[] {
  const flows: ProbeFlow[] = [];
  const six = (p: PodRecord): string => {
    if (p.ip6 === undefined) throw new Error(`verify: pod ${p.key} has no IPv6 address (an IPv6 verify needs a dual-stack lab)`);
    return p.ip6;
  };
  for (const a of pods)
    for (const b of pods)
      for (const [proto, port] of [['tcp', 80], ['tcp', 8080], ['udp', 53], ['icmp', 0]] as const)
        flows.push({ from: a.key, fromIp: six(a), toLabel: b.key, ip: six(b), proto, port });
  for (const w of lab.plan.workers)
    for (const b of pods) {
      if (b.node === w.name && !includeHostLocal) continue;
      if (w.privateIp6 === undefined) throw new Error(`verify: worker ${w.name} has no IPv6 address (an IPv6 verify needs a dual-stack lab)`);
      flows.push({ from: `node:${w.name}`, fromIp: w.privateIp6, toLabel: b.key, ip: six(b), proto: 'tcp', port: 80 });
      flows.push({ from: `node:${w.name}`, fromIp: w.privateIp6, toLabel: b.key, ip: six(b), proto: 'icmp', port: 0 });
    }
  return flows;
}

function _caseFlows4(lab: Lab, pods: readonly PodRecord[], svcIp: string | undefined, includeHostLocal: boolean): ProbeFlow[] {
  const flows: ProbeFlow[] = [];
  for (const a of pods) {
    for (const b of pods) {
      // a === b too: a pod's traffic to itself is not policed, and the engine must agree.
      flows.push({ from: a.key, toLabel: b.key, ip: b.ip, proto: 'tcp', port: 80 });
      flows.push({ from: a.key, toLabel: b.key, ip: b.ip, proto: 'tcp', port: 8080 });
      flows.push({ from: a.key, toLabel: b.key, ip: b.ip, proto: 'udp', port: 53 });
      flows.push({ from: a.key, toLabel: b.key, ip: b.ip, proto: 'icmp', port: 0 });
    }
    if (svcIp !== undefined) flows.push({ from: a.key, toLabel: 'svc va/vsvc', ip: svcIp, proto: 'tcp', port: 8081 });
  }
  for (const w of lab.plan.workers)
    for (const b of pods) {
      if (b.node === w.name && !includeHostLocal) continue;
      flows.push({ from: `node:${w.name}`, toLabel: b.key, ip: b.ip, proto: 'tcp', port: 80 });
      flows.push({ from: `node:${w.name}`, toLabel: b.key, ip: b.ip, proto: 'icmp', port: 0 });
    }
  return flows;
}

function _describe(row: ProbeRow, trace: string): string {
  const f = row.flow;
  return `${f.from} → ${f.toLabel} ${f.ip}${f.proto === 'icmp' ? '' : `:${f.port}`}/${f.proto}: engine ${row.engine}, real ${row.real}${trace ? ` (${trace})` : ''}`;
}

/**
 * Endpoint chains of the lab's workers that dispatch by class for `snapshot`, rendered as the
 * agents render them (the lab's dataplane: a `classMap` rule on nft, a goto into a class tree on iptables).
 */
export function classDispatchChains(lab: Lab, snapshot: Snapshot): number {
  const target = lab.opts.dataplane ?? 'iptables';
  let n = 0;
  for (const w of lab.plan.workers) {
    const r = render(computeDesiredState(snapshot, w.name, snapshot.felixConfig(w.name), {}), { target });
    for (const t of [r.filter, r.raw, r.mangle])
      for (const c of t.chains)
        if (c.rules.some((x) => x.action.kind === 'classMap' || (x.action.kind === 'goto' && x.action.chain.startsWith(PREFIX.classTree)))) n++;
  }
  return n;
}

/** Runs the differential test on a lab that is up; prints one line per disagreement. */
export async function runVerify(lab: Lab, o: VerifyOptions): Promise<VerifyResult> {
  const log = o.log ?? ((): void => undefined);
  const t0 = performance.now();
  const progress = o.progress ?? ((): void => undefined);
  progress(`verify: starting the pod pool (${poolPods().length} pods)`);
  await preparePool(lab);
  const pods = poolPods().map((p) => lab.pod(`${p.namespace}/${p.name}`));
  if (pods.some((p) => p === undefined)) throw new Error('verify: the pod pool did not come up');
  progress(`verify: pod pool ready; ${o.cases} cases, seed ${o.seed}`);
  const every = Math.max(1, Math.round(o.cases / 10));
  const pool = pods as PodRecord[];
  let agree = 0;
  let total = 0;
  const disagreements: string[] = [];
  const classDispatch = { chains: 0, cases: 0 };
  for (let i = 0; i < o.cases; i++) {
    const c = generateCase(o.seed, i, pool, o.ipFamily ?? 4, o.manyPolicies === true);
    const rev = await applyCase(lab, c);
    await lab.settle(rev, 30_000);
    if (!(await lab.flushConntrack()) && i === 0) log('verify: conntrack not installed; stale UDP/ICMP entries may ride earlier allowed flows');
    const { snapshot } = await snapshotOf(lab.ds);
    const svcIp = snapshot.services.find((s) => s.namespace === 'va' && s.name === 'vsvc')?.clusterIPs[0]?.text;
    const rows = await runProbe(lab, snapshot, caseFlows(lab, pool, svcIp, o.includeHostLocal ?? true, o.ipFamily ?? 4), o.timeoutMs ?? 300);
    total += rows.length;
    if (o.manyPolicies === true) {
      const n = classDispatchChains(lab, snapshot);
      classDispatch.chains += n;
      if (n > 0) classDispatch.cases++;
    }
    for (const r of rows) {
      if (r.agree) {
        agree++;
        continue;
      }
      const v = runVerdicts(snapshot, [engineInput(lab, r.flow)])[0]!;
      const last = v.trace.filter((s) => s.action !== 'Continue').at(-1);
      const line = `case ${i} (seed ${o.seed}): ${_describe(r, last ? `${last.stage} ${last.endpoint ?? ''} ${JSON.stringify(last.decidedBy ?? {})}` : '')}`;
      disagreements.push(line);
      log(line);
    }
    if ((i + 1) % 50 === 0) log(`… ${i + 1}/${o.cases} cases, ${agree}/${total} flows agree`);
    const cd = o.manyPolicies === true ? `, class dispatch in ${classDispatch.cases} case(s)` : '';
    if ((i + 1) % every === 0) progress(`verify: ${i + 1}/${o.cases} cases, ${agree}/${total} flows agree${cd}, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  return { agree, total, cases: o.cases, disagreements, ms: performance.now() - t0, ...(o.manyPolicies === true ? { classDispatch } : {}) };
}
