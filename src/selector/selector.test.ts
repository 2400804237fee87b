import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  containsGlobal,
  evaluate,
  normaliseSelector,
  parseSelector,
  prefixLabels,
  printSelector,
  selectorFromAst,
  tryParseSelector,
  type SelectorNode,
} from './index.js';

type L = Record<string, string>;

/** Checks matches() (compiled), evaluate() (interpreter) and the re-parsed canonical form agree. */
function check(sel: string, labels: L, want: boolean): void {
  const s = parseSelector(sel);
  const again = parseSelector(s.toString());
  const got = { matches: s.matches(labels), evaluate: evaluate(s.ast, labels), canonical: again.matches(labels) };
  assert.deepEqual(got, { matches: want, evaluate: want, canonical: want }, `${sel} on ${JSON.stringify(labels)}`);
}

// Calico parser_test.go selectorTests, plus our own.
const matchCases: { sel: string; matches: L[]; nonMatches: L[] }[] = [
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
  { sel: `a == 'a'`, matches: [{ a: 'a' }], nonMatches: [{ a: 'b' }, {}] },
  { sel: `a == "a"`, matches: [{ a: 'a' }], nonMatches: [{ a: 'A' }] },
  { sel: `a != "b"`, matches: [{ a: 'a' }, {}], nonMatches: [{ a: 'b' }] },
  { sel: `a != "a"`, matches: [{}], nonMatches: [{ a: 'a' }] },
  { sel: `a != 'a'`, matches: [], nonMatches: [{ a: 'a' }] },
  { sel: `a contains "a"`, matches: [{ a: 'a' }, { a: 'bab' }, { a: 'aaa', b: 'c' }], nonMatches: [{}, { a: 'b' }, { b: 'aaa' }] },
  { sel: `a contains ""`, matches: [{ a: '' }, { a: 'x' }], nonMatches: [{}] },
  {
    sel: `a starts with "a"`,
    matches: [{ a: 'a' }, { a: 'abb' }, { a: 'aaa', b: 'c' }],
    nonMatches: [{}, { a: 'b' }, { a: 'baa' }, { b: 'aaa' }],
  },
  { sel: `a starts with ""`, matches: [{ a: '' }], nonMatches: [{}] },
  {
    sel: `a ends with "a"`,
    matches: [{ a: 'a' }, { a: 'bba' }, { a: 'aaa', b: 'c' }],
    nonMatches: [{}, { a: 'b' }, { a: 'aab' }, { b: 'aaa' }],
  },
  { sel: `a ends with ""`, matches: [{ a: '' }], nonMatches: [{}] },
  { sel: `a in {"a"}`, matches: [{ a: 'a' }], nonMatches: [{ a: 'b' }, {}] },
  { sel: `!a in {"a"}`, matches: [{ a: 'b' }, {}], nonMatches: [{ a: 'a' }] },
  { sel: `a in {"a", "b"}`, matches: [{ a: 'a' }, { a: 'b' }], nonMatches: [{ a: 'c' }] },
  { sel: `a in {"a", "b", "c"}`, matches: [{ a: 'c' }], nonMatches: [{ a: 'd' }, {}] },
  { sel: `a in {"a", "b", "c", "d", "e"}`, matches: [{ a: 'e' }, { a: 'a' }], nonMatches: [{ a: 'f' }, {}] },
  { sel: `a in {}`, matches: [], nonMatches: [{}, { a: '' }] },
  { sel: `a not in {}`, matches: [{}, { a: '' }], nonMatches: [] },
  { sel: `a not in {"d", "e"}`, matches: [{ a: 'a' }], nonMatches: [{ a: 'e' }] },
  { sel: `a not in {"a"}`, matches: [], nonMatches: [{ a: 'a' }] },
  { sel: `a not in {"a", "b", "c", "d"}`, matches: [{}, { a: 'e' }], nonMatches: [{ a: 'd' }] },
  { sel: `has(a)`, matches: [{ a: 'b' }, { a: '' }], nonMatches: [{ b: 'a' }] },
  { sel: `!has(a)`, matches: [{ b: 'b' }], nonMatches: [{ a: 'b' }] },
  { sel: ``, matches: [{}, { a: 'b' }], nonMatches: [] },
  { sel: ` `, matches: [{}], nonMatches: [] },
  { sel: `all()`, matches: [{}], nonMatches: [] },
  { sel: ` all()`, matches: [{ a: 'b' }], nonMatches: [] },
  { sel: `global()`, matches: [{}, { a: 'b' }], nonMatches: [] },
  { sel: `!all()`, matches: [], nonMatches: [{}, { a: 'b' }] },
  { sel: `has(b)`, matches: [], nonMatches: [{ a: 'b' }] },
  { sel: `!!has(b)`, matches: [], nonMatches: [{ a: 'b' }] },
  { sel: `! has(a)`, matches: [], nonMatches: [{ a: 'b' }] },
  { sel: `!!! has(a)`, matches: [], nonMatches: [{ a: 'b' }] },
  { sel: `!!!has(a)`, matches: [], nonMatches: [{ a: 'b' }] },
  { sel: `!! ! has(a)`, matches: [], nonMatches: [{ a: 'b' }] },
  { sel: `! !!has(a)`, matches: [], nonMatches: [{ a: 'b' }] },
  { sel: `!(!has(a))`, matches: [{ a: 'b' }], nonMatches: [{}] },
  { sel: `a == 'a1' && b == 'b1'`, matches: [{ a: 'a1', b: 'b1' }], nonMatches: [] },
  { sel: `a == 'a1' && b != 'b1'`, matches: [], nonMatches: [{ a: 'a1', b: 'b1' }] },
  { sel: `a != 'a1' && b == 'b1'`, matches: [], nonMatches: [{ a: 'a1', b: 'b1' }] },
  { sel: `a != 'a1' && b != 'b1'`, matches: [], nonMatches: [{ a: 'a1', b: 'b1' }] },
  { sel: `a != 'a1' && !b == 'b1'`, matches: [], nonMatches: [{ a: 'a1', b: 'b1' }] },
  { sel: `!a == 'a1' && b == 'b1'`, matches: [{ b: 'b1' }], nonMatches: [{ a: 'a1', b: 'b1' }] },
  { sel: `has(a) && !has(b)`, matches: [{ a: 'a' }], nonMatches: [{ a: 'a', b: '' }] },
  { sel: `!has(b) && has(a)`, matches: [{ a: 'a' }], nonMatches: [] },
  { sel: `!(!has(a) || has(b))`, matches: [{ a: 'a' }], nonMatches: [{ a: 'a', b: 'b' }] },
  { sel: `!(has(b) || !has(a))`, matches: [{ a: 'a' }], nonMatches: [{}] },
  { sel: `a == 'a1' || b == 'b1'`, matches: [{ a: 'a1', b: 'b1' }], nonMatches: [] },
  { sel: `a == 'a1' || b != 'b1'`, matches: [{ a: 'a1', b: 'b1' }], nonMatches: [] },
  { sel: `a != 'a1' || b == 'b1'`, matches: [{ a: 'a1', b: 'b1' }], nonMatches: [] },
  { sel: `a != 'a1' || b != 'b1'`, matches: [], nonMatches: [{ a: 'a1', b: 'b1' }] },
  { sel: `! a == 'a1' || ! b == 'b1'`, matches: [], nonMatches: [{ a: 'a1', b: 'b1' }] },
  // Precedence: || < && < ! ; ! applies to one operation.
  { sel: `a == "1" || b == "2" && c == "3"`, matches: [{ a: '1' }, { b: '2', c: '3' }], nonMatches: [{ b: '2' }] },
  { sel: `(a == "1" || b == "2") && c == "3"`, matches: [{ a: '1', c: '3' }], nonMatches: [{ a: '1' }] },
  { sel: `!a == "x" && b == "y"`, matches: [{ b: 'y' }], nonMatches: [{ a: 'x', b: 'y' }, {}] },
  { sel: `!(a == "x" && b == "y")`, matches: [{ b: 'y' }, {}], nonMatches: [{ a: 'x', b: 'y' }] },
  { sel: `a == "x" && b == "y" && c == "z" && d == "w"`, matches: [{ a: 'x', b: 'y', c: 'z', d: 'w' }], nonMatches: [{ a: 'x', b: 'y', c: 'z' }] },
  { sel: `a == "x" || b == "y" || c == "z" || d == "w"`, matches: [{ d: 'w' }], nonMatches: [{ a: 'y' }] },
  // Word operators as label names; case sensitivity; label character set.
  { sel: `contains contains "contains"`, matches: [{ contains: 'xcontainsx' }], nonMatches: [{ contains: 'Contains' }] },
  { sel: `in in {"in"}`, matches: [{ in: 'in' }], nonMatches: [{ in: 'not' }] },
  { sel: `not notin {"in"}`, matches: [{ not: 'x' }, {}], nonMatches: [{ not: 'in' }] },
  { sel: `calico/k8s_NS-.1/role == "db"`, matches: [{ 'calico/k8s_NS-.1/role': 'db' }], nonMatches: [{ role: 'db' }] },
  { sel: `A == "b"`, matches: [{ A: 'b' }], nonMatches: [{ a: 'b' }] },
  { sel: `a == "ü😀"`, matches: [{ a: 'ü😀' }], nonMatches: [{ a: 'u' }] },
];

