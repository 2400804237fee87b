/**
 * Drift repair, per driver (`npm run bench -- drift`, root only): on a real lab (one worker, a
 * server pod with one allowed and one denied port; test/support/drift-lab.ts), the four tampers
 * of the acceptance test — delete the FORWARD hook, flush a policy chain, remove a set member,
 * insert an ACCEPT — are made in turn, ROUNDS times, each with the backend's own tool in the
 * worker's namespace, and the agent's own drift check (every 250 ms) finds and repairs them.
 *
 * Measured per driver, over all events: tamper → repaired (p50, p99; the goal is 1 s), and the
 * part of it from the start of the verify that found the drift to the end of its repair
 * (detection → repaired, p50 and p99). The agent runs in this process; the clock is the same.
 */
import { netnsSkipReason } from '../src/sys/index.js';
import { withDriftLab, type DriftEvent } from '../test/support/drift-lab.js';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  goal: string;
}

const ROUNDS = 8;

const pct = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
};
const r1 = (x: number): number => Math.round(x * 10) / 10;

export async function run(): Promise<BenchResult[]> {
  const skip = await netnsSkipReason();
  if (skip !== undefined) {
    process.stderr.write(`drift bench skipped: ${skip}\n`);
    return [];
  }
  const out: BenchResult[] = [];
  for (const dataplane of ['iptables', 'nft'] as const) {
    const events: DriftEvent[] = await withDriftLab(dataplane, async (d) => {
      const evs: DriftEvent[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        for (const [what, tamper] of d.tampers) {
          evs.push(await d.measure(what, tamper, { probe: false }));
          await new Promise((res) => setTimeout(res, 100)); // let the post-repair verify settle
        }
      }
      return evs;
    });
    const total = events.map((e) => e.repairMs);
    const repair = events.map((e) => Math.max(0, e.repairMs - e.detectMs));
    const n = events.length;
    out.push(
      { name: `drift ${dataplane}: tamper → repaired, p50 (${n} events: hook deleted, chain flushed, set member removed, ACCEPT inserted)`, value: r1(pct(total, 50)), unit: 'ms', goal: '<= 1000' },
      { name: `drift ${dataplane}: tamper → repaired, p99`, value: r1(pct(total, 99)), unit: 'ms', goal: '<= 1000' },
      { name: `drift ${dataplane}: detection → repaired (the verify that found it), p50`, value: r1(pct(repair, 50)), unit: 'ms', goal: 'informational' },
      { name: `drift ${dataplane}: detection → repaired, p99`, value: r1(pct(repair, 99)), unit: 'ms', goal: 'informational' },
    );
  }
  return out;
}
