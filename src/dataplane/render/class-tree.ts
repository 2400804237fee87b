/**
 * @module Class dispatch for iptables (issue 19 item 4): the class map of an endpoint chain
 * (classes.ts; nft programs it as one verdict-map lookup) as a search tree of goto chains, so a
 * new connection reaches its class chain through O(log n) cheap header compares instead of
 * walking every selecting policy's jump and prefilter set lookup.
 *
 * The map's entries are disjoint boxes (remote address range × protocol × destination port
 * range). The tree tests, in order:
 * 1. the protocol (one rule per protocol with entries);
 * 2. the destination port: the protocol's port ranges (disjoint, each shared by all the entries
 *    of one port group of the plan), searched with at most TREE_FANOUT range tests per chain
 *    (`-p tcp -m multiport --dports lo:hi -g <child>`), children covering consecutive ranges;
 * 3. the remote address (source for ingress, destination for egress): the port group's address
 *    segments, searched the same way (`-s`/`-d` when a span is one CIDR, else
 *    `-m iprange --src-range`/`--dst-range`).
 * A leaf rule goes to the entry's class chain. Every tree chain ends with a goto to the
 * fall-through chain (the endpoint's tiers with only the unbounded policies: what the nft
 * endpoint chain does when no entry matches), so a packet in no entry's box reaches it however
 * far down the tree it got. Every step is a goto: the class or fall-through chain's RETURN
 * returns where the endpoint chain's would, and falling off its end is falling off the endpoint
 * chain's end, so the verdicts are the endpoint chain's.
 *
 * Chains are named by their content (`cali-ct-` + a hash of their rules), so endpoints with the
 * same plan share their trees, as they share class chains. Spans of one entry are tested whole:
 * a tree node's children are contiguous runs of sorted entries, tested by the run's first and
 * last bound, so gaps between runs fall to the fall-through rule.
 */
import { formatIp, maskOf, parseIp } from '../../lib/net.js';
import type { Chain, ClassMapEntry, IpFamily, MatchCriterion, Rule } from '../model.js';
import { chainName, PREFIX } from './names.js';

/** Range tests per tree chain (a packet evaluates about half of them per level). */
export const TREE_FANOUT = 4;
/** Address segments of one port group tested inline in the port chain (no address chain of their own). */
const _INLINE_SEGMENTS = 2;

export interface ClassTree {
  /** The chain the endpoint chain goes to. */
  readonly root: string;
  /** Every tree chain (content-named; the class and fall-through chains are the caller's). */
  readonly chains: readonly Chain[];
}

const _PROTOS = ['tcp', 'udp', 'sctp', 'udplite'] as const;

interface _Seg {
  readonly lo: bigint;
  readonly hi: bigint;
  readonly chain: string;
}

interface _Group {
  readonly lo: number;
  readonly hi: number;
  readonly segs: readonly _Seg[];
}

function _addr(s: string, family: IpFamily): bigint {
  const a = parseIp(s);
  if (a === undefined || a.family !== family) throw new Error(`class map entry address ${JSON.stringify(s)} is not IPv${family}`);
  return a.value;
}

/** Contiguous runs of at most `per` items, `n` runs in all. */
function _chunks<T>(items: readonly T[], n: number): T[][] {
  const per = Math.ceil(items.length / n);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += per) out.push(items.slice(i, i + per));
  return out;
}

/**
 * The iptables search tree for a class map's `entries` (disjoint, as classes.ts plans them),
 * matching the remote address on `addr`; packets in no entry go to `fallthrough`.
 */
