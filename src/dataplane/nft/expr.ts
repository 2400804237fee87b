/**
 * @module Dataplane rules (`../model.ts`) → nftables rule text, one statement list per rule
 * (the nft equivalent of `iptables/format.ts`; Felix's nftables mode translates the same generic
 * rules the same way).
 *
 * Translation, criterion by criterion (every iptables match has an exact nft counterpart):
 * - protocol → `meta l4proto`; ports → `th sport/dport { … }` (the renderer always puts a protocol
 *   first, as multiport requires); CIDRs → `ip saddr/daddr` (`ip6 saddr/daddr` for family 6);
 *   ICMP → `icmp type/code`, ICMPv6 → `icmpv6 type/code`;
 * - IP sets → named set lookups `ip saddr @set`; `hash:ip,port` sets (`src,src`/`dst,dst`) →
 *   `ip saddr . meta l4proto . th sport @set` against a concatenated set (`ip6 …` for family 6);
 * - marks → `meta mark & mask == value`; `--set-xmark v/m` → `meta mark set meta mark & ~m ^ v`;
 * - conntrack states → `ct state { … }`, the virtual SNAT/DNAT states → `ct status`;
 * - `cali+` interface wildcards → `"cali*"`;
 * - LOG → `log prefix "…" level <syslog name>`, NFLOG → `log prefix "…" group N`.
 * Free text is sanitised as the iptables formatter does (quotes become single quotes, control
 * characters and backslashes dropped) and truncated to the same limits (LOG prefix 29, NFLOG
 * prefix 63 bytes), so log lines read the same whichever backend wrote them; comments are cut
 * to nft's 128 bytes. Identifiers with characters nft cannot parse throw (a programming error).
 *
 * Pure: no `node:` imports, no I/O.
 */
import { assertNever } from '../../lib/assert-never.js';
import type { Action, ConntrackState, IpFamily, MatchCriterion, PortRange, Protocol, Rule } from '../model.js';
import { quotedText } from '../iptables/format.js';

const COMMENT_MAX_BYTES = 127;
const LOG_PREFIX_MAX = 29;
const NFLOG_PREFIX_MAX = 63;

/** nft identifiers we emit (chain and set names): letters, digits and `-_./`, a letter first. */
const IDENT_RE = /^[A-Za-z][A-Za-z0-9_./-]*$/;

export function nftIdent(s: string, what: string): string {
  if (!IDENT_RE.test(s) || s.length > 255) throw new Error(`invalid ${what} for nft: ${JSON.stringify(s)}`);
  return s;
}

/** A set name for nft from an ipset name (`cali40s:abc` → `cali40s-abc`; ids are `<kind>:<base64url>`). */
export function nftSetName(ipsetName: string): string {
  return nftIdent(ipsetName.replace(/:/g, '-'), 'set name');
}

export function nftText(s: string, maxBytes: number): string {
  return quotedText(s, maxBytes);
}

function _iface(name: string): string {
  if (name.length === 0 || !/^[A-Za-z0-9_.@:+-]+$/.test(name)) throw new Error(`invalid interface name for nft: ${JSON.stringify(name)}`);
  return `"${name.endsWith('+') ? `${name.slice(0, -1)}*` : name}"`;
}

const _hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
const _op = (negated: boolean | undefined): string => (negated === true ? '!= ' : '');
const _proto = (p: Protocol): string => (typeof p === 'number' ? String(p) : p);

function _ports(ports: readonly PortRange[]): string {
  if (ports.length === 0) throw new Error('empty port list');
  const items = ports.map((p) => (p.first === p.last ? String(p.first) : `${p.first}-${p.last}`));
  return `{ ${items.join(', ')} }`;
}

const _STATE: Readonly<Record<Exclude<ConntrackState, 'SNAT' | 'DNAT'>, string>> = {
  NEW: 'new',
  ESTABLISHED: 'established',
  RELATED: 'related',
  INVALID: 'invalid',
  UNTRACKED: 'untracked',
};

