/**
 * @module Provider-managed resources: the admission check of the write path.
 *
 * A cluster profile (`tabby up --profile ibm-classic`) creates resources the provider owns: the
 * default host policies, the public host endpoints, the dashboard policy. Each carries the label
 * `tabby.dev/managed-by: provider` and, in the annotation `tabby.dev/breaks`, what stops working
 * without it. Changing or deleting such an object through the ResourceClient (so through
 * calicoctl, `tabby` and the API server alike) is refused unless the write says `force`; the
 * refusal names the object and what would break.
 *
 * Invariants:
 * - Only existing managed objects are protected: creating an object is never refused, and an
 *   update that leaves the stored object unchanged is not a change.
 * - kubectl: `kubectl delete --force --grace-period=0` forces a delete (the API server reads
 *   DeleteOptions `gracePeriodSeconds: 0` as force); an edit is forced by the annotation below.
 * - `force` reaches a remote ResourceClient (calicoctl → API server) inside the object: the
 *   annotation `tabby.dev/force: "true"` on a written object means force, and is never stored.
 *   A forced delete of a managed object through a remote datastore is sent as a forced update
 *   that releases the object (drops the marker), then a plain delete.
 * - Pure apart from the datastore reads the caller does; no text is parsed back.
 */
import type { StoredObject } from '../datastore/index.js';
import { isPlainObject } from '../model/decode/decoder.js';

/** The label marking what a provider (cluster profile, controller) owns. */
export const MANAGED_BY_LABEL = 'tabby.dev/managed-by';
export const PROVIDER = 'provider';
/** Annotation: what stops working if the object is changed or deleted (one sentence). */
export const BREAKS_ANNOTATION = 'tabby.dev/breaks';
/** Annotation on a written object: this write is forced. Consumed, never stored. */
export const FORCE_ANNOTATION = 'tabby.dev/force';
/**
 * API server query parameter with the same meaning (`DELETE …/globalnetworkpolicies/x?force=true`),
 * on PUT, DELETE and non-apply PATCH; server-side apply keeps `force` for its field conflicts.
 */
export const FORCE_QUERY = 'force';

export type AdmissionVerb = 'update' | 'delete';

/** A write to a provider-managed object without `force`. HTTP 403 at the API server. */
export class ProviderManagedError extends Error {
  readonly reason = 'Forbidden' as const;
  constructor(
    readonly kind: string,
    readonly resourceName: string,
    readonly verb: AdmissionVerb,
    readonly breaks: string | undefined,
  ) {
    super(describeRefusal(kind, resourceName, verb, breaks));
  }
  override get name(): string {
    return 'ProviderManagedError';
  }
}

/** `GlobalNetworkPolicy "allow-icmp" is managed by the provider; deleting it would break: …` */
export function describeRefusal(kind: string, name: string, verb: AdmissionVerb, breaks: string | undefined): string {
  const doing = verb === 'delete' ? 'deleting' : 'changing';
  const what = breaks !== undefined && breaks !== '' ? `; ${doing} it would break: ${breaks}` : '';
  const kubectl = verb === 'delete' ? 'kubectl delete --force --grace-period=0' : `kubectl with the annotation ${FORCE_ANNOTATION}: "true" in the object you write`;
  return `${kind} "${name}" is managed by the provider (label ${MANAGED_BY_LABEL}: ${PROVIDER})${what}. To do it anyway, repeat with --force (calicoctl, tabby), or ${kubectl}`;
}

export function isProviderManaged(obj: StoredObject | undefined): boolean {
  return obj?.metadata.labels?.[MANAGED_BY_LABEL] === PROVIDER;
}

/** Throws ProviderManagedError when `current` is managed and the write is not forced. */
export function admitWrite(verb: AdmissionVerb, current: StoredObject | undefined, force: boolean): void {
  if (force || current === undefined || !isProviderManaged(current)) return;
  throw new ProviderManagedError(current.kind, current.metadata.name ?? '', verb, current.metadata.annotations?.[BREAKS_ANNOTATION]);
}

/** The written object without the force annotation, and whether it asked for force. */
export function takeForce(raw: unknown): { readonly raw: unknown; readonly force: boolean } {
  if (!isPlainObject(raw) || !isPlainObject(raw['metadata'])) return { raw, force: false };
  const meta = raw['metadata'];
  const ann = meta['annotations'];
  if (!isPlainObject(ann) || !(FORCE_ANNOTATION in ann)) return { raw, force: false };
  const { [FORCE_ANNOTATION]: flag, ...rest } = ann;
  const metaOut: Record<string, unknown> = { ...meta };
  if (Object.keys(rest).length === 0) delete metaOut['annotations'];
  else metaOut['annotations'] = rest;
  return { raw: { ...raw, metadata: metaOut }, force: flag === 'true' || flag === true };
}

/** `obj` carrying the force annotation (what a remote write sends). */
export function withForceAnnotation(obj: StoredObject): StoredObject {
  return { ...obj, metadata: { ...obj.metadata, annotations: { ...(obj.metadata.annotations ?? {}), [FORCE_ANNOTATION]: 'true' } } };
}

/** `obj` released by its provider: without the managed-by label (the first step of a forced remote delete). */
export function released(obj: StoredObject): StoredObject {
  const labels: Record<string, string> = { ...(obj.metadata.labels ?? {}) };
  delete labels[MANAGED_BY_LABEL];
  return { ...obj, metadata: { ...obj.metadata, labels } };
}
