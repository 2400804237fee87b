/**
 * @module Field ownership (`metadata.managedFields`) and server-side apply. Pure.
 *
 * A field set is a set of leaf paths. Segments are Kubernetes' FieldsV1 keys: `f:<field>` for
 * a map field, `k:{"name":"x"}` for the item of a list merged by key (list-keys.ts), and `.`
 * for "the list item itself". Scalars, empty maps and atomic lists (every list of a Calico kind,
 * every list without a merge key) are leaves.
 *
 * Update operations (create, update, patch) give the writer the fields it changed and take
 * them from everyone else. Apply gives the applier exactly the fields of its configuration;
 * setting a field another manager owns to a different value is a conflict (409, one cause per
 * field, the message kubectl prints), unless forced, which moves ownership. Fields the applier
 * owned before, no longer applies, and nobody else owns are removed from the object.
 */
import { isObject, ownValue, setOwn, type Json } from '../lib/json-patch.js';
import { listMergeKey } from './list-keys.js';
import { status, StatusError } from './status.js';

type JsonObject = { [k: string]: Json };
type Path = readonly string[];

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: JsonObject;
  subresource?: string;
}

export interface KindRef {
  readonly group: string;
  readonly kind: string;
  readonly apiVersion: string;
}

/** Server-owned and identity fields no manager owns (structured-merge-diff's stripped set). */
const IGNORED_META = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds']);

const _pathKey = (p: Path): string => p.join('\u0000');

// ------------------------------------------------------------------ leaves and values

function _itemSegment(item: Json, key: string): string | undefined {
  if (!isObject(item) || item[key] === undefined) return undefined;
  return `k:${JSON.stringify({ [key]: item[key] })}`;
}

/** Every leaf path of an object (the fields it sets). */
export function leaves(obj: Json, kind: KindRef): Map<string, Path> {
  const out = new Map<string, Path>();
  const walk = (v: Json, path: string[], pattern: string, top: boolean): void => {
    if (isObject(v)) {
      const keys = Object.keys(v).filter((k) => !(top && (k === 'apiVersion' || k === 'kind')));
      if (keys.length === 0 && path.length > 0) {
        out.set(_pathKey(path), [...path]);
        return;
      }
      for (const k of keys) {
        if (pattern === 'metadata' && IGNORED_META.has(k)) continue;
        walk(v[k]!, [...path, `f:${k}`], pattern === '' ? k : `${pattern}.${k}`, false);
      }
      return;
    }
    if (Array.isArray(v)) {
      const key = listMergeKey(kind.group, kind.kind, pattern);
      if (key !== undefined && v.every((item) => _itemSegment(item, key) !== undefined)) {
        for (const item of v) {
          const p = [...path, _itemSegment(item, key)!];
          out.set(_pathKey([...p, '.']), [...p, '.']);
          walk(item, p, `${pattern}[]`, false);
        }
        return;
      }
    }
    out.set(_pathKey(path), [...path]);
  };
  walk(obj, [], '', true);
  return out;
}

function _step(cur: Json | undefined, seg: string): Json | undefined {
  if (seg === '.') return cur;
  if (seg.startsWith('f:')) return isObject(cur) ? ownValue(cur, seg.slice(2)) : undefined;
  if (seg.startsWith('k:') && Array.isArray(cur)) {
    let want: unknown;
    try {
      want = JSON.parse(seg.slice(2));
    } catch {
      return undefined; // a malformed key in client-supplied managedFields matches nothing
    }
    if (!isObject(want)) return undefined;
    const [k, v] = Object.entries(want)[0] ?? ['', null];
    return cur.find((item) => isObject(item) && JSON.stringify(ownValue(item, k)) === JSON.stringify(v));
  }
  return undefined;
}

export function valueAt(obj: Json | undefined, path: Path): Json | undefined {
  let cur: Json | undefined = obj;
  for (const seg of path) cur = _step(cur, seg);
  return cur;
}