for (const c of matchCases) {
  void test(`match: ${c.sel}`, () => {
    for (const l of c.matches) check(c.sel, l, true);
    for (const l of c.nonMatches) check(c.sel, l, false);
  });
}

// The evaluation table for a label that is missing (and, for contrast, present and empty).
const missing: { sel: string; absent: boolean; empty: boolean }[] = [
  { sel: `k == "x"`, absent: false, empty: false },
  { sel: `k == ""`, absent: false, empty: true },
  { sel: `k != "x"`, absent: true, empty: true },
  { sel: `k != ""`, absent: true, empty: false },
  { sel: `k in {"x"}`, absent: false, empty: false },
  { sel: `k in {""}`, absent: false, empty: true },
  { sel: `k not in {"x"}`, absent: true, empty: true },
  { sel: `k not in {""}`, absent: true, empty: false },
  { sel: `k contains "x"`, absent: false, empty: false },
  { sel: `k contains ""`, absent: false, empty: true },
  { sel: `k starts with "x"`, absent: false, empty: false },
  { sel: `k starts with ""`, absent: false, empty: true },
  { sel: `k ends with "x"`, absent: false, empty: false },
  { sel: `k ends with ""`, absent: false, empty: true },
  { sel: `has(k)`, absent: false, empty: true },
  { sel: `!has(k)`, absent: true, empty: false },
  { sel: `all()`, absent: true, empty: true },
  { sel: `global()`, absent: true, empty: true },
];
for (const c of missing) {
  void test(`missing label: ${c.sel}`, () => {
    check(c.sel, { other: 'x' }, c.absent);
    check(c.sel, {}, c.absent);
    check(c.sel, { k: '' }, c.empty);
  });
}

