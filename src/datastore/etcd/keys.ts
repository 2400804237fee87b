/**
 * @module The etcd key layout.
 *
 * projectcalico.org kinds use Calico's own layout (libcalico-go backend/model/resource.go), so
 * a real Calico component reading the same etcd sees what Tabby writes:
 *
 *     /calico/resources/v3/projectcalico.org/<plural>/<name>               cluster-scoped
 *     /calico/resources/v3/projectcalico.org/<plural>/<namespace>/<name>   namespaced
 *
 * Kubernetes kinds (which Calico keeps in the Kubernetes API server, not etcd) use a Tabby
 * layout beside it, with the API group spelled out ('core' for the '' group):
 *
 *     /calico/resources/v3/k8s/<group|core>/<plural>/[<namespace>/]<name>
 *
 * Values are the object's JSON without `metadata.resourceVersion`, which is the key's etcd
 * mod_revision on every read.
 */
import type { ObjectKey, ResourceType } from '../datastore.js';

export const CALICO_GROUP = 'projectcalico.org';
const ROOT = '/calico/resources/v3/';

/** Key prefix of one collection, ending in '/'. */
export function etcdCollectionPrefix(type: ResourceType): string {
  if (type.group === CALICO_GROUP) return `${ROOT}${CALICO_GROUP}/${type.plural}/`;
  return `${ROOT}k8s/${type.group === '' ? 'core' : type.group}/${type.plural}/`;
}

/** Prefix for a list or watch: the collection, or one namespace of it. */
export function etcdPrefixFor(type: ResourceType, namespace?: string): string {
  const base = etcdCollectionPrefix(type);
  return namespace === undefined || namespace === '' ? base : `${base}${namespace}/`;
}

export function etcdKeyFor(key: ObjectKey): string {
  return `${etcdCollectionPrefix(key)}${key.namespace === '' ? '' : `${key.namespace}/`}${key.name}`;
}

/** The object key for an etcd key under `type`'s prefix; undefined for keys of other shapes. */
export function parseEtcdKey(type: ResourceType, etcdKey: string): ObjectKey | undefined {
  const prefix = etcdCollectionPrefix(type);
  if (!etcdKey.startsWith(prefix)) return undefined;
  const parts = etcdKey.slice(prefix.length).split('/');
  const [a, b] = parts;
  if (parts.length === 1 && a !== undefined && a !== '') return { group: type.group, plural: type.plural, namespace: '', name: a };
  if (parts.length === 2 && a !== undefined && a !== '' && b !== undefined && b !== '') {
    return { group: type.group, plural: type.plural, namespace: a, name: b };
  }
  return undefined;
}
