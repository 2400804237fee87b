/**
 * @module Strict decoding of untyped JSON/YAML values into typed resources.
 *
 * A Decoder pushes every problem it finds (with its field path) onto `errs` and returns the
 * decoded value, or `undefined` when the value could not be decoded. Absent and `null` fields
 * are treated alike (Go's encoding/json does the same). Objects are strict by default: an
 * unknown field is an error naming it, with a hint when only its case or spelling is off
 * (the seed's `Namespace:` and `NamespaceSelector:`).
 *
 * Decoding checks shape only (types, known fields). Semantic checks are validation's job and run
 * only on a document that decoded cleanly.
 */
import { FieldPath } from '../field/path.js';
import { typeInvalid, unknownField, type FieldError } from '../field/errors.js';

export type Decoder<T> = (raw: unknown, path: FieldPath, errs: FieldError[]) => T | undefined;

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export const str: Decoder<string> = (raw, path, errs) => {
  if (typeof raw === 'string') return raw;
  errs.push(typeInvalid(path, raw, 'a string'));
  return undefined;
};

export const bool: Decoder<boolean> = (raw, path, errs) => {
  if (typeof raw === 'boolean') return raw;
  errs.push(typeInvalid(path, raw, 'a boolean'));
  return undefined;
};

/** Any finite number (Go float64). */
export const num: Decoder<number> = (raw, path, errs) => {
  if (typeof raw === 'number' && Number.isFinite(raw)) return raw;
  errs.push(typeInvalid(path, raw, 'a number'));
  return undefined;
};

/** A whole number (Go int/int32/uint8...). Range checks belong to validation. */
export const int: Decoder<number> = (raw, path, errs) => {
  if (typeof raw === 'number' && Number.isInteger(raw)) return raw;
  errs.push(typeInvalid(path, raw, 'an integer'));
  return undefined;
};

/** An integer or a string (numorstring / IntOrString). */
export const intOrStr: Decoder<number | string> = (raw, path, errs) => {
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' && Number.isInteger(raw)) return raw;
  errs.push(typeInvalid(path, raw, 'an integer or a string'));
  return undefined;
};

/** Any JSON value, kept as is (for fields whose content Tabby does not interpret). */
export const anyValue: Decoder<unknown> = (raw) => raw;

export function arr<T>(item: Decoder<T>): Decoder<T[]> {
  return (raw, path, errs) => {
    if (!Array.isArray(raw)) {
      errs.push(typeInvalid(path, raw, 'a list'));
      return undefined;
    }
    const out: T[] = [];
    let bad = false;
    raw.forEach((v, i) => {
      const p = path.index(i);
      if (v === null || v === undefined) {
        errs.push(typeInvalid(p, v, 'a value'));
        bad = true;
        return;
      }
      const d = item(v, p, errs);
      if (d === undefined) bad = true;
      else out.push(d);
    });
    return bad ? undefined : out;
  };
}

/** A map with string keys (labels, annotations, nodeSelector...). */
export function record<T>(value: Decoder<T>): Decoder<Record<string, T>> {
  return (raw, path, errs) => {
    if (!isPlainObject(raw)) {
      errs.push(typeInvalid(path, raw, 'a map'));
      return undefined;
    }
    const out: Record<string, T> = {};
    let bad = false;
    for (const [k, v] of Object.entries(raw)) {
      const d = value(v, path.key(k), errs);
      if (d === undefined) bad = true;
      else out[k] = d;
    }
    return bad ? undefined : out;
  };
}

export function oneOf<const L extends string>(values: readonly L[]): Decoder<L> {
  return (raw, path, errs) => {
    if (typeof raw === 'string' && (values as readonly string[]).includes(raw)) return raw as L;
    errs.push(
      typeof raw === 'string'
        ? { ...typeInvalid(path, raw, `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`) }
        : typeInvalid(path, raw, 'a string'),
    );
    return undefined;
  };
}

type Fields = Readonly<Record<string, Decoder<unknown>>>;
export type Decoded<F extends Fields> = { -readonly [K in keyof F]?: F[K] extends Decoder<infer T> ? T : never };

export interface ObjOptions {
  /** Keep unknown fields instead of rejecting them (for Kubernetes objects Tabby only partly models). */
  readonly open?: boolean;
}

/** Edit distance ≤ 2 or same letters ignoring case: the hint for an unknown field. */
export function suggestField(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  const exact = known.find((k) => k.toLowerCase() === lower);
  if (exact !== undefined) return exact;
  let best: string | undefined;
  let bestD = 3;
  for (const k of known) {
    const d = _distance(lower, k.toLowerCase(), bestD);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best;
}

function _distance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) >= cap) return cap;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur.push(Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

export function obj<F extends Fields>(fields: F, opts: ObjOptions = {}): Decoder<Decoded<F>> {
  const known = Object.keys(fields);
  const table = new Map<string, Decoder<unknown>>(known.map((k) => [k, fields[k]!]));
  return (raw, path, errs) => {
    if (!isPlainObject(raw)) {
      errs.push(typeInvalid(path, raw, 'a map'));
      return undefined;
    }
    const out: Record<string, unknown> = {};
    let bad = false;
    for (const k in raw) {
      if (!Object.prototype.hasOwnProperty.call(raw, k)) continue;
      const v = raw[k];
      const d = table.get(k);
      if (d === undefined) {
        if (opts.open) out[k] = v;
        else {
          errs.push(unknownField(path.child(k), suggestField(k, known)));
          bad = true;
        }
        continue;
      }
      if (v === null || v === undefined) continue;
      const dv = d(v, path.child(k), errs);
      if (dv === undefined) bad = true;
      else out[k] = dv;
    }
    return bad ? undefined : (out as Decoded<F>);
  };
}

/** Runs a decoder on a whole value; returns the value or the collected errors. */
export function runDecoder<T>(
  d: Decoder<T>,
  raw: unknown,
  path: FieldPath = FieldPath.root(),
): { value: T; errors: [] } | { value: undefined; errors: FieldError[] } {
  const errs: FieldError[] = [];
  const v = d(raw, path, errs);
  if (errs.length > 0 || v === undefined) return { value: undefined, errors: errs };
  return { value: v, errors: [] };
}
