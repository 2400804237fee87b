/**
 * @module Renderers for FieldError lists: Kubernetes line form, calicoctl form, aggregate.
 * Location-aware rendering (file:line:col) lives with the manifest reader, which owns the YAML.
 */
import { renderValue, type FieldError } from './errors.js';

/** `spec.ingress[0].ports[1].port: Invalid value: 70000: must be between 1 and 65535, inclusive` */
export function formatLine(e: FieldError): string {
  return e.path === '' ? e.message : `${e.path}: ${e.message}`;
}

/** Kubernetes aggregate: one error bare, several as `[a, b]`. */
export function formatAggregate(errs: readonly FieldError[]): string {
  if (errs.length === 1) return formatLine(errs[0]!);
  return `[${errs.map(formatLine).join(', ')}]`;
}

/** calicoctl's validator text: `error with field X = 'v' (reason)` or the multi-field form. */
export function formatForCalicoctl(errs: readonly FieldError[]): string {
  const one = (e: FieldError): string =>
    e.value === undefined
      ? `${e.path} (${e.detail})`
      : `${e.path} = '${typeof e.value === 'string' ? e.value : renderValue(e.value)}' (${e.detail})`;
  if (errs.length === 1) return `error with field ${one(errs[0]!)}`;
  return `error with the following fields:\n${errs.map((e) => `-  ${one(e)}`).join('\n')}`;
}
