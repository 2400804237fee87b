/**
 * @module buildSnapshot: decoded resources → one immutable, indexed view the evaluator reads.
 *
 * Invariants:
 * - The result depends only on the set of resources, not their order (everything is sorted or
 *   keyed; duplicates by kind/namespace/name: the last one wins, as a datastore would keep it).
 * - Workload endpoints come from Pods with an IP that are not hostNetwork and not finished, and
 *   from WorkloadEndpoint resources (which win over a Pod of the same namespace/name), with
 *   Calico's labels (snapshot/workloads.ts).
 * - Kubernetes NetworkPolicies are converted (`knp.default.<name>`, tier default, order 1000).
 * - Namespaces always carry `kubernetes.io/metadata.name` (as the API server sets it); a pod's
 *   namespace that has no Namespace object is synthesised with only that label.
 * - Selector results are memoised per label set; the memo is invisible to callers.
 * - Each node is judged with its own effective FelixConfiguration (`felixFor(node)`).
 * Label maps, lists and records are frozen or read-only: never mutate them (they are shared).
 *
 * Layout: this file holds the Snapshot type and its parts' types, and buildSnapshot, which reads
 * as the list of steps; each step is one function in snapshot/ (input, workloads, addresses,
 * services, policies, felix), each short enough to read on one screen.
 */
import type { Resource } from '../model/meta.js';
import type { EffectiveFelixConfig } from '../model/calico/felix-configuration.js';
import { decodeResource } from '../model/validate-resource.js';
import { FieldPath } from '../model/field/path.js';
import type { FieldError } from '../model/field/errors.js';
import { netContains, type Ip, type Net } from './ip.js';
import type { NamedPort, Owner, ServiceBackends } from './match.js';
import type { CompiledRule } from './match.js';
import type { CompiledPolicy, SelectorRegistry } from './compile-policy.js';
import { readInput } from './snapshot/input.js';
import { buildWorkloads } from './snapshot/workloads.js';
import { buildHostEndpoints, buildNetworkSets, buildNodes } from './snapshot/addresses.js';
import { buildServices } from './snapshot/services.js';
import { buildPolicies, buildProfiles, buildTiers } from './snapshot/policies.js';
import { buildFelix } from './snapshot/felix.js';

export { felixSettings } from './snapshot/felix.js';
export { DEFAULT_ALLOW_PROFILE } from './snapshot/policies.js';
export { resolveTargetPort } from './snapshot/services.js';

export interface WorkloadEndpointInfo extends Owner {
  readonly kind: 'workload';
  /** `namespace/name` (the pod name). */
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly node: string;
  readonly ips: readonly Ip[];
  readonly namedPorts: readonly NamedPort[];
  readonly profiles: readonly string[];
  readonly serviceAccount: string;
  /** The pod's own labels (for Service selectors). */
  readonly podLabels: Readonly<Record<string, string>>;
  /** Index in Snapshot.workloads. */
  readonly index: number;
}

export interface HostEndpointInfo extends Owner {
  readonly kind: 'host';
  /** `hep:<name>`. */
  readonly key: string;
  readonly name: string;
  readonly node: string;
  readonly interfaceName: string;
  readonly ips: readonly Ip[];
  readonly namedPorts: readonly NamedPort[];
  readonly profiles: readonly string[];
}

export interface NetworkSetInfo extends Owner {
  readonly kind: 'networkSet';
  readonly key: string;
  readonly nets: readonly Net[];
}

export interface NodeInfo {
  readonly name: string;
  readonly internal: readonly Ip[];
  readonly external: readonly Ip[];
  readonly addresses: readonly Ip[];
  readonly hostEndpoints: readonly HostEndpointInfo[];
  /**
   * The subnets the node's interfaces are directly connected to, as far as the datastore says:
   * from the addresses given with a prefix (`addr/prefix`): the Calico Node's
   * `spec.bgp.ipv4Address`/`ipv6Address` (calico-node writes its autodetected address with the
   * interface's prefix there), CIDR-form `spec.addresses` and `spec.interfaces[].addresses`, and
   * a Kubernetes Node's `projectcalico.org/IPv4Address`/`IPv6Address` annotations. Plain
   * addresses (a Kubernetes Node's status, HostEndpoint expectedIPs) carry no prefix and add
   * none; full-length prefixes (/32, /128) and /0 say nothing about a subnet and are left out.
   */
  readonly subnets: readonly ConnectedSubnet[];
}