function _ctState(states: readonly ConntrackState[], negated: boolean | undefined): string {
  const nat = states.filter((s) => s === 'SNAT' || s === 'DNAT');
  const plain = states.filter((s): s is Exclude<ConntrackState, 'SNAT' | 'DNAT'> => s !== 'SNAT' && s !== 'DNAT');
  if (nat.length > 0 && plain.length > 0) throw new Error(`cannot translate mixed conntrack states ${states.join(',')} to nft`);
  if (nat.length > 0) {
    const bits = nat.map((s) => s.toLowerCase()).join(' | ');
    return negated === true ? `ct status & (${bits}) == 0` : `ct status & (${bits}) != 0`;
  }
  const words = plain.map((s) => _STATE[s]);
  if (negated === true) return `ct state & (${words.join(' | ')}) == 0`;
  return words.length === 1 ? `ct state ${words[0]!}` : `ct state { ${words.join(', ')} }`;
}

const _ADDR_TYPE: Readonly<Record<string, string>> = {
  LOCAL: 'local',
  UNICAST: 'unicast',
  BROADCAST: 'broadcast',
  MULTICAST: 'multicast',
  BLACKHOLE: 'blackhole',
  UNREACHABLE: 'unreachable',
  PROHIBIT: 'prohibit',
};

const _RATE_UNIT: Readonly<Record<string, string>> = { s: 'second', sec: 'second', second: 'second', m: 'minute', min: 'minute', minute: 'minute', h: 'hour', hour: 'hour', d: 'day', day: 'day' };

function _limit(rate: string, burst: number | undefined): string {
  const m = /^(\d+)\/([a-z]+)$/.exec(rate);
  const unit = m === null ? undefined : _RATE_UNIT[m[2]!];
  if (m === null || unit === undefined) throw new Error(`invalid limit rate for nft: ${JSON.stringify(rate)}`);
  return `limit rate ${m[1]!}/${unit}${burst !== undefined ? ` burst ${burst} packets` : ''}`;
}

/** One criterion; `family` picks `ip` or `ip6` address expressions (the table's family). */
export function nftMatch(m: MatchCriterion, family: IpFamily = 4): string {
  const ip = family === 6 ? 'ip6' : 'ip';
  switch (m.kind) {
    case 'protocol':
      return `meta l4proto ${_proto(m.protocol)}`;
    case 'notProtocol':
      return `meta l4proto != ${_proto(m.protocol)}`;
    case 'srcNet':
      return `${ip} saddr ${_op(m.negated)}${m.cidr}`;
    case 'dstNet':
      return `${ip} daddr ${_op(m.negated)}${m.cidr}`;
    case 'srcIpSet':
      return `${m.withPort === true ? `${ip} saddr . meta l4proto . th sport` : `${ip} saddr`} ${_op(m.negated)}@${nftSetName(m.set)}`;
    case 'dstIpSet':
      return `${m.withPort === true ? `${ip} daddr . meta l4proto . th dport` : `${ip} daddr`} ${_op(m.negated)}@${nftSetName(m.set)}`;
    case 'addrDstPortSet':
      return `${ip} ${m.addr === 'src' ? 'saddr' : 'daddr'} . meta l4proto . th dport ${_op(m.negated)}@${nftSetName(m.set)}`;
    case 'addrRange':
      return `${ip} ${m.side === 'src' ? 'saddr' : 'daddr'} ${_op(m.negated)}${m.first}-${m.last}`;
    case 'srcPorts':
      return `th sport ${_op(m.negated)}${_ports(m.ports)}`;
    case 'dstPorts':
      return `th dport ${_op(m.negated)}${_ports(m.ports)}`;
    case 'icmpType': {
      const fam = m.family === 6 ? 'icmpv6' : 'icmp';
      if (m.code === undefined) return `${fam} type ${_op(m.negated)}${m.type}`;
      return m.negated === true ? `${fam} type . ${fam} code != { ${m.type} . ${m.code} }` : `${fam} type ${m.type} ${fam} code ${m.code}`;
    }
    case 'inInterface':
      return `iifname ${_op(m.negated)}${_iface(m.name)}`;
    case 'outInterface':
      return `oifname ${_op(m.negated)}${_iface(m.name)}`;
    case 'mark':
      return `meta mark & ${_hex(m.mask)} ${m.negated === true ? '!=' : '=='} ${_hex(m.value)}`;
    case 'conntrackState':
      return _ctState(m.states, m.negated);
    case 'srcAddrType':
      return `fib saddr type ${_op(m.negated)}${_ADDR_TYPE[m.type] ?? m.type.toLowerCase()}`;
    case 'dstAddrType':
      return `fib daddr type ${_op(m.negated)}${_ADDR_TYPE[m.type] ?? m.type.toLowerCase()}`;
    case 'limit':
      return _limit(m.rate, m.burst);
    default:
      return assertNever(m);
  }
}

