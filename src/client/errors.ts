/**
 * @module Client errors: a resource that failed decoding or validation (Kubernetes reason
 * `Invalid`, HTTP 422), and a write the Calico API does not allow (reason `Forbidden`, e.g. a
 * `knp.default.*` policy, which is derived from a Kubernetes NetworkPolicy and read-only).
 */
import type { FieldError } from '../model/field/errors.js';
import { formatAggregate } from '../model/field/format.js';

export class InvalidError extends Error {
  readonly reason = 'Invalid' as const;
  constructor(
    /** `GlobalNetworkPolicy`, as in kubectl's `The GlobalNetworkPolicy "x" is invalid`. */
    readonly kind: string,
    readonly resourceName: string,
    readonly causes: readonly FieldError[],
  ) {
    super(`The ${kind} "${resourceName}" is invalid: ${formatAggregate(causes)}`);
  }
  override get name(): string {
    return 'InvalidError';
  }
}

export class ForbiddenError extends Error {
  readonly reason = 'Forbidden' as const;
  override get name(): string {
    return 'ForbiddenError';
  }
}

/**
 * libcalico-go's ErrorOperationNotSupported, worded as Calico words it:
 * `operation Delete is not supported on default: Cannot delete default tier`. A Forbidden (403)
 * at the API server; calicoctl prints the message as it is.
 */
export class OperationNotSupportedError extends ForbiddenError {
  constructor(
    readonly operation: string,
    readonly identifier: string,
    readonly why?: string,
  ) {
    super(why === undefined ? `operation ${operation} is not supported on ${identifier}` : `operation ${operation} is not supported on ${identifier}: ${why}`);
  }
}
