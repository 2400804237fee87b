/**
 * Calico's own selector tables, replayed through Tabby's library API (issue 2 acceptance).
 *
 * Sources (projectcalico/calico, libcalico-go/lib/selector):
 * - parser/parser_test.go: `selectorTests` (selector, labels that must match, labels that must
 *   not), `badSelectors`, `canonicalisationTests` (input, canonical string, unique ID) and the
 *   PrefixVisitor table.
 * - tokenizer/tokenizer_test.go: `tokenTests` (inputs the tokenizer accepts or rejects).
 * (selector_test.go is not in the stored index, so nothing is taken from it.)
 *
 * Every case goes through the package root: `parseSelector(text)` → `matches`, `toString`,
 * `uniqueId`, and `SelectorParseError` (with `column`) for bad input. Upstream also runs every
 * case through the validate-only `parser.Validate`; Tabby's equivalent is the validate-only scan
 * used by `validateFragment`, so good and bad selectors are also checked through
 * `validateFragment('EntityRule', { selector })` (except `global()`, which an EntityRule
 * `selector` may not use).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSelector, SelectorParseError, validateFragment } from '../index.js';

type Labels = Record<string, string>;

interface MatchCase {
  readonly sel: string;
  readonly matches: readonly Labels[];
  readonly nonMatches: readonly Labels[];
}

// parser_test.go selectorTests, in upstream order.
const SELECTOR_TESTS: readonly MatchCase[] = [
  { sel: `a == "b"`, matches: [{ a: 'b' }, { a: 'b', c: 'd' }], nonMatches: [{}, { a: 'c' }, { c: 'd' }] },
  {
    sel: `a == "b" && c == "d"`,
    matches: [{ a: 'b', c: 'd' }],
    nonMatches: [{}, { a: 'b', c: 'e' }, { a: 'c', c: 'd' }, { c: 'd' }, { a: 'b' }],
  },
  {
    sel: `a == "b" || c == "d"`,
    matches: [{ a: 'b', c: 'd' }, { a: 'b' }, { c: 'd' }],
    nonMatches: [{}, { a: 'e', c: 'e' }, { c: 'e' }, { a: 'e' }],
  },
  { sel: `a in {"'", '"', "c"}`, matches: [{ a: 'c' }, { a: '"' }, { a: "'" }], nonMatches: [{}, { a: 'e' }] },
  { sel: `a not in {"'", '"', "c"}`, matches: [{}, { a: 'e' }], nonMatches: [{ a: 'c' }, { a: '"' }, { a: "'" }] },
  { sel: `a == 'a'`, matches: [{ a: 'a' }], nonMatches: [] },
  { sel: `a == "a"`, matches: [{ a: 'a' }], nonMatches: [] },
  { sel: `a != "b"`, matches: [{ a: 'a' }], nonMatches: [] },
  { sel: `a != "a"`, matches: [{}], nonMatches: [] },
  { sel: `a contains "a"`, matches: [{ a: 'a' }, { a: 'bab' }, { a: 'aaa', b: 'c' }], nonMatches: [{}, { a: 'b' }, { b: 'aaa' }] },
  { sel: `a starts with "a"`, matches: [{ a: 'a' }, { a: 'abb' }, { a: 'aaa', b: 'c' }], nonMatches: [{}, { a: 'b' }, { a: 'baa' }, { b: 'aaa' }] },
  { sel: `a ends with "a"`, matches: [{ a: 'a' }, { a: 'bba' }, { a: 'aaa', b: 'c' }], nonMatches: [{}, { a: 'b' }, { a: 'aab' }, { b: 'aaa' }] },
  { sel: `a in {"a"}`, matches: [{ a: 'a' }], nonMatches: [] },
  { sel: `!a in {"a"}`, matches: [{ a: 'b' }], nonMatches: [] },
  { sel: `a in {"a", "b"}`, matches: [{ a: 'a' }], nonMatches: [] },
  { sel: `a in {"a", "b"}`, matches: [{ a: 'b' }], nonMatches: [] },
  { sel: `a not in {"d", "e"}`, matches: [{ a: 'a' }], nonMatches: [] },
  { sel: `has(a)`, matches: [{ a: 'b' }], nonMatches: [] },
  { sel: `!has(a)`, matches: [{ b: 'b' }], nonMatches: [] },
  { sel: ``, matches: [{}], nonMatches: [] },
  { sel: ` `, matches: [{}], nonMatches: [] },
  { sel: ``, matches: [{ a: 'b' }], nonMatches: [] },
  { sel: `all()`, matches: [{}], nonMatches: [] },
  { sel: ` all()`, matches: [{}], nonMatches: [] },
  { sel: ` all()`, matches: [{ a: 'b' }], nonMatches: [] },
  { sel: `global()`, matches: [{}], nonMatches: [] },
  { sel: ` global()`, matches: [{}], nonMatches: [] },
  { sel: ` global()`, matches: [{ a: 'b' }], nonMatches: [] },
  { sel: `a == 'a'`, matches: [], nonMatches: [{ a: 'b' }] },
  { sel: `a == 'a'`, matches: [], nonMatches: [{}] },
  { sel: `a != "a"`, matches: [], nonMatches: [{ a: 'a' }] },
  { sel: `a != 'a'`, matches: [], nonMatches: [{ a: 'a' }] },
  { sel: `a in {"a"}`, matches: [], nonMatches: [{ a: 'b' }] },
  { sel: `a not in {"a"}`, matches: [], nonMatches: [{ a: 'a' }] },
  { sel: `a in {"a", "b"}`, matches: [], nonMatches: [{ a: 'c' }] },
  { sel: `has(b)`, matches: [], nonMatches: [{ a: 'b' }] },
  { sel: `!!has(b)`, matches: [], nonMatches: [{ a: 'b' }] },
  { sel: `! has(a)`, matches: [], nonMatches: [{ a: 'b' }] },
  { sel: `!has(a)`, matches: [], nonMatches: [{ a: 'b' }] },
  { sel: `!!! has(a)`, matches: [], nonMatches: [{ a: 'b' }] },
  { sel: `!!!has(a)`, matches: [], nonMatches: [{ a: 'b' }] },
  { sel: `!! ! has(a)`, matches: [], nonMatches: [{ a: 'b' }] },
  { sel: `! !!has(a)`, matches: [], nonMatches: [{ a: 'b' }] },
  // Boolean expressions.
  { sel: `a == 'a1' && b == 'b1'`, matches: [{ a: 'a1', b: 'b1' }], nonMatches: [] },
  { sel: `a == 'a1' && b != 'b1'`, matches: [], nonMatches: [{ a: 'a1', b: 'b1' }] },
  { sel: `a != 'a1' && b == 'b1'`, matches: [], nonMatches: [{ a: 'a1', b: 'b1' }] },
  { sel: `a != 'a1' && b != 'b1'`, matches: [], nonMatches: [{ a: 'a1', b: 'b1' }] },
  { sel: `a != 'a1' && !b == 'b1'`, matches: [], nonMatches: [{ a: 'a1', b: 'b1' }] },
  { sel: `!a == 'a1' && b == 'b1'`, matches: [], nonMatches: [{ a: 'a1', b: 'b1' }] },
  { sel: `has(a) && !has(b)`, matches: [{ a: 'a' }], nonMatches: [] },
  { sel: `!has(b) && has(a)`, matches: [{ a: 'a' }], nonMatches: [] },
  { sel: `!(!has(a) || has(b))`, matches: [{ a: 'a' }], nonMatches: [] },
  { sel: `!(has(b) || !has(a))`, matches: [{ a: 'a' }], nonMatches: [] },
  { sel: `a == 'a1' || b == 'b1'`, matches: [{ a: 'a1', b: 'b1' }], nonMatches: [] },
  { sel: `a == 'a1' || b != 'b1'`, matches: [{ a: 'a1', b: 'b1' }], nonMatches: [] },
  { sel: `a != 'a1' || b == 'b1'`, matches: [{ a: 'a1', b: 'b1' }], nonMatches: [] },
  { sel: `a != 'a1' || b != 'b1'`, matches: [], nonMatches: [{ a: 'a1', b: 'b1' }] },
  { sel: `! a == 'a1' || ! b == 'b1'`, matches: [], nonMatches: [{ a: 'a1', b: 'b1' }] },
];

// parser_test.go badSelectors (with upstream's comment as the reason).
const BAD_SELECTORS: readonly (readonly [string, string])[] = [
  ['b == b', 'label == label'],
  ['b contains b', 'label contains label'],
  ['b starts with b', 'label starts with label'],
  ['b ends with b', 'label ends with label'],
  ["'b1' == b", 'literal on lhs'],
  ['b', 'bare label'],
  ['a b', 'garbage'],
  ['!', 'garbage'],
  [`foo == "bar" &`, 'garbage'],
  [`foo == "bar" |`, 'garbage'],
  [`foo != ||`, 'garbage'],
  [`foo in {"", ||`, 'garbage'],
  [`foo in ""`, 'expect set literal'],
  [`"FOO`, 'unterminated string'],
  [`"FOO'`, 'unterminated string'],
  [`'FOO`, 'unterminated string'],
  ['(', 'unterminated paren'],
  [`(a == "foo"`, 'unterminated paren'],
  [')', 'unterminated paren'],
  ['()', 'unterminated paren'],
  ['%', 'unexpected char'],
  [`a == "b" && %`, 'unexpected char'],
  [`a == "b" || %`, 'unexpected char'],
  ['a ', 'should be followed by operator'],
  ['has(foo) &&', 'should be followed by operator'],
];

// parser_test.go canonicalisationTests: input, canonical form, expected UID ('' = not pinned).
const CANONICAL: readonly (readonly [string, string, string])[] = [
  ['', 'all()', 's:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug'],
  [' all() ', 'all()', 's:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug'],
  [' (all() )', 'all()', 's:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug'],
  ['! (has( b)||! has(a ))', '!(has(b) || !has(a))', 's:Iss0uCleLYv1GSv_pNm7hAO58kE9jAx1NKyG3Q'],
  ['! (a == "b"&&! c != "d")', '!(a == "b" && !c != "d")', 's:lh3haoY1ikTRkd4UZu0nWSaIBknYLPJLX16d-w'],
  [`a == "'"`, `a == "'"`, ''],
  [`a == '"'`, `a == '"'`, ''],
  [`a contains '"'`, `a contains '"'`, ''],
  [`a contains "'"`, `a contains "'"`, ''],
  [`a startswith '"'`, `a starts with '"'`, ''],
  [`a endswith "'"`, `a ends with "'"`, ''],
  [`a!='"'`, `a != '"'`, ''],
  // Set items get sorted/de-duped.
  [`a in {"d"}`, `a in {"d"}`, ''],
  [`a in {"a", "b"}`, `a in {"a", "b"}`, ''],
  [`a in {"d", "a", "b"}`, `a in {"a", "b", "d"}`, ''],
  [`a in {"z", "x", "y", "a"}`, `a in {"a", "x", "y", "z"}`, ''],
  [`a in {"z", "z", "x", "y", "x", "a"}`, `a in {"a", "x", "y", "z"}`, ''],
];

// tokenizer_test.go tokenTests: inputs the tokenizer accepts and that are whole selectors (the
// parser must accept them too), and the three the tokenizer rejects.
const TOKENIZER_ACCEPTED_SELECTORS: readonly string[] = [
  `a=="b"`,
  `label == "value"`,
  `label contains "value"`,
  `contains contains "contains"`,
  `contains contains 'contains'`,
  `label contains"value"`,
  `label startswith "value"`,
  `label endswith "value"`,
  `label starts with "value"`,
  `startswith starts with "value"`,
  `label ends with "value"`,
  `endswith ends with "value"`,
  `label starts  with "value"`,
  `label ends  with "value"`,
  `has(calico/k8s_ns)`,
  `has(calico/k8s_ns/role)`,
  `has(calico/k8s_NS-.1/role)`,
  `calico/k8s_ns == "kube-system" && k8s-app == "kube-dns"`,
  `a not in {}`,
  `a not in {"a"}`,
  `a not in {"a","B"}`,
  `global()`,
  `all()`,
];
const TOKENIZER_REJECTED: readonly string[] = [`label starts foo "value"`, `label ends foo "value"`, `label squiggles "value"`];
// Tokenizer-valid but not parser-valid: `in` must be followed by a set literal (the parser's
// badSelectors case `foo in ""`).
const TOKENIZER_ONLY: readonly string[] = [`a not in "bar" && !has(foo) || b in c`, `a  not  in  "bar"  &&  ! has( foo )  ||  b  in  c `, `a notin"bar"&&!has(foo)||b in"c"`];

// PrefixVisitor table entries (parser_test.go "Visitor tests"): not replayed, see below.
const VISITOR_ENTRIES = 11;

const show = (l: Labels): string => JSON.stringify(l);
const canValidateInEntityRule = (sel: string): boolean => !sel.includes('global()');

function expectRejected(sel: string): void {
  assert.throws(
    () => parseSelector(sel),
    (e: unknown) => e instanceof SelectorParseError && Number.isInteger(e.column) && e.column >= 1 && e.column <= sel.length + 1,
    `parseSelector(${JSON.stringify(sel)}) should throw SelectorParseError with a column inside the text`,
  );
  const errs = validateFragment('EntityRule', { selector: sel });
  assert.ok(
    errs.some((e) => e.path === 'selector'),
    `validateFragment('EntityRule') should reject selector ${JSON.stringify(sel)}`,
  );
}

SELECTOR_TESTS.forEach((c, i) => {
  test(`parser selectorTests[${i}] ${JSON.stringify(c.sel)}`, () => {
    const sel = parseSelector(c.sel);
    const again = parseSelector(sel.toString());
    for (const l of c.matches) {
      assert.equal(sel.matches(l), true, `should match ${show(l)}`);
      assert.equal(again.matches(l), true, `should match ${show(l)} after canonicalising to ${sel.toString()}`);
    }
    for (const l of c.nonMatches) {
      assert.equal(sel.matches(l), false, `should not match ${show(l)}`);
      assert.equal(again.matches(l), false, `should not match ${show(l)} after canonicalising to ${sel.toString()}`);
    }
    assert.equal(sel.uniqueId(), sel.uniqueId(), 'same UID on each call');
    if (canValidateInEntityRule(c.sel)) assert.deepEqual(validateFragment('EntityRule', { selector: c.sel }), []);
  });
});

for (const [sel, why] of BAD_SELECTORS) test(`parser badSelectors ${JSON.stringify(sel)} (${why})`, () => expectRejected(sel));

for (const [input, canonical, uid] of CANONICAL) {
  test(`parser canonicalisation ${JSON.stringify(input)} → ${canonical}`, () => {
    const sel = parseSelector(input);
    assert.equal(sel.toString(), canonical);
    const round = parseSelector(canonical);
    assert.equal(round.toString(), canonical, 'round trip');
    assert.equal(round.uniqueId(), sel.uniqueId(), 'round trip keeps the UID');
    if (uid !== '') assert.equal(sel.uniqueId(), uid);
  });
}

for (const sel of TOKENIZER_ACCEPTED_SELECTORS) {
  test(`tokenizer tokenTests accepts ${JSON.stringify(sel)}`, () => {
    const parsed = parseSelector(sel);
    const canonical = parsed.toString();
    assert.equal(parseSelector(canonical).toString(), canonical, 'canonical form round-trips');
    if (canValidateInEntityRule(sel)) assert.deepEqual(validateFragment('EntityRule', { selector: sel }), []);
  });
}
for (const sel of TOKENIZER_REJECTED) test(`tokenizer tokenTests rejects ${JSON.stringify(sel)}`, () => expectRejected(sel));
for (const sel of TOKENIZER_ONLY) test(`tokenizer accepts but parser rejects ${JSON.stringify(sel)} (set literal expected)`, () => expectRejected(sel));

// Spot checks of token meaning from tokenTests, through evaluation.
test('tokenizer: `contains contains "contains"` is label `contains`, operator contains, value "contains"', () => {
  const s = parseSelector('contains contains "contains"');
  assert.equal(s.matches({ contains: 'xcontainsx' }), true);
  assert.equal(s.matches({ contains: 'contain' }), false);
  assert.equal(s.toString(), 'contains contains "contains"');
});
test('tokenizer: `startswith starts with "value"` is label `startswith`', () => {
  const s = parseSelector('startswith starts with "value"');
  assert.equal(s.matches({ startswith: 'value1' }), true);
  assert.equal(s.matches({ startswith: 'xvalue' }), false);
});
test('tokenizer: `a not in {"a","B"}` keeps case in set items', () => {
  const s = parseSelector('a not in {"a","B"}');
  assert.equal(s.matches({ a: 'b' }), true);
  assert.equal(s.matches({ a: 'B' }), false);
  assert.equal(s.toString(), 'a not in {"B", "a"}');
});

test(
  `[skipped ×${VISITOR_ENTRIES}] parser_test.go PrefixVisitor table`,
  { skip: 'label prefixing (the pcns./pcsa. visitor) is not part of the library API of issue 2 item 6 (parseSelector → matches/toString/uniqueId); it is covered by src/selector/selector.test.ts' },
  () => {},
);
