/**
 * @module The one write path (used by calicoctl and the API server): decode → default →
 * validate → store. Nothing invalid reaches the datastore.
 *
 * Also the Calico view of Kubernetes NetworkPolicies: listing or getting projectcalico.org
 * NetworkPolicies includes every networking.k8s.io NetworkPolicy converted to
 * `knp.default.<name>` (read-only, as in Calico), and StagedKubernetesNetworkPolicies likewise
 * under StagedNetworkPolicy.
 *
 * And the objects Calico has without anyone creating them (builtins.ts): the built-in tiers and
 * the `default` FelixConfiguration (a stored object of the same name replaces them; `default` and
 * `adminnetworkpolicy` cannot be deleted, nor can a tier that still holds policies), the
 * `projectcalico-default-allow`, `kns.*` and `ksa.*` profiles and one WorkloadEndpoint per pod
 * (read-only).
 */
import type { Datastore, ObjectKey, StoredObject, LabelPredicate, ResourceType } from '../datastore/index.js';
import { AlreadyExistsError, ConflictError, NotFoundError } from '../datastore/index.js';
import { decodeResource, type DecodedResource } from '../model/validate-resource.js';
import type { KindInfo } from '../model/kind-info.js';
import { kindFor } from '../model/kinds.js';
import { FieldPath } from '../model/field/path.js';
import { invalid } from '../model/field/errors.js';
import { isPlainObject } from '../model/decode/decoder.js';
import type { ObjectMeta, Resource } from '../model/meta.js';
import { convertKubernetesNetworkPolicy } from '../model/convert/index.js';
import { ForbiddenError, InvalidError, OperationNotSupportedError } from './errors.js';
import { KubeDatastore } from '../datastore/kube/index.js';
import { admitWrite, isProviderManaged, released, takeForce, withForceAnnotation } from './admission.js';
import { BUILTIN_VIEWS, type BuiltinView } from './builtins.js';
import { DERIVED_ANNOTATION, isDerived, UNDELETABLE_TIERS } from '../model/calico/derived.js';

export interface WriteOptions {
  /** Validate and compute the result, but store nothing. */
  readonly dryRun?: boolean;
  /** Namespace for namespaced kinds whose manifest names none (calicoctl `-n`, default `default`). */
  readonly defaultNamespace?: string;
  /** Change or delete a provider-managed object anyway (see admission.ts). */
  readonly force?: boolean;
}

export interface ApplyOptions extends WriteOptions {
  /**
   * The stored object as a recent list saw it (null: absent), from existing(); undefined reads
   * it. Only a hint: the write still compares resourceVersions and retries on a conflict.
   */
  readonly current?: StoredObject | null;
}

/** The key of existing()'s map. */
export function existingKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

export type WriteOutcome = 'created' | 'updated' | 'unchanged';

export interface WriteResult {
  readonly object: StoredObject;
  readonly outcome: WriteOutcome;
}

export interface ListOptions {
  /** A namespace; undefined means every namespace. */
  readonly namespace?: string;
  readonly labels?: LabelPredicate;
  /** The snapshot at this store revision (paged lists); see Datastore ListQuery.revision. */
  readonly revision?: string;
  /** Only objects after this `namespace + "\u0000" + name` key (a hint: callers still filter); see ListQuery.after. */
  readonly after?: string;
  /** A hint: enough for a page of this many (see ListQuery.limit); ignored for kinds with derived objects. */
  readonly limit?: number;
}

/** Prefix of Calico policies derived from Kubernetes NetworkPolicies. */
export const KNP_PREFIX = 'knp.default.';

/** A derived view: Calico kind X also shows objects of kind `source`, converted. */
interface DerivedView {
  readonly source: KindInfo;
  readonly prefix: string;
  convert(obj: StoredObject): StoredObject | undefined;
}

const APPLY_RETRIES = 20;

export class ResourceClient {
  private readonly views = new Map<KindInfo, DerivedView>();

