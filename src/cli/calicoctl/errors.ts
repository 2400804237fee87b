/**
 * @module Errors rendered as calicoctl (libcalico-go/lib/errors) words them:
 * `resource does not exist: NetworkPolicy(default/x) with error: <nil>`,
 * `resource already exists: GlobalNetworkPolicy(x)`, `update conflict: GlobalNetworkPolicy(x)`,
 * validation as `error with field ...`.
 */
import { AlreadyExistsError, ConflictError, NotFoundError } from '../../datastore/index.js';
import { ForbiddenError, InvalidError, OperationNotSupportedError } from '../../client/index.js';
import { formatForCalicoctl } from '../../model/field/format.js';

/** `GlobalNetworkPolicy(name)` or `NetworkPolicy(ns/name)`: libcalico-go's ResourceKey. */
export function identifier(kind: string, namespace: string | undefined, name: string): string {
  return namespace !== undefined && namespace !== '' ? `${kind}(${namespace}/${name})` : `${kind}(${name})`;
}

export function describeError(e: unknown, kind: string, namespace: string | undefined, name: string, op: string): string {
  const id = identifier(kind, namespace, name);
  if (e instanceof NotFoundError) return `resource does not exist: ${id} with error: ${typeof e.cause === 'string' ? e.cause : '<nil>'}`;
  if (e instanceof AlreadyExistsError) return `resource already exists: ${id}`;
  if (e instanceof ConflictError) return `update conflict: ${id}`;
  if (e instanceof InvalidError) {
    const readOnly = e.causes.find((c) => c.path === 'metadata.name' && /read-only/.test(c.message));
    if (readOnly) return `operation ${op} is not supported on ${id}: kubernetes network policies must be managed through the kubernetes API`;
    return formatForCalicoctl(e.causes);
  }
  if (e instanceof OperationNotSupportedError) return e.message;
  if (e instanceof ForbiddenError) return `operation ${op} is not supported on ${id}: kubernetes network policies must be managed through the kubernetes API`;
  const msg = e instanceof Error ? e.message : String(e);
  return msg;
}

/** Go's `%v` of an `[]error`. */
export const goErrList = (errs: readonly string[]): string => `[${errs.join(' ')}]`;
