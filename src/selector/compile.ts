/**
 * @module Compiles a selector AST into a tree of closures, once, at parse time.
 *
 * Why: `matches()` sits on the hottest path (every endpoint × every selector). A closure per
 * node with its label name and value captured means a match does one property read per leaf,
 * no allocation and no switch on node kinds. Small fixed arities (and/or of 2 or 3, sets of up
 * to 3 values) get dedicated closures; large sets use a `Set`.
 *
 * Semantics are exactly `evaluate.ts` (a property test checks it): a label is present when its
 * value is a string. The comparisons below rely on that: `l[k] === v` is false and `l[k] !== v`
 * is true for a missing label or a non-string inherited member, because `v` is a string.
 */
import type { SelectorNode } from './ast.js';
import type { Labels } from './evaluate.js';

export type Matcher = (labels: Labels) => boolean;

/**
 * Returns the engine's internalized copy of a label name. Names sliced out of selector text are
 * not internalized, and a keyed property load with such a key must look it up in the string
 * table on every call; with an internalized key it is a plain (megamorphic-cache) lookup.
 * Using the name as an object key and reading it back yields the internalized string.
 */
function _intern(name: string): string {
  const holder: Record<string, true> = {};
  holder[name] = true;
  const [key] = Object.keys(holder);
  return key ?? name;
}

const _true: Matcher = () => true;
const _false: Matcher = () => false;

function _has(name: string): Matcher {
  const k = _intern(name);
  return (l) => typeof l[k] === 'string';
}

function _inSet(name: string, values: readonly string[]): Matcher {
  const k = _intern(name);
  const [a, b, c] = values;
  if (a === undefined) return _false;
  if (b === undefined) return (l) => l[k] === a;
  if (c === undefined) {
    return (l) => {
      const v = l[k];
      return v === a || v === b;
    };
  }
  if (values.length === 3) {
    return (l) => {
      const v = l[k];
      return v === a || v === b || v === c;
    };
  }
  const set = new Set(values);
  return (l) => {
    const v = l[k];
    return typeof v === 'string' && set.has(v);
  };
}

function _and(ms: readonly Matcher[]): Matcher {
  const [a, b, c] = ms;
  if (a === undefined) return _true;
  if (b === undefined) return a;
  if (c === undefined) return (l) => a(l) && b(l);
  if (ms.length === 3) return (l) => a(l) && b(l) && c(l);
  return (l) => {
    for (let i = 0; i < ms.length; i++) if (!(ms[i] as Matcher)(l)) return false;
    return true;
  };
}

function _or(ms: readonly Matcher[]): Matcher {
  const [a, b, c] = ms;
  if (a === undefined) return _false;
  if (b === undefined) return a;
  if (c === undefined) return (l) => a(l) || b(l);
  if (ms.length === 3) return (l) => a(l) || b(l) || c(l);
  return (l) => {
    for (let i = 0; i < ms.length; i++) if ((ms[i] as Matcher)(l)) return true;
    return false;
  };
}

export function compile(node: SelectorNode): Matcher {
  switch (node.kind) {
    case 'all':
    case 'global':
      return _true;
    case 'has':
      return _has(node.label);
    case 'eq': {
      const k = _intern(node.label);
      const v = node.value;
      return (l) => l[k] === v;
    }
    case 'neq': {
      const k = _intern(node.label);
      const v = node.value;
      return (l) => l[k] !== v;
    }
    case 'contains': {
      const k = _intern(node.label);
      const s = node.value;
      if (s === '') return _has(k);
      return (l) => {
        const v = l[k];
        return typeof v === 'string' && v.includes(s);
      };
    }
    case 'startsWith': {
      const k = _intern(node.label);
      const s = node.value;
      if (s === '') return _has(k);
      return (l) => {
        const v = l[k];
        return typeof v === 'string' && v.startsWith(s);
      };
    }
    case 'endsWith': {
      const k = _intern(node.label);
      const s = node.value;
      if (s === '') return _has(k);
      return (l) => {
        const v = l[k];
        return typeof v === 'string' && v.endsWith(s);
      };
    }
    case 'in':
      return _inSet(node.label, node.values);
    case 'notIn': {
      const m = _inSet(node.label, node.values);
      return (l) => !m(l);
    }
    case 'not': {
      const m = compile(node.operand);
      if (m === _true) return _false;
      if (m === _false) return _true;
      return (l) => !m(l);
    }
    case 'and':
      return _and(node.operands.map(compile));
    case 'or':
      return _or(node.operands.map(compile));
    default: {
      const never: never = node;
      throw new Error(`unknown selector node ${JSON.stringify(never)}`);
    }
  }
}
