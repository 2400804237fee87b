/**
 * @module computeDesiredState: one node's share of the policy model, as data (Felix's calc graph
 * output, the `proto` boundary between the calculation graph and the dataplane driver).
 *
 * What it holds, for one IP family (`opts.family`, default 4; Felix too computes the IPv4 and
 * IPv6 dataplanes separately, and a dual-stack node programs both):
 * - the workload endpoints scheduled on the node, with their host-side interface name and, per
 *   direction, the ordered tiers and policy keys that apply (from `planFor`);
 * - the node's host endpoints with their four plans (normal, applyOnForward, preDNAT, untracked);
 * - every policy and profile those plans reference, with rules lowered to dataplane terms:
 *   selectors, network sets, CIDR lists, named ports and service matches become IP set ids, so
 *   the number of rules per policy never depends on the number of peers;
 * - the IP sets (id → sorted members) those rules reference, and nothing else;
 * - the Felix settings the renderer needs (failsafe ports, log prefix / NFLOG, mark mask,
 *   DefaultEndpointToHostAction).
 *
 * Invariants: pure and deterministic (same snapshot → deep-equal value; lists sorted); staged
 * policies never appear (they never decide); a rule that cannot match the family's traffic or
 * cannot be programmed carries `skip` with the reason and references no IP set; IP sets hold
 * only the family's addresses.
 *
 * IP set ids are `<kind>:<23 chars of base64url(sha256(definition))>` (Felix's `s:` unique ids):
 * `s` selector, `n` named port, `c` CIDR list, `v` service. With the renderer's `cali40`/`cali60`
 * prefix a name is 31 characters, ipset's limit. The same definition has the same id in both
 * families (the prefix tells them apart).
 */
import { base64UrlEncode, sha256 } from '../lib/sha2.js';
import { endpointToHostAction, failsafeHostPorts, type EffectiveFelixConfig } from '../model/calico/felix-configuration.js';
import type { Net } from './ip.js';
import { PROTO, selMatches, type CompiledEntity, type CompiledRule, type Owner, type PortMatch, type SelRef } from './match.js';
import type { CompiledPolicy, PolicyKind } from './compile-policy.js';
import { planFor, type Direction, type Flavour, type Plan } from './resolve.js';
import type { CompiledProfile, HostEndpointInfo, Snapshot, WorkloadEndpointInfo } from './snapshot.js';
import { resolveTargetPort } from './snapshot.js';
import { workloadInterfaceName } from './names.js';

export type DesiredIpSetType = 'hash:net' | 'hash:ip,port';

export interface DesiredIpSet {
  /** `s:…`, `n:…`, `c:…` or `v:…` (see the module doc). */
  readonly id: string;
  readonly type: DesiredIpSetType;
  /** Sorted: `10.0.0.1`, `10.1.0.0/16`, `2001:db8::1`, or `10.0.0.1,tcp:8080` for `hash:ip,port`. */
  readonly members: readonly string[];
  /** What the set stands for, for humans (`selector app == 'web'`, `named port tcp:http …`). */
  readonly source: string;
}

export interface PortRange {
  readonly first: number;
  readonly last: number;
}

/** One CIDR inline, or a CIDR list as an IP set. */
export type NetMatch = { readonly cidr: string } | { readonly ipSet: string };

export interface DesiredRuleSide {
  readonly net: NetMatch | null;
  /** Negated: the address must not be in it. */
  readonly notNet: NetMatch | null;
  /** Selector IP set (hash:net): the address must be in it. */
  readonly selector: string | null;
  readonly notSelector: string | null;
  /** `services`: destination → hash:ip,port of backends (matched `dst,dst`); source → hash:net of backend IPs. */
  readonly service: { readonly ipSet: string; readonly withPort: boolean } | null;
  /** Numeric ports (null: no numeric ports). With `namedPorts`, the rule matches either. */
  readonly ports: readonly PortRange[] | null;
  /** hash:ip,port sets, one per named port; each already includes this side's selector. */
  readonly namedPorts: readonly string[];
  readonly notPorts: readonly PortRange[];
  readonly notNamedPorts: readonly string[];
}

export type DesiredRuleAction = 'Allow' | 'Deny' | 'Pass' | 'Log';

