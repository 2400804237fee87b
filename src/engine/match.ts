/**
 * @module Rule × packet → match, the way Felix renders a rule into one iptables rule: every
 * criterion must hold (protocol, ICMP, ipVersion, nets, selector IP sets, ports, named ports,
 * service matches). One function, `checkRule`, serves both paths: with `out === null` it stops
 * at the first failing criterion and allocates nothing (the fast path); with an array it records
 * every failing criterion in words (the trace's "nearest rule that almost matched").
 *
 * Semantics notes (calico-semantics §a, §d; libcalico-go updateprocessors/rules.go):
 * - A rule `selector`/`notSelector` is an IP set: the peer matches when ANY labelled thing owning
 *   its IP (workload endpoint, host endpoint expectedIPs, network set CIDR) matches.
 * - Named ports resolve against the endpoint that owns the address (destination for destination
 *   ports, source for source ports), for the packet's protocol.
 * - An unknown port (omitted in the flow) never matches `ports` and always satisfies `notPorts`.
 * - HTTP matches are layer 7: without an L7 proxy a rule with `http` never matches here.
 */
import type { Selector } from '../selector/index.js';
import { anyNetContains, type Ip, type Net } from './ip.js';

export const PROTO = { ICMP: 1, TCP: 6, UDP: 17, ICMPv6: 58, SCTP: 132, UDPLite: 136 } as const;
const _protoByName = new Map<string, number>(Object.entries(PROTO).map(([k, v]) => [k.toLowerCase(), v]));
const _nameByProto = new Map<number, string>(Object.entries(PROTO).map(([k, v]) => [v, k]));

/** Protocol name or number → number; undefined when unknown. Names are case-insensitive. */
export function protocolNumber(p: string | number | undefined): number | undefined {
  if (p === undefined) return undefined;
  if (typeof p === 'number') return Number.isInteger(p) && p >= 0 && p <= 255 ? p : undefined;
  const t = p.trim();
  if (/^\d+$/.test(t)) return protocolNumber(Number(t));
  return _protoByName.get(t.toLowerCase());
}

export function protocolName(n: number): string {
  return _nameByProto.get(n) ?? String(n);
}

export const portsApply = (proto: number): boolean => proto === PROTO.TCP || proto === PROTO.UDP || proto === PROTO.SCTP || proto === PROTO.UDPLite;

const _noMemo = new Int8Array(0);

/**
 * An interned label map: endpoints with identical labels share one LabelSet, so each selector is
 * evaluated once per distinct label map. `memo` caches results by selector id (0 unknown, 1
 * match, 2 no match); it is derived data and never changes a result.
 */
export class LabelSet {
  memo: Int8Array = _noMemo;
  constructor(readonly labels: Readonly<Record<string, string>>) {}
}

/** Something labelled that can own an address: an IP-set member. `ls.labels` is `labels`. */
export interface Owner {
  readonly key: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly ls: LabelSet;
}

export interface NamedPort {
  readonly name: string;
  readonly proto: number;
  readonly port: number;
}

/** A selector registered in the snapshot: `id` indexes every owner's memo. */
export interface SelRef {
  readonly id: number;
  readonly sel: Selector;
  readonly text: string;
}

export type PortMatch = { readonly min: number; readonly max: number; readonly name?: undefined } | { readonly name: string };

export interface CompiledEntity {
  readonly nets: readonly Net[] | null;
  readonly notNets: readonly Net[] | null;
  readonly sel: SelRef | null;
  readonly notSel: SelRef | null;
  readonly ports: readonly PortMatch[] | null;
  readonly notPorts: readonly PortMatch[] | null;
  /** `services` match: backends of namespace/name. */
  readonly service: { readonly namespace: string; readonly name: string } | null;
}

export type RuleAction = 'Allow' | 'Deny' | 'Pass' | 'Log';

