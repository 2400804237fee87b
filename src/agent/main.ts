/**
 * @module runAgent: one agent per node (`tabby agent --node <name>`). Wires the syncer (list +
 * watch of the datastore), the loop (compute → render → apply) and the dataplane driver
 * (iptables + ipset, or nft; commands run through `runner`, inside `netns` when given: how the
 * lab runs one agent per worker namespace), and publishes per-node status on the Calico Node
 * (see status.ts).
 *
 * The returned handle stops everything (`stop()`): the watch, the loop, then the driver's helper
 * processes (the IP set applier's long-lived `ipset -` session), so nothing is left running in
 * the node's namespace. The dataplane is left as programmed (like Felix, stopping the agent
 * does not remove policy).
 */
import { setMaxListeners } from 'node:events';
import type { Datastore } from '../datastore/index.js';
import type { DataplaneDriver } from '../dataplane/driver.js';
import { createDriver, removeOtherBackend } from '../dataplane/driver-factory.js';
import { inNetns, realClock, type Clock, type CommandRunner } from '../sys/index.js';
import { FlowEventLog, FlowReader } from './flows/index.js';
import { AgentLoop, type ApplyRecord, type RepairRecord } from './loop.js';
import { publishNodeStatus } from './status.js';
import { Syncer } from './syncer.js';

export interface AgentOptions {
  readonly node: string;
  readonly datastore: Datastore;
  readonly runner: CommandRunner;
  /** Run iptables and ipset inside this network namespace (`ip netns exec <netns>`). */
  readonly netns?: string;
  readonly clock?: Clock;
  readonly log?: (msg: string) => void;
  /** Log rules use NFLOG with this group instead of LOG. */
  readonly nflogGroup?: number;
  /**
   * Flow logs (issue 17): read the flow-log NFLOG groups and write FlowEvents to
   * `<flowLogDir>/flows-<node>.jsonl` (src/agent/flows/index.ts). Absent: no reader.
   */
  readonly flowLogDir?: string;
  /** Render flow-log marks unless FelixConfiguration's `flowLogsLocalReporter` says otherwise (the lab). */
  readonly flowLogsDefault?: boolean;
  /** Set `nf_conntrack_acct=1` in the agent's namespace for counts (only for lab namespaces). */
  readonly conntrackAcct?: boolean;
  readonly minApplyIntervalMs?: number;
  /** Overrides FelixConfiguration's periodic refresh intervals (ms). */
  readonly refreshIntervalMs?: number;
  /** Drift check period (default 250 ms; 0 = off). */
  readonly driftCheckMs?: number;
  /** Called after each drift repair (also logged). */
  readonly onRepair?: (r: RepairRecord) => void;
  /** Skip recomputing when no change can touch this node (loop.ts; default true). */
  readonly filterChanges?: boolean;
  /**
   * Keep only this node's Pods and the remote Pods its IP sets can need (scope.ts; default true,
   * false with `flowLogDir`: flow records name remote peers from every Pod).
   */
  readonly scopePods?: boolean;
  /** Status publications at most this often (ms; default 1000: loop.ts). */
  readonly statusIntervalMs?: number;
  /** Publish status on the Calico Node (default true). */
  readonly publishStatus?: boolean;
  /** iptables backend binaries (default: `iptables-save`/`iptables-restore`). */
  readonly iptablesBackend?: 'default' | 'nft' | 'legacy';
  /** `iptables` (iptables + ipset, the default) or `nft` (one native nftables table, `ip tabby`). */
  readonly dataplane?: 'iptables' | 'nft';
  /** Dual stack: program the node's IPv6 dataplane too (ip6tables + inet6 sets, or nft `ip6 tabby`). */
  readonly ipv6?: boolean;
  /**
   * A driver to program instead of the kernel backend `dataplane` names (the scale simulation's
   * RecordingDriver); no other backend is cleaned up then, and `runner` is not used by it.
   */
  readonly driver?: DataplaneDriver;
  /** Called after every successful apply (the scale simulation records revision and time). */
  readonly onApply?: (rec: ApplyRecord) => void;
}

export interface AgentHandle {
  readonly syncer: Syncer;
  readonly loop: AgentLoop;
  readonly driver: DataplaneDriver;
  /** The flow-log reader and its events, when `flowLogDir` was given. */
  readonly flows?: { readonly reader: FlowReader; readonly events: FlowEventLog };
  /** Resolves once the datastore revision `revision` (or later) is programmed; rejects after `timeoutMs` (default 60 s) naming node and revision. */
  whenProgrammed(revision: string, timeoutMs?: number): Promise<void>;
  /** Stops watching and applying; resolves when both have ended and the appliers are closed. */
  stop(): Promise<void>;
  /** Resolves when the agent stops (after `stop()`). */
  readonly done: Promise<void>;
}

