/**
 * @module Engine benchmarks on a synthetic 1,000-pod cluster (20 nodes, 10 namespaces, k8s
 * default-deny + allow policies per namespace, a Calico tier with Pass, a GlobalNetworkSet):
 * - cold evaluation: `decideUncached` over 4,096 pre-resolved random pod → pod flows (4 ports),
 *   on a snapshot whose verdict memo is never created (checked after timing): every call runs
 *   the rules of both pods. Built before timing, and reported with its build time: the static
 *   index of that snapshot (`prepareFastIndex`, src/engine/fast.ts) — compiled rules, each
 *   workload's class and row of peer predicates, the programs specialised per class. It holds
 *   no verdict;
 * - steady state: `decide` on the same flows with its per-class verdict memo warm (what the
 *   matrix and What-if get after the first pass);
 * - the general evaluator without a trace on the same flows (what the indexed one replaced, for
 *   the ratio);
 * - verdicts/s with trace: `evaluateFlow` from `{from, to, port}` text (informational);
 * - the 1,000 × 1,000 one-port matrix (`verdictMatrix`);
 * - snapshot build time (informational).
 * Single-threaded; verdict rates are measured in CPU time of this process (cpu-clock.ts), each
 * the best of a few timed rounds after a warm-up round. Every evaluator's answer on every flow is
 * checked against the traced evaluator's.
 */
import { buildSnapshot, decide, decideUncached, evaluateFlow, resolveFlow, verdictMatrix, type ResolvedFlow } from '../src/engine/index.js';
import { decideGeneral } from '../src/engine/evaluate.js';
import { fastIndexStats, prepareFastIndex, type FastIndexStats } from '../src/engine/fast.js';
import type { Resource } from '../src/model/meta.js';
import { cpuNow } from './cpu-clock.js';
import { mulberry32 } from '../src/lib/prng.js';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  goal: string;
}

const PODS = 1000;
const NODES = 20;
const NAMESPACES = 10;
const ROUNDS = 3;
const FAST_ITERATIONS = 5_000_000;
const TRACE_ITERATIONS = 50_000;
const GENERAL_ITERATIONS = 400_000;

function _best(round: () => number): number {
  round();
  let best = Infinity;
  for (let i = 0; i < ROUNDS; i++) best = Math.min(best, round());
  return best;
}

let _sink = 0;

const _rng = mulberry32;

export function syntheticCluster(pods = PODS): Resource[] {
  const out: Resource[] = [];
  const apps = ['web', 'api', 'db', 'cache', 'worker'];
  for (let n = 0; n < NODES; n++)
    out.push({ apiVersion: 'v1', kind: 'Node', metadata: { name: `node-${n}` }, status: { addresses: [{ type: 'InternalIP', address: `10.0.0.${n + 1}` }] } } as Resource);
  for (let s = 0; s < NAMESPACES; s++) {
    const ns = `ns-${s}`;
    out.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { team: `t${s % 3}` } } } as Resource);
    out.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'default-deny', namespace: ns },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    } as Resource);
    out.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'web-from-all', namespace: ns },
      spec: { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ ports: [{ port: 'http' }], from: [{ namespaceSelector: {} }] }] },
    } as Resource);
    out.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'api-from-web', namespace: ns },
      spec: {
        podSelector: { matchLabels: { app: 'api' } },
        ingress: [{ ports: [{ port: 8080 }], from: [{ podSelector: { matchLabels: { app: 'web' } } }, { namespaceSelector: { matchLabels: { team: 't0' } }, podSelector: { matchLabels: { app: 'worker' } } }] }],
      },
    } as Resource);
    out.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'db-from-api', namespace: ns },
      spec: { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ ports: [{ port: 5432 }], from: [{ podSelector: { matchLabels: { app: 'api' } } }] }] },
    } as Resource);
  }
  out.push({ apiVersion: 'projectcalico.org/v3', kind: 'Tier', metadata: { name: 'security' }, spec: { order: 100 } } as Resource);
  out.push({
    apiVersion: 'projectcalico.org/v3',
    kind: 'GlobalNetworkPolicy',
    metadata: { name: 'security.baseline' },
    spec: {
      tier: 'security',
      order: 1,
      selector: 'all()',
      types: ['Ingress', 'Egress'],
      ingress: [{ action: 'Deny', source: { selector: 'blocked == "true"' } }, { action: 'Pass' }],
      egress: [{ action: 'Deny', protocol: 'TCP', destination: { nets: ['169.254.169.254/32'] } }, { action: 'Pass' }],
    },
  } as Resource);
  out.push({ apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkSet', metadata: { name: 'bad', labels: { blocked: 'true' } }, spec: { nets: ['198.51.100.0/24'] } } as Resource);
  for (let i = 0; i < pods; i++) {
    const app = apps[i % apps.length]!;
    out.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `${app}-${i}`, namespace: `ns-${i % NAMESPACES}`, labels: { app, 'pod-template-hash': `h${i}` } },
      spec: { nodeName: `node-${i % NODES}`, containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 80 }] }] },
      status: { podIP: `10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}` },
    } as Resource);
  }
  return out;
}