  /**
   * `extraKinds`: kinds outside the model's registry that this client also writes (the API
   * server's CRD mode: `crd.projectcalico.org/v1`, CustomResourceDefinition).
   */
  constructor(
    readonly ds: Datastore,
    private readonly extraKinds: readonly KindInfo[] = [],
  ) {
    const calicoNp = kindFor('projectcalico.org/v3', 'NetworkPolicy');
    const k8sNp = kindFor('networking.k8s.io/v1', 'NetworkPolicy');
    if (calicoNp && k8sNp)
      this.views.set(calicoNp, {
        source: k8sNp,
        prefix: KNP_PREFIX,
        convert: (o) => _withServerMeta(convertKubernetesNetworkPolicy(o).policy, o),
      });
  }

  /** Decodes, defaults and validates; throws InvalidError with every field problem. */
  decode(raw: unknown, opts: WriteOptions = {}): DecodedResource {
    const r = decodeResource(raw, undefined, this.extraKinds);
    const name = _nameOf(raw);
    if (!r.ok) throw new InvalidError(_kindOf(raw), name, r.error);
    return this._finish(r.value, opts);
  }

  /** What every write adds to a decoded resource: the default namespace, the derived-view name check. */
  private _finish(d: DecodedResource, opts: WriteOptions): DecodedResource {
    const { info, resource } = d;
    const meta: ObjectMeta = { ...(resource.metadata ?? {}) };
    if (info.namespaced && (meta.namespace ?? '') === '') meta.namespace = opts.defaultNamespace ?? 'default';
    if (meta.annotations !== undefined && Object.prototype.hasOwnProperty.call(meta.annotations, DERIVED_ANNOTATION)) {
      // the marker of a derived object read back (`kubectl get -o yaml` of a built-in tier, edited): never stored
      const { [DERIVED_ANNOTATION]: _marker, ...rest } = meta.annotations;
      if (Object.keys(rest).length > 0) meta.annotations = rest;
      else delete meta.annotations;
    }
    const view = this.views.get(info);
    if (view && (meta.name ?? '').startsWith(view.prefix))
      throw new InvalidError(info.kind, meta.name ?? '', [
        invalid(
          FieldPath.root('metadata').child('name'),
          meta.name,
          `names starting with "${view.prefix}" belong to Kubernetes ${view.source.kind}s, which are read-only through the Calico API; change the Kubernetes object with kubectl instead`,
        ),
      ]);
    return { info, resource: { ...resource, metadata: meta } };
  }

  /**
   * A resource decoded, defaulted and validated already (by parseManifests, with the same
   * decodeResource), ready for createDecoded/applyDecoded: only the force annotation is taken
   * off (which cannot make it invalid) and the write's own checks run, so validation runs once.
   */
  private _admitDecoded(d: DecodedResource, opts: WriteOptions): { decoded: DecodedResource; force: boolean } {
    const t = takeForce(d.resource);
    return { decoded: this._finish({ info: d.info, resource: t.raw as Resource }, opts), force: t.force || opts.force === true };
  }

  /**
   * Every stored object of a kind (not its derived view), keyed by `namespace/name`: one list
   * instead of a get per object when applying a large batch (pass the entry, or null when
   * absent, as `ApplyOptions.current`).
   */
  async existing(info: KindInfo, namespace?: string): Promise<Map<string, StoredObject>> {
    const own = await this.ds.list({ ...this._type(info), ...(info.namespaced && namespace !== undefined ? { namespace } : {}) });
    return new Map(own.items.map((o) => [existingKey(o.metadata.namespace, o.metadata.name ?? ''), o]));
  }

  private _type(info: KindInfo) {
    return { group: info.group, plural: info.plural };
  }

  private _key(info: KindInfo, namespace: string | undefined, name: string): ObjectKey {
    return { ...this._type(info), namespace: info.namespaced ? (namespace ?? 'default') : '', name };
  }

  async create(input: unknown, opts: WriteOptions = {}): Promise<WriteResult> {
    const { raw } = this._admission(input, opts);
    return this._create(this.decode(raw, opts), opts);
  }

  /** create() for a resource decodeResource already accepted (see _admitDecoded). */
  async createDecoded(d: DecodedResource, opts: WriteOptions = {}): Promise<WriteResult> {
    return this._create(this._admitDecoded(d, opts).decoded, opts);
  }