export function runAgent(opts: AgentOptions): AgentHandle {
  const log = opts.log ?? ((): void => undefined);
  const clock = opts.clock ?? realClock;
  const runner = opts.netns !== undefined ? inNetns(opts.runner, opts.netns) : opts.runner;
  const backend = opts.iptablesBackend ?? 'default';
  const driver =
    opts.driver ??
    createDriver({
      kind: opts.dataplane ?? 'iptables',
      runner,
      clock,
      iptablesBackend: backend,
      log: (m) => log(m),
      ...(opts.refreshIntervalMs !== undefined ? { refreshIntervalMs: opts.refreshIntervalMs } : {}),
    });
  const ref: { loop?: AgentLoop } = {};
  const scoped = opts.scopePods ?? opts.flowLogDir === undefined;
  const syncer = new Syncer({
    datastore: opts.datastore,
    onChange: () => ref.loop?.markDirty(),
    log: (m) => log(`syncer: ${m}`),
    ...(scoped ? { scope: { node: opts.node } } : {}),
  });
  const loop = new AgentLoop({
    node: opts.node,
    source: syncer,
    driver,
    clock,
    ...(opts.nflogGroup !== undefined ? { nflogGroup: opts.nflogGroup } : {}),
    ...(opts.flowLogsDefault === true ? { flowLogsDefault: true } : {}),
    ...(opts.ipv6 === true ? { ipv6: true } : {}),
    ...(opts.minApplyIntervalMs !== undefined ? { minApplyIntervalMs: opts.minApplyIntervalMs } : {}),
    ...(opts.driftCheckMs !== undefined ? { driftCheckMs: opts.driftCheckMs } : {}),
    ...(opts.onRepair !== undefined ? { onRepair: opts.onRepair } : {}),
    ...(opts.filterChanges === false ? { filterChanges: false } : {}),
    ...(opts.onApply !== undefined ? { onApply: opts.onApply } : {}),
    ...(opts.statusIntervalMs !== undefined ? { statusIntervalMs: opts.statusIntervalMs } : {}),
    ...(opts.publishStatus === false
      ? {}
      : {
          publish: async (s): Promise<void> => {
            await publishNodeStatus(opts.datastore, opts.node, s);
          },
        }),
    log,
  });
  ref.loop = loop;
  const ac = new AbortController();
  setMaxListeners(100, ac.signal); // one watch per kind listens on it
  const l = loop;
  // A node switched to the other backend first loses that backend's rules (they would go on
  // judging packets beside ours); then the loops start.
  const cleaned =
    opts.driver !== undefined
      ? Promise.resolve()
      : removeOtherBackend({ runner, clock, dataplane: opts.dataplane ?? 'iptables', iptablesBackend: backend, log: (m) => log(m) });
  const flows =
    opts.flowLogDir !== undefined
      ? (() => {
          const events = new FlowEventLog({ dir: opts.flowLogDir, node: opts.node });
          const reader = new FlowReader({
            node: opts.node,
            runner,
            sink: events,
            confDir: opts.flowLogDir,
            desired: () => l.lastDesired,
            applying: () => l.applyingDesired,
            snapshot: () => (syncer.inSync ? syncer.snapshot() : undefined),
            ...(opts.conntrackAcct === true ? { enableConntrackAcct: true } : {}),
            log: (m) => log(m),
          });
          return { reader, events };
        })()
      : undefined;
  const flowsStarted = flows?.reader.start().catch((e: unknown) => log(`flow logs: not started: ${e instanceof Error ? e.message : String(e)}`));
  const running = cleaned.then(() => Promise.all([syncer.run(ac.signal), l.run(ac.signal)])).then(() => undefined);
  // The driver is closed however the loops end, so no helper process outlives the agent (nor the flow reader's ulogd).
  const done = running.finally(async () => {
    await flowsStarted;
    await flows?.reader.stop();
    await driver.close();
  });
  return {
    syncer,
    loop: l,
    driver,
    ...(flows !== undefined ? { flows } : {}),
    whenProgrammed: (rev, timeoutMs) => l.whenProgrammed(rev, timeoutMs),
    stop: async () => {
      ac.abort();
      await done;
    },
    done,
  };
}
