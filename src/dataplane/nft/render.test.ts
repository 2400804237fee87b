/**
 * nft renderer tests, golden-free: per seed scenario (src/engine/testdata), structural laws
 * that tie the nft ruleset to the iptables rendering of the same desired state (same chains
 * per table, same rules in the same order, dispatch folded into verdict maps, every reference
 * resolvable, base chains at iptables' priorities, determinism), plus table-driven
 * translations of single criteria and actions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { computeDesiredState, loadSnapshot, type DesiredState } from '../../engine/index.js';
import { CHAIN, render } from '../render/index.js';
import type { Action, MatchCriterion, Rule } from '../model.js';
import { nftAction, nftMatch, nftRule } from './expr.js';
import { formatNftScript } from './format.js';
import { flowLogTable } from '../render/flow-log.js';
import { canonicalIpPort, canonicalNets, nftRuleCount, renderNft, renderNftRules, renderNftSet, type NftRuleset } from './render.js';

const SCENARIOS = join(import.meta.dirname, '..', '..', 'engine', 'testdata');

function docs(file: string): unknown[] {
  const text = readFileSync(join(SCENARIOS, file), 'utf8');
  const m = /-- resources\.yaml --\n([\s\S]*?)(?:\n-- [^\n]+ --\n|$)/.exec(text);
  assert.ok(m, `${file}: no resources.yaml section`);
  return parseAllDocuments(m[1]!).map((d) => d.toJS() as unknown).filter((x) => x !== null && x !== undefined);
}

function desiredFor(file: string, reverse = false, nflogGroup?: number): DesiredState {
  const d = docs(file);
  const { snapshot } = loadSnapshot(reverse ? [...d].reverse() : d);
  const node = snapshot.nodes.has('w1') ? 'w1' : [...snapshot.nodes.keys()][0] ?? 'w1';
  return computeDesiredState(snapshot, node, undefined, nflogGroup === undefined ? {} : { nflogGroup });
}

const DISPATCH = new Set<string>([CHAIN.fromWorkloadDispatch, CHAIN.toWorkloadDispatch, CHAIN.fromHostEndpoint, CHAIN.toHostEndpoint, CHAIN.fromHostEndpointForward, CHAIN.toHostEndpointForward]);

function chain(r: NftRuleset, name: string): readonly string[] {
  const c = r.chains.find((x) => x.name === name);
  assert.ok(c, `chain ${name} rendered`);
  return c.rules;
}

for (const file of readdirSync(SCENARIOS).filter((f) => f.endsWith('.scenario')).sort()) {
  test(`nft: ${file} mirrors the iptables rendering`, () => {
    const d = desiredFor(file);
    const ipt = render(d);
    const nft = renderNft(d);
    assert.equal(nft.family, 'ip');
    assert.equal(nft.table, 'tabby');

    // Every iptables chain is an nft chain of its table; non-dispatch chains keep every rule, in order.
    let iptRules = 0;
    for (const t of [ipt.raw, ipt.mangle, ipt.filter]) {
      for (const h of t.hooks) {
        const base = nft.chains.find((c) => c.name === `${t.table}-${h.chain}`);
        assert.ok(base?.base, `${t.table} ${h.chain} is a base chain`);
        assert.equal(base.base.priority, { raw: -300, mangle: -150, filter: 0, nat: 100 }[t.table]);
        assert.equal(base.base.hook, h.chain.toLowerCase());
        assert.deepEqual(base.rules, [`jump ${t.table}-${(h.rules[0]!.action as { chain: string }).chain}`]);
        iptRules += h.rules.length;
      }
      for (const c of t.chains) {
        iptRules += c.rules.length;
        const rules = chain(nft, `${t.table}-${c.name}`);
        if (DISPATCH.has(c.name)) continue;
        const chainFor = (x: string): string => `${t.table}-${x}`;
        if (/^cali-(pi|po|pri|pro)-/.test(c.name)) {
          // Policy chains: every rule but the "return if marked" ones, set-mark rules ending in return.
          const kept = c.rules.filter((r) => !(r.action.kind === 'return' && r.match.length === 1 && r.match[0]!.kind === 'mark'));
          assert.equal(rules.length, kept.length, `${t.table}-${c.name}: one nft rule per iptables rule, returns folded`);
          rules.forEach((r, i) => {
            const want = nftRule(kept[i]!, chainFor);
            assert.equal(r, kept[i]!.action.kind === 'setMark' ? `${want} return` : want);
          });
          continue;
        }
        assert.equal(rules.length, c.rules.length, `${t.table}-${c.name}: one nft rule per iptables rule`);
        rules.forEach((r, i) => assert.equal(r, nftRule(c.rules[i]!, chainFor)));
      }
    }
    assert.equal(nft.chains.length, [ipt.raw, ipt.mangle, ipt.filter].reduce((n, t) => n + t.chains.length + new Set(t.hooks.map((h) => h.chain)).size, 0));
    assert.ok(nftRuleCount(nft) <= iptRules, `nft ${nftRuleCount(nft)} rules ≤ iptables ${iptRules}`);

    // Dispatch: one verdict map per dispatch chain with endpoints, one entry per endpoint.
    const from = chain(nft, `filter-${CHAIN.fromWorkloadDispatch}`);
    if (d.workloads.length > 0) {
      assert.equal(from.length, 2, 'vmap + fail-closed drop');
      assert.match(from[0]!, /^iifname vmap \{ /);
      for (const w of d.workloads) assert.ok(from[0]!.includes(`"${w.iface}" : goto filter-cali-fw-${w.iface}`), w.iface);
      assert.equal((from[0]!.match(/ : goto /g) ?? []).length, d.workloads.length);
    } else assert.equal(from.length, 1);
    assert.match(from[from.length - 1]!, /^drop comment "Unknown interface"$/);
    for (const c of nft.chains) for (const r of c.rules) assert.doesNotMatch(r, /^[io]ifname "cali[0-9a-f]+" goto/, `${c.name}: no linear dispatch`);

    // Every reference resolves: chains (also inside maps) and sets.
    const names = new Set(nft.chains.map((c) => c.name));
    const sets = new Set(nft.sets.map((s) => s.name));
    for (const c of nft.chains)
      for (const r of c.rules) {
        for (const m of r.matchAll(/\b(?:jump|goto) (\S+?)[,\s}]|\b(?:jump|goto) (\S+)$/g)) assert.ok(names.has((m[1] ?? m[2])!), `${c.name} → ${(m[1] ?? m[2])!}`);
        for (const m of r.matchAll(/@(\S+)/g)) assert.ok(sets.has(m[1]!), `${c.name} uses set ${m[1]!}`);
      }
    assert.deepEqual([...sets].sort(), ipt.ipSets.map((s) => s.name.replace(/:/g, '-')).sort(), 'one named set per IP set');

    // Host endpoints: the failsafe jump comes before any policy in every host chain.
    for (const h of d.hostEndpoints) {
      if (h.iface === '*') continue;
      for (const [t, prefix, fs] of [['filter', 'cali-fh-', 'failsafe-in'], ['filter', 'cali-th-', 'failsafe-out'], ['raw', 'cali-fh-', 'failsafe-in'], ['mangle', 'cali-fh-', 'failsafe-in']] as const) {
        const rules = chain(nft, `${t}-${prefix}${h.iface}`);
        const i = rules.indexOf(`jump ${t}-cali-${fs}`);
        assert.ok(i >= 0, `${t} ${prefix}${h.iface} jumps to failsafe`);
        assert.ok(rules.findIndex((r) => /jump \S+-cali-p[io]-/.test(r)) === -1 || rules.findIndex((r) => /jump \S+-cali-p[io]-/.test(r)) > i);
      }
    }

    // Deterministic and independent of resource order; the script is one table only.
    assert.deepEqual(renderNft(desiredFor(file, true)), nft);
    const script = formatNftScript(nft);
    assert.deepEqual([...script.matchAll(/^(?:delete )?table (\S+ \S+)/gm)].map((m) => m[1]), ['ip tabby', 'ip tabby', 'ip tabby']);
  });
}

test('nft: untracked policy gets notrack at raw priority; preDNAT lives in the mangle-priority hook', () => {
  const nft = renderNft(desiredFor('untracked-staged.scenario'));
  const raw = nft.chains.filter((c) => c.name.startsWith('raw-cali-fh-') || c.name.startsWith('raw-cali-th-'));
  assert.ok(raw.some((c) => c.rules.includes('meta mark & 0x00010000 == 0x00010000 notrack')), 'NOTRACK when an untracked policy accepted');
  assert.equal(nft.chains.find((c) => c.name === 'raw-PREROUTING')?.base?.priority, -300);
  const hosts = renderNft(desiredFor('r2-r6-ibm-hosts.scenario'));
  assert.deepEqual(hosts.chains.find((c) => c.name === 'mangle-PREROUTING')?.base, { hook: 'prerouting', priority: -150 });
});

test('nft: Log rules are LOG with level notice on nodes and NFLOG groups in the lab', () => {
  const log = formatNftScript(renderNft(desiredFor('r9-log.scenario')));
  assert.match(log, /log prefix "calico-packet: " level notice/);
  const lab = formatNftScript(renderNft(desiredFor('r9-log.scenario', false, 30)));
  assert.match(lab, /log prefix "calico-packet:" group 30/);
  assert.doesNotMatch(lab, /level notice/);
});

const M = (m: MatchCriterion): string => nftMatch(m);
const matchCases: [string, MatchCriterion, string][] = [
  ['protocol', { kind: 'protocol', protocol: 'tcp' }, 'meta l4proto tcp'],
  ['protocol number', { kind: 'protocol', protocol: 47 }, 'meta l4proto 47'],
  ['not protocol', { kind: 'notProtocol', protocol: 'udp' }, 'meta l4proto != udp'],
  ['src net', { kind: 'srcNet', cidr: '10.0.0.0/8' }, 'ip saddr 10.0.0.0/8'],
  ['not dst net', { kind: 'dstNet', cidr: '10.0.0.0/8', negated: true }, 'ip daddr != 10.0.0.0/8'],
  ['src set', { kind: 'srcIpSet', set: 'cali40s:abc' }, 'ip saddr @cali40s-abc'],
  ['not dst set', { kind: 'dstIpSet', set: 'cali40s:abc', negated: true }, 'ip daddr != @cali40s-abc'],
  ['named port set', { kind: 'dstIpSet', set: 'cali40n:x', withPort: true }, 'ip daddr . meta l4proto . th dport @cali40n-x'],
  ['ports', { kind: 'dstPorts', ports: [{ first: 80, last: 80 }, { first: 8000, last: 8080 }] }, 'th dport { 80, 8000-8080 }'],
  ['not ports', { kind: 'srcPorts', ports: [{ first: 1, last: 1 }], negated: true }, 'th sport != { 1 }'],
  ['icmp type', { kind: 'icmpType', family: 4, type: 8 }, 'icmp type 8'],
  ['icmp type/code', { kind: 'icmpType', family: 4, type: 3, code: 1 }, 'icmp type 3 icmp code 1'],
  ['not icmp type/code', { kind: 'icmpType', family: 4, type: 3, code: 1, negated: true }, 'icmp type . icmp code != { 3 . 1 }'],
  ['iface wildcard', { kind: 'inInterface', name: 'cali+' }, 'iifname "cali*"'],
  ['not out iface', { kind: 'outInterface', name: 'eth0', negated: true }, 'oifname != "eth0"'],
  ['mark', { kind: 'mark', value: 0x10000, mask: 0x10000 }, 'meta mark & 0x00010000 == 0x00010000'],
  ['not mark', { kind: 'mark', value: 0, mask: 0x20000, negated: true }, 'meta mark & 0x00020000 != 0x00000000'],
  ['ct states', { kind: 'conntrackState', states: ['RELATED', 'ESTABLISHED'] }, 'ct state { related, established }'],
  ['ct invalid', { kind: 'conntrackState', states: ['INVALID'] }, 'ct state invalid'],
  ['not DNAT', { kind: 'conntrackState', states: ['DNAT'], negated: true }, 'ct status & (dnat) == 0'],
  ['addr type', { kind: 'dstAddrType', type: 'LOCAL' }, 'fib daddr type local'],
  ['limit', { kind: 'limit', rate: '10/min', burst: 5 }, 'limit rate 10/minute burst 5 packets'],
];
for (const [name, m, want] of matchCases) test(`nft match: ${name}`, () => assert.equal(M(m), want));

const id = (c: string): string => `filter-${c}`;
const actionCases: [string, Action, string][] = [
  ['set mark (xmark)', { kind: 'setMark', mark: 0x10000, mask: 0x10000 }, 'meta mark set meta mark & 0xfffeffff ^ 0x00010000'],
  ['clear mark', { kind: 'clearMark', mask: 0x30000 }, 'meta mark set meta mark & 0xfffcffff'],
  ['goto', { kind: 'goto', chain: 'cali-fw-x' }, 'goto filter-cali-fw-x'],
  ['log', { kind: 'log', prefix: 'calico-packet: ', level: 5 }, 'log prefix "calico-packet: " level notice'],
  ['log prefix cut like iptables (29)', { kind: 'log', prefix: 'x'.repeat(40), level: 5 }, `log prefix "${'x'.repeat(29)}" level notice`],
  ['nflog', { kind: 'nflog', group: 30, prefix: 'calico-packet:' }, 'log prefix "calico-packet:" group 30'],
  ['reject', { kind: 'reject', with: 'icmp-port-unreachable' }, 'reject with icmp type port-unreachable'],
  ['notrack', { kind: 'notrack' }, 'notrack'],
];
for (const [name, a, want] of actionCases) test(`nft action: ${name}`, () => assert.equal(nftAction(a, id), want));

test('nft rule: comments are sanitised; bad identifiers throw', () => {
  assert.equal(nftRule({ match: [], action: { kind: 'drop' }, comment: 'say "hi"\n' }, id), `drop comment "say 'hi'"`);
  assert.throws(() => nftRule({ match: [], action: { kind: 'jump', chain: 'bad chain' } }, id), /invalid chain name/);
  assert.throws(() => nftMatch({ kind: 'inInterface', name: 'a"b' }), /invalid interface name/);
});

test('nft dispatch: runs of interface gotos become one verdict map; first rule for a name wins; other rules stay in place', () => {
  const g = (iface: string, chain: string): Rule => ({ match: [{ kind: 'inInterface', name: iface }], action: { kind: 'goto', chain } });
  const rules: Rule[] = [
    { match: [], action: { kind: 'clearMark', mask: 1 } },
    g('cali1', 'a'),
    g('cali2', 'b'),
    g('cali1', 'c'),
    { match: [{ kind: 'outInterface', name: 'eth0' }], action: { kind: 'jump', chain: 'd' } },
    { match: [], action: { kind: 'goto', chain: 'any' } },
    { match: [], action: { kind: 'drop' } },
  ];
  assert.deepEqual(renderNftRules(rules, id), [
    'meta mark set meta mark & 0xfffffffe',
    'iifname vmap { "cali1" : goto filter-a, "cali2" : goto filter-b }',
    'oifname vmap { "eth0" : jump filter-d }',
    'goto filter-any',
    'drop',
  ]);
});

test('nft policy chains: set-mark + return pairs fold into one rule; port variants each get the return', () => {
  const acc = { kind: 'setMark', mark: 0x10000, mask: 0x10000 } as const;
  const ret: Rule = { match: [{ kind: 'mark', value: 0x10000, mask: 0x10000 }], action: { kind: 'return' } };
  const tcp = (p: number): Rule => ({ match: [{ kind: 'protocol', protocol: 'tcp' }, { kind: 'dstPorts', ports: [{ first: p, last: p }] }], action: acc });
  const log: Rule = { match: [], action: { kind: 'log', prefix: 'calico-packet: ', level: 5 } };
  const rules: Rule[] = [log, tcp(80), tcp(81), ret, { match: [], action: { kind: 'drop' } }, { match: [], action: { kind: 'setMark', mark: 0x20000, mask: 0x20000 } }, { ...ret, match: [{ kind: 'mark', value: 0x20000, mask: 0x20000 }] }];
  assert.deepEqual(renderNftRules(rules, id, true), [
    'log prefix "calico-packet: " level notice',
    'meta l4proto tcp th dport { 80 } meta mark set meta mark & 0xfffeffff ^ 0x00010000 return',
    'meta l4proto tcp th dport { 81 } meta mark set meta mark & 0xfffeffff ^ 0x00010000 return',
    'drop',
    'meta mark set meta mark & 0xfffdffff ^ 0x00020000 return',
  ]);
  // Not folded: a set-mark not followed by its return, or outside policy chains.
  assert.equal(renderNftRules([tcp(80), { match: [], action: { kind: 'drop' } }], id, true).length, 2);
  assert.equal(renderNftRules([tcp(80), ret], id, false).length, 2);
});

test('nft sets: hash:net prefixes canonicalised and folded, hash:ip,port as concatenations', () => {
  assert.deepEqual(canonicalNets(['10.1.2.3/16', '10.0.0.1/32', '10.1.0.7', '10.0.0.0/8', '192.168.1.1']), ['10.0.0.0/8', '192.168.1.1']);
  assert.deepEqual(canonicalNets(['10.0.0.0/25', '10.0.0.128/25']), ['10.0.0.0/25', '10.0.0.128/25']);
  assert.equal(canonicalIpPort('10.0.0.1,tcp:8080'), '10.0.0.1 . tcp . 8080');
  assert.throws(() => canonicalIpPort('10.0.0.1,icmp:8/0'), /invalid hash:ip,port member/);
  assert.deepEqual(renderNftSet({ name: 'cali40n:x', type: 'hash:ip,port', family: 4, members: ['10.0.0.2,udp:53', '10.0.0.1,tcp:80'] }), {
    name: 'cali40n-x',
    type: 'ipv4_addr . inet_proto . inet_service',
    interval: false,
    elements: ['10.0.0.1 . tcp . 80', '10.0.0.2 . udp . 53'],
  });
  assert.throws(() => canonicalNets(['10.0.0.300']), /invalid IPv4 address/);
});

test('nft flow logs: a promoted namespaced deny-all egress policy logs DPE0 (group 2, new connections, on the drop mark) before it drops', () => {
  const { snapshot } = loadSnapshot([
    { apiVersion: 'v1', kind: 'Node', metadata: { name: 'w1' } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'default', labels: { app: 'a' } }, spec: { nodeName: 'w1' }, status: { podIP: '198.19.1.2' } },
    { apiVersion: 'projectcalico.org/v3', kind: 'NetworkPolicy', metadata: { name: 'a-lockdown', namespace: 'default' }, spec: { order: 1, selector: "app == 'a'", types: ['Egress'], egress: [{ action: 'Deny' }] } },
    { apiVersion: 'projectcalico.org/v3', kind: 'NetworkPolicy', metadata: { name: 'a-egress', namespace: 'default' }, spec: { selector: "app == 'a'", types: ['Egress'], egress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: [443] } }] } },
  ]);
  const d = computeDesiredState(snapshot, 'w1', undefined, { flowLogsDefault: true });
  const nft = renderNft(d);
  const prefix = 'DPE0|np/default/a-lockdown';
  const pol = nft.chains.find((c) => c.rules.some((r) => r.includes(`"${prefix}"`)));
  assert.ok(pol, `a chain logs ${prefix}`);
  const logAt = pol.rules.findIndex((r) => r.includes(`"${prefix}"`));
  const markAt = pol.rules.findIndex((r) => /^meta mark set meta mark & 0xfffbffff \^ 0x00040000$/.test(r));
  const dropAt = pol.rules.findIndex((r) => / drop$/.test(r));
  assert.deepEqual([markAt, logAt, dropAt], [0, 1, 2], pol.rules.join('\n'));
  assert.equal(pol.rules[logAt], `meta mark & 0x00040000 == 0x00040000 ct state new log prefix "${prefix}" group 2`);
  assert.equal(pol.rules[dropAt], 'meta mark & 0x00040000 == 0x00040000 drop');
  // the pod's egress chain clears the drop mark, jumps to it first (order 1), and ends its tier logging DPE|default before that drop
  const fw = nft.chains.find((c) => c.name.startsWith('filter-cali-fw-'));
  assert.ok(fw);
  const jumpAt = fw.rules.findIndex((r) => r.endsWith(`jump ${pol.name}`));
  const clearAt = fw.rules.findIndex((r) => /^meta mark set meta mark & 0x[0-9a-f]+$/.test(r) && (~Number(/0x[0-9a-f]+$/.exec(r)![0]) & 0x40000) !== 0);
  const eotLog = fw.rules.findIndex((r) => r.includes('log prefix "DPE|default" group 2'));
  const eotDrop = fw.rules.findIndex((r) => r.includes('End of tier default'));
  assert.ok(clearAt >= 0 && clearAt < jumpAt && jumpAt < eotLog && eotLog + 1 === eotDrop, fw.rules.join('\n'));
  // and the agent's table decodes what the kernel will log
  assert.deepEqual(flowLogTable(d).get(prefix), { tier: 'default', kind: 'NetworkPolicy', namespace: 'default', name: 'a-lockdown', ruleIndex: 0, direction: 'egress', action: 'deny' });
});