  private async _create({ info, resource }: DecodedResource, opts: WriteOptions): Promise<WriteResult> {
    const obj = resource as StoredObject;
    const builtin = await this._builtinWrite(info, obj.metadata.namespace, obj.metadata.name ?? '', 'Create');
    if (builtin !== undefined && !builtin.stored) throw new AlreadyExistsError(this._key(info, obj.metadata.namespace, obj.metadata.name ?? ''));
    if (opts.dryRun) {
      await this._expectAbsent(info, obj);
      return { object: obj, outcome: 'created' };
    }
    return { object: await this.ds.create(this._type(info), _stripServerFields(obj)), outcome: 'created' };
  }

  private async _expectAbsent(info: KindInfo, obj: StoredObject): Promise<void> {
    const key = this._key(info, obj.metadata.namespace, obj.metadata.name ?? '');
    try {
      await this.ds.get(key);
    } catch (e) {
      if (e instanceof NotFoundError) return;
      throw e;
    }
    throw new AlreadyExistsError(key);
  }

  /**
   * Replaces an existing object. With `metadata.resourceVersion` in the input, a stale version
   * is a ConflictError (reported, not retried, as calicoctl replace does).
   */
  async replace(input: unknown, opts: WriteOptions = {}): Promise<WriteResult> {
    const { raw, force } = this._admission(input, opts);
    const { info, resource } = this.decode(raw, opts);
    const obj = resource as StoredObject;
    const key = this._key(info, obj.metadata.namespace, obj.metadata.name ?? '');
    const builtin = await this._builtinWrite(info, obj.metadata.namespace, obj.metadata.name ?? '', 'Update');
    if (builtin !== undefined && !builtin.stored) {
      // a built-in tier or the default FelixConfiguration: the first write stores it
      if (opts.dryRun) return { object: obj, outcome: 'updated' };
      return { object: await this.ds.create(this._type(info), _stripServerFields(obj)), outcome: 'updated' };
    }
    const current = await this.ds.get(key);
    const next = _carryServerFields(obj, current, obj.metadata.resourceVersion ?? current.metadata.resourceVersion);
    if (!_sameContent(next, current)) admitWrite('update', current, force);
    if (opts.dryRun) {
      if (obj.metadata.resourceVersion !== undefined && obj.metadata.resourceVersion !== current.metadata.resourceVersion)
        throw new ConflictError(key);
      return { object: next, outcome: _sameContent(next, current) ? 'unchanged' : 'updated' };
    }
    return { object: await this.ds.update(this._type(info), this._outgoing(next, current, force)), outcome: 'updated' };
  }

  /** Creates or updates; conflicts with concurrent writers are retried. */
  async apply(input: unknown, opts: WriteOptions = {}): Promise<WriteResult> {
    const { raw, force } = this._admission(input, opts);
    return this._apply(this.decode(raw, opts), force, opts);
  }

  /**
   * apply() for a resource decodeResource already accepted (see _admitDecoded). With
   * `opts.current` (from existing()) the first attempt skips the read; a stale hint only costs
   * a retry, as with any concurrent writer.
   */
  async applyDecoded(d: DecodedResource, opts: ApplyOptions = {}): Promise<WriteResult> {
    const { decoded, force } = this._admitDecoded(d, opts);
    return this._apply(decoded, force, opts);
  }

  private async _apply({ info, resource }: DecodedResource, force: boolean, opts: ApplyOptions): Promise<WriteResult> {
    const obj = resource as StoredObject;
    const key = this._key(info, obj.metadata.namespace, obj.metadata.name ?? '');
    await this._builtinWrite(info, obj.metadata.namespace, obj.metadata.name ?? '', 'Update');
    for (let attempt = 0; ; attempt++) {
      let current: StoredObject | undefined;
      if (attempt === 0 && opts.current !== undefined) current = opts.current ?? undefined;
      else
        try {
          current = await this.ds.get(key);
        } catch (e) {
          if (!(e instanceof NotFoundError)) throw e;
        }
      try {
        if (current === undefined) {
          if (opts.dryRun) return { object: obj, outcome: 'created' };
          return { object: await this.ds.create(this._type(info), _stripServerFields(obj)), outcome: 'created' };
        }
        const next = _carryServerFields(obj, current, current.metadata.resourceVersion);
        if (_sameContent(next, current)) return { object: current, outcome: 'unchanged' };
        admitWrite('update', current, force);
        if (opts.dryRun) return { object: next, outcome: 'updated' };
        return { object: await this.ds.update(this._type(info), this._outgoing(next, current, force)), outcome: 'updated' };
      } catch (e) {
        const retriable = e instanceof ConflictError || e instanceof AlreadyExistsError;
        if (!retriable || attempt >= APPLY_RETRIES) throw e;
      }
    }
  }

