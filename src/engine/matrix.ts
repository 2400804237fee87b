/**
 * @module verdictMatrix: every pod → every pod for one protocol/port, fast.
 *
 * Pods are grouped into equivalence classes (classes.ts): two pods are interchangeable (as source or as
 * destination) when they sit on the same node and agree on everything a rule or policy selector
 * can test — membership in every selector of the snapshot (through the IP-set view, so network
 * sets count), membership in every CIDR any rule names, their named ports and the Services they
 * back. The engine is then run once per (source class, destination class) with `decide`, and the
 * N×N table is filled from the class table. Exact, not an approximation: it is the same
 * evaluation, deduplicated. The diagonal is Allow: a pod's traffic to itself is not policed.
 */
import { workloadClasses } from './classes.js';
import { decide, type ResolvedFlow } from './evaluate.js';
import type { Snapshot, WorkloadEndpointInfo } from './snapshot.js';
import { PROTO, protocolName, protocolNumber } from './match.js';
import type { Resource } from '../model/meta.js';
import type { Pod } from '../model/k8s/types.js';
import type { WorkloadEndpoint } from '../model/calico/other-types.js';

export interface VerdictMatrix {
  /** `namespace/pod`, row and column order. */
  readonly pods: readonly string[];
  /** Row-major: allowed[src * n + dst] is 1 when src → dst is allowed. */
  readonly allowed: Uint8Array;
  /** Number of equivalence classes evaluated. */
  readonly classes: number;
}

/** Allowed/denied for every ordered pair of pods, one protocol and destination port. */
export function verdictMatrix(snap: Snapshot, opts: { protocol?: string | number; port?: number } = {}): VerdictMatrix {
  const pods = snap.workloads;
  const n = pods.length;
  const proto = protocolNumber(opts.protocol ?? 'TCP') ?? PROTO.TCP;
  const port = opts.port ?? -1;
  const { classOf, reps } = workloadClasses(snap);
  const c = reps.length;
  const table = new Uint8Array(c * c);
  const icmp = proto === PROTO.ICMP || proto === PROTO.ICMPv6;
  // A pod → itself is not policed (isSelfFlow), so a class → the same class is judged between two
  // different members; a class of one pod has no such pair (its cell only serves the diagonal).
  const second: (WorkloadEndpointInfo | undefined)[] = new Array<WorkloadEndpointInfo | undefined>(c).fill(undefined);
  for (let i = 0; i < n; i++) {
    const k = classOf[i]!;
    if (second[k] === undefined && pods[i] !== reps[k]) second[k] = pods[i];
  }
  for (let a = 0; a < c; a++) {
    const s = reps[a]!;
    for (let b = 0; b < c; b++) {
      const d = a === b ? second[a] : reps[b]!;
      if (d === undefined) continue;
      if (s.ips[0]!.family !== d.ips[0]!.family) continue;
      const flow: ResolvedFlow = {
        src: { kind: 'workload', ep: s, ip: s.ips[0]! },
        dst: { kind: 'workload', ep: d, ip: d.ips[0]! },
        proto,
        dstPort: icmp ? -1 : port,
        srcPort: -1,
        icmpType: icmp ? (proto === PROTO.ICMP ? 8 : 128) : -1,
        icmpCode: icmp ? 0 : -1,
        via: undefined,
      };
      table[a * c + b] = decide(snap, flow) ? 1 : 0;
    }
  }
  // A row depends only on the source's class: fill one row per class, copy it for the others.
  const allowed = new Uint8Array(n * n);
  const firstRow = new Int32Array(c).fill(-1);
  for (let i = 0; i < n; i++) {
    const k = classOf[i]!;
    const base = i * n;
    const first = firstRow[k]!;
    if (first >= 0) {
      allowed.copyWithin(base, first * n, first * n + n);
      continue;
    }
    firstRow[k] = i;
    const row = k * c;
    for (let j = 0; j < n; j++) allowed[base + j] = table[row + classOf[j]!]!;
  }
  for (let i = 0; i < n; i++) allowed[i * n + i] = 1; // to itself: not policed
  return { pods: pods.map((p) => p.key), allowed, classes: c };
}

/** One protocol/port a matrix is computed for. */
export interface MatrixPort {
  readonly protocol: string;
  readonly port: number;
}

/**
 * The ports the cluster declares: every container port of the Pods (and ports of
 * WorkloadEndpoints), deduplicated, sorted by protocol then port.
 */
export function declaredPorts(resources: readonly Resource[]): MatrixPort[] {
  const seen = new Map<string, MatrixPort>();
  const add = (protocol: string | undefined, port: number | undefined): void => {
    if (port === undefined || !Number.isInteger(port) || port <= 0 || port > 65535) return;
    const p = protocolNumber(protocol ?? 'TCP');
    if (p === undefined) return;
    const name = protocolName(p);
    seen.set(`${name}/${port}`, { protocol: name, port });
  };
  for (const r of resources) {
    if (r.kind === 'Pod' && r.apiVersion === 'v1') {
      const spec = (r as Pod).spec;
      for (const c of [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])]) for (const p of c.ports ?? []) add(p.protocol, p.containerPort);
    } else if (r.kind === 'WorkloadEndpoint') {
      for (const p of (r as WorkloadEndpoint).spec?.ports ?? []) add(p.protocol === undefined ? undefined : String(p.protocol), p.port);
    }
  }
  return [...seen.values()].sort((a, b) => (a.protocol < b.protocol ? -1 : a.protocol > b.protocol ? 1 : a.port - b.port));
}

/** `80/TCP`, `TCP/80`, `53/udp` or `80` (TCP) → MatrixPort; undefined when it does not parse. */
export function parseMatrixPort(text: string): MatrixPort | undefined {
  const t = text.trim();
  const m = /^(\d+)(?:\/([A-Za-z0-9]+))?$/.exec(t) ?? /^([A-Za-z][A-Za-z0-9]*)\/(\d+)$/.exec(t);
  if (!m) return undefined;
  const [portText, protoText] = /^\d+$/.test(m[1]!) ? [m[1]!, m[2] ?? 'TCP'] : [m[2]!, m[1]!];
  const port = Number(portText);
  const p = protocolNumber(protoText);
  if (p === undefined || port < 0 || port > 65535) return undefined;
  return { protocol: protocolName(p), port };
}
