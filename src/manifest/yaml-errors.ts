/**
 * @module Turns the YAML library's syntax errors into located sentences that say what was
 * expected ("this line is indented less than the mapping it belongs to"), never a stack trace.
 *
 * One mistake in YAML (usually an indentation slip) makes the parser report a cascade of
 * follow-on errors. Only the first cascading error of a document is reported, with a count of
 * the rest; errors that stand alone (duplicate keys, tabs, unclosed quotes) are all reported.
 */
import { isMap, isScalar, visit, type Document, type LineCounter, type YAMLError } from 'yaml';
import { excerpt, indentOf, indentationProblem, nextContentLine, type Lines } from './indentation.js';

export interface SyntaxProblem {
  /** 0-based offset in the text. */
  readonly offset: number;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly col: number;
  readonly message: string;
}

interface Ctx {
  readonly lines: Lines;
  readonly lc: LineCounter;
  readonly doc: Document.Parsed;
  /** 0-based index of the document's first line. */
  readonly docStart: number;
}

const CASCADING = new Set(['UNEXPECTED_TOKEN', 'BLOCK_AS_IMPLICIT_KEY', 'MULTILINE_IMPLICIT_KEY', 'BAD_INDENT', 'IMPOSSIBLE']);

function _at(ctx: Ctx, offset: number, message: string): SyntaxProblem {
  const p = ctx.lc.linePos(offset);
  return { offset, line: p.line, col: p.col, message };
}

/** Position of the first non-blank character of a 1-based line. */
function _lineStart(ctx: Ctx, line: number, message: string): SyntaxProblem {
  const text = ctx.lines[line - 1] ?? '';
  const col = indentOf(text) + 1;
  const offset = (ctx.lc.lineStarts[line - 1] ?? 0) + col - 1;
  return { offset, line, col, message };
}

export function describeYamlErrors(errors: readonly YAMLError[], ctx: Ctx): SyntaxProblem[] {
  const out: SyntaxProblem[] = [];
  const seen = new Set<string>();
  let cascade: { problem: SyntaxProblem; more: number; firstLine: number; lastLine: number } | undefined;
  for (const e of [...errors].sort((a, b) => a.pos[0] - b.pos[0])) {
    const p = _describe(e, ctx);
    const key = `${p.line}:${p.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (CASCADING.has(e.code) || (e.code === 'MISSING_CHAR' && !/quote/.test(e.message))) {
      if (cascade === undefined) {
        cascade = { problem: p, more: 0, firstLine: Number.MAX_SAFE_INTEGER, lastLine: p.line };
        out.push(p);
      } else if (p.line !== cascade.problem.line) {
        cascade.more++;
        cascade.lastLine = Math.max(cascade.lastLine, p.line);
        cascade.firstLine = Math.min(cascade.firstLine, p.line);
      }
      continue;
    }
    out.push(p);
  }
  if (cascade !== undefined && cascade.more > 0) {
    const i = out.indexOf(cascade.problem);
    const c = cascade;
    const where = c.lastLine > c.firstLine ? `lines ${c.firstLine}–${c.lastLine}` : `line ${c.lastLine}`;
    out[i] = {
      ...c.problem,
      message: `${c.problem.message} (${c.more} more YAML error${c.more === 1 ? '' : 's'} on ${where} probably follow${c.more === 1 ? 's' : ''} from this one)`,
    };
  }
  return out.sort((a, b) => a.offset - b.offset);
}

function _describe(e: YAMLError, ctx: Ctx): SyntaxProblem {
  const offset = e.pos[0];
  const line = ctx.lc.linePos(offset).line;
  switch (e.code) {
    case 'TAB_AS_INDENT':
      return _at(ctx, offset, 'tabs cannot be used for indentation in YAML; indent with spaces');
    case 'DUPLICATE_KEY':
      return _at(ctx, offset, _duplicateKey(ctx, offset));
    case 'MISSING_CHAR':
      return _missingChar(e, ctx, offset);
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY':
      return _implicitKey(e, ctx, line);
    case 'BAD_INDENT':
    case 'UNEXPECTED_TOKEN': {
      const why = indentationProblem(ctx.lines, ctx.docStart, line - 1);
      if (why !== undefined) return _lineStart(ctx, line, why);
      if (/flow (map|sequence|collection)/i.test(e.message))
        return _at(ctx, offset, `a flow collection (\`{ }\` or \`[ ]\`) is not closed or not indented enough: ${_lower(e.message)}`);
      return _at(ctx, offset, `${_unexpected(e.message)} (check the indentation of line ${line})`);
    }
    case 'BAD_SCALAR_START':
      return _at(ctx, offset, `a plain value cannot start with this character; put the value in quotes`);
    case 'BAD_DQ_ESCAPE':
      return _at(ctx, offset, `invalid escape sequence in a double-quoted string; use single quotes or escape the backslash (\\\\)`);
    case 'BLOCK_IN_FLOW':
      return _at(ctx, offset, `block syntax (\`- item\` or \`key:\` on its own line) cannot be used inside \`{ }\` or \`[ ]\``);
    case 'KEY_OVER_1024_CHARS':
      return _at(ctx, offset, `a key on one line may be at most 1024 characters long`);
    case 'BAD_ALIAS':
    case 'ALIAS_PROPS':
      return _at(ctx, offset, `invalid alias: ${_lower(e.message)}`);
    case 'MULTIPLE_DOCS':
      return _at(ctx, offset, 'a second document starts here without a `---` separator line');
    case 'TAG_RESOLVE_FAILED':
      return _at(ctx, offset, `unknown YAML tag: ${_lower(e.message)}`);
    case 'BAD_COLLECTION_TYPE':
    case 'BAD_DIRECTIVE':
    case 'BAD_PROP_ORDER':
    case 'IMPOSSIBLE':
    case 'MULTIPLE_ANCHORS':
    case 'MULTIPLE_TAGS':
    case 'NON_STRING_KEY':
    case 'RESOURCE_EXHAUSTION':
    default: {
      const why = indentationProblem(ctx.lines, ctx.docStart, line - 1);
      return why !== undefined ? _lineStart(ctx, line, why) : _at(ctx, offset, _lower(e.message));
    }
  }
}

