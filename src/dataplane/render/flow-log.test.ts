/**
 * Flow-log marks (issue 17): the NFLOG prefix codec (Felix's format, hashing past 63 bytes, the
 * table round trip, hostile prefixes rejected), the FelixConfiguration switch, and golden files
 * pinning the rendering with flow logs on for both drivers (iptables rules and the nft script).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { goldenChecker } from '../../../test/support/golden.js';
import { computeDesiredState, flowLogsEnabled, loadSnapshot, type DesiredState } from '../../engine/index.js';
import { effectiveFelixConfig } from '../../model/calico/felix-configuration.js';
import { formatNftScript } from '../nft/format.js';
import { renderNft } from '../nft/render.js';
import {
  decodeFlowLogPrefix,
  endOfTierFlowLogPrefix,
  flowLogPolicyId,
  flowLogPolicyName,
  flowLogTable,
  maybeHashPrefix,
  noProfileFlowLogPrefix,
  render,
  ruleFlowLogPrefix,
  FLOW_LOG_GROUP_INBOUND,
  FLOW_LOG_GROUP_OUTBOUND,
} from './index.js';
import { formatRuleSpec } from '../iptables/format.js';
import type { RenderedDataplane } from './index.js';

/** The golden text (as render.test.ts writes it): per table, hooks and chains as `-A` lines, then IP sets. */
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

const HERE = import.meta.dirname;
const SCENARIOS = join(HERE, '..', '..', 'engine', 'testdata');
const expectGolden = goldenChecker(join(HERE, 'testdata'));

function desired(file: string, opts: { flowLogsDefault?: boolean; nflogGroup?: number } = { flowLogsDefault: true }): DesiredState {
  const text = readFileSync(join(SCENARIOS, file), 'utf8');
  const m = /-- resources\.yaml --\n([\s\S]*?)(?:\n-- [^\n]+ --\n|$)/.exec(text);
  assert.ok(m, `${file}: no resources.yaml section`);
  const docs = parseAllDocuments(m[1]!).map((d) => d.toJS() as unknown).filter((x) => x !== null && x !== undefined);
  const { snapshot } = loadSnapshot(docs);
  const node = snapshot.nodes.has('w1') ? 'w1' : ([...snapshot.nodes.keys()][0] ?? 'w1');
  return computeDesiredState(snapshot, node, undefined, opts);
}

test('prefix: Felix format for rule verdicts, end of tier and no profile', () => {
  assert.equal(ruleFlowLogPrefix('A', 'P', 'ingress', 0, 'np/demo/allow-web'), 'API0|np/demo/allow-web');
  assert.equal(ruleFlowLogPrefix('D', 'P', 'egress', 12, 'gnp/deny-all'), 'DPE12|gnp/deny-all');
  assert.equal(ruleFlowLogPrefix('P', 'P', 'ingress', 3, 'gnp/platform.pass'), 'PPI3|gnp/platform.pass');
  assert.equal(ruleFlowLogPrefix('A', 'R', 'egress', 0, 'kns.demo'), 'ARE0|kns.demo');
  assert.equal(endOfTierFlowLogPrefix('ingress', 'default'), 'DPI|default');
  assert.equal(noProfileFlowLogPrefix('egress'), 'DRE');
  assert.equal(flowLogPolicyId({ kind: 'GlobalNetworkPolicy', namespace: '', name: 'default.x' }), 'gnp/default.x');
  assert.equal(flowLogPolicyId({ kind: 'KubernetesNetworkPolicy', namespace: 'ns1', name: 'knp.default.web' }), 'knp/ns1/web');
  assert.equal(flowLogPolicyId({ kind: 'AdminNetworkPolicy', namespace: '', name: 'kanp.adminnetworkpolicy.x' }), 'anp/x');
  assert.equal(FLOW_LOG_GROUP_INBOUND, 1);
  assert.equal(FLOW_LOG_GROUP_OUTBOUND, 2);
});

