/**
 * @module Workload equivalence classes: two pods are interchangeable, as source or destination of
 * a pod → pod flow, when they are on the same node and agree on everything a rule or policy can
 * test — membership in every selector of the snapshot (through the IP-set view, so network sets
 * count), membership in every CIDR any rule names, their named ports and the Services they back.
 * Used by the matrix and by the verdict cache of the fast path. Computed once per snapshot.
 */
import type { Net } from './ip.js';
import { netContains } from './ip.js';
import { selMatches, type CompiledRule } from './match.js';
import type { Snapshot, WorkloadEndpointInfo } from './snapshot.js';

export interface WorkloadClasses {
  /** Class of each workload, by WorkloadEndpointInfo.index. */
  readonly classOf: Int32Array;
  /** One representative workload per class. */
  readonly reps: readonly WorkloadEndpointInfo[];
}

function _nets(snap: Snapshot): Net[] {
  const seen = new Map<string, Net>();
  const add = (rules: readonly CompiledRule[]): void => {
    for (const r of rules)
      for (const e of [r.src, r.dst]) for (const list of [e.nets, e.notNets]) if (list !== null) for (const n of list) seen.set(n.text, n);
  };
  for (const set of snap.stagedView === null ? [snap.enforced] : [snap.enforced, snap.stagedView])
    for (const p of set.policies) {
      add(p.ingressRules);
      add(p.egressRules);
    }
  for (const p of snap.profiles.values()) {
    add(p.ingress);
    add(p.egress);
  }
  return [...seen.values()];
}

/** The equivalence key of a workload (see the module doc). */
function _keys(snap: Snapshot, pods: readonly WorkloadEndpointInfo[]): string[] {
  const nets = _nets(snap);
  const refs = [...snap.registry.all()];
  const backs = new Map<string, string[]>();
  for (const s of snap.services) for (const b of s.backends) (backs.get(b.key) ?? backs.set(b.key, []).get(b.key)!).push(`${s.namespace}/${s.name}`);
  return pods.map((w) => {
    const ip = w.ips[0]!;
    const owners = snap.ownersOf(ip);
    let bits = '';
    for (const r of refs) bits += selMatches(r, owners) ? '1' : '0';
    bits += '|';
    for (const n of nets) bits += netContains(n, ip) ? '1' : '0';
    const ports = w.namedPorts.map((p) => `${p.name}/${p.proto}/${p.port}`).join(',');
    return `${w.node}|${ip.family}|${bits}|${ports}|${(backs.get(w.key) ?? []).join(',')}`;
  });
}

export function workloadClasses(snap: Snapshot): WorkloadClasses {
  let wc = snap.memo.classes as WorkloadClasses | undefined;
  if (wc !== undefined) return wc;
  const pods = snap.workloads;
  const keys = _keys(snap, pods);
  const classOf = new Int32Array(pods.length);
  const reps: WorkloadEndpointInfo[] = [];
  const byKey = new Map<string, number>();
  for (let i = 0; i < pods.length; i++) {
    let c = byKey.get(keys[i]!);
    if (c === undefined) {
      c = reps.length;
      byKey.set(keys[i]!, c);
      reps.push(pods[i]!);
    }
    classOf[i] = c;
  }
  wc = { classOf, reps };
  snap.memo.classes = wc;
  return wc;
}
