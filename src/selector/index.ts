/**
 * @module The Calico selector language: parse, evaluate, print canonically, unique ID, label
 * prefixing. Pure: imports only `lib/`, no `node:` modules, no I/O.
 *
 * Semantics follow libcalico-go/lib/selector (see the spec digest, section a). Parsing compiles
 * the AST into closures once, so `matches()` allocates nothing; parsed selectors are cached
 * by text.
 */
export { SelectorParseError } from './errors.js';
export type { Selector } from './selector.js';
export {
  parseSelector,
  tryParseSelector,
  selectorFromAst,
  normaliseSelector,
  prefixLabels,
  containsGlobal,
  checkSelectorSyntax,
} from './selector.js';
export type {
  SelectorNode,
  SelectorNodeKind,
  AllNode,
  GlobalNode,
  HasNode,
  LabelValueNode,
  ValueOperator,
  EqNode,
  NeqNode,
  ContainsNode,
  StartsWithNode,
  EndsWithNode,
  LabelSetNode,
  SetOperator,
  InNode,
  NotInNode,
  NotNode,
  AndNode,
  OrNode,
  Operands,
} from './ast.js';
export { evaluate } from './evaluate.js';
export type { Labels } from './evaluate.js';
export { printSelector } from './print.js';
export { MAX_LABEL_LENGTH, isValidLabel } from './tokenize.js';
export { MAX_NESTING } from './parse.js';
export { scanSelector, type SelectorShape } from './scan.js';
export { labelRestrictions, indexKey } from './restrictions.js';
export type { LabelRestrictions, IndexKey } from './restrictions.js';
