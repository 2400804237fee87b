/**
 * @module Multi-document YAML/JSON manifests → decoded resources and located errors.
 *
 * Invariants: never throws on any input text; every problem becomes a LocatedError naming
 * `file:line:col`; one bad document does not stop the others (the caller decides what to do);
 * empty documents are skipped; `kind: List` (and typed lists such as `NetworkPolicyList`) are
 * opened into their items, each located at its own node. Documents in the common subset of YAML
 * are read by fast-yaml.ts; the `yaml` library's tree is built only when a document needs it.
 */
import { isScalar, LineCounter, parseAllDocuments, type Document, type ParsedNode } from 'yaml';
import type { FieldError } from '../model/field/errors.js';
import { describeType, renderValue } from '../model/field/errors.js';
import { FieldPath } from '../model/field/path.js';
import { formatLine } from '../model/field/format.js';
import { splitLines, type Lines } from './indentation.js';
import { hintsFor, type DecodeFn, type HintCtx } from './hints.js';
import { offsetFor, startOf, type PathKeys } from './locate.js';
import type { LocatedError, LocatedResource, Location, ManifestResult } from './types.js';
import { describeYamlErrors } from './yaml-errors.js';
import { fastParseDocuments, type FastDoc, type ItemAt } from './fast-yaml.js';

/** Relocation hints re-decode the document; bound the work on pathological inputs. */
const MAX_RELOCATIONS_PER_DOC = 5;

interface DocCtx {
  readonly file: string;
  readonly index: number;
  readonly doc: Document.Parsed;
  readonly lc: LineCounter;
  readonly lines: Lines;
  readonly decode: DecodeFn;
}

export function parseManifestsWith(text: string, filename: string, decode: DecodeFn): ManifestResult {
  const src = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const fast = fastParseDocuments(src);
  return fast === undefined ? _located(src, filename, decode) : _fast(src, filename, decode, fast);
}

/**
 * Documents the fast path read and that decode cleanly become resources directly; every other
 * document goes through the located path. That needs `yaml`'s tree of the whole text (offsets
 * and line numbers are file-wide), parsed once on first need; if its documents do not line up
 * with the fast path's, the located path redoes the whole file, so the result never depends on
 * which path read a document.
 */
function _fast(src: string, filename: string, decode: DecodeFn, fast: readonly FastDoc[]): ManifestResult {
  const resources: LocatedResource[] = [];
  const errors: LocatedError[] = [];
  const warnings: LocatedError[] = [];
  let slow: { docs: Document.Parsed[]; lc: LineCounter; lines: Lines } | undefined;
  const fastAt: { at: number; start: number }[] = [];
  for (let index = 0; index < fast.length; index++) {
    const f = fast[index]!;
    if (f.ok) {
      const raw = f.value;
      if (raw === null) continue; // empty document
      if (_isRecord(raw) && !_isList(raw)) {
        const r = decode(raw, FieldPath.root());
        if (r.ok) {
          fastAt.push({ at: resources.length, start: f.start });
          resources.push({ ...r.value, location: { file: filename, line: f.line, col: f.col }, doc: index, raw });
          continue;
        }
      } else if (_isRecord(raw) && f.items !== undefined && _fastList(raw, f.items, filename, index, decode, resources, fastAt)) {
        continue;
      }
    }
    if (slow === undefined) {
      const lc = _lineCounter(src);
      let docs: Document.Parsed[];
      try {
        docs = parseAllDocuments<ParsedNode, true>(src, { prettyErrors: false, logLevel: 'silent', uniqueKeys: true }) as Document.Parsed[];
      } catch {
        return _located(src, filename, decode);
      }
      if (!_agrees(docs, fast)) return _located(src, filename, decode);
      slow = { docs, lc, lines: splitLines(src) };
    }
    const ctx: DocCtx = { file: filename, index, doc: slow.docs[index]!, lc: slow.lc, lines: slow.lines, decode };
    const docErrors: LocatedError[] = [];
    _document(ctx, resources, docErrors, warnings);
    errors.push(...docErrors.sort((a, b) => a.location.line - b.location.line || a.location.col - b.location.col));
  }
  if (slow !== undefined) {
    // Same line table as the located path (resources keep the positions of the same offsets).
    const lc = slow.lc;
    for (const { at, start } of fastAt) resources[at] = { ...resources[at]!, location: _loc({ file: filename, lc }, start) };
  }
  return { resources, errors, warnings };
}

