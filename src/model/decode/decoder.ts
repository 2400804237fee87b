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

/**
 * An optional allocation-free fast path for a leaf decoder: returns the decoded value when the
 * input is valid and needs no path, or undefined to fall back to the full decoder (which then
 * reports any problem at its path). Contract: whenever fast(raw) is not undefined, the decoder
 * itself would return that same value and push no error. Lets obj/arr skip building a child
 * path for the (many) leaf values of a valid document.
 */
export type FastPath = (raw: unknown) => unknown;

const _fastPaths = new WeakMap<Decoder<unknown>, FastPath>();

/** Registers `fast` as the fast path of `d` (see FastPath); returns `d`. */
export function withFastPath<T>(d: Decoder<T>, fast: FastPath): Decoder<T> {
  _fastPaths.set(d as Decoder<unknown>, fast);
  return d;
}

const fastPathOf = (d: Decoder<unknown>): FastPath | undefined => _fastPaths.get(d);

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

withFastPath(str, (raw) => (typeof raw === 'string' ? raw : undefined));
withFastPath(bool, (raw) => (typeof raw === 'boolean' ? raw : undefined));
withFastPath(num, (raw) => (typeof raw === 'number' && Number.isFinite(raw) ? raw : undefined));
withFastPath(int, (raw) => (typeof raw === 'number' && Number.isInteger(raw) ? raw : undefined));

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
  const fast = fastPathOf(item as Decoder<unknown>);
  const d: Decoder<T[]> = (raw, path, errs) => {
    if (!Array.isArray(raw)) {
      errs.push(typeInvalid(path, raw, 'a list'));
      return undefined;
    }
    const out: T[] = [];
    let bad = false;
    const n = raw.length;
    for (let i = 0; i < n; i++) {
      if (!(i in raw)) continue; // forEach skipped holes; so do we
      const v: unknown = raw[i];
      if (fast !== undefined && v !== null && v !== undefined) {
        const f = fast(v);
        if (f !== undefined) {
          out.push(f as T);
          continue;
        }
      }
      const p = path.index(i);
      if (v === null || v === undefined) {
        errs.push(typeInvalid(p, v, 'a value'));
        bad = true;
        continue;
      }
      const d = item(v, p, errs);
      if (d === undefined) bad = true;
      else out.push(d);
    }
    return bad ? undefined : out;
  };
  // A list of fast-path items has a fast path: every item must take it, or the full decoder runs.
  if (fast !== undefined)
    withFastPath(d, (raw) => {
      if (!Array.isArray(raw)) return undefined;
      const out: unknown[] = [];
      const n = raw.length;
      for (let i = 0; i < n; i++) {
        if (!(i in raw)) continue;
        const v: unknown = raw[i];
        if (v === null || v === undefined) return undefined;
        const f = fast(v);
        if (f === undefined) return undefined;
        out.push(f);
      }
      return out;
    });
  return d;
}

/** A map with string keys (labels, annotations, nodeSelector...). */
/**
 * `out[k] = v` that keeps a `__proto__` key as data: plain assignment would set the prototype
 * (or be dropped for a string), so a map key `__proto__` would vanish before validation saw it.
 */
function _set(out: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  else out[k] = v;
}

export function record<T>(value: Decoder<T>): Decoder<Record<string, T>> {
  const fast = fastPathOf(value as Decoder<unknown>);
  const dec: Decoder<Record<string, T>> = (raw, path, errs) => {
    if (!isPlainObject(raw)) {
      errs.push(typeInvalid(path, raw, 'a map'));
      return undefined;
    }
    const out: Record<string, T> = {};
    let bad = false;
    for (const [k, v] of Object.entries(raw)) {
      if (fast !== undefined) {
        const f = fast(v);
        if (f !== undefined) {
          _set(out, k, f as T);
          continue;
        }
      }
      const d = value(v, path.key(k), errs);
      if (d === undefined) bad = true;
      else _set(out, k, d);
    }
    return bad ? undefined : out;
  };
  if (fast !== undefined)
    withFastPath(dec, (raw) => {
      if (!isPlainObject(raw)) return undefined;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(raw)) {
        const f = fast(v);
        if (f === undefined) return undefined;
        _set(out, k, f);
      }
      return out;
    });
  return dec;
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
  // One lookup per field: the decoder and its fast path (if any).
  const table = new Map<string, { readonly d: Decoder<unknown>; readonly fast: FastPath | undefined }>(
    known.map((k) => [k, { d: fields[k]!, fast: fastPathOf(fields[k]!) }]),
  );
  const dec: Decoder<Decoded<F>> = (raw, path, errs) => {
    if (!isPlainObject(raw)) {
      errs.push(typeInvalid(path, raw, 'a map'));
      return undefined;
    }
    const out: Record<string, unknown> = {};
    let bad = false;
    for (const k in raw) {
      if (!Object.prototype.hasOwnProperty.call(raw, k)) continue;
      const v = raw[k];
      const entry = table.get(k);
      if (entry === undefined) {
        if (opts.open) out[k] = v;
        else {
          errs.push(unknownField(path.child(k), suggestField(k, known)));
          bad = true;
        }
        continue;
      }
      if (v === null || v === undefined) continue;
      const f = entry.fast;
      if (f !== undefined) {
        const fv = f(v);
        if (fv !== undefined) {
          out[k] = fv;
          continue;
        }
      }
      const dv = entry.d(v, path.child(k), errs);
      if (dv === undefined) bad = true;
      else out[k] = dv;
    }
    return bad ? undefined : (out as Decoded<F>);
  };
  // An object whose fields all have fast paths has one too: same walk, same output, and any
  // unknown field or field off its fast path sends the value to the full decoder instead.
  let allFast = true;
  for (const e of table.values()) if (e.fast === undefined) allFast = false;
  if (allFast)
    withFastPath(dec as Decoder<unknown>, (raw) => {
      if (!isPlainObject(raw)) return undefined;
      const out: Record<string, unknown> = {};
      for (const k in raw) {
        if (!Object.prototype.hasOwnProperty.call(raw, k)) continue;
        const v = raw[k];
        const entry = table.get(k);
        if (entry === undefined) {
          if (opts.open) out[k] = v;
          else return undefined;
          continue;
        }
        if (v === null || v === undefined) continue;
        const fv = entry.fast!(v);
        if (fv === undefined) return undefined;
        out[k] = fv;
      }
      return out;
    });
  return dec;
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