function _lower(msg: string): string {
  const first = msg.split('\n')[0] ?? msg;
  return first.charAt(0).toLowerCase() + first.slice(1).replace(/\.$/, '');
}

function _unexpected(msg: string): string {
  if (/at node end/.test(msg)) return 'unexpected content after the end of a value';
  const m = /Unexpected (\S+) token in YAML stream: "(.*)"/.exec(msg);
  if (m) return `unexpected ${JSON.stringify(m[2])} here`;
  return _lower(msg);
}

function _duplicateKey(ctx: Ctx, offset: number): string {
  let text: string | undefined;
  let first: number | undefined;
  visit(ctx.doc, {
    Map(_, map) {
      if (!isMap(map)) return undefined;
      const dup = map.items.find((p) => isScalar(p.key) && p.key.range?.[0] === offset);
      if (!dup || !isScalar(dup.key)) return undefined;
      const name = String(dup.key.value);
      const orig = map.items.find((p) => isScalar(p.key) && String(p.key.value) === name);
      text = name;
      if (orig && isScalar(orig.key) && orig.key.range) first = ctx.lc.linePos(orig.key.range[0]).line;
      return visit.BREAK;
    },
  });
  if (text === undefined) return 'duplicate key: each key may appear only once in a mapping';
  return `duplicate key ${JSON.stringify(text)}${first !== undefined ? ` (already set on line ${first})` : ''}: each key may appear only once in a mapping`;
}

function _missingChar(e: YAMLError, ctx: Ctx, offset: number): SyntaxProblem {
  const q = /closing (["'])quote/.exec(e.message)?.[1];
  if (q !== undefined) {
    let start: number | undefined;
    visit(ctx.doc, {
      Scalar(_, s) {
        const r = s.range;
        if (r && (s.type === 'QUOTE_DOUBLE' || s.type === 'QUOTE_SINGLE') && r[0] < offset && offset <= r[2] && (start === undefined || r[0] > start))
          start = r[0];
      },
    });
    const at = start ?? offset;
    // The error sits where the text ends: name the last line that has anything on it.
    let endLine = ctx.lc.linePos(offset).line;
    while (endLine > 1 && (ctx.lines[endLine - 1] ?? '').trim() === '') endLine--;
    return _at(
      ctx,
      at,
      `this ${q === '"' ? 'double' : 'single'}-quoted string is never closed: add the closing ${q} (YAML read everything up to line ${endLine} as one string)`,
    );
  }
  if (/followed by map values/.test(e.message))
    return _at(ctx, offset, 'expected `key: value` here: a key must be followed by a colon and a space');
  const line = ctx.lc.linePos(offset).line;
  const why = indentationProblem(ctx.lines, ctx.docStart, line - 1);
  if (why !== undefined) return _lineStart(ctx, line, why);
  if (/without - indicator/.test(e.message))
    return _lineStart(ctx, line, 'this line sits inside a list but is not a list item (`- ...`): check its indentation');
  const flow = /end with an? (.)/.exec(e.message)?.[1];
  if (flow !== undefined) return _at(ctx, offset, `expected ${JSON.stringify(flow)} to close the flow collection opened before it`);
  return _at(ctx, offset, _lower(e.message));
}

/**
 * "Implicit keys need to be on a single line": a line indented deeper than a `key: value` line
 * is read as the continuation of that value. Points at the continuation line, which is the one
 * to fix.
 */
function _implicitKey(e: YAMLError, ctx: Ctx, line: number): SyntaxProblem {
  const text = ctx.lines[line - 1] ?? '';
  // `a:1` (no space after the colon) is one plain scalar, not a pair.
  const noSpace = /^\s*(?:-\s+)?([^\s:#'"{[][^:]*):([^\s:/])/.exec(text);
  if (noSpace && !/:\s/.test(text.slice(0, noSpace.index + noSpace[0].length - 1)))
    return _lineStart(ctx, line, `${excerpt(`${noSpace[1]!}:${noSpace[2]!}`)} is not a \`key: value\` pair: YAML needs a space after the colon`);
  const next = nextContentLine(ctx.lines, line - 1);
  const whyNext = next < 0 ? undefined : indentationProblem(ctx.lines, ctx.docStart, next);
  if (whyNext !== undefined) return _lineStart(ctx, next + 1, whyNext);
  const whyHere = indentationProblem(ctx.lines, ctx.docStart, line - 1);
  if (whyHere !== undefined) return _lineStart(ctx, line, whyHere);
  if (/block sequence/.test(e.message))
    return _lineStart(ctx, line, 'a list item (`- ...`) cannot stand here: check the indentation of this line');
  return _lineStart(ctx, line, `a key must fit on one line: check the indentation of line ${line} and the line after it`);
}