export interface DesiredRule {
  readonly index: number;
  readonly action: DesiredRuleAction;
  readonly protocol: number | null;
  readonly notProtocol: number | null;
  readonly icmp: { readonly type: number; readonly code?: number } | null;
  readonly notIcmp: { readonly type: number; readonly code?: number } | null;
  readonly src: DesiredRuleSide;
  readonly dst: DesiredRuleSide;
  /** Why this rule is not programmed (it can never match), or null. */
  readonly skip: string | null;
}

export interface DesiredPolicy {
  /** `<tier>/<policy id>`: unique; the policy chain's id (`cali-pi-<key>`). */
  readonly key: string;
  readonly tier: string;
  /** `<ns>/<name>` or `<name>`. */
  readonly id: string;
  readonly kind: PolicyKind;
  readonly namespace: string;
  readonly name: string;
  readonly ingress: readonly DesiredRule[];
  readonly egress: readonly DesiredRule[];
}

export interface DesiredProfile {
  readonly name: string;
  readonly ingress: readonly DesiredRule[];
  readonly egress: readonly DesiredRule[];
}

export interface DesiredTier {
  readonly name: string;
  readonly defaultAction: 'Deny' | 'Pass';
  /** Policy keys, in evaluation order. */
  readonly policies: readonly string[];
}

export interface DesiredWorkload {
  /** `namespace/pod`. */
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  /** Host side of the pod's veth (`workloadInterfaceName`). */
  readonly iface: string;
  readonly ips: readonly string[];
  readonly ingress: readonly DesiredTier[];
  readonly egress: readonly DesiredTier[];
  /** Profiles that exist, in order; missing ones are listed in `missingProfiles` and never allow. */
  readonly profiles: readonly string[];
  readonly missingProfiles: readonly string[];
}

export interface DesiredHostEndpoint {
  readonly name: string;
  /** The interface, or `*` for all of the host's interfaces. */
  readonly iface: string;
  readonly ips: readonly string[];
  readonly profiles: readonly string[];
  readonly missingProfiles: readonly string[];
  readonly normal: { readonly ingress: readonly DesiredTier[]; readonly egress: readonly DesiredTier[] };
  readonly forward: { readonly ingress: readonly DesiredTier[]; readonly egress: readonly DesiredTier[] };
  readonly preDNAT: { readonly ingress: readonly DesiredTier[] };
  readonly untracked: { readonly ingress: readonly DesiredTier[]; readonly egress: readonly DesiredTier[] };
}

export interface DesiredFailsafePort {
  /** `tcp`, `udp`, `sctp`, … as iptables spells it. */
  readonly protocol: string;
  readonly port: number;
  readonly net?: string;
}

export interface DesiredLogConfig {
  /** `LogPrefix` (default `calico-packet`); `%t %k %n %p` expand per policy. */
  readonly prefix: string;
  /** Log through NFLOG to this group instead of LOG (the kernel does not LOG from non-initial netns). */
  readonly nflogGroup: number | null;
}

export interface DesiredState {
  readonly node: string;
  /** The IP family this state is for: its addresses, CIDRs and IP sets are of this family only. */
  readonly family: 4 | 6;
  readonly workloads: readonly DesiredWorkload[];
  readonly hostEndpoints: readonly DesiredHostEndpoint[];
  /** By key, sorted by key. */
  readonly policies: ReadonlyMap<string, DesiredPolicy>;
  readonly profiles: ReadonlyMap<string, DesiredProfile>;
  readonly ipSets: ReadonlyMap<string, DesiredIpSet>;
  readonly failsafeInbound: readonly DesiredFailsafePort[];
  readonly failsafeOutbound: readonly DesiredFailsafePort[];
  readonly log: DesiredLogConfig;
  /**
   * Flow logs (issue 17): NFLOG every verdict a new connection meets (groups 1 in / 2 out, Felix's
   * flow-log prefixes). Present (true) when on: FelixConfiguration's `flowLogsGoldmaneServer` is set
   * or `flowLogsLocalReporter` is `Enabled` (Felix's `FlowLogsEnabled()`), or the agent's default
   * says on and `flowLogsLocalReporter` is not set.
   */
  readonly flowLogs?: true;
  readonly defaultEndpointToHostAction: 'Drop' | 'Accept' | 'Return';
  /** `IptablesMarkMask` (default 0xffff0000). */
  readonly markMask: number;
}

