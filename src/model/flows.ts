/**
 * @module Flow records (issue 17): the shared shapes of what the dataplane observed. Pure types.
 *
 * Three stages, each with its own owner:
 * - `FlowEvent`: one new connection seen by one node's agent, read from the kernel (NFLOG marks on
 *   the rendered policy rules, the way Felix marks rules for its flow logs) and joined with
 *   conntrack for counts. `hits` are the rule verdicts the packet met, in evaluation order, decoded
 *   from the NFLOG prefixes; the agent resolves addresses to endpoints before emitting it.
 * - `FlowRecord`: the aggregate of many events in one window (15 s by default) keyed as Calico's
 *   flow aggregation keys them: source, destination, destination port, protocol, action, enforced
 *   trace and pending trace. Counts add up; `connections` counts the events folded in.
 * - A `FlowQuery` filters records (CLI `tabby flows`, the API, the dashboard's Flows page).
 *
 * Field names follow Calico's flow-log fields where one exists (source_*, dest_*, action,
 * packets_in/out, bytes_in/out, policies.enforced/pending), in camelCase.
 */

/** What an endpoint of a flow is: a workload (pod), a host endpoint, a global network set, a
 * namespaced network set, or outside anything the cluster knows (Calico's `wep|hep|ns|net`, with
 * network sets split by scope). */
export type FlowEndpointKind = 'wep' | 'hep' | 'globalnetworkset' | 'networkset' | 'net';

export interface FlowEndpoint {
  readonly kind: FlowEndpointKind;
  /** Namespace of a pod or namespaced network set; '' otherwise. */
  readonly namespace: string;
  /** Pod / host endpoint / network set name; for `net`, '' (the address says it). */
  readonly name: string;
  /** The address seen on the packet. Aggregation may replace it with '' when it folds addresses. */
  readonly ip: string;
  /** The endpoint's labels at the time (pods: pod labels; sets: set labels; `net`: empty). */
  readonly labels: Readonly<Record<string, string>>;
  /** For pods: the ServiceAccount; '' otherwise. */
  readonly serviceAccount?: string;
}

/** One rule verdict met by a packet, decoded from an NFLOG prefix (or computed by the engine for
 * the pending trace). Felix's actions: allow, deny, pass, and the end-of-tier / profile defaults. */
export type FlowHitAction = 'allow' | 'deny' | 'pass' | 'end-of-tier-deny' | 'profile-allow' | 'profile-deny';

export interface FlowPolicyHit {
  /** Tier name ('default' for Kubernetes NetworkPolicies, 'adminnetworkpolicy'/'baselineadminnetworkpolicy' for ANP/BANP). */
  readonly tier: string;
  /** The policy's kind as the user wrote it: NetworkPolicy (Calico), GlobalNetworkPolicy,
   * KubernetesNetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy, Profile, or a Staged* kind. */
  readonly kind: string;
  /** '' for cluster-scoped kinds. */
  readonly namespace: string;
  /** The policy's name as the user wrote it (not the rendered chain name). */
  readonly name: string;
  /** Index of the rule in its direction's rule list; -1 for end-of-tier / profile defaults. */
  readonly ruleIndex: number;
  readonly direction: 'ingress' | 'egress';
  readonly action: FlowHitAction;
}

/** The verdict of the whole flow, as Calico reports it. */
export type FlowAction = 'allow' | 'deny';

export type FlowProtocol = 'tcp' | 'udp' | 'sctp' | 'icmp' | 'icmpv6' | string;

/** One new connection observed on one node. */
export interface FlowEvent {
  /** Unix time of the first packet, milliseconds. */
  readonly time: number;
  /** Node whose agent observed it. */
  readonly node: string;
  /** Which side's policy this node enforced: 'src' (egress of a local source), 'dst' (ingress to a
   * local destination), as Calico's `reporter` field. */
  readonly reporter: 'src' | 'dst';
  readonly source: FlowEndpoint;
  readonly dest: FlowEndpoint;
  readonly protocol: FlowProtocol;
  readonly sourcePort: number;
  /** Destination port (0 for protocols without ports; ICMP type otherwise is not carried). */
  readonly destPort: number;
  readonly action: FlowAction;
  /** The rule verdicts the packet met, in evaluation order, from the kernel. */
  readonly enforced: readonly FlowPolicyHit[];
  /** What staged policies would have done, from the engine; [] when none selects either end. */
  readonly pending: readonly FlowPolicyHit[];
  /** Original direction counts (conntrack), 0 when conntrack had none yet. */
  readonly packetsOut: number;
  readonly bytesOut: number;
  /** Reply direction counts (conntrack). */
  readonly packetsIn: number;
  readonly bytesIn: number;
}

/** Many events folded over one aggregation window. */
export interface FlowRecord {
  /** Window start and end, Unix milliseconds. */
  readonly startTime: number;
  readonly endTime: number;
  readonly reporter: 'src' | 'dst';
  /** Nodes that reported events folded into this record, sorted. */
  readonly nodes: readonly string[];
  readonly source: FlowEndpoint;
  readonly dest: FlowEndpoint;
  readonly protocol: FlowProtocol;
  readonly destPort: number;
  readonly action: FlowAction;
  readonly enforced: readonly FlowPolicyHit[];
  readonly pending: readonly FlowPolicyHit[];
  /** Connections started in the window. */
  readonly connections: number;
  readonly packetsOut: number;
  readonly bytesOut: number;
  readonly packetsIn: number;
  readonly bytesIn: number;
}

/** Filters accepted by `tabby flows`, the flows API and the Flows page. Absent = any. */
export interface FlowQuery {
  /** Only records whose window ends at or after this Unix time (ms). */
  readonly since?: number;
  /** Source or destination in this namespace. */
  readonly namespace?: string;
  readonly action?: FlowAction;
  /** A policy named in the enforced or pending trace: `name`, `namespace/name` or `tier.name`. */
  readonly policy?: string;
  /** Largest number of records returned (newest first). */
  readonly limit?: number;
}

/** What an aggregator dropped under overload; reported, never silent. */
export interface FlowDropCounters {
  /** Events refused because the in-memory bound was reached. */
  readonly eventsDropped: number;
  /** Records evicted before their retention time because the byte bound was reached. */
  readonly recordsEvicted: number;
  /** Kernel-side losses the reader saw (NFLOG queue overflows / sequence gaps). */
  readonly kernelDropped: number;
  /** Events refused because their window had already closed (delivered after the grace time). */
  readonly eventsLate?: number;
}

/** `ns/name`, `hep:name`, `net:1.2.3.4`, … */
export function endpointText(e: FlowEndpoint): string {
  switch (e.kind) {
    case 'wep':
    case 'networkset':
      return `${e.namespace}/${e.name || e.ip}`;
    case 'hep':
      return `hep:${e.name || e.ip}`;
    case 'globalnetworkset':
      return `gns:${e.name}`;
    case 'net':
      return e.ip === '' ? 'net' : e.ip;
    default:
      return `${String(e.kind)}:${e.name}`;
  }
}

/** `tier/ns/name:rule action`, the policy a hit names. */
export function hitText(h: FlowPolicyHit): string {
  const who = h.namespace === '' ? h.name : `${h.namespace}/${h.name}`;
  const rule = h.ruleIndex >= 0 ? `:${h.ruleIndex}` : '';
  return `${h.tier}|${who}${rule} ${h.action}`;
}
