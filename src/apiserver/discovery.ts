/**
 * @module The served API surface and its discovery documents: `/api`, `/apis`, `/api/v1`,
 * `/apis/<group>`, `/apis/<group>/<version>` and `/version`. Every kind in the model's registry
 * is served except the few listed in NOT_SERVED, plus Tabby's own `tabby.dev/v1` resources
 * (TABBY_RESOURCES: flows, flowevents). Pure.
 *
 * Group order matters to kubectl: a resource name served by two groups (`networkpolicies`)
 * resolves to the first, so networking.k8s.io comes before projectcalico.org, as in a cluster
 * where Calico's API server is aggregated after the built-in groups.
 */
import { ALL_KINDS } from '../model/kinds.js';
import { BUILD_INFO } from '../lib/index.js';
import { apiVersionOf, type KindInfo } from '../model/kind-info.js';

/** Kinds in the registry that are not stored resources (the calicoctl configuration file). */
const NOT_SERVED = new Set(['projectcalico.org/CalicoAPIConfig']);

/** kube-apiserver's order for the built-in groups; Calico's aggregated group last. */
const GROUP_ORDER = ['', 'apps', 'events.k8s.io', 'authorization.k8s.io', 'networking.k8s.io', 'discovery.k8s.io', 'policy.networking.k8s.io', 'projectcalico.org'];

export const SERVED_KINDS: readonly KindInfo[] = ALL_KINDS.filter((k) => !NOT_SERVED.has(`${k.group}/${k.kind}`)).sort(
  (a, b) => _groupRank(a.group) - _groupRank(b.group),
);

function _groupRank(g: string): number {
  const i = GROUP_ORDER.indexOf(g);
  return i < 0 ? GROUP_ORDER.length : i;
}

/** Short names kubectl shows and resolves; calicoctl aliases that would shadow another group's names are left out. */
const SHORT_NAME_OVERRIDES: ReadonlyMap<string, readonly string[]> = new Map([
  ['projectcalico.org/NetworkPolicy', ['cnp', 'caliconetworkpolicy', 'caliconetworkpolicies']],
  ['projectcalico.org/GlobalNetworkPolicy', ['gnp', 'cgnp', 'calicoglobalnetworkpolicies']],
  ['projectcalico.org/Node', ['cnode', 'caliconode', 'caliconodes']],
]);

const CATEGORIES: ReadonlyMap<string, readonly string[]> = new Map([
  ['/Pod', ['all']],
  ['/Service', ['all']],
  ['apps/Deployment', ['all']],
  ['apps/ReplicaSet', ['all']],
]);

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** Kinds checked for server-side dry-run only (KindInfo.dryRunOnly): no watch, no delete. */
const DRY_RUN_ONLY_VERBS = ['create', 'get', 'list', 'patch', 'update'];

/** Kinds whose verbs are not the CRUD set (answered, never stored). */
const VERB_OVERRIDES: ReadonlyMap<string, readonly string[]> = new Map([['authorization.k8s.io/SelfSubjectAccessReview', ['create']]]);

/** Subresources served beside `<plural>` (subresources.ts); the scale entries tell kubectl scale the Scale kind. */
const SUBRESOURCES: ReadonlyMap<string, readonly Record<string, unknown>[]> = new Map([
  ['apps/Deployment', [{ name: 'deployments/scale', group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] }]],
  ['apps/ReplicaSet', [{ name: 'replicasets/scale', group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] }]],
  [
    '/Pod',
    [
      { name: 'pods/attach', kind: 'PodAttachOptions', verbs: ['create', 'get'] },
      { name: 'pods/exec', kind: 'PodExecOptions', verbs: ['create', 'get'] },
      { name: 'pods/log', kind: 'Pod', verbs: ['get'] },
    ],
  ],
]);

/**
 * Tabby's own API group: resources answered by handlers of their own, never stored, so not in the
 * kind registry. `flows` (apiserver/flows.ts): the aggregated flow records, read-only — list and
 * watch (all namespaces or one), get by name; `flowevents`: the agents' batches, create only.
 */
export const TABBY_GROUP = { name: 'tabby.dev', version: 'v1' } as const;
const TABBY_RESOURCES: readonly { name: string; singularName: string; namespaced: boolean; kind: string; verbs: readonly string[] }[] = [
  { name: 'flowevents', singularName: 'flowevent', namespaced: false, kind: 'FlowEventBatch', verbs: ['create'] },
  { name: 'flows', singularName: 'flow', namespaced: true, kind: 'Flow', verbs: ['get', 'list', 'watch'] },
];

