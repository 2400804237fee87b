/**
 * Class dispatch planning (classes.ts): against a brute force over sample packets, the entry a
 * packet hits (or none) must give exactly the bounded policies whose domain holds it; entries
 * never overlap; small chains get no plan. The rendered chains are tested in prefilter.test.ts,
 * the kernel behaviour by the nft driver tests and `tabby lab verify --dataplane nft`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCidrOrIp, parseIp, type Cidr } from '../../lib/net.js';
import { MIN_CLASS_POLICIES, planClasses, type ClassPlan } from './classes.js';
import type { DomainPiece } from './prefilter.js';
import { mulberry32 } from '../../lib/prng.js';

const rng = mulberry32;

const NETS = ['10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24', '10.1.2.3', '10.1.2.4', '192.168.0.0/16', '192.168.7.0/25', '0.0.0.0/1', '128.0.0.0/1'];
const cidr = (s: string): Cidr => parseCidrOrIp(s)!;
const addr = (s: string): bigint => parseIp(s)!.value;

type Packet = { a: bigint; proto: string; port: number };

function contains(piece: DomainPiece, p: Packet): boolean {
  if (piece.proto !== p.proto) return false;
  if (!piece.ports.some((r) => r.first <= p.port && p.port <= r.last)) return false;
  if (piece.nets === null) return true;
  return piece.nets.some((c) => {
    const size = 1n << BigInt(32 - c.prefix);
    const first = (c.addr / size) * size;
    return first <= p.a && p.a < first + size;
  });
}

function lookup(plan: ClassPlan, p: Packet): Set<string> {
  const hits = plan.entries.filter((e) => e.protocol === p.proto && e.ports.first <= p.port && p.port <= e.ports.last && addr(e.first) <= p.a && p.a <= addr(e.last));
  assert.ok(hits.length <= 1, `entries overlap at ${p.a} ${p.proto} ${p.port}: ${JSON.stringify(hits)}`);
  return hits.length === 0 ? new Set() : new Set(plan.classes[hits[0]!.cls]);
}

test('every sample packet lands in the class of exactly the policies whose domain holds it (seeded random domains)', () => {
  for (let seed = 1; seed <= 60; seed++) {
    const r = rng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
    const keys: string[] = [];
    const domains = new Map<string, DomainPiece[] | undefined>();
    const n = 4 + Math.floor(r() * 10);
    for (let i = 0; i < n; i++) {
      const key = `ns/p${i}`;
      keys.push(key);
      if (r() < 0.15) {
        domains.set(key, undefined); // unbounded: never in a class, always in every chain
        continue;
      }
      const pieces: DomainPiece[] = [];
      for (let k = Math.floor(r() * 4); k > 0; k--) {
        const first = 1 + Math.floor(r() * 40);
        const ports = [{ first, last: r() < 0.5 ? first : Math.min(65535, first + Math.floor(r() * 10)) }];
        if (r() < 0.3) ports.push({ first: 60000, last: 65535 });
        pieces.push({ proto: pick(['tcp', 'udp'] as const), ports, nets: r() < 0.3 ? null : Array.from({ length: 1 + Math.floor(r() * 2) }, () => cidr(pick(NETS))) });
      }
      domains.set(key, pieces);
    }
    const plan = planClasses(keys, (k) => domains.get(k), 4);
    const withPieces = [...domains.values()].filter((x) => x !== undefined && x.length > 0).length;
    if (withPieces < MIN_CLASS_POLICIES) {
      assert.equal(plan, undefined, `seed ${seed}`);
      continue;
    }
    assert.ok(plan !== undefined, `seed ${seed}: no plan`);
    assert.deepEqual([...plan.bounded].sort(), keys.filter((k) => domains.get(k) !== undefined).sort());
    const addrs = ['0.0.0.0', '9.255.255.255', '10.0.0.0', '10.1.1.255', '10.1.2.2', '10.1.2.3', '10.1.2.4', '10.1.2.5', '10.1.2.255', '10.1.3.0', '10.255.255.255', '11.0.0.0', '127.255.255.255', '128.0.0.0', '192.168.6.255', '192.168.7.0', '192.168.7.127', '192.168.7.128', '255.255.255.255'].map(addr);
    for (const a of addrs)
      for (const proto of ['tcp', 'udp', 'icmp'])
        for (const port of [0, 1, 2, 5, 9, 10, 11, 20, 33, 40, 41, 49, 50, 59999, 60000, 65535]) {
          const p = { a, proto, port };
          const want = new Set(keys.filter((k) => domains.get(k)?.some((x) => contains(x, p)) === true));
          assert.deepEqual(lookup(plan, p), want, `seed ${seed}: packet ${a} ${proto} ${port}`);
        }
  }
});

test('fewer than MIN_CLASS_POLICIES bounded policies: no plan; an unbounded policy does not count', () => {
  const piece = (port: number): DomainPiece[] => [{ proto: 'tcp', ports: [{ first: port, last: port }], nets: null }];
  const doms = new Map<string, DomainPiece[] | undefined>([['a', piece(1)], ['b', piece(2)], ['c', piece(3)], ['u', undefined]]);
  assert.equal(planClasses(['a', 'b', 'c', 'u'], (k) => doms.get(k), 4), undefined);
  doms.set('d', piece(4));
  const plan = planClasses(['a', 'b', 'c', 'u', 'd'], (k) => doms.get(k), 4);
  assert.ok(plan);
  // Four single ports, every address: four entries, one class each.
  assert.deepEqual(
    plan.entries.map((e) => `${e.first}-${e.last} ${e.protocol} ${e.ports.first}-${e.ports.last} ${[...plan.classes[e.cls]!].join(',')}`),
    ['0.0.0.0-255.255.255.255 tcp 1-1 a', '0.0.0.0-255.255.255.255 tcp 2-2 b', '0.0.0.0-255.255.255.255 tcp 3-3 c', '0.0.0.0-255.255.255.255 tcp 4-4 d'],
  );
});

test('neighbouring ports with the same address split merge into one entry; IPv6 ranges print as addresses', () => {
  const net6 = (s: string): Cidr => parseCidrOrIp(s)!;
  const doms = new Map<string, DomainPiece[]>([
    ['a', [{ proto: 'tcp', ports: [{ first: 80, last: 80 }, { first: 81, last: 90 }], nets: [net6('2001:db8::/64')] }]],
    ['b', [{ proto: 'tcp', ports: [{ first: 85, last: 85 }], nets: [net6('2001:db8::1')] }]],
    ['c', [{ proto: 'udp', ports: [{ first: 53, last: 53 }], nets: null }]],
    ['d', [{ proto: 'sctp', ports: [{ first: 9, last: 9 }], nets: null }]],
  ]);
  const plan = planClasses(['a', 'b', 'c', 'd'], (k) => doms.get(k), 6);
  assert.ok(plan);
  const txt = plan.entries.map((e) => `${e.first}-${e.last} ${e.protocol} ${e.ports.first}-${e.ports.last} ${[...plan.classes[e.cls]!].join(',')}`);
  assert.deepEqual(txt, [
    '2001:db8::-2001:db8::ffff:ffff:ffff:ffff tcp 80-84 a',
    '2001:db8::-2001:db8:: tcp 85-85 a',
    '2001:db8::1-2001:db8::1 tcp 85-85 a,b',
    '2001:db8::2-2001:db8::ffff:ffff:ffff:ffff tcp 85-85 a',
    '2001:db8::-2001:db8::ffff:ffff:ffff:ffff tcp 86-90 a',
    '::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff udp 53-53 c',
    '::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff sctp 9-9 d',
  ]);
});