export interface DesiredStateOptions {
  /** NFLOG group for Log rules (instead of LOG). */
  readonly nflogGroup?: number;
  /** The IP family to compute (default 4). */
  readonly family?: 4 | 6;
  /** Flow logs when FelixConfiguration leaves `flowLogsLocalReporter` unset (the lab: true). Default false. */
  readonly flowLogsDefault?: boolean;
}

/** Felix's `FlowLogsEnabled()`, with `flowLogsDefault` standing in for an unset `flowLogsLocalReporter`. */
export function flowLogsEnabled(cfg: Pick<EffectiveFelixConfig, 'flowLogsGoldmaneServer' | 'flowLogsLocalReporter'>, flowLogsDefault = false): boolean {
  if (cfg.flowLogsGoldmaneServer !== undefined && cfg.flowLogsGoldmaneServer !== '') return true;
  const r = cfg.flowLogsLocalReporter;
  return r === undefined || r === '' ? flowLogsDefault : r === 'Enabled';
}

const _cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function _setId(kind: string, definition: string): string {
  return `${kind}:${base64UrlEncode(sha256(definition)).slice(0, 23)}`;
}

function _protoWord(p: number): string {
  switch (p) {
    case PROTO.TCP:
      return 'tcp';
    case PROTO.UDP:
      return 'udp';
    case PROTO.SCTP:
      return 'sctp';
    case PROTO.UDPLite:
      return 'udplite';
    case PROTO.ICMP:
      return 'icmp';
    case PROTO.ICMPv6:
      return 'icmpv6';
    default:
      return String(p);
  }
}

const _PORT_PROTOS: readonly number[] = [PROTO.TCP, PROTO.UDP, PROTO.SCTP, PROTO.UDPLite];

/** Builds IP sets on demand (one per distinct definition) while lowering rules. */
class _IpSets {
  readonly sets = new Map<string, DesiredIpSet>();
  readonly #selMembers = new Map<number, string[]>();
  constructor(
    private readonly snap: Snapshot,
    readonly family: 4 | 6,
  ) {}

  #owners(): { owner: Owner; ips: readonly string[]; ports: WorkloadEndpointInfo['namedPorts'] }[] {
    const out: { owner: Owner; ips: readonly string[]; ports: WorkloadEndpointInfo['namedPorts'] }[] = [];
    for (const w of this.snap.workloads) out.push({ owner: w, ips: w.ips.filter((i) => i.family === this.family).map((i) => i.text), ports: w.namedPorts });
    for (const h of this.snap.hostEndpoints) out.push({ owner: h, ips: h.ips.filter((i) => i.family === this.family).map((i) => i.text), ports: h.namedPorts });
    return out;
  }

  #add(id: string, type: DesiredIpSetType, members: Iterable<string>, source: string): string {
    if (!this.sets.has(id)) this.sets.set(id, { id, type, members: [...new Set(members)].sort(_cmp), source });
    return id;
  }

  selector(ref: SelRef): string {
    const id = _setId('s', ref.text);
    if (this.sets.has(id)) return id;
    let members = this.#selMembers.get(ref.id);
    if (members === undefined) {
      members = [];
      for (const o of this.#owners()) if (selMatches(ref, [o.owner])) members.push(...o.ips);
      for (const s of this.snap.networkSets) if (selMatches(ref, [s])) for (const n of s.nets) if (n.family === this.family) members.push(_netMember(n));
      this.#selMembers.set(ref.id, members);
    }
    return this.#add(id, 'hash:net', members, `selector ${ref.text}`);
  }

  namedPort(ref: SelRef | null, name: string, proto: number | null): string {
    const selText = ref === null ? 'all()' : ref.text;
    const id = _setId('n', `${selText}|${proto ?? '*'}|${name}`);
    if (this.sets.has(id)) return id;
    const members: string[] = [];
    for (const o of this.#owners()) {
      if (ref !== null && !selMatches(ref, [o.owner])) continue;
      for (const p of o.ports)
        if (p.name === name && (proto === null || p.proto === proto) && _PORT_PROTOS.includes(p.proto))
          for (const ip of o.ips) members.push(`${ip},${_protoWord(p.proto)}:${p.port}`);
    }
    return this.#add(id, 'hash:ip,port', members, `named port ${proto === null ? '' : `${_protoWord(proto)}:`}${name} of ${selText}`);
  }

  nets(nets: readonly Net[]): string {
    const texts = [...new Set(nets.map(_netMember))].sort(_cmp);
    return this.#add(_setId('c', texts.join(',')), 'hash:net', texts, `nets ${texts.join(', ')}`);
  }

  service(namespace: string, name: string, withPort: boolean): string {
    const svc = this.snap.services.find((s) => s.namespace === namespace && s.name === name);
    const members: string[] = [];
    for (const b of svc?.backends ?? [])
      for (const ip of b.ips) {
        if (ip.family !== this.family) continue;
        if (!withPort) members.push(ip.text);
        else
          for (const p of svc?.ports ?? []) {
            const tp = resolveTargetPort(b, p);
            if (tp !== undefined && _PORT_PROTOS.includes(p.proto)) members.push(`${ip.text},${_protoWord(p.proto)}:${tp}`);
          }
      }
    const id = _setId('v', `${namespace}/${name}|${withPort ? 'dst' : 'src'}`);
    return this.#add(id, withPort ? 'hash:ip,port' : 'hash:net', members, `service ${namespace}/${name} ${withPort ? 'backend ports' : 'backends'}`);
  }
}