export interface CompiledRule {
  readonly index: number;
  readonly action: RuleAction;
  readonly proto: number;
  readonly notProto: number;
  readonly icmpType: number;
  readonly icmpCode: number;
  readonly notIcmpType: number;
  readonly notIcmpCode: number;
  readonly ipVersion: number;
  readonly src: CompiledEntity;
  readonly dst: CompiledEntity;
  readonly http: boolean;
  /** Rule cannot be rendered (bad protocol / CIDR): Felix would not program it; never matches. */
  readonly invalid: string | null;
  /** The source rule's name, for traces (AdminNetworkPolicy/BaselineAdminNetworkPolicy rules); else null. */
  readonly name?: string | null;
}

/** The packet as one stage sees it. Mutable scratch object on the fast path. */
export interface Packet {
  proto: number;
  family: 4 | 6;
  srcIp: Ip;
  dstIp: Ip;
  /** -1: unknown. */
  srcPort: number;
  dstPort: number;
  icmpType: number;
  icmpCode: number;
  srcOwners: readonly Owner[];
  dstOwners: readonly Owner[];
  srcPorts: readonly NamedPort[];
  dstPorts: readonly NamedPort[];
}

/** Backends of a Service, for `services` matches: `ip|port` keys and IP texts. */
export interface ServiceBackends {
  readonly ipPorts: ReadonlySet<string>;
  readonly ips: ReadonlySet<string>;
}
export type ServiceLookup = (namespace: string, name: string) => ServiceBackends | undefined;

export function selMatches(ref: SelRef, owners: readonly Owner[]): boolean {
  const id = ref.id;
  for (let i = 0; i < owners.length; i++) {
    const ls = (owners[i] as Owner).ls;
    let m = ls.memo[id];
    if (m === 0 || m === undefined) {
      if (ls.memo.length <= id) ls.memo = _grow(ls.memo, id);
      m = ref.sel.matches(ls.labels) ? 1 : 2;
      ls.memo[id] = m;
    }
    if (m === 1) return true;
  }
  return false;
}

function _grow(a: Int8Array, id: number): Int8Array {
  const b = new Int8Array(Math.max(id + 1, a.length * 2, 16));
  b.set(a);
  return b;
}

function _portIn(list: readonly PortMatch[], port: number, proto: number, named: readonly NamedPort[]): boolean {
  if (port < 0) return false;
  for (let i = 0; i < list.length; i++) {
    const p = list[i] as PortMatch;
    if (p.name === undefined) {
      if (port >= p.min && port <= p.max) return true;
    } else {
      for (let j = 0; j < named.length; j++) {
        const n = named[j] as NamedPort;
        if (n.name === p.name && n.proto === proto && n.port === port) return true;
      }
    }
  }
  return false;
}

export function formatPorts(list: readonly PortMatch[]): string {
  return `[${list.map((p) => (p.name !== undefined ? p.name : p.min === p.max ? String(p.min) : `${p.min}:${p.max}`)).join(', ')}]`;
}

const _fmtNets = (nets: readonly Net[]): string => `[${nets.map((n) => n.text).join(', ')}]`;

