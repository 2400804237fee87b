/**
 * @module Dataplane benchmarks (root only; everything runs in a private network namespace that
 * is created here and deleted in `finally`): the real iptables-restore (nft backend) and ipset
 * binaries, driven by IptablesTable and IpsetApplier.
 *
 * Setup: 100,000 rules (2,000 chains × 50 rules, typical Calico policy rules: ipset matches,
 * multiport, marks) hooked from INPUT, plus 100 IP sets of 100 members each. Then:
 * - one-chain change: rewrite one 50-rule chain, from `updateChain` to `apply()` resolved;
 * - policy change: one policy chain rewritten, one endpoint chain re-pointed, one IP set
 *   updated, run as the agent does (ipset adds → iptables apply → ipset removals);
 * - the same with the whole desired state passed again as fresh objects (`setChains` of 2,000
 *   new Chain values, one of them changed): what an agent pays if its renderer does not reuse
 *   unchanged chains;
 * - IP set membership change: 50 members added and 50 removed in one set, one batch through the
 *   applier's long-lived `ipset -` session (checked: `via === 'session'`);
 * - full resync: `refresh()` with no drift (iptables-save of 100k rules, parse, plan), and with
 *   drift injected into 20 chains (re-read, plan, repair);
 * - initial programming of the 100k rules (informational).
 * Latencies are p50/p99 over 30 samples (so p99 is the worst sample). Every iptables command
 * pays for `ip netns exec` and a process spawn (3-8 ms on a busy 2-core machine). A full GC runs
 * between phases (the runner passes --expose-gc), so one phase's garbage (the 17 MB initial
 * restore script, the fresh objects of the setChains phase) is not collected on the next
 * phase's clock.
 */
import { IpsetApplier } from '../src/dataplane/ipset/ipset-applier.js';
import { IptablesTable } from '../src/dataplane/iptables/table.js';
import type { Chain, IpSet, Rule } from '../src/dataplane/model.js';
import { createNetns, deleteNetns, inNetns, netnsSkipReason, nodeRunner } from '../src/sys/index.js';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  goal: string;
}

const CHAINS = 2000;
const RULES_PER_CHAIN = 50;
const SETS = 100;
const MEMBERS = 100;
const SAMPLES = 30;

const setName = (i: number): string => `cali40s:bench${String(i).padStart(4, '0')}`;

function policyRule(chain: number, r: number, salt: number): Rule {
  const set = setName((chain + r) % SETS);
  if (r % 2 === 1) return { match: [{ kind: 'mark', value: 0x10000, mask: 0x10000 }], action: { kind: 'return' }, comment: 'Return if policy accepted' };
  return {
    match: [
      { kind: 'protocol', protocol: 'tcp' },
      { kind: 'srcIpSet', set },
      { kind: 'dstPorts', ports: [{ first: 1000 + r, last: 1000 + r }, { first: 20000 + salt, last: 20010 + salt }] },
    ],
    action: { kind: 'setMark', mark: 0x10000, mask: 0x10000 },
  };
}

function policyChain(i: number, salt = 0): Chain {
  return { name: `cali-pi-bench${String(i).padStart(5, '0')}`, rules: Array.from({ length: RULES_PER_CHAIN }, (_, r) => policyRule(i, r, salt)) };
}

function ipSet(i: number, salt = 0): IpSet {
  return {
    name: setName(i),
    type: 'hash:net',
    family: 4,
    members: Array.from({ length: MEMBERS }, (_, m) => `10.${(i + salt) % 256}.${m}.0/24`),
  };
}

const pct = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
};
const round = (x: number): number => Math.round(x * 100) / 100;
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