export function canonical(v: Json | undefined): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObject(v))
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v ?? null);
}

/** The list item itself (`.`) compares by key only; fields compare by value. */
function _sameAt(a: Json | undefined, b: Json | undefined, path: Path): boolean {
  if (path[path.length - 1] === '.') return (a === undefined) === (b === undefined);
  return canonical(a) === canonical(b);
}

// ------------------------------------------------------------------ FieldsV1

export function toFieldsV1(paths: Iterable<Path>): JsonObject {
  const root: JsonObject = {};
  for (const p of paths) {
    let cur = root;
    for (const seg of p) {
      let next = ownValue(cur, seg);
      if (!isObject(next)) {
        next = {};
        setOwn(cur, seg, next);
      }
      cur = next;
    }
  }
  return root;
}

export function fromFieldsV1(f: unknown): Map<string, Path> {
  const out = new Map<string, Path>();
  const walk = (node: unknown, path: string[]): void => {
    if (!isObject(node)) return;
    const keys = Object.keys(node);
    if (keys.length === 0 && path.length > 0) {
      out.set(_pathKey(path), [...path]);
      return;
    }
    for (const k of keys) walk(node[k], [...path, k]);
  };
  walk(f, []);
  return out;
}

interface Owner {
  entry: ManagedFieldsEntry;
  fields: Map<string, Path>;
}

function _owners(obj: Json | undefined): Owner[] {
  const mf = isObject(obj) && isObject(obj['metadata']) ? obj['metadata']['managedFields'] : undefined;
  if (!Array.isArray(mf)) return [];
  const out: Owner[] = [];
  for (const e of mf) {
    if (!isObject(e) || typeof e['manager'] !== 'string') continue;
    const entry = e as unknown as ManagedFieldsEntry;
    out.push({ entry, fields: fromFieldsV1(entry.fieldsV1) });
  }
  return out;
}

function _serialize(owners: readonly Owner[]): ManagedFieldsEntry[] {
  return owners.filter((o) => o.fields.size > 0).map((o) => ({ ...o.entry, fieldsV1: toFieldsV1(o.fields.values()) }));
}

function _withManagedFields(obj: JsonObject, entries: ManagedFieldsEntry[]): JsonObject {
  const meta = isObject(obj['metadata']) ? { ...obj['metadata'] } : {};
  if (entries.length === 0) delete meta['managedFields'];
  else meta['managedFields'] = entries as unknown as Json;
  return { ...obj, metadata: meta };
}

const _managedOf = (obj: Json | undefined): Json | undefined =>
  isObject(obj) && isObject(obj['metadata']) ? obj['metadata']['managedFields'] : undefined;

// ------------------------------------------------------------------ Update operations

/**
 * Ownership after an update (create, PUT, non-apply PATCH) by `manager`. A request that sets
 * managedFields itself (kubectl's client-side to server-side apply migration does, with a JSON
 * patch) keeps them as given.
 */
export function trackUpdate(old: Json | undefined, next: JsonObject, manager: string, kind: KindRef, now: Date): JsonObject {
  const requested = _managedOf(next);
  if (requested !== undefined && canonical(requested) !== canonical(_managedOf(old))) return next;
  const before = old === undefined ? new Map<string, Path>() : leaves(old, kind);
  const after = leaves(next, kind);
  const changed = new Map<string, Path>();
  for (const [k, p] of after) if (!before.has(k) || !_sameAt(valueAt(old, p), valueAt(next, p), p)) changed.set(k, p);
  const removed = [...before.keys()].filter((k) => !after.has(k));
  const owners = _owners(old);
  if (changed.size === 0 && removed.length === 0) return _withManagedFields(next, _serialize(owners));
  for (const o of owners) {
    for (const k of changed.keys()) o.fields.delete(k);
    for (const k of removed) o.fields.delete(k);
  }
  let mine = owners.find((o) => o.entry.manager === manager && o.entry.operation === 'Update' && o.entry.subresource === undefined);
  if (!mine) {
    mine = { entry: _entry(manager, 'Update', kind, now), fields: new Map() };
    owners.push(mine);
  }
  mine.entry = { ...mine.entry, time: _time(now), apiVersion: kind.apiVersion };
  for (const [k, p] of changed) mine.fields.set(k, p);
  return _withManagedFields(next, _serialize(owners));
}

