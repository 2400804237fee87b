/**
 * @module Backend-independent object handling shared by every Datastore implementation: keys,
 * server-set metadata (uid, creationTimestamp, generation), revision strings, the stored JSON
 * form (no resourceVersion: the backend's revision is the truth), and turning raw changes into
 * filtered watch events. Pure apart from the injected clock and uid source.
 */
import { randomUUID } from 'node:crypto';
import type { Labels, ObjectMeta } from '../model/meta.js';
import type {
  DatastoreOptions,
  ListQuery,
  ObjectKey,
  ResourceType,
  StoredObject,
  WatchEvent,
} from './datastore.js';
import { ConflictError } from './errors.js';

export interface ResolvedOptions {
  readonly now: () => Date;
  readonly newUid: () => string;
}

export function _resolveOptions(o: DatastoreOptions | undefined): ResolvedOptions {
  return { now: o?.now ?? (() => new Date()), newUid: o?.newUid ?? randomUUID };
}

/** RFC 3339 with second precision, as Kubernetes writes `creationTimestamp`. */
export const _rfc3339 = (d: Date): string => d.toISOString().replace(/\.\d+Z$/, 'Z');

/** The key of `obj` in collection `type`; throws TypeError on a missing or unusable name (a caller bug). */
export function _keyOf(type: ResourceType, obj: StoredObject): ObjectKey {
  const key = { group: type.group, plural: type.plural, namespace: obj.metadata.namespace ?? '', name: obj.metadata.name ?? '' };
  _checkKey(key);
  return key;
}

export function _checkKey(key: ObjectKey): void {
  if (key.plural === '' || key.plural.includes('/')) throw new TypeError(`invalid plural ${JSON.stringify(key.plural)}`);
  if (key.name === '') throw new TypeError('metadata.name is required');
  // '/' would break the etcd key layout; validation rejects such names long before this point.
  if (key.name.includes('/') || key.namespace.includes('/')) {
    throw new TypeError(`invalid key ${JSON.stringify(`${key.namespace}/${key.name}`)}: may not contain '/'`);
  }
}

/** Parses a resourceVersion / revision string; throws RangeError on anything but a decimal integer. */
export function _parseRevision(s: string): number {
  if (!/^\d{1,15}$/.test(s)) throw new RangeError(`invalid resource version ${JSON.stringify(s)}`);
  return Number(s);
}

/** JSON with object keys sorted, so equal values give equal text. */
export function _canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(_canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v).filter(([, x]) => x !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${_canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** Everything that counts for `generation`: the object without metadata and status. */
function _specDigest(obj: StoredObject): string {
  const { metadata: _m, status: _s, ...rest } = obj as StoredObject & { status?: unknown };
  return _canonicalJson(rest);
}

function _withMeta(obj: StoredObject, meta: ObjectMeta): StoredObject {
  return { ...obj, metadata: meta };
}

function _withoutRevision(meta: ObjectMeta): ObjectMeta {
  const { resourceVersion: _rv, ...rest } = meta;
  return rest;
}

/** The value to store for a create: server fields set, no resourceVersion. */
export function _prepareCreate(obj: StoredObject, opts: ResolvedOptions): StoredObject {
  return _withMeta(obj, {
    ..._withoutRevision(obj.metadata),
    uid: opts.newUid(),
    creationTimestamp: _rfc3339(opts.now()),
    generation: 1,
  });
}

/**
 * The value to store for an update of `current`: uid and creationTimestamp carried over,
 * generation bumped when the spec changed. A caller-supplied uid naming another incarnation of
 * the object is a ConflictError. (The resourceVersion check is the backend's: it is its CAS.)
 */
export function _prepareUpdate(key: ObjectKey, obj: StoredObject, current: StoredObject): StoredObject {
  const uid = obj.metadata.uid;
  if (uid !== undefined && uid !== '' && uid !== current.metadata.uid) {
    throw new ConflictError(key, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${current.metadata.uid ?? ''}`);
  }
  const gen = current.metadata.generation ?? 1;
  const meta: ObjectMeta = {
    ..._withoutRevision(obj.metadata),
    generation: _specDigest(obj) === _specDigest(current) ? gen : gen + 1,
  };
  if (current.metadata.uid !== undefined) meta.uid = current.metadata.uid;
  if (current.metadata.creationTimestamp !== undefined) meta.creationTimestamp = current.metadata.creationTimestamp;
  return _withMeta(obj, meta);
}

/** Serialized form kept by every backend (no resourceVersion). */
export const _encode = (obj: StoredObject): string => JSON.stringify(_withMeta(obj, _withoutRevision(obj.metadata)));

/** Parses a stored value and stamps `revision` into it; undefined when the text is not an object we can serve. */
export function _decode(text: string, revision: number | string): StoredObject | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const o = v as { apiVersion?: unknown; kind?: unknown; metadata?: unknown };
  if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string') return undefined;
  if (o.metadata === null || typeof o.metadata !== 'object' || Array.isArray(o.metadata)) return undefined;
  const obj = v as StoredObject;
  return _withMeta(obj, { ...obj.metadata, resourceVersion: String(revision) });
}

export const _labelsOf = (obj: StoredObject): Labels => obj.metadata.labels ?? {};

export function _inNamespace(q: ListQuery, namespace: string): boolean {
  return q.namespace === undefined || q.namespace === '' || q.namespace === namespace;
}

export function _matchesLabels(q: ListQuery, obj: StoredObject): boolean {
  return q.labels === undefined || q.labels(_labelsOf(obj));
}

/** A change as a backend records it, before the query's filters. */
export interface RawChange {
  readonly kind: 'put' | 'delete';
  readonly key: ObjectKey;
  readonly revision: number | string;
  /** After the change (put), or the last state (delete); already stamped with `revision`. */
  readonly object: StoredObject;
  /** True when a put created the key. */
  readonly created: boolean;
  /** State before a put that replaced an object, when known. */
  readonly prev?: StoredObject;
}

/**
 * Applies a watch query to a raw change. With a label filter, a put that makes an object
 * match is ADDED (the new state), one that makes it stop matching is DELETED carrying the last
 * state that matched, as the Kubernetes watch cache does, so a filtered watcher's view stays
 * consistent.
 */
export function _toWatchEvent(q: ListQuery, c: RawChange): WatchEvent | undefined {
  if (c.key.group !== q.group || c.key.plural !== q.plural || !_inNamespace(q, c.key.namespace)) return undefined;
  const revision = String(c.revision);
  const nowMatches = _matchesLabels(q, c.object);
  if (c.kind === 'delete') return nowMatches ? { type: 'DELETED', object: c.object, revision } : undefined;
  if (c.created) return nowMatches ? { type: 'ADDED', object: c.object, revision } : undefined;
  const prevMatched = c.prev === undefined ? nowMatches : _matchesLabels(q, c.prev);
  if (nowMatches && prevMatched) return { type: 'MODIFIED', object: c.object, revision };
  if (nowMatches) return { type: 'ADDED', object: c.object, revision };
  // Leaving the selection: the last state that matched, at this event's revision (what the
  // Kubernetes watch cache sends), so the watcher sees the labels it selected on.
  if (prevMatched) return { type: 'DELETED', object: c.prev === undefined ? c.object : _withMeta(c.prev, { ...c.prev.metadata, resourceVersion: revision }), revision };
  return undefined;
}