// Label names that collide with Object.prototype members are ordinary labels.
const protoKeys: { name: string; sel: string; labels: L; want: boolean }[] = [
  { name: 'has(constructor) on {}', sel: 'has(constructor)', labels: {}, want: false },
  { name: 'has(toString) on {}', sel: 'has(toString)', labels: {}, want: false },
  { name: 'constructor != on {}', sel: 'constructor != "x"', labels: {}, want: true },
  { name: 'toString not in on {}', sel: 'toString not in {"x"}', labels: {}, want: true },
  { name: 'valueOf in on {}', sel: 'valueOf in {"x", "y", "z", "w"}', labels: {}, want: false },
  { name: 'constructor contains on {}', sel: 'constructor contains "f"', labels: {}, want: false },
  { name: 'has(__proto__) on {}', sel: 'has(__proto__)', labels: {}, want: false },
  { name: 'constructor == when present', sel: 'constructor == "x"', labels: { constructor: 'x' }, want: true },
  { name: '__proto__ == as own JSON key', sel: '__proto__ == "x"', labels: JSON.parse('{"__proto__":"x"}') as L, want: true },
  { name: 'null-prototype labels', sel: 'a == "b"', labels: Object.assign(Object.create(null) as L, { a: 'b' }), want: true },
];
for (const c of protoKeys) {
  void test(`prototype keys: ${c.name}`, () => check(c.sel, c.labels, c.want));
}