test('prefix: 63 bytes or more are hashed as Felix hashes (first 10, _, 41 hash chars, _, last 10)', () => {
  const short = 'API0|np/' + 'a'.repeat(54); // 62 bytes: kept
  assert.equal(short.length, 62);
  assert.equal(maybeHashPrefix(short), short);
  const exact = 'API0|np/' + 'a'.repeat(55); // 63 bytes: hashed (so nobody can forge a hashed one)
  const long = 'API1|np/' + 'team-payments-production/' + 'allow-from-the-frontend-and-the-batch-jobs-'.repeat(3);
  for (const p of [exact, long]) {
    const h = maybeHashPrefix(p);
    assert.equal(h.length, 63);
    const digest = createHash('sha256').update(p).digest('base64url');
    assert.equal(h, `${p.slice(0, 10)}_${digest.slice(0, 41)}_${p.slice(-10)}`);
  }
  assert.notEqual(maybeHashPrefix(long), maybeHashPrefix(long.replace('payments', 'paymentz')));
});

test('table: every rendered prefix decodes to its verdict (round trip), long names included', () => {
  for (const file of ['calico-tiers.scenario', 'default-allow-profile.scenario', 'k8s-basics.scenario', 'admin-policy-tiers.scenario']) {
    const d = desired(file);
    const table = flowLogTable(d);
    const rendered = render(d);
    const prefixes = new Set<string>();
    for (const c of rendered.filter.chains)
      for (const r of c.rules)
        if (r.action.kind === 'nflog' && r.action.group !== d.log.nflogGroup) {
          prefixes.add(r.action.prefix);
          assert.ok([FLOW_LOG_GROUP_INBOUND, FLOW_LOG_GROUP_OUTBOUND].includes(r.action.group), `${file}: ${c.name} group ${r.action.group}`);
          assert.ok(r.match.some((m) => m.kind === 'conntrackState' && m.states.join() === 'NEW'), `${file}: ${c.name} logs new connections only`);
          const dec = decodeFlowLogPrefix(r.action.prefix, [table]);
          assert.ok(dec.ok, `${file}: ${r.action.prefix} decodes`);
          assert.equal(dec.hit.direction === 'ingress' ? FLOW_LOG_GROUP_INBOUND : FLOW_LOG_GROUP_OUTBOUND, r.action.group, `${file}: ${r.action.prefix}`);
        }
    assert.ok(prefixes.size > 0, `${file}: some flow-log marks rendered`);
    // Raw and mangle (untracked, preDNAT) carry none (Felix: not for untracked).
    for (const t of [rendered.raw, rendered.mangle]) for (const c of t.chains) for (const r of c.rules) assert.notEqual(r.action.kind, 'nflog', `${t.table} ${c.name}`);
    // Every policy rule with Allow/Deny/Pass in the table names its policy, index and direction.
    for (const p of d.policies.values())
      for (const dir of ['ingress', 'egress'] as const)
        for (const r of dir === 'ingress' ? p.ingress : p.egress) {
          if (r.skip !== null || r.action === 'Log') continue;
          const dec = decodeFlowLogPrefix(ruleFlowLogPrefix(r.action === 'Allow' ? 'A' : r.action === 'Deny' ? 'D' : 'P', 'P', dir, r.index, flowLogPolicyId(p)), [table]);
          assert.ok(dec.ok);
          assert.deepEqual(
            { tier: dec.hit.tier, kind: dec.hit.kind, namespace: dec.hit.namespace, name: dec.hit.name, ruleIndex: dec.hit.ruleIndex, direction: dec.hit.direction },
            { tier: p.tier, kind: p.kind, namespace: p.namespace, name: flowLogPolicyName(p.kind, p.name), ruleIndex: r.index, direction: dir },
          );
        }
  }
});

