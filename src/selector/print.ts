/**
 * @module Canonical selector text (Calico `Selector.String()`): the selector's identity, used for
 * de-duplication and the unique ID.
 *
 * Rules: `label op "value"` with single spaces; a value is double-quoted unless it contains `"`,
 * then single-quoted; set values sorted and de-duplicated, joined by `", "`; `and`/`or` always
 * parenthesised; `!` written directly before its operand; `all()` for the empty selector.
 * A value holding both quote kinds cannot be written back (the grammar has no escapes); it is
 * printed single-quoted like Calico does, and that text does not parse.
 */
import { canonicalSet, type SelectorNode } from './ast.js';

function _quote(value: string): string {
  return value.includes('"') ? `'${value}'` : `"${value}"`;
}

const VALUE_OPS = {
  eq: ' == ',
  neq: ' != ',
  contains: ' contains ',
  startsWith: ' starts with ',
  endsWith: ' ends with ',
} as const;

/** Canonical text of a selector AST. */
export function printSelector(node: SelectorNode): string {
  switch (node.kind) {
    case 'all':
      return 'all()';
    case 'global':
      return 'global()';
    case 'has':
      return `has(${node.label})`;
    case 'eq':
    case 'neq':
    case 'contains':
    case 'startsWith':
    case 'endsWith':
      return node.label + VALUE_OPS[node.kind] + _quote(node.value);
    case 'in':
    case 'notIn':
      return `${node.label} ${node.kind === 'in' ? 'in' : 'not in'} {${canonicalSet(node.values).map(_quote).join(', ')}}`;
    case 'not':
      return '!' + printSelector(node.operand);
    case 'and':
      return '(' + node.operands.map(printSelector).join(' && ') + ')';
    case 'or':
      return '(' + node.operands.map(printSelector).join(' || ') + ')';
    default: {
      const never: never = node;
      throw new Error(`unknown selector node ${JSON.stringify(never)}`);
    }
  }
}
