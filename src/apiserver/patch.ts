/**
 * @module The three patch formats of `PATCH` requests. Pure functions over JSON values.
 *
 * - JSON patch (RFC 6902): add, remove, replace, move, copy, test.
 * - JSON merge patch (RFC 7386): maps merge, `null` deletes, everything else replaces.
 * - Strategic merge patch, for the built-in kinds: merge patch, plus lists merged by their
 *   merge key (list-keys.ts: containers by name, container ports by containerPort, service
 *   ports by port, ...), and the directives kubectl sends: `$patch: replace|delete|merge` on maps
 *   and list items, `$setElementOrder/<list>`, `$retainKeys` and
 *   `$deleteFromPrimitiveList/<list>`. Lists without a merge key are replaced, as for Go fields
 *   without a patch strategy. Not supported: `merge` strategy on primitive lists (they are
 *   replaced).
 */
import { badRequest } from './status.js';
import { listMergeKey } from './list-keys.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

// ------------------------------------------------------------------ JSON merge patch

export function mergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

// ------------------------------------------------------------------ JSON patch

function _pointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw badRequest(`invalid JSON pointer ${JSON.stringify(p)}`);
  return p
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function _parentOf(doc: Json, path: string[], op: string): { parent: JsonObject | Json[]; last: string } {
  let cur: Json = doc;
  for (const seg of path.slice(0, -1)) {
    const next: Json | undefined = Array.isArray(cur) ? cur[Number(seg)] : isObject(cur) ? cur[seg] : undefined;
    if (next === undefined) throw badRequest(`the server rejected our request due to an error in our request: ${op} operation does not apply: doc is missing path: "/${path.join('/')}": missing value`);
    cur = next;
  }
  if (!Array.isArray(cur) && !isObject(cur)) throw badRequest(`${op} operation does not apply: doc is missing path: "/${path.join('/')}"`);
  return { parent: cur, last: path[path.length - 1]! };
}

function _getAt(doc: Json, path: string[]): Json | undefined {
  let cur: Json | undefined = doc;
  for (const seg of path) {
    if (Array.isArray(cur)) cur = cur[Number(seg)];
    else if (isObject(cur)) cur = Object.prototype.hasOwnProperty.call(cur, seg) ? cur[seg] : undefined;
    else return undefined;
  }
  return cur;
}

function _index(arr: Json[], seg: string, forAdd: boolean): number {
  if (forAdd && seg === '-') return arr.length;
  if (!/^\d+$/.test(seg)) throw badRequest(`invalid array index ${JSON.stringify(seg)}`);
  const i = Number(seg);
  if (i > arr.length || (!forAdd && i >= arr.length)) throw badRequest(`array index ${i} out of bounds`);
  return i;
}

function _add(doc: Json, path: string[], value: Json): Json {
  if (path.length === 0) return value;
  const { parent, last } = _parentOf(doc, path, 'add');
  if (Array.isArray(parent)) parent.splice(_index(parent, last, true), 0, value);
  else parent[last] = value;
  return doc;
}

function _remove(doc: Json, path: string[]): Json {
  const { parent, last } = _parentOf(doc, path, 'remove');
  if (Array.isArray(parent)) parent.splice(_index(parent, last, false), 1);
  else {
    if (!Object.prototype.hasOwnProperty.call(parent, last))
      throw badRequest(`the server rejected our request due to an error in our request: remove operation does not apply: doc is missing path: "/${path.join('/')}"`);
    delete parent[last];
  }
  return doc;
}

function _equal(a: Json | undefined, b: Json | undefined): boolean {
  return JSON.stringify(_sortKeys(a)) === JSON.stringify(_sortKeys(b));
}

function _sortKeys(v: Json | undefined): Json | undefined {
  if (Array.isArray(v)) return v.map((x) => _sortKeys(x) as Json);
  if (isObject(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, _sortKeys(v[k]) as Json]));
  return v;
}

