/**
 * Prefilter tests: which policies get one, what it holds (every (remote, protocol, port) some
 * rule could match, nothing a rule cannot), how the endpoint chain carries it (end-of-tier drop
 * and order unchanged), and its nft form. The kernel behaviour is checked by the driver
 * conformance tests and `tabby lab verify` on both drivers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DesiredIpSet, DesiredPolicy, DesiredRule, DesiredRuleSide, DesiredState } from '../../engine/index.js';
import { formatRuleSpec } from '../iptables/format.js';
import { nftRule } from '../nft/expr.js';
import { renderNftSet } from '../nft/render.js';
import { MAX_PREFILTER_MEMBERS, policyPrefilter, render } from './index.js';

const S = (over: Partial<DesiredRuleSide> = {}): DesiredRuleSide => ({
  net: null,
  notNet: null,
  selector: null,
  notSelector: null,
  service: null,
  ports: null,
  namedPorts: [],
  notPorts: [],
  notNamedPorts: [],
  ...over,
});
const R = (over: Partial<DesiredRule>): DesiredRule => ({
  index: 0,
  action: 'Allow',
  protocol: null,
  notProtocol: null,
  icmp: null,
  notIcmp: null,
  src: S(),
  dst: S(),
  skip: null,
  ...over,
});
const P = (ingress: DesiredRule[], egress: DesiredRule[] = [], key = 'default/np-a'): DesiredPolicy => ({
  key,
  tier: 'default',
  id: 'np-a',
  kind: 'NetworkPolicy',
  namespace: 'ns',
  name: 'np-a',
  ingress,
  egress,
});
const port = (first: number, last = first): { first: number; last: number } => ({ first, last });
const set = (id: string, members: string[], type: DesiredIpSet['type'] = 'hash:net'): [string, DesiredIpSet] => [id, { id, type, members, source: id }];

function D(policies: DesiredPolicy[], sets: [string, DesiredIpSet][] = [], family: 4 | 6 = 4): DesiredState {
  return {
    node: 'w1',
    family,
    workloads: [
      {
        key: 'ns/pod',
        namespace: 'ns',
        name: 'pod',
        iface: 'cali0123456789a',
        ips: ['10.9.0.1'],
        ingress: [{ name: 'default', defaultAction: 'Deny', policies: policies.map((p) => p.key) }],
        egress: [{ name: 'default', defaultAction: 'Deny', policies: policies.map((p) => p.key) }],
        profiles: [],
        missingProfiles: [],
      },
    ],
    hostEndpoints: [],
    policies: new Map(policies.map((p) => [p.key, p])),
    profiles: new Map(),
    ipSets: new Map(sets),
    failsafeInbound: [],
    failsafeOutbound: [],
    log: { prefix: 'calico-packet', nflogGroup: null },
    defaultEndpointToHostAction: 'Drop',
    markMask: 0xffff0000,
  };
}

/** The bench's (bench/connrate.bench.ts) shape of a selecting policy that does not allow the client. */
const benchLike = (i: number): DesiredPolicy =>
  P(
    [
      R({ action: 'Deny', protocol: 6, dst: S({ ports: [port(7000 + i)] }) }),
      R({ protocol: 6, src: S({ selector: 's:app' }), dst: S({ ports: [port(8080)] }) }),
      R({ protocol: 6, src: S({ net: { ipSet: 'c:nets' } }), dst: S({ ports: [port(6000 + i), port(6100, 6102)] }) }),
    ],
    [],
    `default/np-${i}`,
  );
const benchSets = [set('s:app', ['198.19.0.1', '198.19.0.41']), set('c:nets', ['10.0.0.0/16', '172.16.0.0/24', '10.0.5.0/24'])];

