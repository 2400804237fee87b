/**
 * @module The EndpointSlice controller (pkg/controller/endpointslice), one pass. For each
 * Service with a selector: one IPv4 slice, labelled `kubernetes.io/service-name` and
 * `endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io`, owned by the
 * Service, listing every pod in the Service's namespace whose labels match the selector and
 * that has an IP (ready/serving from its Ready condition), and the Service's ports resolved
 * against the pods (a named targetPort through the first pod that declares it). Services
 * without a selector keep whatever slices their users wrote. Slices of deleted Services go
 * with them (gc.ts).
 *
 * Simplified: one slice per Service and family IPv4 (kube splits at 100 endpoints).
 */
import { ConflictError, NotFoundError, type StoredObject } from '../datastore/index.js';
import { kindFor } from '../model/kinds.js';
import type { ControllerContext } from './context.js';
import { at, canonicalJson, isDeleting, isPodReady, isPodTerminal, labelsOf, own, ownerRef, type Json, type Obj } from './objects.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const MANAGED_BY = 'endpointslice-controller.k8s.io';

const SLICE_INFO = kindFor('discovery.k8s.io/v1', 'EndpointSlice')!;
const SLICES = { group: 'discovery.k8s.io', plural: 'endpointslices' };

function _targetPort(port: Json, pods: readonly StoredObject[]): number | undefined {
  const tp = own(port, 'targetPort') ?? own(port, 'port');
  if (typeof tp === 'number') return tp;
  if (typeof tp !== 'string') return undefined;
  for (const p of pods) {
    const containers = at(p, 'spec', 'containers');
    if (!Array.isArray(containers)) continue;
    for (const c of containers)
      for (const cp of (own(c, 'ports') as unknown[] | undefined) ?? []) if (own(cp, 'name') === tp && typeof own(cp, 'containerPort') === 'number') return own(cp, 'containerPort') as number;
  }
  return undefined;
}

/** The slice content (addressType, endpoints, ports) a Service calls for. */
export function desiredSlice(svc: StoredObject, pods: readonly StoredObject[]): Json {
  const selector = (at(svc, 'spec', 'selector') ?? {}) as Record<string, string>;
  const members = pods
    .filter((p) => p.metadata.namespace === svc.metadata.namespace && !isPodTerminal(p) && typeof at(p, 'status', 'podIP') === 'string' && at(p, 'status', 'podIP') !== '')
    .filter((p) => Object.entries(selector).every(([k, v]) => labelsOf(p)[k] === v))
    .filter((p) => !String(at(p, 'status', 'podIP')).includes(':'))
    .sort((a, b) => String(at(a, 'status', 'podIP')).localeCompare(String(at(b, 'status', 'podIP'))));
  const endpoints = members.map((p) => {
    const ready = isPodReady(p) && !isDeleting(p);
    return {
      addresses: [at(p, 'status', 'podIP')],
      conditions: { ready, serving: isPodReady(p), terminating: isDeleting(p) },
      ...(typeof at(p, 'spec', 'nodeName') === 'string' ? { nodeName: at(p, 'spec', 'nodeName') } : {}),
      targetRef: { kind: 'Pod', namespace: p.metadata.namespace, name: p.metadata.name, uid: p.metadata.uid },
    };
  });
  const ports = ((at(svc, 'spec', 'ports') as Json[] | undefined) ?? []).map((sp) => {
    const port = _targetPort(sp, members);
    return { name: typeof own(sp, 'name') === 'string' ? own(sp, 'name') : '', protocol: own(sp, 'protocol') ?? 'TCP', ...(port === undefined ? {} : { port }) };
  });
  return { addressType: 'IPv4', endpoints, ports };
}

export async function reconcileEndpointSlices(ctx: ControllerContext): Promise<void> {
  const svcs = (await ctx.ds.list({ group: '', plural: 'services' })).items;
  const pods = (await ctx.ds.list({ group: '', plural: 'pods' })).items;
  const slices = (await ctx.ds.list({ ...SLICES, labels: (l) => l[MANAGED_BY_LABEL] === MANAGED_BY })).items;
  for (const svc of svcs) {
    const sel = at(svc, 'spec', 'selector');
    if (typeof sel !== 'object' || sel === null || Object.keys(sel).length === 0 || isDeleting(svc)) continue;
    const want = desiredSlice(svc, pods);
    const mine = slices.filter((s) => s.metadata.namespace === svc.metadata.namespace && s.metadata.labels?.[SERVICE_NAME_LABEL] === svc.metadata.name);
    const [keep, ...extra] = mine;
    const labels = { [SERVICE_NAME_LABEL]: svc.metadata.name ?? '', [MANAGED_BY_LABEL]: MANAGED_BY };
    if (keep === undefined) {
      await ctx.client.create({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: `${svc.metadata.name ?? ''}-${ctx.suffix()}`, generateName: `${svc.metadata.name ?? ''}-`, namespace: svc.metadata.namespace, labels, ownerReferences: [ownerRef(svc)] },
        ...want,
      });
    } else {
      const have = { addressType: own(keep, 'addressType'), endpoints: own(keep, 'endpoints') ?? [], ports: own(keep, 'ports') ?? [] };
      if (canonicalJson(have) !== canonicalJson(want)) {
        try {
          await ctx.ds.update(SLICES, { ...(keep as Obj), ...want } as StoredObject);
        } catch (e) {
          if (!(e instanceof ConflictError) && !(e instanceof NotFoundError)) throw e;
        }
      }
    }
    for (const s of extra) {
      try {
        await ctx.client.delete(SLICE_INFO, s.metadata.namespace, s.metadata.name ?? '');
      } catch (e) {
        if (!(e instanceof NotFoundError)) throw e;
      }
    }
  }
}
