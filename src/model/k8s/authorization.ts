/**
 * @module authorization.k8s.io/v1 SelfSubjectAccessReview: "may I do this?", asked by
 * `kubectl auth can-i`. Created, answered and never stored. Pure: types, strict decoder and
 * ValidateSelfSubjectAccessReview (exactly one of resourceAttributes / nonResourceAttributes).
 */
import type { FieldPath } from '../field/path.js';
import { invalid, required, type FieldError } from '../field/errors.js';
import { anyValue, obj, str, type Decoder } from '../decode/index.js';
import { defineKind } from '../kind-info.js';
import type { ObjectMeta } from '../meta.js';
import { typedResource } from './decode.js';

export interface ResourceAttributes {
  namespace?: string;
  verb?: string;
  group?: string;
  version?: string;
  resource?: string;
  subresource?: string;
  name?: string;
}

export interface NonResourceAttributes {
  path?: string;
  verb?: string;
}

export interface SelfSubjectAccessReview {
  apiVersion: string;
  kind: 'SelfSubjectAccessReview';
  metadata?: ObjectMeta;
  spec?: { resourceAttributes?: ResourceAttributes; nonResourceAttributes?: NonResourceAttributes };
  /** Ignored on input; the answer carries allowed, denied and reason. */
  status?: unknown;
}

export const selfSubjectAccessReviewDecoder: Decoder<SelfSubjectAccessReview> = typedResource('SelfSubjectAccessReview', {
  spec: obj({
    resourceAttributes: obj({ namespace: str, verb: str, group: str, version: str, resource: str, subresource: str, name: str, fieldSelector: anyValue, labelSelector: anyValue }),
    nonResourceAttributes: obj({ path: str, verb: str }),
  }),
  status: anyValue,
});

export function validateSelfSubjectAccessReview(r: SelfSubjectAccessReview, path: FieldPath): FieldError[] {
  const sp = path.child('spec');
  const ra = r.spec?.resourceAttributes;
  const nra = r.spec?.nonResourceAttributes;
  if (ra === undefined && nra === undefined) return [required(sp.child('resourceAttributes'), 'exactly one of nonResourceAttributes or resourceAttributes must be specified')];
  if (ra !== undefined && nra !== undefined) return [invalid(sp.child('nonResourceAttributes'), nra, 'cannot be specified in combination with resourceAttributes')];
  return [];
}

export const SELF_SUBJECT_ACCESS_REVIEW_KIND = defineKind<SelfSubjectAccessReview>({
  kind: 'SelfSubjectAccessReview',
  group: 'authorization.k8s.io',
  version: 'v1',
  plural: 'selfsubjectaccessreviews',
  singular: 'selfsubjectaccessreview',
  shortNames: [],
  namespaced: false,
  nameOptional: true,
  neverStored: true,
  decode: selfSubjectAccessReviewDecoder,
  applyDefaults: (r) => r,
  validate: validateSelfSubjectAccessReview,
});