// Canonical form (Calico canonicalisationTests, plus ours). Every expected form must round-trip.
const canonical: { input: string; want: string }[] = [
  { input: '', want: 'all()' },
  { input: ' all() ', want: 'all()' },
  { input: ' (all() )', want: 'all()' },
  { input: '\tglobal( )\t', want: 'global()' },
  { input: '! (has( b)||! has(a ))', want: '!(has(b) || !has(a))' },
  { input: '! (a == "b"&&! c != "d")', want: '!(a == "b" && !c != "d")' },
  { input: `a == "'"`, want: `a == "'"` },
  { input: `a == '"'`, want: `a == '"'` },
  { input: `a contains '"'`, want: `a contains '"'` },
  { input: `a contains "'"`, want: `a contains "'"` },
  { input: `a startswith '"'`, want: `a starts with '"'` },
  { input: `a endswith "'"`, want: `a ends with "'"` },
  { input: `a!='"'`, want: `a != '"'` },
  { input: `a in {"d"}`, want: `a in {"d"}` },
  { input: `a in {"a", "b"}`, want: `a in {"a", "b"}` },
  { input: `a in {"d", "a", "b"}`, want: `a in {"a", "b", "d"}` },
  { input: `a in {"z", "x", "y", "a"}`, want: `a in {"a", "x", "y", "z"}` },
  { input: `a in {"z", "z", "x", "y", "x", "a"}`, want: `a in {"a", "x", "y", "z"}` },
  { input: `a in {'"', "'"}`, want: `a in {'"', "'"}` },
  { input: `a in {"b", "B", "a", "A", "_", "1"}`, want: `a in {"1", "A", "B", "_", "a", "b"}` },
  { input: `a in {"～", "😀", "é"}`, want: `a in {"é", "～", "😀"}` },
  { input: `a in {}`, want: `a in {}` },
  { input: `a not in {}`, want: `a not in {}` },
  { input: `a notin{"x"}`, want: `a not in {"x"}` },
  { input: `a  not \t in  {"x","y"}`, want: `a not in {"x", "y"}` },
  { input: `a starts  with "x"`, want: `a starts with "x"` },
  { input: `a contains"x"`, want: `a contains "x"` },
  { input: `a in{"x"}`, want: `a in {"x"}` },
  { input: `contains contains "contains"`, want: `contains contains "contains"` },
  { input: `in in {"in"}`, want: `in in {"in"}` },
  { input: `a\t==\t"b"`, want: `a == "b"` },
  { input: `a == ""`, want: `a == ""` },
  { input: `a == "x && y || (z)"`, want: `a == "x && y || (z)"` },
  { input: `a=="it's"`, want: `a == "it's"` },
  { input: `a == 'say "hi"'`, want: `a == 'say "hi"'` },
  { input: `has(calico/k8s_NS-.1/role)`, want: `has(calico/k8s_NS-.1/role)` },
  {
    input: `calico/k8s_ns == "kube-system" && k8s-app == "kube-dns"`,
    want: `(calico/k8s_ns == "kube-system" && k8s-app == "kube-dns")`,
  },
  { input: `!!has(a)`, want: `has(a)` },
  { input: `!!!has(a)`, want: `!has(a)` },
  { input: `! ! !has(a)`, want: `!has(a)` },
  { input: `!(a == "1")`, want: `!a == "1"` },
  { input: `!a == "x" && b == "y"`, want: `(!a == "x" && b == "y")` },
  { input: `!(a == "1" && b == "2")`, want: `!(a == "1" && b == "2")` },
  { input: `a == "1" && b == "2" || c == "3"`, want: `((a == "1" && b == "2") || c == "3")` },
  { input: `a == "1" || b == "2" && c == "3"`, want: `(a == "1" || (b == "2" && c == "3"))` },
  { input: `a == "1" && (b == "2" && c == "3")`, want: `(a == "1" && (b == "2" && c == "3"))` },
  { input: `(a == "1" && b == "2") && c == "3"`, want: `((a == "1" && b == "2") && c == "3")` },
  { input: `a == "1" && b == "2" && c == "3"`, want: `(a == "1" && b == "2" && c == "3")` },
  { input: `((a == "1"))`, want: `a == "1"` },
  { input: `a == "x" && global()`, want: `(a == "x" && global())` },
  {
    input: `!(!(k == 'v' && has(t) || all()) && (a in {'b', 'c'}))`,
    want: `!(!((k == "v" && has(t)) || all()) && a in {"b", "c"})`,
  },
];
for (const c of canonical) {
  void test(`canonical: ${JSON.stringify(c.input)}`, () => {
    const s = parseSelector(c.input);
    assert.equal(s.toString(), c.want);
    assert.equal(String(s), c.want);
    assert.equal(printSelector(s.ast), c.want);
    const again = parseSelector(c.want);
    assert.equal(again.toString(), c.want, 'canonical form is a fixed point');
    assert.equal(again.uniqueId(), s.uniqueId());
  });
}