  /**
   * The derived view a kind shows beside its own objects (Calico NetworkPolicy: the
   * `knp.default.*` policies converted from Kubernetes NetworkPolicies), for watchers that must
   * follow both; undefined for other kinds.
   */
  derivedSource(info: KindInfo): { readonly type: ResourceType; convert(o: StoredObject): StoredObject | undefined } | undefined {
    const view = this.views.get(info);
    if (view) return { type: this._type(view.source), convert: (o) => view.convert(o) };
    return this._builtin(info)?.watch;
  }

  private _builtin(info: KindInfo): BuiltinView | undefined {
    return BUILTIN_VIEWS.get(`${info.group}/${info.kind}`);
  }

  /**
   * The write check for kinds with derived objects: a read-only derived name is refused; for an
   * overridable built-in (tiers, the default FelixConfiguration) tells whether it is stored yet.
   * Undefined when the name is no derived object's.
   */
  private async _builtinWrite(info: KindInfo, namespace: string | undefined, name: string, verb: 'Create' | 'Update' | 'Delete'): Promise<{ stored: boolean } | undefined> {
    const view = this._builtin(info);
    if (view === undefined) return undefined;
    const derived = await view.get(this.ds, namespace, name);
    if (!view.overridable) {
      if (derived === undefined && !(view.reserved?.(name) ?? false)) return undefined;
      const from = derived?.metadata.annotations?.[DERIVED_ANNOTATION];
      const id = `${info.kind}(${info.namespaced ? `${namespace ?? 'default'}/` : ''}${name})`;
      throw new OperationNotSupportedError(
        verb,
        id,
        `${from !== undefined ? `it is derived from ${from}` : 'the name is reserved for objects Calico derives from Kubernetes'} and is read-only`,
      );
    }
    if (derived === undefined) return undefined;
    try {
      await this.ds.get(this._key(info, namespace, name));
      return { stored: true };
    } catch (e) {
      if (e instanceof NotFoundError) return { stored: false };
      throw e;
    }
  }

  async get(info: KindInfo, namespace: string | undefined, name: string): Promise<StoredObject> {
    const view = this.views.get(info);
    if (view && name.startsWith(view.prefix)) {
      const src = await this.ds.get(this._key(view.source, namespace, name.slice(view.prefix.length)));
      const conv = view.convert(src);
      if (conv) return conv;
      throw new NotFoundError(this._key(info, namespace, name));
    }
    const builtin = this._builtin(info);
    if (builtin === undefined) return this.ds.get(this._key(info, namespace, name));
    try {
      return await this.ds.get(this._key(info, namespace, name));
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
      const d = await builtin.get(this.ds, namespace, name);
      if (d === undefined) throw e;
      return d;
    }
  }

