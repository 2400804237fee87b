import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { evaluate, indexKey, labelRestrictions, parseSelector, type SelectorNode } from './index.js';

// Small alphabets, so random label sets often match random selectors.
const label = fc.constantFrom('a', 'b', 'c');
const value = fc.constantFrom('', 'x', 'y', 'xy');
const leaf: fc.Arbitrary<SelectorNode> = fc.oneof(
  fc.constant<SelectorNode>({ kind: 'all' }),
  fc.constant<SelectorNode>({ kind: 'global' }),
  label.map((l): SelectorNode => ({ kind: 'has', label: l })),
  fc.tuple(fc.constantFrom('eq', 'neq', 'contains', 'startsWith', 'endsWith' as const), label, value).map(([kind, l, v]): SelectorNode => ({ kind, label: l, value: v })),
  fc.tuple(fc.constantFrom('in', 'notIn' as const), label, fc.uniqueArray(value, { maxLength: 3 })).map(([kind, l, values]): SelectorNode => ({ kind, label: l, values })),
);
const { node: arbNode } = fc.letrec<{ node: SelectorNode }>((tie) => ({
  node: fc.oneof(
    { maxDepth: 4, depthSize: 'small' },
    leaf,
    tie('node').map((operand): SelectorNode => ({ kind: 'not', operand })),
    fc.tuple(tie('node'), tie('node'), fc.array(tie('node'), { maxLength: 1 })).map(([x, y, r]): SelectorNode => ({ kind: 'and', operands: [x, y, ...r] })),
    fc.tuple(tie('node'), tie('node'), fc.array(tie('node'), { maxLength: 1 })).map(([x, y, r]): SelectorNode => ({ kind: 'or', operands: [x, y, ...r] })),
  ),
}));
const arbLabels = fc.dictionary(label, value, { maxKeys: 3 });

test('restrictions are necessary: a matching label set satisfies every one', () => {
  fc.assert(
    fc.property(arbNode, fc.array(arbLabels, { minLength: 1, maxLength: 8 }), (ast, sets) => {
      const r = labelRestrictions(ast);
      for (const l of sets) {
        if (!evaluate(ast, l)) continue;
        assert.equal(r.never, false);
        for (const [k, vs] of r.labels) {
          assert.equal(typeof l[k], 'string', `label ${k} required`);
          if (vs !== null) assert.ok(vs.has(l[k]!), `${k}=${l[k]} allowed`);
        }
      }
    }),
    { numRuns: 2000 },
  );
});

const cases: { name: string; selector: string; want: Record<string, string[] | null>; never?: boolean; key?: string }[] = [
  { name: 'all() restricts nothing', selector: 'all()', want: {} },
  { name: 'equality', selector: 'a == "x"', want: { a: ['x'] }, key: 'a=x' },
  { name: 'and unites', selector: 'a == "x" && has(b)', want: { a: ['x'], b: null }, key: 'a=x' },
  { name: 'and intersects values', selector: 'a in {"x","y"} && a in {"y","z"}', want: { a: ['y'] } },
  { name: 'and with disjoint values never matches', selector: 'a == "x" && a == "y"', want: {}, never: true },
  { name: 'or keeps shared labels', selector: 'a == "x" || a == "y" && has(b)', want: { a: ['x', 'y'] }, key: 'a=x,y' },
  { name: 'or drops unshared labels', selector: 'a == "x" || b == "y"', want: {} },
  { name: 'negated inequality', selector: '!(a != "x")', want: { a: ['x'] } },
  { name: 'negated not-in', selector: '!(a not in {"x"})', want: { a: ['x'] } },
  { name: 'not has restricts nothing', selector: '!has(a)', want: {} },
  { name: 'De Morgan over or', selector: '!(a != "x" || !has(b))', want: { a: ['x'], b: null }, key: 'a=x' },
  { name: 'prefers values over presence', selector: 'has(b) && a == "x"', want: { b: null, a: ['x'] }, key: 'a=x' },
  { name: 'presence only', selector: 'has(b)', want: { b: null }, key: 'b' },
];
for (const c of cases)
  test(c.name, () => {
    const r = labelRestrictions(parseSelector(c.selector).ast);
    assert.equal(r.never, c.never ?? false);
    if (r.never) return;
    assert.deepEqual(Object.fromEntries([...r.labels].map(([k, v]) => [k, v === null ? null : [...v].sort()])), c.want);
    const k = indexKey(r);
    if (c.key !== undefined) assert.equal(k === undefined ? '' : k.values === null ? k.label : `${k.label}=${[...k.values].sort().join(',')}`, c.key);
  });
