/**
 * @module The Calico objects the ResourceClient shows beside the stored ones, derived as Calico's
 * API server derives them (model/calico/derived.ts): the built-in tiers and the `default`
 * FelixConfiguration (a stored object of the same name replaces them), the
 * `projectcalico-default-allow`, `kns.*` and `ksa.*` profiles, and one WorkloadEndpoint per pod
 * (read-only). calicoctl and the API server both list through the ResourceClient, so
 * `calicoctl get` and `kubectl get` agree.
 */
import type { Datastore, ResourceType, StoredObject } from '../datastore/index.js';
import { NotFoundError } from '../datastore/index.js';
import {
  builtInTiers,
  defaultAllowProfile,
  defaultFelixConfiguration,
  DEFAULT_ALLOW_PROFILE,
  namespaceProfile,
  NAMESPACE_PROFILE_PREFIX,
  podWorkloadEndpoint,
  serviceAccountProfile,
  SERVICE_ACCOUNT_PROFILE_PREFIX,
  type DerivedObject,
} from '../model/calico/derived.js';

export interface BuiltinView {
  /** Every derived object (in one namespace, for namespaced kinds, when given). */
  list(ds: Datastore, namespace: string | undefined): Promise<{ items: StoredObject[]; revision: string }>;
  /** The derived object of this name, if there is one now. */
  get(ds: Datastore, namespace: string | undefined, name: string): Promise<StoredObject | undefined>;
  /**
   * True: a stored object of the same name replaces the derived one, and writes store it (the
   * built-in tiers, the default FelixConfiguration). False: derived names are read-only.
   */
  readonly overridable: boolean;
  /** Names reserved for derived objects even when none exists now (written objects would be shadowed). */
  reserved?(name: string): boolean;
  /** For watches: the one source type whose objects convert one to one. */
  readonly watch?: { readonly type: ResourceType; convert(o: StoredObject): StoredObject | undefined };
}

const POD: ResourceType = { group: '', plural: 'pods' };
const NAMESPACE: ResourceType = { group: '', plural: 'namespaces' };
const SERVICE_ACCOUNT: ResourceType = { group: '', plural: 'serviceaccounts' };

const _stored = (o: DerivedObject): StoredObject => o as unknown as StoredObject;

async function _getOrUndefined(ds: Datastore, key: Parameters<Datastore['get']>[0]): Promise<StoredObject | undefined> {
  try {
    return await ds.get(key);
  } catch (e) {
    if (e instanceof NotFoundError) return undefined;
    throw e;
  }
}

/**
 * Built-in objects are as old as the cluster: they take the `default` Namespace's creation time
 * (the API server creates it at first start), so `kubectl get` shows an age.
 */
async function _born(ds: Datastore, o: DerivedObject): Promise<StoredObject> {
  const ns = await _getOrUndefined(ds, { ...NAMESPACE, namespace: '', name: 'default' });
  const t = ns?.metadata.creationTimestamp;
  return _stored(t === undefined ? o : { ...o, metadata: { ...o.metadata, creationTimestamp: t } });
}

function _constant(make: () => DerivedObject[]): Pick<BuiltinView, 'list' | 'get'> {
  return {
    list: async (ds) => {
      const items: StoredObject[] = [];
      for (const o of make()) items.push(await _born(ds, o));
      // constants: the stored objects of the kind give the list its revision
      return { items, revision: '0' };
    },
    get: async (ds, _ns, name) => {
      const o = make().find((x) => x.metadata.name === name);
      return o === undefined ? undefined : _born(ds, o);
    },
  };
}

const TIERS: BuiltinView = { ..._constant(builtInTiers), overridable: true };

const FELIX: BuiltinView = { ..._constant(() => [defaultFelixConfiguration()]), overridable: true };

const PROFILES: BuiltinView = {
  overridable: false,
  reserved: (name) => name === DEFAULT_ALLOW_PROFILE || name.startsWith(NAMESPACE_PROFILE_PREFIX) || name.startsWith(SERVICE_ACCOUNT_PROFILE_PREFIX),
  list: async (ds) => {
    const nss = await ds.list(NAMESPACE);
    const sas = await ds.list(SERVICE_ACCOUNT);
    const items = [await _born(ds, defaultAllowProfile()), ...[...nss.items.map(namespaceProfile), ...sas.items.map(serviceAccountProfile)].map(_stored)];
    return { items, revision: BigInt(sas.revision) > BigInt(nss.revision) ? sas.revision : nss.revision };
  },
  get: async (ds, _ns, name) => {
    if (name === DEFAULT_ALLOW_PROFILE) return _born(ds, defaultAllowProfile());
    if (name.startsWith(NAMESPACE_PROFILE_PREFIX)) {
      const ns = await _getOrUndefined(ds, { ...NAMESPACE, namespace: '', name: name.slice(NAMESPACE_PROFILE_PREFIX.length) });
      return ns === undefined ? undefined : _stored(namespaceProfile(ns));
    }
    if (name.startsWith(SERVICE_ACCOUNT_PROFILE_PREFIX)) {
      // ksa.<namespace>.<name>: namespaces are DNS labels (no dots), so the first dot ends it
      const rest = name.slice(SERVICE_ACCOUNT_PROFILE_PREFIX.length);
      const dot = rest.indexOf('.');
      if (dot <= 0) return undefined;
      const sa = await _getOrUndefined(ds, { ...SERVICE_ACCOUNT, namespace: rest.slice(0, dot), name: rest.slice(dot + 1) });
      return sa === undefined ? undefined : _stored(serviceAccountProfile(sa));
    }
    return undefined;
  },
  // kns.* follow their Namespaces in a watch; ksa.* show in lists and gets (a watch starts with them)
  watch: { type: NAMESPACE, convert: (o) => _stored(namespaceProfile(o)) },
};

const WORKLOAD_ENDPOINTS: BuiltinView = {
  overridable: false,
  list: async (ds, namespace) => {
    const pods = await ds.list({ ...POD, ...(namespace === undefined ? {} : { namespace }) });
    const items: StoredObject[] = [];
    for (const p of pods.items) {
      const w = podWorkloadEndpoint(p);
      if (w !== undefined) items.push(_stored(w));
    }
    return { items, revision: pods.revision };
  },
  get: async (ds, namespace, name) => {
    const pods = await ds.list({ ...POD, namespace: namespace ?? 'default' });
    for (const p of pods.items) {
      const w = podWorkloadEndpoint(p);
      if (w !== undefined && w.metadata.name === name) return _stored(w);
    }
    return undefined;
  },
  watch: {
    type: POD,
    convert: (o) => {
      const w = podWorkloadEndpoint(o);
      return w === undefined ? undefined : _stored(w);
    },
  },
};

/** `group/Kind` → its derived objects. */
export const BUILTIN_VIEWS: ReadonlyMap<string, BuiltinView> = new Map([
  ['projectcalico.org/Tier', TIERS],
  ['projectcalico.org/FelixConfiguration', FELIX],
  ['projectcalico.org/Profile', PROFILES],
  ['projectcalico.org/WorkloadEndpoint', WORKLOAD_ENDPOINTS],
]);