  async list(info: KindInfo, opts: ListOptions = {}): Promise<{ items: StoredObject[]; revision: string; remaining?: number }> {
    const q = {
      ...this._type(info),
      ...(info.namespaced && opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
      ...(opts.labels ? { labels: opts.labels } : {}),
      ...(opts.revision ? { revision: opts.revision } : {}),
      ...(opts.after !== undefined && !this.views.has(info) ? { after: opts.after } : {}),
      // objects merged in from views and built-ins would fall among the stored ones: no early stop then
      ...(opts.limit !== undefined && !this.views.has(info) && this._builtin(info) === undefined ? { limit: opts.limit } : {}),
    };
    const own = await this.ds.list(q);
    const items = [...own.items];
    let revision = own.revision;
    const view = this.views.get(info);
    if (view) {
      // Both lists at one revision, so the merged list is one snapshot.
      const src = await this.ds.list({ ...q, group: view.source.group, plural: view.source.plural, revision: own.revision });
      for (const o of src.items) {
        const c = view.convert(o);
        if (c && (!opts.labels || opts.labels(c.metadata.labels ?? {}))) items.push(c);
      }
      if (BigInt(src.revision) > BigInt(revision)) revision = src.revision;
      items.sort(_byNamespaceName);
    }
    const builtin = this._builtin(info);
    if (builtin) {
      const d = await builtin.list(this.ds, info.namespaced ? opts.namespace : undefined);
      const stored = new Set(items.map((o) => existingKey(o.metadata.namespace, o.metadata.name ?? '')));
      for (const o of d.items)
        if (!stored.has(existingKey(o.metadata.namespace, o.metadata.name ?? '')) && (!opts.labels || opts.labels(o.metadata.labels ?? {}))) items.push(o);
      if (BigInt(d.revision) > BigInt(revision)) revision = d.revision;
      items.sort(_byNamespaceName);
    }
    return { items, revision, ...(own.remaining === undefined ? {} : { remaining: own.remaining }) };
  }

  async delete(
    info: KindInfo,
    namespace: string | undefined,
    name: string,
    opts: { dryRun?: boolean; resourceVersion?: string; force?: boolean } = {},
  ): Promise<StoredObject> {
    const view = this.views.get(info);
    if (view && name.startsWith(view.prefix))
      throw new ForbiddenError(
        `${info.kind} "${name}" is derived from the Kubernetes ${view.source.kind} "${name.slice(view.prefix.length)}" and is read-only here; delete it with kubectl`,
      );
    const key = this._key(info, namespace, name);
    await this._tierDelete(info, name);
    const builtin = await this._builtinWrite(info, namespace, name, 'Delete');
    if (builtin !== undefined && !builtin.stored)
      throw new OperationNotSupportedError('Delete', `${info.kind}(${name})`, 'it is built in (Calico creates it), and nothing is stored to delete');
    const current = await this.ds.get(key);
    admitWrite('delete', current, opts.force === true);
    if (opts.dryRun) return current;
    let rv = opts.resourceVersion;
    if (this._releaseBeforeDelete(current, opts.force === true)) {
      if (rv !== undefined && rv !== current.metadata.resourceVersion) throw new ConflictError(key);
      const rel = await this.ds.update(this._type(info), withForceAnnotation(released(current)));
      if (rv !== undefined) rv = rel.metadata.resourceVersion;
    }
    return this.ds.delete(key, rv === undefined ? undefined : { resourceVersion: rv });
  }

  /** Changes a stored object with `mutate` (on a copy), re-validating, retrying on conflicts. */
  async modify(
    info: KindInfo,
    namespace: string | undefined,
    name: string,
    mutate: (obj: Record<string, unknown>) => Record<string, unknown>,
    opts: WriteOptions = {},
  ): Promise<WriteResult> {
    await this._builtinWrite(info, namespace, name, 'Update');
    for (let attempt = 0; ; attempt++) {
      const current = await this.get(info, namespace, name);
      const { raw: next, force } = this._admission(mutate(structuredClone(current) as unknown as Record<string, unknown>), opts);
      const { resource } = this.decode(next, opts);
      if (isDerived(current)) {
        // a built-in not stored yet: the first change stores it
        const created = _withoutDerivedMarker(resource as StoredObject);
        if (opts.dryRun) return { object: created, outcome: 'updated' };
        return { object: await this.ds.create(this._type(info), _stripServerFields(created)), outcome: 'updated' };
      }
      const obj = _carryServerFields(resource as StoredObject, current, current.metadata.resourceVersion);
      if (_sameContent(obj, current)) return { object: current, outcome: 'unchanged' };
      admitWrite('update', current, force);
      if (opts.dryRun) return { object: obj, outcome: 'updated' };
      try {
        return { object: await this.ds.update(this._type(info), this._outgoing(obj, current, force)), outcome: 'updated' };
      } catch (e) {
        if (!(e instanceof ConflictError) || attempt >= APPLY_RETRIES) throw e;
      }
    }
  }

  /**
   * Calico refuses to delete the `default` and `adminnetworkpolicy` tiers, and any tier that
   * still holds a NetworkPolicy or GlobalNetworkPolicy (clientv3 tiers.Delete).
   */
  private async _tierDelete(info: KindInfo, name: string): Promise<void> {
    if (info.group !== 'projectcalico.org' || info.kind !== 'Tier') return;
    if (UNDELETABLE_TIERS.has(name)) throw new OperationNotSupportedError('Delete', name, `Cannot delete ${name} tier`);
    for (const plural of ['networkpolicies', 'globalnetworkpolicies']) {
      const { items } = await this.ds.list({ group: 'projectcalico.org', plural });
      if (items.some((p) => (p as { spec?: { tier?: string } }).spec?.tier === name))
        throw new OperationNotSupportedError('delete', name, 'Cannot delete a non-empty tier');
    }
  }

  // ---------------------------------------------------------------- admission (admission.ts)

  /** The input without the force annotation, and whether the write is forced. */
  private _admission(input: unknown, opts: WriteOptions): { raw: unknown; force: boolean } {
    const t = takeForce(input);
    return { raw: t.raw, force: t.force || opts.force === true };
  }

  /** A remote datastore's API server runs this check again: a forced write carries the annotation there. */
  private _outgoing(obj: StoredObject, current: StoredObject, force: boolean): StoredObject {
    return force && this.ds instanceof KubeDatastore && isProviderManaged(current) ? withForceAnnotation(obj) : obj;
  }

  private _releaseBeforeDelete(current: StoredObject, force: boolean): boolean {
    return force && this.ds instanceof KubeDatastore && isProviderManaged(current);
  }
}

function _withoutDerivedMarker(o: StoredObject): StoredObject {
  const annotations = { ...(o.metadata.annotations ?? {}) };
  delete annotations[DERIVED_ANNOTATION];
  const meta: ObjectMeta = { ...o.metadata, annotations };
  if (Object.keys(annotations).length === 0) delete meta.annotations;
  return { ...o, metadata: meta };
}

function _byNamespaceName(a: StoredObject, b: StoredObject): number {
  const an = a.metadata.namespace ?? '';
  const bn = b.metadata.namespace ?? '';
  if (an !== bn) return an < bn ? -1 : 1;
  const a1 = a.metadata.name ?? '';
  const b1 = b.metadata.name ?? '';
  return a1 < b1 ? -1 : a1 > b1 ? 1 : 0;
}

const SERVER_FIELDS = ['uid', 'resourceVersion', 'creationTimestamp', 'generation'] as const;

function _stripServerFields(obj: StoredObject): StoredObject {
  const meta: Record<string, unknown> = { ...obj.metadata };
  for (const f of SERVER_FIELDS) delete meta[f];
  return { ...obj, metadata: meta as ObjectMeta };
}

/** The new content with the stored object's server-owned metadata. */
function _carryServerFields(obj: StoredObject, current: StoredObject, resourceVersion: string | undefined): StoredObject {
  const meta: ObjectMeta = { ...obj.metadata };
  for (const f of ['uid', 'creationTimestamp', 'generation'] as const) {
    const v = current.metadata[f];
    if (v === undefined) delete meta[f];
    else (meta as Record<string, unknown>)[f] = v;
  }
  if (resourceVersion === undefined) delete meta.resourceVersion;
  else meta.resourceVersion = resourceVersion;
  return { ...obj, metadata: meta };
}

function _sameContent(a: StoredObject, b: StoredObject): boolean {
  const strip = (o: StoredObject) => {
    const meta: Record<string, unknown> = { ...o.metadata };
    for (const f of SERVER_FIELDS) delete meta[f];
    return _canonical({ ...o, metadata: meta });
  };
  return strip(a) === strip(b);
}

function _canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(_canonical).join(',')}]`;
  if (isPlainObject(v))
    return `{${Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${_canonical(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

function _withServerMeta(policy: unknown, src: StoredObject): StoredObject | undefined {
  if (!isPlainObject(policy)) return undefined;
  const p = policy as unknown as StoredObject;
  return {
    ...p,
    metadata: {
      ...p.metadata,
      ...(src.metadata.resourceVersion !== undefined ? { resourceVersion: src.metadata.resourceVersion } : {}),
      ...(src.metadata.creationTimestamp !== undefined ? { creationTimestamp: src.metadata.creationTimestamp } : {}),
    },
  };
}

function _nameOf(raw: unknown): string {
  if (!isPlainObject(raw) || !isPlainObject(raw['metadata'])) return '';
  const n = raw['metadata']['name'];
  return typeof n === 'string' ? n : '';
}

function _kindOf(raw: unknown): string {
  return isPlainObject(raw) && typeof raw['kind'] === 'string' ? raw['kind'] : 'resource';
}

