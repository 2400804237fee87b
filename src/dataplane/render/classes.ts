/**
 * @module Class dispatch for an endpoint chain (issue 19 item 4): the packets an endpoint chain
 * sees are split by (remote address, protocol, destination port) into classes, each class being
 * the set of policies whose match domain (prefilter.ts `policyDomain`) contains those packets.
 * The endpoint chain then looks the packet up once (an nft verdict map, `classMap` in the model;
 * on iptables a search tree of goto chains, class-tree.ts) and goes to its class's chain, which
 * holds the endpoint's tiers with only that class's policies, in the original order, plus every
 * policy whose domain is unbounded. A packet outside every bounded domain falls through to a
 * copy with only the unbounded policies (nft: the endpoint chain's own rules after the map;
 * iptables: a fall-through class chain). A new connection then walks one lookup and the policies that could match it,
 * however many others select the endpoint.
 *
 * Same verdicts: a policy left out of a class chain could not have matched any packet of the
 * class (its domain is an over-approximation of what its rules match, see prefilter.ts), so
 * walking it would have set no mark, dropped nothing and logged nothing. The tiers themselves
 * (their `Start of tier`, their return and their end-of-tier drop, with the flow-log marks) are
 * kept in every class chain, even with no policy left in a tier.
 *
 * The partition: per protocol, the destination ports are cut at every piece's range edges;
 * per port interval the remote addresses are swept (each piece's nets as address ranges) into
 * segments of constant policy set; neighbouring port intervals with the same segments merge. A
 * segment with no bounded policy gets no entry (the fall-through). Entries are disjoint by
 * construction. Bounds: with fewer than MIN_CLASS_POLICIES bounded policies the chain stays as
 * it is (nothing to save); above MAX_CLASS_ENTRIES entries or MAX_CLASSES classes, or too much
 * work, no dispatch (the per-policy prefilters remain).
 */
import { formatIp, maskOf, type Cidr } from '../../lib/net.js';
import type { ClassMapEntry, IpFamily, PortRange } from '../model.js';
import type { DomainPiece } from './prefilter.js';

/** Chains with fewer bounded policies keep their plain layout. */
export const MIN_CLASS_POLICIES = 4;
export const MAX_CLASS_ENTRIES = 4096;
export const MAX_CLASSES = 256;
/** Piece visits (port intervals × covering pieces) above which planning stops. */
const _MAX_WORK = 200_000;

export interface ClassPlan {
  /** The map's entries, with `cls` the index of the class they go to (chain names are filled in by the caller). */
  readonly entries: readonly (Omit<ClassMapEntry, 'chain'> & { readonly cls: number })[];
  /** Per class, the bounded policies (keys) in it. */
  readonly classes: readonly ReadonlySet<string>[];
  /** Every policy with a bounded domain: left out of the fall-through, present only in its classes. */
  readonly bounded: ReadonlySet<string>;
}

interface _Seg {
  first: bigint;
  last: bigint;
  key: string;
}

function _range(c: Cidr): [bigint, bigint] {
  const m = maskOf(c.family, c.prefix);
  const first = c.addr & m;
  const all = c.family === 4 ? (1n << 32n) - 1n : (1n << 128n) - 1n;
  return [first, first | (~m & all)];
}

/**
 * Plans the class dispatch of a chain jumping into `keys` (in order; a key may repeat across
 * tiers) with `domainOf` giving each policy's domain (undefined: unbounded), or undefined when
 * the chain is better left as it is.
 */