/** Every named group discovery lists: the served kinds' groups, then Tabby's own. */
export function discoveryGroups(kinds: readonly KindInfo[] = SERVED_KINDS): { name: string; versions: string[] }[] {
  return [...groups(kinds), { name: TABBY_GROUP.name, versions: [TABBY_GROUP.version] }];
}

export function shortNamesOf(k: KindInfo): readonly string[] {
  return SHORT_NAME_OVERRIDES.get(`${k.group}/${k.kind}`) ?? k.shortNames.filter((n) => n !== k.plural && n !== k.singular);
}

// Every function below takes the served kinds (default SERVED_KINDS; the CRD mode passes its own, crd-mode.ts).

export function findKind(group: string, version: string, plural: string, kinds: readonly KindInfo[] = SERVED_KINDS): KindInfo | undefined {
  return kinds.find((k) => k.group === group && k.version === version && k.plural === plural);
}

export function kindsOf(group: string, version: string, kinds: readonly KindInfo[] = SERVED_KINDS): KindInfo[] {
  return kinds.filter((k) => k.group === group && k.version === version);
}

/** Named groups (not the core group) with their versions, in discovery order. */
export function groups(kinds: readonly KindInfo[] = SERVED_KINDS): { name: string; versions: string[] }[] {
  const out: { name: string; versions: string[] }[] = [];
  for (const k of kinds) {
    if (k.group === '') continue;
    let g = out.find((x) => x.name === k.group);
    if (!g) out.push((g = { name: k.group, versions: [] }));
    if (!g.versions.includes(k.version)) g.versions.push(k.version);
  }
  return out;
}

export function apiVersions(serverAddress: string): unknown {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function _group(g: { name: string; versions: string[] }): unknown {
  const versions = g.versions.map((v) => ({ groupVersion: `${g.name}/${v}`, version: v }));
  return { name: g.name, versions, preferredVersion: versions[0] };
}

export function apiGroupList(kinds: readonly KindInfo[] = SERVED_KINDS): unknown {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: discoveryGroups(kinds).map(_group) };
}

export function apiGroup(name: string, kinds: readonly KindInfo[] = SERVED_KINDS): unknown | undefined {
  const g = discoveryGroups(kinds).find((x) => x.name === name);
  return g === undefined ? undefined : { kind: 'APIGroup', apiVersion: 'v1', ..._group(g) as object };
}

export function apiResourceList(group: string, version: string, served: readonly KindInfo[] = SERVED_KINDS): unknown | undefined {
  if (group === TABBY_GROUP.name && version === TABBY_GROUP.version)
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: `${group}/${version}`, resources: TABBY_RESOURCES.map((r) => ({ ...r, verbs: [...r.verbs] })) };
  const kinds = kindsOf(group, version, served);
  if (kinds.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: apiVersionOf({ group, version }),
    resources: kinds.flatMap((k) => {
      const categories = CATEGORIES.get(`${k.group}/${k.kind}`);
      const shortNames = shortNamesOf(k);
      const subs = (SUBRESOURCES.get(`${k.group}/${k.kind}`) ?? []).map((r) => ({ singularName: '', namespaced: k.namespaced, ...r }));
      return [
        {
          name: k.plural,
          singularName: k.singular,
          namespaced: k.namespaced,
          kind: k.kind,
          verbs: VERB_OVERRIDES.get(`${k.group}/${k.kind}`) ?? (k.dryRunOnly !== undefined ? DRY_RUN_ONLY_VERBS : VERBS),
          ...(shortNames.length > 0 ? { shortNames } : {}),
          ...(categories ? { categories } : {}),
        },
        ...subs,
      ];
    }),
  };
}

export const VERSION_INFO = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-tabby',
  // Recorded by `npm run build` (src/lib/build-info.ts); empty/epoch when run from source.
  gitCommit: BUILD_INFO.gitCommit === 'unknown' ? '' : BUILD_INFO.gitCommit,
  gitTreeState: BUILD_INFO.gitTreeState === 'unknown' ? '' : BUILD_INFO.gitTreeState,
  buildDate: BUILD_INFO.buildDate === 'unknown' ? '1970-01-01T00:00:00Z' : BUILD_INFO.buildDate,
  goVersion: 'node',
  compiler: 'tsc',
  platform: 'linux/amd64',
};
