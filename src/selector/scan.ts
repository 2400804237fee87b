/**
 * @module Validate-only selector scan: the parser's grammar (see parse.ts) walked over the
 * streaming {@link Lexer} without building tokens or a tree, as Calico's validator only asks
 * "does it parse, and where is global()?". Validation runs it on every selector of every write,
 * so it allocates nothing on the accepting path.
 *
 * Contract, pinned by a property test against the parser: `scanSelector(t)` is `undefined`
 * exactly when `parseAst(t)` throws; otherwise it says whether `global()` occurs and whether the
 * whole selector is `global()` under any number of `!` and parentheses. On `undefined`, callers
 * run the full parser for the located message (a lexical error later in the text wins over a
 * syntax error earlier, as in Calico, which the early-stopping scan cannot tell).
 */
import { SelectorParseError } from './errors.js';
import { Lexer } from './tokenize.js';
import { MAX_NESTING } from './parse.js';
import type { TokenKind } from './token.js';

/** `plain`: no global(); `mixed`: global() as part of something larger; `global`: global() alone. */
export type SelectorShape = 'plain' | 'mixed' | 'global';

/** Term results: 0 = anything else, 1 = global() under nots/parens only. */
type Pure = 0 | 1;

class _Scan {
  private tok: TokenKind = 'eof';
  private depth = 0;
  hasGlobal = false;
  private readonly lex: Lexer;

  constructor(text: string) {
    this.lex = new Lexer(text);
  }

  private advance(): TokenKind {
    const t = this.tok;
    if (t !== 'eof') this.tok = this.lex.next();
    return t;
  }

  /** -1 on any syntax error; lexical errors throw. */
  root(): Pure | -1 {
    const first = (this.tok = this.lex.next());
    if (first === 'eof') return 0;
    const r = this.or();
    return r === -1 || this.tok !== 'eof' ? -1 : r;
  }

  private or(): Pure | -1 {
    let r = this.and();
    while (r !== -1 && this.tok === 'or') {
      this.advance();
      r = this.and() === -1 ? -1 : 0;
    }
    return r;
  }

  private and(): Pure | -1 {
    let r = this.operation();
    while (r !== -1 && this.tok === 'and') {
      this.advance();
      r = this.operation() === -1 ? -1 : 0;
    }
    return r;
  }

  private operation(): Pure | -1 {
    while (this.tok === 'not') this.advance();
    return this.term();
  }

  private term(): Pure | -1 {
    switch (this.advance()) {
      case 'has':
      case 'all':
        return 0;
      case 'global':
        this.hasGlobal = true;
        return 1;
      case 'label':
        return this.comparison() ? 0 : -1;
      case 'lparen': {
        if (this.depth >= MAX_NESTING) return -1;
        this.depth++;
        const inner = this.or();
        this.depth--;
        return inner !== -1 && this.advance() === 'rparen' ? inner : -1;
      }
      default:
        return -1;
    }
  }

  private comparison(): boolean {
    switch (this.advance()) {
      case 'eq':
      case 'ne':
      case 'contains':
      case 'startsWith':
      case 'endsWith':
        return this.advance() === 'string';
      case 'in':
      case 'notIn':
        return this.set();
      default:
        return false;
    }
  }

  /** `{` [ STRING (',' STRING)* [','] ] `}` — the parser's set rule, trailing comma included. */
  private set(): boolean {
    if (this.advance() !== 'lbrace') return false;
    let t = this.advance();
    if (t === 'string') {
      t = this.advance();
      while (t === 'comma') {
        t = this.advance();
        if (t !== 'string') break;
        t = this.advance();
      }
    }
    return t === 'rbrace';
  }
}

/** The selector's shape, or `undefined` when it does not parse (run the parser for why). */
export function scanSelector(text: string): SelectorShape | undefined {
  const s = new _Scan(text);
  let r: Pure | -1;
  try {
    r = s.root();
  } catch (e) {
    if (e instanceof SelectorParseError) return undefined;
    throw e;
  }
  if (r === -1) return undefined;
  return r === 1 ? 'global' : s.hasGlobal ? 'mixed' : 'plain';
}
