/**
 * @module `crd.projectcalico.org/v1` objects (Calico's Kubernetes datastore) → model resources.
 * The conversion itself (KDD naming, the `projectcalico.org/metadata` annotation, tiered names,
 * the UID transform) is the import normaliser's (model/convert/crd-kdd.ts, decodeImported); this
 * is the reader's one call into it.
 */
import type { Resource } from '../../model/meta.js';
import type { Result } from '../../lib/result.js';
import { decodeImported, KDD_API_VERSION } from '../../model/convert/index.js';

/** One CRD object → the resources it stands for, or the lines saying why it cannot be read. */
export function decodeCrdObject(o: Record<string, unknown>): Result<Resource[], string[]> {
  // List items of custom resources carry apiVersion; fill it in should a server leave it off.
  const obj = Object.prototype.hasOwnProperty.call(o, 'apiVersion') ? o : { apiVersion: KDD_API_VERSION, ...o };
  const r = decodeImported(obj);
  if (r.ok) return { ok: true, value: [r.value.resource] };
  return { ok: false, error: r.error.map((e) => `${e.path}: ${e.message}`) };
}
