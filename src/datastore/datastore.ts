/**
 * @module The Datastore port: a revisioned key/value store of resources as plain JSON objects
 * (libcalico-go's backend client, trimmed). Every backend — memory, embedded SQLite, etcd v3 —
 * passes the one suite in conformance.ts.
 *
 * Invariants every backend keeps:
 * - One revision counter for the whole store. Every write (create, update, delete) gets a new,
 *   strictly larger revision; `metadata.resourceVersion` is that revision as a decimal string.
 * - The datastore owns `uid` (UUID v4, set on create), `creationTimestamp` (RFC 3339, set on
 *   create), `generation` (1 on create, +1 on an update that changes anything outside
 *   `metadata` and `status`) and `resourceVersion`. Values the caller puts there on create are
 *   replaced; on update they are carried over from the stored object.
 * - `update` with `metadata.resourceVersion` set is a compare-and-swap: a stale version is a
 *   ConflictError. Without it the update is unconditional (apply semantics are the caller's).
 * - `watch(q, R)` yields every matching change with revision > R, in revision order, exactly
 *   once; R older than the kept history is a TooOldError (HTTP 410 "Expired"). With a label
 *   filter, an object that starts matching arrives as ADDED and one that stops as DELETED.
 * - The datastore knows nothing about kinds, selectors or validation: the caller passes the
 *   API group and plural from the kind registry and a label predicate built from a selector.
 */
import type { Labels, ObjectMeta } from '../model/meta.js';

/** One collection of resources: (API group, plural), e.g. ('projectcalico.org', 'networkpolicies'). */
export interface ResourceType {
  /** API group: `projectcalico.org`, `networking.k8s.io`, or '' for the Kubernetes core group. */
  readonly group: string;
  /** Lower-case plural, as in URLs and Calico's etcd keys (`globalnetworkpolicies`). */
  readonly plural: string;
}

/** Identity of one stored object. `namespace` is '' for cluster-scoped kinds. */
export interface ObjectKey extends ResourceType {
  readonly namespace: string;
  readonly name: string;
}

/**
 * A resource as stored: any JSON object with TypeMeta and ObjectMeta. Fields beyond these
 * (spec, status, ...) are stored and returned unchanged; the caller decodes them.
 */
export interface StoredObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ObjectMeta;
}

/** Built by the caller from a selector; the datastore never parses selectors. */
export type LabelPredicate = (labels: Readonly<Labels>) => boolean;

export interface ListQuery extends ResourceType {
  /** Only this namespace; undefined (or '') means every namespace. */
  readonly namespace?: string;
  /** Only objects whose `metadata.labels` (missing = {}) satisfy this predicate. */
  readonly labels?: LabelPredicate;
  /**
   * list only: the objects as they were at this store revision (a consistent snapshot, as
   * Kubernetes' paged lists need). TooOldError when the history kept no longer reaches back
   * there. A revision beyond the store's current one lists the current objects; the result's
   * `revision` then says which (smaller) revision was read.
   */
  readonly revision?: string;
  /**
   * list only, a hint: a backend may leave out objects whose `namespace + "\u0000" + name` is not
   * after this key (paged lists read on from the last key of the previous page).
   */
  readonly after?: string;
  /**
   * list only, a hint: a backend may stop once it holds `limit + 1` matching objects (a paged
   * list needs one more than the page to know there is a next page), and then says in
   * `remaining` how many objects it left out when it can count them without decoding.
   */
  readonly limit?: number;
  /**
   * list of Pods only, a hint: a backend may leave out Pods whose `spec.nodeName` is not this
   * (the Kubernetes datastore asks `fieldSelector=spec.nodeName=<node>`); callers still filter.
   */
  readonly nodeName?: string;
}

export interface ListResult {
  /** Sorted by namespace, then name. */
  readonly items: readonly StoredObject[];
  /** The store revision the list reflects: watch from it to see every later change. */
  readonly revision: string;
  /**
   * Set only when the backend stopped early on a `limit` hint and could count cheaply: how many
   * objects follow the first `limit` items (an estimate, as kube's remainingItemCount is).
   */
  readonly remaining?: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent {
  readonly type: WatchEventType;
  /**
   * The object after the change; for DELETED, its last state. In both cases
   * `object.metadata.resourceVersion === revision`.
   */
  readonly object: StoredObject;
  /** The revision of this change; resume a watch from it. */
  readonly revision: string;
}

/** Conditions a delete must meet; a mismatch is a ConflictError. */
export interface DeletePrecondition {
  readonly resourceVersion?: string;
  readonly uid?: string;
}

export interface Datastore {
  /** Human-readable identity for messages: `sqlite at /var/lib/tabby/tabby.db`, `etcd at https://…`. */
  readonly description: string;
  /** AlreadyExistsError if the key is taken. Returns the stored object (server fields set). */
  create(type: ResourceType, obj: StoredObject): Promise<StoredObject>;
  /** NotFoundError; ConflictError if `metadata.resourceVersion` (or `uid`) is stale. */
  update(type: ResourceType, obj: StoredObject): Promise<StoredObject>;
  /** NotFoundError. */
  get(key: ObjectKey): Promise<StoredObject>;
  list(q: ListQuery): Promise<ListResult>;
  /** NotFoundError; ConflictError on a failed precondition. Returns the last state, at the delete's revision. */
  delete(key: ObjectKey, precondition?: DeletePrecondition): Promise<StoredObject>;
  /**
   * Changes with revision > fromRevision, until `signal` aborts or the datastore closes (the
   * iteration then simply ends). Throws TooOldError when history from there is gone; the
   * caller relists and watches from the list's revision.
   */
  watch(q: ListQuery, fromRevision: string, signal: AbortSignal): AsyncIterable<WatchEvent>;
  /** Ends every watch and releases the connection; later calls fail with UnavailableError. */
  close(): Promise<void>;
  /**
   * Checks that the store answers a read now (health checks: `/readyz`). UnavailableError when
   * it does not.
   */
  ping?(): Promise<void>;
}

/** Injected for deterministic tests (style habit 22). */
export interface DatastoreOptions {
  /** Clock for `creationTimestamp`. */
  readonly now?: () => Date;
  /** UID source; default crypto.randomUUID. */
  readonly newUid?: () => string;
}
