/**
 * @module proveRecommendation: the engine's proof of a recommendation, before it is proposed.
 * Pure.
 *
 * With the proposals enforced (staged forms promoted as Calico does: Set creates or replaces the
 * policy; network sets created), over the same resources:
 * 1. every observed allowed flow is evaluated (the full evaluator, with trace): `kept` are still
 *    allowed, `cut` are allowed now and denied after — any cut refuses the proposal; flows the
 *    cluster denies already (its policy changed since they were seen) and flows with no current
 *    endpoint are listed apart, not counted as kept;
 * 2. the verdict matrix (engine/matrix: pods in equivalence classes, every pair) for every
 *    observed port and every declared container port, before and after: every pod pair with an
 *    end in a proposed workload that the proposal admits is grouped by (source workload,
 *    destination workload, port). A group no observed flow stands for is *extra*: what the
 *    proposal opens beyond the observed peers' classes; `newly` says it was denied before.
 */
import type { Resource } from '../../model/meta.js';
import { applyChanges, promoteStaged } from '../diff.js';
import { verdictMatrix, declaredPorts, type MatrixPort } from '../matrix.js';
import { buildSnapshot, type Snapshot } from '../snapshot.js';
import { evaluateFlow } from '../verdicts.js';
import { protocolName, protocolNumber, PROTO } from '../match.js';
import type { FlowInput, Stage } from '../types.js';
import { labelKey, stableLabels } from './identity.js';
import type { ObservedFlow, Recommendation } from './recommend.js';

export interface ProvedFlow {
  readonly flow: ObservedFlow;
  /** For `cut`: the stage that denies it after, e.g. `destinationIngress demo/db: tier default, ...`. */
  readonly reason?: string;
}

export interface ExtraClass {
  /** Workload ids (`ns/name`; `ns/<labels>` for a workload without a proposal). */
  readonly from: string;
  readonly to: string;
  readonly protocol: string;
  readonly port: number;
  /** Pod pairs in the group. */
  readonly pairs: number;
  /** Denied before the proposal (it opens it), rather than allowed already and left open. */
  readonly newly: boolean;
}

export interface Proof {
  /** Observed flows the proof could evaluate (kept + cut + deniedAlready). */
  readonly evaluated: number;
  readonly kept: readonly ProvedFlow[];
  readonly cut: readonly ProvedFlow[];
  /** Denied now already (before the proposal): the cluster's policy changed since they were seen. */
  readonly deniedAlready: readonly ProvedFlow[];
  /** No current endpoint stands for an end. */
  readonly unresolved: readonly ProvedFlow[];
  readonly extra: readonly ExtraClass[];
  /** The ports the matrix compared. */
  readonly ports: readonly MatrixPort[];
  /** Pod pairs admitted after the proposal with an end in a proposed workload (observed or not). */
  readonly admittedPairs: number;
}

/** The resources with a recommendation enforced: its network sets and its policies, promoted. */
export function enforcedWith(resources: readonly Resource[], rec: Pick<Recommendation, 'proposals'>): Resource[] {
  const sets = rec.proposals.flatMap((p) => p.networkSets);
  const policies = promoteStaged(rec.proposals.map((p) => p.policy));
  return applyChanges(resources, { apply: [...sets, ...policies] });
}

const _decisive = (stages: readonly Stage[]): string => {
  const s = stages.find((x) => x.action === 'Deny') ?? stages[stages.length - 1];
  return s === undefined ? 'no stage' : `${s.stage}${s.endpoint !== undefined ? ` ${s.endpoint}` : ''}: ${s.summary}`;
};

const _input = (f: ObservedFlow): FlowInput => ({ from: f.from!, to: f.to!, protocol: f.protocol, ...(f.port > 0 ? { port: f.port } : {}) });

export function proveRecommendation(resources: readonly Resource[], rec: Recommendation, before: Snapshot = buildSnapshot(resources)): Proof {
  const after = buildSnapshot(enforcedWith(resources, rec));
  const kept: ProvedFlow[] = [];
  const cut: ProvedFlow[] = [];
  const deniedAlready: ProvedFlow[] = [];
  const unresolved: ProvedFlow[] = [];
  for (const f of rec.observed) {
    if (f.from === undefined || f.to === undefined) {
      unresolved.push({ flow: f, reason: f.unresolved ?? 'no current endpoint' });
      continue;
    }
    const b = evaluateFlow(before, _input(f));
    const a = evaluateFlow(after, _input(f));
    if (a.action === 'Allow') kept.push({ flow: f });
    else if (b.action === 'Allow') cut.push({ flow: f, reason: a.error ?? _decisive(a.stages) });
    else deniedAlready.push({ flow: f, reason: b.error ?? _decisive(b.stages) });
  }
  const { extra, ports, admittedPairs } = _extra(resources, before, after, rec);
  return { evaluated: kept.length + cut.length + deniedAlready.length, kept, cut, deniedAlready, unresolved, extra, ports, admittedPairs };
}