void test('canonical: !(!x) prints as !!x like Calico, which reparses to x', () => {
  const s = parseSelector('!(!has(a))');
  assert.equal(s.toString(), '!!has(a)');
  assert.equal(s.uniqueId(), 's:VZFYmDV_Drir7seXQB5vQXF8-34s2nf1b8ItRA');
  assert.equal(parseSelector(s.toString()).toString(), 'has(a)');
});

// Unique IDs: the first three are Calico's own test vectors.
const uids: { input: string; want: string }[] = [
  { input: '', want: 's:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug' },
  { input: ' all() ', want: 's:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug' },
  { input: ' (all() )', want: 's:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug' },
  { input: '! (has( b)||! has(a ))', want: 's:Iss0uCleLYv1GSv_pNm7hAO58kE9jAx1NKyG3Q' },
  { input: '! (a == "b"&&! c != "d")', want: 's:lh3haoY1ikTRkd4UZu0nWSaIBknYLPJLX16d-w' },
  { input: 'global()', want: 's:fiJDJdBoaP_zQxty70sMjIrxwAb5lgM6LYCAow' },
  { input: 'has(a)', want: 's:JpRGrxZ4kdS6g7WoF-uG_g7qlh2ipw2zGYBMpQ' },
  { input: `a=='b'`, want: 's:flMh0m0X_BowkAK_W3j3MgH8oQOsj3WxGDoXCQ' },
  { input: `a == "x" && b in {"q","p"} && has(c)`, want: 's:wtiBdzPggDJMnt73ICO7zXjE4apPyYtqr-nJyw' },
  { input: `a in {"😀", "～"}`, want: 's:_7lV8gb9rT2M7fNulA36poTx43xMgP-soyHd4w' },
];
for (const c of uids) {
  void test(`uniqueId: ${JSON.stringify(c.input)}`, () => {
    const s = parseSelector(c.input);
    assert.equal(s.uniqueId(), c.want);
    assert.equal(s.uniqueId(), c.want, 'stable on second call');
    assert.match(s.uniqueId(), /^s:[A-Za-z0-9_-]{38}$/);
  });
}

// Calico's PrefixVisitor tests (prefix "visited/"), plus the pcns./pcsa. rewrites.
const prefixCases: { input: string; prefix: string; want: string }[] = [
  { input: `k == 'v'`, prefix: 'visited/', want: `visited/k == "v"` },
  { input: `k != 'v'`, prefix: 'visited/', want: `visited/k != "v"` },
  { input: `k contains 'v'`, prefix: 'visited/', want: `visited/k contains "v"` },
  { input: `k starts with 'v'`, prefix: 'visited/', want: `visited/k starts with "v"` },
  { input: `k ends with 'v'`, prefix: 'visited/', want: `visited/k ends with "v"` },
  { input: `k == 'v' && x == 'y'`, prefix: 'visited/', want: `(visited/k == "v" && visited/x == "y")` },
  { input: `k == 'v' || has(x)`, prefix: 'visited/', want: `(visited/k == "v" || has(visited/x))` },
  { input: `!(k == 'v')`, prefix: 'visited/', want: `!visited/k == "v"` },
  { input: `k in {'v'}`, prefix: 'visited/', want: `visited/k in {"v"}` },
  { input: `k not in {'v'}`, prefix: 'visited/', want: `visited/k not in {"v"}` },
  {
    input: `!(!(k == 'v' && has(t) || all()) && (a in {'b', 'c'}))`,
    prefix: 'visited/',
    want: `!(!((visited/k == "v" && has(visited/t)) || all()) && visited/a in {"b", "c"})`,
  },
  { input: `all()`, prefix: 'pcns.', want: `all()` },
  { input: `global()`, prefix: 'pcns.', want: `global()` },
  { input: `a == 'x'`, prefix: 'pcns.', want: `pcns.a == "x"` },
  { input: `role in {"db", "web"}`, prefix: 'pcsa.', want: `pcsa.role in {"db", "web"}` },
  { input: `has(a) && b == "c"`, prefix: '', want: `(has(a) && b == "c")` },
];
for (const c of prefixCases) {
  void test(`prefixLabels ${JSON.stringify(c.prefix)}: ${c.input}`, () => {
    const original = parseSelector(c.input);
    const before = original.toString();
    const prefixed = prefixLabels(original, c.prefix);
    assert.equal(prefixed.toString(), c.want);
    assert.equal(original.toString(), before, 'original unchanged');
    assert.equal(prefixed.uniqueId(), parseSelector(c.want).uniqueId());
  });
}