test('a policy whose rules all name protocol and ports gets a (remote, proto, port) set; contained nets folded', () => {
  const d = D([benchLike(0)], benchSets);
  const pf = policyPrefilter(d.policies.get('default/np-0')!, 'ingress', d);
  assert.ok(pf?.set);
  assert.deepEqual(pf.match, [{ kind: 'addrDstPortSet', set: pf.set.name, addr: 'src' }]);
  assert.match(pf.set.name, /^cali40f:[A-Za-z0-9_-]{23}$/);
  assert.equal(pf.set.type, 'hash:net,port');
  assert.deepEqual(pf.set.members, [
    '0.0.0.0/1,tcp:7000',
    '10.0.0.0/16,tcp:6000',
    '10.0.0.0/16,tcp:6100',
    '10.0.0.0/16,tcp:6101',
    '10.0.0.0/16,tcp:6102',
    '128.0.0.0/1,tcp:7000',
    '172.16.0.0/24,tcp:6000',
    '172.16.0.0/24,tcp:6100',
    '172.16.0.0/24,tcp:6101',
    '172.16.0.0/24,tcp:6102',
    '198.19.0.1,tcp:8080',
    '198.19.0.41,tcp:8080',
  ]);
});

test('the endpoint chain: the prefilter goes on the jump after the accept-and-pass check; order, one return per tier, end-of-tier drop unchanged', () => {
  const pols = [benchLike(0), benchLike(1)];
  const d = D(pols, benchSets);
  const r = render(d);
  const tw = r.filter.chains.find((c) => c.name === 'cali-tw-cali0123456789a')!;
  const text = tw.rules.map(formatRuleSpec);
  const sets = r.ipSets.filter((s) => s.name.startsWith('cali40f:'));
  const ingressSet = (key: string): string => policyPrefilter(d.policies.get(key)!, 'ingress', d)!.set!.name;
  assert.deepEqual(text.slice(3), [
    '-m comment --comment "Start of tier default" -j MARK --set-xmark 0x0/0x20000',
    `-m mark --mark 0x0/0x30000 -m set --match-set ${ingressSet('default/np-0')} src,dst -j cali-pi-default/np-0`,
    `-m mark --mark 0x0/0x30000 -m set --match-set ${ingressSet('default/np-1')} src,dst -j cali-pi-default/np-1`,
    '-m comment --comment "Return if policy accepted" -m mark --mark 0x10000/0x10000 -j RETURN',
    '-m comment --comment "End of tier default. Drop if no policies passed packet" -m mark --mark 0x0/0x20000 -j DROP',
    '-m comment --comment "Drop if no profiles matched" -j DROP',
  ]);
  // Egress: the policies have no egress rules, so no prefilter (and no set) there.
  const fw = r.filter.chains.find((c) => c.name === 'cali-fw-cali0123456789a')!;
  assert.ok(fw.rules.filter((x) => x.action.kind === 'jump').every((x) => x.match.length === 1));
  assert.equal(sets.length, 2);
  // The policy chains themselves are unchanged.
  const pi = r.filter.chains.find((c) => c.name === 'cali-pi-default/np-0')!;
  assert.equal(pi.rules.length, 5);
});

test('egress keys on the destination; port-only rules with one protocol become a multiport match (no set)', () => {
  const eg = P([], [
    R({ protocol: 17, dst: S({ selector: 's:app', ports: [port(53)] }) }),
    R({ action: 'Deny', protocol: 17, dst: S({ net: { cidr: '10.0.0.0/8' }, ports: [port(5353)] }) }),
  ]);
  const d = D([eg], benchSets);
  const pf = policyPrefilter(eg, 'egress', d)!;
  assert.equal(pf.match[0]!.kind, 'addrDstPortSet');
  assert.equal((pf.match[0] as { addr: string }).addr, 'dst');
  assert.deepEqual(pf.set!.members, ['10.0.0.0/8,udp:5353', '198.19.0.1,udp:53', '198.19.0.41,udp:53']);
  assert.equal(formatRuleSpec({ match: pf.match, action: { kind: 'return' } }), `-m set --match-set ${pf.set!.name} dst,dst -j RETURN`);

  const portsOnly = P([R({ protocol: 6, dst: S({ ports: [port(80)] }) }), R({ action: 'Log', protocol: 6, src: S({ notNet: { cidr: '10.0.0.0/8' } }), dst: S({ ports: [port(81), port(443)] }) })]);
  const pf2 = policyPrefilter(portsOnly, 'ingress', D([portsOnly]))!;
  assert.equal(pf2.set, undefined);
  assert.deepEqual(pf2.match, [{ kind: 'protocol', protocol: 'tcp' }, { kind: 'dstPorts', ports: [port(80, 81), port(443)] }]);
});

