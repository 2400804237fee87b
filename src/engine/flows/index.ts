/**
 * @module Flow logs in the engine (issue 17): the pure aggregator (FlowEvents → FlowRecords in
 * fixed windows, bounded memory, counted drops) and the pending trace (what staged policies would
 * do to an observed flow). No I/O; the API server's collector drives both.
 */
export { FlowAggregator, windowStart, recordMatches, hitNamesPolicy, DEFAULT_FLOW_WINDOW_MS, DEFAULT_FLOW_GRACE_MS, DEFAULT_FLOW_RETENTION_MS, DEFAULT_FLOW_MAX_BYTES } from './aggregate.js';
export type { FlowAggregatorOptions, FlowAggregationLevel, SequencedFlowRecord } from './aggregate.js';
export { pendingTrace, pendingAction, hitsOfStages } from './pending.js';
