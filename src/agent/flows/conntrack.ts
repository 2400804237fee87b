/**
 * @module Conntrack counts for flow events: `conntrack -L -o extended` (inside the node's
 * namespace; counts need `net.netfilter.nf_conntrack_acct=1` there) parsed into an index keyed by
 * the connection as the policy saw it, so a flow event finds its packet and byte counts in both
 * directions.
 *
 * The filter table sees a connection after DNAT, so an entry is indexed twice: by its original
 * tuple (`src sport → dst dport`) and by the tuple after DNAT (`src sport → reply-src reply-sport`),
 * which is what a Service connection's flow-log packet carries. ICMP echo is keyed by its id.
 */

export interface ConntrackCounts {
  readonly packetsOut: number;
  readonly bytesOut: number;
  readonly packetsIn: number;
  readonly bytesIn: number;
}

/** The join key of a connection: protocol number, then source and destination with ports. */
export function flowKey(proto: number, src: string, sport: number, dst: string, dport: number): string {
  return `${proto}|${src}|${sport}|${dst}|${dport}`;
}

const _PROTO: Readonly<Record<string, number>> = { tcp: 6, udp: 17, sctp: 132, icmp: 1, icmpv6: 58, udplite: 136 };

/** One `conntrack -L -o extended` line → its two keys and counts; undefined when it is not one. */
export function parseConntrackLine(line: string): { keys: string[]; counts: ConntrackCounts } | undefined {
  // ipv4 2 tcp 6 431999 ESTABLISHED src=A dst=B sport=1 dport=2 packets=3 bytes=4 src=B dst=A sport=2 dport=1 packets=5 bytes=6 [ASSURED] mark=0 use=1
  const toks = line.trim().split(/\s+/);
  if (toks.length < 8) return undefined;
  const proto = _PROTO[toks[2] ?? ''] ?? (/^\d{1,3}$/.test(toks[3] ?? '') ? Number(toks[3]) : undefined);
  if (proto === undefined) return undefined;
  const sides: Record<string, string>[] = [{}, {}];
  let side = -1;
  for (const t of toks) {
    const eq = t.indexOf('=');
    if (eq <= 0) continue;
    const k = t.slice(0, eq);
    if (k === 'src') side++;
    if (side < 0 || side > 1) continue;
    if (sides[side]![k] === undefined) sides[side]![k] = t.slice(eq + 1);
  }
  const [o, r] = sides as [Record<string, string>, Record<string, string>];
  if (o['src'] === undefined || o['dst'] === undefined || r['src'] === undefined) return undefined;
  const num = (v: string | undefined): number => (v !== undefined && /^\d{1,15}$/.test(v) ? Number(v) : 0);
  const icmp = proto === 1 || proto === 58;
  const sport = icmp ? num(o['id']) : num(o['sport']);
  const dport = icmp ? 0 : num(o['dport']);
  const rsport = icmp ? 0 : num(r['sport']);
  const keys = [flowKey(proto, o['src'], sport, o['dst'], dport)];
  if (r['src'] !== o['dst'] || rsport !== dport) keys.push(flowKey(proto, o['src'], sport, r['src'], rsport));
  return { keys, counts: { packetsOut: num(o['packets']), bytesOut: num(o['bytes']), packetsIn: num(r['packets']), bytesIn: num(r['bytes']) } };
}

/** Parses a whole listing into key → counts (at most `maxEntries` entries read). */
export function indexConntrack(text: string, maxEntries = 1_000_000): Map<string, ConntrackCounts> {
  const out = new Map<string, ConntrackCounts>();
  let n = 0;
  for (const line of text.split('\n')) {
    if (n >= maxEntries) break;
    const e = parseConntrackLine(line);
    if (e === undefined) continue;
    n++;
    for (const k of e.keys) out.set(k, e.counts);
  }
  return out;
}