test('no prefilter when some rule can match any destination port, or when it would not pay', () => {
  const ok = R({ protocol: 6, dst: S({ ports: [port(80)] }) });
  const cases: [string, DesiredRule][] = [
    ['no protocol', R({ src: S({ selector: 's:app' }) })],
    ['protocol without ports', R({ protocol: 6 })],
    ['notProtocol only', R({ notProtocol: 6, dst: S({ ports: [port(80)] }) })],
    ['ICMP', R({ protocol: 1, icmp: { type: 8 } })],
    ['source ports only', R({ protocol: 6, src: S({ ports: [port(80)] }) })],
    ['notPorts only', R({ protocol: 6, dst: S({ notPorts: [port(80)] }) })],
    ['a Log rule on every packet', R({ action: 'Log' })],
    ['a Pass rule on every TCP packet', R({ action: 'Pass', protocol: 6 })],
  ];
  for (const [name, r] of cases) {
    const p = P([ok, r]);
    assert.equal(policyPrefilter(p, 'ingress', D([p], benchSets)), undefined, name);
  }
  // One programmed rule: the prefilter would cost what the chain costs.
  const one = P([ok, R({ skip: 'ipVersion 6', protocol: 6 })]);
  assert.equal(policyPrefilter(one, 'ingress', D([one])), undefined);
  // Too many members.
  const big = P([ok, R({ protocol: 6, src: S({ net: { ipSet: 'c:big' } }), dst: S({ ports: [port(1, 2000)] }) })]);
  const bigSets = [set('c:big', ['10.0.0.0/8', '11.0.0.0/8'])];
  assert.ok(2 * 2000 > MAX_PREFILTER_MEMBERS);
  assert.equal(policyPrefilter(big, 'ingress', D([big], bigSets)), undefined);
});

test('skipped rules contribute nothing; an empty selector set contributes nothing; negations are left out (superset)', () => {
  const p = P([
    R({ protocol: 6, src: S({ selector: 's:none' }), dst: S({ ports: [port(22)] }) }),
    R({ protocol: 6, skip: 'never', dst: S({ ports: [port(23)] }) }),
    R({ protocol: 6, src: S({ net: { cidr: '10.1.0.0/16' }, notSelector: 's:app', notPorts: [port(1)] }), dst: S({ ports: [port(24)], notNet: { cidr: '10.9.0.1/32' } }) }),
  ]);
  const pf = policyPrefilter(p, 'ingress', D([p], [set('s:none', []), ...benchSets]))!;
  assert.deepEqual(pf.set!.members, ['10.1.0.0/16,tcp:24']);
});

test('named ports: ingress takes the endpoint ports (protocol must match), egress the exact (address, port) pairs', () => {
  const sets = [set('n:http', ['10.9.0.1,tcp:8080', '10.9.0.2,tcp:8081', '10.9.0.3,udp:8082'], 'hash:ip,port'), ...benchSets];
  const rules = [R({ protocol: 6, src: S({ selector: 's:app' }), dst: S({ namedPorts: ['n:http'] }) }), R({ action: 'Deny', protocol: 6, dst: S({ ports: [port(9)] }) })];
  const pin = P(rules);
  assert.deepEqual(policyPrefilter(pin, 'ingress', D([pin], sets))!.set!.members, [
    '0.0.0.0/1,tcp:9',
    '128.0.0.0/1,tcp:9',
    '198.19.0.1,tcp:8080',
    '198.19.0.1,tcp:8081',
    '198.19.0.41,tcp:8080',
    '198.19.0.41,tcp:8081',
  ]);
  const pout = P([], rules);
  assert.deepEqual(policyPrefilter(pout, 'egress', D([pout], sets))!.set!.members, ['0.0.0.0/1,tcp:9', '10.9.0.1,tcp:8080', '10.9.0.2,tcp:8081', '128.0.0.0/1,tcp:9']);
});

