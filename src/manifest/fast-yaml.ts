/**
 * @module A small, strict parser for the subset of YAML that Kubernetes and Calico manifests
 * use, so the common case does not pay for the `yaml` library's concrete syntax tree (which
 * parse.ts still uses whenever a document needs located errors).
 *
 * The subset: `---` / `...` document markers; block mappings and sequences with consistent
 * space indentation (including `- key: v` and sequences at their parent key's indent, as
 * kubectl writes them); one-line plain, single- and double-quoted scalars; one-line flow
 * collections; `#` comments. Plain scalars resolve as the `yaml` library's YAML 1.2 core schema
 * does (same tests, same order, same conversions).
 *
 * Invariant: when a document is accepted, its value deep-equals what `yaml` gives
 * (`parseAllDocuments(text, { uniqueKeys: true })[i].toJS()`), and `yaml` reports no error or
 * warning for it. Anything outside the subset, or anything surprising (anchors, aliases, tags,
 * block scalars, multi-line scalars, complex keys, tabs, duplicate keys, non-string keys,
 * directives, odd indentation), declines the document, or the whole text when the document
 * boundaries themselves could be in doubt. Pure; never throws.
 *
 * Why it exists next to `yaml` (measured in bench/yaml.bench.ts): `yaml` alone made reading
 * 2,000 ten-rule policies ~13× slower (5.9 s against 0.47 s), which `calicoctl apply -f` and
 * `tabby validate` users wait for; js-yaml was ~1.9× slower than this and has no positions.
 */

/** One document of a text, as the fast path read it. */
export type FastDoc =
  | {
      readonly ok: true;
      /** The document's value (null for an empty document). */
      readonly value: unknown;
      /** Offset of the document's first content character (its top node); -1 when empty. */
      readonly start: number;
      /** 1-based line and column of `start` (0 when empty). */
      readonly line: number;
      readonly col: number;
      /**
       * Where each item of a top-level block sequence `items:` starts (for `kind: List`), when
       * every item is a block mapping; undefined otherwise.
       */
      readonly items?: readonly ItemAt[];
    }
  | { readonly ok: false };

/** Where a node starts: offset, and 1-based line and column. */
export interface ItemAt {
  readonly start: number;
  readonly line: number;
  readonly col: number;
}


/** Thrown inside a document to decline it; caught at the document boundary. */
class _Decline {
  constructor(readonly wholeText: boolean) {}
}
const _DOC = new _Decline(false);
const _TEXT = new _Decline(true);

/**
 * Splits `src` into documents exactly as `yaml`'s parseAllDocuments does and parses each one;
 * undefined when the whole text is outside the subset (the caller must use `yaml` for all of it).
 */
export function fastParseDocuments(src: string): FastDoc[] | undefined {
  if (src.indexOf('\r') !== -1) return undefined;
  const spans = _splitDocuments(src);
  if (spans === undefined) return undefined;
  const out: FastDoc[] = [];
  for (const span of spans) {
    try {
      out.push(_parseDocument(src, span));
    } catch (e) {
      if (!(e instanceof _Decline)) return undefined; // a bug here must never become a value
      if (e.wholeText) return undefined;
      // A document outside the subset may be one `yaml` reads with an error, and its recovery
      // can swallow the separators that follow (`]\n---` is one document to `yaml`, two here),
      // so what comes after it cannot be trusted either: let `yaml` read the whole text.
      return undefined;
    }
  }
  return out;
}

/**
 * The value of a one-document text, or undefined when the fast path declines (or the text holds
 * other than exactly one document).
 */
export function fastParse(src: string): unknown {
  const docs = fastParseDocuments(src);
  if (docs === undefined || docs.length !== 1) return undefined;
  const d = docs[0]!;
  return d.ok ? d.value : undefined;
}

// ---------------------------------------------------------------------------------------------
// Documents

interface _Span {
  /** Index of the first and one-past-the-last line of the document's body. */
  readonly from: number;
  readonly to: number;
  /** Start offsets of every line of the text (shared). */
  readonly lineStarts: readonly number[];
}

