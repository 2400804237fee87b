/**
 * @module Aggregated discovery (`apidiscovery.k8s.io/v2`): `/api` and `/apis` each as one
 * APIGroupDiscoveryList, for clients that ask for it in Accept (kubectl and client-go since 1.30
 * ask first, then fall back to the legacy documents). Built from the same APIResourceLists the
 * legacy `/api/v1` and `/apis/<group>/<version>` documents serve, so both views always agree;
 * subresources (`pods/log`) are nested under their resource as kube-apiserver does. Pure.
 */
import { apiResourceList, discoveryGroups, SERVED_KINDS } from './discovery.js';
import type { KindInfo } from '../model/kind-info.js';

/** The media type kube-apiserver answers with; clients recognise the aggregated form by it. */
export const AGGREGATED_DISCOVERY_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

/** True when Accept lists the v2 APIGroupDiscoveryList media type (parameters in any order). */
export function wantsAggregatedDiscovery(accept: string): boolean {
  return accept.split(',').some((range) => {
    const [type, ...params] = range.split(';').map((s) => s.trim());
    if (type !== 'application/json') return false;
    const p = new Map(params.map((x) => [x.split('=')[0]!.trim(), (x.split('=')[1] ?? '').trim()] as const));
    return p.get('g') === 'apidiscovery.k8s.io' && p.get('v') === 'v2' && p.get('as') === 'APIGroupDiscoveryList';
  });
}

interface _LegacyResource {
  readonly name: string;
  readonly singularName?: string;
  readonly namespaced: boolean;
  readonly kind: string;
  readonly group?: string;
  readonly version?: string;
  readonly verbs: readonly string[];
  readonly shortNames?: readonly string[];
  readonly categories?: readonly string[];
}

function _legacyResources(group: string, version: string, kinds: readonly KindInfo[]): readonly _LegacyResource[] {
  const list = apiResourceList(group, version, kinds) as { resources?: readonly _LegacyResource[] } | undefined;
  return list?.resources ?? [];
}

function _versionEntry(group: string, version: string, kinds: readonly KindInfo[]): unknown {
  const all = _legacyResources(group, version, kinds);
  const resources = all
    .filter((r) => !r.name.includes('/'))
    .map((r) => {
      const subresources = all
        .filter((s) => s.name.startsWith(`${r.name}/`))
        .map((s) => ({
          subresource: s.name.slice(r.name.length + 1),
          responseKind: { group: s.group ?? group, version: s.version ?? version, kind: s.kind },
          verbs: s.verbs,
        }));
      return {
        resource: r.name,
        responseKind: { group, version, kind: r.kind },
        scope: r.namespaced ? 'Namespaced' : 'Cluster',
        singularResource: r.singularName ?? '',
        verbs: r.verbs,
        ...(r.shortNames && r.shortNames.length > 0 ? { shortNames: r.shortNames } : {}),
        ...(r.categories && r.categories.length > 0 ? { categories: r.categories } : {}),
        ...(subresources.length > 0 ? { subresources } : {}),
      };
    });
  return { version, resources, freshness: 'Current' };
}

/** `/api` (core: the legacy group, v1) or `/apis` (every named group, preferred version first). */
export function aggregatedDiscovery(core: boolean, kinds: readonly KindInfo[] = SERVED_KINDS): unknown {
  const gs = core ? [{ name: '', versions: ['v1'] }] : discoveryGroups(kinds);
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    metadata: {},
    items: gs.map((g) => ({
      metadata: { name: g.name, creationTimestamp: null },
      versions: g.versions.map((v) => _versionEntry(g.name, v, kinds)),
    })),
  };
}
