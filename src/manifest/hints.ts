/**
 * @module Mis-indentation hints for field errors. A key that is unknown where it stands is often
 * a known field one level up or down: the line was indented wrongly. The hint is found by trying:
 * the key is moved into each enclosing map (and each map the line before it closes) and the
 * document decoded again; a map that accepts the key, but would not accept a made-up key, is
 * where the line probably belongs. No schema knowledge is needed, only the kind's decoder.
 */
import { isMap, type Document, type LineCounter } from 'yaml';
import type { FieldError } from '../model/field/errors.js';
import { FieldPath } from '../model/field/path.js';
import type { DecodedResource } from '../model/validate-resource.js';
import type { Result } from '../lib/result.js';
import { indentOf, previousContentLine, closesDeeperBlock, type Lines } from './indentation.js';
import { findPath, keyName, mapChainAt, startOf, type PathKeys } from './locate.js';

export type DecodeFn = (raw: unknown, path: FieldPath) => Result<DecodedResource, FieldError[]>;

export interface HintCtx {
  readonly doc: Document.Parsed;
  readonly lc: LineCounter;
  readonly lines: Lines;
  readonly decode: DecodeFn;
  /** The value that was decoded (the document, or one item of a List). */
  readonly raw: unknown;
  /** Keys from the document root to `raw`. */
  readonly rootKeys: PathKeys;
  readonly rootPath: FieldPath;
}

const PROBE = 'tabbyProbeNotAField';
const MAX_CANDIDATES = 8;
const MAX_LINES_BACK = 200;

const _sameKeys = (a: PathKeys, b: PathKeys): boolean => a.length === b.length && a.every((k, i) => k === b[i]);
const _startsWith = (a: PathKeys, prefix: PathKeys): boolean => prefix.every((k, i) => a[i] === k);

/** Hints for one field error, already phrased for the end of a message. */
export function hintsFor(e: FieldError, ctx: HintCtx, tryRelocation: boolean): string[] {
  const keys = e.field.keys();
  const f = findPath(ctx.doc, keys);
  if (!f.complete || !f.pair) return [];
  const keyOffset = startOf(f.pair.key);
  if (keyOffset === undefined) return [];
  const keyLine = ctx.lc.linePos(keyOffset).line;
  const hints: string[] = [];
  if ((e.type === 'Unknown' || e.type === 'TypeInvalid') && f.parent?.flow !== true) {
    const cols = (f.parent?.items ?? []).map((p) => startOf(p.key)).filter((o): o is number => o !== undefined);
    const first = cols[0];
    if (first !== undefined && ctx.lc.linePos(first).col !== ctx.lc.linePos(keyOffset).col)
      hints.push(`check the indentation of line ${keyLine}`);
  }
  if (e.type !== 'Unknown') return hints;
  // The decoder may already explain a known slip ("indent it to the level of `from`").
  const explained = /\bindent/i.test(e.detail);
  const moved = tryRelocation && !explained ? _relocation(keys, keyLine, ctx) : undefined;
  if (moved !== undefined) hints.push(moved);
  else if (hints.length === 0 && !explained && closesDeeperBlock(ctx.lines, keyLine - 1)) hints.push('is this line mis-indented?');
  return hints;
}

function _relocation(keys: PathKeys, keyLine: number, ctx: HintCtx): string | undefined {
  const name = keys[keys.length - 1];
  if (typeof name !== 'string') return undefined;
  const parentKeys = keys.slice(0, -1);
  const candidates: PathKeys[] = [];
  // The maps this line may have slipped out of: those enclosing the deeper lines above it,
  // nearest first, back to the line that opened this key's own block.
  const keyIndent = indentOf(ctx.lines[keyLine - 1] ?? '');
  for (let j = previousContentLine(ctx.lines, keyLine - 1), n = 0; j >= 0 && n < MAX_LINES_BACK; j = previousContentLine(ctx.lines, j), n++) {
    const l = ctx.lines[j]!;
    const ind = indentOf(l);
    if (ind < keyIndent) break;
    if (ind === keyIndent && !/^\s*-\s/.test(l)) continue;
    const off = (ctx.lc.lineStarts[j] ?? 0) + l.trimEnd().length - 1;
    candidates.push(...mapChainAt(ctx.doc, off).reverse());
  }
  for (let n = parentKeys.length - 1; n >= 0; n--) candidates.push(parentKeys.slice(0, n));
  const tried: PathKeys[] = [];
  for (const cand of candidates) {
    if (tried.length >= MAX_CANDIDATES) break;
    if (_sameKeys(cand, parentKeys) || !_startsWith(cand, ctx.rootKeys)) continue;
    if (tried.some((t) => _sameKeys(t, cand))) continue;
    tried.push(cand);
    const target = findPath(ctx.doc, cand);
    if (!target.complete || !isMap(target.node)) continue;
    if (target.node.items.some((p) => keyName(p.key) === name)) continue;
    if (!_accepts(ctx, parentKeys, cand, name, name)) continue;
    if (_accepts(ctx, parentKeys, cand, name, PROBE)) continue;
    const where = _pathOf(cand);
    const at = startOf(target.node);
    const line = at === undefined ? undefined : ctx.lc.linePos(at).line;
    return `${JSON.stringify(name)} is a field of ${where === '' ? 'the top level of the document' : where}${
      line !== undefined && where !== '' ? ` (line ${line})` : ''
    }: is this line mis-indented?`;
  }
  return undefined;
}

/** Whether moving `name` from `from` into the map at `to` (under `as`) leaves no Unknown error there. */
function _accepts(ctx: HintCtx, from: PathKeys, to: PathKeys, name: string, as: string): boolean {
  const n = ctx.rootKeys.length;
  let clone: unknown;
  try {
    clone = structuredClone(ctx.raw);
  } catch {
    return false;
  }
  const src = _at(clone, from.slice(n));
  const dst = _at(clone, to.slice(n));
  if (!_isRecord(src) || !_isRecord(dst) || !(name in src)) return false;
  const value = src[name];
  delete src[name];
  dst[as] = value;
  const r = ctx.decode(clone, ctx.rootPath);
  if (r.ok) return true;
  const want = [...to, as];
  return !r.error.some((e) => e.type === 'Unknown' && _sameKeys(e.field.keys(), want));
}

function _isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function _at(v: unknown, keys: PathKeys): unknown {
  let cur = v;
  for (const k of keys) {
    if (Array.isArray(cur) && typeof k === 'number') cur = cur[k];
    else if (_isRecord(cur)) cur = cur[String(k)];
    else return undefined;
  }
  return cur;
}

function _pathOf(keys: PathKeys): string {
  let p = FieldPath.root();
  for (const k of keys) p = typeof k === 'number' ? p.index(k) : p.child(k);
  return p.toString();
}