export async function run(): Promise<BenchResult[]> {
  const skip = await netnsSkipReason();
  if (skip !== undefined) {
    process.stderr.write(`dataplane bench skipped: ${skip}\n`);
    return [];
  }
  const ns = await createNetns('tby-bench');
  let toClose: IpsetApplier | undefined;
  try {
    const runner = inNetns(nodeRunner, ns);
    const table = new IptablesTable({ table: 'filter', runner, timeoutMs: 120_000 });
    const ipsets = new IpsetApplier({ runner, timeoutMs: 60_000 });
    toClose = ipsets;
    const results: BenchResult[] = [];

    // --- initial programming ---
    const chains: Chain[] = Array.from({ length: CHAINS }, (_, i) => policyChain(i));
    const dispatch: Chain = { name: 'cali-INPUT', rules: chains.slice(0, 20).map((c) => ({ match: [], action: { kind: 'jump', chain: c.name } })) };
    const sets = Array.from({ length: SETS }, (_, i) => ipSet(i));
    const tInit = await timed(async () => {
      ipsets.setIpSets(sets);
      table.setChains([dispatch, ...chains]);
      table.setHooks([{ chain: 'INPUT', rules: [{ match: [], action: { kind: 'jump', chain: 'cali-INPUT' } }] }]);
      await ipsets.applyAdds();
      await table.apply();
    });
    results.push({ name: 'dataplane: initial programming of 100k rules + 100 sets', value: round(tInit), unit: 'ms', goal: 'informational' });

    // --- one-chain change ---
    gc();
    const one: number[] = [];
    for (let k = 0; k < SAMPLES; k++) {
      const c = policyChain((k * 67) % CHAINS, k + 1);
      one.push(
        await timed(async () => {
          table.updateChain(c);
          const r = await table.apply();
          if (r.rewritten.length !== 1) throw new Error(`expected one rewritten chain, got ${r.rewritten.length}`);
        }),
      );
    }
    results.push({ name: 'dataplane: one-chain change (50 rules), 100k rules programmed, p50', value: round(pct(one, 50)), unit: 'ms', goal: '<= 50' });
    results.push({ name: 'dataplane: one-chain change (50 rules), 100k rules programmed, p99', value: round(pct(one, 99)), unit: 'ms', goal: '<= 50' });

    // --- policy change, the agent's way (ipsets → iptables → ipset removals) ---
    gc();
    const policy: number[] = [];
    for (let k = 0; k < SAMPLES; k++) {
      const pc = policyChain(CHAINS + k, k);
      const ep: Chain = { name: 'cali-INPUT', rules: [...dispatch.rules, { match: [], action: { kind: 'jump', chain: pc.name } }] };
      const set = ipSet(k % SETS, k + 7);
      policy.push(
        await timed(async () => {
          ipsets.updateIpSet(set);
          table.updateChain(pc);
          table.updateChain(ep);
          await ipsets.applyAdds();
          await table.apply();
          await ipsets.applyRemovals();
        }),
      );
      table.removeChain(pc.name);
    }
    table.updateChain(dispatch);
    await table.apply();
    results.push({ name: 'dataplane: policy change → rules in kernel, p50', value: round(pct(policy, 50)), unit: 'ms', goal: '<= 100' });
    results.push({ name: 'dataplane: policy change → rules in kernel, p99', value: round(pct(policy, 99)), unit: 'ms', goal: '<= 500' });

    // --- the same through setChains of the whole (fresh) desired state ---
    gc();
    const full: number[] = [];
    for (let k = 0; k < 10; k++) {
      const fresh = Array.from({ length: CHAINS }, (_, i) => policyChain(i, i === k ? 100 + k : 0));
      full.push(
        await timed(async () => {
          table.setChains([dispatch, ...fresh]);
          await table.apply();
        }),
      );
    }
    results.push({ name: 'dataplane: setChains(2,000 fresh chains, 1 changed) + apply, p50', value: round(pct(full, 50)), unit: 'ms', goal: 'informational' });

    // --- ipset membership change ---
    const mem: number[] = [];
    ipsets.updateIpSet(ipSet(0));
    await ipsets.applyAdds();
    gc();
    for (let k = 0; k < SAMPLES; k++) {
      const base = ipSet(0);
      const members = [...base.members.slice(50), ...Array.from({ length: 50 }, (_, m) => `172.${16 + (k % 2)}.${m}.0/24`)];
      mem.push(
        await timed(async () => {
          ipsets.updateIpSet({ ...base, members });
          const r = await ipsets.applyAdds();
          if (r.memberChanges !== 100) throw new Error(`expected 100 member changes, got ${r.memberChanges}`);
          if (r.via !== 'session') throw new Error(`expected the change to go through the ipset session, went through ${r.via}`);
        }),
      );
    }
    results.push({ name: 'dataplane: ipset membership change (100 members, batched), p50', value: round(pct(mem, 50)), unit: 'ms', goal: '<= 5' });
    results.push({ name: 'dataplane: ipset membership change (100 members, batched), p99', value: round(pct(mem, 99)), unit: 'ms', goal: 'informational' });

    // --- full resync ---
    gc();
    const resync: number[] = [];
    for (let k = 0; k < 3; k++) {
      resync.push(
        await timed(async () => {
          const r = await table.refresh();
          if (r.changed) throw new Error('unexpected drift');
        }),
      );
    }
    results.push({ name: 'dataplane: full resync of 100k rules (no drift)', value: round(Math.min(...resync)), unit: 'ms', goal: '<= 2000' });

    for (let i = 0; i < 20; i++) {
      const r = await runner.run({ argv: ['iptables', '-w', '-D', chains[i * 97]!.name, '1'] });
      if (r.code !== 0) throw new Error(`drift injection failed: ${r.stderr}`);
    }
    gc();
    const tRepair = await timed(async () => {
      const r = await table.refresh();
      if (r.rewritten.length !== 20) throw new Error(`expected 20 repaired chains, got ${r.rewritten.length}`);
    });
    results.push({ name: 'dataplane: full resync of 100k rules, repairing 20 drifted chains', value: round(tRepair), unit: 'ms', goal: '<= 2000' });
    return results;
  } finally {
    await toClose?.close();
    await deleteNetns(ns);
  }
}
