/**
 * @module The dataplane's vocabulary: iptables chains, rules, match criteria, actions, hook
 * insertions and IP sets, as plain readonly data (Felix `iptables.Chain`/`Rule`/`MatchCriteria`/
 * `Action` and `ipsets.IPSetMetadata`).
 *
 * Data only: no functions, no I/O. The renderer builds these values; `iptables/format.ts` turns
 * them into iptables-restore text; the appliers reconcile them with the kernel. Values are
 * family-agnostic except where a field says otherwise; the table that programs them decides
 * between iptables and ip6tables.
 *
 * Comments: a rule's human comment lives in `Rule.comment` only (there is deliberately no
 * `comment` match criterion: one place per fact). Every rule we write also carries our
 * `cali:<hash>` comment, added by the formatter, never by the renderer.
 */

export type Table = 'raw' | 'mangle' | 'filter' | 'nat';
export type IpFamily = 4 | 6;

/** The kernel's built-in chains, per table (what `Insertion.chain` may name). */
export type BuiltinChain = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';

/** Protocol by name (as iptables spells it) or by number. */
export type Protocol = 'tcp' | 'udp' | 'sctp' | 'udplite' | 'icmp' | 'icmpv6' | number;

/** An inclusive port range; a single port has `first === last`. */
export interface PortRange {
  readonly first: number;
  readonly last: number;
}

export type ConntrackState = 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID' | 'UNTRACKED' | 'SNAT' | 'DNAT';
export type AddrType = 'LOCAL' | 'UNICAST' | 'BROADCAST' | 'MULTICAST' | 'BLACKHOLE' | 'UNREACHABLE' | 'PROHIBIT';

/**
 * One match criterion. A rule matches when all its criteria match. Ports need a preceding
 * `protocol` criterion (iptables' multiport requires one); the renderer splits port lists into
 * chunks of at most 15 (multiport's limit, a range counting as two), the formatter does not.
 */
export type MatchCriterion =
  | { readonly kind: 'protocol'; readonly protocol: Protocol }
  | { readonly kind: 'notProtocol'; readonly protocol: Protocol }
  | { readonly kind: 'srcNet'; readonly cidr: string; readonly negated?: boolean }
  | { readonly kind: 'dstNet'; readonly cidr: string; readonly negated?: boolean }
  /** `-m set --match-set <set> src` (or `src,src` for `hash:ip,port`/`hash:net,port` sets). */
  | { readonly kind: 'srcIpSet'; readonly set: string; readonly withPort?: boolean; readonly negated?: boolean }
  /** `-m set --match-set <set> dst` (or `dst,dst` for `hash:ip,port`/`hash:net,port` sets). */
  | { readonly kind: 'dstIpSet'; readonly set: string; readonly withPort?: boolean; readonly negated?: boolean }
  /**
   * `-m set --match-set <set> src,dst` (`addr: 'src'`) or `dst,dst` (`addr: 'dst'`): the packet's
   * address and its protocol and destination port, against a `hash:net,port` set (the policy
   * prefilters, render/prefilter.ts).
   */
  | { readonly kind: 'addrDstPortSet'; readonly set: string; readonly addr: 'src' | 'dst'; readonly negated?: boolean }
  /**
   * `-m iprange --src-range <first>-<last>` (`side: 'src'`) or `--dst-range`: the address in an
   * inclusive range (the class dispatch trees, render/class-tree.ts).
   */
  | { readonly kind: 'addrRange'; readonly side: 'src' | 'dst'; readonly first: string; readonly last: string; readonly negated?: boolean }
  | { readonly kind: 'srcPorts'; readonly ports: readonly PortRange[]; readonly negated?: boolean }
  | { readonly kind: 'dstPorts'; readonly ports: readonly PortRange[]; readonly negated?: boolean }
  /** ICMP (family 4) or ICMPv6 (family 6) type, optionally with a code. */
  | { readonly kind: 'icmpType'; readonly family: IpFamily; readonly type: number; readonly code?: number; readonly negated?: boolean }
  /** Interface name; a trailing `+` is iptables' prefix wildcard (`cali+`). */
  | { readonly kind: 'inInterface'; readonly name: string; readonly negated?: boolean }
  | { readonly kind: 'outInterface'; readonly name: string; readonly negated?: boolean }
  /** Matches when `(packet mark & mask) === value`. */
  | { readonly kind: 'mark'; readonly value: number; readonly mask: number; readonly negated?: boolean }
  | { readonly kind: 'conntrackState'; readonly states: readonly ConntrackState[]; readonly negated?: boolean }
  | { readonly kind: 'srcAddrType'; readonly type: AddrType; readonly negated?: boolean }
  | { readonly kind: 'dstAddrType'; readonly type: AddrType; readonly negated?: boolean }
  /** Rate limit, e.g. `{ rate: '10/min', burst: 5 }` in front of a LOG action. */
  | { readonly kind: 'limit'; readonly rate: string; readonly burst?: number };