const _time = (now: Date): string => now.toISOString().replace(/\.\d{3}Z$/, 'Z');

function _entry(manager: string, operation: 'Apply' | 'Update', kind: KindRef, now: Date): ManagedFieldsEntry {
  return { manager, operation, apiVersion: kind.apiVersion, time: _time(now), fieldsType: 'FieldsV1', fieldsV1: {} };
}

// ------------------------------------------------------------------ Apply

export interface Conflict {
  readonly manager: string;
  readonly operation: 'Apply' | 'Update';
  readonly apiVersion: string;
  readonly path: Path;
}

/** structured-merge-diff's path text: `.spec.containers[name="nginx"].image`. */
export function pathString(p: Path): string {
  let out = '';
  for (const seg of p) {
    if (seg === '.') continue;
    if (seg.startsWith('f:')) out += `.${seg.slice(2)}`;
    else if (seg.startsWith('k:')) {
      let kv: unknown;
      try {
        kv = JSON.parse(seg.slice(2));
      } catch {
        kv = undefined;
      }
      if (!isObject(kv)) {
        out += `[${seg.slice(2)}]`;
        continue;
      }
      out += `[${Object.entries(kv)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',')}]`;
    }
  }
  return out;
}

function _managerText(c: Conflict): string {
  return c.operation === 'Update' ? `"${c.manager}" using ${c.apiVersion}` : `"${c.manager}"`;
}

export function conflictError(conflicts: readonly Conflict[]): StatusError {
  const causes = conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${_managerText(c)}`, field: pathString(c.path) }));
  let message: string;
  if (conflicts.length === 1) message = `Apply failed with 1 conflict: conflict with ${_managerText(conflicts[0]!)}: ${pathString(conflicts[0]!.path)}`;
  else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) byManager.set(_managerText(c), [...(byManager.get(_managerText(c)) ?? []), pathString(c.path)]);
    const lines: string[] = [];
    for (const m of [...byManager.keys()].sort()) {
      lines.push(`conflicts with ${m}:`);
      for (const p of byManager.get(m)!) lines.push(`- ${p}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new StatusError(status(409, 'Conflict', message, { causes }));
}

/** Merges an applied configuration into the live object: maps merge, keyed lists merge by key, the rest replaces. */
function _merge(live: Json | undefined, applied: Json, kind: KindRef, pattern: string): Json {
  if (isObject(applied)) {
    const out: JsonObject = {};
    if (isObject(live)) for (const k of Object.keys(live)) setOwn(out, k, live[k]!);
    for (const [k, v] of Object.entries(applied)) setOwn(out, k, _merge(ownValue(out, k), v, kind, pattern === '' ? k : `${pattern}.${k}`));
    return out;
  }
  if (Array.isArray(applied)) {
    const key = listMergeKey(kind.group, kind.kind, pattern);
    if (key === undefined || !Array.isArray(live)) return applied;
    const seg = (x: Json) => _itemSegment(x, key);
    const merged = applied.map((item) => _merge(live.find((l) => seg(l) !== undefined && seg(l) === seg(item)), item, kind, `${pattern}[]`));
    for (const l of live) if (!applied.some((a) => seg(a) === seg(l))) merged.push(l);
    return merged;
  }
  return applied;
}

