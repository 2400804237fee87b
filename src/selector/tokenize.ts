/**
 * @module Selector tokenizer (Calico libcalico-go/lib/selector/tokenizer semantics).
 *
 * Invariants:
 * - Only space and TAB separate tokens; any other whitespace is an unexpected character.
 * - Labels are runs of `[a-zA-Z0-9_./-]`, at most {@link MAX_LABEL_LENGTH} long.
 * - Strings are `"…"` or `'…'` with no escapes; a string cannot contain its own quote.
 * - Word operators (`contains`, `starts with`, `ends with`, `not in`, `in`) are recognised only
 *   straight after a label, the words of a multi-word operator may be separated by any run of
 *   blanks including none, and the operator must end at a word boundary.
 * - `has(`, `all(` and `global(` must be written without a blank before `(`.
 * - Linear time; the output always ends with one `eof` token.
 * Failure throws {@link SelectorParseError} (caught and turned into a Result by the public API).
 */
import { SelectorParseError } from './errors.js';
import type { Token, TokenKind } from './token.js';

/** Longest label name Calico accepts. */
export const MAX_LABEL_LENGTH = 512;

const SPACE = 0x20;
const TAB = 0x09;

function _isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}

/** `[a-zA-Z0-9_./-]` */
export function isLabelChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) || // a-z
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x30 && c <= 0x39) || // 0-9
    c === 0x5f || // _
    c === 0x2e || // .
    c === 0x2f || // /
    c === 0x2d // -
  );
}

/** Whether `s` is a syntactically valid label name (Calico `tokenizer.ValidLabel`). */
export function isValidLabel(s: string): boolean {
  if (s.length === 0 || s.length > MAX_LABEL_LENGTH) return false;
  for (let i = 0; i < s.length; i++) if (!isLabelChar(s.charCodeAt(i))) return false;
  return true;
}

function _skipBlanks(text: string, i: number): number {
  while (i < text.length && _isBlank(text.charCodeAt(i))) i++;
  return i;
}

function _isWordBoundary(text: string, i: number): boolean {
  return i >= text.length || !isLabelChar(text.charCodeAt(i));
}

/** End offset of the label starting at `i` (may equal `i` when there is none). */
function _labelEnd(text: string, i: number): number {
  while (i < text.length && isLabelChar(text.charCodeAt(i))) i++;
  return i;
}

/** Whether `word` is at `p` (plain char compare; cheaper than startsWith on hot paths). */
function _at(text: string, p: number, word: string): boolean {
  if (p + word.length > text.length) return false;
  for (let j = 0; j < word.length; j++) if (text.charCodeAt(p + j) !== word.charCodeAt(j)) return false;
  return true;
}

/**
 * Matches `first` then optionally `second` (blanks allowed before it, and after it) at `i`,
 * followed by a word boundary. Returns the offset after the operator, or -1.
 */
function _matchOperator(text: string, i: number, first: string, second: string): number {
  if (!_at(text, i, first)) return -1;
  let p = i + first.length;
  if (second !== '') {
    p = _skipBlanks(text, p);
    if (!_at(text, p, second)) return -1;
    p = _skipBlanks(text, p + second.length);
  }
  return _isWordBoundary(text, p) ? p : -1;
}

/** Operators allowed straight after a label, tried in Calico's order. */
const OPERATORS: readonly (readonly [kind: TokenKind, first: string, second: string])[] = [
  ['contains', 'contains', ''],
  ['startsWith', 'starts', 'with'],
  ['endsWith', 'ends', 'with'],
  ['notIn', 'not', 'in'],
  ['in', 'in', ''],
];

function _err(selector: string, message: string, offset: number): SelectorParseError {
  return new SelectorParseError(message, selector, offset);
}

function _describeChar(text: string, i: number): string {
  const cp = text.codePointAt(i) ?? 0;
  return JSON.stringify(String.fromCodePoint(cp));
}

/**
 * A streaming lexer: each {@link Lexer.next} call returns the next token's kind and sets
 * `offset` and the value's bounds (`valueStart`..`valueEnd`, for labels, `has(…)` and strings)
 * without allocating. {@link tokenize} collects its output; the validate-only scan walks it.
 */
export class Lexer {
  /** Offset of the token last returned. */
  offset = 0;
  valueStart = 0;
  valueEnd = 0;
  private i = 0;
  private afterLabel = false;
  private lastLabelStart = 0;
  private lastLabelEnd = 0;

  constructor(readonly text: string) {}

