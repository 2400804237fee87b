/**
 * @module Workload equivalence classes: two pods are interchangeable, as source or destination of
 * a pod → pod flow, when they are on the same node and agree on everything a rule or policy can
 * test — membership in every selector of the snapshot (through the IP-set view, so network sets
 * count, and by their own labels, which decide the policies that apply to them), membership in
 * every CIDR any rule names, their profiles, their named ports and the Services they back.
 * Used by the matrix and by the verdict cache of the fast path. Computed once per snapshot.
 *
 * Cost: selector membership is computed once per distinct label set (pods share interned label
 * sets, snapshot.ts), testing only the candidate selectors the label-restriction index
 * (selector-index.ts) names for it; each distinct membership list becomes a small integer, so a
 * pod's key is short whatever the number of selectors.
 */
import type { Net } from './ip.js';
import { netContains } from './ip.js';
import type { CompiledRule, LabelSet, Owner, SelRef } from './match.js';
import { SelectorIndex } from './selector-index.js';
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

/**
 * The selector part of the key: which registered selectors match the owner list, as a small
 * integer. Computed once per distinct label set, testing only the candidates the restriction
 * index names for it, so the cost is per label set × candidates, not per pod × selector.
 */
class _SelectorBits {
  readonly #index = new SelectorIndex<SelRef>();
  readonly #byLs = new Map<LabelSet, number[]>();
  readonly #ids = new Map<string, number>();
  readonly #single = new Map<LabelSet, number>();

  constructor(refs: Iterable<SelRef>) {
    for (const r of refs) this.#index.add(r, r.sel.ast);
  }

  #matches(ls: LabelSet): number[] {
    let m = this.#byLs.get(ls);
    if (m === undefined) {
      const hits: number[] = [];
      const labels = ls.labels;
      this.#index.forCandidates(labels, (r) => {
        if (r.sel.matches(labels)) hits.push(r.id);
      });
      m = hits.sort((a, b) => a - b);
      this.#byLs.set(ls, m);
    }
    return m;
  }

  #intern(ids: readonly number[]): number {
    const k = ids.join(',');
    let c = this.#ids.get(k);
    if (c === undefined) this.#ids.set(k, (c = this.#ids.size));
    return c;
  }

  of(owners: readonly Owner[]): number {
    if (owners.length === 1) {
      const ls = owners[0]!.ls;
      let c = this.#single.get(ls);
      if (c === undefined) this.#single.set(ls, (c = this.#intern(this.#matches(ls))));
      return c;
    }
    const all = new Set<number>();
    for (const o of owners) for (const id of this.#matches(o.ls)) all.add(id);
    return this.#intern([...all].sort((a, b) => a - b));
  }
}

/** The equivalence key of a workload (see the module doc). */
function _keys(snap: Snapshot, pods: readonly WorkloadEndpointInfo[]): string[] {
  const nets = _nets(snap);
  const bits = new _SelectorBits(snap.registry.all());
  const backs = new Map<string, string[]>();
  for (const s of snap.services) for (const b of s.backends) (backs.get(b.key) ?? backs.set(b.key, []).get(b.key)!).push(`${s.namespace}/${s.name}`);
  const profileIds = new Map<readonly string[], number>();
  const profileText = new Map<string, number>();
  const profilesOf = (list: readonly string[]): number => {
    let id = profileIds.get(list);
    if (id === undefined) {
      const t = list.join('\u0000');
      id = profileText.get(t);
      if (id === undefined) profileText.set(t, (id = profileText.size));
      profileIds.set(list, id);
    }
    return id;
  };
  return pods.map((w) => {
    const ip = w.ips[0]!;
    let netBits = '';
    for (const n of nets) netBits += netContains(n, ip) ? '1' : '0';
    const ports = w.namedPorts.map((p) => `${p.name}/${p.proto}/${p.port}`).join(',');
    // Which policies apply to the pod is decided by its own labels; the rules see every owner of its
    // address (network sets, host endpoints too): when those differ, both count. So do its profiles.
    const owners = snap.ownersOf(ip);
    const own = owners.length === 1 && owners[0] === w ? '' : String(bits.of([w]));
    return `${w.node}|${ip.family}|${bits.of(owners)}|${own}|${profilesOf(w.profiles)}|${netBits}|${ports}|${(backs.get(w.key) ?? []).join(',')}`;
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
