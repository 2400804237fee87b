/**
 * @module Per-policy prefilters at the jump into a policy chain (issue 19 item 4).
 *
 * A new connection through an endpoint walks, in order, the chain of every policy that selects
 * the endpoint. Most of them cannot match the packet (another port, another peer), yet each costs
 * a jump, every rule's evaluation and the "return if accepted" checks. The prefilter is a
 * condition on the endpoint chain's jump rule that holds for every packet some rule of the
 * policy (in that direction) could match, so a packet it rejects would have walked the whole
 * chain without any rule firing: no mark set (Allow, Pass), no drop (Deny), no log line (Log).
 * Skipping the chain then behaves exactly as walking it: evaluation falls through to the next
 * policy, the tier's end-of-tier drop still applies, and the marks are untouched (policy chains
 * only ever set marks; the endpoint chain clears them). Order is never changed.
 *
 * The condition is an over-approximation of the policy's match domain keyed on what every
 * packet has: (remote address, protocol, destination port). The remote address is the source
 * for ingress (to the endpoint) and the destination for egress. Per programmed rule:
 * - it needs a protocol with ports (TCP, UDP, SCTP, UDP-Lite) and a positive destination port
 *   list (numeric ports and/or named ports); a rule that can match any destination port (no
 *   ports, notProtocol only, ICMP, …) makes the policy unfilterable: no prefilter;
 * - the remote addresses are the rule's positive net (CIDR or CIDR-list set) or selector set
 *   (the smaller of the two when it has both; either alone is a superset of their
 *   intersection), or every address when it has neither;
 * - named destination ports: in egress their `ip,proto:port` members are exact (remote address,
 *   protocol, port) triples; in ingress they name the endpoint's own ports, so only the
 *   protocol and port count;
 * - every other constraint (negations, source ports, services, the endpoint's own side) only
 *   narrows the rule and is left out: the prefilter may let through a packet no rule matches,
 *   never the other way round.
 * Skipped rules (they render to nothing) contribute nothing.
 *
 * Rendering: when every triple names every address and one protocol with at most 15 port
 * slots, the jump gets `-p <proto> -m multiport --dports …` (no set). Otherwise the triples
 * become a `hash:net,port` IP set (`cali40f:…`, members `net,proto:port`, port ranges
 * expanded, nets contained in another of the same protocol and port dropped, so nft's
 * concatenated interval set sees no overlap) matched `src,dst` (ingress) or `dst,dst`
 * (egress). A set larger than MAX_PREFILTER_MEMBERS, or a policy with fewer than
 * MIN_PREFILTER_RULES programmed rules (where a prefilter saves nothing), gets no prefilter.
 *
 * The same domain (`policyDomain`, without the size limits) drives the class dispatch
 * (classes.ts; nft verdict maps, iptables class trees), which replaces the prefilters of a chain
 * it applies to: prefilters remain for chains with too few bounded policies or too many classes.
 */
import type { DesiredPolicy, DesiredRule, DesiredState } from '../../engine/index.js';
import { base64UrlEncode, sha256 } from '../../lib/sha2.js';
import { formatIp, maskOf, parseCidrOrIp, type Cidr } from '../../lib/net.js';
import type { IpFamily, IpSet, MatchCriterion, PortRange } from '../model.js';
import { ipSetName } from './names.js';
import { splitPorts } from './policy.js';

/** Expanded members above which a policy gets no prefilter (the set would cost more than it saves). */
export const MAX_PREFILTER_MEMBERS = 1024;
/** Policies with fewer programmed rules in a direction gain nothing from a prefilter. */
export const MIN_PREFILTER_RULES = 2;

const _PORT_PROTOS: Readonly<Record<number, string>> = { 6: 'tcp', 17: 'udp', 132: 'sctp', 136: 'udplite' };

export interface PolicyPrefilter {
  /** Criteria to add to the jump into the policy chain. */
  readonly match: readonly MatchCriterion[];
  /** The IP set those criteria name, if any. */
  readonly set?: IpSet;
}

/** The prefilter IP set id of a policy and direction (`f:` + 23 chars, like the engine's ids). */
export function prefilterSetId(key: string, dir: 'ingress' | 'egress'): string {
  return `f:${base64UrlEncode(sha256(`prefilter ${dir} ${key}`)).slice(0, 23)}`;
}

/** Remote addresses: parsed, and as folded member text (computed once per list). */
interface _Nets {
  readonly cidrs: readonly Cidr[];
  readonly texts: readonly string[];
}

