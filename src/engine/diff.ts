/**
 * @module What a change would do, before it is applied: the pod → pod flows (over the given
 * ports) whose verdict differs between two resource sets. Pure.
 *
 * - applyChanges(current, {apply, remove}): the resource set after `apply` (create or replace by
 *   kind/group/namespace/name) and `remove`, as the datastore would hold it.
 * - promoteStaged(resources): staged policies enforced (Set replaces or creates the policy it
 *   stages, Delete removes it), for "what would my staged policies change".
 * - diffVerdicts(before, after, ports): flips, over the pods present in both snapshots (a pod
 *   that appears or disappears is a cluster change, not a policy change), sorted by port,
 *   source, destination. Computed from the class matrices, so large clusters stay fast.
 */
import type { Resource } from '../model/meta.js';
import { kindFor } from '../model/kinds.js';
import { verdictMatrix, type MatrixPort } from './matrix.js';
import type { Snapshot } from './snapshot.js';
import type { VerdictAction } from './types.js';

export interface VerdictChange {
  readonly from: string;
  readonly to: string;
  readonly protocol: string;
  readonly port: number;
  readonly before: VerdictAction;
  readonly after: VerdictAction;
}

const _group = (apiVersion: string): string => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '');

/** Identity of a resource as a datastore keys it (namespaced kinds default to `default`). */
function _key(r: Resource, namespaced: (r: Resource) => boolean): string {
  const ns = r.metadata?.namespace ?? '';
  return `${r.kind}|${_group(r.apiVersion)}|${ns === '' && namespaced(r) ? 'default' : ns}|${r.metadata?.name ?? ''}`;
}

const _namespaced = (r: Resource): boolean => kindFor(r.apiVersion, r.kind)?.namespaced ?? (r.metadata?.namespace ?? '') !== '';

/** The resources after applying (create or replace) and removing some, by identity. */
export function applyChanges(current: readonly Resource[], change: { apply?: readonly Resource[]; remove?: readonly Resource[] }): Resource[] {
  const m = new Map<string, Resource>();
  for (const r of current) m.set(_key(r, _namespaced), r);
  for (const r of change.remove ?? []) m.delete(_key(r, _namespaced));
  for (const r of change.apply ?? []) m.set(_key(r, _namespaced), r);
  return [...m.values()];
}

const _PROMOTE: Readonly<Record<string, { kind: string; apiVersion?: string }>> = {
  StagedNetworkPolicy: { kind: 'NetworkPolicy' },
  StagedGlobalNetworkPolicy: { kind: 'GlobalNetworkPolicy' },
  StagedKubernetesNetworkPolicy: { kind: 'NetworkPolicy', apiVersion: 'networking.k8s.io/v1' },
};

/**
 * What enforcing one staged policy means, as Calico's staged semantics say: the enforced policy of
 * the same name and namespace (StagedNetworkPolicy → NetworkPolicy, StagedGlobalNetworkPolicy →
 * GlobalNetworkPolicy, StagedKubernetesNetworkPolicy → networking.k8s.io NetworkPolicy), its spec
 * without `stagedAction`, to be set (`Set`, the default) or deleted (`Delete`); undefined for a
 * resource that is not a staged policy, or one whose action neither sets nor deletes (Learn, Ignore).
 */
export function enforcedCounterpart(r: Resource): { readonly action: 'Set' | 'Delete'; readonly resource: Resource } | undefined {
  const to = _PROMOTE[r.kind];
  if (to === undefined) return undefined;
  const spec = { ...((r as { spec?: Record<string, unknown> }).spec ?? {}) };
  const action = typeof spec['stagedAction'] === 'string' ? spec['stagedAction'] : 'Set';
  delete spec['stagedAction'];
  const resource = { ...r, kind: to.kind, apiVersion: to.apiVersion ?? r.apiVersion, spec } as Resource;
  if (action === 'Delete') return { action, resource };
  if (action === 'Set' || action === '') return { action: 'Set', resource };
  return undefined;
}

/** Staged policies made real: Set creates/replaces the staged policy's target, Delete removes it. */
export function promoteStaged(resources: readonly Resource[]): Resource[] {
  const apply: Resource[] = [];
  const remove: Resource[] = [];
  const keep: Resource[] = [];
  for (const r of resources) {
    if (_PROMOTE[r.kind] === undefined) {
      keep.push(r);
      continue;
    }
    const c = enforcedCounterpart(r);
    if (c?.action === 'Delete') remove.push(c.resource);
    else if (c?.action === 'Set') apply.push(c.resource);
  }
  return applyChanges(keep, { apply, remove });
}

/** The pod → pod flows whose verdict differs, for every port. */
export function diffVerdicts(before: Snapshot, after: Snapshot, ports: readonly MatrixPort[]): VerdictChange[] {
  const idxAfter = new Map<string, number>();
  after.workloads.forEach((w, i) => idxAfter.set(w.key, i));
  const common: [string, number, number][] = [];
  before.workloads.forEach((w, i) => {
    const j = idxAfter.get(w.key);
    if (j !== undefined) common.push([w.key, i, j]);
  });
  const nb = before.workloads.length;
  const na = after.workloads.length;
  const out: VerdictChange[] = [];
  for (const p of ports) {
    const mb = verdictMatrix(before, { protocol: p.protocol, port: p.port }).allowed;
    const ma = verdictMatrix(after, { protocol: p.protocol, port: p.port }).allowed;
    for (const [fk, fi, fj] of common)
      for (const [tk, ti, tj] of common) {
        const b = mb[fi * nb + ti]!;
        const a = ma[fj * na + tj]!;
        if (a !== b) out.push({ from: fk, to: tk, protocol: p.protocol, port: p.port, before: b === 1 ? 'Allow' : 'Deny', after: a === 1 ? 'Allow' : 'Deny' });
      }
  }
  return out;
}
