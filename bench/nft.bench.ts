/**
 * @module iptables + ipset vs native nftables (root only; each round programs a fresh private
 * network namespace, created here and deleted in `finally`).
 *
 * The desired state: node `node1` with 100 workloads in 10 namespaces and 1,000 namespaced
 * NetworkPolicies (each selects the pods of one app and allows one TCP port from a label
 * selector, UDP 53 from a CIDR list and egress to another app), with 100 more pods on
 * `node2` as peers, so every policy is active on node1 and the selectors become IP sets.
 * Measured, best of 3 rounds:
 * - full apply from an empty namespace: iptables (IpsetApplier adds → raw, mangle, filter
 *   IptablesTable.apply → removals) vs nft (NftApplier.apply: one `nft -f -` transaction plus
 *   the `nft -j list` read-back that arms drift detection);
 * - one policy changed afterwards (one port): iptables rewrites one chain; nft runs one
 *   incremental transaction (flush + refill of that chain) and lists back only that chain;
 * - rule counts (iptables: rules in our chains plus hooks; nft: rules in the table, a verdict
 *   map counting as one) and dispatch rules (the interface dispatch chains).
 */
import { computeDesiredState, loadSnapshot, type DesiredState } from '../src/engine/index.js';
import { render, CHAIN } from '../src/dataplane/render/index.js';
import { IptablesTable } from '../src/dataplane/iptables/table.js';
import { IpsetApplier } from '../src/dataplane/ipset/ipset-applier.js';
import { NftApplier } from '../src/dataplane/nft/applier.js';
import { nftRuleCount, renderNft } from '../src/dataplane/nft/render.js';
import { formatNftScript } from '../src/dataplane/nft/format.js';
import { createNetns, deleteNetns, inNetns, netnsSkipReason, nodeRunner, type CommandRunner } from '../src/sys/index.js';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  goal: string;
}

const POLICIES = 1000;
const ROUNDS = 3;

function resources(changedPort = 0): unknown[] {
  const out: unknown[] = [];
  for (let n = 0; n < 10; n++) out.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `ns${n}` } });
  for (let i = 0; i < 200; i++) {
    out.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `pod${i}`, namespace: `ns${i % 10}`, labels: { app: `a${i % 50}`, tier: `t${i % 5}` } },
      spec: { nodeName: i < 100 ? 'node1' : 'node2', containers: [{ name: 'c' }] },
      status: { podIP: `10.${Math.floor(i / 250)}.${i % 250}.${1 + (i % 7)}` },
    });
  }
  for (let j = 0; j < POLICIES; j++) {
    out.push({
      apiVersion: 'projectcalico.org/v3',
      kind: 'NetworkPolicy',
      metadata: { name: `np${j}`, namespace: `ns${j % 10}` },
      spec: {
        order: j,
        selector: `app == 'a${j % 50}'`,
        types: ['Ingress', 'Egress'],
        ingress: [
          { action: 'Allow', protocol: 'TCP', source: { selector: `tier == 't${j % 5}'` }, destination: { ports: [j === 0 && changedPort !== 0 ? changedPort : 1000 + j] } },
          { action: 'Allow', protocol: 'UDP', source: { nets: [`172.16.${j % 250}.0/24`, `172.17.${j % 250}.0/24`] }, destination: { ports: [53] } },
        ],
        egress: [{ action: 'Allow', protocol: 'TCP', destination: { selector: `app == 'a${(j + 1) % 50}'`, ports: [443] } }],
      },
    });
  }
  return out;
}

function desired(changedPort = 0): DesiredState {
  return computeDesiredState(loadSnapshot(resources(changedPort)).snapshot, 'node1');
}

const now = (): number => Number(process.hrtime.bigint()) / 1e6;
const round1 = (n: number): number => Math.round(n * 10) / 10;

async function applyIptables(runner: CommandRunner, d: DesiredState, st?: { tables: IptablesTable[]; ipsets: IpsetApplier }): Promise<{ tables: IptablesTable[]; ipsets: IpsetApplier }> {
  const r = render(d);
  const s = st ?? { tables: [r.raw, r.mangle, r.filter].map((t) => new IptablesTable({ table: t.table, runner, timeoutMs: 120_000 })), ipsets: new IpsetApplier({ runner, timeoutMs: 60_000 }) };
  s.ipsets.setIpSets(r.ipSets);
  await s.ipsets.applyAdds();
  for (const [i, t] of [r.raw, r.mangle, r.filter].entries()) {
    const table = s.tables[i]!;
    table.setChains(t.chains);
    table.setHooks(t.hooks);
    await table.apply();
  }
  await s.ipsets.applyRemovals();
  return s;
}

