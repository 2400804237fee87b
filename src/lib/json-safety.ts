/**
 * @module Limits on untrusted JSON and YAML documents, checked without recursion (a document
 * nested 100,000 deep must cost a loop, not the stack). Pure.
 *
 * - checkTree(value): the nesting depth of a parsed value and the field names
 *   `__proto__`, `constructor`, `prototype` (json-patch.ts FORBIDDEN_KEYS), with the path of the
 *   first problem.
 * - yamlNestingEstimate(text): an upper estimate of a YAML text's nesting (block indentation
 *   levels, `- ` sequence entries and flow brackets), computed before the YAML parser runs,
 *   because the parser recurses per level and a deep enough document exhausts the stack or the
 *   regular-expression compiler's memory (the latter kills the process).
 */
import { isForbiddenKey } from './json-patch.js';

export interface TreeProblem {
  readonly kind: 'depth' | 'forbidden-key';
  /** Dotted field path of the problem (`spec.ingress[0].x`); '' for the root. */
  readonly path: string;
  readonly message: string;
}

/** Most levels of nesting a request body may have: far beyond any Kubernetes object, far below the stack. */
export const MAX_NESTING = 100;

const _pathOf = (parent: string, key: string | number): string =>
  typeof key === 'number' ? `${parent}[${key}]` : parent === '' ? key : `${parent}.${key}`;

/** The first problem in `value` (depth over `maxDepth`, or a forbidden key), or undefined. */
export function checkTree(value: unknown, maxDepth: number = MAX_NESTING): TreeProblem | undefined {
  const stack: { v: unknown; depth: number; path: string }[] = [{ v: value, depth: 0, path: '' }];
  while (stack.length > 0) {
    const { v, depth, path } = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= maxDepth)
      return { kind: 'depth', path, message: `the document nests deeper than ${maxDepth} levels (at ${path === '' ? 'the root' : path})` };
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push({ v: v[i], depth: depth + 1, path: _pathOf(path, i) });
      continue;
    }
    for (const k of Object.keys(v)) {
      const p = _pathOf(path, k);
      if (isForbiddenKey(k))
        return { kind: 'forbidden-key', path: p, message: `the field name ${JSON.stringify(k)} at ${p} is not allowed (__proto__, constructor and prototype are refused)` };
      stack.push({ v: (v as Record<string, unknown>)[k], depth: depth + 1, path: p });
    }
  }
  return undefined;
}

/** The deepest `[`/`{` nesting of a JSON text (strings skipped), in one pass. */
export function jsonNesting(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      depth++;
      if (depth > max) max = depth;
    } else if (c === 93 || c === 125) depth = Math.max(0, depth - 1);
  }
  return max;
}

/**
 * An upper estimate of a YAML text's nesting depth. Counts, per line, the block indentation
 * levels open, the `- ` entries that start the line and the flow brackets open; lines of a block
 * scalar (`|`, `>`) and quoted strings are skipped. Over-counting is harmless (the limit is far
 * above real documents); under-counting is what it must not do for the parser's sake.
 */
export function yamlNestingEstimate(text: string): number {
  const indents: number[] = [];
  let flow = 0;
  let max = 0;
  let scalarParent = -1;
  let pos = 0;
  while (pos <= text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    const line = text.slice(pos, end);
    pos = end + 1;
    let indent = 0;
    while (indent < line.length && line.charCodeAt(indent) === 32) indent++;
    const rest = line.slice(indent);
    if (rest.trim() === '' || rest.startsWith('#')) continue;
    if (scalarParent >= 0) {
      if (indent > scalarParent) continue;
      scalarParent = -1;
    }
    let depth: number;
    if (flow === 0) {
      while (indents.length > 0 && indents[indents.length - 1]! > indent) indents.pop();
      if (indents.length === 0 || indents[indents.length - 1]! < indent) indents.push(indent);
      let i = 0;
      let dashes = 0;
      while (rest.startsWith('- ', i) || rest === '-' || (rest.startsWith('-', i) && i + 1 === rest.length)) {
        dashes++;
        i += 2;
        while (rest.charCodeAt(i) === 32) i++;
      }
      depth = indents.length + dashes;
    } else depth = indents.length;
    // flow brackets, outside quotes and comments
    let quote = 0;
    let prev = 32;
    for (let i = 0; i < rest.length; i++) {
      const c = rest.charCodeAt(i);
      if (quote !== 0) {
        if (quote === 34 && c === 92) i++;
        else if (c === quote) quote = 0;
        continue;
      }
      if ((c === 34 || c === 39) && (flow > 0 || prev === 32 || prev === 58 || prev === 44 || prev === 91 || prev === 123)) quote = c;
      else if (c === 35 /* # */ && prev === 32) break;
      else if ((c === 91 || c === 123) && (flow > 0 || prev === 32 || prev === 58 || prev === 45)) {
        flow++;
        if (depth + flow > max) max = depth + flow;
      } else if ((c === 93 || c === 125) && flow > 0) flow--;
      if (c !== 32) prev = c;
    }
    if (depth + flow > max) max = depth + flow;
    if (flow === 0 && /(?:^|[\s:-])[|>][-+0-9]*\s*(?:#.*)?$/.test(rest)) scalarParent = indent;
  }
  return max;
}