export function jsonPatch(doc: Json, ops: unknown): Json {
  if (!Array.isArray(ops)) throw badRequest('json patch must be a list of operations');
  let out: Json = structuredClone(doc);
  for (const raw of ops) {
    if (!isObject(raw) || typeof raw['op'] !== 'string' || typeof raw['path'] !== 'string')
      throw badRequest('json patch operations need "op" and "path"');
    const path = _pointer(raw['path']);
    const value = raw['value'];
    switch (raw['op']) {
      case 'add':
        if (value === undefined) throw badRequest('add operation needs "value"');
        out = _add(out, path, structuredClone(value));
        break;
      case 'remove':
        out = _remove(out, path);
        break;
      case 'replace':
        if (value === undefined) throw badRequest('replace operation needs "value"');
        if (path.length === 0) out = structuredClone(value);
        else {
          if (_getAt(out, path) === undefined)
            throw badRequest(`the server rejected our request due to an error in our request: replace operation does not apply: doc is missing key: /${path.join('/')}: missing value`);
          out = _remove(out, path);
          out = _add(out, path, structuredClone(value));
        }
        break;
      case 'move':
      case 'copy': {
        if (typeof raw['from'] !== 'string') throw badRequest(`${raw['op']} operation needs "from"`);
        const from = _pointer(raw['from']);
        const v = _getAt(out, from);
        if (v === undefined) throw badRequest(`${raw['op']} operation does not apply: doc is missing from path: ${raw['from']}`);
        if (raw['op'] === 'move') out = _remove(out, from);
        out = _add(out, path, structuredClone(v));
        break;
      }
      case 'test':
        if (!_equal(_getAt(out, path), value as Json | undefined)) throw badRequest(`testing value ${raw['path']} failed: test failed`);
        break;
      default:
        throw badRequest(`Unexpected kind: ${raw['op']}`);
    }
  }
  return out;
}

// ------------------------------------------------------------------ strategic merge patch

const SET_ORDER = '$setElementOrder/';
const DELETE_FROM = '$deleteFromPrimitiveList/';

export interface KindRef {
  readonly group: string;
  readonly kind: string;
}

export function strategicMergePatch(original: Json, patch: Json, kind: KindRef): Json {
  if (!isObject(patch)) throw badRequest('strategic merge patch must be a JSON object');
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
  const out: JsonObject = { ...orig };
  const orders = new Map<string, Json[]>();
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys') continue;
    if (k.startsWith(SET_ORDER)) {
      if (Array.isArray(v)) orders.set(k.slice(SET_ORDER.length), v);
      continue;
    }
    if (k.startsWith(DELETE_FROM)) {
      const field = k.slice(DELETE_FROM.length);
      const cur = out[field];
      if (Array.isArray(cur) && Array.isArray(v)) out[field] = cur.filter((x) => !v.some((d) => _equal(d, x)));
      continue;
    }
    const p = _child(pattern, k);
    if (v === null) delete out[k];
    else if (isObject(v)) {
      const merged = _smpMap(isObject(out[k]) ? (out[k] as JsonObject) : {}, v, p, kind);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else if (Array.isArray(v)) {
      const key = listMergeKey(kind.group, kind.kind, p);
      const cur = out[k];
      out[k] = key === undefined ? _stripDirectivesList(v) : _smpList(Array.isArray(cur) ? cur : [], v, key, `${p}[]`, kind);
    } else out[k] = v;
  }
  for (const [field, order] of orders) {
    const key = listMergeKey(kind.group, kind.kind, _child(pattern, field));
    const cur = out[field];
    if (key !== undefined && Array.isArray(cur)) out[field] = _reorder(cur, order, key);
  }
  const retain = patch['$retainKeys'];
  if (Array.isArray(retain)) for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  return out;
}

function _keyOf(item: Json, key: string): string | undefined {
  return isObject(item) && item[key] !== undefined ? JSON.stringify(item[key]) : undefined;
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
  for (const [k, v] of Object.entries(o)) {
    if (k.startsWith('$')) continue;
    out[k] = isObject(v) ? _stripDirectives(v) : Array.isArray(v) ? _stripDirectivesList(v) : v;
  }
  return out;
}

function _stripDirectivesList(l: Json[]): Json[] {
  return l.map((v) => (isObject(v) ? _stripDirectives(v) : v));
}