test('table: a policy whose prefix is hashed still decodes; a forged or foreign prefix does not', () => {
  const ns = 'n'.repeat(40);
  const docs = [
    { apiVersion: 'v1', kind: 'Node', metadata: { name: 'w1' } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: ns, labels: { app: 'x' } }, spec: { nodeName: 'w1' }, status: { podIP: '198.18.0.10' } },
    {
      apiVersion: 'projectcalico.org/v3',
      kind: 'NetworkPolicy',
      metadata: { name: 'allow-everything-from-the-long-named-namespace', namespace: ns },
      spec: { selector: 'all()', ingress: [{ action: 'Allow' }], egress: [{ action: 'Deny' }] },
    },
  ];
  const d = computeDesiredState(loadSnapshot(docs).snapshot, 'w1', undefined, { flowLogsDefault: true });
  const table = flowLogTable(d);
  const prefix = ruleFlowLogPrefix('A', 'P', 'ingress', 0, `np/${ns}/allow-everything-from-the-long-named-namespace`);
  assert.equal(prefix.length, 63);
  const dec = decodeFlowLogPrefix(prefix, [table]);
  assert.ok(dec.ok);
  assert.equal(dec.hit.name, 'allow-everything-from-the-long-named-namespace');
  assert.equal(dec.hit.namespace, ns);
  assert.equal(dec.hit.action, 'allow');
  // Hostile prefixes.
  assert.deepEqual(decodeFlowLogPrefix('API0|np/other/not-ours', [table]), { ok: false, error: 'unknown' });
  assert.deepEqual(decodeFlowLogPrefix(prefix.slice(0, 62) + 'X', [table]), { ok: false, error: 'unknown' });
  assert.deepEqual(decodeFlowLogPrefix('A'.repeat(64), [table]), { ok: false, error: 'too-long' });
  assert.deepEqual(decodeFlowLogPrefix('API0|np/x y', [table]), { ok: false, error: 'bad-characters' });
  assert.deepEqual(decodeFlowLogPrefix('', [table]), { ok: false, error: 'bad-characters' });
  assert.deepEqual(decodeFlowLogPrefix('calico-packet:', [table]), { ok: false, error: 'unknown' });
  assert.deepEqual(decodeFlowLogPrefix('__proto__', [table]), { ok: false, error: 'unknown' });
  // The no-profile and end-of-tier verdicts.
  const dre = decodeFlowLogPrefix('DRE', [table]);
  assert.ok(dre.ok && dre.hit.action === 'profile-deny' && dre.hit.direction === 'egress');
  const eot = decodeFlowLogPrefix('DPI|default', [table]);
  assert.ok(eot.ok && eot.hit.action === 'end-of-tier-deny' && eot.hit.tier === 'default');
});

test('switch: FelixConfiguration flowLogsLocalReporter / flowLogsGoldmaneServer, the lab default only when unset', () => {
  assert.equal(flowLogsEnabled(effectiveFelixConfig()), false);
  assert.equal(flowLogsEnabled(effectiveFelixConfig(), true), true);
  assert.equal(flowLogsEnabled(effectiveFelixConfig({ flowLogsLocalReporter: 'Enabled' })), true);
  assert.equal(flowLogsEnabled(effectiveFelixConfig({ flowLogsLocalReporter: 'Disabled' }), true), false);
  assert.equal(flowLogsEnabled(effectiveFelixConfig({ flowLogsGoldmaneServer: 'goldmane:7443' })), true);
  assert.equal(desired('calico-tiers.scenario', {}).flowLogs, undefined);
  assert.equal(desired('calico-tiers.scenario').flowLogs, true);
});

test('flow logs off: the rendering carries no flow-log NFLOG and the R9 Log rule is unchanged', () => {
  const off = render(desired('r9-log.scenario', { nflogGroup: 7 }));
  const on = render(desired('r9-log.scenario', { nflogGroup: 7, flowLogsDefault: true }));
  const nflogs = (r: typeof off): string[] => r.filter.chains.flatMap((c) => c.rules.flatMap((x) => (x.action.kind === 'nflog' ? [`${x.action.group} ${x.action.prefix}`] : [])));
  assert.deepEqual(
    nflogs(off).filter((x) => !x.startsWith('7 ')),
    [],
  );
  assert.deepEqual(
    nflogs(on).filter((x) => x.startsWith('7 ')),
    nflogs(off),
  );
  assert.ok(nflogs(off).length > 0 && nflogs(off).every((x) => x.endsWith(' calico-packet:')));
});

for (const file of ['calico-tiers.scenario', 'default-allow-profile.scenario', 'k8s-basics.scenario']) {
  test(`golden: ${file} with flow logs (iptables and nft)`, () => {
    const d = desired(file);
    expectGolden(file.replace(/\.scenario$/, '.flowlogs.golden'), formatDataplane(render(d)));
    expectGolden(file.replace(/\.scenario$/, '.flowlogs.nft.golden'), formatNftScript(renderNft(d)));
  });
}