/** `10.0.0.1` (`2001:db8::1`) for a host route, else `a.b.c.d/n` (`2001:db8::/64`). */
function _netMember(n: Net): string {
  const full = n.family === 4 ? '/32' : '/128';
  return n.text.endsWith(full) ? n.text.slice(0, -full.length) : n.text;
}

const _EMPTY_SIDE: DesiredRuleSide = {
  net: null,
  notNet: null,
  selector: null,
  notSelector: null,
  service: null,
  ports: null,
  namedPorts: [],
  notPorts: [],
  notNamedPorts: [],
};

function _ranges(ps: readonly PortMatch[]): PortRange[] {
  const out: PortRange[] = [];
  for (const p of ps) if (p.name === undefined) out.push({ first: p.min, last: p.max });
  return out;
}

function _names(ps: readonly PortMatch[]): string[] {
  const out: string[] = [];
  for (const p of ps) if (p.name !== undefined) out.push(p.name);
  return [...new Set(out)];
}

/** Lowers one side; returns a skip reason instead when the side can never match the family. */
function _side(e: CompiledEntity, isDst: boolean, proto: number | null, sets: _IpSets): DesiredRuleSide | string {
  const fam = sets.family;
  let net: NetMatch | null = null;
  if (e.nets !== null) {
    const mine = e.nets.filter((n) => n.family === fam);
    if (mine.length === 0) return `no IPv${fam} CIDR in nets`;
    net = mine.length === 1 ? { cidr: mine[0]!.text } : { ipSet: sets.nets(mine) };
  }
  let notNet: NetMatch | null = null;
  if (e.notNets !== null) {
    const mine = e.notNets.filter((n) => n.family === fam);
    // iptables allows one `-s`/`-d` per rule: next to an inline `nets` CIDR, notNets is a set.
    if (mine.length === 1 && (net === null || 'ipSet' in net)) notNet = { cidr: mine[0]!.text };
    else if (mine.length > 0) notNet = { ipSet: sets.nets(mine) };
  }
  const ports = e.ports === null ? null : _ranges(e.ports);
  const named = e.ports === null ? [] : _names(e.ports);
  const notNamed = e.notPorts === null ? [] : _names(e.notPorts);
  return {
    net,
    notNet,
    selector: e.sel === null ? null : sets.selector(e.sel),
    notSelector: e.notSel === null ? null : sets.selector(e.notSel),
    service: e.service === null ? null : { ipSet: sets.service(e.service.namespace, e.service.name, isDst), withPort: isDst },
    ports: ports === null || ports.length === 0 ? null : ports,
    namedPorts: named.map((n) => sets.namedPort(e.sel, n, proto)),
    notPorts: e.notPorts === null ? [] : _ranges(e.notPorts),
    notNamedPorts: notNamed.map((n) => sets.namedPort(null, n, proto)),
  };
}

function _skipped(r: CompiledRule, reason: string): DesiredRule {
  return {
    index: r.index,
    action: r.action,
    protocol: null,
    notProtocol: null,
    icmp: null,
    notIcmp: null,
    src: _EMPTY_SIDE,
    dst: _EMPTY_SIDE,
    skip: reason,
  };
}

