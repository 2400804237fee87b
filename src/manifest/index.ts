/**
 * @module Multi-document YAML/JSON manifests with located errors: every resource in a file,
 * decoded, defaulted and validated, or every problem as `file:line:col: path: message`.
 * Pure: takes text, returns data (file reading lives in the CLI).
 */
import { decodeResource } from '../model/validate-resource.js';
import { parseManifestsWith } from './parse.js';
import type { ManifestResult } from './types.js';

export type { Location, LocatedError, LocatedResource, ManifestResult } from './types.js';
export type { DecodeFn } from './hints.js';
export { parseManifestsWith } from './parse.js';

/** Parses every document of a YAML or JSON file through the kind registry. Never throws. */
export function parseManifests(text: string, filename: string): ManifestResult {
  return parseManifestsWith(text, filename, (raw, path) => decodeResource(raw, path));
}
