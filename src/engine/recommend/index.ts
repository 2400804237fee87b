/**
 * @module Least-privilege recommendations from observed flows (issue 17 item 5): recommend()
 * proposes per-workload policies from FlowRecords and a snapshot, proveRecommendation() proves
 * them with the engine (observed flows kept, what else they open). Pure.
 */
export { recommend, NETWORK_SET_LABEL } from './recommend.js';
export type { RecommendKind, RecommendOptions, Recommendation, Proposal, Workload, ObservedFlow } from './recommend.js';
export { proveRecommendation, enforcedWith } from './prove.js';
export type { Proof, ProvedFlow, ExtraClass } from './prove.js';
export { stableLabels, identifyingLabels, PER_INSTANCE_LABELS, IDENTIFYING_KEYS } from './identity.js';
export { decodeFlowRecords, MAX_RECORDS } from './decode-records.js';
