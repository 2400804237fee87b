/**
 * @module Label restrictions: what labels any matching label set must have (Felix's "label
 * restrictions", used to index selectors so an endpoint change only tests candidate selectors).
 *
 * `labelRestrictions(ast)` returns necessary conditions, never sufficient ones: when a selector
 * matches a label set, that label set has every restricted label, with a value in the allowed set
 * when one is given (a property test checks it). A selector with no restriction (for example
 * `all()`, `a != "x"` or `!has(a)`) must be tested against everything. Derivation, with `!` pushed
 * down to the leaves (De Morgan):
 * - `has(a)`, `a contains/starts with/ends with s` → a present; `a == v` → a ∈ {v};
 *   `a in {…}` → a ∈ {…} (so `a in {}` never matches); `!(a != v)` → a ∈ {v};
 *   `!(a not in {…})` → a ∈ {…}; `!all()` never matches; everything else restricts nothing.
 * - AND: the union of its operands' restrictions (value sets intersect; empty means never).
 * - OR: only labels every (satisfiable) operand restricts, value sets united; a label any operand
 *   only requires present stays "present".
 */
import type { SelectorNode } from './ast.js';

export interface LabelRestrictions {
  /** The selector matches no label set at all. */
  readonly never: boolean;
  /** Required labels: the allowed values, or null for "present with any value". */
  readonly labels: ReadonlyMap<string, ReadonlySet<string> | null>;
}

type _R = { never: boolean; labels: Map<string, Set<string> | null> };

const _none = (): _R => ({ never: false, labels: new Map() });
const _never = (): _R => ({ never: true, labels: new Map() });
const _one = (label: string, values: Iterable<string> | null): _R => ({ never: false, labels: new Map([[label, values === null ? null : new Set(values)]]) });

function _and(parts: readonly _R[]): _R {
  const out = _none();
  for (const p of parts) {
    if (p.never) return _never();
    for (const [label, vs] of p.labels) {
      if (!out.labels.has(label)) {
        out.labels.set(label, vs === null ? null : new Set(vs));
        continue;
      }
      const cur = out.labels.get(label)!;
      if (vs === null) continue;
      if (cur === null) {
        out.labels.set(label, new Set(vs));
        continue;
      }
      const both = new Set<string>();
      for (const v of cur) if (vs.has(v)) both.add(v);
      if (both.size === 0) return _never();
      out.labels.set(label, both);
    }
  }
  return out;
}

function _or(parts: readonly _R[]): _R {
  const live = parts.filter((p) => !p.never);
  const [first, ...rest] = live;
  if (first === undefined) return _never();
  const out = _none();
  for (const [label, vs] of first.labels) {
    let acc: Set<string> | null = vs === null ? null : new Set(vs);
    let everywhere = true;
    for (const p of rest) {
      if (!p.labels.has(label)) {
        everywhere = false;
        break;
      }
      const other = p.labels.get(label)!;
      if (other === null) acc = null;
      else if (acc !== null) for (const v of other) acc.add(v);
    }
    if (everywhere) out.labels.set(label, acc);
  }
  return out;
}

function _walk(n: SelectorNode, negated: boolean): _R {
  switch (n.kind) {
    case 'all':
    case 'global':
      return negated ? _never() : _none();
    case 'has':
    case 'contains':
    case 'startsWith':
    case 'endsWith':
      return negated ? _none() : _one(n.label, null);
    case 'eq':
      return negated ? _none() : _one(n.label, [n.value]);
    case 'neq':
      return negated ? _one(n.label, [n.value]) : _none();
    case 'in':
      if (negated) return _none();
      return n.values.length === 0 ? _never() : _one(n.label, n.values);
    case 'notIn':
      if (!negated) return _none();
      return n.values.length === 0 ? _never() : _one(n.label, n.values);
    case 'not':
      return _walk(n.operand, !negated);
    case 'and': {
      const parts = n.operands.map((o) => _walk(o, negated));
      return negated ? _or(parts) : _and(parts);
    }
    case 'or': {
      const parts = n.operands.map((o) => _walk(o, negated));
      return negated ? _and(parts) : _or(parts);
    }
    default: {
      const never: never = n;
      throw new Error(`unknown selector node ${JSON.stringify(never)}`);
    }
  }
}

/** Necessary label conditions of a selector (see the module doc). */
export function labelRestrictions(ast: SelectorNode): LabelRestrictions {
  return _walk(ast, false);
}

/** One index key for a selector: `label` with `values` (null: has(label)), or undefined for none. */
export interface IndexKey {
  readonly label: string;
  readonly values: readonly string[] | null;
}

/**
 * The restriction to index a selector under: the label with the fewest allowed values (first in
 * selector order on ties), else a required label, else undefined (test it against everything).
 * `never` selectors get undefined too; callers may skip them.
 */
export function indexKey(r: LabelRestrictions): IndexKey | undefined {
  let best: IndexKey | undefined;
  for (const [label, vs] of r.labels) {
    if (vs === null) {
      best ??= { label, values: null };
      continue;
    }
    if (best === undefined || best.values === null || vs.size < best.values.length) best = { label, values: [...vs] };
  }
  return best;
}
