/**
 * @module Flow logs on the agent side (issue 17, item 1): the kernel's flow-log NFLOG events,
 * joined with conntrack, resolved to endpoints, emitted as `FlowEvent`s (src/model/flows.ts).
 *
 * ## The transport (what the aggregator, `tabby flows` and the dashboard read)
 *
 * Each agent writes its events to ONE file per node, `<dir>/flows-<node>.jsonl` (`dir`: the
 * agent's `--flow-log-dir`; in the lab, the lab's state dir, `<stateDir>/flows-<worker>.jsonl`;
 * `<node>` with every character outside `[A-Za-z0-9._-]` replaced by `_`, see `flowFileName`):
 * - one `FlowEvent` as a JSON object per line, `\n`-terminated, appended in batches (a batch is
 *   one `write`, so a reader never sees half a batch unless the disk fills); events are in the
 *   order the agent emitted them, which is close to, not exactly, `time` order (a connection is
 *   emitted once its conntrack counts are known: when it ends, or after the hold time, 2 s);
 * - rotation: when the next batch would take the file past `maxFileBytes` (default 16 MiB), the
 *   file is renamed to `flows-<node>.jsonl.1` (replacing the previous `.1`) and a new file is
 *   started. A reader keeps (inode, offset); when the inode changes or the size shrinks below
 *   its offset, it finishes `.1` from its offset and continues the new file at 0. At most two
 *   files per node exist, so disk use is bounded by 2 × maxFileBytes;
 * - `flows-<node>.stats.json`: the reader's counters (`FlowLogCounters`: events emitted, NFLOG
 *   packets read, lines/prefixes rejected, pending connections dropped under overload, kernel
 *   drops, conntrack joins, rotations), rewritten every flush; the aggregator reports them as
 *   its `FlowDropCounters.kernelDropped` / drops, never silently;
 * - treat every line as hostile (the file is only as trustworthy as the disk): parse with a size
 *   limit, check every field's type, skip what does not decode and count it.
 * In memory, the agent also keeps the newest events in a ring (`FlowEventLog.recent`, 10,000 by
 * default).
 *
 * A `FlowEvent` is one new connection as seen by one node, per direction the node enforced:
 * a connection between two pods of the same node gives two events (reporter `src` for the source
 * pod's egress, `dst` for the destination pod's ingress), as Calico's flow logs do.
 */
export { FlowEventLog, flowFileName, type FlowEventLogOptions, type FlowLogCounters } from './event-log.js';
export { FlowReader, type FlowReaderOptions } from './reader.js';
export { FlowAssembler } from './assembler.js';
export { resolveEndpoint } from './resolve.js';
export { parseGprintLine, flowUlogdConfig, type NflogPacket } from './ulogd.js';
export { parseConntrackLine, indexConntrack, flowKey, type ConntrackCounts } from './conntrack.js';