/** A subnet a node's interface is connected to, and the node's address on it (NodeInfo.subnets). */
export interface ConnectedSubnet {
  readonly net: Net;
  readonly addr: Ip;
}

export interface ServicePortInfo {
  readonly name: string;
  readonly proto: number;
  readonly port: number;
  readonly nodePort: number;
  readonly targetPort: number | string;
}

export interface ServiceInfo {
  readonly namespace: string;
  readonly name: string;
  readonly type: string;
  readonly clusterIPs: readonly Ip[];
  readonly lbIPs: readonly Ip[];
  readonly ports: readonly ServicePortInfo[];
  readonly externalTrafficPolicy: 'Cluster' | 'Local';
  readonly backends: readonly WorkloadEndpointInfo[];
}

export interface TierInfo {
  readonly name: string;
  /** Infinity when unset. */
  readonly order: number;
  readonly defaultAction: 'Deny' | 'Pass';
}

export interface CompiledProfile {
  readonly name: string;
  readonly ingress: readonly CompiledRule[];
  readonly egress: readonly CompiledRule[];
}

/** The policies of one view (enforced, or enforced with staged changes applied), sorted. */
export interface PolicySet {
  /** Sorted by tier (order, name), then policy (order, name). */
  readonly policies: readonly CompiledPolicy[];
  /** A distinct id per set, to key per-endpoint plan caches. */
  readonly id: number;
}

export interface FailsafePort {
  readonly proto: number;
  readonly port: number;
  readonly net: Net | null;
}

export interface FelixSettings {
  readonly failsafeInbound: readonly FailsafePort[];
  readonly failsafeOutbound: readonly FailsafePort[];
  readonly defaultEndpointToHostAction: 'Drop' | 'Accept' | 'Return';
}

export interface SnapshotProblem {
  readonly resource: string;
  readonly message: string;
}

export interface Snapshot {
  readonly workloads: readonly WorkloadEndpointInfo[];
  readonly workloadByKey: ReadonlyMap<string, WorkloadEndpointInfo>;
  readonly workloadByIp: ReadonlyMap<string, WorkloadEndpointInfo>;
  readonly hostEndpoints: readonly HostEndpointInfo[];
  readonly nodes: ReadonlyMap<string, NodeInfo>;
  readonly nodeByIp: ReadonlyMap<string, NodeInfo>;
  readonly networkSets: readonly NetworkSetInfo[];
  readonly services: readonly ServiceInfo[];
  readonly tiers: ReadonlyMap<string, TierInfo>;
  readonly profiles: ReadonlyMap<string, CompiledProfile>;
  readonly enforced: PolicySet;
  /** Enforced policies with staged ones applied (Set/Delete); null when there are no staged policies. */
  readonly stagedView: PolicySet | null;
  /** The cluster-wide settings (`default` over Felix's defaults): those of a node with no `node.<name>`. */
  readonly felix: FelixSettings;
  /** The settings Felix on `node` runs with (`default` overlaid by `node.<node>`); memoised. */
  felixFor(node: string): FelixSettings;
  /** `node`'s effective FelixConfiguration (felixConfigForNode over this snapshot's FelixConfigurations). */
  felixConfig(node: string): EffectiveFelixConfig;
  readonly registry: SelectorRegistry;
  readonly problems: readonly SnapshotProblem[];
  /** Backends of a service, for `services` rule matches. */
  serviceBackends(namespace: string, name: string): ServiceBackends | undefined;
  /** Labelled owners (workload, host endpoints, network sets) of an address: the IP-set view. */
  ownersOf(ip: Ip): readonly Owner[];
  /** Engine-internal memo tables (derived data only; never changes a result). */
  readonly memo: SnapshotMemo;
}

