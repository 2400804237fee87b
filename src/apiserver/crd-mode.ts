/**
 * @module The API server's Calico API modes (`tabby server --calico-api v3|crd`).
 *
 * - `v3` (the default): Calico's resources under `projectcalico.org/v3`, as Calico's API server
 *   serves them.
 * - `crd`: the cluster looks like one running Calico with the Kubernetes datastore (KDD) and no
 *   Calico API server: `projectcalico.org` is not served; Calico's resources are custom resources
 *   under `crd.projectcalico.org/v1`, declared by CustomResourceDefinition objects
 *   (`apiextensions.k8s.io/v1`, listed in discovery and by `kubectl get crds`). Custom resources
 *   are stored as written, with Kubernetes' server metadata, so `kubectl get
 *   globalnetworkpolicies.crd.projectcalico.org -o yaml` prints what a real cluster prints; the
 *   kinds Tabby models are checked on write by reading them as Calico would (model/convert
 *   crd-kinds.ts). What `projectcalico.org/v3` view Calico derives from them is
 *   model/convert/crd-kdd.ts (kddToV3), which the engine input and the live reader use.
 *
 * The Tabby agent and controllers read `projectcalico.org/v3` objects from the datastore; in
 * CRD mode nothing enforces the custom resources (the mode exists to test readers of real
 * clusters against a real HTTPS API).
 */
import type { Datastore } from '../datastore/index.js';
import { NotFoundError } from '../datastore/index.js';
import type { KindInfo } from '../model/kind-info.js';
import { CUSTOM_RESOURCE_DEFINITION_KIND, customResourceDefinitionFor, KDD_KINDS } from '../model/convert/crd-kinds.js';
import { SERVED_KINDS } from './discovery.js';

export const CALICO_API_MODES = ['v3', 'crd'] as const;
export type CalicoApiMode = (typeof CALICO_API_MODES)[number];

const _CALICO_V3_GROUP = 'projectcalico.org';

/** Kinds served beyond the model's registry in a mode (the ResourceClient writes them too). */
export function extraKindsFor(mode: CalicoApiMode): readonly KindInfo[] {
  return mode === 'crd' ? [CUSTOM_RESOURCE_DEFINITION_KIND, ...KDD_KINDS] : [];
}

/** Every kind served in a mode, in discovery order (named groups the server adds come last). */
export function servedKindsFor(mode: CalicoApiMode): readonly KindInfo[] {
  if (mode === 'v3') return SERVED_KINDS;
  return [...SERVED_KINDS.filter((k) => k.group !== _CALICO_V3_GROUP), ...extraKindsFor(mode)];
}

/**
 * Creates the CustomResourceDefinition of every `crd.projectcalico.org/v1` kind that is not in
 * the datastore yet (as installing Calico's CRDs does); existing ones are left as they are.
 */
export async function ensureCustomResourceDefinitions(ds: Datastore, now: Date): Promise<number> {
  const type = { group: CUSTOM_RESOURCE_DEFINITION_KIND.group, plural: CUSTOM_RESOURCE_DEFINITION_KIND.plural };
  const ts = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  let created = 0;
  for (const info of KDD_KINDS) {
    const crd = customResourceDefinitionFor(info, ts);
    const name = crd.metadata?.name ?? '';
    try {
      await ds.get({ ...type, namespace: '', name });
      continue;
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
    }
    await ds.create(type, crd as Parameters<Datastore['create']>[1]);
    created++;
  }
  return created;
}