/** A `kind: List` whose items all decode cleanly; false (and nothing added) otherwise. */
function _fastList(
  raw: Record<string, unknown>,
  at: readonly ItemAt[],
  file: string,
  index: number,
  decode: DecodeFn,
  resources: LocatedResource[],
  fastAt: { at: number; start: number }[],
): boolean {
  const items = raw['items'];
  if (!Array.isArray(items) || items.length !== at.length) return false;
  const itemsPath = FieldPath.root('items');
  const decoded: LocatedResource[] = [];
  for (let i = 0; i < items.length; i++) {
    const item: unknown = items[i];
    if (!_isRecord(item)) return false;
    const filled = _fillItem(raw, item);
    const r = decode(filled, itemsPath.index(i));
    if (!r.ok) return false;
    const a = at[i]!;
    decoded.push({ ...r.value, location: { file, line: a.line, col: a.col }, doc: index, raw: filled });
  }
  decoded.forEach((d, i) => {
    fastAt.push({ at: resources.length, start: at[i]!.start });
    resources.push(d);
  });
  return true;
}

/** Whether `yaml` split the text as the fast path did and found nothing wrong where it read. */
function _agrees(docs: readonly Document.Parsed[], fast: readonly FastDoc[]): boolean {
  if (!Array.isArray(docs) || docs.length !== fast.length) return false;
  return fast.every((f, i) => {
    if (!f.ok) return true;
    const d = docs[i]!;
    if (d.errors.length > 0 || d.warnings.length > 0) return false;
    return f.start < 0 ? d.contents === null || startOf(d.contents) === undefined || _isNullScalar(d) : startOf(d.contents) === f.start;
  });
}

function _isNullScalar(d: Document.Parsed): boolean {
  return isScalar(d.contents) && d.contents.value === null;
}

/** The located path for a whole text: `yaml`'s tree, every document (exported for parity tests). */
export function parseManifestsLocated(text: string, filename: string, decode: DecodeFn): ManifestResult {
  return _located(text.startsWith('\uFEFF') ? text.slice(1) : text, filename, decode);
}

/**
 * Line starts from the text itself. `yaml`'s own LineCounter is fed by its lexer, which after
 * some syntax errors (an unclosed quote, a mis-indented key) records a line break twice, so every
 * later line number was one too high.
 */
function _lineCounter(src: string): LineCounter {
  const lc = new LineCounter();
  lc.addNewLine(0);
  for (let i = src.indexOf('\n'); i >= 0; i = src.indexOf('\n', i + 1)) lc.addNewLine(i + 1);
  return lc;
}

function _located(src: string, filename: string, decode: DecodeFn): ManifestResult {
  const lc = _lineCounter(src);
  const lines = splitLines(src);
  const resources: LocatedResource[] = [];
  const errors: LocatedError[] = [];
  const warnings: LocatedError[] = [];
  let docs: Document.Parsed[] | { readonly empty: true };
  try {
    docs = parseAllDocuments<ParsedNode, true>(src, { prettyErrors: false, logLevel: 'silent', uniqueKeys: true });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    errors.push(_plain({ file: filename, line: 1, col: 1 }, -1, `cannot read the file as YAML: ${msg}`));
    return { resources, errors, warnings };
  }
  if (!Array.isArray(docs)) return { resources, errors, warnings };
  docs.forEach((doc, index) => {
    const ctx: DocCtx = { file: filename, index, doc, lc, lines, decode };
    const docErrors: LocatedError[] = [];
    _document(ctx, resources, docErrors, warnings);
    errors.push(...docErrors.sort((a, b) => a.location.line - b.location.line || a.location.col - b.location.col));
  });
  return { resources, errors, warnings };
}

function _loc(ctx: { file: string; lc: LineCounter }, offset: number): Location {
  const p = ctx.lc.linePos(offset);
  return { file: ctx.file, line: p.line, col: p.col };
}

function _plain(location: Location, doc: number, message: string): LocatedError {
  return { location, doc, text: `${location.file}:${location.line}:${location.col}: ${message}` };
}