/** One (remote nets, protocol word, ports) piece of a policy's domain; `nets` null = every address. */
interface _Piece {
  readonly nets: _Nets | null;
  readonly proto: string;
  readonly ports: readonly PortRange[];
}

class _Unbounded extends Error {}

/** Parsed and folded member lists, by list (the engine's lists are shared by every rule naming the set). */
const _netsCache = new WeakMap<readonly string[], _Nets | null>();

function _nets(members: readonly string[], family: IpFamily): _Nets {
  const hit = _netsCache.get(members);
  if (hit === null) throw new _Unbounded();
  if (hit !== undefined) return hit;
  const cidrs: Cidr[] = [];
  for (const m of members) {
    const c = parseCidrOrIp(m);
    // A member we cannot read would be a set the engine built wrongly; do not guess a domain.
    if (c === undefined || c.family !== family) {
      _netsCache.set(members, null);
      throw new _Unbounded();
    }
    cidrs.push(c);
  }
  const folded = _fold(cidrs);
  const v = { cidrs: folded, texts: folded.map(_cidrText) };
  _netsCache.set(members, v);
  return v;
}

/** The remote addresses a rule side allows, or null for every address. */
function _remote(remote: DesiredRule['src'], d: DesiredState): _Nets | null {
  const options: _Nets[] = [];
  if (remote.net !== null) options.push('cidr' in remote.net ? _single(remote.net.cidr, d.family) : _nets(_members(d, remote.net.ipSet), d.family));
  if (remote.selector !== null) options.push(_nets(_members(d, remote.selector), d.family));
  if (options.length === 0) return null;
  return options.reduce((a, b) => (b.cidrs.length < a.cidrs.length ? b : a));
}

function _single(cidr: string, family: IpFamily): _Nets {
  const c = parseCidrOrIp(cidr);
  if (c === undefined || c.family !== family) throw new _Unbounded();
  const n = _fold([c]);
  return { cidrs: n, texts: n.map(_cidrText) };
}

function _members(d: DesiredState, id: string): readonly string[] {
  const s = d.ipSets.get(id);
  if (s === undefined) throw new _Unbounded();
  return s.members;
}

/** `10.0.0.1,tcp:8080` → its parts. */
function _ipPort(member: string): { net: string; proto: string; port: number } {
  const comma = member.lastIndexOf(',');
  const m = /^([a-z0-9]+):(\d{1,5})$/.exec(member.slice(comma + 1));
  if (m === null || comma < 0 || Number(m[2]) > 65535) throw new _Unbounded();
  return { net: member.slice(0, comma), proto: m[1]!, port: Number(m[2]) };
}

function _rulePieces(r: DesiredRule, dir: 'ingress' | 'egress', d: DesiredState): _Piece[] {
  if (r.skip !== null) return [];
  const proto = r.protocol === null ? undefined : _PORT_PROTOS[r.protocol];
  if (proto === undefined) throw new _Unbounded();
  if (r.dst.ports === null && r.dst.namedPorts.length === 0) throw new _Unbounded();
  const nets = _remote(dir === 'ingress' ? r.src : r.dst, d);
  const out: _Piece[] = [];
  if (r.dst.ports !== null && r.dst.ports.length > 0) out.push({ nets, proto, ports: r.dst.ports });
  for (const id of r.dst.namedPorts) {
    for (const m of _members(d, id)) {
      const ip = _ipPort(m);
      if (ip.proto !== proto) continue; // the rule also requires its protocol
      out.push({ nets: dir === 'egress' ? _single(ip.net, d.family) : nets, proto, ports: [{ first: ip.port, last: ip.port }] });
    }
  }
  return out;
}

/** Host bits cleared; every net contained in another dropped (CIDRs nest or are disjoint, so the rest are disjoint). */
function _fold(nets: readonly Cidr[]): Cidr[] {
  const norm = nets.map((c) => ({ ...c, addr: c.addr & maskOf(c.family, c.prefix) }));
  norm.sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : a.prefix - b.prefix));
  const out: Cidr[] = [];
  for (const c of norm) {
    const prev = out[out.length - 1];
    if (prev !== undefined && c.prefix >= prev.prefix && (c.addr & maskOf(c.family, prev.prefix)) === prev.addr) continue;
    out.push(c);
  }
  return out;
}

const _cidrText = (c: Cidr): string => {
  const ip = formatIp({ family: c.family, value: c.addr });
  return c.prefix === (c.family === 4 ? 32 : 128) ? ip : `${ip}/${c.prefix}`;
};