test('IPv6: every address is ::/1 and 8000::/1; nft renders a concatenated interval set and an address . proto . dport lookup', () => {
  const p = P([R({ protocol: 6, dst: S({ ports: [port(80)] }) }), R({ protocol: 17, src: S({ net: { cidr: '2001:db8::/32' } }), dst: S({ ports: [port(53)] }) })]);
  const d = D([p], [], 6);
  const pf = policyPrefilter(p, 'ingress', d)!;
  assert.deepEqual(pf.set!.members, ['2001:db8::/32,udp:53', '8000::/1,tcp:80', '::/1,tcp:80']);
  assert.equal(pf.set!.name.startsWith('cali60f:'), true);
  const n = renderNftSet(pf.set!);
  assert.equal(n.type, 'ipv6_addr . inet_proto . inet_service');
  assert.equal(n.interval, true);
  assert.deepEqual(n.elements, ['2001:db8::/32 . udp . 53', '8000::/1 . tcp . 80', '::/1 . tcp . 80']);
  assert.equal(nftRule({ match: pf.match, action: { kind: 'return' } }, (c) => c, 6), `ip6 saddr . meta l4proto . th dport @${n.name} return`);
  const d4 = D([benchLike(3)], benchSets);
  const pf4 = policyPrefilter(d4.policies.get('default/np-3')!, 'ingress', d4)!;
  assert.ok(renderNftSet(pf4.set!).elements.includes('198.19.0.1 . tcp . 8080'));
  assert.ok(renderNftSet(pf4.set!).elements.includes('10.0.0.0/16 . tcp . 6003'));
});

