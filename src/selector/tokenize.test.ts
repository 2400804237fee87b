import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isValidLabel, tokenize } from './tokenize.js';

type Tok = [kind: string, value?: string];

// Cases from Calico's tokenizer_test.go, plus a few of ours; offsets are checked separately.
const cases: { name: string; input: string; want: Tok[] }[] = [
  { name: 'no spaces', input: `a=="b"`, want: [['label', 'a'], ['eq'], ['string', 'b'], ['eof']] },
  { name: 'spaces', input: `label == "value"`, want: [['label', 'label'], ['eq'], ['string', 'value'], ['eof']] },
  { name: 'contains', input: `label contains "value"`, want: [['label', 'label'], ['contains'], ['string', 'value'], ['eof']] },
  {
    name: 'label named contains',
    input: `contains contains "contains"`,
    want: [['label', 'contains'], ['contains'], ['string', 'contains'], ['eof']],
  },
  {
    name: 'single-quoted string',
    input: `contains contains 'contains'`,
    want: [['label', 'contains'], ['contains'], ['string', 'contains'], ['eof']],
  },
  { name: 'contains then quote', input: `label contains"value"`, want: [['label', 'label'], ['contains'], ['string', 'value'], ['eof']] },
  { name: 'startswith', input: `label startswith "value"`, want: [['label', 'label'], ['startsWith'], ['string', 'value'], ['eof']] },
  { name: 'endswith', input: `label endswith "value"`, want: [['label', 'label'], ['endsWith'], ['string', 'value'], ['eof']] },
  { name: 'starts with', input: `label starts with "value"`, want: [['label', 'label'], ['startsWith'], ['string', 'value'], ['eof']] },
  {
    name: 'label named startswith',
    input: `startswith starts with "value"`,
    want: [['label', 'startswith'], ['startsWith'], ['string', 'value'], ['eof']],
  },
  { name: 'ends with', input: `label ends with "value"`, want: [['label', 'label'], ['endsWith'], ['string', 'value'], ['eof']] },
  {
    name: 'label named endswith',
    input: `endswith ends with "value"`,
    want: [['label', 'endswith'], ['endsWith'], ['string', 'value'], ['eof']],
  },
  { name: 'starts  with', input: `label starts  with "value"`, want: [['label', 'label'], ['startsWith'], ['string', 'value'], ['eof']] },
  { name: 'ends\twith', input: `label ends\twith "value"`, want: [['label', 'label'], ['endsWith'], ['string', 'value'], ['eof']] },
  {
    name: 'mixed operators',
    input: `a not in "bar" && !has(foo) || b in c`,
    want: [['label', 'a'], ['notIn'], ['string', 'bar'], ['and'], ['not'], ['has', 'foo'], ['or'], ['label', 'b'], ['in'], ['label', 'c'], ['eof']],
  },
  { name: 'has with slashes', input: `has(calico/k8s_ns)`, want: [['has', 'calico/k8s_ns'], ['eof']] },
  { name: 'has with all label chars', input: `has(calico/k8s_NS-.1/role)`, want: [['has', 'calico/k8s_NS-.1/role'], ['eof']] },
  {
    name: 'k8s labels',
    input: `calico/k8s_ns == "kube-system" && k8s-app == "kube-dns"`,
    want: [['label', 'calico/k8s_ns'], ['eq'], ['string', 'kube-system'], ['and'], ['label', 'k8s-app'], ['eq'], ['string', 'kube-dns'], ['eof']],
  },
  {
    name: 'generous spacing',
    input: `a  not  in  "bar"  &&  ! has( foo )  ||  b  in  c `,
    want: [['label', 'a'], ['notIn'], ['string', 'bar'], ['and'], ['not'], ['has', 'foo'], ['or'], ['label', 'b'], ['in'], ['label', 'c'], ['eof']],
  },
  {
    name: 'no spacing',
    input: `a notin"bar"&&!has(foo)||b in"c"`,
    want: [['label', 'a'], ['notIn'], ['string', 'bar'], ['and'], ['not'], ['has', 'foo'], ['or'], ['label', 'b'], ['in'], ['string', 'c'], ['eof']],
  },
  { name: 'empty set', input: `a not in {}`, want: [['label', 'a'], ['notIn'], ['lbrace'], ['rbrace'], ['eof']] },
  {
    name: 'set',
    input: `a not in {"a","B"}`,
    want: [['label', 'a'], ['notIn'], ['lbrace'], ['string', 'a'], ['comma'], ['string', 'B'], ['rbrace'], ['eof']],
  },
  { name: 'global()', input: `global()`, want: [['global'], ['eof']] },
  { name: 'all( )', input: `all( )`, want: [['all'], ['eof']] },
  { name: '!= is greedy', input: `a!='x'`, want: [['label', 'a'], ['ne'], ['string', 'x'], ['eof']] },
  { name: '! then label', input: `!a`, want: [['not'], ['label', 'a'], ['eof']] },
  { name: 'in then brace', input: `a in{"x"}`, want: [['label', 'a'], ['in'], ['lbrace'], ['string', 'x'], ['rbrace'], ['eof']] },
  { name: 'words are labels when not after a label', input: `in`, want: [['label', 'in'], ['eof']] },
  { name: 'has followed by space is a label', input: `has (a)`, want: [['label', 'has'], ['lparen'], ['label', 'a'], ['rparen'], ['eof']] },
  { name: 'string may hold the other quote', input: `"it's"`, want: [['string', "it's"], ['eof']] },
  { name: 'string may hold newline', input: `"a\nb"`, want: [['string', 'a\nb'], ['eof']] },
  { name: 'empty', input: ``, want: [['eof']] },
  { name: 'blanks only', input: ` \t `, want: [['eof']] },
];

