/**
 * @module The garbage collector for what the workload controllers create: an object whose
 * controller owner (by uid) is gone is deleted — Pods of a deleted ReplicaSet, ReplicaSets of a
 * deleted Deployment, EndpointSlices of a deleted Service — so deleting a Deployment removes
 * its ReplicaSets and Pods (kube's background propagation). `propagationPolicy=Orphan` is not
 * honoured: dependents are always collected.
 */
import { NotFoundError, type StoredObject } from '../datastore/index.js';
import type { ControllerContext } from './context.js';
import { controllerUid } from './objects.js';

const DEPENDENTS = [
  { dep: { group: '', plural: 'pods' }, owner: { group: 'apps', plural: 'replicasets' }, kind: 'ReplicaSet' },
  { dep: { group: 'apps', plural: 'replicasets' }, owner: { group: 'apps', plural: 'deployments' }, kind: 'Deployment' },
  { dep: { group: 'discovery.k8s.io', plural: 'endpointslices' }, owner: { group: '', plural: 'services' }, kind: 'Service' },
] as const;

/** Deletes orphaned dependents; returns their `plural/namespace/name`. */
export async function collectGarbage(ctx: ControllerContext): Promise<string[]> {
  const out: string[] = [];
  for (const d of DEPENDENTS) {
    // Dependents first: an owner created after this list cannot have a dependent in it.
    const deps = (await ctx.ds.list(d.dep)).items;
    const owners = new Set((await ctx.ds.list(d.owner)).items.map((o: StoredObject) => o.metadata.uid));
    for (const o of deps) {
      const uid = controllerUid(o, d.kind);
      if (uid === undefined || owners.has(uid)) continue;
      try {
        await ctx.ds.delete({ ...d.dep, namespace: o.metadata.namespace ?? '', name: o.metadata.name ?? '' });
        out.push(`${d.dep.plural}/${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`);
      } catch (e) {
        if (!(e instanceof NotFoundError)) throw e;
      }
    }
  }
  return out;
}