function _extra(resources: readonly Resource[], before: Snapshot, after: Snapshot, rec: Recommendation): { extra: ExtraClass[]; ports: MatrixPort[]; admittedPairs: number } {
  // Ports: every observed one (ICMP as port 0) and every declared container port.
  const seen = new Map<string, MatrixPort>();
  for (const f of rec.observed) {
    const n = protocolNumber(f.protocol);
    if (n === undefined) continue;
    if (n === PROTO.ICMP || n === PROTO.ICMPv6 || f.port > 0) seen.set(`${protocolName(n)}/${f.port}`, { protocol: protocolName(n), port: f.port });
  }
  for (const p of declaredPorts(resources)) seen.set(`${p.protocol}/${p.port}`, p);
  const ports = [...seen.values()].sort((a, b) => (a.protocol < b.protocol ? -1 : a.protocol > b.protocol ? 1 : a.port - b.port));

  // Workload of every pod (after), named as the recommendation names them.
  const byLabels = new Map<string, string>();
  for (const w of rec.workloads) byLabels.set(`${w.namespace}|${labelKey(w.stable)}`, w.id);
  const pods = after.workloads;
  const wlOf = pods.map((w) => {
    const k = `${w.namespace}|${labelKey(stableLabels(w.podLabels))}`;
    return byLabels.get(k) ?? `${w.namespace}/${labelKey(stableLabels(w.podLabels)) || w.name}`;
  });
  const proposed = new Set(rec.proposals.map((p) => p.workload.id));
  const affected: number[] = [];
  pods.forEach((_, i) => {
    if (proposed.has(wlOf[i]!)) affected.push(i);
  });
  const observedKeys = new Set<string>();
  for (const f of rec.observed) if (f.fromWorkload !== undefined && f.toWorkload !== undefined) observedKeys.add(`${f.fromWorkload}|${f.toWorkload}|${protocolName(protocolNumber(f.protocol) ?? -1)}|${f.port}`);
  const idxBefore = new Map<string, number>();
  before.workloads.forEach((w, i) => idxBefore.set(w.key, i));
  const groups = new Map<string, { from: string; to: string; protocol: string; port: number; pairs: number; newly: boolean }>();
  let admittedPairs = 0;
  const n = pods.length;
  const nb = before.workloads.length;
  for (const port of ports) {
    const ma = verdictMatrix(after, { protocol: port.protocol, port: port.port }).allowed;
    const mb = verdictMatrix(before, { protocol: port.protocol, port: port.port }).allowed;
    const visited = new Set<number>();
    const visit = (s: number, d: number): void => {
      if (s === d) return;
      const cell = s * n + d;
      if (visited.has(cell)) return;
      visited.add(cell);
      if (ma[cell] !== 1) return;
      admittedPairs++;
      const key = `${wlOf[s]!}|${wlOf[d]!}|${port.protocol}|${port.port}`;
      if (observedKeys.has(key)) return;
      const bs = idxBefore.get(pods[s]!.key);
      const bd = idxBefore.get(pods[d]!.key);
      const wasAllowed = bs !== undefined && bd !== undefined && mb[bs * nb + bd] === 1;
      const g = groups.get(key) ?? groups.set(key, { from: wlOf[s]!, to: wlOf[d]!, protocol: port.protocol, port: port.port, pairs: 0, newly: false }).get(key)!;
      g.pairs++;
      if (!wasAllowed) g.newly = true;
    };
    for (const i of affected)
      for (let j = 0; j < n; j++) {
        visit(i, j);
        visit(j, i);
      }
  }
  const extra = [...groups.values()].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : a.to < b.to ? -1 : a.to > b.to ? 1 : a.protocol < b.protocol ? -1 : a.protocol > b.protocol ? 1 : a.port - b.port));
  return { extra, ports, admittedPairs };
}
