/**
 * @module The selector AST: one discriminated union, `SelectorNode`, mirroring Calico's parser
 * nodes one for one.
 *
 * Invariants of trees built by the parser (trees built by hand need not keep them; the printer
 * and the compiler cope):
 * - `in` / `notIn` values are sorted in code-point order (= Go byte order) and de-duplicated.
 * - `and` / `or` have at least two operands (the tuple type enforces it) and are not flattened:
 *   `a && (b && c)` keeps its inner node, as in Calico, so the canonical text keeps its parens.
 * - A run of `!` written together collapses by parity (`!!has(a)` is `has(a)`), but `!(!x)`
 *   keeps both `not` nodes and prints as `!!x`, exactly like Calico (so the unique ID matches),
 *   even though that text parses back to `x`.
 */

export interface AllNode {
  readonly kind: 'all';
}
export interface GlobalNode {
  readonly kind: 'global';
}
export interface HasNode {
  readonly kind: 'has';
  readonly label: string;
}

/** Operators comparing a label's value with one string. */
export type ValueOperator = 'eq' | 'neq' | 'contains' | 'startsWith' | 'endsWith';
export interface LabelValueNode<K extends ValueOperator = ValueOperator> {
  readonly kind: K;
  readonly label: string;
  readonly value: string;
}
export type EqNode = LabelValueNode<'eq'>;
export type NeqNode = LabelValueNode<'neq'>;
export type ContainsNode = LabelValueNode<'contains'>;
export type StartsWithNode = LabelValueNode<'startsWith'>;
export type EndsWithNode = LabelValueNode<'endsWith'>;

/** Operators testing a label's value against a set literal. */
export type SetOperator = 'in' | 'notIn';
export interface LabelSetNode<K extends SetOperator = SetOperator> {
  readonly kind: K;
  readonly label: string;
  readonly values: readonly string[];
}
export type InNode = LabelSetNode<'in'>;
export type NotInNode = LabelSetNode<'notIn'>;

export interface NotNode {
  readonly kind: 'not';
  readonly operand: SelectorNode;
}

/** At least two operands. */
export type Operands = readonly [SelectorNode, SelectorNode, ...SelectorNode[]];
export interface AndNode {
  readonly kind: 'and';
  readonly operands: Operands;
}
export interface OrNode {
  readonly kind: 'or';
  readonly operands: Operands;
}

export type SelectorNode =
  | AllNode
  | GlobalNode
  | HasNode
  | EqNode
  | NeqNode
  | ContainsNode
  | StartsWithNode
  | EndsWithNode
  | InNode
  | NotInNode
  | NotNode
  | AndNode
  | OrNode;

export type SelectorNodeKind = SelectorNode['kind'];

/** Code-point (= UTF-8 byte) order, the order Go's sort.Strings gives. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // UTF-16 puts surrogates (U+D800–DFFF) below U+E000–FFFF; code-point order puts them above.
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

/** Sorted (code-point order) and de-duplicated copy; returns the input when already canonical. */
export function canonicalSet(values: readonly string[]): readonly string[] {
  let canonical = true;
  for (let i = 1; i < values.length; i++) {
    if (compareCodePoints(values[i - 1] ?? '', values[i] ?? '') >= 0) {
      canonical = false;
      break;
    }
  }
  if (canonical) return values;
  const sorted = [...values].sort(compareCodePoints);
  return sorted.filter((v, i) => i === 0 || v !== sorted[i - 1]);
}
