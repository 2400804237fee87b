/**
 * IPv6 rendering: one dual-stack node (testdata/dual-stack.yaml) rendered for each family, pinned
 * by golden files for iptables and nft, and the family rules checked one by one: `cali60` sets
 * with `inet6` members only, ICMPv6 matches, rules of the other family skipped, failsafe nets of
 * the family only, and the ICMPv6 neighbour discovery a workload may always send its router.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { goldenChecker } from '../../../test/support/golden.js';
import { computeDesiredState, loadSnapshot, type DesiredState } from '../../engine/index.js';
import { formatNftScript } from '../nft/format.js';
import { renderNft } from '../nft/render.js';
import { formatRuleSpec } from '../iptables/format.js';
import { CHAIN, render, type RenderedDataplane } from './index.js';
import { WORKLOAD_TO_HOST_ICMPV6_TYPES } from './static.js';

const HERE = import.meta.dirname;
const expectGolden = goldenChecker(join(HERE, 'testdata'));
const docs = parseAllDocuments(readFileSync(join(HERE, 'testdata', 'dual-stack.yaml'), 'utf8')).map((d) => d.toJS() as unknown);

/** The golden text (render.test.ts's form): per table, hooks and chains as `-A` lines, then IP sets. */
function formatDataplane(r: RenderedDataplane): string {
  const out: string[] = [];
  for (const t of [r.raw, r.mangle, r.filter]) {
    out.push(`*${t.table}`);
    for (const h of t.hooks) for (const rule of h.rules) out.push(`-I ${h.chain} ${formatRuleSpec(rule)}`);
    for (const c of t.chains) {
      out.push(`:${c.name}`);
      for (const rule of c.rules) out.push(`-A ${c.name} ${formatRuleSpec(rule)}`);
    }
    out.push('COMMIT');
  }
  out.push('*ipsets');
  for (const s of r.ipSets) out.push(`${s.name} ${s.type} [${s.members.join(' ')}]`);
  return out.join('\n') + '\n';
}

function desired(family: 4 | 6): DesiredState {
  const { snapshot } = loadSnapshot(docs);
  return computeDesiredState(snapshot, 'w1', undefined, { family });
}

test('dual stack: the IPv6 rendering is pinned (iptables and nft golden files)', () => {
  const d = desired(6);
  assert.equal(d.family, 6);
  expectGolden('dual-stack.v6.golden', formatDataplane(render(d)));
  expectGolden('dual-stack.v6.nft.golden', formatNftScript(renderNft(d)));
  expectGolden('dual-stack.v4.golden', formatDataplane(render(desired(4))));
});

test('dual stack: each family has its own addresses, sets and skipped rules', () => {
  const d4 = desired(4);
  const d6 = desired(6);
  assert.deepEqual(d4.workloads.map((w) => w.ips), [['198.19.1.2']]);
  assert.deepEqual(d6.workloads.map((w) => w.ips), [['2001:db8:19:1::2']]);
  const r6 = render(d6);
  assert.ok(r6.ipSets.length > 0);
  for (const s of r6.ipSets) {
    assert.match(s.name, /^cali60/);
    assert.equal(s.family, 6);
    for (const m of s.members) assert.ok(m.includes(':') && !/\d+\.\d+\.\d+\.\d+/.test(m), `${s.name}: ${m} is not IPv6`);
  }
  for (const s of render(d4).ipSets) {
    assert.match(s.name, /^cali40/);
    for (const m of s.members) assert.ok(!m.split(',')[0]!.includes(':'), `${s.name}: ${m} is not IPv4`);
  }
  const ingress = (d: DesiredState): (string | null)[] => d.policies.get('default/web')!.ingress.map((r) => r.skip);
  assert.deepEqual(ingress(d4), [null, 'ICMPv6 never matches IPv4', null, null, null, 'source: no IPv4 CIDR in nets']);
  assert.deepEqual(ingress(d6), [null, null, 'ICMP (IPv4) never matches IPv6', 'ipVersion 4', null, null]);
  const egress = (d: DesiredState): (string | null)[] => d.policies.get('default/web')!.egress.map((r) => r.skip);
  assert.deepEqual(egress(d4), ['ipVersion 6', null]);
  assert.deepEqual(egress(d6), [null, 'destination: no IPv6 CIDR in nets']);
  // The partner set holds only the family's nets, /128 written as an address.
  const partner6 = r6.ipSets.find((s) => s.members.includes('2001:db8:ff::/48'));
  assert.deepEqual(partner6?.members, ['2001:db8:ff:1::7', '2001:db8:ff::/48']);
});

