/**
 * @module The lab's public surface: a cluster in network namespaces (workers, pods, services,
 * agents) that `tabby lab` and `tabby up` drive.
 */
export { Lab, STATE_FILE, NFLOG_GROUP, snapshotOf, type LabOptions, type LabState } from './controller.js';
export { readLabState, downFromState, type LabTeardown } from './state.js';
export { runProbe, formatProbe, matrixFlows } from './probe.js';
export { runVerify } from './verify.js';
