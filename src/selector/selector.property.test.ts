import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  evaluate,
  parseSelector,
  printSelector,
  SelectorParseError,
  selectorFromAst,
  tryParseSelector,
  type SelectorNode,
} from './index.js';

type L = Record<string, string>;

// Label names include the operator words, to stress the "operators only after a label" rule.
const LABELS = ['a', 'b', 'c', 'in', 'not', 'contains', 'startswith', 'with', 'has', 'all', 'global', 'k8s-app', 'x/y.z_1', '9'];
const VALUES = ['', 'x', 'y', 'xy', 'yx', ' ', "it's", 'say "hi"', 'ü', '😀', '～', '&& ||', '(', '{}', ',', '!='];

const label = fc.constantFrom(...LABELS);
/** A value the grammar can express: never both quote kinds. */
const value = fc.oneof(fc.constantFrom(...VALUES), fc.string({ maxLength: 6 })).filter((v) => !(v.includes('"') && v.includes("'")));

const leaf: fc.Arbitrary<SelectorNode> = fc.oneof(
  fc.constant<SelectorNode>({ kind: 'all' }),
  fc.constant<SelectorNode>({ kind: 'global' }),
  label.map((l): SelectorNode => ({ kind: 'has', label: l })),
  fc
    .tuple(fc.constantFrom('eq', 'neq', 'contains', 'startsWith', 'endsWith' as const), label, value)
    .map(([kind, l, v]): SelectorNode => ({ kind, label: l, value: v })),
  fc
    .tuple(fc.constantFrom('in', 'notIn' as const), label, fc.array(value, { maxLength: 6 }))
    .map(([kind, l, values]): SelectorNode => ({ kind, label: l, values })),
);

const { node: arbNode } = fc.letrec<{ node: SelectorNode; not: SelectorNode; and: SelectorNode; or: SelectorNode }>((tie) => ({
  node: fc.oneof({ maxDepth: 5, depthSize: 'small' }, leaf, tie('not'), tie('and'), tie('or')),
  not: tie('node').map((operand): SelectorNode => ({ kind: 'not', operand })),
  and: fc
    .tuple(tie('node'), tie('node'), fc.array(tie('node'), { maxLength: 2 }))
    .map(([x, y, rest]): SelectorNode => ({ kind: 'and', operands: [x, y, ...rest] })),
  or: fc
    .tuple(tie('node'), tie('node'), fc.array(tie('node'), { maxLength: 2 }))
    .map(([x, y, rest]): SelectorNode => ({ kind: 'or', operands: [x, y, ...rest] })),
}));

const arbLabels: fc.Arbitrary<L> = fc.dictionary(label, fc.oneof(fc.constantFrom(...VALUES), fc.string({ maxLength: 4 })), {
  maxKeys: 6,
});

/** Set order Go uses: UTF-8 byte order (written independently of the implementation). */
function sortedUnique(values: readonly string[]): string[] {
  return [...new Set(values)].sort((x, y) => Buffer.compare(Buffer.from(x, 'utf8'), Buffer.from(y, 'utf8')));
}

/** What parse(print(ast)) should give: sets sorted and de-duplicated, `!!x` collapsed to x. */
function normalise(n: SelectorNode): SelectorNode {
  switch (n.kind) {
    case 'in':
    case 'notIn':
      return { kind: n.kind, label: n.label, values: sortedUnique(n.values) };
    case 'not':
      return n.operand.kind === 'not' ? normalise(n.operand.operand) : { kind: 'not', operand: normalise(n.operand) };
    case 'and':
    case 'or': {
      const [x, y, ...rest] = n.operands;
      return { kind: n.kind, operands: [normalise(x), normalise(y), ...rest.map(normalise)] };
    }
    case 'all':
    case 'global':
    case 'has':
    case 'eq':
    case 'neq':
    case 'contains':
    case 'startsWith':
    case 'endsWith':
      return n;
  }
}

/** A naive reference evaluator, written from the spec table, not from the implementation. */
function reference(n: SelectorNode, labels: L): boolean {
  const present = (k: string): boolean => Object.prototype.hasOwnProperty.call(labels, k);
  const val = (k: string): string => labels[k] ?? '';
  switch (n.kind) {
    case 'all':
    case 'global':
      return true;
    case 'has':
      return present(n.label);
    case 'eq':
      return present(n.label) ? val(n.label) === n.value : false;
    case 'neq':
      return present(n.label) ? val(n.label) !== n.value : true;
    case 'contains':
      return present(n.label) ? val(n.label).indexOf(n.value) !== -1 : false;
    case 'startsWith':
      return present(n.label) ? val(n.label).slice(0, n.value.length) === n.value : false;
    case 'endsWith':
      return present(n.label) ? n.value.length <= val(n.label).length && val(n.label).slice(val(n.label).length - n.value.length) === n.value : false;
    case 'in':
      return present(n.label) ? n.values.some((v) => v === val(n.label)) : false;
    case 'notIn':
      return present(n.label) ? !n.values.some((v) => v === val(n.label)) : true;
    case 'not':
      return !reference(n.operand, labels);
    case 'and': {
      let all = true;
      for (const o of n.operands) all = reference(o, labels) && all;
      return all;
    }
    case 'or': {
      let any = false;
      for (const o of n.operands) any = reference(o, labels) || any;
      return any;
    }
  }
}

