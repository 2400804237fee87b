/**
 * @module Recursive-descent selector parser (Calico libcalico-go/lib/selector/parser semantics).
 *
 * Grammar, lowest precedence first:
 *   expr      := and ( '||' and )*
 *   and       := operation ( '&&' operation )*
 *   operation := '!'* ( has(l) | all() | global() | '(' expr ')'
 *                     | l ('=='|'!='|contains|starts with|ends with) STRING
 *                     | l (in|not in) '{' [ STRING (',' STRING)* ] '}' )
 * Empty or blank text is `all()`. `!` applies to one operation and runs of `!` collapse by
 * parity. Set values come out sorted and de-duplicated.
 *
 * One deliberate limit beyond Calico: parentheses may nest at most {@link MAX_NESTING} deep,
 * so hostile input fails with a SelectorParseError instead of exhausting the JS stack.
 * The parser throws SelectorParseError internally; the public API turns it into a Result.
 */
import { canonicalSet, type SelectorNode } from './ast.js';
import { SelectorParseError } from './errors.js';
import type { Token } from './token.js';
import { tokenize } from './tokenize.js';

/** Maximum depth of nested parentheses. */
export const MAX_NESTING = 256;

const ALL: SelectorNode = Object.freeze({ kind: 'all' });
const GLOBAL: SelectorNode = Object.freeze({ kind: 'global' });

function _describe(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'end of selector';
    case 'string':
      return 'string literal';
    case 'label':
      return `label ${JSON.stringify(t.value)}`;
    case 'has':
      return 'has()';
    case 'all':
      return 'all()';
    case 'global':
      return 'global()';
    case 'lbrace':
      return '"{"';
    case 'rbrace':
      return '"}"';
    case 'comma':
      return '","';
    case 'eq':
      return '"=="';
    case 'ne':
      return '"!="';
    case 'not':
      return '"!"';
    case 'lparen':
      return '"("';
    case 'rparen':
      return '")"';
    case 'and':
      return '"&&"';
    case 'or':
      return '"||"';
    case 'in':
      return '"in"';
    case 'notIn':
      return '"not in"';
    case 'contains':
      return '"contains"';
    case 'startsWith':
      return '"starts with"';
    case 'endsWith':
      return '"ends with"';
    default: {
      const never: never = t.kind;
      return String(never);
    }
  }
}

class _Parser {
  private pos = 0;
  private depth = 0;

  constructor(
    private readonly text: string,
    private readonly tokens: readonly Token[],
  ) {}

  parseRoot(): SelectorNode {
    if (this.peek().kind === 'eof') return ALL;
    const node = this.parseOr();
    const rest = this.peek();
    if (rest.kind !== 'eof') throw this.error('unexpected content at end of selector', rest);
    return node;
  }

  private peek(): Token {
    // The token list always ends with eof and the parser never moves past it.
    const t = this.tokens[this.pos];
    if (t === undefined) throw new Error('selector parser ran past eof');
    return t;
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.pos++;
    return t;
  }

  private error(message: string, at: Token): SelectorParseError {
    return new SelectorParseError(message, this.text, at.offset);
  }

  private parseOr(): SelectorNode {
    const first = this.parseAnd();
    if (this.peek().kind !== 'or') return first;
    this.next();
    const operands: [SelectorNode, SelectorNode, ...SelectorNode[]] = [first, this.parseAnd()];
    while (this.peek().kind === 'or') {
      this.next();
      operands.push(this.parseAnd());
    }
    return { kind: 'or', operands };
  }

  private parseAnd(): SelectorNode {
    const first = this.parseOperation();
    if (this.peek().kind !== 'and') return first;
    this.next();
    const operands: [SelectorNode, SelectorNode, ...SelectorNode[]] = [first, this.parseOperation()];
    while (this.peek().kind === 'and') {
      this.next();
      operands.push(this.parseOperation());
    }
    return { kind: 'and', operands };
  }

  private parseOperation(): SelectorNode {
    let negated = false;
    while (this.peek().kind === 'not') {
      this.next();
      negated = !negated;
    }
    const node = this.parseTerm();
    return negated ? { kind: 'not', operand: node } : node;
  }

  private parseTerm(): SelectorNode {
    const t = this.next();
    switch (t.kind) {
      case 'has':
        return { kind: 'has', label: t.value };
      case 'all':
        return ALL;
      case 'global':
        return GLOBAL;
      case 'label':
        return this.parseComparison(t);
      case 'lparen': {
        if (this.depth >= MAX_NESTING) throw this.error(`parentheses nested more than ${MAX_NESTING} deep`, t);
        this.depth++;
        const inner = this.parseOr();
        this.depth--;
        const close = this.next();
        if (close.kind !== 'rparen') throw this.error('expected )', close);
        return inner;
      }
      case 'eof':
        throw this.error('unexpected end of selector', t);
      case 'string':
      case 'lbrace':
      case 'rbrace':
      case 'comma':
      case 'eq':
      case 'ne':
      case 'not':
      case 'rparen':
      case 'and':
      case 'or':
      case 'in':
      case 'notIn':
      case 'contains':
      case 'startsWith':
      case 'endsWith':
        throw this.error(`unexpected ${_describe(t)}`, t);
      default: {
        const never: never = t.kind;
        throw new Error(`unknown token ${String(never)}`);
      }
    }
  }

  private parseComparison(label: Token): SelectorNode {
    const op = this.next();
    switch (op.kind) {
      case 'eq':
        return { kind: 'eq', label: label.value, value: this.expectString() };
      case 'ne':
        return { kind: 'neq', label: label.value, value: this.expectString() };
      case 'contains':
        return { kind: 'contains', label: label.value, value: this.expectString() };
      case 'startsWith':
        return { kind: 'startsWith', label: label.value, value: this.expectString() };
      case 'endsWith':
        return { kind: 'endsWith', label: label.value, value: this.expectString() };
      case 'in':
        return { kind: 'in', label: label.value, values: this.expectSet() };
      case 'notIn':
        return { kind: 'notIn', label: label.value, values: this.expectSet() };
      case 'label':
      case 'string':
      case 'lbrace':
      case 'rbrace':
      case 'comma':
      case 'not':
      case 'all':
      case 'has':
      case 'global':
      case 'lparen':
      case 'rparen':
      case 'and':
      case 'or':
      case 'eof':
        throw this.error(`expected operator after label ${JSON.stringify(label.value)}`, op);
      default: {
        const never: never = op.kind;
        throw new Error(`unknown token ${String(never)}`);
      }
    }
  }

  private expectString(): string {
    const t = this.next();
    if (t.kind !== 'string') throw this.error('expected string', t);
    return t.value;
  }

  private expectSet(): readonly string[] {
    const open = this.next();
    if (open.kind !== 'lbrace') throw this.error('expected set literal', open);
    const values: string[] = [];
    let t = this.next();
    if (t.kind === 'string') {
      values.push(t.value);
      t = this.next();
      while (t.kind === 'comma') {
        // As Calico's parser: a comma is followed by another string, or ends the list, so a
        // trailing comma (`{"a",}`) is accepted; `{,}` and `{"a",,}` are not.
        t = this.next();
        if (t.kind !== 'string') break;
        values.push(t.value);
        t = this.next();
      }
    }
    if (t.kind !== 'rbrace') throw this.error('expected }', t);
    return canonicalSet(values);
  }
}

/** Parses selector text into its AST; throws SelectorParseError. */
export function parseAst(text: string): SelectorNode {
  return new _Parser(text, tokenize(text)).parseRoot();
}
