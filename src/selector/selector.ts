/**
 * @module The `Selector` value: AST + compiled matcher + canonical text + unique ID, and the
 * operations on whole selectors (parse with a bounded cache, prefix labels, find `global()`).
 *
 * Selectors are immutable, so parsed ones are shared through a bounded text → Selector cache.
 * Canonical text and unique ID are computed on first use and memoised.
 */
import { err, ok, type Result } from '../lib/result.js';
import { base64UrlEncode, sha224 } from '../lib/sha2.js';
import type { Operands, SelectorNode } from './ast.js';
import { compile } from './compile.js';
import { SelectorParseError } from './errors.js';
import type { Labels } from './evaluate.js';
import { parseAst } from './parse.js';
import { printSelector } from './print.js';

export interface Selector {
  /** Whether the labels satisfy the selector. Allocation-free; safe to call unbound. */
  matches(labels: Readonly<Record<string, string>>): boolean;
  /** Calico's canonical string form. */
  toString(): string;
  /** `s:` + base64url(SHA-224(`s:` + canonical)), unpadded: Calico's `UniqueID()`. */
  uniqueId(): string;
  /** The parsed tree (normalised: sets sorted, `!` runs collapsed). */
  readonly ast: SelectorNode;
}

class _CompiledSelector implements Selector {
  #matches: ((labels: Labels) => boolean) | undefined;
  #canonical: string | undefined;
  #uniqueId: string | undefined;

  constructor(readonly ast: SelectorNode) {}

  /** Compiled on first use: validation parses many selectors it never evaluates. */
  get matches(): (labels: Labels) => boolean {
    if (this.#matches === undefined) this.#matches = compile(this.ast);
    return this.#matches;
  }

  toString(): string {
    if (this.#canonical === undefined) this.#canonical = printSelector(this.ast);
    return this.#canonical;
  }

  uniqueId(): string {
    // Calico's hash.MakeUniqueID("s", canonical) hashes "s:" + canonical.
    if (this.#uniqueId === undefined) this.#uniqueId = 's:' + base64UrlEncode(sha224('s:' + this.toString()));
    return this.#uniqueId;
  }
}

/** Wraps an AST (for example one built or rewritten by hand) as a Selector. */
export function selectorFromAst(ast: SelectorNode): Selector {
  return new _CompiledSelector(ast);
}

/**
 * Parsed-selector cache: two generations of at most CACHE_GENERATION entries each. Hits in the
 * old generation are promoted; when the young one fills up it becomes the old one and the
 * previous old one is dropped. An O(1) approximation of LRU, bounded at twice the limit.
 */
const CACHE_GENERATION = 2048;
let _young = new Map<string, Selector>();
let _old = new Map<string, Selector>();

function _remember(text: string, sel: Selector): void {
  if (_young.size >= CACHE_GENERATION) {
    _old = _young;
    _young = new Map();
  }
  _young.set(text, sel);
}

/** Parses selector text; throws SelectorParseError. Results are cached by text. */
export function parseSelector(text: string): Selector {
  const young = _young.get(text);
  if (young !== undefined) return young;
  const old = _old.get(text);
  if (old !== undefined) {
    _remember(text, old);
    return old;
  }
  const sel = new _CompiledSelector(parseAst(text));
  _remember(text, sel);
  return sel;
}

/** Parses selector text; a syntax error is returned as a value. */
export function tryParseSelector(text: string): Result<Selector, SelectorParseError> {
  try {
    return ok(parseSelector(text));
  } catch (e) {
    if (e instanceof SelectorParseError) return err(e);
    throw e;
  }
}

/**
 * Calico `selector.Normalise`: trims surrounding whitespace and returns the canonical form, or
 * the trimmed text unchanged when it does not parse.
 */
export function normaliseSelector(text: string): string {
  const trimmed = text.trim();
  const r = tryParseSelector(trimmed);
  return r.ok ? r.value.toString() : trimmed;
}

function _prefixNode(node: SelectorNode, prefix: string): SelectorNode {
  switch (node.kind) {
    case 'all':
    case 'global':
      return node;
    case 'has':
    case 'eq':
    case 'neq':
    case 'contains':
    case 'startsWith':
    case 'endsWith':
    case 'in':
    case 'notIn':
      return { ...node, label: prefix + node.label };
    case 'not':
      return { kind: 'not', operand: _prefixNode(node.operand, prefix) };
    case 'and':
    case 'or': {
      const [a, b, ...rest] = node.operands;
      const operands: Operands = [_prefixNode(a, prefix), _prefixNode(b, prefix), ...rest.map((o) => _prefixNode(o, prefix))];
      return { kind: node.kind, operands };
    }
    default: {
      const never: never = node;
      throw new Error(`unknown selector node ${JSON.stringify(never)}`);
    }
  }
}

/**
 * A new selector with every label name prefixed (Calico's PrefixVisitor), as done for a rule's
 * `namespaceSelector` (`pcns.`) and `serviceAccounts.selector` (`pcsa.`).
 */
export function prefixLabels(sel: Selector, prefix: string): Selector {
  if (prefix === '') return sel;
  return new _CompiledSelector(_prefixNode(sel.ast, prefix));
}

function _containsGlobal(node: SelectorNode): boolean {
  switch (node.kind) {
    case 'global':
      return true;
    case 'all':
    case 'has':
    case 'eq':
    case 'neq':
    case 'contains':
    case 'startsWith':
    case 'endsWith':
    case 'in':
    case 'notIn':
      return false;
    case 'not':
      return _containsGlobal(node.operand);
    case 'and':
    case 'or':
      return node.operands.some(_containsGlobal);
    default: {
      const never: never = node;
      throw new Error(`unknown selector node ${JSON.stringify(never)}`);
    }
  }
}

/** Whether `global()` appears anywhere in the selector. */
export function containsGlobal(sel: Selector): boolean {
  return _containsGlobal(sel.ast);
}

/**
 * Syntax check for validation: parses without compiling or caching (validating thousands of
 * distinct selectors must not churn the shared cache). Returns the tree, or throws
 * SelectorParseError.
 */
export function checkSelectorSyntax(text: string): { readonly ast: SelectorNode; readonly hasGlobal: boolean } {
  const ast = parseAst(text);
  return { ast, hasGlobal: _containsGlobal(ast) };
}