void test('property: parse(print(ast)) equals the normalised ast', () => {
  fc.assert(
    fc.property(arbNode, (ast) => {
      const text = printSelector(ast);
      assert.deepEqual(parseSelector(text).ast, normalise(ast), text);
    }),
    { numRuns: 1000 },
  );
});

void test('property: canonical text reaches a fixed point after one round', () => {
  fc.assert(
    fc.property(arbNode, (ast) => {
      const once = parseSelector(printSelector(ast)).toString();
      assert.equal(parseSelector(once).toString(), once);
    }),
    { numRuns: 500 },
  );
});

void test('property: matches(), evaluate() and the re-parsed text agree with the reference evaluator', () => {
  fc.assert(
    fc.property(arbNode, fc.array(arbLabels, { minLength: 1, maxLength: 8 }), (ast, labelSets) => {
      const compiled = selectorFromAst(ast);
      const reparsed = parseSelector(printSelector(ast));
      for (const labels of labelSets) {
        const want = reference(ast, labels);
        assert.equal(compiled.matches(labels), want, `matches ${printSelector(ast)} ${JSON.stringify(labels)}`);
        assert.equal(evaluate(ast, labels), want, 'evaluate');
        assert.equal(reparsed.matches(labels), want, 'reparsed');
      }
    }),
    { numRuns: 1000 },
  );
});

const FRAGMENTS = [
  'a', 'b', 'in', 'not', 'notin', 'contains', 'starts', 'ends', 'with', 'has(', 'all(', 'global(', 'has', 'all',
  ' ', '\t', '\n', '==', '!=', '=', '!', '&&', '||', '&', '|', '(', ')', '{', '}', ',', '"x"', "'y'", '"', "'",
  '%', 'é', '😀', ':', '-', '.', '/',
];
const fragmentText = fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 30 });
/** A valid canonical selector with a few random deletions and insertions: near-misses. */
const mutatedText = fc
  .tuple(arbNode.map(printSelector), fc.array(fc.tuple(fc.nat(), fc.constantFrom(...FRAGMENTS), fc.boolean()), { minLength: 1, maxLength: 3 }))
  .map(([text, edits]) =>
    edits.reduce((t, [pos, fragment, remove]) => {
      const p = pos % (t.length + 1);
      return remove ? t.slice(0, p) + t.slice(p + 1) : t.slice(0, p) + fragment + t.slice(p);
    }, text),
  );
const arbText = fc.oneof(
  mutatedText,
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fragmentText.map((f) => f.join('')),
  fragmentText.map((f) => f.join(' ')),
  arbNode.map(printSelector),
);

void test('property: arbitrary text either parses or fails with a located SelectorParseError', () => {
  fc.assert(
    fc.property(arbText, arbLabels, (text, labels) => {
      let r: ReturnType<typeof tryParseSelector>;
      try {
        r = tryParseSelector(text);
      } catch (e) {
        assert.fail(`threw ${String(e)} for ${JSON.stringify(text)}`);
      }
      if (!r.ok) {
        assert.ok(r.error instanceof SelectorParseError);
        assert.equal(r.error.selector, text);
        assert.ok(r.error.offset >= 0 && r.error.offset <= text.length, `offset ${r.error.offset} in ${JSON.stringify(text)}`);
        assert.throws(() => parseSelector(text), SelectorParseError);
        return;
      }
      const canonical = r.value.toString();
      const again = tryParseSelector(canonical);
      assert.ok(again.ok, `canonical ${JSON.stringify(canonical)} of ${JSON.stringify(text)} must parse`);
      assert.equal(again.value.matches(labels), r.value.matches(labels));
      assert.equal(r.value.matches(labels), reference(r.value.ast, labels));
    }),
    { numRuns: 3000 },
  );
});

void test('property: long hostile inputs finish quickly', () => {
  const long = fc.array(fc.constantFrom(...FRAGMENTS, '((((', '!!!!', 'a == "x" && '), { minLength: 500, maxLength: 3000 });
  fc.assert(
    fc.property(long, (parts) => {
      const text = parts.join('');
      const t0 = performance.now();
      const r = tryParseSelector(text);
      const ms = performance.now() - t0;
      assert.ok(r.ok || r.error instanceof SelectorParseError);
      assert.ok(ms < 5_000, `took ${ms.toFixed(1)} ms for ${text.length} chars`);
    }),
    { numRuns: 200 },
  );
});