async function withNs<T>(fn: (runner: CommandRunner) => Promise<T>): Promise<T> {
  const ns = await createNetns('tby-nftb');
  try {
    return await fn(inNetns(nodeRunner, ns));
  } finally {
    await deleteNetns(ns);
  }
}

export async function run(): Promise<BenchResult[]> {
  const skip = await netnsSkipReason();
  if (skip !== undefined) {
    process.stderr.write(`nft bench skipped: ${skip}\n`);
    return [];
  }
  const d = desired();
  const d2 = desired(65000);
  const rendered = render(d);
  const nftRules = renderNft(d);
  const policies = d.policies.size;
  if (policies !== POLICIES) throw new Error(`expected ${POLICIES} active policies on node1, got ${policies}`);
  const iptRules = [rendered.raw, rendered.mangle, rendered.filter].reduce((n, t) => n + t.chains.reduce((m, c) => m + c.rules.length, 0) + t.hooks.reduce((m, h) => m + h.rules.length, 0), 0);
  const dispatchNames = new Set<string>([CHAIN.fromWorkloadDispatch, CHAIN.toWorkloadDispatch]);
  const iptDispatch = rendered.filter.chains.filter((c) => dispatchNames.has(c.name)).reduce((n, c) => n + c.rules.length, 0);
  const nftDispatch = nftRules.chains.filter((c) => c.name === `filter-${CHAIN.fromWorkloadDispatch}` || c.name === `filter-${CHAIN.toWorkloadDispatch}`).reduce((n, c) => n + c.rules.length, 0);

  const ipt = { full: Infinity, one: Infinity };
  const nft = { full: Infinity, one: Infinity, tx: Infinity };
  for (let k = 0; k < ROUNDS; k++) {
    await withNs(async (runner) => {
      let st: { tables: IptablesTable[]; ipsets: IpsetApplier } | undefined;
      try {
        const t0 = now();
        st = await applyIptables(runner, d);
        ipt.full = Math.min(ipt.full, now() - t0);
        const t1 = now();
        await applyIptables(runner, d2, st);
        ipt.one = Math.min(ipt.one, now() - t1);
      } finally {
        await st?.ipsets.close();
      }
    });
    await withNs(async (runner) => {
      const applier = new NftApplier({ runner, timeoutMs: 120_000 });
      const t0 = now();
      applier.setRuleset(renderNft(d));
      const r = await applier.apply();
      nft.full = Math.min(nft.full, now() - t0);
      if (!r.changed) throw new Error('nft: first apply changed nothing');
      const t1 = now();
      applier.setRuleset(renderNft(d2));
      const r2 = await applier.apply();
      nft.one = Math.min(nft.one, now() - t1);
      if (!r2.changed || r2.full) throw new Error('nft: the one-policy change was not incremental');
      // The full-replacement transaction alone (no rendering, no read-back).
      const script = formatNftScript(renderNft(d));
      const t2 = now();
      const tx = await runner.run({ argv: ['nft', '-f', '-'], stdin: script, timeoutMs: 120_000 });
      nft.tx = Math.min(nft.tx, now() - t2);
      if (tx.code !== 0) throw new Error(`nft -f failed: ${tx.stderr}`);
    });
  }
  const P = '1,000 policies, 100 workloads';
  return [
    { name: `nft: full apply, iptables + ipset (${P})`, value: round1(ipt.full), unit: 'ms', goal: 'informational' },
    { name: `nft: full apply, nft one transaction + read-back (${P})`, value: round1(nft.full), unit: 'ms', goal: 'informational' },
    { name: 'nft: full replacement, the nft -f transaction alone', value: round1(nft.tx), unit: 'ms', goal: 'informational' },
    { name: 'nft: one policy changed, iptables + ipset (one chain rewritten)', value: round1(ipt.one), unit: 'ms', goal: 'informational' },
    { name: 'nft: one policy changed, nft (incremental transaction + read-back of what changed)', value: round1(nft.one), unit: 'ms', goal: 'informational' },
    { name: `nft: rules, iptables (raw + mangle + filter, ${rendered.ipSets.length} ipsets)`, value: iptRules, unit: 'rules', goal: 'informational' },
    { name: `nft: rules, nft table (${nftRules.sets.length} sets)`, value: nftRuleCount(nftRules), unit: 'rules', goal: 'informational' },
    { name: 'nft: workload dispatch rules, iptables (linear)', value: iptDispatch, unit: 'rules', goal: 'informational' },
    { name: 'nft: workload dispatch rules, nft (verdict maps)', value: nftDispatch, unit: 'rules', goal: 'informational' },
  ];
}