export async function run(): Promise<BenchResult[]> {
  const resources = syntheticCluster();
  const buildMs = _best(() => {
    const t0 = performance.now();
    _sink += buildSnapshot(resources).workloads.length;
    return performance.now() - t0;
  });
  // The cold rounds run on their own snapshot: its index is built (and timed) here, and no verdict memo is ever made for it.
  const indexMs = _best(() => {
    const fresh = buildSnapshot(resources);
    const t0 = cpuNow();
    _sink += prepareFastIndex(fresh).classes;
    return cpuNow() - t0;
  });
  const cold = buildSnapshot(resources);
  const stats: FastIndexStats = prepareFastIndex(cold);
  const snap = buildSnapshot(resources);
  const pods = snap.workloads;
  const rnd = _rng(42);
  const ports = [80, 8080, 5432, 443];
  const FLOWS = 4096;
  const flows: ResolvedFlow[] = [];
  const coldFlows: ResolvedFlow[] = [];
  const texts: { from: string; to: string; port: number }[] = [];
  for (let i = 0; i < FLOWS; i++) {
    const a = pods[Math.floor(rnd() * pods.length)]!;
    const b = pods[Math.floor(rnd() * pods.length)]!;
    const port = ports[i % ports.length]!;
    texts.push({ from: a.key, to: b.key, port });
  }
  // Each list resolved in one go (as a caller with a batch of flows would): its flows sit together in memory.
  for (const t of texts) {
    const r = resolveFlow(cold, t);
    if (!r.ok) throw new Error(r.error);
    coldFlows.push(r.flow);
  }
  for (const t of texts) {
    const r = resolveFlow(snap, t);
    if (!r.ok) throw new Error(r.error);
    flows.push(r.flow);
  }

  /** CPU milliseconds of one round of `iterations` verdicts with `fn`. */
  const verdictRound = (list: readonly ResolvedFlow[], fn: (f: ResolvedFlow) => boolean, iterations: number) => (): number => {
    let allowed = 0;
    const t0 = cpuNow();
    for (let i = 0; i < iterations; i++) if (fn(list[i & (FLOWS - 1)]!)) allowed++;
    const ms = cpuNow() - t0;
    _sink += allowed;
    return ms;
  };
  const coldMs = _best(verdictRound(coldFlows, (f) => decideUncached(cold, f), FAST_ITERATIONS));
  if (cold.memo.verdictTables !== undefined || cold.memo.lastVerdictTable !== undefined) throw new Error('the cold rounds made a verdict memo');
  const after = fastIndexStats(cold);
  if (after.classes !== stats.classes || after.codeSlots !== stats.codeSlots) throw new Error('the cold rounds grew the index');
  const warmMs = _best(verdictRound(flows, (f) => decide(snap, f), FAST_ITERATIONS));
  const generalMs = _best(verdictRound(flows, (f) => decideGeneral(snap, f), GENERAL_ITERATIONS));

  // The figures are only worth something if the evaluators agree: check every flow.
  for (let i = 0; i < FLOWS; i++) {
    const want = evaluateFlow(snap, texts[i]!).action === 'Allow';
    if (decideUncached(cold, coldFlows[i]!) !== want || decide(snap, flows[i]!) !== want || decideGeneral(snap, flows[i]!) !== want)
      throw new Error(`evaluators disagree on ${JSON.stringify(texts[i])}`);
  }

  const traceMs = _best(() => {
    const t0 = performance.now();
    for (let i = 0; i < TRACE_ITERATIONS; i++) _sink += evaluateFlow(snap, texts[i & (FLOWS - 1)]!).stages.length;
    return performance.now() - t0;
  });

  let classes = 0;
  const matrixMs = _best(() => {
    const fresh = buildSnapshot(resources); // no memo carried over between rounds
    const t0 = performance.now();
    const m = verdictMatrix(fresh, { protocol: 'TCP', port: 8080 });
    const ms = performance.now() - t0;
    classes = m.classes;
    _sink += m.allowed[7] ?? 0;
    return ms;
  });

  if (_sink === -1) console.log(_sink);
  await Promise.resolve();
  return [
    { name: 'engine verdicts cold (decideUncached: no verdict memo, every flow evaluated from the index), pod → pod, 1,000 pods (1 core, CPU time)', value: Math.round((FAST_ITERATIONS / coldMs) * 1000), unit: 'verdicts/s', goal: '>= 10000000' },
    { name: `engine index built before the cold rounds (prepareFastIndex: ${stats.indexed} workloads → ${stats.classes} classes, ${stats.predicates} peer predicates, ${stats.codeSlots} code slots; no verdicts)`, value: Math.round(indexMs * 100) / 100, unit: 'ms (CPU)', goal: 'informational' },
    { name: 'engine verdicts steady state (decide, class memo warm), pod → pod (1 core, CPU time)', value: Math.round((FAST_ITERATIONS / warmMs) * 1000), unit: 'verdicts/s', goal: 'informational' },
    { name: 'engine verdicts, general evaluator without trace (the pre-index path), pod → pod (1 core, CPU time)', value: Math.round((GENERAL_ITERATIONS / generalMs) * 1000), unit: 'verdicts/s', goal: 'informational' },
    { name: 'engine verdicts with trace, from flow text (1 core)', value: Math.round((TRACE_ITERATIONS / traceMs) * 1000), unit: 'verdicts/s', goal: 'informational' },
    { name: `engine 1,000 × 1,000 pod matrix, one port (${classes} classes)`, value: Math.round(matrixMs * 100) / 100, unit: 'ms', goal: '< 20' },
    { name: 'engine snapshot build, 1,000 pods + 40 policies', value: Math.round(buildMs * 100) / 100, unit: 'ms', goal: 'informational' },
  ];
}
