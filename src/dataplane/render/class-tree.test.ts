/**
 * iptables class trees (class-tree.ts): walking the rendered goto chains for a packet, by the
 * matches' iptables meaning, must end in exactly the chain of the class-map entry holding the
 * packet, or in the fall-through chain when none does; with few rule evaluations (logarithmic
 * in the entries); every chain formats for iptables. The kernel behaviour is checked by the
 * iptables driver tests and `tabby lab verify --many-policies` on iptables-nft and legacy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCidrOrIp, parseIp, type Cidr } from '../../lib/net.js';
import { mulberry32 } from '../../lib/prng.js';
import { formatRuleSpec } from '../iptables/format.js';
import type { Chain, ClassMapEntry, IpFamily, MatchCriterion } from '../model.js';
import { planClasses } from './classes.js';
import { renderClassTree, TREE_FANOUT } from './class-tree.js';
import { MAX_CHAIN_NAME } from './names.js';
import type { DomainPiece } from './prefilter.js';

type Packet = { a: bigint; proto: string; port: number };

const _addrs = new Map<string, bigint>();
const addr = (s: string): bigint => {
  let v = _addrs.get(s);
  if (v === undefined) _addrs.set(s, (v = parseIp(s)!.value));
  return v;
};

function inCidr(text: string, a: bigint, family: IpFamily): boolean {
  const c = parseCidrOrIp(text)!;
  assert.equal(c.family, family);
  const size = 1n << BigInt((family === 4 ? 32 : 128) - c.prefix);
  return (c.addr / size) * size <= a && a < (c.addr / size) * size + size;
}

/** Whether an iptables criterion holds for the packet (the kinds a tree uses; any other fails the test). */
function holds(m: MatchCriterion, p: Packet, side: 'src' | 'dst', family: IpFamily): boolean {
  switch (m.kind) {
    case 'protocol':
      return m.protocol === p.proto;
    case 'dstPorts':
      assert.ok(m.negated !== true);
      return m.ports.some((r) => r.first <= p.port && p.port <= r.last);
    case 'srcNet':
    case 'dstNet':
      assert.equal(m.kind, side === 'src' ? 'srcNet' : 'dstNet');
      assert.ok(m.negated !== true);
      return inCidr(m.cidr, p.a, family);
    case 'addrRange':
      assert.equal(m.side, side);
      assert.ok(m.negated !== true);
      return addr(m.first) <= p.a && p.a <= addr(m.last);
    default:
      throw new Error(`unexpected criterion in a class tree: ${m.kind}`);
  }
}

/** Follows gotos from `root` until a chain that is not a tree chain; returns it and the rules evaluated. */
function walk(chains: ReadonlyMap<string, Chain>, root: string, p: Packet, side: 'src' | 'dst', family: IpFamily): { end: string; evaluated: number } {
  let at = root;
  let evaluated = 0;
  for (let hops = 0; hops < 200; hops++) {
    const c = chains.get(at);
    if (c === undefined) return { end: at, evaluated };
    const hit = c.rules.find((r) => {
      evaluated++;
      return r.match.every((m) => holds(m, p, side, family));
    });
    assert.ok(hit !== undefined, `tree chain ${at} ends without a verdict for ${JSON.stringify(p, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`);
    assert.equal(hit.action.kind, 'goto');
    if (hit.action.kind === 'goto') at = hit.action.chain;
  }
  throw new Error('tree walk did not end');
}

function lookup(entries: readonly ClassMapEntry[], p: Packet): string | undefined {
  const hits = entries.filter((e) => e.protocol === p.proto && e.ports.first <= p.port && p.port <= e.ports.last && addr(e.first) <= p.a && p.a <= addr(e.last));
  assert.ok(hits.length <= 1);
  return hits[0]?.chain;
}