/** Every address, as two halves (ipset's hash:net types take prefixes from /1). */
const _EVERY: Readonly<Record<IpFamily, readonly string[]>> = { 4: ['0.0.0.0/1', '128.0.0.0/1'], 6: ['::/1', '8000::/1'] };

/** One piece of a policy's match domain: remote nets (null: every address), a protocol with ports, its destination ports. */
export interface DomainPiece {
  readonly nets: readonly Cidr[] | null;
  readonly proto: 'tcp' | 'udp' | 'sctp' | 'udplite';
  readonly ports: readonly PortRange[];
}

/**
 * The (remote address, protocol, destination port) triples some programmed rule of `p` in `dir`
 * could match, as pieces (the same over-approximation as the prefilter's, with no size limit);
 * undefined when some rule can match any destination port (unbounded). An empty list: the
 * policy's chain has no rule in that direction, so it never sets a mark or drops.
 */
export function policyDomain(p: DesiredPolicy, dir: 'ingress' | 'egress', d: DesiredState): DomainPiece[] | undefined {
  const rules = dir === 'ingress' ? p.ingress : p.egress;
  try {
    return rules.flatMap((r) => _rulePieces(r, dir, d)).map((x) => ({ nets: x.nets === null ? null : x.nets.cidrs, proto: x.proto as DomainPiece['proto'], ports: x.ports }));
  } catch (e) {
    if (e instanceof _Unbounded) return undefined;
    throw e;
  }
}

/** The prefilter for the jump into `p`'s chain in `dir`, or undefined when none applies. */
export function policyPrefilter(p: DesiredPolicy, dir: 'ingress' | 'egress', d: DesiredState): PolicyPrefilter | undefined {
  const rules = dir === 'ingress' ? p.ingress : p.egress;
  if (rules.filter((r) => r.skip === null).length < MIN_PREFILTER_RULES) return undefined;
  let pieces: _Piece[];
  try {
    pieces = rules.flatMap((r) => _rulePieces(r, dir, d));
  } catch (e) {
    if (e instanceof _Unbounded) return undefined;
    throw e;
  }
  if (pieces.length === 0) return undefined;
  // Ports only, one protocol, every address: a multiport match, no set.
  const protos = new Set(pieces.map((x) => x.proto));
  if (protos.size === 1 && pieces.every((x) => x.nets === null)) {
    const ports = _mergePorts(pieces.flatMap((x) => x.ports));
    if (splitPorts(ports).length === 1) return { match: [{ kind: 'protocol', protocol: [...protos][0]! as 'tcp' }, { kind: 'dstPorts', ports }] };
  }
  // (proto:port) → the nets of every piece naming it (null: every address).
  const byPort = new Map<string, _Nets[] | null>();
  let count = 0;
  for (const x of pieces) {
    for (const r of x.ports) {
      count += (r.last - r.first + 1) * (x.nets === null ? 2 : x.nets.cidrs.length);
      if (count > MAX_PREFILTER_MEMBERS * 4) return undefined;
      for (let port = r.first; port <= r.last; port++) {
        const k = `${x.proto}:${port}`;
        const had = byPort.get(k);
        if (had === null) continue;
        if (x.nets === null) byPort.set(k, null);
        else if (had === undefined) byPort.set(k, [x.nets]);
        else had.push(x.nets);
      }
    }
  }
  const members: string[] = [];
  for (const [k, nets] of byPort) {
    const texts = nets === null ? _EVERY[d.family] : nets.length === 1 ? nets[0]!.texts : _fold(nets.flatMap((n) => n.cidrs)).map(_cidrText);
    for (const t of texts) members.push(`${t},${k}`);
    if (members.length > MAX_PREFILTER_MEMBERS) return undefined;
  }
  members.sort();
  const name = ipSetName(prefilterSetId(p.key, dir), d.family);
  return {
    match: [{ kind: 'addrDstPortSet', set: name, addr: dir === 'ingress' ? 'src' : 'dst' }],
    set: { name, type: 'hash:net,port', family: d.family, members },
  };
}

/** Sorted, overlapping and adjacent ranges merged. */
function _mergePorts(ports: readonly PortRange[]): PortRange[] {
  const s = [...ports].sort((a, b) => a.first - b.first || a.last - b.last);
  const out: { first: number; last: number }[] = [];
  for (const r of s) {
    const prev = out[out.length - 1];
    if (prev !== undefined && r.first <= prev.last + 1) prev.last = Math.max(prev.last, r.last);
    else out.push({ first: r.first, last: r.last });
  }
  return out;
}
