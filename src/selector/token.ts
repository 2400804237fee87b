/** @module Selector tokens: kind, value (label name or string contents) and source offset. */

export type TokenKind =
  | 'label'
  | 'string'
  | 'lbrace'
  | 'rbrace'
  | 'comma'
  | 'eq'
  | 'ne'
  | 'in'
  | 'notIn'
  | 'not'
  | 'contains'
  | 'startsWith'
  | 'endsWith'
  | 'all'
  | 'has'
  | 'global'
  | 'lparen'
  | 'rparen'
  | 'and'
  | 'or'
  | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** Label name for `label` and `has`, string contents for `string`, otherwise "". */
  readonly value: string;
  /** 0-based offset of the token's first character (text length for `eof`). */
  readonly offset: number;
}
