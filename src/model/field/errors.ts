/**
 * @module FieldError: one validation or decoding problem at one field path, mirroring
 * apimachinery's field.Error. Errors are data; text is rendered at the edge (format.ts).
 * `path` is the rendered path (`spec.ingress[0].destination.ports[1]`), `message` the
 * Kubernetes-style text without the path (`Invalid value: 0: port number must be between 1 and 65535`).
 */
import type { FieldPath } from './path.js';

export type FieldErrorType =
  | 'Required'
  | 'Invalid'
  | 'NotSupported'
  | 'Forbidden'
  | 'Duplicate'
  | 'TooLong'
  | 'TooMany'
  | 'TypeInvalid'
  | 'Unknown';

export interface FieldError {
  readonly type: FieldErrorType;
  /** Rendered field path, e.g. `spec.ingress[0].destination.ports[1]`. */
  readonly path: string;
  /** Structured path, for locating the field in a YAML document. */
  readonly field: FieldPath;
  /** The offending value, where there is one. */
  readonly value?: unknown;
  /** Lowercase reason in the Kubernetes voice. */
  readonly detail: string;
  /** Kubernetes-style message without the path. */
  readonly message: string;
}

/** Renders a value the way apimachinery does in messages: strings quoted, others as JSON. */
export function renderValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined) return 'null';
  try {
    const s = JSON.stringify(v);
    return s.length > 200 ? `${s.slice(0, 200)}…` : s;
  } catch {
    try {
      return String(v);
    } catch {
      return Object.prototype.toString.call(v);
    }
  }
}

function make(type: FieldErrorType, path: FieldPath, message: string, detail: string, value?: unknown): FieldError {
  const base = { type, path: path.toString(), field: path, detail, message };
  return value === undefined ? base : { ...base, value };
}

export const required = (path: FieldPath, detail = ''): FieldError =>
  make('Required', path, detail ? `Required value: ${detail}` : 'Required value', detail);

export const invalid = (path: FieldPath, value: unknown, detail: string): FieldError =>
  make('Invalid', path, `Invalid value: ${renderValue(value)}: ${detail}`, detail, value);

export const notSupported = (path: FieldPath, value: unknown, supported: readonly string[]): FieldError => {
  const detail = `supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`;
  return make('NotSupported', path, `Unsupported value: ${renderValue(value)}: ${detail}`, detail, value);
};

export const forbidden = (path: FieldPath, detail: string): FieldError =>
  make('Forbidden', path, `Forbidden: ${detail}`, detail);

export const duplicate = (path: FieldPath, value: unknown): FieldError =>
  make('Duplicate', path, `Duplicate value: ${renderValue(value)}`, 'duplicate value', value);

export const tooLong = (path: FieldPath, value: unknown, max: number): FieldError => {
  const detail = `may not be more than ${max} bytes`;
  return make('TooLong', path, `Too long: ${detail}`, detail, value);
};

export const tooMany = (path: FieldPath, actual: number, max: number): FieldError => {
  const detail = `must have at most ${max} items`;
  return make('TooMany', path, `Too many: ${actual}: ${detail}`, detail, actual);
};

export const typeInvalid = (path: FieldPath, value: unknown, expected: string): FieldError => {
  const detail = `expected ${expected}, got ${describeType(value)}`;
  return make('TypeInvalid', path, `Invalid value: ${renderValue(value)}: ${detail}`, detail, value);
};

export const unknownField = (path: FieldPath, hint?: string): FieldError => {
  const detail = hint ? `unknown field; did you mean "${hint}"?` : 'unknown field';
  return make('Unknown', path, `Unknown field: ${detail}`, detail);
};

export function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a number';
  if (typeof v === 'boolean') return 'a boolean';
  if (typeof v === 'string') return 'a string';
  return typeof v;
}
