/**
 * @module Errors → metav1.Status. Every failure the API server reports goes through
 * `toStatus`, so kubectl sees the same reasons, codes and messages a real cluster gives
 * (`Error from server (NotFound): ...`, `The NetworkPolicy "x" is invalid: spec....`).
 * Pure: no I/O.
 */
import { isDatastoreError } from '../datastore/index.js';
import { ForbiddenError, InvalidError } from '../client/index.js';
import type { FieldError, FieldErrorType } from '../model/field/errors.js';
import { PatchError } from '../lib/json-patch.js';

export interface StatusCause {
  readonly reason?: string;
  readonly message: string;
  readonly field?: string;
}

export interface StatusDetails {
  readonly name?: string;
  readonly group?: string;
  readonly kind?: string;
  readonly causes?: readonly StatusCause[];
  readonly retryAfterSeconds?: number;
  readonly uid?: string;
}

export interface Status {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  /** ListMeta: a 410 for an expired continue token carries a fresh `continue` to resume from. */
  readonly metadata: { readonly continue?: string };
  readonly status: 'Failure' | 'Success';
  readonly message?: string;
  readonly reason?: string;
  readonly details?: StatusDetails;
  readonly code?: number;
}

/** A failure Status: code, reason and message always set. */
export type FailureStatus = Status & { readonly status: 'Failure'; readonly message: string; readonly reason: string; readonly code: number };

/** An error that already knows its Status (raised by the API server itself). */
export class StatusError extends Error {
  constructor(readonly status: FailureStatus) {
    super(status.message);
  }
  override get name(): string {
    return 'StatusError';
  }
}

export function status(code: number, reason: string, message: string, details?: StatusDetails): FailureStatus {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details === undefined ? {} : { details }),
    code,
  };
}

/** The resource a request is about, for messages: plural and group (`networkpolicies.networking.k8s.io`). */
export interface Subject {
  readonly group: string;
  readonly plural: string;
  readonly kind: string;
  readonly name?: string;
}

const _qualified = (s: Subject): string => (s.group === '' ? s.plural : `${s.plural}.${s.group}`);

export const notFound = (s: Subject, name: string): StatusError =>
  new StatusError(status(404, 'NotFound', `${_qualified(s)} "${name}" not found`, { name, ...(s.group ? { group: s.group } : {}), kind: s.plural }));

export const badRequest = (message: string): StatusError => new StatusError(status(400, 'BadRequest', message));

export const methodNotAllowed = (message = 'the server does not allow this method on the requested resource'): StatusError =>
  new StatusError(status(405, 'MethodNotAllowed', message));

export const unsupportedMediaType = (ct: string): StatusError =>
  new StatusError(status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got ${JSON.stringify(ct)})`));

/**
 * What kube-apiserver answers a DELETE with for kinds whose storage does not return the deleted
 * object (`ReturnDeletedObject: false`): `status: Success` with the name, group, plural and uid.
 */
export function successStatus(details: StatusDetails): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
}

export const unauthorized = (): FailureStatus => status(401, 'Unauthorized', 'Unauthorized');

export const pathNotFound = (): FailureStatus => status(404, 'NotFound', 'the server could not find the requested resource');

/** Kubernetes' `metav1.CauseType` for each FieldError type. */
const CAUSE_TYPES: Readonly<Record<FieldErrorType, string>> = {
  Required: 'FieldValueRequired',
  Invalid: 'FieldValueInvalid',
  NotSupported: 'FieldValueNotSupported',
  Forbidden: 'FieldValueForbidden',
  Duplicate: 'FieldValueDuplicate',
  TooLong: 'FieldValueTooLong',
  TooMany: 'FieldValueTooMany',
  TypeInvalid: 'FieldValueTypeInvalid',
  Unknown: 'FieldValueInvalid',
};

export function invalidStatus(kind: string, group: string, name: string, causes: readonly FieldError[]): FailureStatus {
  const qualified = group === '' ? kind : `${kind}.${group}`;
  const lines = causes.map((c) => (c.path === '' ? c.message : `${c.path}: ${c.message}`));
  const agg = lines.length === 1 ? lines[0]! : `[${lines.join(', ')}]`;
  return status(422, 'Invalid', `${qualified} "${name}" is invalid: ${agg}`, {
    name,
    ...(group ? { group } : {}),
    kind,
    causes: causes.map((c) => ({ reason: CAUSE_TYPES[c.type], message: c.message, field: c.path })),
  });
}

/**
 * Unknown fields under `fieldValidation=Strict` are a decoding failure in Kubernetes: 400
 * BadRequest, `... strict decoding error: unknown field "spec.foo"`.
 */
export function strictDecodingStatus(kind: string, version: string, unknown: readonly FieldError[]): FailureStatus {
  const fields = unknown.map((e) => `unknown field "${e.path}"`).join(', ');
  return status(400, 'BadRequest', `${kind} in version "${version}" cannot be handled as a ${kind}: strict decoding error: ${fields}`);
}

/** Maps any thrown value to a Status. `subject` names the resource for client errors. */
export function toStatus(err: unknown, subject?: Subject): FailureStatus {
  if (err instanceof StatusError) return err.status;
  if (err instanceof PatchError) {
    // kube-apiserver: a failed `test` is 422; a malformed patch or a path that does not apply, 400.
    if (err.reason === 'TestFailed') return status(422, 'Invalid', err.message);
    return status(400, 'BadRequest', err.message);
  }
  if (err instanceof InvalidError) {
    const unknown = err.causes.filter((c) => c.type === 'Unknown');
    if (unknown.length > 0 && unknown.length === err.causes.length)
      return strictDecodingStatus(err.kind, '', unknown);
    return invalidStatus(err.kind, subject?.group ?? '', err.resourceName, err.causes);
  }
  if (err instanceof ForbiddenError) return status(403, 'Forbidden', err.message);
  if (isDatastoreError(err)) {
    const details =
      subject === undefined
        ? undefined
        : { ...(subject.name !== undefined ? { name: subject.name } : {}), ...(subject.group ? { group: subject.group } : {}), kind: subject.plural };
    const msg = subject !== undefined && subject.name !== undefined ? _rephrase(err.message, subject) : err.message;
    switch (err.reason) {
      case 'NotFound':
        return status(404, 'NotFound', msg, details);
      case 'AlreadyExists':
        return status(409, 'AlreadyExists', msg, details);
      case 'Conflict':
        return status(409, 'Conflict', msg, details);
      case 'Expired':
        return status(410, 'Expired', err.message);
      case 'Unavailable':
        return status(503, 'ServiceUnavailable', err.message);
      case 'TooLarge':
        return status(413, 'RequestEntityTooLarge', err.message, details);
      case 'Timeout':
        return status(504, 'Timeout', err.message, details);
    }
  }
  // A bug: the client learns that much, never the stack or internals beyond the message.
  const message = err instanceof Error ? err.message : String(err);
  return status(500, 'InternalError', `Internal error occurred: ${message.split('\n')[0]!.slice(0, 300)}`);
}

/**
 * Datastore messages name the key as `plural.group "ns/name"`; Kubernetes says
 * `plural.group "name"`. Rewrites the quoted key to the bare name.
 */
function _rephrase(message: string, s: Subject): string {
  const q = _qualified(s);
  return message.replace(new RegExp(`${_escape(q)} "[^"]*"`), `${q} "${s.name ?? ''}"`);
}

const _escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