/** Removes the field at `path`; returns the new value (undefined when the whole value goes). */
function _remove(v: Json | undefined, path: Path): Json | undefined {
  if (path.length === 0 || (path.length === 1 && path[0] === '.')) return undefined;
  const [seg, ...rest] = path as [string, ...string[]];
  if (seg.startsWith('f:') && isObject(v)) {
    const k = seg.slice(2);
    if (!Object.hasOwn(v, k)) return v;
    const out: JsonObject = {};
    for (const key of Object.keys(v)) setOwn(out, key, v[key]!);
    const child = _remove(out[k], rest);
    if (child === undefined || (isObject(child) && Object.keys(child).length === 0 && rest.length > 0)) delete out[k];
    else setOwn(out, k, child);
    return out;
  }
  if (seg.startsWith('k:') && Array.isArray(v)) {
    const target = _step(v, seg);
    if (target === undefined) return v;
    const out: Json[] = [];
    for (const item of v) {
      if (item !== target) out.push(item);
      else {
        const child = _remove(item, rest);
        if (child !== undefined) out.push(child);
      }
    }
    return out;
  }
  return v;
}

export interface ApplyResult {
  readonly object: JsonObject;
}

/**
 * Server-side apply of `applied` by `manager` onto `live` (undefined when creating). Throws the
 * 409 conflict StatusError unless `force`.
 */
export function serverSideApply(live: JsonObject | undefined, applied: JsonObject, manager: string, force: boolean, kind: KindRef, now: Date): ApplyResult {
  const appliedMeta = isObject(applied['metadata']) ? { ...applied['metadata'] } : {};
  delete appliedMeta['managedFields'];
  const config: JsonObject = { ...applied, metadata: appliedMeta };
  const mineFields = leaves(config, kind);
  const owners = _owners(live);
  const isMine = (o: Owner) => o.entry.manager === manager && o.entry.operation === 'Apply';
  const conflicts: Conflict[] = [];
  const conflicted: { owner: Owner; key: string }[] = [];
  for (const o of owners) {
    if (isMine(o)) continue;
    for (const [k, p] of mineFields) {
      if (!o.fields.has(k)) continue;
      if (_sameAt(valueAt(live, p), valueAt(config, p), p)) continue;
      conflicts.push({ manager: o.entry.manager, operation: o.entry.operation, apiVersion: o.entry.apiVersion, path: p });
      conflicted.push({ owner: o, key: k });
    }
  }
  if (conflicts.length > 0 && !force) throw conflictError(conflicts);
  for (const c of conflicted) c.owner.fields.delete(c.key);

  let merged = _merge(live ?? {}, config, kind, '') as JsonObject;
  const previous = owners.find(isMine)?.fields ?? new Map<string, Path>();
  for (const [k, p] of previous) {
    if (mineFields.has(k)) continue;
    const prefix = p[p.length - 1] === '.' ? p.slice(0, -1) : p;
    const ownedElsewhere = owners.some((o) => !isMine(o) && [...o.fields.values()].some((q) => _startsWith(q, prefix)));
    if (!ownedElsewhere) merged = (_remove(merged, p) ?? {}) as JsonObject;
  }
  const rest = owners.filter((o) => !isMine(o));
  const mine: Owner = { entry: _entry(manager, 'Apply', kind, now), fields: mineFields };
  const changed = live === undefined || canonical(_strip(merged)) !== canonical(_strip(live)) || canonical(toFieldsV1(previous.values())) !== canonical(toFieldsV1(mineFields.values()));
  if (!changed) {
    const prev = owners.find(isMine);
    if (prev) mine.entry = prev.entry;
  }
  const ordered = [...owners.filter((o) => isMine(o) || rest.includes(o)).map((o) => (isMine(o) ? mine : o))];
  if (!ordered.includes(mine)) ordered.push(mine);
  return { object: _withManagedFields(merged, _serialize(ordered)) };
}

function _startsWith(p: Path, prefix: Path): boolean {
  return prefix.length <= p.length && prefix.every((s, i) => p[i] === s);
}

function _strip(o: Json | undefined): Json | undefined {
  if (!isObject(o) || !isObject(o['metadata'])) return o;
  const meta = { ...o['metadata'] };
  delete meta['managedFields'];
  return { ...o, metadata: meta };
}
