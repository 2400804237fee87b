/**
 * @module What the live-cluster reader reads: one row per resource type (API group, version,
 * plural), the verbs it uses on it, and the ClusterRole that grants exactly that (`tabby rbac`).
 *
 * The types are the kinds the engine reads (the kind registry minus the kinds that cannot
 * change a verdict), in one of two forms for Calico's: the Calico API server's
 * `projectcalico.org/v3`, or the `crd.projectcalico.org/v1` CRDs of Calico's Kubernetes
 * datastore (which has no Profile, WorkloadEndpoint or Calico Node CRDs: Calico derives those
 * from Namespaces, ServiceAccounts, Pods and Nodes, and so does the engine). WorkloadEndpoints
 * are not read in either form: on Kubernetes each is a Pod's, and the Pods are read.
 *
 * Invariant: the reader lists only rows of this table, and `tabby rbac` prints this table, so
 * the role printed is the privilege used.
 */
import { ALL_KINDS } from '../../model/kinds.js';

export const CALICO_V3 = 'projectcalico.org';
export const CALICO_CRD = 'crd.projectcalico.org';
export type CalicoApi = typeof CALICO_V3 | typeof CALICO_CRD | 'none';

export interface ReadType {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

/** Kinds in the registry that no verdict depends on, so the reader does not ask for them. */
const _NOT_READ = new Set([
  'Deployment', // pods carry everything the engine reads
  'ReplicaSet',
  'Event',
  'CalicoAPIConfig', // calicoctl's own configuration, not a cluster resource
  'KubeControllersConfiguration', // kube-controllers' settings; no policy effect
  // On Kubernetes every WorkloadEndpoint is a Pod's (libcalico-go derives them; the Calico API
  // server lists them from the Pods): the engine derives them from the Pods it reads anyway.
  'WorkloadEndpoint',
]);

/** The Calico kinds that exist as CRDs in Calico's Kubernetes datastore (libcalico-go KDD). */
const _CRD_KINDS = new Set([
  'NetworkPolicy',
  'GlobalNetworkPolicy',
  'StagedNetworkPolicy',
  'StagedGlobalNetworkPolicy',
  'StagedKubernetesNetworkPolicy',
  'Tier',
  'HostEndpoint',
  'GlobalNetworkSet',
  'NetworkSet',
  'FelixConfiguration',
]);

function _rows(): { base: ReadType[]; v3: ReadType[]; crd: ReadType[] } {
  const base: ReadType[] = [];
  const v3: ReadType[] = [];
  const crd: ReadType[] = [];
  for (const k of ALL_KINDS) {
    if (_NOT_READ.has(k.kind) || k.neverStored === true || k.readOnly === true) continue;
    const row = { group: k.group, version: k.version, plural: k.plural, kind: k.kind, namespaced: k.namespaced };
    if (k.group === CALICO_V3) {
      v3.push(row);
      if (_CRD_KINDS.has(k.kind)) crd.push({ ...row, group: CALICO_CRD, version: 'v1' });
    } else base.push(row);
  }
  return { base, v3, crd };
}

const ROWS = _rows();

/** The Kubernetes types the reader lists on every cluster. */
export const BASE_TYPES: readonly ReadType[] = ROWS.base;
/** The Calico types, per API. */
export function calicoTypes(api: CalicoApi): readonly ReadType[] {
  return api === CALICO_V3 ? ROWS.v3 : api === CALICO_CRD ? ROWS.crd : [];
}

/**
 * The verbs the reader uses: list (paged) for every command, and watch for `tabby dashboard
 * --kubeconfig`, which keeps its snapshot live (live.ts). One role grants both.
 */
export const READ_VERBS = ['list', 'watch'] as const;

export const ROLE_NAME = 'tabby-reader';

export interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
}

/** The RBAC rules for reading a cluster that offers `api`, one rule per API group, sorted. */
export function readerRules(api: CalicoApi): PolicyRule[] {
  const byGroup = new Map<string, Set<string>>();
  for (const t of [...BASE_TYPES, ...calicoTypes(api)]) {
    let s = byGroup.get(t.group);
    if (s === undefined) byGroup.set(t.group, (s = new Set()));
    s.add(t.plural);
  }
  return [...byGroup.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([g, s]) => ({ apiGroups: [g], resources: [...s].sort(), verbs: [...READ_VERBS] }));
}

/** The ClusterRole (and a ClusterRoleBinding to a ServiceAccount) as Kubernetes objects. */
export function readerRole(api: CalicoApi, subject: { namespace: string; serviceAccount: string }): { role: object; binding: object } {
  const role = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: ROLE_NAME, labels: { 'app.kubernetes.io/name': 'tabby' } },
    rules: readerRules(api),
  };
  const binding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: ROLE_NAME },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: ROLE_NAME },
    subjects: [{ kind: 'ServiceAccount', name: subject.serviceAccount, namespace: subject.namespace }],
  };
  return { role, binding };
}

/** `/api/v1/pods`, `/apis/projectcalico.org/v3/tiers` (all namespaces). */
export function listPath(t: ReadType): string {
  return t.group === '' ? `/api/${t.version}/${t.plural}` : `/apis/${t.group}/${t.version}/${t.plural}`;
}

/** `pods`, `tiers.projectcalico.org`: as kubectl and RBAC messages name a resource. */
export function qualifiedName(t: { group: string; plural: string }): string {
  return t.group === '' ? t.plural : `${t.plural}.${t.group}`;
}