export type MatchKind = MatchCriterion['kind'];

/** The target of a rule. Terminal actions end evaluation; `log`, `nflog`, marks do not. */
export type Action =
  | { readonly kind: 'accept' }
  | { readonly kind: 'drop' }
  /** `with` is iptables' `--reject-with` (e.g. `icmp-port-unreachable`, `tcp-reset`). */
  | { readonly kind: 'reject'; readonly with?: string }
  | { readonly kind: 'return' }
  | { readonly kind: 'jump'; readonly chain: string }
  | { readonly kind: 'goto'; readonly chain: string }
  /** Sets the bits of `mark` under `mask`: `mark = (mark & ~mask) ^ value`. */
  | { readonly kind: 'setMark'; readonly mark: number; readonly mask: number }
  /** Clears the bits of `mask`. */
  | { readonly kind: 'clearMark'; readonly mask: number }
  /** `level` is a syslog level (0–7); the kernel default is 4 (warning). */
  | { readonly kind: 'log'; readonly prefix: string; readonly level?: number }
  | { readonly kind: 'nflog'; readonly group: number; readonly prefix: string; readonly size?: number }
  | { readonly kind: 'notrack' }
  /** `to` is `ip`, `ip:port` or `ip:port-port` (for the lab's kube-proxy). */
  | { readonly kind: 'dnat'; readonly to: string }
  | { readonly kind: 'snat'; readonly to: string; readonly randomFully?: boolean }
  | { readonly kind: 'masquerade'; readonly randomFully?: boolean }
  /**
   * nftables only (no iptables form): one verdict-map lookup on the packet's remote address
   * (`src` or `dst`), protocol and destination port, `goto` the entry's chain; no entry, no
   * verdict (evaluation continues). Entries never overlap (render/classes.ts).
   */
  | { readonly kind: 'classMap'; readonly addr: 'src' | 'dst'; readonly entries: readonly ClassMapEntry[] };

/** One element of a `classMap`: an address range (inclusive, as text), a protocol with ports, and a port range. */
export interface ClassMapEntry {
  readonly first: string;
  readonly last: string;
  readonly protocol: 'tcp' | 'udp' | 'sctp' | 'udplite';
  readonly ports: PortRange;
  readonly chain: string;
}

export type ActionKind = Action['kind'];

export interface Rule {
  readonly match: readonly MatchCriterion[];
  readonly action: Action;
  /** A human comment, written after our hash comment (truncated to fit the kernel's 255 bytes). */
  readonly comment?: string;
}

/** A chain we own. Its name starts with an owned prefix (`cali-`) and is at most 28 characters. */
export interface Chain {
  readonly name: string;
  readonly rules: readonly Rule[];
}

/**
 * Rules we insert at the top of one of the kernel's built-in chains (Felix's "insert mode"),
 * usually a single jump to our `cali-<CHAIN>` chain. They appear, in this order, before every
 * foreign rule; foreign rules in the built-in chain are never touched.
 */
export interface Insertion {
  readonly chain: BuiltinChain;
  readonly rules: readonly Rule[];
}

export type IpSetType = 'hash:net' | 'hash:ip' | 'hash:ip,port' | 'hash:net,port';

/**
 * An IP set we own (`cali40…` for IPv4, `cali60…` for IPv6, at most 31 characters). Members are
 * written as ipset spells them: `10.0.0.0/24`, `10.0.0.1`, `10.0.0.1,tcp:8080`; the planner
 * canonicalises them (host bits cleared, `/32` dropped) before comparing with the kernel.
 */
export interface IpSet {
  readonly name: string;
  readonly type: IpSetType;
  readonly family: IpFamily;
  readonly members: readonly string[];
}
