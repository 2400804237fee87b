/**
 * @module `crd.projectcalico.org/v1` objects (Calico's Kubernetes datastore) → model resources.
 * The conversion itself (KDD naming, the `projectcalico.org/metadata` annotation, tiered names)
 * belongs to the import normaliser (issue 16 item 2); this is the reader's one call into it.
 */
import type { Resource } from '../../model/meta.js';
import type { Result } from '../../lib/result.js';

/** One CRD object → the resources it stands for, or the lines saying why it cannot be read. */
export function decodeCrdObject(o: Record<string, unknown>): Result<Resource[], string[]> {
  const kind = typeof o['kind'] === 'string' ? o['kind'] : '';
  return { ok: false, error: [`kind ${kind} of crd.projectcalico.org/v1: reading Calico's CRDs is not available yet in this build`] };
}
