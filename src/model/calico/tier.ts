/**
 * @module projectcalico.org/v3 Tier: name rule, strict decoder, defaulting and validation.
 *
 * Tier names are single DNS labels of at most 63 characters, since they appear inside other
 * names and in label values (validator/v3 validateTier). The built-in tiers must keep their
 * reserved orders (v3.31.7: `default` 1,000,000; `adminnetworkpolicy` 1,000;
 * `baselineadminnetworkpolicy` 10,000,000), and the `default` tier's action is Deny.
 * Defaulting (pure): `defaultAction` → Deny.
 */
import type { FieldPath } from '../field/path.js';
import { invalid, notSupported, required, type FieldError } from '../field/errors.js';
import { num, obj, str, type Decoder } from '../decode/decoder.js';
import type { Tier, TierSpec } from './types.js';

const TIER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const MAX_TIER_NAME_LENGTH = 63;

export function tierNameProblems(name: string): string[] {
  const out: string[] = [];
  if (name.length > MAX_TIER_NAME_LENGTH)
    out.push(`must be no more than ${MAX_TIER_NAME_LENGTH} characters (name is too long by ${name.length - MAX_TIER_NAME_LENGTH} bytes)`);
  if (!TIER_NAME.test(name))
    out.push(
      "a tier name must be a single lowercase RFC 1123 label: lower case alphanumeric characters or '-', starting and ending with an alphanumeric character, and no '.' (regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    );
  return out;
}

export const tierSpecDecoder: Decoder<TierSpec> = obj({ order: num, defaultAction: str });

export const TIER_ACTIONS = ['Deny', 'Pass'] as const;
export const DEFAULT_TIER_NAME = 'default';

/** Orders the built-in tiers must have. */
export const RESERVED_TIER_ORDERS: Readonly<Record<string, number>> = {
  default: 1_000_000,
  adminnetworkpolicy: 1_000,
  baselineadminnetworkpolicy: 10_000_000,
};

export function defaultTierSpec(spec: TierSpec | undefined): TierSpec {
  const s: TierSpec = { ...(spec ?? {}) };
  if (s.defaultAction === undefined || s.defaultAction === '') s.defaultAction = 'Deny';
  return s;
}

export function defaultTier(t: Tier): Tier {
  return { ...t, spec: defaultTierSpec(t.spec) };
}

/** Spec checks; `name` is the tier's metadata.name (for the built-in tiers' reserved values). */
export function validateTierSpec(spec: TierSpec, path: FieldPath, name?: string): FieldError[] {
  const errs: FieldError[] = [];
  const ap = path.child('defaultAction');
  if (spec.defaultAction !== undefined && !(TIER_ACTIONS as readonly string[]).includes(spec.defaultAction))
    errs.push(notSupported(ap, spec.defaultAction, TIER_ACTIONS));
  const reserved = name === undefined ? undefined : RESERVED_TIER_ORDERS[name];
  if (reserved !== undefined) {
    const op = path.child('order');
    if (spec.order === undefined) errs.push(required(op, `${name} tier order must be ${reserved}`));
    else if (spec.order !== reserved) errs.push(invalid(op, spec.order, `${name} tier order must be ${reserved}`));
  }
  if (name === DEFAULT_TIER_NAME && spec.defaultAction !== undefined && spec.defaultAction !== 'Deny')
    errs.push(invalid(ap, spec.defaultAction, 'the default tier must have defaultAction Deny'));
  return errs;
}

export function validateTier(t: Tier, path: FieldPath): FieldError[] {
  return validateTierSpec(t.spec ?? {}, path.child('spec'), t.metadata?.name);
}