function _rule(r: CompiledRule, sets: _IpSets): DesiredRule {
  if (r.invalid !== null) return _skipped(r, r.invalid);
  if (r.http) return _skipped(r, 'HTTP match is layer 7 (no L7 proxy): never matches');
  const fam = sets.family;
  if (r.ipVersion !== 0 && r.ipVersion !== fam) return _skipped(r, `ipVersion ${r.ipVersion}`);
  const proto = r.proto >= 0 ? r.proto : null;
  const hasPorts = (e: CompiledEntity): boolean => e.ports !== null || e.notPorts !== null;
  // Named ports alone need no protocol: their IP set members carry it (ip,proto:port), as in
  // Felix. Calico's AdminNetworkPolicy conversion writes such rules (a namedPort, no protocol).
  const numeric = (e: CompiledEntity): boolean => (e.ports !== null && _ranges(e.ports).length > 0) || (e.notPorts !== null && _ranges(e.notPorts).length > 0);
  if ((hasPorts(r.src) || hasPorts(r.dst)) && (proto === null ? numeric(r.src) || numeric(r.dst) : !_PORT_PROTOS.includes(proto)))
    return _skipped(r, 'ports need protocol TCP, UDP, SCTP or UDPLite');
  if (fam === 4 && proto === PROTO.ICMPv6) return _skipped(r, 'ICMPv6 never matches IPv4');
  if (fam === 6 && proto === PROTO.ICMP) return _skipped(r, 'ICMP (IPv4) never matches IPv6');
  const src = _side(r.src, false, proto, sets);
  if (typeof src === 'string') return _skipped(r, `source: ${src}`);
  const dst = _side(r.dst, true, proto, sets);
  if (typeof dst === 'string') return _skipped(r, `destination: ${dst}`);
  return {
    index: r.index,
    action: r.action,
    protocol: proto,
    notProtocol: r.notProto >= 0 ? r.notProto : null,
    icmp: r.icmpType >= 0 ? { type: r.icmpType, ...(r.icmpCode >= 0 ? { code: r.icmpCode } : {}) } : null,
    notIcmp: r.notIcmpType >= 0 ? { type: r.notIcmpType, ...(r.notIcmpCode >= 0 ? { code: r.notIcmpCode } : {}) } : null,
    src,
    dst,
    skip: null,
  };
}

const policyKey = (p: CompiledPolicy): string => `${p.tier}/${p.id}`;

interface _Used {
  readonly policy: CompiledPolicy;
  ingress: boolean;
  egress: boolean;
}

function _tiers(plan: Plan, dir: Direction, used: Map<string, _Used>): DesiredTier[] {
  return plan.map((t) => ({
    name: t.tier.name,
    defaultAction: t.tier.defaultAction,
    policies: t.policies.map((p) => {
      const key = policyKey(p);
      let u = used.get(key);
      if (u === undefined) {
        u = { policy: p, ingress: false, egress: false };
        used.set(key, u);
      }
      u[dir] = true;
      return key;
    }),
  }));
}

function _referencedSets(rules: readonly DesiredRule[], out: Set<string>): void {
  for (const r of rules) {
    if (r.skip !== null) continue;
    for (const s of [r.src, r.dst]) {
      for (const n of [s.net, s.notNet]) if (n !== null && 'ipSet' in n) out.add(n.ipSet);
      if (s.selector !== null) out.add(s.selector);
      if (s.notSelector !== null) out.add(s.notSelector);
      if (s.service !== null) out.add(s.service.ipSet);
      for (const id of [...s.namedPorts, ...s.notNamedPorts]) out.add(id);
    }
  }
}

/**
 * The desired dataplane state of `nodeName`. `felix` is the node's effective FelixConfiguration;
 * by default the snapshot's (`snapshot.felixConfig(nodeName)`: `default` overlaid by
 * `node.<nodeName>` over Felix's defaults), the same settings the engine judges that node with.
 */