void test('prefixLabels: the prefixed selector matches prefixed labels', () => {
  const s = prefixLabels(parseSelector(`env == "prod" && has(team)`), 'pcns.');
  assert.equal(s.matches({ 'pcns.env': 'prod', 'pcns.team': 'a' }), true);
  assert.equal(s.matches({ env: 'prod', team: 'a' }), false);
});

const globalCases: { input: string; want: boolean }[] = [
  { input: 'global()', want: true },
  { input: ' global( ) ', want: true },
  { input: 'all()', want: false },
  { input: '', want: false },
  { input: '!global()', want: true },
  { input: 'global() && all()', want: true },
  { input: 'a == "b" || (has(c) && !global())', want: true },
  { input: 'has(global)', want: false },
  { input: 'global == "global()"', want: false },
  { input: 'global in {"global()"}', want: false },
];
for (const c of globalCases) {
  void test(`containsGlobal: ${JSON.stringify(c.input)}`, () => assert.equal(containsGlobal(parseSelector(c.input)), c.want));
}

void test('ast: shape of a parsed selector', () => {
  const want: SelectorNode = {
    kind: 'or',
    operands: [
      {
        kind: 'and',
        operands: [
          { kind: 'eq', label: 'a', value: 'x' },
          { kind: 'not', operand: { kind: 'in', label: 'b', values: ['p', 'q'] } },
        ],
      },
      { kind: 'has', label: 'c' },
      { kind: 'not', operand: { kind: 'global' } },
    ],
  };
  assert.deepEqual(parseSelector(`a == 'x' && !b in {"q", "p", "q"} || has(c) || !!!global()`).ast, want);
});

void test('selectorFromAst: hand-built trees print canonically and match', () => {
  const s = selectorFromAst({
    kind: 'and',
    operands: [
      { kind: 'notIn', label: 'b', values: ['z', 'a', 'z'] },
      { kind: 'startsWith', label: 'a', value: 'x"' },
    ],
  });
  assert.equal(s.toString(), `(b not in {"a", "z"} && a starts with 'x"')`);
  assert.equal(s.matches({ a: 'x"y', b: 'c' }), true);
  assert.equal(s.matches({ a: 'x"y', b: 'z' }), false);
});

void test('parseSelector caches by text and shares immutable selectors', () => {
  const a = parseSelector(`cache == "test"`);
  assert.equal(parseSelector(`cache == "test"`), a);
  assert.notEqual(parseSelector(`cache=="test"`), a);
  assert.equal(parseSelector(`cache=="test"`).toString(), a.toString());
});

void test('matches works unbound', () => {
  const { matches } = parseSelector(`a == "b"`);
  assert.equal(matches({ a: 'b' }), true);
});

void test('tryParseSelector returns values, not exceptions', () => {
  const good = tryParseSelector(`a == "b"`);
  assert.ok(good.ok && good.value.toString() === `a == "b"`);
  const bad = tryParseSelector(`a = "b"`);
  assert.ok(!bad.ok && bad.error.message === 'expected ==' && bad.error.column === 3);
});

const normalise: { input: string; want: string }[] = [
  { input: '', want: 'all()' },
  { input: '  a==\'b\'\n', want: 'a == "b"' },
  { input: 'a == ', want: 'a ==' },
  { input: '\n', want: 'all()' },
];
for (const c of normalise) {
  void test(`normaliseSelector: ${JSON.stringify(c.input)}`, () => assert.equal(normaliseSelector(c.input), c.want));
}
