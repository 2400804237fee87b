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
