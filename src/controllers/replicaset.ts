/**
 * @module The ReplicaSet controller (pkg/controller/replicaset), one pass: for each ReplicaSet,
 * the active pods it controls (controller ownerReference with its uid; not Succeeded/Failed,
 * not being deleted) are brought to `spec.replicas` — new pods from the template with the name
 * `<replicaset>-<5 random chars>`, or the surplus deleted (not-ready first, then newest) — and
 * `status` (replicas, fullyLabeledReplicas, readyReplicas, availableReplicas,
 * observedGeneration) is written. Events: SuccessfulCreate / SuccessfulDelete.
 *
 * Not modelled: adopting orphan pods that match the selector, minReadySeconds (a ready pod is
 * available at once), slow-start batches (at most `burst` pods per pass).
 */
import { AlreadyExistsError, ConflictError, NotFoundError, type StoredObject } from '../datastore/index.js';
import { kindFor } from '../model/kinds.js';
import type { ControllerContext } from './context.js';
import { at, controllerUid, isDeleting, isPodReady, isPodTerminal, labelsOf, own, ownerRef, type Json, type Obj } from './objects.js';
import { selectorMatches, type LabelSelector } from '../model/k8s/index.js';

const POD = kindFor('v1', 'Pod')!;
const RS = { group: 'apps', plural: 'replicasets' };

export interface ReplicaSetReport {
  readonly created: readonly string[];
  readonly deleted: readonly string[];
}

/** The pods a ReplicaSet controls and counts (its active pods). */
export function activePodsOf(rs: StoredObject, pods: readonly StoredObject[]): StoredObject[] {
  const uid = rs.metadata.uid ?? '';
  return pods.filter((p) => p.metadata.namespace === rs.metadata.namespace && controllerUid(p, 'ReplicaSet') === uid && !isPodTerminal(p) && !isDeleting(p));
}

/** The order kube deletes surplus pods in: unscheduled, then not ready, then newest. */
function _deletionOrder(a: StoredObject, b: StoredObject): number {
  const sa = at(a, 'spec', 'nodeName') ? 1 : 0;
  const sb = at(b, 'spec', 'nodeName') ? 1 : 0;
  if (sa !== sb) return sa - sb;
  const ra = isPodReady(a) ? 1 : 0;
  const rb = isPodReady(b) ? 1 : 0;
  if (ra !== rb) return ra - rb;
  return (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '');
}

function _podFrom(rs: StoredObject, name: string): Json {
  const template = (at(rs, 'spec', 'template') ?? {}) as Json;
  const meta = (own(template, 'metadata') ?? {}) as Json;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      generateName: `${rs.metadata.name ?? ''}-`,
      namespace: rs.metadata.namespace ?? 'default',
      ...(own(meta, 'labels') !== undefined ? { labels: own(meta, 'labels') } : {}),
      ...(own(meta, 'annotations') !== undefined ? { annotations: own(meta, 'annotations') } : {}),
      ownerReferences: [ownerRef(rs)],
    },
    spec: structuredClone(own(template, 'spec') ?? {}),
    status: { phase: 'Pending', qosClass: 'BestEffort' },
  };
}

async function _createPod(ctx: ControllerContext, rs: StoredObject): Promise<string | undefined> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const name = `${rs.metadata.name ?? ''}-${ctx.suffix()}`.slice(0, 253);
    try {
      await ctx.client.create(_podFrom(rs, name));
      return name;
    } catch (e) {
      if (!(e instanceof AlreadyExistsError)) throw e;
    }
  }
  return undefined;
}

export async function reconcileReplicaSets(ctx: ControllerContext): Promise<ReplicaSetReport> {
  const sets = (await ctx.ds.list(RS)).items;
  const pods = (await ctx.ds.list({ group: POD.group, plural: POD.plural })).items;
  const created: string[] = [];
  const deleted: string[] = [];
  for (const rs of sets) {
    if (isDeleting(rs)) continue;
    const want = typeof at(rs, 'spec', 'replicas') === 'number' ? (at(rs, 'spec', 'replicas') as number) : 1;
    let active = activePodsOf(rs, pods);
    const diff = want - active.length;
    if (diff > 0) {
      for (let i = 0; i < Math.min(diff, ctx.burst); i++) {
        const name = await _createPod(ctx, rs);
        if (name === undefined) continue;
        created.push(`${rs.metadata.namespace ?? ''}/${name}`);
        await ctx.events.record(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${name}`);
      }
    } else if (diff < 0) {
      const victims = [...active].sort(_deletionOrder).slice(0, Math.min(-diff, ctx.burst));
      for (const p of victims) {
        try {
          await ctx.client.delete(POD, p.metadata.namespace, p.metadata.name ?? '');
        } catch (e) {
          if (!(e instanceof NotFoundError)) throw e;
        }
        deleted.push(`${p.metadata.namespace ?? ''}/${p.metadata.name ?? ''}`);
        await ctx.events.record(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name ?? ''}`);
      }
      const gone = new Set(victims.map((p) => p.metadata.uid));
      active = active.filter((p) => !gone.has(p.metadata.uid));
    }
    if (diff > 0) {
      const now = (await ctx.ds.list({ group: POD.group, plural: POD.plural, namespace: rs.metadata.namespace ?? '' })).items;
      active = activePodsOf(rs, now);
    }
    await writeReplicaSetStatus(ctx, rs, active);
  }
  return { created, deleted };
}

/** Writes `status` when it changed (a conflict means a newer pass will write it). */
async function writeReplicaSetStatus(ctx: ControllerContext, rs: StoredObject, active: readonly StoredObject[]): Promise<void> {
  const sel = at(rs, 'spec', 'selector') as LabelSelector | undefined;
  const templateLabels = (at(rs, 'spec', 'template', 'metadata', 'labels') ?? {}) as Record<string, string>;
  const ready = active.filter(isPodReady).length;
  const status: Json = {
    replicas: active.length,
    fullyLabeledReplicas: active.filter((p) => Object.entries(templateLabels).every(([k, v]) => labelsOf(p)[k] === v) && (sel === undefined || selectorMatches(sel, labelsOf(p)))).length,
    readyReplicas: ready,
    availableReplicas: ready,
    observedGeneration: rs.metadata.generation ?? 1,
  };
  const cur = (own(rs, 'status') ?? {}) as Json;
  if (['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration'].every((k) => own(cur, k) === own(status, k))) return;
  try {
    await ctx.ds.update(RS, { ...(rs as Obj), status: { ...cur, ...status } } as StoredObject);
  } catch (e) {
    if (!(e instanceof ConflictError) && !(e instanceof NotFoundError)) throw e;
  }
}
