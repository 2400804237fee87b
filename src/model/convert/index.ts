/** @module PROVISIONAL CONTRACT — Kubernetes NetworkPolicy → Calico NetworkPolicy (calico-semantics §c). */
import type { FieldError } from '../field/errors.js';
import type { NetworkPolicy } from '../calico/types.js';

export interface ConversionResult {
  /** The Calico policy (`knp.default.<name>`), or undefined when the input is not a decodable k8s NetworkPolicy. */
  readonly policy: NetworkPolicy | undefined;
  /** Decode errors, or one error per k8s rule that had to be dropped. */
  readonly errors: FieldError[];
}

export function convertKubernetesNetworkPolicy(obj: unknown): ConversionResult {
  void obj;
  throw new Error('not built yet');
}
