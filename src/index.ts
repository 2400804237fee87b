/**
 * @module Tabby's library API (stable): selectors, resource validation, Kubernetes→Calico
 * conversion and manifest parsing. Pure: no I/O.
 */
export { parseSelector, SelectorParseError } from './selector/index.js';
export type { Selector } from './selector/index.js';
export { validateResource, validateFragment, decodeResource } from './model/validate-resource.js';
export type { DecodedResource } from './model/validate-resource.js';
export type { FieldError, FieldErrorType } from './model/field/errors.js';
export { FieldPath } from './model/field/path.js';
export { formatLine, formatAggregate, formatForCalicoctl } from './model/field/format.js';
export { convertKubernetesNetworkPolicy } from './model/convert/index.js';
export type { ConversionResult } from './model/convert/index.js';
export { parseManifests } from './manifest/index.js';
export type { ManifestResult, LocatedError, LocatedResource, Location } from './manifest/index.js';
export { ALL_KINDS, kindFor, kindByAlias } from './model/kinds.js';
export type { KindInfo } from './model/kind-info.js';
