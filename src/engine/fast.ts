/**
 * @module The no-trace fast path for pod → pod flows where neither node has a host endpoint
 * (the common case, and the one the throughput goal is about). Per workload it precomputes, once
 * per snapshot, the enforced ingress and egress plans, the profiles and the IP-set owners; a
 * verdict then reuses one scratch packet and allocates nothing. Everything else goes through the
 * general path in evaluate.ts, which gives the same answers (a test checks they agree).
 */
import { ALLOW, DENY, NONE, runTiers, type Outcome } from './chains.js';
import { checkRule, type CompiledRule, type NamedPort, type Owner, type Packet, type ServiceLookup } from './match.js';
import { planFor, type Plan } from './resolve.js';
import type { CompiledProfile, Snapshot, WorkloadEndpointInfo } from './snapshot.js';
import type { Ip } from './ip.js';
import { workloadClasses } from './classes.js';

interface _Tables {
  readonly ingress: (Plan | undefined)[];
  readonly egress: (Plan | undefined)[];
  readonly profiles: (readonly CompiledProfile[] | undefined)[];
  readonly owners: (readonly Owner[] | undefined)[];
  /** Node names that have at least one host endpoint. */
  readonly hepNodes: ReadonlySet<string>;
  readonly svc: ServiceLookup;
}

function _tablesFor(snap: Snapshot): _Tables {
  let t = snap.memo.fast as _Tables | undefined;
  if (t === undefined) {
    const hepNodes = new Set<string>();
    for (const h of snap.hostEndpoints) hepNodes.add(h.node);
    // Pre-sized: assigning far past the end of an empty array would make it a slow dictionary.
    const n = snap.workloads.length;
    t = {
      ingress: new Array<Plan | undefined>(n).fill(undefined),
      egress: new Array<Plan | undefined>(n).fill(undefined),
      profiles: new Array<readonly CompiledProfile[] | undefined>(n).fill(undefined),
      owners: new Array<readonly Owner[] | undefined>(n).fill(undefined),
      hepNodes,
      svc: snap.serviceBackends,
    };
    snap.memo.fast = t;
  }
  return t;
}

const _noIp: Ip = { family: 4, v4: 0, v6: 0n, text: '' };
const _noOwners: readonly Owner[] = [];
const _noPorts: readonly NamedPort[] = [];

/** One reused packet: the fast path is single-threaded and non-reentrant. */
const _pkt: Packet = {
  proto: 6,
  family: 4,
  srcIp: _noIp,
  dstIp: _noIp,
  srcPort: -1,
  dstPort: -1,
  icmpType: -1,
  icmpCode: -1,
  srcOwners: _noOwners,
  dstOwners: _noOwners,
  srcPorts: _noPorts,
  dstPorts: _noPorts,
};

function _profilesOf(snap: Snapshot, t: _Tables, w: WorkloadEndpointInfo): readonly CompiledProfile[] {
  let p = t.profiles[w.index];
  if (p === undefined) {
    p = w.profiles.map((n) => snap.profiles.get(n)).filter((x): x is CompiledProfile => x !== undefined);
    t.profiles[w.index] = p;
  }
  return p;
}

function _ownersOf(snap: Snapshot, t: _Tables, w: WorkloadEndpointInfo, ip: Ip): readonly Owner[] {
  if (ip !== w.ips[0]) return snap.ownersOf(ip);
  let o = t.owners[w.index];
  if (o === undefined) {
    o = snap.ownersOf(ip);
    t.owners[w.index] = o;
  }
  return o;
}

function _profiles(list: readonly CompiledProfile[], ingress: boolean, pkt: Packet, svc: ServiceLookup): Outcome {
  for (let i = 0; i < list.length; i++) {
    const prof = list[i]!;
    const rules: readonly CompiledRule[] = ingress ? prof.ingress : prof.egress;
    for (let j = 0; j < rules.length; j++) {
      const r = rules[j]!;
      if (!checkRule(r, pkt, svc, null)) continue;
      if (r.action === 'Log') continue;
      if (r.action === 'Pass') break;
      return r.action === 'Allow' ? ALLOW : DENY;
    }
  }
  return DENY;
}

/**
 * Allow? for a pod → pod flow without host endpoints on either node; undefined when the flow is
 * not one the fast path handles.
 */
export function decidePodToPod(
  snap: Snapshot,
  src: WorkloadEndpointInfo,
  srcIp: Ip,
  dst: WorkloadEndpointInfo,
  dstIp: Ip,
  proto: number,
  dstPort: number,
  srcPort: number,
  icmpType: number,
  icmpCode: number,
): boolean | undefined {
  const t = _tablesFor(snap);
  if (t.hepNodes.size > 0 && (t.hepNodes.has(src.node) || t.hepNodes.has(dst.node))) return undefined;
  const pkt = _pkt;
  pkt.proto = proto;
  pkt.family = srcIp.family;
  pkt.srcIp = srcIp;
  pkt.dstIp = dstIp;
  pkt.srcPort = srcPort;
  pkt.dstPort = dstPort;
  pkt.icmpType = icmpType;
  pkt.icmpCode = icmpCode;
  pkt.srcOwners = _ownersOf(snap, t, src, srcIp);
  pkt.dstOwners = _ownersOf(snap, t, dst, dstIp);
  pkt.srcPorts = src.namedPorts;
  pkt.dstPorts = dst.namedPorts;
  let eg = t.egress[src.index];
  if (eg === undefined) eg = t.egress[src.index] = planFor(snap, snap.enforced, src, 'egress', 'normal', false);
  let r = runTiers(eg, 'egress', pkt, t.svc, true, null);
  if (r === NONE) r = _profiles(_profilesOf(snap, t, src), false, pkt, t.svc);
  if (r !== ALLOW) return false;
  let ing = t.ingress[dst.index];
  if (ing === undefined) ing = t.ingress[dst.index] = planFor(snap, snap.enforced, dst, 'ingress', 'normal', false);
  r = runTiers(ing, 'ingress', pkt, t.svc, true, null);
  if (r === NONE) r = _profiles(_profilesOf(snap, t, dst), true, pkt, t.svc);
  return r === ALLOW;
}

export interface VerdictTable {
  readonly classOf: Int32Array;
  readonly classes: number;
  /** classes × classes: 0 unknown, 1 allow, 2 deny. */
  readonly table: Uint8Array;
}

/**
 * The memo table of pod → pod verdicts for one (protocol, destination port, ICMP type), indexed by
 * workload class (classes.ts): pods of one class are indistinguishable to every rule, so one
 * evaluation answers for the whole class pair.
 */
export function verdictTable(snap: Snapshot, proto: number, dstPort: number, icmpType: number): VerdictTable {
  const memo = snap.memo;
  const key = (proto * 65537 + dstPort + 1) * 257 + icmpType + 1;
  if (memo.lastVerdictKey === key) return memo.lastVerdictTable as VerdictTable;
  let byKey = memo.verdictTables;
  if (byKey === undefined) byKey = memo.verdictTables = new Map();
  let t = byKey.get(key) as VerdictTable | undefined;
  if (t === undefined) {
    const wc = workloadClasses(snap);
    const classes = wc.reps.length;
    t = { classOf: wc.classOf, classes, table: new Uint8Array(classes * classes) };
    byKey.set(key, t);
  }
  memo.lastVerdictKey = key;
  memo.lastVerdictTable = t;
  return t;
}
