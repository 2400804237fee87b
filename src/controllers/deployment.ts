/**
 * @module The Deployment controller (pkg/controller/deployment), one pass. For each
 * Deployment: the ReplicaSet for its current template is `<deployment>-<pod-template-hash>`
 * (selector and template labels get `pod-template-hash`, annotations the revision), created
 * when missing and scaled to `spec.replicas`; older ReplicaSets it controls are scaled to 0
 * once the new one is fully ready (Recreate: at once), and those beyond
 * `revisionHistoryLimit` deleted. `status` sums the ReplicaSets. Events: ScalingReplicaSet.
 *
 * Simplified: a rolling update surges the whole new ReplicaSet at once (maxSurge and
 * maxUnavailable are stored, not honoured); `paused` stops scaling but not status.
 */
import { AlreadyExistsError, ConflictError, NotFoundError, type StoredObject } from '../datastore/index.js';
import { kindFor } from '../model/kinds.js';
import type { ControllerContext } from './context.js';
import { at, controllerUid, isDeleting, own, ownerRef, podTemplateHash, rfc3339, type Json, type Obj } from './objects.js';

const RS_INFO = kindFor('apps/v1', 'ReplicaSet')!;
const RS = { group: 'apps', plural: 'replicasets' };
const DEPLOY = { group: 'apps', plural: 'deployments' };
export const HASH_LABEL = 'pod-template-hash';
const REVISION = 'deployment.kubernetes.io/revision';

const _replicas = (o: unknown): number => (typeof at(o, 'spec', 'replicas') === 'number' ? (at(o, 'spec', 'replicas') as number) : 1);
const _num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const _rev = (rs: StoredObject): number => Number(rs.metadata.annotations?.[REVISION] ?? '0') || 0;

function _newReplicaSet(d: StoredObject, hash: string, revision: number): Json {
  const template = structuredClone((at(d, 'spec', 'template') ?? {}) as Json);
  const tmeta = { ...((own(template, 'metadata') ?? {}) as Json) };
  tmeta['labels'] = { ...((own(tmeta, 'labels') ?? {}) as Json), [HASH_LABEL]: hash };
  template['metadata'] = tmeta;
  const sel = (at(d, 'spec', 'selector') ?? {}) as Json;
  const replicas = _replicas(d);
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${d.metadata.name ?? ''}-${hash}`,
      namespace: d.metadata.namespace ?? 'default',
      labels: tmeta['labels'],
      annotations: { [REVISION]: String(revision), 'deployment.kubernetes.io/desired-replicas': String(replicas), 'deployment.kubernetes.io/max-replicas': String(replicas) },
      ownerReferences: [ownerRef(d)],
    },
    spec: {
      replicas,
      ...(typeof at(d, 'spec', 'minReadySeconds') === 'number' ? { minReadySeconds: at(d, 'spec', 'minReadySeconds') } : {}),
      selector: { ...sel, matchLabels: { ...((own(sel, 'matchLabels') ?? {}) as Json), [HASH_LABEL]: hash } },
      template,
    },
  };
}

async function _scale(ctx: ControllerContext, d: StoredObject, rs: StoredObject, to: number): Promise<void> {
  const from = _replicas(rs);
  if (from === to) return;
  await ctx.client.modify(RS_INFO, rs.metadata.namespace, rs.metadata.name ?? '', (o) => {
    const spec = { ...((o['spec'] ?? {}) as Json), replicas: to };
    const meta = { ...((o['metadata'] ?? {}) as Json) };
    meta['annotations'] = { ...((meta['annotations'] ?? {}) as Json), 'deployment.kubernetes.io/desired-replicas': String(_replicas(d)) };
    return { ...o, metadata: meta, spec };
  });
  await ctx.events.record(d, 'Normal', 'ScalingReplicaSet', `Scaled ${to > from ? 'up' : 'down'} replica set ${rs.metadata.name ?? ''} from ${from} to ${to}`);
}

export async function reconcileDeployments(ctx: ControllerContext): Promise<void> {
  const deployments = (await ctx.ds.list(DEPLOY)).items;
  const sets = (await ctx.ds.list(RS)).items;
  for (const d of deployments) {
    if (isDeleting(d)) continue;
    const owned = sets.filter((rs) => rs.metadata.namespace === d.metadata.namespace && controllerUid(rs, 'Deployment') === d.metadata.uid);
    const collisions = _num(at(d, 'status', 'collisionCount'));
    const hash = podTemplateHash(at(d, 'spec', 'template'), collisions === 0 ? undefined : collisions);
    let current = owned.find((rs) => rs.metadata.labels?.[HASH_LABEL] === hash);
    const paused = at(d, 'spec', 'paused') === true;
    if (!paused) {
      if (current === undefined) {
        const revision = Math.max(0, ...owned.map(_rev)) + 1;
        try {
          current = (await ctx.client.create(_newReplicaSet(d, hash, revision))).object;
          await ctx.events.record(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${current.metadata.name ?? ''} from 0 to ${_replicas(d)}`);
        } catch (e) {
          // Someone else's ReplicaSet holds the name: count a collision, the next pass rehashes.
          if (!(e instanceof AlreadyExistsError)) throw e;
          await _writeStatus(ctx, d, owned, undefined, { collisionCount: collisions + 1 });
          continue;
        }
      } else await _scale(ctx, d, current, _replicas(d));
      const old = owned.filter((rs) => rs !== current);
      const recreate = at(d, 'spec', 'strategy', 'type') === 'Recreate';
      const newReady = _num(at(current, 'status', 'readyReplicas')) >= _replicas(d);
      if (recreate || newReady) for (const rs of old) await _scale(ctx, d, rs, 0);
      const limit = typeof at(d, 'spec', 'revisionHistoryLimit') === 'number' ? (at(d, 'spec', 'revisionHistoryLimit') as number) : 10;
      const idle = old.filter((rs) => _replicas(rs) === 0 && _num(at(rs, 'status', 'replicas')) === 0).sort((a, b) => _rev(a) - _rev(b));
      for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) {
        try {
          await ctx.client.delete(RS_INFO, rs.metadata.namespace, rs.metadata.name ?? '');
        } catch (e) {
          if (!(e instanceof NotFoundError)) throw e;
        }
      }
    }
    await _writeStatus(ctx, d, owned, current, {});
  }
}