export function renderClassTree(entries: readonly ClassMapEntry[], addr: 'src' | 'dst', fallthrough: string, family: IpFamily): ClassTree {
  const maxAddr = family === 4 ? (1n << 32n) - 1n : (1n << 128n) - 1n;
  const chains = new Map<string, Chain>();
  const toFallthrough: Rule = { match: [], action: { kind: 'goto', chain: fallthrough } };

  /** A content-named chain of `rules` then the fall-through goto; returns its name. */
  const chainOf = (rules: Rule[]): string => {
    const all = [...rules, toFallthrough];
    const name = chainName(PREFIX.classTree, JSON.stringify(all));
    const had = chains.get(name);
    if (had !== undefined && JSON.stringify(had.rules) !== JSON.stringify(all)) throw new Error(`class tree chain name ${name} collides`);
    chains.set(name, { name, rules: all });
    return name;
  };

  const addrTest = (lo: bigint, hi: bigint): MatchCriterion[] => {
    if (lo === 0n && hi === maxAddr) return [];
    const size = hi - lo + 1n;
    if ((size & (size - 1n)) === 0n) {
      const bits = family === 4 ? 32 : 128;
      let prefix = bits;
      while (1n << BigInt(bits - prefix) < size) prefix--;
      if ((lo & maskOf(family, prefix)) === lo) {
        const text = formatIp({ family, value: lo });
        const cidr = prefix === bits ? text : `${text}/${prefix}`;
        return [{ kind: addr === 'src' ? 'srcNet' : 'dstNet', cidr }];
      }
    }
    return [{ kind: 'addrRange', side: addr, first: formatIp({ family, value: lo }), last: formatIp({ family, value: hi }) }];
  };

  /** The chain (or class chain) a packet of the port group goes to, knowing only its port matched. */
  const addrNode = (segs: readonly _Seg[]): string => {
    if (segs.length === 1 && segs[0]!.lo === 0n && segs[0]!.hi === maxAddr) return segs[0]!.chain;
    if (segs.length <= TREE_FANOUT) return chainOf(segs.map((s) => ({ match: addrTest(s.lo, s.hi), action: { kind: 'goto', chain: s.chain } })));
    return chainOf(
      _chunks(segs, TREE_FANOUT).map((c) => ({ match: addrTest(c[0]!.lo, c[c.length - 1]!.hi), action: { kind: 'goto', chain: addrNode(c) } })),
    );
  };

  const portNode = (proto: (typeof _PROTOS)[number], groups: readonly _Group[]): string => {
    const portTest = (lo: number, hi: number): MatchCriterion[] => [
      { kind: 'protocol', protocol: proto },
      ...(lo === 0 && hi === 65535 ? [] : [{ kind: 'dstPorts', ports: [{ first: lo, last: hi }] } as const]),
    ];
    if (groups.length <= TREE_FANOUT) {
      const rules: Rule[] = [];
      for (const g of groups) {
        const full = g.segs.length === 1 && g.segs[0]!.lo === 0n && g.segs[0]!.hi === maxAddr;
        if (!full && g.segs.length <= _INLINE_SEGMENTS) {
          // Port and address in one rule: a packet failing the address test goes on to rules of
          // other (disjoint) ports, which cannot match, and so to the fall-through.
          for (const s of g.segs) rules.push({ match: [...portTest(g.lo, g.hi), ...addrTest(s.lo, s.hi)], action: { kind: 'goto', chain: s.chain } });
        } else rules.push({ match: portTest(g.lo, g.hi), action: { kind: 'goto', chain: addrNode(g.segs) } });
      }
      return chainOf(rules);
    }
    return chainOf(
      _chunks(groups, TREE_FANOUT).map((c) => ({ match: portTest(c[0]!.lo, c[c.length - 1]!.hi), action: { kind: 'goto', chain: portNode(proto, c) } })),
    );
  };

  const rootRules: Rule[] = [];
  for (const proto of _PROTOS) {
    const mine = entries.filter((e) => e.protocol === proto);
    if (mine.length === 0) continue;
    const byPorts = new Map<string, { lo: number; hi: number; segs: _Seg[] }>();
    for (const e of mine) {
      const k = `${e.ports.first}:${e.ports.last}`;
      let g = byPorts.get(k);
      if (g === undefined) byPorts.set(k, (g = { lo: e.ports.first, hi: e.ports.last, segs: [] }));
      g.segs.push({ lo: _addr(e.first, family), hi: _addr(e.last, family), chain: e.chain });
    }
    const groups = [...byPorts.values()].sort((a, b) => a.lo - b.lo);
    for (let i = 1; i < groups.length; i++)
      if (groups[i]!.lo <= groups[i - 1]!.hi) throw new Error(`class map port ranges overlap: ${proto} ${groups[i - 1]!.lo}:${groups[i - 1]!.hi} and ${groups[i]!.lo}:${groups[i]!.hi}`);
    for (const g of groups) {
      g.segs.sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
      for (let i = 1; i < g.segs.length; i++) if (g.segs[i]!.lo <= g.segs[i - 1]!.hi) throw new Error(`class map address ranges overlap (${proto} ${g.lo}:${g.hi})`);
    }
    rootRules.push({ match: [{ kind: 'protocol', protocol: proto }], action: { kind: 'goto', chain: portNode(proto, groups) } });
  }
  // One protocol: its port chain tests the protocol itself, so it is the root.
  const only = rootRules.length === 1 ? rootRules[0]!.action : undefined;
  const root = only?.kind === 'goto' ? only.chain : chainOf(rootRules);
  return { root, chains: [...chains.values()] };
}
