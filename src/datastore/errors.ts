/**
 * @module Datastore errors: typed, each carrying the Kubernetes `reason` it maps to (style
 * habit 14). The API server turns `reason` into a Status code (NotFound 404, AlreadyExists and
 * Conflict 409, Expired 410, Unavailable 503); the CLI renders `message`. Messages follow the
 * Kubernetes wording so that both edges can show them unchanged.
 */
import type { ObjectKey, ResourceType } from './datastore.js';

export type DatastoreErrorReason = 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Expired' | 'Unavailable' | 'TooLarge' | 'Timeout';

export abstract class DatastoreError extends Error {
  abstract readonly reason: DatastoreErrorReason;
  override get name(): string {
    return this.constructor.name;
  }
}

/** `globalnetworkpolicies.projectcalico.org "deny-all"`, `networkpolicies.networking.k8s.io "ns/x"`. */
export function describeKey(key: ObjectKey): string {
  const ns = key.namespace === '' ? '' : `${key.namespace}/`;
  return `${describeType(key)} "${ns}${key.name}"`;
}

export function describeType(type: ResourceType): string {
  return type.group === '' ? type.plural : `${type.plural}.${type.group}`;
}

export class NotFoundError extends DatastoreError {
  readonly reason = 'NotFound' as const;
  constructor(readonly key: ObjectKey) {
    super(`${describeKey(key)} not found`);
  }
}

export class AlreadyExistsError extends DatastoreError {
  readonly reason = 'AlreadyExists' as const;
  constructor(readonly key: ObjectKey) {
    super(`${describeKey(key)} already exists`);
  }
}

/** A stale `resourceVersion` (or a `uid` that names an earlier incarnation of the object). */
export class ConflictError extends DatastoreError {
  readonly reason = 'Conflict' as const;
  constructor(
    readonly key: ObjectKey,
    detail = 'the object has been modified; please apply your changes to the latest version and try again',
  ) {
    super(`Operation cannot be fulfilled on ${describeKey(key)}: ${detail}`);
  }
}

/** The watch start revision is older than the history the backend keeps (HTTP 410 Gone). */
export class TooOldError extends DatastoreError {
  readonly reason = 'Expired' as const;
  constructor(
    readonly revision: string,
    /** The oldest revision a watch may start from, when the backend knows it. */
    readonly oldest?: string,
  ) {
    super(`too old resource version: ${revision}${oldest === undefined ? '' : ` (${oldest})`}`);
  }
}

/**
 * The datastore cannot be reached (or the outcome of a write is unknown because the connection
 * failed mid-call). The message names the endpoint:
 * `cannot reach etcd at https://127.0.0.1:2379: connection refused`.
 */
export class UnavailableError extends DatastoreError {
  readonly reason = 'Unavailable' as const;
  constructor(
    /** `etcd`, `sqlite`, `memory`. */
    readonly system: string,
    /** The endpoint URL or file path. */
    readonly endpoint: string,
    readonly detail: string,
    message = `cannot reach ${system} at ${endpoint}: ${detail}`,
  ) {
    super(message);
  }
}

export const isDatastoreError = (e: unknown): e is DatastoreError => e instanceof DatastoreError;

/** An object larger than the backend accepts (etcd's request limit): HTTP 413, answered before sending. */
export class TooLargeError extends DatastoreError {
  readonly reason = 'TooLarge' as const;
  constructor(
    readonly key: ObjectKey,
    readonly size: number,
    readonly limit: number,
  ) {
    super(`etcdserver: request is too large: ${describeKey(key)} is ${size} bytes, the datastore accepts at most ${limit}`);
  }
}

/**
 * A write was sent but its outcome is unknown (the connection failed before the reply): it may
 * or may not have been applied. HTTP 504 Timeout, in kube-apiserver's words.
 */
export class UnknownOutcomeError extends DatastoreError {
  readonly reason = 'Timeout' as const;
  constructor(
    readonly key: ObjectKey,
    readonly detail: string,
  ) {
    super(
      `Timeout: request did not complete within requested timeout - context deadline exceeded: the server was unable to return a response in the time allotted, but may still be processing the request (the write to ${describeKey(key)} may have been applied: ${detail})`,
    );
  }
}
