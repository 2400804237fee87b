/**
 * @module Patches for `calicoctl patch`: JSON merge patch (RFC 7386), which is what a strategic
 * merge patch does on Calico's types (they declare no merge keys: lists are replaced), and JSON
 * patch (RFC 6902). Pure: returns a new value or an error message.
 */
import type { Result } from '../../lib/result.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const _isObj = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function mergePatch(target: Json, patch: Json): Json {
  if (!_isObj(patch)) return patch;
  const out: Record<string, Json> = _isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k] ?? null, v);
  }
  return out;
}

function _tokens(pointer: string): string[] | undefined {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) return undefined;
  return pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function _get(doc: Json, toks: readonly string[]): Json | undefined {
  let cur: Json | undefined = doc;
  for (const t of toks) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (_isObj(cur)) cur = cur[t];
    else return undefined;
  }
  return cur;
}

function _set(doc: Json, toks: readonly string[], value: Json | undefined, insert: boolean): Result<Json, string> {
  if (toks.length === 0) return value === undefined ? { ok: false, error: 'cannot remove the whole document' } : { ok: true, value };
  const [head, ...rest] = toks as [string, ...string[]];
  if (Array.isArray(doc)) {
    const arr = [...doc];
    const i = head === '-' ? arr.length : Number(head);
    if (!Number.isInteger(i) || i < 0 || i > arr.length) return { ok: false, error: `array index ${head} out of range` };
    if (rest.length === 0) {
      if (value === undefined) arr.splice(i, 1);
      else if (insert) arr.splice(i, 0, value);
      else arr[i] = value;
      return { ok: true, value: arr };
    }
    const inner = _set(arr[i] ?? null, rest, value, insert);
    if (!inner.ok) return inner;
    arr[i] = inner.value;
    return { ok: true, value: arr };
  }
  if (!_isObj(doc)) return { ok: false, error: `path segment ${head} does not exist` };
  const o = { ...doc };
  if (rest.length === 0) {
    if (value === undefined) {
      if (!(head in o)) return { ok: false, error: `path ${head} does not exist` };
      delete o[head];
    } else o[head] = value;
    return { ok: true, value: o };
  }
  if (!(head in o)) return { ok: false, error: `path segment ${head} does not exist` };
  const inner = _set(o[head]!, rest, value, insert);
  if (!inner.ok) return inner;
  o[head] = inner.value;
  return { ok: true, value: o };
}

export function jsonPatch(doc: Json, ops: Json): Result<Json, string> {
  if (!Array.isArray(ops)) return { ok: false, error: 'a JSON patch must be an array of operations' };
  let cur = doc;
  for (const raw of ops) {
    if (!_isObj(raw)) return { ok: false, error: 'each JSON patch operation must be an object' };
    const toks = _tokens(String(raw['path'] ?? ''));
    if (toks === undefined) return { ok: false, error: `invalid path ${String(raw['path'])}` };
    let r: Result<Json, string>;
    const op = typeof raw['op'] === 'string' ? raw['op'] : '';
    switch (op) {
      case 'add':
        r = _set(cur, toks, raw['value'] ?? null, true);
        break;
      case 'replace':
        if (_get(cur, toks) === undefined) return { ok: false, error: `replace operation does not apply: doc is missing path: ${String(raw['path'])}` };
        r = _set(cur, toks, raw['value'] ?? null, false);
        break;
      case 'remove':
        r = _set(cur, toks, undefined, false);
        break;
      case 'test':
        if (JSON.stringify(_get(cur, toks)) !== JSON.stringify(raw['value'])) return { ok: false, error: `testing value ${String(raw['path'])} failed` };
        r = { ok: true, value: cur };
        break;
      case 'copy':
      case 'move': {
        const from = _tokens(String(raw['from'] ?? ''));
        const v = from === undefined ? undefined : _get(cur, from);
        if (from === undefined || v === undefined) return { ok: false, error: `${String(raw['op'])} operation does not apply: doc is missing from path: ${String(raw['from'])}` };
        if (op === 'move') {
          const removed = _set(cur, from, undefined, false);
          if (!removed.ok) return removed;
          cur = removed.value;
        }
        r = _set(cur, toks, v, true);
        break;
      }
      default:
        return { ok: false, error: `unknown JSON patch operation ${JSON.stringify(raw['op'] ?? null)}` };
    }
    if (!r.ok) return r;
    cur = r.value;
  }
  return { ok: true, value: cur };
}
