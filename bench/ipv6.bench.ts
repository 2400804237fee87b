/**
 * @module IPv6 and dual stack beside IPv4, for both dataplanes (root only; each round programs
 * a fresh private network namespace, created here and deleted in `finally`).
 *
 * The desired state is nft.bench's, dual stack: node `node1` with 100 workloads (each with an
 * IPv4 and an IPv6 address) in 10 namespaces and 1,000 NetworkPolicies (one TCP port from a
 * label selector, UDP 53 from an IPv4 CIDR list and, in a second rule, from an IPv6 one, egress
 * to another app), 100 more pods on `node2` as peers. For each dataplane and family:
 * - full apply from an empty namespace (IPv4: iptables + ipset / nft `ip` table; IPv6:
 *   ip6tables + `inet6` sets / nft `ip6` table; dual: both, through the agent's driver,
 *   `IptablesDriver.apply(v4, v6)` / `NftDriver.apply(v4, v6)`);
 * - one policy changed afterwards (one port), the same way.
 * Best of 2 rounds (ms), and the rule and set counts of each family's rendering.
 */
import { computeDesiredState, loadSnapshot, type DesiredState } from '../src/engine/index.js';
import { render, type RenderedDataplane } from '../src/dataplane/render/index.js';
import { IptablesTable } from '../src/dataplane/iptables/table.js';
import { IptablesDriver } from '../src/dataplane/iptables/driver.js';
import { IpsetApplier } from '../src/dataplane/ipset/ipset-applier.js';
import { NftApplier } from '../src/dataplane/nft/applier.js';
import { NftDriver } from '../src/dataplane/nft/driver.js';
import { renderNftFromDataplane } from '../src/dataplane/nft/render.js';
import { createNetns, deleteNetns, inNetns, netnsSkipReason, nodeRunner, type CommandRunner } from '../src/sys/index.js';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  goal: string;
}

const POLICIES = 1000;
const ROUNDS = 2;

function resources(changedPort: number): unknown[] {
  const out: unknown[] = [];
  for (let n = 0; n < 10; n++) out.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `ns${n}` } });
  for (let i = 0; i < 200; i++) {
    const v4 = `10.${Math.floor(i / 250)}.${i % 250}.${1 + (i % 7)}`;
    const v6 = `2001:db8:${Math.floor(i / 250)}:${i % 250}::${(1 + (i % 7)).toString(16)}`;
    out.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `pod${i}`, namespace: `ns${i % 10}`, labels: { app: `a${i % 50}`, tier: `t${i % 5}` } },
      spec: { nodeName: i < 100 ? 'node1' : 'node2', containers: [{ name: 'c' }] },
      status: { podIP: v4, podIPs: [{ ip: v4 }, { ip: v6 }] },
    });
  }
  for (let j = 0; j < POLICIES; j++)
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
          { action: 'Allow', protocol: 'UDP', source: { nets: [`2001:db8:ff:${(j % 250).toString(16)}::/64`, `2001:db8:fe:${(j % 250).toString(16)}::/64`] }, destination: { ports: [53] } },
        ],
        egress: [{ action: 'Allow', protocol: 'TCP', destination: { selector: `app == 'a${(j + 1) % 50}'`, ports: [443] } }],
      },
    });
  return out;
}

function rendered(changedPort: number): { v4: RenderedDataplane; v6: RenderedDataplane } {
  const snap = loadSnapshot(resources(changedPort)).snapshot;
  const d = (family: 4 | 6): DesiredState => computeDesiredState(snap, 'node1', undefined, { family });
  return { v4: render(d(4)), v6: render(d(6)) };
}

const now = (): number => Number(process.hrtime.bigint()) / 1e6;
const round1 = (n: number): number => Math.round(n * 10) / 10;

async function withNs<T>(fn: (runner: CommandRunner) => Promise<T>): Promise<T> {
  const ns = await createNetns('tby-v6b');
  try {
    return await fn(inNetns(nodeRunner, ns));
  } finally {
    await deleteNetns(ns);
  }
}

/** One family through the iptables tables of that family and an IpsetApplier (the driver's order). */
async function iptablesOne(runner: CommandRunner, a: RenderedDataplane, b: RenderedDataplane): Promise<{ full: number; one: number }> {
  const tables = [a.raw, a.mangle, a.filter].map((t) => new IptablesTable({ table: t.table, family: a.family, runner, timeoutMs: 120_000 }));
  const ipsets = new IpsetApplier({ runner, timeoutMs: 60_000 });
  const apply = async (r: RenderedDataplane): Promise<void> => {
    ipsets.setIpSets(r.ipSets);
    await ipsets.applyAdds();
    for (const [i, t] of [r.raw, r.mangle, r.filter].entries()) {
      tables[i]!.setChains(t.chains);
      tables[i]!.setHooks(t.hooks);
      await tables[i]!.apply();
    }
    await ipsets.applyRemovals();
  };
  try {
    const t0 = now();
    await apply(a);
    const t1 = now();
    await apply(b);
    return { full: t1 - t0, one: now() - t1 };
  } finally {
    await ipsets.close();
  }
}