function _document(ctx: DocCtx, resources: LocatedResource[], errors: LocatedError[], warnings: LocatedError[]): void {
  const { doc, lc } = ctx;
  const docStartOffset = startOf(doc.contents) ?? doc.range[0];
  const docStart = Math.max(0, lc.linePos(doc.range[0]).line - 1);
  for (const w of doc.warnings) {
    const p = describeYamlErrors([w], { lines: ctx.lines, lc, doc, docStart })[0];
    if (p) warnings.push(_plain(_loc(ctx, p.offset), ctx.index, p.message));
  }
  const syntax = describeYamlErrors(doc.errors, { lines: ctx.lines, lc, doc, docStart });
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    errors.push(_plain(_loc(ctx, docStartOffset), ctx.index, `cannot read this document: ${_lowerFirst(msg)}`));
    return;
  }
  if (syntax.length > 0) {
    for (const s of syntax) errors.push(_plain(_loc(ctx, s.offset), ctx.index, s.message));
    // The parts that did parse may still show where a line went astray: a key that is unknown
    // where it landed. Report those from before the first syntax error; the rest is unreliable.
    const firstBad = syntax[0]!.line;
    if (_isRecord(raw) && !_isList(raw)) {
      const r = ctx.decode(raw, FieldPath.root());
      if (!r.ok) {
        const unknown = r.error.filter((e) => e.type === 'Unknown');
        const located = _locateAll(ctx, unknown, raw, [], FieldPath.root());
        for (const l of located) if (l.location.line < firstBad) errors.push(l);
      }
    }
    return;
  }
  if (raw === null || raw === undefined) return; // empty document
  if (_isRecord(raw) && _isList(raw)) {
    _list(ctx, raw, resources, errors);
    return;
  }
  if (!_isRecord(raw)) {
    const at = _loc(ctx, docStartOffset);
    const what = describeType(raw);
    const r = ctx.decode(raw, FieldPath.root());
    const fe = r.ok ? undefined : r.error[0];
    const text =
      `${at.file}:${at.line}:${at.col}: this document is ${what} (${renderValue(raw)}), not a resource: ` +
      `a manifest document must be a map with apiVersion, kind and metadata` +
      (typeof raw === 'string' && /:\S/.test(raw) ? ' (is a space missing after a colon?)' : '');
    errors.push(fe === undefined ? { location: at, doc: ctx.index, text } : { location: at, doc: ctx.index, fieldError: fe, text });
    return;
  }
  _one(ctx, raw, [], FieldPath.root(), docStartOffset, resources, errors);
}

function _one(
  ctx: DocCtx,
  raw: unknown,
  rootKeys: PathKeys,
  rootPath: FieldPath,
  at: number,
  resources: LocatedResource[],
  errors: LocatedError[],
): void {
  const r = ctx.decode(raw, rootPath);
  if (r.ok) {
    resources.push({ ...r.value, location: _loc(ctx, at), doc: ctx.index, raw });
    return;
  }
  errors.push(..._locateAll(ctx, r.error, raw, rootKeys, rootPath));
}

function _locateAll(ctx: DocCtx, errs: readonly FieldError[], raw: unknown, rootKeys: PathKeys, rootPath: FieldPath): LocatedError[] {
  const hctx: HintCtx = { doc: ctx.doc, lc: ctx.lc, lines: ctx.lines, decode: ctx.decode, raw, rootKeys, rootPath };
  let relocations = 0;
  return errs.map((e) => {
    const atKey = e.type === 'Unknown';
    const offset = offsetFor(ctx.doc, e.field.keys(), atKey);
    const location = _loc(ctx, offset);
    const tryRelocation = e.type === 'Unknown' && relocations < MAX_RELOCATIONS_PER_DOC;
    if (tryRelocation) relocations++;
    let hints: string[];
    try {
      hints = hintsFor(e, hctx, tryRelocation);
    } catch {
      hints = []; // hints are a courtesy; a decoder bug must not hide the error itself
    }
    const line = formatLine(e);
    const text = `${location.file}:${location.line}:${location.col}: ${line}${hints.length > 0 ? ` (${hints.join('; ')})` : ''}`;
    return { location, doc: ctx.index, fieldError: e, text };
  });
}

function _list(ctx: DocCtx, raw: Record<string, unknown>, resources: LocatedResource[], errors: LocatedError[]): void {
  const items = raw['items'];
  const itemsPath = FieldPath.root('items');
  if (items === undefined || items === null) return;
  if (!Array.isArray(items)) {
    const offset = offsetFor(ctx.doc, ['items'], false);
    const location = _loc(ctx, offset);
    errors.push({
      location,
      doc: ctx.index,
      text: `${location.file}:${location.line}:${location.col}: items: Invalid value: expected a list, got ${describeType(items)}`,
    });
    return;
  }
  items.forEach((item: unknown, i) => {
    const keys: PathKeys = ['items', i];
    _one(ctx, _fillItem(raw, item), keys, itemsPath.index(i), offsetFor(ctx.doc, keys, false), resources, errors);
  });
}

/** Typed lists (`NetworkPolicyList`, as calicoctl prints them) may leave apiVersion/kind off items. */
function _fillItem(list: Record<string, unknown>, item: unknown): unknown {
  const kind = list['kind'];
  const itemKind = typeof kind === 'string' && kind !== 'List' ? kind.slice(0, -'List'.length) : undefined;
  return itemKind !== undefined && _isRecord(item) ? { apiVersion: list['apiVersion'], kind: itemKind, ...item } : item;
}

function _isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function _isList(raw: Record<string, unknown>): boolean {
  const kind = raw['kind'];
  if (kind === 'List') return true;
  return typeof kind === 'string' && kind.length > 4 && kind.endsWith('List') && Array.isArray(raw['items']);
}

function _lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}
