/**
 * @module Direct AST interpreter: `evaluate(node, labels)`. The straightforward statement of the
 * semantics; `compile.ts` is the fast path and must agree with it.
 *
 * A label counts as present when `labels[name]` is a string; anything else (missing, or a
 * non-string such as an inherited `Object.prototype` member) counts as absent. Missing labels:
 * `==` false, `!=` true, `in` false, `not in` true, `contains`/`starts with`/`ends with` false,
 * `has` false. Comparisons are exact and case-sensitive.
 */
import type { SelectorNode } from './ast.js';

export type Labels = Readonly<Record<string, string>>;

function _get(labels: Labels, name: string): string | undefined {
  const v: unknown = labels[name];
  return typeof v === 'string' ? v : undefined;
}

export function evaluate(node: SelectorNode, labels: Labels): boolean {
  switch (node.kind) {
    case 'all':
    case 'global':
      return true;
    case 'has':
      return _get(labels, node.label) !== undefined;
    case 'eq': {
      const v = _get(labels, node.label);
      return v !== undefined && v === node.value;
    }
    case 'neq': {
      const v = _get(labels, node.label);
      return v === undefined || v !== node.value;
    }
    case 'contains': {
      const v = _get(labels, node.label);
      return v !== undefined && v.includes(node.value);
    }
    case 'startsWith': {
      const v = _get(labels, node.label);
      return v !== undefined && v.startsWith(node.value);
    }
    case 'endsWith': {
      const v = _get(labels, node.label);
      return v !== undefined && v.endsWith(node.value);
    }
    case 'in': {
      const v = _get(labels, node.label);
      return v !== undefined && node.values.includes(v);
    }
    case 'notIn': {
      const v = _get(labels, node.label);
      return v === undefined || !node.values.includes(v);
    }
    case 'not':
      return !evaluate(node.operand, labels);
    case 'and':
      return node.operands.every((o) => evaluate(o, labels));
    case 'or':
      return node.operands.some((o) => evaluate(o, labels));
    default: {
      const never: never = node;
      throw new Error(`unknown selector node ${JSON.stringify(never)}`);
    }
  }
}