export function planClasses(keys: readonly string[], domainOf: (key: string) => readonly DomainPiece[] | undefined, family: IpFamily): ClassPlan | undefined {
  const order: string[] = [];
  const pieces: { pol: number; piece: DomainPiece }[] = [];
  const bounded = new Set<string>();
  for (const k of keys) {
    if (bounded.has(k)) continue;
    const dom = domainOf(k);
    if (dom === undefined) continue;
    bounded.add(k);
    order.push(k);
    for (const piece of dom) pieces.push({ pol: order.length - 1, piece });
  }
  if (new Set(pieces.map((x) => x.pol)).size < MIN_CLASS_POLICIES) return undefined;
  const maxAddr = family === 4 ? (1n << 32n) - 1n : (1n << 128n) - 1n;
  const rangesOf = new Map<DomainPiece, [bigint, bigint][]>();
  for (const { piece } of pieces) if (!rangesOf.has(piece)) rangesOf.set(piece, piece.nets === null ? [[0n, maxAddr]] : piece.nets.map(_range));

  const classIndex = new Map<string, number>();
  const classes: Set<string>[] = [];
  const entries: (Omit<ClassMapEntry, 'chain'> & { cls: number })[] = [];
  let work = 0;
  for (const proto of ['tcp', 'udp', 'sctp', 'udplite'] as const) {
    const mine = pieces.filter((x) => x.piece.proto === proto);
    if (mine.length === 0) continue;
    const edges = new Set<number>();
    for (const { piece } of mine)
      for (const r of piece.ports) {
        edges.add(r.first);
        edges.add(r.last + 1);
      }
    const cuts = [...edges].sort((a, b) => a - b);
    // Port groups: [ports, segments]; neighbours with equal segments are merged.
    const groups: { ports: { first: number; last: number }; segs: _Seg[]; sig: string }[] = [];
    for (let i = 0; i + 1 < cuts.length; i++) {
      const lo = cuts[i]!;
      const hi = cuts[i + 1]! - 1;
      const cover = mine.filter((x) => x.piece.ports.some((r) => r.first <= lo && lo <= r.last));
      work += cover.length;
      if (work > _MAX_WORK) return undefined;
      if (cover.length === 0) continue;
      const segs = _sweep(cover.map((x) => ({ pol: x.pol, ranges: rangesOf.get(x.piece)! })));
      const sig = segs.map((s) => `${s.first}-${s.last}:${s.key}`).join(' ');
      const prev = groups[groups.length - 1];
      if (prev !== undefined && prev.ports.last + 1 === lo && prev.sig === sig) prev.ports.last = hi;
      else groups.push({ ports: { first: lo, last: hi }, segs, sig });
    }
    for (const g of groups)
      for (const s of g.segs) {
        let cls = classIndex.get(s.key);
        if (cls === undefined) {
          cls = classes.length;
          classIndex.set(s.key, cls);
          classes.push(new Set(s.key.split(',').map((i) => order[Number(i)]!)));
          if (classes.length > MAX_CLASSES) return undefined;
        }
        entries.push({ first: formatIp({ family, value: s.first }), last: formatIp({ family, value: s.last }), protocol: proto, ports: { ...g.ports } as PortRange, cls });
        if (entries.length > MAX_CLASS_ENTRIES) return undefined;
      }
  }
  return { entries, classes, bounded };
}

/** The address segments of constant (non-empty) policy set, in order, neighbours with equal sets merged. */
function _sweep(cover: readonly { pol: number; ranges: readonly [bigint, bigint][] }[]): _Seg[] {
  const events: { at: bigint; pol: number; d: number }[] = [];
  for (const c of cover)
    for (const [first, last] of c.ranges) {
      events.push({ at: first, pol: c.pol, d: 1 });
      events.push({ at: last + 1n, pol: c.pol, d: -1 });
    }
  events.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const active = new Map<number, number>();
  const out: _Seg[] = [];
  let i = 0;
  while (i < events.length) {
    const at = events[i]!.at;
    while (i < events.length && events[i]!.at === at) {
      const e = events[i]!;
      const n = (active.get(e.pol) ?? 0) + e.d;
      if (n === 0) active.delete(e.pol);
      else active.set(e.pol, n);
      i++;
    }
    if (active.size === 0 || i >= events.length) continue;
    const key = [...active.keys()].sort((a, b) => a - b).join(',');
    const last = events[i]!.at - 1n;
    const prev = out[out.length - 1];
    if (prev !== undefined && prev.last + 1n === at && prev.key === key) prev.last = last;
    else out.push({ first: at, last, key });
  }
  return out;
}