test('class dispatch (nft: one lookup; iptables: a class tree) to a class chain holding, in order and with the tiers kept, only the policies that can match', () => {
  const unbounded = P([R({ action: 'Log' })], [], 'default/log-all');
  const pols = [benchLike(0), benchLike(1), unbounded, benchLike(2), benchLike(3)];
  const base = D(pols, benchSets);
  const w = base.workloads[0]!;
  const tiers = [
    { name: 'sec', defaultAction: 'Deny' as const, policies: ['default/np-3'] },
    { name: 'default', defaultAction: 'Deny' as const, policies: pols.map((p) => p.key) },
  ];
  const d: DesiredState = { ...base, flowLogs: true, workloads: [{ ...w, ingress: tiers }] };
  // iptables: no class map anywhere (it has no iptables form); the same class chains behind a class tree instead.
  const ipt = render(d);
  assert.ok(ipt.filter.chains.every((c) => c.rules.every((x) => x.action.kind !== 'classMap')));
  const iptTw = ipt.filter.chains.find((c) => c.name === 'cali-tw-cali0123456789a')!;
  assert.match(formatRuleSpec(iptTw.rules[iptTw.rules.length - 1]!), /^-g cali-ct-/);
  const r = render(d, { target: 'nft' });
  const tw = r.filter.chains.find((c) => c.name === 'cali-tw-cali0123456789a')!;
  const map = tw.rules.find((x) => x.action.kind === 'classMap')!;
  assert.throws(() => formatRuleSpec(map), /no iptables form/);
  assert.ok(map.action.kind === 'classMap');
  assert.equal(map.action.addr, 'src');
  const chainOf = (a: string, p: number): string | undefined => {
    assert.ok(map.action.kind === 'classMap');
    const e = map.action.entries.filter(
      (x) => x.protocol === 'tcp' && x.ports.first <= p && p <= x.ports.last && x.first <= a && a <= x.last,
    );
    assert.ok(e.length <= 1);
    return e[0]?.chain;
  };
  const jumps = (rules: readonly { action: { kind: string; chain?: string } }[]): string[] => rules.filter((x) => x.action.kind === 'jump' && x.action.chain!.startsWith('cali-pi-')).map((x) => x.action.chain!);
  const text = (name: string): string[] => r.filter.chains.find((c) => c.name === name)!.rules.map(formatRuleSpec);
  // Outside every bounded domain: the endpoint chain itself, with the unbounded policy only, both tiers kept.
  assert.equal(chainOf('198.18.0.1', 8080), undefined);
  assert.deepEqual(jumps(tw.rules), ['cali-pi-default/log-all']);
  assert.ok(tw.rules.some((x) => x.comment === 'End of tier sec. Drop if no policies passed packet'));
  // 198.19.0.1:8080 is in every bench-like policy's domain: all of them, in order, the unbounded one in its place.
  const all = chainOf('198.19.0.1', 8080)!;
  assert.match(all, /^cali-cl-/);
  assert.deepEqual(text(all), [
    '-m comment --comment "Start of tier sec" -j MARK --set-xmark 0x0/0x20000',
    '-m mark --mark 0x0/0x30000 -j cali-pi-default/np-3',
    '-m comment --comment "Return if policy accepted" -m mark --mark 0x10000/0x10000 -j RETURN',
    '-m mark --mark 0x0/0x20000 -m conntrack --ctstate NEW -j NFLOG --nflog-group 1 --nflog-prefix "DPI|sec"',
    '-m comment --comment "End of tier sec. Drop if no policies passed packet" -m mark --mark 0x0/0x20000 -j DROP',
    '-m comment --comment "Start of tier default" -j MARK --set-xmark 0x0/0x20000',
    '-m mark --mark 0x0/0x30000 -j cali-pi-default/np-0',
    '-m mark --mark 0x0/0x30000 -j cali-pi-default/np-1',
    '-m mark --mark 0x0/0x30000 -j cali-pi-default/log-all',
    '-m mark --mark 0x0/0x30000 -j cali-pi-default/np-2',
    '-m mark --mark 0x0/0x30000 -j cali-pi-default/np-3',
    '-m comment --comment "Return if policy accepted" -m mark --mark 0x10000/0x10000 -j RETURN',
    '-m mark --mark 0x0/0x20000 -m conntrack --ctstate NEW -j NFLOG --nflog-group 1 --nflog-prefix "DPI|default"',
    '-m comment --comment "End of tier default. Drop if no policies passed packet" -m mark --mark 0x0/0x20000 -j DROP',
    '-m conntrack --ctstate NEW -j NFLOG --nflog-group 1 --nflog-prefix "DRI"',
    '-m comment --comment "Drop if no profiles matched" -j DROP',
  ]);
  // Port 7002 (np-2's Deny, from anywhere): np-2 and the unbounded one; the tier sec keeps its drop with no policy left.
  assert.deepEqual(jumps(r.filter.chains.find((c) => c.name === chainOf('198.18.0.1', 7002))!.rules), ['cali-pi-default/log-all', 'cali-pi-default/np-2']);
  assert.ok(text(chainOf('198.18.0.1', 7002)!).includes('-m comment --comment "End of tier sec. Drop if no policies passed packet" -m mark --mark 0x0/0x20000 -j DROP'));
  // No prefilter sets are needed for the classified chain; the nft rule is one verdict map.
  assert.equal(r.ipSets.filter((s) => s.name.startsWith('cali40f:')).length, 0);
  const nft = nftRule(map, (c) => `filter-${c}`);
  assert.match(nft, /^ip saddr \. meta l4proto \. th dport vmap \{ .*198\.19\.0\.1 \. tcp \. 8080 : goto filter-cali-cl-/);
  // iptables: the class chains are nft's; what nft's endpoint chain does after its map (no entry)
  // is the fall-through class chain; the endpoint chain keeps its conntrack and mark-clearing start.
  const iptNames = new Set(ipt.filter.chains.map((c) => c.name));
  for (const c of r.filter.chains.filter((x) => x.name.startsWith('cali-cl-'))) {
    assert.ok(iptNames.has(c.name), `${c.name} is rendered for iptables too`);
    assert.deepEqual(ipt.filter.chains.find((x) => x.name === c.name)!.rules, c.rules);
  }
  const afterMap = tw.rules.slice(tw.rules.indexOf(map) + 1);
  const fall = ipt.filter.chains.find((c) => c.name.startsWith('cali-cl-') && JSON.stringify(c.rules) === JSON.stringify(afterMap));
  assert.ok(fall !== undefined, 'the fall-through chain holds what follows the nft map');
  assert.ok(ipt.filter.chains.filter((c) => c.name.startsWith('cali-ct-')).every((c) => c.rules.at(-1)!.action.kind === 'goto' && (c.rules.at(-1)!.action as { chain: string }).chain === fall.name));
  assert.deepEqual(iptTw.rules.slice(0, -1), tw.rules.slice(0, tw.rules.indexOf(map)));
  assert.equal(ipt.ipSets.filter((s) => s.name.startsWith('cali40f:')).length, 0);
});
