/**
 * @module The import door: one raw object as people have it on disk — a `projectcalico.org/v3`
 * or Kubernetes object, or a `crd.projectcalico.org/v1` custom resource as Calico's Kubernetes
 * datastore keeps it — decoded, defaulted and validated into Tabby's model. Pure.
 *
 * A custom resource is first read as Calico reads it (kddToV3), then passes the same door as a
 * v3 object, so it is accepted exactly when `calicoctl get -o yaml` of it would be, and the
 * result is the same object. Field errors keep the path of the document as written (the spec
 * is the same struct in both forms); problems of the conversion itself name the metadata field
 * (`metadata.annotations[projectcalico.org/metadata]`, `metadata.uid`).
 */
import type { Result } from '../../lib/result.js';
import type { FieldError } from '../field/errors.js';
import { FieldPath } from '../field/path.js';
import { decodeResource, type DecodedResource } from '../validate-resource.js';
import { isKddObject, kddToV3 } from './crd-kdd.js';

export interface ImportedResource extends DecodedResource {
  /**
   * The object in `projectcalico.org/v3` form before defaulting, when it was read from
   * `crd.projectcalico.org/v1` (what `calicoctl apply` would send); absent for other objects.
   */
  readonly normalised?: unknown;
}

/**
 * Decodes one object of any form Tabby imports (not a List: list documents are opened by the
 * manifest reader). The function `parseManifests` uses for every `-f` document; the live
 * reader uses it for every object it lists.
 */
export function decodeImported(raw: unknown, path: FieldPath = FieldPath.root()): Result<ImportedResource, FieldError[]> {
  if (!isKddObject(raw)) return decodeResource(raw, path);
  const v3 = kddToV3(raw, path);
  if (!v3.ok) return v3;
  const r = decodeResource(v3.value, path);
  if (!r.ok) return r;
  return { ok: true, value: { ...r.value, normalised: v3.value } };
}