for (const c of cases) {
  void test(`tokenize: ${c.name}`, () => {
    const got = tokenize(c.input).map((t): Tok => (t.value === '' ? [t.kind] : [t.kind, t.value]));
    const want = c.want.map(([k, v]): Tok => (v === undefined || v === '' ? [k] : [k, v]));
    assert.deepEqual(got, want);
  });
}

void test('tokenize: offsets', () => {
  const got = tokenize(`  a  not in {"x" ,'y'} && !has( b )`).map((t) => [t.kind, t.offset]);
  assert.deepEqual(got, [
    ['label', 2],
    ['notIn', 5],
    ['lbrace', 12],
    ['string', 13],
    ['comma', 17],
    ['string', 18],
    ['rbrace', 21],
    ['and', 23],
    ['not', 26],
    ['has', 27],
    ['eof', 35],
  ]);
});

const errors: { name: string; input: string }[] = [
  { name: 'starts foo', input: `label starts foo "value"` },
  { name: 'ends foo', input: `label ends foo "value"` },
  { name: 'squiggles', input: `label squiggles "value"` },
  { name: 'inf (word boundary)', input: `label inf "v"` },
  { name: 'withs (word boundary)', input: `label ends withs "v"` },
  { name: 'containsx', input: `label containsx "v"` },
];
for (const c of errors) {
  void test(`tokenize rejects: ${c.name}`, () => assert.throws(() => tokenize(c.input), { name: 'SelectorParseError' }));
}

const labelNames: [string, boolean][] = [
  ['a', true],
  ['calico/k8s_NS-.1/role', true],
  ['projectcalico.org/namespace', true],
  ['x'.repeat(512), true],
  ['x'.repeat(513), false],
  ['', false],
  ['a:b', false],
  ['a b', false],
  ['é', false],
];
for (const [name, want] of labelNames) {
  void test(`isValidLabel ${JSON.stringify(name.length > 20 ? `${name.slice(0, 5)}…(${name.length})` : name)}`, () =>
    assert.equal(isValidLabel(name), want),
  );
}
