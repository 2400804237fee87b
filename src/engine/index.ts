/**
 * @module The policy engine: Calico semantics over an immutable snapshot of resources. Pure:
 * imports only model, selector and lib; no I/O. Public surface:
 * - buildSnapshot / loadSnapshot: resources → indexed Snapshot;
 * - evaluateFlow / runVerdicts: flows → verdicts with traces (and staged verdicts);
 * - resolveFlow + decide: the allocation-light fast path (no trace; memoised per class pair),
 *   decideUncached: the same without the memo (the indexed evaluator, fast.ts);
 * - LabelIndex: incremental selector → endpoints index.
 */
export type {
  FlowInput,
  Verdict,
  VerdictAction,
  VerdictOutput,
  Stage,
  StageKind,
  Decision,
  NearMiss,
  RuleRef,
} from './types.js';
export { buildSnapshot, loadSnapshot, resolveTargetPort } from './snapshot.js';
export type {
  Snapshot,
  LoadResult,
  WorkloadEndpointInfo,
  HostEndpointInfo,
  NetworkSetInfo,
  NodeInfo,
  ConnectedSubnet,
  ServiceInfo,
  TierInfo,
  PolicySet,
  SnapshotProblem,
} from './snapshot.js';
export type { CompiledPolicy, PolicyKind } from './compile-policy.js';
export { planFor, policiesSelecting } from './resolve.js';
export type { Plan, TierPlan, Direction, Flavour } from './resolve.js';
export { evaluateFlow, runVerdicts, resolveFlow, decodeFlows, decide } from './verdicts.js';
export type { ResolveResult } from './verdicts.js';
export type { ResolvedFlow, Party, Target } from './evaluate.js';
export { evaluateResolved, evaluateUnder, ingressHep, egressHep, decideUncached, isSelfFlow } from './evaluate.js';
export { describeDecision } from './describe.js';
export { protocolNumber, protocolName } from './match.js';
export { LabelIndex } from './label-index.js';
export type { MatchListener } from './label-index.js';
export { verdictMatrix, declaredPorts, parseMatrixPort } from './matrix.js';
export type { MatrixPort } from './matrix.js';
export { workloadInterfaceName, WORKLOAD_IFACE_PREFIX } from './names.js';
export type { VerdictMatrix } from './matrix.js';
export * from './desired-state.js';
export { decodeExpectations, expandExpectations, checkExpectations } from './expectations.js';
export type { ExpectationCase, ExpectationResult, DecodedExpectations } from './expectations.js';
export { applyChanges, promoteStaged, enforcedCounterpart, diffVerdicts } from './diff.js';
export * from './recommend/index.js';
export type { VerdictChange } from './diff.js';
export { lint } from './lint/index.js';
export type { LintCode, LintFinding, LintResourceRef } from './lint/index.js';
