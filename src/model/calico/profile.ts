/**
 * @module Profile (projectcalico.org/v3, cluster-scoped): decode, default, validate.
 *
 * A profile is a named rule set that endpoints list in `profiles`; its rules are checked like
 * policy rules (validateRule, without the policy-only direction checks) and `labelsToApply` like
 * object labels. Profiles have no order, selector or types.
 */
import type { FieldPath } from '../field/path.js';
import { tooMany, type FieldError } from '../field/errors.js';
import { arr, obj, record, str, type Decoder } from '../decode/decoder.js';
import { defineFragment, defineKind, resourceDecoder, type FragmentInfo, type KindInfo } from '../kind-info.js';
import { validateLabels } from '../validate/names.js';
import { ruleDecoder, validateRule } from './rule.js';
import type { Profile, ProfileSpec } from './other-types.js';

/** Rules per direction (CRD `MaxItems`). */
export const MAX_PROFILE_RULES = 1024;

export const profileSpecDecoder: Decoder<ProfileSpec> = obj({
  ingress: arr(ruleDecoder),
  egress: arr(ruleDecoder),
  labelsToApply: record(str),
});

export function validateProfileSpec(spec: ProfileSpec, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  for (const dir of ['ingress', 'egress'] as const) {
    const rules = spec[dir] ?? [];
    if (rules.length > MAX_PROFILE_RULES) errs.push(tooMany(path.child(dir), rules.length, MAX_PROFILE_RULES));
    rules.forEach((r, i) => errs.push(...validateRule(r, path.child(dir).index(i))));
  }
  errs.push(...validateLabels(spec.labelsToApply, path.child('labelsToApply')));
  return errs;
}

export const profileKind: KindInfo = defineKind<Profile>({
  kind: 'Profile',
  group: 'projectcalico.org',
  version: 'v3',
  plural: 'profiles',
  singular: 'profile',
  shortNames: ['pro', 'pros'],
  namespaced: false,
  decode: resourceDecoder({ spec: profileSpecDecoder }) as Decoder<Profile>,
  applyDefaults: (o) => o,
  validate: (o, path) => validateProfileSpec(o.spec ?? {}, path.child('spec')),
});

export const PROFILE_FRAGMENTS: readonly FragmentInfo[] = [
  defineFragment<ProfileSpec>({ name: 'ProfileSpec', decode: profileSpecDecoder, validate: validateProfileSpec }),
];
