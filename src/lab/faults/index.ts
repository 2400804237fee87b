/**
 * @module Fault injection for the lab (issue 15): the faults `tabby lab fault` injects (ops.ts,
 * partition.ts, the daemon's fault channel requests.ts) and the harness that proves nothing is
 * lost and nothing opens under them: a policy writer (writer.ts), a prober (prober.ts), the
 * agents' convergence (convergence.ts) and the suite driver with its per-fault table (suite.ts).
 */
export { PolicyWriter, SEQ_LABEL, type WriterOptions, type WriteRecord, type WriterReport, type LostWrite } from './writer.js';
export { Prober, type ProbePair, type ProbeEvent, type ProbeSummary, type ProberOptions, type TcpProbe } from './prober.js';
export { ConvergenceWatch, type ConvergenceOptions, type FreshAfter } from './convergence.js';
export { runFaultSuite, runFaultOnce, summarise, formatFaultTable, type FaultCase, type FaultRow, type FaultRun, type SuiteHarness, type SuiteOptions } from './suite.js';
export { partitionWorker, healPartitions, restartLabAgent, resolveWorker, fabricPortsOf, readFaults, FAULTS_FILE, type FaultsState, type PartitionRecord, type HealReport } from './ops.js';
export { partitionScript, partitionTable, applyPartition, removePartition, partitionDrops, type PartitionSpec } from './partition.js';
export { serveFaultRequests, sendFaultRequest, decodeFaultRequest, REQUEST_DIR, type FaultRequest, type FaultAnswer } from './requests.js';
export { percentile } from './stats.js';