const _LEVEL = ['emerg', 'alert', 'crit', 'err', 'warn', 'notice', 'info', 'debug'] as const;

/** `chainFor` maps a dataplane chain name to the nft chain it became. */
export function nftAction(a: Action, chainFor: (name: string) => string, family: IpFamily = 4): string {
  switch (a.kind) {
    case 'accept':
      return 'accept';
    case 'drop':
      return 'drop';
    case 'return':
      return 'return';
    case 'reject':
      if (a.with === undefined) return 'reject';
      if (a.with === 'tcp-reset') return 'reject with tcp reset';
      return family === 6 ? `reject with icmpv6 type ${a.with.replace(/^icmp6-/, '')}` : `reject with icmp type ${a.with.replace(/^icmp-/, '')}`;
    case 'jump':
      return `jump ${nftIdent(chainFor(a.chain), 'chain name')}`;
    case 'goto':
      return `goto ${nftIdent(chainFor(a.chain), 'chain name')}`;
    case 'setMark':
      return `meta mark set meta mark & ${_hex(~a.mask)} ^ ${_hex(a.mark)}`;
    case 'clearMark':
      return `meta mark set meta mark & ${_hex(~a.mask)}`;
    case 'log': {
      const level = _LEVEL[a.level ?? 4];
      if (level === undefined) throw new Error(`invalid log level ${String(a.level)}`);
      return `log prefix ${nftText(a.prefix, LOG_PREFIX_MAX)} level ${level}`;
    }
    case 'nflog':
      return `log prefix ${nftText(a.prefix, NFLOG_PREFIX_MAX)} group ${a.group}${a.size !== undefined ? ` snaplen ${a.size}` : ''}`;
    case 'notrack':
      return 'notrack';
    case 'dnat':
      return `dnat to ${a.to}`;
    case 'snat':
      return `snat to ${a.to}${a.randomFully === true ? ' fully-random' : ''}`;
    case 'masquerade':
      return `masquerade${a.randomFully === true ? ' fully-random' : ''}`;
    case 'classMap': {
      const ip = family === 6 ? 'ip6' : 'ip';
      const range = (x: string, y: string | number): string => (String(x) === String(y) ? String(x) : `${x}-${y}`);
      const entries = a.entries.map((e) => {
        if (!/^[0-9a-fA-F.:]+$/.test(e.first) || !/^[0-9a-fA-F.:]+$/.test(e.last)) throw new Error(`invalid address in a class map: ${JSON.stringify(e)}`);
        return `${range(e.first, e.last)} . ${e.protocol} . ${range(String(e.ports.first), e.ports.last)} : goto ${nftIdent(chainFor(e.chain), 'chain name')}`;
      });
      return `${ip} ${a.addr === 'src' ? 'saddr' : 'daddr'} . meta l4proto . th dport vmap { ${entries.join(', ')} }`;
    }
    default:
      return assertNever(a);
  }
}

/** One rule: `<matches> <action> [comment "…"]`, for a table of `family`. */
export function nftRule(r: Rule, chainFor: (name: string) => string, family: IpFamily = 4): string {
  const parts = r.match.map((m) => nftMatch(m, family));
  parts.push(nftAction(r.action, chainFor, family));
  if (r.comment !== undefined && r.comment !== '') parts.push(`comment ${nftText(r.comment, COMMENT_MAX_BYTES)}`);
  return parts.join(' ');
}