function _entity(
  e: CompiledEntity,
  side: 'source' | 'destination',
  ip: Ip,
  owners: readonly Owner[],
  port: number,
  named: readonly NamedPort[],
  pkt: Packet,
  services: ServiceLookup | null,
  out: string[] | null,
): boolean {
  let ok = true;
  if (e.nets !== null && !anyNetContains(e.nets, ip)) {
    if (out === null) return false;
    out.push(`${side} ${ip.text} not in nets ${_fmtNets(e.nets)}`);
    ok = false;
  }
  if (e.notNets !== null && anyNetContains(e.notNets, ip)) {
    if (out === null) return false;
    out.push(`${side} ${ip.text} in notNets ${_fmtNets(e.notNets)}`);
    ok = false;
  }
  if (e.sel !== null && !selMatches(e.sel, owners)) {
    if (out === null) return false;
    out.push(`${side} ${ip.text} does not match selector \`${e.sel.text}\``);
    ok = false;
  }
  if (e.notSel !== null && selMatches(e.notSel, owners)) {
    if (out === null) return false;
    out.push(`${side} ${ip.text} matches notSelector \`${e.notSel.text}\``);
    ok = false;
  }
  if (e.ports !== null) {
    const applies = portsApply(pkt.proto);
    if (!applies || !_portIn(e.ports, port, pkt.proto, named)) {
      if (out === null) return false;
      out.push(
        !applies
          ? `${side} ports ${formatPorts(e.ports)} need a port protocol, packet is ${protocolName(pkt.proto)}`
          : `${side} port ${port < 0 ? '(unknown)' : port} not in ${formatPorts(e.ports)}`,
      );
      ok = false;
    }
  }
  if (e.notPorts !== null && portsApply(pkt.proto) && _portIn(e.notPorts, port, pkt.proto, named)) {
    if (out === null) return false;
    out.push(`${side} port ${port} in notPorts ${formatPorts(e.notPorts)}`);
    ok = false;
  }
  if (e.service !== null) {
    const b = services === null ? undefined : services(e.service.namespace, e.service.name);
    const hit = b !== undefined && (side === 'destination' ? b.ipPorts.has(`${ip.text}|${port}`) : b.ips.has(ip.text));
    if (!hit) {
      if (out === null) return false;
      out.push(`${side} is not a backend of service ${e.service.namespace}/${e.service.name}`);
      ok = false;
    }
  }
  return ok;
}

/**
 * Whether the rule matches the packet. `out === null`: fast, stops at the first failure.
 * Otherwise every failed criterion is appended to `out` in words.
 */
export function checkRule(r: CompiledRule, pkt: Packet, services: ServiceLookup | null, out: string[] | null): boolean {
  let ok = true;
  if (r.invalid !== null) {
    if (out === null) return false;
    out.push(r.invalid);
    ok = false;
  }
  if (r.http) {
    if (out === null) return false;
    out.push('HTTP match is layer 7 and never matches at layer 3');
    ok = false;
  }
  if (r.proto >= 0 && r.proto !== pkt.proto) {
    if (out === null) return false;
    out.push(`protocol ${protocolName(pkt.proto)} is not ${protocolName(r.proto)}`);
    ok = false;
  }
  if (r.notProto >= 0 && r.notProto === pkt.proto) {
    if (out === null) return false;
    out.push(`protocol ${protocolName(pkt.proto)} is notProtocol`);
    ok = false;
  }
  if (r.ipVersion !== 0 && r.ipVersion !== pkt.family) {
    if (out === null) return false;
    out.push(`IPv${pkt.family} packet, rule is ipVersion ${r.ipVersion}`);
    ok = false;
  }
  if (r.icmpType >= 0) {
    const isIcmp = pkt.proto === PROTO.ICMP || pkt.proto === PROTO.ICMPv6;
    if (!isIcmp || pkt.icmpType !== r.icmpType || (r.icmpCode >= 0 && pkt.icmpCode !== r.icmpCode)) {
      if (out === null) return false;
      out.push(`ICMP type/code ${pkt.icmpType}/${pkt.icmpCode} is not ${r.icmpType}${r.icmpCode >= 0 ? `/${r.icmpCode}` : ''}`);
    ok = false;
    }
  }
  if (r.notIcmpType >= 0) {
    const isIcmp = pkt.proto === PROTO.ICMP || pkt.proto === PROTO.ICMPv6;
    if (isIcmp && pkt.icmpType === r.notIcmpType && (r.notIcmpCode < 0 || pkt.icmpCode === r.notIcmpCode)) {
      if (out === null) return false;
      out.push(`ICMP type/code ${pkt.icmpType}/${pkt.icmpCode} is notICMP`);
    ok = false;
    }
  }
  if (!_entity(r.src, 'source', pkt.srcIp, pkt.srcOwners, pkt.srcPort, pkt.srcPorts, pkt, services, out)) {
    if (out === null) return false;
    ok = false;
  }
  if (!_entity(r.dst, 'destination', pkt.dstIp, pkt.dstOwners, pkt.dstPort, pkt.dstPorts, pkt, services, out)) {
    if (out === null) return false;
    ok = false;
  }
  return ok;
}
