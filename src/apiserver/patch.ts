/**
 * @module The patch formats of `PATCH` requests. Pure functions over JSON values.
 *
 * - JSON patch (RFC 6902) and JSON merge patch (RFC 7386): the one implementation in
 *   src/lib/json-patch.ts, shared with `calicoctl patch` (re-exported here).
 * - Strategic merge patch, for the built-in kinds: merge patch, plus lists merged by their
 *   merge key (list-keys.ts: containers by name, container ports by containerPort, service
 *   ports by port, ...), and the directives kubectl sends: `$patch: replace|delete|merge` on maps
 *   and list items, `$setElementOrder/<list>`, `$retainKeys` and
 *   `$deleteFromPrimitiveList/<list>`. Lists without a merge key are replaced, as for Go fields
 *   without a patch strategy. Not supported: `merge` strategy on primitive lists (they are
 *   replaced).
 *
 * Every walk reads own properties only and refuses the keys `__proto__`, `constructor` and
 * `prototype` (a PatchError with reason Forbidden, which the API server answers with 400).
 */
import { listMergeKey } from './list-keys.js';
import { isForbiddenKey, isObject, jsonEqual, ownValue, PatchError, setOwn, type Json, type JsonObject } from '../lib/json-patch.js';

export { isObject, jsonPatch, mergePatch, PatchError, type Json } from '../lib/json-patch.js';

// ------------------------------------------------------------------ strategic merge patch

const SET_ORDER = '$setElementOrder/';
const DELETE_FROM = '$deleteFromPrimitiveList/';

export interface KindRef {
  readonly group: string;
  readonly kind: string;
}

export function strategicMergePatch(original: Json, patch: Json, kind: KindRef): Json {
  if (!isObject(patch)) throw new PatchError('Invalid', 'strategic merge patch must be a JSON object');
  return _smpMap(isObject(original) ? original : {}, patch, '', kind) ?? {};
}

const _child = (pattern: string, k: string): string => (pattern === '' ? k : `${pattern}.${k}`);

function _smpMap(orig: JsonObject, patch: JsonObject, pattern: string, kind: KindRef): JsonObject | undefined {
  const directive = patch['$patch'];
  if (directive === 'delete') return undefined;
  if (directive === 'replace') {
    const { $patch: _p, ...rest } = patch;
    return _stripDirectives(rest);
  }
  const out: JsonObject = {};
  for (const k of Object.keys(orig)) setOwn(out, k, orig[k]!);
  const orders = new Map<string, Json[]>();
  for (const k of Object.keys(patch)) {
    const v = patch[k]!;
    if (isForbiddenKey(k)) throw new PatchError('Forbidden', `strategic merge patch: the field name ${JSON.stringify(k)} is not allowed (__proto__, constructor and prototype are refused)`);
    if (k === '$patch' || k === '$retainKeys') continue;
    if (k.startsWith(SET_ORDER)) {
      if (Array.isArray(v)) orders.set(k.slice(SET_ORDER.length), v);
      continue;
    }
    if (k.startsWith(DELETE_FROM)) {
      const field = k.slice(DELETE_FROM.length);
      const cur = ownValue(out, field);
      if (Array.isArray(cur) && Array.isArray(v)) setOwn(out, field, cur.filter((x) => !v.some((d) => jsonEqual(d, x))));
      continue;
    }
    const p = _child(pattern, k);
    if (v === null) delete out[k];
    else if (isObject(v)) {
      const cur = ownValue(out, k);
      const merged = _smpMap(isObject(cur) ? cur : {}, v, p, kind);
      if (merged === undefined) delete out[k];
      else setOwn(out, k, merged);
    } else if (Array.isArray(v)) {
      const key = listMergeKey(kind.group, kind.kind, p);
      const cur = ownValue(out, k);
      setOwn(out, k, key === undefined ? _stripDirectivesList(v) : _smpList(Array.isArray(cur) ? cur : [], v, key, `${p}[]`, kind));
    } else setOwn(out, k, v);
  }
  for (const [field, order] of orders) {
    const key = listMergeKey(kind.group, kind.kind, _child(pattern, field));
    const cur = ownValue(out, field);
    if (key !== undefined && Array.isArray(cur)) setOwn(out, field, _reorder(cur, order, key));
  }
  const retain = patch['$retainKeys'];
  if (Array.isArray(retain)) for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  return out;
}

function _keyOf(item: Json, key: string): string | undefined {
  const v = isObject(item) ? ownValue(item, key) : undefined;
  return v === undefined ? undefined : JSON.stringify(v);
}

function _smpList(orig: Json[], patch: Json[], key: string, pattern: string, kind: KindRef): Json[] {
  if (patch.some((x) => isObject(x) && x['$patch'] === 'replace'))
    return _stripDirectivesList(patch.filter((x) => !(isObject(x) && x['$patch'] === 'replace')));
  const out = [...orig];
  for (const item of patch) {
    const k = _keyOf(item, key);
    const at = k === undefined ? -1 : out.findIndex((x) => _keyOf(x, key) === k);
    if (isObject(item) && item['$patch'] === 'delete') {
      if (at >= 0) out.splice(at, 1);
      continue;
    }
    if (at >= 0 && isObject(item) && isObject(out[at])) {
      const merged = _smpMap(out[at] as JsonObject, item, pattern, kind);
      if (merged === undefined) out.splice(at, 1);
      else out[at] = merged;
    } else if (at >= 0) out[at] = item;
    else out.push(isObject(item) ? (_smpMap({}, item, pattern, kind) ?? {}) : item);
  }
  return out;
}

/** `$setElementOrder`: items named in `order` first, in that order; the rest keep their relative order. */
function _reorder(list: Json[], order: Json[], key: string): Json[] {
  const rank = (item: Json): number => {
    const i = order.findIndex((o) => isObject(o) && _keyOf(o, key) === _keyOf(item, key));
    return i < 0 ? order.length : i;
  };
  return list
    .map((item, idx) => ({ item, idx }))
    .sort((a, b) => rank(a.item) - rank(b.item) || a.idx - b.idx)
    .map((x) => x.item);
}

function _stripDirectives(o: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const k of Object.keys(o)) {
    if (k.startsWith('$')) continue;
    const v = o[k]!;
    setOwn(out, k, isObject(v) ? _stripDirectives(v) : Array.isArray(v) ? _stripDirectivesList(v) : v);
  }
  return out;
}

function _stripDirectivesList(l: Json[]): Json[] {
  return l.map((v) => (isObject(v) ? _stripDirectives(v) : v));
}
