/**
 * @module FlowAssembler: NFLOG'd packets (with their decoded verdicts) → one FlowEvent per new
 * connection and direction. Pure apart from the clock values passed in.
 *
 * A new connection's first packet meets several marks in order (a Pass in one tier, then an
 * Allow in the next; egress on the source's node, ingress on the destination's). They are
 * grouped by (direction, protocol, source, source port, destination, destination port). A
 * packet that repeats the group's first mark is the same connection's next new packet (a
 * retransmitted SYN that was dropped): it counts as a packet, not as more verdicts. A group is
 * held `holdMs` (2 s) after its first packet, then emitted with conntrack's counts when the kernel has
 * an entry (allowed connections) or the NFLOG'd packets' counts otherwise (denied ones never get
 * one). Packets of a connection already emitted that arrive within 30 s (retransmissions after
 * the hold) are counted as `repeats`, not emitted again. The table of groups is bounded: past
 * `maxPending`, new connections are counted as dropped, not stored.
 */
import type { Snapshot } from '../../engine/index.js';
import { protocolName } from '../../engine/index.js';
import type { FlowEvent, FlowPolicyHit } from '../../model/flows.js';
import { flowKey, type ConntrackCounts } from './conntrack.js';
import { resolveEndpoint } from './resolve.js';
import type { NflogPacket } from './ulogd.js';

interface _Pending {
  readonly key: string;
  readonly first: NflogPacket;
  readonly firstPrefix: string;
  readonly seenAt: number;
  readonly hits: FlowPolicyHit[];
  packets: number;
  bytes: number;
}

const _TERMINAL: Readonly<Record<string, 'allow' | 'deny' | undefined>> = {
  allow: 'allow',
  'profile-allow': 'allow',
  deny: 'deny',
  'end-of-tier-deny': 'deny',
  'profile-deny': 'deny',
};

/** How long an emitted connection's later new packets are taken as retransmissions (ms). */
const _RECENT_MS = 30_000;

export interface FlowAssemblerOptions {
  readonly node: string;
  readonly holdMs?: number;
  readonly maxPending?: number;
}

export class FlowAssembler {
  private readonly _pending = new Map<string, _Pending>();
  /** Keys emitted recently (key → emitted at), oldest first: a late retransmission is not a new connection. */
  private readonly _recent = new Map<string, number>();
  /** Late packets of connections already emitted (retransmitted SYNs after the hold time). */
  repeats = 0;
  readonly holdMs: number;
  private readonly _max: number;
  /** New connections not stored because the table was full. */
  dropped = 0;

  constructor(private readonly o: FlowAssemblerOptions) {
    this.holdMs = o.holdMs ?? 2000;
    this._max = o.maxPending ?? 100_000;
  }

  get pending(): number {
    return this._pending.size;
  }

  /** One NFLOG'd packet and the verdict its prefix stands for; `now` is the arrival time (ms). */
  add(p: NflogPacket, hit: FlowPolicyHit, now: number): void {
    const key = `${hit.direction === 'ingress' ? 'I' : 'E'}|${flowKey(p.proto, p.src, p.sport, p.dst, p.dport)}`;
    const e = this._pending.get(key);
    if (e === undefined) {
      const at = this._recent.get(key);
      if (at !== undefined && now - at < _RECENT_MS) {
        this.repeats++;
        return;
      }
      if (this._pending.size >= this._max) {
        this.dropped++;
        return;
      }
      this._pending.set(key, { key, first: p, firstPrefix: p.prefix, seenAt: now, hits: [hit], packets: 1, bytes: p.len });
      return;
    }
    if (p.prefix === e.firstPrefix) {
      e.packets++;
      e.bytes += p.len;
      return;
    }
    if (e.hits.length < 64 && !e.hits.some((h) => _TERMINAL[h.action] !== undefined)) e.hits.push(hit);
  }

  /** Removes and returns the groups held long enough (all of them with `all`). */
  takeDue(now: number, all = false): readonly _Pending[] {
    const out: _Pending[] = [];
    for (const [k, e] of this._pending) {
      if (!all && now - e.seenAt < this.holdMs) break; // insertion order = arrival order
      out.push(e);
      this._pending.delete(k);
      this._recent.delete(k);
      this._recent.set(k, now);
    }
    // Forget old keys (and keep the memory bounded: at most maxPending of them).
    for (const [k, at] of this._recent) {
      if (now - at < _RECENT_MS && this._recent.size <= this._max) break;
      this._recent.delete(k);
    }
    return out;
  }

  /** Whether a group's verdict is allow (the ones worth a conntrack lookup). */
  static allowed(e: { readonly hits: readonly FlowPolicyHit[] }): boolean {
    const t = e.hits.find((h) => _TERMINAL[h.action] !== undefined);
    return t === undefined || _TERMINAL[t.action] === 'allow';
  }

  /** Groups → events: endpoints resolved from `snapshot`, counts from `conntrack` when it has the connection. */
  events(due: readonly _Pending[], snapshot: Snapshot | undefined, conntrack: ReadonlyMap<string, ConntrackCounts> | undefined): { events: FlowEvent[]; joined: number } {
    const out: FlowEvent[] = [];
    let joined = 0;
    const cache = new Map<string, ReturnType<typeof resolveEndpoint>>();
    const resolve = (a: string): ReturnType<typeof resolveEndpoint> => {
      let r = cache.get(a);
      if (r === undefined) {
        r = snapshot !== undefined ? resolveEndpoint(snapshot, a) : { kind: 'net', namespace: '', name: '', ip: a, labels: {} };
        cache.set(a, r);
      }
      return r;
    };
    for (const e of due) {
      const p = e.first;
      const allow = FlowAssembler.allowed(e);
      const ct = allow ? conntrack?.get(flowKey(p.proto, p.src, p.sport, p.dst, p.dport)) : undefined;
      if (ct !== undefined) joined++;
      const icmp = p.proto === 1 || p.proto === 58;
      out.push({
        time: p.time,
        node: this.o.node,
        reporter: e.hits[0]!.direction === 'egress' ? 'src' : 'dst',
        source: resolve(p.src),
        dest: resolve(p.dst),
        protocol: protocolName(p.proto).toLowerCase(),
        sourcePort: icmp ? 0 : p.sport,
        destPort: icmp ? 0 : p.dport,
        action: allow ? 'allow' : 'deny',
        enforced: e.hits,
        pending: [],
        packetsOut: ct?.packetsOut ?? e.packets,
        bytesOut: ct?.bytesOut ?? e.bytes,
        packetsIn: ct?.packetsIn ?? 0,
        bytesIn: ct?.bytesIn ?? 0,
      });
    }
    return { events: out, joined };
  }
}
