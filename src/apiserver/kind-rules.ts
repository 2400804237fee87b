/**
 * @module Per-kind REST behaviour that kube-apiserver takes from each kind's registry strategy,
 * as data: which kinds have a `status` subresource, which field selectors each kind supports,
 * and which kinds answer DELETE with the deleted object rather than a `Status` of `Success`.
 * Pure.
 */
import type { KindInfo } from '../model/kind-info.js';
import type { FieldSupport } from './selectors.js';

const _id = (k: Pick<KindInfo, 'group' | 'kind'>): string => `${k.group}/${k.kind}`;

/** Kinds with a `/status` subresource: PUT/PATCH of the main resource leaves status alone, `/status` changes only status. */
const STATUS_KINDS = new Set([
  '/Pod',
  '/Node',
  '/Namespace',
  '/Service',
  '/PersistentVolume',
  '/PersistentVolumeClaim',
  '/ReplicationController',
  'apps/Deployment',
  'apps/ReplicaSet',
  'apps/StatefulSet',
  'apps/DaemonSet',
  'batch/Job',
  'batch/CronJob',
  // custom resources whose CRD declares `subresources: {status: {}}`
  'policy.networking.k8s.io/AdminNetworkPolicy',
  'policy.networking.k8s.io/BaselineAdminNetworkPolicy',
]);

export const hasStatusSubresource = (k: Pick<KindInfo, 'group' | 'kind'>): boolean => STATUS_KINDS.has(_id(k));

/**
 * Kinds whose storage returns the deleted object (`ReturnDeletedObject: true` in Kubernetes'
 * registries: pods, services, nodes, service accounts, persistent volumes and claims; namespaces
 * return the namespace; custom resources, which Calico's kinds are, return the object). Every
 * other built-in kind (networking.k8s.io NetworkPolicy, ConfigMap, Secret, Deployment, ...)
 * answers a `Status` of `Success`.
 */
const RETURNS_OBJECT = new Set(['/Pod', '/Service', '/Node', '/ServiceAccount', '/PersistentVolume', '/PersistentVolumeClaim', '/Namespace']);

export function deleteReturnsObject(k: Pick<KindInfo, 'group' | 'kind'>): boolean {
  if (!_isBuiltIn(k.group)) return true;
  return RETURNS_OBJECT.has(_id(k));
}

/** Groups under `.k8s.io` that are served by CRDs, not built in (the network-policy-api). */
const CRD_GROUPS = new Set(['policy.networking.k8s.io']);

const _isBuiltIn = (group: string): boolean => !CRD_GROUPS.has(group) && (group === '' || group.endsWith('.k8s.io') || !group.includes('.'));

const META = ['metadata.name', 'metadata.namespace'];

/** Field selectors beyond metadata.name/namespace, from each kind's `GetAttrs`/`SelectableFields`. */
const EXTRA_FIELDS: ReadonlyMap<string, readonly string[]> = new Map([
  [
    '/Pod',
    ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.podIPs', 'status.nominatedNodeName'],
  ],
  ['/Node', ['spec.unschedulable']],
  ['/Namespace', ['status.phase']],
  ['/Secret', ['type']],
  ['/Service', ['spec.clusterIP', 'spec.type']],
  ['/ReplicationController', ['status.replicas']],
  [
    '/Event',
    [
      'involvedObject.kind',
      'involvedObject.namespace',
      'involvedObject.name',
      'involvedObject.uid',
      'involvedObject.apiVersion',
      'involvedObject.resourceVersion',
      'involvedObject.fieldPath',
      'reason',
      'reportingComponent',
      'source',
      'type',
    ],
  ],
  ['events.k8s.io/Event', ['reason', 'regarding.kind', 'regarding.namespace', 'regarding.name', 'regarding.uid', 'regarding.apiVersion', 'regarding.resourceVersion', 'regarding.fieldPath', 'reportingController', 'type']],
  ['apps/ReplicaSet', ['status.replicas']],
  ['batch/Job', ['status.successful']],
  ['certificates.k8s.io/CertificateSigningRequest', ['spec.signerName']],
]);

export function fieldSupport(k: Pick<KindInfo, 'group' | 'kind'>): FieldSupport {
  return { fields: new Set([...META, ...(EXTRA_FIELDS.get(_id(k)) ?? [])]), custom: !_isBuiltIn(k.group) };
}