/** Class-map entries as the renderer makes them: planned over random domains, class i → `cali-cl-c<i>`. */
function entriesOf(seed: number, family: IpFamily, nets: readonly string[], policies: number): ClassMapEntry[] | undefined {
  const r = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const keys: string[] = [];
  const domains = new Map<string, DomainPiece[]>();
  for (let i = 0; i < policies; i++) {
    keys.push(`p${i}`);
    const pieces: DomainPiece[] = [];
    for (let k = 1 + Math.floor(r() * 3); k > 0; k--) {
      const first = 1 + Math.floor(r() * 300);
      const ports = [{ first, last: r() < 0.6 ? first : first + Math.floor(r() * 50) }];
      if (r() < 0.2) ports.push({ first: 60000, last: 65535 });
      const n: Cidr[] = Array.from({ length: 1 + Math.floor(r() * 3) }, () => parseCidrOrIp(pick(nets))!);
      pieces.push({ proto: pick(['tcp', 'tcp', 'udp', 'sctp'] as const), ports, nets: r() < 0.25 ? null : n });
    }
    domains.set(`p${i}`, pieces);
  }
  const plan = planClasses(keys, (k) => domains.get(k), family);
  return plan?.entries.map(({ cls, ...e }) => ({ ...e, chain: `cali-cl-c${cls}` }));
}

function check(entries: readonly ClassMapEntry[], family: IpFamily, side: 'src' | 'dst', extra: readonly bigint[], label: string): number {
  const tree = renderClassTree(entries, side, 'cali-cl-fall', family);
  const chains = new Map(tree.chains.map((c) => [c.name, c]));
  assert.ok(chains.has(tree.root), `${label}: the root is a tree chain`);
  for (const c of tree.chains) {
    assert.match(c.name, /^cali-ct-/);
    assert.ok(c.name.length <= MAX_CHAIN_NAME);
    assert.ok(c.rules.length <= 2 * TREE_FANOUT + 1, `${label}: ${c.name} has ${c.rules.length} rules`);
    // Every chain ends in the fall-through, and every rule formats for iptables.
    assert.deepEqual(c.rules[c.rules.length - 1], { match: [], action: { kind: 'goto', chain: 'cali-cl-fall' } });
    for (const rule of c.rules) formatRuleSpec(rule);
  }
  // Probe each entry's corners and their neighbours against its port edges and their neighbours
  // (in its protocol and one other), and random packets.
  const max = family === 4 ? (1n << 32n) - 1n : (1n << 128n) - 1n;
  const probes: Packet[] = [];
  const r = mulberry32(entries.length);
  const protos = ['tcp', 'udp', 'sctp', 'udplite', 'icmp'];
  // At most ~500 entries' corners (a stride over big maps).
  const stride = Math.max(1, Math.floor(entries.length / 500));
  for (let i = 0; i < entries.length; i += stride) {
    const e = entries[i]!;
    const other = protos[Math.floor(r() * protos.length)]!;
    for (const port of [e.ports.first - 1, e.ports.first, e.ports.last, e.ports.last + 1])
      for (const a of [addr(e.first) - 1n, addr(e.first), addr(e.last), addr(e.last) + 1n])
        if (port >= 0 && port <= 65535 && a >= 0n && a <= max) probes.push({ a, proto: e.protocol, port }, { a, proto: other, port });
  }
  for (let i = 0; i < 300; i++) {
    const a = extra[Math.floor(r() * extra.length)]! + BigInt(Math.floor(r() * 3)) - 1n;
    probes.push({ a: a < 0n ? 0n : a > max ? max : a, proto: protos[Math.floor(r() * protos.length)]!, port: Math.floor(r() * 400) });
  }
  let worst = 0;
  for (const p of probes) {
    const { end, evaluated } = walk(chains, tree.root, p, side, family);
    assert.equal(end, lookup(entries, p) ?? 'cali-cl-fall', `${label}: ${p.proto} ${p.a} ${p.port}`);
    worst = Math.max(worst, evaluated);
  }
  return worst;
}