async function nftOne(runner: CommandRunner, a: RenderedDataplane, b: RenderedDataplane): Promise<{ full: number; one: number }> {
  const applier = new NftApplier({ runner, family: a.family === 6 ? 'ip6' : 'ip', timeoutMs: 120_000 });
  const t0 = now();
  applier.setRuleset(renderNftFromDataplane(a));
  if (!(await applier.apply()).changed) throw new Error('nft: first apply changed nothing');
  const t1 = now();
  applier.setRuleset(renderNftFromDataplane(b));
  const r = await applier.apply();
  if (!r.changed || r.full) throw new Error('nft: the one-policy change was not incremental');
  return { full: t1 - t0, one: now() - t1 };
}

async function dual(runner: CommandRunner, kind: 'iptables' | 'nft', a: { v4: RenderedDataplane; v6: RenderedDataplane }, b: { v4: RenderedDataplane; v6: RenderedDataplane }): Promise<{ full: number; one: number }> {
  const driver = kind === 'nft' ? new NftDriver({ runner, timeoutMs: 120_000 }) : new IptablesDriver({ runner, timeoutMs: 120_000 });
  try {
    const t0 = now();
    if (!(await driver.apply(a.v4, a.v6)).changed) throw new Error(`${kind}: first dual apply changed nothing`);
    const t1 = now();
    if (!(await driver.apply(b.v4, b.v6)).changed) throw new Error(`${kind}: the dual one-policy change changed nothing`);
    return { full: t1 - t0, one: now() - t1 };
  } finally {
    await driver.close();
  }
}

const rules = (r: RenderedDataplane): number => [r.raw, r.mangle, r.filter].reduce((n, t) => n + t.chains.reduce((m, c) => m + c.rules.length, 0) + t.hooks.reduce((m, h) => m + h.rules.length, 0), 0);

export async function run(): Promise<BenchResult[]> {
  const skip = await netnsSkipReason();
  if (skip !== undefined) {
    process.stderr.write(`ipv6 bench skipped: ${skip}\n`);
    return [];
  }
  const a = rendered(0);
  const b = rendered(65000);
  const best: Record<string, { full: number; one: number }> = {};
  const keep = (k: string, r: { full: number; one: number }): void => {
    const cur = best[k] ?? { full: Infinity, one: Infinity };
    best[k] = { full: Math.min(cur.full, r.full), one: Math.min(cur.one, r.one) };
  };
  for (let k = 0; k < ROUNDS; k++) {
    keep('iptables 4', await withNs((r) => iptablesOne(r, a.v4, b.v4)));
    keep('iptables 6', await withNs((r) => iptablesOne(r, a.v6, b.v6)));
    keep('iptables dual', await withNs((r) => dual(r, 'iptables', a, b)));
    keep('nft 4', await withNs((r) => nftOne(r, a.v4, b.v4)));
    keep('nft 6', await withNs((r) => nftOne(r, a.v6, b.v6)));
    keep('nft dual', await withNs((r) => dual(r, 'nft', a, b)));
  }
  const out: BenchResult[] = [];
  const label = { '4': 'IPv4', '6': 'IPv6', dual: 'dual stack' } as const;
  for (const kind of ['iptables', 'nft'] as const)
    for (const f of ['4', '6', 'dual'] as const) {
      const r = best[`${kind} ${f}`]!;
      out.push({ name: `ipv6: full apply, ${kind}, ${label[f]} (${POLICIES} policies, 100 workloads)`, value: round1(r.full), unit: 'ms', goal: 'informational' });
      out.push({ name: `ipv6: one policy changed, ${kind}, ${label[f]}`, value: round1(r.one), unit: 'ms', goal: 'informational' });
    }
  for (const kind of ['iptables', 'nft'] as const) {
    const v4 = best[`${kind} 4`]!;
    const v6 = best[`${kind} 6`]!;
    const d = best[`${kind} dual`]!;
    out.push({ name: `ipv6: ${kind} full apply, IPv6 / IPv4`, value: Math.round((v6.full / v4.full) * 100) / 100, unit: 'x', goal: 'informational' });
    out.push({ name: `ipv6: ${kind} full apply, dual stack / IPv4`, value: Math.round((d.full / v4.full) * 100) / 100, unit: 'x', goal: 'informational' });
  }
  out.push({ name: `ipv6: rules rendered, IPv4 (${a.v4.ipSets.length} sets)`, value: rules(a.v4), unit: 'rules', goal: 'informational' });
  out.push({ name: `ipv6: rules rendered, IPv6 (${a.v6.ipSets.length} sets)`, value: rules(a.v6), unit: 'rules', goal: 'informational' });
  return out;
}