const _MARKER = /^(?:---|\.\.\.)(?: +(?:#.*)?)?$/;

/** yaml's document boundaries; undefined when a marker-like line is not a plain marker. */
function _splitDocuments(src: string): _Span[] | undefined {
  const lineStarts: number[] = [0];
  for (let i = src.indexOf('\n'); i !== -1; i = src.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const nLines = lineStarts.length;
  const spans: _Span[] = [];
  // 'start': nothing yet; 'open': a document is open since `from`; 'ended': after `...`.
  let state: 'start' | 'open' | 'ended' = 'start';
  let from = 0;
  for (let li = 0; li < nLines; li++) {
    const s = lineStarts[li]!;
    const c = src.charCodeAt(s);
    if (c === 45 /* - */ || c === 46 /* . */) {
      const third = src.charCodeAt(s + 2);
      if (src.charCodeAt(s + 1) === c && third === c) {
        const e = li + 1 < nLines ? lineStarts[li + 1]! - 1 : src.length;
        const line = src.slice(s, e);
        if (!_MARKER.test(line)) return undefined;
        if (c === 45) {
          if (state === 'open') spans.push({ from, to: li, lineStarts });
          state = 'open';
          from = li + 1;
        } else {
          if (state !== 'open') return undefined;
          spans.push({ from, to: li, lineStarts });
          state = 'ended';
        }
        continue;
      }
    }
    if (c === 37 /* % */) return undefined; // directives
    if (state !== 'open' && _isContent(src, s, li + 1 < nLines ? lineStarts[li + 1]! - 1 : src.length)) {
      state = 'open';
      from = li;
    }
  }
  if (state === 'open') spans.push({ from, to: nLines, lineStarts });
  return spans;
}

function _isContent(src: string, s: number, e: number): boolean {
  let p = s;
  while (p < e && (src.charCodeAt(p) === 32 || src.charCodeAt(p) === 9)) p++; // yaml's white space
  return p < e && src.charCodeAt(p) !== 35; /* # */
}

/** Characters the fast path leaves to `yaml`: tabs, controls, BOM, Unicode line separators. */
function _badChar(c: number): boolean {
  return (
    (c < 32 && c !== 10) ||
    (c >= 0x7f && c <= 0x9f) ||
    c === 0xfeff ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0xfffe ||
    c === 0xffff
  );
}

interface _Doc {
  readonly s: string;
  /** Per content line: start offset, end offset (before `\n`), indent. */
  readonly ls: number[];
  readonly le: number[];
  readonly ind: number[];
  readonly lineNo: number[];
  /** Current content line. */
  i: number;
  /** Item starts of the top-level `items:` block sequence; null when some item is not a map. */
  items: ItemAt[] | null | undefined;
}

function _parseDocument(s: string, span: _Span): FastDoc {
  const ls: number[] = [];
  const le: number[] = [];
  const ind: number[] = [];
  const lineNo: number[] = [];
  const { lineStarts } = span;
  for (let li = span.from; li < span.to; li++) {
    const start = lineStarts[li]!;
    const end = li + 1 < lineStarts.length ? lineStarts[li + 1]! - 1 : s.length;
    let p = start;
    while (p < end && s.charCodeAt(p) === 32) p++;
    for (let q = p; q < end; q++) if (_badChar(s.charCodeAt(q))) throw _DOC;
    if (p === end || s.charCodeAt(p) === 35 /* # */) continue;
    ls.push(start);
    le.push(end);
    ind.push(p - start);
    lineNo.push(li + 1);
  }
  if (ls.length === 0) return { ok: true, value: null, start: -1, line: 0, col: 0 };
  const d: _Doc = { s, ls, le, ind, lineNo, i: 0, items: undefined };
  const col = ind[0]!;
  const start = ls[0]! + col;
  const value = _node(d, true);
  if (d.i < ls.length) throw _DOC;
  const at = { ok: true as const, value, start, line: lineNo[0]!, col: col + 1 };
  return d.items ? { ...at, items: d.items } : at;
}

// ---------------------------------------------------------------------------------------------
// Block structure

function _isDash(s: string, p: number, e: number): boolean {
  return s.charCodeAt(p) === 45 /* - */ && (p + 1 === e || s.charCodeAt(p + 1) === 32);
}

/** The block node starting on the current line (at its indentation). */
function _node(d: _Doc, root: boolean): unknown {
  const { s } = d;
  const i = d.i;
  const col = d.ind[i]!;
  const p = d.ls[i]! + col;
  const e = d.le[i]!;
  if (_isDash(s, p, e)) return _seq(d, col);
  const k = _key(s, p, e);
  if (k !== undefined) return _map(d, col, p, root);
  if (!root) throw _DOC; // a scalar on a line of its own: may continue on the next lines
  const v = _inline(s, p, e);
  d.i++;
  return v;
}

/** `items` collects where each item starts, for the top-level `items:` sequence. */
function _seq(d: _Doc, col: number, items?: ItemAt[]): unknown[] {
  const { s, ls, le, ind } = d;
  const out: unknown[] = [];
  for (;;) {
    const i = d.i;
    const e = le[i]!;
    let q = ls[i]! + col + 1;
    while (q < e && s.charCodeAt(q) === 32) q++;
    if (q === e || s.charCodeAt(q) === 35 /* # */) {
      if (q !== e && s.charCodeAt(q - 1) !== 32) throw _DOC;
      d.i++;
      if (items !== undefined) {
        if (d.i < ls.length && ind[d.i]! > col) items.push(_at(d, d.i, ls[d.i]! + ind[d.i]!));
        else d.items = null;
      }
      out.push(d.i < ls.length && ind[d.i]! > col ? _node(d, false) : null);
    } else if (_isDash(s, q, e)) {
      throw _DOC; // `- - x`
    } else if (_key(s, q, e) !== undefined) {
      if (items !== undefined) items.push(_at(d, i, q));
      out.push(_map(d, q - ls[i]!, q, false));
    } else {
      if (items !== undefined) d.items = null;
      out.push(_inline(s, q, e));
      d.i++;
    }
    if (d.i >= ls.length) return out;
    const n = ind[d.i]!;
    if (n < col) return out;
    if (n > col) throw _DOC;
    if (!_isDash(s, ls[d.i]! + col, le[d.i]!)) return out;
  }
}

function _at(d: _Doc, i: number, start: number): ItemAt {
  return { start, line: d.lineNo[i]!, col: start - d.ls[i]! + 1 };
}

function _map(d: _Doc, col: number, first: number, root: boolean): Record<string, unknown> {
  const { s, ls, le, ind } = d;
  const out: Record<string, unknown> = {};
  let p = first;
  for (;;) {
    const i = d.i;
    const e = le[i]!;
    const k = _key(s, p, e);
    if (k === undefined) throw _DOC;
    if (Object.prototype.hasOwnProperty.call(out, k.key)) throw _DOC; // duplicate key
    let q = k.after;
    while (q < e && s.charCodeAt(q) === 32) q++;
    let v: unknown;
    if (q === e || s.charCodeAt(q) === 35 /* # */) {
      if (q !== e && q === k.after) throw _DOC;
      d.i++;
      const items = root && k.key === 'items' ? [] : undefined;
      const nested = d.i < ls.length && ind[d.i]! > col;
      if (nested && _isDash(s, ls[d.i]! + ind[d.i]!, le[d.i]!)) v = _seq(d, ind[d.i]!, items);
      else if (nested) v = _node(d, false);
      else if (d.i < ls.length && ind[d.i] === col && _isDash(s, ls[d.i]! + col, le[d.i]!)) v = _seq(d, col, items);
      else v = null;
      if (items !== undefined && d.items !== null && Array.isArray(v) && v.length > 0) d.items = items;
    } else {
      v = _inline(s, q, e);
      d.i++;
    }
    out[k.key] = v;
    if (d.i >= ls.length) return out;
    const n = ind[d.i]!;
    if (n < col) return out;
    if (n > col) throw _DOC;
    p = ls[d.i]! + col;
    if (_isDash(s, p, le[d.i]!)) throw _DOC;
  }
}

interface _Key {
  readonly key: string;
  /** Offset just after the `:`. */
  readonly after: number;
}

/** A block mapping key `k:` starting at p, or undefined when the line is not a key line. */
function _key(s: string, p: number, e: number): _Key | undefined {
  const c = s.charCodeAt(p);
  if (c === 34 /* " */ || c === 39 /* ' */) {
    const q = _quoted(s, p, e);
    let r = q.end;
    while (r < e && s.charCodeAt(r) === 32) r++;
    if (r < e && s.charCodeAt(r) === 58 /* : */ && (r + 1 === e || s.charCodeAt(r + 1) === 32)) {
      if (r - p > 1000) throw _DOC;
      return { key: _checkKey(q.value), after: r + 1 };
    }
    return undefined;
  }
  if (c === 91 /* [ */ || c === 123 /* { */) return undefined;
  _plainStart(s, p, e);
  for (let j = p; j < e; j++) {
    const ch = s.charCodeAt(j);
    if (ch === 58 /* : */ && (j + 1 === e || s.charCodeAt(j + 1) === 32)) {
      if (j - p > 1000) throw _DOC;
      const raw = _sliceTrim(s, p, j);
      const v = _resolve(raw);
      if (typeof v !== 'string') throw _DOC; // numbers, booleans and null as keys
      return { key: _checkKey(v), after: j + 1 };
    }
    if (ch === 35 /* # */ && s.charCodeAt(j - 1) === 32) return undefined;
  }
  return undefined;
}

function _checkKey(k: string): string {
  if (k === '__proto__' || k === '<<') throw _DOC;
  return k;
}

/** Throws unless a plain scalar may start at p (yaml's indicator rules, kept strict). */
function _plainStart(s: string, p: number, e: number): void {
  const c = s.charCodeAt(p);
  switch (c) {
    case 45: {
      // `-x`: a plain scalar only when `-` is followed by a safe character
      const n = p + 1 < e ? s.charCodeAt(p + 1) : -1;
      if (!((n >= 48 && n <= 57) || (n >= 65 && n <= 90) || (n >= 97 && n <= 122) || n === 46)) throw _DOC;
      return;
    }
    case 63: // ?
    case 58: // :
    case 44: // ,
    case 91: // [
    case 93: // ]
    case 123: // {
    case 125: // }
    case 35: // #
    case 38: // &
    case 42: // *
    case 33: // !
    case 124: // |
    case 62: // >
    case 39: // '
    case 34: // "
    case 37: // %
    case 64: // @
    case 96: // `
    case 32:
      throw _DOC;
  }
}

/** A value that fills the rest of its line: flow collection, quoted or plain scalar. */
function _inline(s: string, p: number, e: number): unknown {
  const c = s.charCodeAt(p);
  if (c === 91 /* [ */ || c === 123 /* { */) {
    const f = _flow(s, p, e);
    _restOfLine(s, f.end, e);
    return f.value;
  }
  if (c === 34 /* " */ || c === 39 /* ' */) {
    const q = _quoted(s, p, e);
    _restOfLine(s, q.end, e);
    return q.value;
  }
  _plainStart(s, p, e);
  let end = e;
  for (let j = p; j < e; j++) {
    const ch = s.charCodeAt(j);
    if (ch === 58 /* : */ && (j + 1 === e || s.charCodeAt(j + 1) === 32)) throw _DOC; // `k: a: b`
    if (ch === 35 /* # */ && s.charCodeAt(j - 1) === 32) {
      end = j;
      break;
    }
  }
  return _resolve(_sliceTrim(s, p, end));
}

/** s[p, e) without trailing spaces (only U+0020: `yaml` keeps other white space, JS trim does not). */
function _sliceTrim(s: string, p: number, e: number): string {
  let r = e;
  while (r > p && s.charCodeAt(r - 1) === 32) r--;
  return s.slice(p, r);
}

/** After a closed quote or flow collection only spaces and a comment may follow. */
function _restOfLine(s: string, p: number, e: number): void {
  let r = p;
  while (r < e && s.charCodeAt(r) === 32) r++;
  if (r === e) return;
  if (s.charCodeAt(r) === 35 /* # */ && r > p) return;
  throw _DOC;
}

// ---------------------------------------------------------------------------------------------
// Scalars

interface _Read {
  readonly value: unknown;
  /** Offset just after what was read. */
  readonly end: number;
}

const _ESCAPES: Readonly<Record<string, string>> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  e: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  N: '\u0085',
  _: '\u00a0',
  L: '\u2028',
  P: '\u2029',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
};

/** A quoted scalar that closes on its own line (one that does not is outside the subset). */
function _quoted(s: string, p: number, e: number): { value: string; end: number } {
  const q = s.charCodeAt(p);
  if (q === 39 /* ' */) {
    let out = '';
    let from = p + 1;
    for (let j = p + 1; j < e; j++) {
      if (s.charCodeAt(j) !== 39) continue;
      if (s.charCodeAt(j + 1) === 39 && j + 1 < e) {
        out += s.slice(from, j + 1);
        from = j + 2;
        j++;
        continue;
      }
      return { value: out + s.slice(from, j), end: j + 1 };
    }
    throw _TEXT; // multi-line: could run across a document marker
  }
  let out = '';
  let from = p + 1;
  for (let j = p + 1; j < e; j++) {
    const c = s.charCodeAt(j);
    if (c === 34 /* " */) return { value: out + s.slice(from, j), end: j + 1 };
    if (c !== 92 /* \ */) continue;
    out += s.slice(from, j);
    const n = s[j + 1];
    if (n === undefined || j + 1 >= e) throw _TEXT; // escaped line break
    const simple = _ESCAPES[n];
    if (simple !== undefined) {
      out += simple;
      j += 1;
    } else if (n === 'x' || n === 'u' || n === 'U') {
      const len = n === 'x' ? 2 : n === 'u' ? 4 : 8;
      const hex = s.slice(j + 2, j + 2 + len);
      if (hex.length !== len || j + 2 + len > e || !/^[0-9a-fA-F]+$/.test(hex)) throw _DOC;
      const code = parseInt(hex, 16);
      if (code > 0x10ffff) throw _DOC;
      out += String.fromCodePoint(code);
      j += 1 + len;
    } else {
      throw _DOC;
    }
    from = j + 1;
  }
  throw _TEXT;
}

const _INT_OCT = /^0o[0-7]+$/;
const _INT = /^[-+]?[0-9]+$/;
const _INT_HEX = /^0x[0-9a-fA-F]+$/;
const _FLOAT_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const _FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const _FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

/** A plain scalar's value under the YAML 1.2 core schema, as `yaml` resolves it. */
function _resolve(str: string): unknown {
  const c = str.charCodeAt(0);
  // Fast exit: only these first characters can start a null, bool, int or float.
  if (
    !(
      str.length === 0 ||
      (c >= 48 && c <= 57) ||
      c === 45 ||
      c === 43 ||
      c === 46 ||
      c === 126 ||
      c === 110 ||
      c === 78 ||
      c === 116 ||
      c === 84 ||
      c === 102 ||
      c === 70
    )
  )
    return str;
  if (str === '' || str === '~' || str === 'null' || str === 'Null' || str === 'NULL') return null;
  if (str === 'true' || str === 'True' || str === 'TRUE') return true;
  if (str === 'false' || str === 'False' || str === 'FALSE') return false;
  if (_INT_OCT.test(str)) return parseInt(str.substring(2), 8);
  if (_INT.test(str)) return parseInt(str, 10);
  if (_INT_HEX.test(str)) return parseInt(str.substring(2), 16);
  if (_FLOAT_NAN.test(str)) {
    if (str.slice(-3).toLowerCase() === 'nan') return NaN;
    return str[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  if (_FLOAT_EXP.test(str) || _FLOAT.test(str)) return parseFloat(str);
  return str;
}

// ---------------------------------------------------------------------------------------------
// Flow collections (one line)

function _skip(s: string, p: number, e: number): number {
  let r = p;
  while (r < e && s.charCodeAt(r) === 32) r++;
  return r;
}

function _isFlowEnd(c: number): boolean {
  return c === 44 || c === 91 || c === 93 || c === 123 || c === 125; // , [ ] { }
}

function _flow(s: string, p: number, e: number): _Read {
  if (s.charCodeAt(p) === 91 /* [ */) {
    const out: unknown[] = [];
    let r = _skip(s, p + 1, e);
    if (r < e && s.charCodeAt(r) === 93) return { value: out, end: r + 1 };
    for (;;) {
      const item = _flowItem(s, r, e);
      out.push(item.value);
      r = _skip(s, item.end, e);
      if (r >= e) throw _TEXT; // continues on the next line
      const c = s.charCodeAt(r);
      if (c === 93 /* ] */) return { value: out, end: r + 1 };
      if (c !== 44 /* , */) throw _DOC;
      r = _skip(s, r + 1, e);
      if (r >= e) throw _TEXT;
      if (s.charCodeAt(r) === 93) throw _DOC; // trailing comma
    }
  }
  const out: Record<string, unknown> = {};
  let r = _skip(s, p + 1, e);
  if (r < e && s.charCodeAt(r) === 125) return { value: out, end: r + 1 };
  for (;;) {
    if (r >= e) throw _TEXT;
    const c0 = s.charCodeAt(r);
    let key: string;
    if (c0 === 34 || c0 === 39) {
      const q = _quoted(s, r, e);
      key = q.value;
      r = _skip(s, q.end, e);
      if (r >= e || s.charCodeAt(r) !== 58) throw _DOC;
      r++;
      // `"a":b` is fine after a quoted key; `"a":[` too, but keep to a space or a scalar
    } else {
      const k = _flowPlain(s, r, e);
      const v = _resolve(k.text);
      if (typeof v !== 'string') throw _DOC;
      key = v;
      r = k.end;
      if (r >= e || s.charCodeAt(r) !== 58 || !(r + 1 < e && s.charCodeAt(r + 1) === 32)) throw _DOC;
      r++;
    }
    if (Object.prototype.hasOwnProperty.call(out, _checkKey(key))) throw _DOC;
    r = _skip(s, r, e);
    if (r >= e) throw _TEXT;
    const c1 = s.charCodeAt(r);
    if (c1 === 44 || c1 === 125) throw _DOC; // `{a: , b}`: empty value
    const v = _flowItem(s, r, e);
    out[key] = v.value;
    r = _skip(s, v.end, e);
    if (r >= e) throw _TEXT;
    const c = s.charCodeAt(r);
    if (c === 125 /* } */) return { value: out, end: r + 1 };
    if (c !== 44) throw _DOC;
    r = _skip(s, r + 1, e);
    if (r < e && s.charCodeAt(r) === 125) throw _DOC; // trailing comma
  }
}

/** A flow sequence item or flow mapping value: a nested collection or a scalar. */
function _flowItem(s: string, p: number, e: number): _Read {
  if (p >= e) throw _TEXT;
  const c = s.charCodeAt(p);
  if (c === 91 || c === 123) return _flow(s, p, e);
  if (c === 34 || c === 39) {
    const q = _quoted(s, p, e);
    const r = _skip(s, q.end, e);
    if (r < e && s.charCodeAt(r) === 58) throw _DOC; // a pair: `["a": b]`
    return q;
  }
  const k = _flowPlain(s, p, e);
  if (k.end < e && s.charCodeAt(k.end) === 58) throw _DOC; // a pair inside a sequence, or `{a: b: c}`
  return { value: _resolve(k.text), end: k.end };
}

/** A plain scalar in flow context: up to a flow indicator or a `:` that is an indicator. */
function _flowPlain(s: string, p: number, e: number): { text: string; end: number } {
  _plainStart(s, p, e);
  let j = p;
  for (; j < e; j++) {
    const c = s.charCodeAt(j);
    if (_isFlowEnd(c)) break;
    if (c === 58 /* : */) {
      const n = j + 1 < e ? s.charCodeAt(j + 1) : 32;
      if (n === 32 || _isFlowEnd(n)) break;
    }
    if (c === 35 /* # */ && s.charCodeAt(j - 1) === 32) throw _TEXT; // a comment inside a flow
  }
  if (j >= e) throw _TEXT;
  const text = _sliceTrim(s, p, j);
  if (text.length === 0) throw _DOC;
  return { text, end: j };
}