test('dual stack: ICMPv6 matches, failsafe nets of the family, neighbour discovery from workloads', () => {
  const r6 = render(desired(6));
  const r4 = render(desired(4));
  const text = (c: { rules: readonly Parameters<typeof formatRuleSpec>[0][] }): string[] => c.rules.map(formatRuleSpec);
  const pi6 = r6.filter.chains.find((c) => c.name === 'cali-pi-default/web')!;
  assert.ok(text(pi6).some((l) => l.startsWith('-p icmpv6 -m icmp6 --icmpv6-type 128 ')), text(pi6).join('\n'));
  assert.ok(!text(pi6).some((l) => l.includes('-p icmp ')));
  const fsIn6 = text(r6.filter.chains.find((c) => c.name === CHAIN.failsafeIn)!);
  assert.deepEqual(fsIn6, ['-p tcp -m multiport --dports 22 -j ACCEPT', '-p tcp -m multiport --dports 6443 -s 2001:db8:18::/64 -j ACCEPT']);
  const fsIn4 = text(r4.filter.chains.find((c) => c.name === CHAIN.failsafeIn)!);
  assert.deepEqual(fsIn4, ['-p tcp -m multiport --dports 22 -j ACCEPT', '-p tcp -m multiport --dports 179 -s 198.18.0.0/24 -j ACCEPT']);
  const w2h6 = text(r6.filter.chains.find((c) => c.name === CHAIN.workloadToHost)!);
  assert.deepEqual(
    w2h6.slice(0, WORKLOAD_TO_HOST_ICMPV6_TYPES.length),
    WORKLOAD_TO_HOST_ICMPV6_TYPES.map((t) => `-p icmpv6 -m icmp6 --icmpv6-type ${t} -j ACCEPT`),
  );
  assert.equal(w2h6[WORKLOAD_TO_HOST_ICMPV6_TYPES.length], `-j ${CHAIN.fromWorkloadDispatch}`);
  const w2h4 = text(r4.filter.chains.find((c) => c.name === CHAIN.workloadToHost)!);
  assert.equal(w2h4[0], `-j ${CHAIN.fromWorkloadDispatch}`, 'no ICMPv6 rules in the IPv4 chain');
  // The same chain names in both families (ip6tables has its own tables).
  assert.deepEqual(r6.filter.chains.map((c) => c.name).filter((n) => !n.startsWith('cali-p')), r4.filter.chains.map((c) => c.name).filter((n) => !n.startsWith('cali-p')));
});

test('dual stack: nft renders an ip6 table with ipv6_addr sets and ip6 address matches', () => {
  const n6 = renderNft(desired(6));
  assert.equal(n6.family, 'ip6');
  assert.ok(n6.sets.length > 0 && n6.sets.every((s) => s.type.startsWith('ipv6_addr')));
  const rules = n6.chains.flatMap((c) => c.rules);
  assert.ok(rules.some((r) => r.includes('ip6 saddr @cali60')), 'set lookups are ip6');
  assert.ok(!rules.some((r) => /\bip (s|d)addr\b/.test(r)), 'no IPv4 address match in the ip6 table');
  assert.ok(rules.some((r) => r.startsWith('meta l4proto icmpv6 icmpv6 type 135 accept')));
  const n4 = renderNft(desired(4));
  assert.equal(n4.family, 'ip');
  assert.ok(n4.sets.every((s) => s.type.startsWith('ipv4_addr')));
});