/** Slots for derived, lazily computed tables, owned by the modules that fill them. */
export class SnapshotMemo {
  fast: unknown = undefined;
  classes: unknown = undefined;
  verdictTables: Map<number, unknown> | undefined = undefined;
  lastVerdictKey = -1;
  lastVerdictTable: unknown = undefined;
}


/** Builds the snapshot from decoded, defaulted resources (any order, any mix of kinds). */
export function buildSnapshot(input: readonly Resource[]): Snapshot {
  const inp = readInput(input);
  const { workloads, workloadByKey, workloadByIp } = buildWorkloads(inp);
  const hostEndpoints = buildHostEndpoints(inp);
  const { nodes, nodeByIp } = buildNodes(inp, workloads, hostEndpoints);
  const networkSets = buildNetworkSets(inp);
  const { services, backends } = buildServices(inp, workloads);
  const tiers = buildTiers(inp);
  const { enforced, stagedView } = buildPolicies(inp, tiers);
  const profiles = buildProfiles(inp, workloads);
  const { felix, felixFor, felixConfig } = buildFelix(inp);
  return {
    workloads,
    workloadByKey,
    workloadByIp,
    hostEndpoints,
    nodes,
    nodeByIp,
    networkSets,
    services,
    tiers,
    profiles,
    enforced,
    stagedView,
    felix,
    felixFor,
    felixConfig,
    registry: inp.registry,
    problems: inp.problems,
    serviceBackends: (namespace, name) => backends.get(`${namespace}/${name}`),
    ownersOf: _ownersOf(workloadByIp, hostEndpoints, networkSets),
    memo: new SnapshotMemo(),
  };
}

/** Labelled owners of an address (the workload, host endpoints, network sets holding it), memoised. */
function _ownersOf(
  workloadByIp: ReadonlyMap<string, WorkloadEndpointInfo>,
  hostEndpoints: readonly HostEndpointInfo[],
  networkSets: readonly NetworkSetInfo[],
): (ip: Ip) => readonly Owner[] {
  const cache = new Map<string, readonly Owner[]>();
  return (ip) => {
    let o = cache.get(ip.text);
    if (o === undefined) {
      const list: Owner[] = [];
      const w = workloadByIp.get(ip.text);
      if (w) list.push(w);
      for (const h of hostEndpoints) if (h.ips.some((x) => x.text === ip.text)) list.push(h);
      for (const s of networkSets) if (s.nets.some((n) => netContains(n, ip))) list.push(s);
      o = list;
      cache.set(ip.text, o);
    }
    return o;
  };
}

export interface LoadResult {
  readonly snapshot: Snapshot;
  /** Raw objects that failed to decode or validate, by input index. */
  readonly invalid: readonly { readonly index: number; readonly kind: string; readonly name: string; readonly errors: readonly FieldError[] }[];
}

/** Decodes raw objects (a `kind: List` is opened), reports invalid ones, and builds a snapshot of the rest. */
export function loadSnapshot(raws: readonly unknown[]): LoadResult {
  const good: Resource[] = [];
  const invalid: { index: number; kind: string; name: string; errors: FieldError[] }[] = [];
  const one = (raw: unknown, index: number, path: FieldPath): void => {
    const r = decodeResource(raw, path);
    if (r.ok) good.push(r.value.resource);
    else {
      const o = typeof raw === 'object' && raw !== null ? (raw as { kind?: unknown; metadata?: { name?: unknown } }) : {};
      invalid.push({ index, kind: String(o.kind ?? ''), name: String(o.metadata?.name ?? ''), errors: r.error });
    }
  };
  raws.forEach((raw, index) => {
    const o = raw as { kind?: unknown; items?: unknown } | null;
    if (o !== null && typeof o === 'object' && o.kind === 'List' && Array.isArray(o.items)) {
      o.items.forEach((it, j) => one(it, index, FieldPath.root('items').index(j)));
    } else one(raw, index, FieldPath.root());
  });
  return { snapshot: buildSnapshot(good), invalid };
}

