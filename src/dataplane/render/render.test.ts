/**
 * Renderer tests: a table of single rules (including negations and rules that render to
 * nothing), layout checks, and golden files pinning the full rendering of every engine seed
 * scenario (src/engine/testdata/*.scenario) for its node `w1` (or its first node).
 * Golden files live in ./testdata; `UPDATE_GOLDEN=1` rewrites them (review the diff first).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { goldenChecker } from '../../../test/support/golden.js';
import { computeDesiredState, loadSnapshot, type DesiredRule, type DesiredRuleSide, type DesiredState } from '../../engine/index.js';
import { effectiveFelixConfig } from '../../model/calico/felix-configuration.js';
import { formatRuleSpec } from '../iptables/format.js';
import { markBits, render, renderRule, splitPorts, type RenderedDataplane } from './index.js';

const HERE = import.meta.dirname;
const SCENARIOS = join(HERE, '..', '..', 'engine', 'testdata');

/** Golden files in ./testdata (test/support/golden.ts: a missing one fails; UPDATE_GOLDEN=1 writes). */
const expectGolden = goldenChecker(join(HERE, 'testdata'));

/** The golden text: per table, hooks and chains as `-A` lines (no hashes), then IP sets. */
export function formatDataplane(r: RenderedDataplane): string {
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

function parseScenario(file: string): unknown[] {
  const text = readFileSync(join(SCENARIOS, file), 'utf8');
  const m = /-- resources\.yaml --\n([\s\S]*?)(?:\n-- [^\n]+ --\n|$)/.exec(text);
  assert.ok(m, `${file}: no resources.yaml section`);
  return parseAllDocuments(m[1]!).map((d) => d.toJS() as unknown).filter((x) => x !== null && x !== undefined);
}

function desiredFor(file: string, node?: string, nflogGroup?: number): DesiredState {
  const { snapshot } = loadSnapshot(parseScenario(file));
  const name = node ?? (snapshot.nodes.has('w1') ? 'w1' : [...snapshot.nodes.keys()][0] ?? 'w1');
  return computeDesiredState(snapshot, name, undefined, nflogGroup === undefined ? {} : { nflogGroup });
}

for (const file of readdirSync(SCENARIOS).filter((f) => f.endsWith('.scenario')).sort()) {
  test(`golden: ${file}`, () => {
    const d = desiredFor(file);
    const r = render(d);
    expectGolden(file.replace(/\.scenario$/, '.golden'), formatDataplane(r));
    // Every jump/goto target exists in the same table (or is built in), every set is rendered.
    const sets = new Set(r.ipSets.map((s) => s.name));
    for (const t of [r.raw, r.mangle, r.filter]) {
      const names = new Set(t.chains.map((c) => c.name));
      for (const c of t.chains)
        for (const rule of c.rules) {
          if (rule.action.kind === 'jump' || rule.action.kind === 'goto') assert.ok(names.has(rule.action.chain), `${t.table} ${c.name} → missing ${rule.action.chain}`);
          for (const m of rule.match) if (m.kind === 'srcIpSet' || m.kind === 'dstIpSet' || m.kind === 'addrDstPortSet') assert.ok(sets.has(m.set), `${c.name} uses missing set ${m.set}`);
          assert.ok(c.name.length <= 28, c.name);
        }
    }
    // Rendering is deterministic and independent of resource order.
    const again = loadSnapshot([...parseScenario(file)].reverse()).snapshot;
    assert.equal(formatDataplane(render(computeDesiredState(again, d.node))), formatDataplane(r));
  });
}

test('golden: R9 log-denied-packets with NFLOG (the lab: no LOG from a non-initial netns)', () => {
  expectGolden('r9-log.nflog.golden', formatDataplane(render(desiredFor('r9-log.scenario', 'w1', 30))));
});

// ---- single rules

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

const marks = markBits(0xffff0000);
const ctx = { marks, log: { prefix: 'calico-packet', nflogGroup: null } };
const ruleCases: { name: string; rule: DesiredRule; want: string[] }[] = [
  { name: 'allow all', rule: R({}), want: ['-j MARK --set-xmark 0x10000/0x10000', '-m mark --mark 0x10000/0x10000 -j RETURN'] },
  { name: 'deny all', rule: R({ action: 'Deny' }), want: ['-j DROP'] },
  { name: 'pass', rule: R({ action: 'Pass' }), want: ['-j MARK --set-xmark 0x20000/0x20000', '-m mark --mark 0x20000/0x20000 -j RETURN'] },
  { name: 'log', rule: R({ action: 'Log' }), want: ['-j LOG --log-prefix "calico-packet: " --log-level 5'] },
  { name: 'a skipped rule renders to nothing', rule: R({ skip: 'ipVersion 6' }), want: [] },
  {
    name: 'protocol, selector, CIDR and ports',
    rule: R({ action: 'Deny', protocol: 6, src: S({ selector: 's:abc', net: { cidr: '10.0.0.0/8' } }), dst: S({ ports: [{ first: 80, last: 80 }, { first: 8000, last: 8080 }] }) }),
    want: ['-p tcp -m multiport --dports 80,8000:8080 -s 10.0.0.0/8 -m set --match-set cali40s:abc src -j DROP'],
  },
  {
    name: 'negations: notProtocol, notNets set, notSelector, notPorts, notICMP',
    rule: R({
      action: 'Deny',
      notProtocol: 17,
      notIcmp: { type: 8 },
      src: S({ notNet: { ipSet: 'c:list' }, notSelector: 's:bad' }),
      dst: S({ notPorts: [{ first: 22, last: 22 }] }),
    }),
    want: ['! -p udp -m icmp ! --icmp-type 8 -m multiport ! --dports 22 -m set ! --match-set cali40c:list src -m set ! --match-set cali40s:bad src -j DROP'],
  },
  {
    name: 'numeric and named ports: one rule each, the named port set replaces the selector',
    rule: R({ protocol: 6, dst: S({ selector: 's:web', ports: [{ first: 443, last: 443 }], namedPorts: ['n:http'] }) }),
    want: [
      '-p tcp -m multiport --dports 443 -m set --match-set cali40s:web dst -j MARK --set-xmark 0x10000/0x10000',
      '-p tcp -m set --match-set cali40n:http dst,dst -j MARK --set-xmark 0x10000/0x10000',
      '-m mark --mark 0x10000/0x10000 -j RETURN',
    ],
  },
  {
    name: 'destination service: ip,port set',
    rule: R({ protocol: 6, dst: S({ service: { ipSet: 'v:svc', withPort: true } }) }),
    want: ['-p tcp -m set --match-set cali40v:svc dst,dst -j MARK --set-xmark 0x10000/0x10000', '-m mark --mark 0x10000/0x10000 -j RETURN'],
  },
  {
    name: 'ICMP type and code',
    rule: R({ protocol: 1, icmp: { type: 3, code: 4 } }),
    want: ['-p icmp -m icmp --icmp-type 3/4 -j MARK --set-xmark 0x10000/0x10000', '-m mark --mark 0x10000/0x10000 -j RETURN'],
  },
];
for (const c of ruleCases)
  test(`rule: ${c.name}`, () => {
    assert.deepEqual(renderRule(c.rule, ctx, 'calico-packet').map(formatRuleSpec), c.want);
  });

test('rule: NFLOG instead of LOG when a group is configured', () => {
  const r = renderRule(R({ action: 'Log' }), { marks, log: { prefix: 'calico-packet', nflogGroup: 7 } }, 'calico-packet');
  assert.deepEqual(r.map(formatRuleSpec), ['-j NFLOG --nflog-group 7 --nflog-prefix "calico-packet:"']);
});

test('multiport chunks hold at most 15 slots (a range takes two)', () => {
  const ports = Array.from({ length: 20 }, (_, i) => ({ first: 1000 + i, last: 1000 + i }));
  assert.deepEqual(splitPorts(ports).map((c) => c.length), [15, 5]);
  const ranges = Array.from({ length: 9 }, (_, i) => ({ first: 10 * i + 1, last: 10 * i + 5 }));
  assert.deepEqual(splitPorts(ranges).map((c) => c.length), [7, 2]);
});

test('mark bits come from IptablesMarkMask, lowest first', () => {
  assert.deepEqual(markBits(0xffff0000), { accept: 0x10000, pass: 0x20000, scratch0: 0x40000, scratch1: 0x80000, all: 0xf0000 });
  assert.deepEqual(markBits(0xf0), { accept: 0x10, pass: 0x20, scratch0: 0x40, scratch1: 0x80, all: 0xf0 });
  assert.throws(() => markBits(0x7), /IptablesMarkMask 0x7 has fewer than 4 bits/);
});

test('rules per policy do not grow with the number of peers', () => {
  const pods = (n: number): unknown[] =>
    Array.from({ length: n }, (_, i) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `p${i}`, namespace: 'default', labels: { app: i === 0 ? 'db' : 'web' } },
      spec: { nodeName: 'w1', containers: [{ name: 'c' }] },
      status: { podIP: `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}` },
    }));
  const policy = {
    apiVersion: 'projectcalico.org/v3',
    kind: 'NetworkPolicy',
    metadata: { name: 'db', namespace: 'default' },
    spec: { selector: "app == 'db'", ingress: [{ action: 'Allow', protocol: 'TCP', source: { selector: "app == 'web'" }, destination: { ports: [5432] } }] },
  };
  const count = (n: number): { rules: number; members: number } => {
    const d = computeDesiredState(loadSnapshot([...pods(n), policy]).snapshot, 'w1');
    const r = render(d);
    const chain = r.filter.chains.find((c) => c.name.startsWith('cali-pi-'))!;
    return { rules: chain.rules.length, members: r.ipSets.reduce((a, s) => a + s.members.length, 0) };
  };
  const small = count(3);
  const big = count(600);
  assert.equal(small.rules, big.rules);
  assert.equal(big.members, 599);
});

test('effective FelixConfiguration: log prefix, failsafe ports and DefaultEndpointToHostAction', () => {
  const { snapshot } = loadSnapshot(parseScenario('r9-log.scenario'));
  const felix = effectiveFelixConfig({ logPrefix: 'drop-%n', failsafeInboundHostPorts: [{ protocol: 'TCP', port: 2222 }], defaultEndpointToHostAction: 'Accept' });
  const r = render(computeDesiredState(snapshot, 'w1', felix));
  const text = formatDataplane(r);
  assert.match(text, /-A cali-pi-\S+ -j LOG --log-prefix "drop-log-denied-packets: " --log-level 5/);
  assert.match(text, /-A cali-failsafe-in -p tcp -m multiport --dports 2222 -j ACCEPT/);
  assert.match(text, /-A cali-wl-to-host -m comment --comment "Configured DefaultEndpointToHostAction" -j ACCEPT/);
});