test('walking the tree ends in the chain of the entry holding the packet, else the fall-through (seeded random plans, IPv4 and IPv6)', () => {
  const nets4 = ['10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24', '10.1.2.3', '10.1.2.4', '192.168.0.0/16', '192.168.7.0/25', '0.0.0.0/1', '128.0.0.0/1'];
  for (let i = 0; i < 40; i++) nets4.push(`198.19.0.${i * 3 + 1}`);
  const nets6 = ['2001:db8::/32', '2001:db8:1::/48', '2001:db8:1::5', '2001:db8:1::6', '::/1', '8000::/1', '2001:db8:2::/64'];
  let planned = 0;
  for (let seed = 1; seed <= 30; seed++)
    for (const family of [4, 6] as const) {
      const entries = entriesOf(seed, family, family === 4 ? nets4 : nets6, 4 + (seed % 25));
      if (entries === undefined || entries.length === 0) continue;
      planned++;
      const probes = (family === 4 ? ['0.0.0.0', '10.1.2.3', '198.19.0.2', '255.255.255.255'] : ['::', '2001:db8:1::5', 'ffff::1']).map(addr);
      check(entries, family, seed % 2 === 0 ? 'src' : 'dst', probes, `seed ${seed} IPv${family}`);
    }
  assert.ok(planned >= 40, `only ${planned} plans had entries`);
});

test('a packet walks a logarithmic number of rules: 4,096 entries (64 ports × 64 addresses)', () => {
  const entries: ClassMapEntry[] = [];
  for (let port = 0; port < 64; port++)
    for (let a = 0; a < 64; a++) entries.push({ first: `198.19.${a}.0`, last: `198.19.${a}.127`, protocol: 'tcp', ports: { first: 1000 + 2 * port, last: 1000 + 2 * port }, chain: `cali-cl-c${(port + a) % 7}` });
  const worst = check(entries, 4, 'src', [addr('198.19.10.200'), addr('1.2.3.4')], '4096 entries');
  // log4(64) = 3 port levels and 3 address levels, at most 5 rules each, plus the root.
  assert.ok(worst <= 32, `a packet evaluated ${worst} rules`);
});

test('ports and CIDR-shaped spans use native matches; one entry over every address goes straight to its class', () => {
  const entries: ClassMapEntry[] = [
    { first: '0.0.0.0', last: '255.255.255.255', protocol: 'tcp', ports: { first: 7000, last: 7000 }, chain: 'cali-cl-a' },
    { first: '10.0.0.0', last: '10.0.255.255', protocol: 'tcp', ports: { first: 8080, last: 8080 }, chain: 'cali-cl-b' },
    { first: '10.1.0.1', last: '10.1.0.9', protocol: 'tcp', ports: { first: 8080, last: 8080 }, chain: 'cali-cl-c' },
    { first: '0.0.0.0', last: '255.255.255.255', protocol: 'udp', ports: { first: 53, last: 53 }, chain: 'cali-cl-d' },
  ];
  const tree = renderClassTree(entries, 'src', 'cali-cl-fall', 4);
  const root = tree.chains.find((c) => c.name === tree.root)!;
  assert.deepEqual(root.rules.map(formatRuleSpec).slice(0, 2), [`-p tcp -g ${root.rules[0]!.action.kind === 'goto' ? root.rules[0]!.action.chain : ''}`, `-p udp -g ${root.rules[1]!.action.kind === 'goto' ? root.rules[1]!.action.chain : ''}`]);
  const text = tree.chains.flatMap((c) => c.rules.map(formatRuleSpec));
  assert.ok(text.includes('-p tcp -m multiport --dports 7000 -g cali-cl-a'));
  assert.ok(text.includes('-p tcp -m multiport --dports 8080 -s 10.0.0.0/16 -g cali-cl-b'));
  assert.ok(text.includes('-p tcp -m multiport --dports 8080 -m iprange --src-range 10.1.0.1-10.1.0.9 -g cali-cl-c'));
  assert.ok(text.includes('-p udp -m multiport --dports 53 -g cali-cl-d'));
  // Overlapping entries are a planning error, never rendered.
  assert.throws(() => renderClassTree([...entries, { ...entries[2]!, first: '10.1.0.5', last: '10.1.0.20' }], 'src', 'cali-cl-fall', 4), /overlap/);
});
