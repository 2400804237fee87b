/**
 * @module The one JSON patch (RFC 6902) and JSON merge patch (RFC 7386) implementation, used by
 * the API server's PATCH and by `calicoctl patch`. Pure.
 *
 * Hostile input is the normal case here, so:
 * - every walk reads own properties only (`Object.hasOwn`), never the prototype chain;
 * - the keys `__proto__`, `constructor` and `prototype` are refused wherever a patch names a
 *   field (a JSON-pointer segment, a merge-patch key): a PatchError, never a write;
 * - new objects are built with own data properties only (`Object.defineProperty` semantics via
 *   object literals and `_set`), so no key can reach `Object.prototype`.
 *
 * Errors are PatchError values with a `reason`: `Invalid` (a malformed patch or a path that does
 * not apply: HTTP 400 in the API server), `TestFailed` (a `test` operation did not match:
 * HTTP 422, as kube-apiserver answers) or `Forbidden` (a forbidden key: HTTP 400).
 */

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export type PatchErrorReason = 'Invalid' | 'TestFailed' | 'Forbidden';

export class PatchError extends Error {
  constructor(
    readonly reason: PatchErrorReason,
    message: string,
  ) {
    super(message);
  }
  override get name(): string {
    return 'PatchError';
  }
}

/** Keys that would reach an object's prototype in JavaScript: refused as field names in patches and request bodies. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export const isForbiddenKey = (k: string): boolean => FORBIDDEN_KEYS.has(k);

export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `obj[key]` if `key` is an own property, else undefined. */
export function ownValue(obj: JsonObject, key: string): Json | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** Sets an own data property (never the `__proto__` setter). */
export function setOwn(obj: JsonObject, key: string, value: Json): void {
  if (isForbiddenKey(key)) throw new PatchError('Forbidden', `forbidden field name ${JSON.stringify(key)}`);
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}

const _forbidden = (key: string, where: string): PatchError =>
  new PatchError('Forbidden', `${where}: the field name ${JSON.stringify(key)} is not allowed (__proto__, constructor and prototype are refused)`);

// ------------------------------------------------------------------ JSON merge patch

/** RFC 7386: maps merge, `null` deletes, everything else replaces. Returns a new value. */
export function mergePatch(target: Json | undefined, patch: Json): Json {
  return _merge(target, patch, '');
}

function _merge(target: Json | undefined, patch: Json, at: string): Json {
  if (!isObject(patch)) return _clone(patch);
  const out: JsonObject = {};
  if (isObject(target)) for (const k of Object.keys(target)) setOwn(out, k, target[k]!);
  for (const k of Object.keys(patch)) {
    const path = `${at}/${k}`;
    if (isForbiddenKey(k)) throw _forbidden(k, `merge patch at ${JSON.stringify(path)}`);
    const v = patch[k]!;
    if (v === null) delete out[k];
    else setOwn(out, k, _merge(ownValue(out, k), v, path));
  }
  return out;
}

function _clone(v: Json): Json {
  return v === null || typeof v !== 'object' ? v : structuredClone(v);
}

// ------------------------------------------------------------------ JSON patch

/** Most operations one JSON patch may carry (kube-apiserver's limit). */
export const MAX_JSON_PATCH_OPS = 10_000;

/** A JSON pointer (RFC 6901) as segments; refuses forbidden segments. */
export function parsePointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw new PatchError('Invalid', `invalid JSON pointer ${JSON.stringify(p)}: it must start with "/"`);
  const segs = p
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  for (const s of segs) if (isForbiddenKey(s)) throw _forbidden(s, `JSON pointer ${JSON.stringify(p)}`);
  return segs;
}

function _missing(op: string, path: readonly string[]): PatchError {
  return new PatchError('Invalid', `the server rejected our request due to an error in our request: ${op} operation does not apply: doc is missing path: "/${path.join('/')}": missing value`);
}

function _childOf(cur: Json, seg: string): Json | undefined {
  if (Array.isArray(cur)) return /^(0|[1-9]\d*)$/.test(seg) ? cur[Number(seg)] : undefined;
  if (isObject(cur)) return ownValue(cur, seg);
  return undefined;
}

function _parentOf(doc: Json, path: readonly string[], op: string): { parent: JsonObject | Json[]; last: string } {
  let cur: Json = doc;
  for (const seg of path.slice(0, -1)) {
    const next = _childOf(cur, seg);
    if (next === undefined) throw _missing(op, path);
    cur = next;
  }
  if (!Array.isArray(cur) && !isObject(cur)) throw _missing(op, path);
  return { parent: cur, last: path[path.length - 1]! };
}