  /** The last label's name (for error messages). */
  private lastLabel(): string {
    return this.text.slice(this.lastLabelStart, this.lastLabelEnd);
  }

  /** The next token's kind; `eof` forever at the end. Throws SelectorParseError on lexical errors. */
  next(): TokenKind {
    const text = this.text;
    const n = text.length;
    let i = this.i;
    while (i < n && _isBlank(text.charCodeAt(i))) i++;
    this.offset = i;
    this.valueStart = this.valueEnd = i;
    if (i >= n) {
      this.i = n;
      return 'eof';
    }
    const start = i;
    const c = text.charCodeAt(i);
    let kind: TokenKind | undefined;
    switch (c) {
      case 0x28: // (
        kind = 'lparen';
        i++;
        break;
      case 0x29: // )
        kind = 'rparen';
        i++;
        break;
      case 0x7b: // {
        kind = 'lbrace';
        i++;
        break;
      case 0x7d: // }
        kind = 'rbrace';
        i++;
        break;
      case 0x2c: // ,
        kind = 'comma';
        i++;
        break;
      case 0x22: // "
      case 0x27: {
        // '
        const close = text.indexOf(c === 0x22 ? '"' : "'", i + 1);
        if (close < 0) throw _err(text, 'unterminated string', start);
        kind = 'string';
        this.valueStart = i + 1;
        this.valueEnd = close;
        i = close + 1;
        break;
      }
      case 0x3d: // =
        if (text.charCodeAt(i + 1) !== 0x3d) throw _err(text, 'expected ==', start);
        kind = 'eq';
        i += 2;
        break;
      case 0x21: // !
        if (text.charCodeAt(i + 1) === 0x3d) {
          kind = 'ne';
          i += 2;
        } else {
          kind = 'not';
          i++;
        }
        break;
      case 0x26: // &
        if (text.charCodeAt(i + 1) !== 0x26) throw _err(text, 'expected &&', start);
        kind = 'and';
        i += 2;
        break;
      case 0x7c: // |
        if (text.charCodeAt(i + 1) !== 0x7c) throw _err(text, 'expected ||', start);
        kind = 'or';
        i += 2;
        break;
      default:
        break;
    }

    if (kind === undefined && this.afterLabel) {
      // Straight after a label only an operator may follow.
      for (const [opKind, first, second] of OPERATORS) {
        const end = _matchOperator(text, i, first, second);
        if (end >= 0) {
          kind = opKind;
          i = end;
          break;
        }
      }
      if (kind === undefined) throw _err(text, `expected operator after label ${JSON.stringify(this.lastLabel())}`, start);
    }

    if (kind === undefined) {
      if (_at(text, i, 'has(')) {
        const labelStart = _skipBlanks(text, i + 4);
        const labelEnd = _labelEnd(text, labelStart);
        if (labelEnd === labelStart) throw _err(text, 'expected label name in has()', labelStart);
        if (labelEnd - labelStart > MAX_LABEL_LENGTH) throw _err(text, 'label too long', labelStart);
        const close = _skipBlanks(text, labelEnd);
        if (text.charCodeAt(close) !== 0x29) throw _err(text, "no closing ')' after has(", close);
        kind = 'has';
        this.valueStart = labelStart;
        this.valueEnd = labelEnd;
        i = close + 1;
      } else if (_at(text, i, 'all(') || _at(text, i, 'global(')) {
        const isAll = c === 0x61;
        const close = _skipBlanks(text, i + (isAll ? 4 : 7));
        if (text.charCodeAt(close) !== 0x29) throw _err(text, `no closing ')' after ${isAll ? 'all(' : 'global('}`, close);
        kind = isAll ? 'all' : 'global';
        i = close + 1;
      } else {
        const end = _labelEnd(text, i);
        if (end === i) throw _err(text, `unexpected character ${_describeChar(text, i)}`, start);
        if (end - i > MAX_LABEL_LENGTH) throw _err(text, 'label too long', start);
        kind = 'label';
        this.valueStart = this.lastLabelStart = i;
        this.valueEnd = this.lastLabelEnd = end;
        i = end;
      }
    }
    this.i = i;
    this.afterLabel = kind === 'label';
    return kind;
  }
}

/** Splits selector text into tokens; throws SelectorParseError on lexical errors. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const lex = new Lexer(text);
  for (;;) {
    const kind = lex.next();
    tokens.push({ kind, offset: lex.offset, value: lex.valueEnd > lex.valueStart ? text.slice(lex.valueStart, lex.valueEnd) : '' });
    if (kind === 'eof') return tokens;
  }
}
