/**
 * The validate-only scan agrees with the parser on every input: rejects exactly what the parser
 * rejects, and reports global() the way the parsed tree shows it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseAst } from './parse.js';
import { scanSelector, type SelectorShape } from './scan.js';
import { printSelector } from './print.js';
import type { SelectorNode } from './ast.js';

function _hasGlobal(n: SelectorNode): boolean {
  if (n.kind === 'global') return true;
  if (n.kind === 'not') return _hasGlobal(n.operand);
  if (n.kind === 'and' || n.kind === 'or') return n.operands.some(_hasGlobal);
  return false;
}

function _strip(n: SelectorNode): SelectorNode {
  return n.kind === 'not' ? _strip(n.operand) : n;
}

/** The reference: the parser's verdict and tree. */
function reference(text: string): SelectorShape | undefined {
  let ast: SelectorNode;
  try {
    ast = parseAst(text);
  } catch {
    return undefined;
  }
  if (_strip(ast).kind === 'global') return 'global';
  return _hasGlobal(ast) ? 'mixed' : 'plain';
}

const CASES: readonly [string, SelectorShape | undefined][] = [
  ['', 'plain'],
  ['   ', 'plain'],
  ['all()', 'plain'],
  ['global()', 'global'],
  ['!global()', 'global'],
  ['!!( ( global() ) )', 'global'],
  ['global() && a == "x"', 'mixed'],
  ['!(global() || has(a))', 'mixed'],
  ['a in {"x",}', 'plain'],
  ['a in {}', 'plain'],
  ['a in {,}', undefined],
  ['a in {"x",,}', undefined],
  ['a == "x" b', undefined],
  ['a == "x" && ', undefined],
  ['(a == "x"', undefined],
  ['a == "x")', undefined],
  ['a == "x" && $', undefined],
  ['a startswith "x"', 'plain'],
  ['a startswithx "x"', undefined],
  ['a starts  with"x"', 'plain'],
  ['has (a)', undefined],
  ['!', undefined],
  ['"x"', undefined],
  ['a', undefined],
  [`${'('.repeat(256)}all()${')'.repeat(256)}`, 'plain'],
  [`${'('.repeat(257)}all()${')'.repeat(257)}`, undefined],
];

test('scanSelector: fixed cases, each also agreeing with the parser', () => {
  for (const [text, want] of CASES) {
    assert.equal(scanSelector(text), want, JSON.stringify(text));
    assert.equal(reference(text), want, `reference ${JSON.stringify(text)}`);
  }
});

// Fragments that glue into both valid and subtly invalid selectors.
const PIECES = ['a', 'b', ' ', '==', '!=', '!', '"x"', "'y'", 'in', 'not in', '{', '}', ',', '(', ')', '&&', '||',
  'has(a)', 'all()', 'global()', 'contains', 'starts with', 'ends with', 'endswith', '$', '=', '"'];

test('scanSelector agrees with the parser on random token soups', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...PIECES), { maxLength: 14 }), (parts) => {
      const text = parts.join(' ');
      assert.equal(scanSelector(text), reference(text), JSON.stringify(text));
      const tight = parts.join('');
      assert.equal(scanSelector(tight), reference(tight), JSON.stringify(tight));
    }),
    { numRuns: 20_000 },
  );
});

test('scanSelector agrees with the parser on printed trees and their mutations', () => {
  const leaf = fc.oneof(
    fc.constant<SelectorNode>({ kind: 'all' }),
    fc.constant<SelectorNode>({ kind: 'global' }),
    fc.constantFrom('a', 'in', 'x/y').map((l): SelectorNode => ({ kind: 'has', label: l })),
    fc.tuple(fc.constantFrom('eq', 'neq', 'endsWith' as const), fc.constantFrom('a', 'not', 'b.c')).map(([kind, l]): SelectorNode => ({ kind, label: l, value: 'v' })),
    fc.array(fc.constantFrom('p', 'q'), { maxLength: 3 }).map((values): SelectorNode => ({ kind: 'in', label: 'k', values })),
  );
  const { node } = fc.letrec<{ node: SelectorNode }>((tie) => ({
    node: fc.oneof(
      { maxDepth: 4, depthSize: 'small' },
      leaf,
      tie('node').map((operand): SelectorNode => ({ kind: 'not', operand })),
      fc.tuple(tie('node'), tie('node')).map(([x, y]): SelectorNode => ({ kind: 'and', operands: [x, y] })),
      fc.tuple(tie('node'), tie('node')).map(([x, y]): SelectorNode => ({ kind: 'or', operands: [x, y] })),
    ),
  }));
  fc.assert(
    fc.property(node, fc.nat(), fc.nat(), (n, cut, at) => {
      const text = printSelector(n);
      assert.equal(scanSelector(text), reference(text), JSON.stringify(text));
      // Drop one character, or duplicate one: most mutations break the syntax somewhere.
      const i = text.length === 0 ? 0 : cut % text.length;
      const dropped = text.slice(0, i) + text.slice(i + 1);
      assert.equal(scanSelector(dropped), reference(dropped), JSON.stringify(dropped));
      const j = text.length === 0 ? 0 : at % text.length;
      const doubled = text.slice(0, j) + text.charAt(j) + text.slice(j);
      assert.equal(scanSelector(doubled), reference(doubled), JSON.stringify(doubled));
    }),
    { numRuns: 5_000 },
  );
});
