/** @module The values parseManifests returns: resources and errors, each with its place in the file. */
import type { FieldError } from '../model/field/errors.js';
import type { DecodedResource } from '../model/validate-resource.js';

export interface Location {
  readonly file: string;
  /** 1-based */
  readonly line: number;
  /** 1-based */
  readonly col: number;
}

export interface LocatedError {
  readonly location: Location;
  /** Index of the document in the file (0-based); -1 for a file-level problem. */
  readonly doc: number;
  /** The field error, when the problem is at a field; YAML syntax errors have none. */
  readonly fieldError?: FieldError;
  /** `file:line:col: path: message` */
  readonly text: string;
}

export interface LocatedResource extends DecodedResource {
  readonly location: Location;
  readonly doc: number;
  /** The raw object as read from the file (before defaulting). */
  readonly raw: unknown;
}

export interface ManifestResult {
  readonly resources: LocatedResource[];
  readonly errors: LocatedError[];
  /** Problems that do not stop a document from being used (e.g. an unresolved YAML tag). */
  readonly warnings: LocatedError[];
}