export function computeDesiredState(
  snapshot: Snapshot,
  nodeName: string,
  felix?: EffectiveFelixConfig,
  opts: DesiredStateOptions = {},
): DesiredState {
  const set = snapshot.enforced;
  const family = opts.family ?? 4;
  const used = new Map<string, _Used>();
  const plan = (ep: WorkloadEndpointInfo | HostEndpointInfo, dir: Direction, flavour: Flavour): DesiredTier[] =>
    _tiers(planFor(snapshot, set, ep, dir, flavour, ep.kind === 'host'), dir, used);
  const usedProfiles = new Set<string>();
  const splitProfiles = (names: readonly string[]): { profiles: string[]; missingProfiles: string[] } => {
    const profiles: string[] = [];
    const missingProfiles: string[] = [];
    for (const n of names) {
      if (snapshot.profiles.has(n)) {
        profiles.push(n);
        usedProfiles.add(n);
      } else missingProfiles.push(n);
    }
    return { profiles, missingProfiles };
  };

  const workloads: DesiredWorkload[] = snapshot.workloads
    .filter((w) => w.node === nodeName)
    .map((w) => ({
      key: w.key,
      namespace: w.namespace,
      name: w.name,
      iface: workloadInterfaceName(w.namespace, w.name),
      ips: w.ips.filter((i) => i.family === family).map((i) => i.text),
      ingress: plan(w, 'ingress', 'normal'),
      egress: plan(w, 'egress', 'normal'),
      ...splitProfiles(w.profiles),
    }))
    .sort((a, b) => _cmp(a.iface, b.iface));

  const hostEndpoints: DesiredHostEndpoint[] = snapshot.hostEndpoints
    .filter((h) => h.node === nodeName && h.interfaceName !== '')
    .map((h) => ({
      name: h.name,
      iface: h.interfaceName,
      ips: h.ips.filter((i) => i.family === family).map((i) => i.text),
      ...splitProfiles(h.profiles),
      normal: { ingress: plan(h, 'ingress', 'normal'), egress: plan(h, 'egress', 'normal') },
      forward: { ingress: plan(h, 'ingress', 'forward'), egress: plan(h, 'egress', 'forward') },
      preDNAT: { ingress: plan(h, 'ingress', 'preDNAT') },
      untracked: { ingress: plan(h, 'ingress', 'untracked'), egress: plan(h, 'egress', 'untracked') },
    }))
    .sort((a, b) => _cmp(a.iface, b.iface) || _cmp(a.name, b.name));

  const sets = new _IpSets(snapshot, family);
  const policies = new Map<string, DesiredPolicy>();
  for (const key of [...used.keys()].sort(_cmp)) {
    const u = used.get(key)!;
    const p = u.policy;
    policies.set(key, {
      key,
      tier: p.tier,
      id: p.id,
      kind: p.kind,
      namespace: p.namespace,
      name: p.name,
      ingress: u.ingress ? p.ingressRules.map((r) => _rule(r, sets)) : [],
      egress: u.egress ? p.egressRules.map((r) => _rule(r, sets)) : [],
    });
  }
  const profiles = new Map<string, DesiredProfile>();
  for (const name of [...usedProfiles].sort(_cmp)) {
    const p: CompiledProfile = snapshot.profiles.get(name)!;
    profiles.set(name, { name, ingress: p.ingress.map((r) => _rule(r, sets)), egress: p.egress.map((r) => _rule(r, sets)) });
  }
  // Only sets a programmed rule references (a rule skipped half-way may have built one).
  const referenced = new Set<string>();
  for (const p of [...policies.values(), ...profiles.values()]) {
    _referencedSets(p.ingress, referenced);
    _referencedSets(p.egress, referenced);
  }
  const ipSets = new Map([...sets.sets.entries()].filter(([id]) => referenced.has(id)).sort((a, b) => _cmp(a[0], b[0])));

  const cfg = felix ?? snapshot.felixConfig(nodeName);
  return {
    node: nodeName,
    family,
    workloads,
    hostEndpoints,
    policies,
    profiles,
    ipSets,
    failsafeInbound: failsafeHostPorts(cfg, 'inbound'),
    failsafeOutbound: failsafeHostPorts(cfg, 'outbound'),
    log: { prefix: cfg.logPrefix, nflogGroup: opts.nflogGroup ?? null },
    ...(flowLogsEnabled(cfg, opts.flowLogsDefault) ? { flowLogs: true as const } : {}),
    defaultEndpointToHostAction: endpointToHostAction(cfg),
    markMask: cfg.iptablesMarkMask >>> 0,
  };
}

/** The IDs of every policy programmed on the node (for status), sorted. */
export function programmedPolicies(d: DesiredState): string[] {
  return [...d.policies.values()].map((p) => p.id).filter((v, i, a) => a.indexOf(v) === i).sort(_cmp);
}

