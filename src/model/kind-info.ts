/**
 * @module KindInfo: the one row of facts per resource kind (style habit 4: a registry, not
 * conditionals). Shared code — validateResource, manifests, calicoctl, the API server — reads
 * these rows and never switches on a kind name.
 */
import type { FieldPath } from './field/path.js';
import type { FieldError } from './field/errors.js';
import type { Decoder } from './decode/decoder.js';
import { obj, str } from './decode/decoder.js';
import { objectMetaDecoder, type ObjectMeta, type Resource } from './meta.js';

export interface KindInfo<T extends Resource = Resource> {
  readonly kind: string;
  /** API group: '' for the core group (v1), `projectcalico.org`, `networking.k8s.io`. */
  readonly group: string;
  readonly version: string;
  /** Lower-case plural resource name, as in URLs (`globalnetworkpolicies`). */
  readonly plural: string;
  /** Lower-case singular (`globalnetworkpolicy`). */
  readonly singular: string;
  /** Short names (kubectl) and calicoctl aliases, lower case. */
  readonly shortNames: readonly string[];
  readonly namespaced: boolean;
  /**
   * Name rule for metadata.name: returns problems in the Kubernetes voice, empty when valid.
   * Leave undefined for kinds that take the default DNS-1123 subdomain rule.
   */
  validateName?(name: string): string[];
  /** Strict decoder for the whole object (apiVersion, kind, metadata, spec, ...). */
  readonly decode: Decoder<T>;
  /** Pure defaulting; returns a new object. */
  applyDefaults(obj: T): T;
  /** Kind-specific validation (metadata name/labels/annotations are checked by the registry). */
  validate(obj: T, path: FieldPath): FieldError[];
  /** Read-only kinds derived by conversion (e.g. `knp.default.*` policies) set this. */
  readonly readOnly?: boolean;
  /**
   * Kinds the API server answers but never stores (SelfSubjectAccessReview: create only). Nothing
   * lists, watches or reads them from a datastore.
   */
  readonly neverStored?: boolean;
  /**
   * Kinds the API server checks for server-side dry-run only, never storing or running them
   * (`kubectl apply --dry-run=server` of manifests meant for a Kubernetes cluster, such as
   * deploy/kubernetes/): a create, update or patch with `dryRun=All` is decoded, defaulted,
   * validated and returned; any other write, a watch or a delete is refused with 405 and this
   * sentence; get and list find nothing. Such kinds are also `neverStored`.
   */
  readonly dryRunOnly?: string;
  /**
   * Kinds whose objects need no `metadata.name` (the calicoctl config file, `CalicoAPIConfig`,
   * has `metadata: {}`). A name, when given, is still checked.
   */
  readonly nameOptional?: boolean;
}

export const apiVersionOf = (k: { group: string; version: string }): string =>
  k.group === '' ? k.version : `${k.group}/${k.version}`;

/** Decoder for `{apiVersion, kind, metadata, ...fields}` with strict fields. */
export function resourceDecoder<F extends Record<string, Decoder<unknown>>>(fields: F) {
  return obj({ apiVersion: str, kind: str, metadata: objectMetaDecoder, ...fields });
}

/** Widens a typed KindInfo for the registry (methods are bivariant, so this is sound by design). */
export function defineKind<T extends Resource>(info: KindInfo<T>): KindInfo {
  return info as unknown as KindInfo;
}

/** A named API struct that validateFragment accepts (`Rule`, `EntityRule`, `HostEndpointSpec`, ...). */
export interface FragmentInfo<T = unknown> {
  readonly name: string;
  readonly decode: Decoder<T>;
  validate(value: T, path: FieldPath): FieldError[];
}

export function defineFragment<T>(info: FragmentInfo<T>): FragmentInfo {
  return info as unknown as FragmentInfo;
}

export type { ObjectMeta };