export function valueAtPointer(doc: Json, path: readonly string[]): Json | undefined {
  let cur: Json | undefined = doc;
  for (const seg of path) {
    if (cur === undefined) return undefined;
    cur = _childOf(cur, seg);
  }
  return cur;
}

function _index(arr: Json[], seg: string, forAdd: boolean): number {
  if (forAdd && seg === '-') return arr.length;
  if (!/^(0|[1-9]\d*)$/.test(seg)) throw new PatchError('Invalid', `invalid array index ${JSON.stringify(seg)}`);
  const i = Number(seg);
  if (i > arr.length || (!forAdd && i >= arr.length)) throw new PatchError('Invalid', `array index ${i} out of bounds`);
  return i;
}

function _add(doc: Json, path: readonly string[], value: Json): Json {
  if (path.length === 0) return value;
  const { parent, last } = _parentOf(doc, path, 'add');
  if (Array.isArray(parent)) parent.splice(_index(parent, last, true), 0, value);
  else setOwn(parent, last, value);
  return doc;
}

function _remove(doc: Json, path: readonly string[], op = 'remove'): Json {
  if (path.length === 0) throw new PatchError('Invalid', `${op} operation does not apply: cannot remove the whole document`);
  const { parent, last } = _parentOf(doc, path, op);
  if (Array.isArray(parent)) parent.splice(_index(parent, last, false), 1);
  else {
    if (!Object.hasOwn(parent, last)) throw _missing(op, path);
    delete parent[last];
  }
  return doc;
}

/** Deep equality of JSON values (key order ignored). */
export function jsonEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

/** Applies RFC 6902 operations to a copy of `doc`. Throws PatchError. */
export function jsonPatch(doc: Json, ops: unknown): Json {
  if (!Array.isArray(ops)) throw new PatchError('Invalid', 'a JSON patch must be a list (array) of operations');
  if (ops.length > MAX_JSON_PATCH_OPS) throw new PatchError('Invalid', `the JSON patch has ${ops.length} operations, more than the ${MAX_JSON_PATCH_OPS} allowed`);
  let out: Json = structuredClone(doc);
  for (const raw of ops as unknown[]) {
    if (!isObject(raw)) throw new PatchError('Invalid', 'each JSON patch operation must be an object with "op" and "path"');
    const op = ownValue(raw, 'op');
    const rawPath = ownValue(raw, 'path');
    if (typeof op !== 'string' || typeof rawPath !== 'string') throw new PatchError('Invalid', 'json patch operations need "op" and "path" (strings)');
    const path = parsePointer(rawPath);
    const value = ownValue(raw, 'value');
    switch (op) {
      case 'add':
        if (value === undefined) throw new PatchError('Invalid', 'add operation needs "value"');
        out = _add(out, path, _clone(value));
        break;
      case 'remove':
        out = _remove(out, path);
        break;
      case 'replace':
        if (value === undefined) throw new PatchError('Invalid', 'replace operation needs "value"');
        if (path.length === 0) out = _clone(value);
        else {
          if (valueAtPointer(out, path) === undefined)
            throw new PatchError('Invalid', `the server rejected our request due to an error in our request: replace operation does not apply: doc is missing key: /${path.join('/')}: missing value`);
          out = _remove(out, path, 'replace');
          out = _add(out, path, _clone(value));
        }
        break;
      case 'move':
      case 'copy': {
        const rawFrom = ownValue(raw, 'from');
        if (typeof rawFrom !== 'string') throw new PatchError('Invalid', `${op} operation needs "from"`);
        const from = parsePointer(rawFrom);
        const v = valueAtPointer(out, from);
        if (v === undefined) throw new PatchError('Invalid', `${op} operation does not apply: doc is missing from path: ${rawFrom}`);
        if (op === 'move') {
          if (rawPath.startsWith(`${rawFrom}/`)) throw new PatchError('Invalid', `move operation does not apply: "from" ${rawFrom} is a prefix of "path" ${rawPath}`);
          out = _remove(out, from, 'move');
        }
        out = _add(out, path, _clone(v));
        break;
      }
      case 'test':
        if (!jsonEqual(valueAtPointer(out, path), value)) throw new PatchError('TestFailed', `testing value ${rawPath} failed: test failed`);
        break;
      default:
        throw new PatchError('Invalid', `Unexpected kind: ${op}`);
    }
  }
  return out;
}