function _condition(type: string, status: boolean, reason: string, message: string, prev: unknown, now: string): Json {
  const p = Array.isArray(prev) ? prev.find((c) => own(c, 'type') === type) : undefined;
  const st = status ? 'True' : 'False';
  const same = own(p, 'status') === st;
  return { type, status: st, lastUpdateTime: same ? own(p, 'lastUpdateTime') ?? now : now, lastTransitionTime: same ? own(p, 'lastTransitionTime') ?? now : now, reason, message };
}

async function _writeStatus(ctx: ControllerContext, d: StoredObject, owned: readonly StoredObject[], current: StoredObject | undefined, extra: Json): Promise<void> {
  const sum = (f: string): number => owned.reduce((n, rs) => n + _num(at(rs, 'status', f)), 0);
  const want = _replicas(d);
  const available = sum('availableReplicas');
  const updated = current === undefined ? 0 : _num(at(current, 'status', 'replicas'));
  const cur = (own(d, 'status') ?? {}) as Json;
  const now = rfc3339(ctx.now());
  const ok = available >= want;
  const status: Json = {
    ...cur,
    observedGeneration: d.metadata.generation ?? 1,
    replicas: sum('replicas'),
    updatedReplicas: updated,
    readyReplicas: sum('readyReplicas'),
    availableReplicas: available,
    ...(Math.max(0, want - available) > 0 ? { unavailableReplicas: want - available } : {}),
    ...extra,
  };
  if (Math.max(0, want - available) === 0) delete status['unavailableReplicas'];
  const progressing = current !== undefined && updated >= want;
  status['conditions'] = [
    _condition('Available', ok, ok ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable', ok ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.', own(cur, 'conditions'), now),
    _condition(
      'Progressing',
      true,
      progressing ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated',
      current === undefined ? `Deployment "${d.metadata.name ?? ''}" is progressing.` : progressing ? `ReplicaSet "${current.metadata.name ?? ''}" has successfully progressed.` : `ReplicaSet "${current.metadata.name ?? ''}" is progressing.`,
      own(cur, 'conditions'),
      now,
    ),
  ];
  const strip = (s: Json): string => JSON.stringify({ ...s, conditions: (s['conditions'] as Json[] | undefined)?.map((c) => ({ ...c, lastUpdateTime: 0, lastTransitionTime: 0 })) });
  if (strip(status) === strip(cur)) return;
  try {
    await ctx.ds.update(DEPLOY, { ...(d as Obj), status } as StoredObject);
  } catch (e) {
    if (!(e instanceof ConflictError) && !(e instanceof NotFoundError)) throw e;
  }
}
