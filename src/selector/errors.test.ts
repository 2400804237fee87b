import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_NESTING, parseSelector, SelectorParseError, tryParseSelector } from './index.js';

const long513 = 'a'.repeat(513);

// Every tokenizer and parser error, with the message and the 1-based column it points at.
// Includes all of Calico's parser_test.go badSelectors.
const cases: { name: string; input: string; message: string; column: number }[] = [
  // Tokenizer.
  { name: 'single =', input: `a = "b"`, message: 'expected ==', column: 3 },
  { name: 'single = at end', input: `a =`, message: 'expected ==', column: 3 },
  { name: 'single &', input: `a == "b" & c == "d"`, message: 'expected &&', column: 10 },
  { name: 'single | ', input: `a == "b" | c == "d"`, message: 'expected ||', column: 10 },
  { name: 'trailing &', input: `foo == "bar" &`, message: 'expected &&', column: 14 },
  { name: 'trailing |', input: `foo == "bar" |`, message: 'expected ||', column: 14 },
  { name: 'unterminated "', input: `"FOO`, message: 'unterminated string', column: 1 },
  { name: 'mismatched quotes', input: `"FOO'`, message: 'unterminated string', column: 1 },
  { name: "unterminated '", input: `'FOO`, message: 'unterminated string', column: 1 },
  { name: 'unterminated value', input: `a == 'b`, message: 'unterminated string', column: 6 },
  { name: 'garbage after label', input: `a b`, message: 'expected operator after label "a"', column: 3 },
  { name: 'in without boundary', input: `label inf "v"`, message: 'expected operator after label "label"', column: 7 },
  { name: 'with without boundary', input: `label ends withs "v"`, message: 'expected operator after label "label"', column: 7 },
  { name: 'starts foo', input: `label starts foo "value"`, message: 'expected operator after label "label"', column: 7 },
  { name: 'squiggles', input: `label squiggles "value"`, message: 'expected operator after label "label"', column: 7 },
  { name: 'not in followed by label', input: `a not in x`, message: 'expected operator after label "a"', column: 3 },
  { name: 'function after label', input: `a has(b)`, message: 'expected operator after label "a"', column: 3 },
  { name: 'odd char after label', input: `a %`, message: 'expected operator after label "a"', column: 3 },
  { name: 'newline after label', input: `a\n== "b"`, message: 'expected operator after label "a"', column: 2 },
  { name: 'colon in label', input: `a:b == "c"`, message: 'expected operator after label "a"', column: 2 },
  { name: 'unexpected char', input: `%`, message: 'unexpected character "%"', column: 1 },
  { name: 'unexpected char after &&', input: `a == "b" && %`, message: 'unexpected character "%"', column: 13 },
  { name: 'unexpected char after ||', input: `a == "b" || %`, message: 'unexpected character "%"', column: 13 },
  { name: 'leading newline', input: `\na == "b"`, message: 'unexpected character "\\n"', column: 1 },
  { name: 'trailing newline', input: `a == "b"\n`, message: 'unexpected character "\\n"', column: 9 },
  { name: 'non-ASCII label', input: `é == "x"`, message: 'unexpected character "é"', column: 1 },
  { name: 'astral char', input: `a == "x" 😀`, message: 'unexpected character "😀"', column: 10 },
  { name: 'has()', input: `has()`, message: 'expected label name in has()', column: 5 },
  { name: 'has( )', input: `has( )`, message: 'expected label name in has()', column: 6 },
  { name: 'has(foo', input: `has(foo`, message: "no closing ')' after has(", column: 8 },
  { name: 'has(a:b)', input: `has(a:b)`, message: "no closing ')' after has(", column: 6 },
  { name: 'has(a b)', input: `has(a b)`, message: "no closing ')' after has(", column: 7 },
  { name: 'all(', input: `all(`, message: "no closing ')' after all(", column: 5 },
  { name: 'all(x)', input: `all(x)`, message: "no closing ')' after all(", column: 5 },
  { name: 'global(', input: `global(`, message: "no closing ')' after global(", column: 8 },
  { name: 'label too long', input: `${long513} == "x"`, message: 'label too long', column: 1 },
  { name: 'label too long in has', input: `has(${long513})`, message: 'label too long', column: 5 },
  { name: 'label too long later', input: `x == "y" && ${long513} == "x"`, message: 'label too long', column: 13 },

  // Parser.
  { name: 'label == label', input: `b == b`, message: 'expected string', column: 6 },
  { name: 'label contains label', input: `b contains b`, message: 'expected string', column: 12 },
  // Blanks after the last word of a multi-word operator are skipped before the word-boundary
  // check (as in Calico), so a label there fails in the tokenizer, at the operator.
  { name: 'label starts with label', input: `b starts with b`, message: 'expected operator after label "b"', column: 3 },
  { name: 'label ends with label', input: `b ends with b`, message: 'expected operator after label "b"', column: 3 },
  { name: 'label starts with paren', input: `b starts with (`, message: 'expected string', column: 15 },
  { name: '== at end', input: `a ==`, message: 'expected string', column: 5 },
  { name: '!= then ||', input: `foo != ||`, message: 'expected string', column: 8 },
  { name: 'literal on the left', input: `'b1' == b`, message: 'unexpected string literal', column: 1 },
  { name: 'bare label', input: `b`, message: 'expected operator after label "b"', column: 2 },
  { name: 'label then blank', input: `a `, message: 'expected operator after label "a"', column: 3 },
  { name: 'label then paren', input: `a (`, message: 'expected operator after label "a"', column: 3 },
  { name: 'label then &&', input: `a && b`, message: 'expected operator after label "a"', column: 3 },
  { name: 'has then space paren', input: `has (foo)`, message: 'expected operator after label "has"', column: 5 },
  { name: 'all then space paren', input: `all ()`, message: 'expected operator after label "all"', column: 5 },
  { name: 'lone !', input: `!`, message: 'unexpected end of selector', column: 2 },
  { name: '&& at end', input: `has(foo) &&`, message: 'unexpected end of selector', column: 12 },
  { name: 'leading &&', input: `&& a`, message: 'unexpected "&&"', column: 1 },
  { name: '&& ||', input: `a == "x" && || b == "y"`, message: 'unexpected "||"', column: 13 },
  { name: 'leading brace', input: `{}`, message: 'unexpected "{"', column: 1 },
  // After a comma another string must follow; the error points at the comma.
  { name: 'set garbage', input: `foo in {"", ||`, message: 'expected }', column: 13 },
  { name: 'in string', input: `foo in ""`, message: 'expected set literal', column: 8 },
  { name: 'in at end', input: `foo in`, message: 'expected set literal', column: 7 },
  { name: 'not in label', input: `foo not in bar`, message: 'expected operator after label "foo"', column: 5 },
  { name: 'double comma', input: `foo in {"a",,}`, message: 'expected }', column: 13 },
  { name: 'leading comma', input: `foo in {,"a"}`, message: 'expected }', column: 9 },
  { name: 'lone comma', input: `foo in {,}`, message: 'expected }', column: 9 },
  { name: 'missing comma', input: `foo in {"a" "b"}`, message: 'expected }', column: 13 },
  { name: 'unclosed set', input: `foo in {"a"`, message: 'expected }', column: 12 },
  { name: 'label in set', input: `foo in {a}`, message: 'expected }', column: 9 },
  { name: 'unclosed paren', input: `(`, message: 'unexpected end of selector', column: 2 },
  { name: 'unclosed paren after expr', input: `(a == "foo"`, message: 'expected )', column: 12 },
  { name: 'lone )', input: `)`, message: 'unexpected ")"', column: 1 },
  { name: 'empty parens', input: `()`, message: 'unexpected ")"', column: 2 },
  { name: 'two operations', input: `a == "b" c == "d"`, message: 'unexpected content at end of selector', column: 10 },
  { name: 'two functions', input: `has(a) has(b)`, message: 'unexpected content at end of selector', column: 8 },
  { name: 'extra )', input: `a == "b")`, message: 'unexpected content at end of selector', column: 9 },
  {
    name: 'nesting limit',
    input: '('.repeat(MAX_NESTING + 1) + 'all()' + ')'.repeat(MAX_NESTING + 1),
    message: `parentheses nested more than ${MAX_NESTING} deep`,
    column: MAX_NESTING + 1,
  },
];

for (const c of cases) {
  void test(`error: ${c.name}`, () => {
    const r = tryParseSelector(c.input);
    assert.equal(r.ok, false, `expected ${JSON.stringify(c.input)} to be rejected`);
    if (r.ok) return;
    assert.ok(r.error instanceof SelectorParseError);
    assert.deepEqual(
      { message: r.error.message, column: r.error.column, offset: r.error.offset, selector: r.error.selector },
      { message: c.message, column: c.column, offset: c.column - 1, selector: c.input },
    );
    assert.throws(() => parseSelector(c.input), SelectorParseError);
  });
}

const accepted: { name: string; input: string }[] = [
  { name: '512-char label', input: `${'a'.repeat(512)} == "x"` },
  { name: '512-char label in has', input: `has(${'a'.repeat(512)})` },
  { name: 'nesting at the limit', input: '('.repeat(MAX_NESTING) + 'all()' + ')'.repeat(MAX_NESTING) },
  { name: 'many ! in a row', input: '!'.repeat(100_001) + 'all()' },
  { name: 'long && chain', input: Array.from({ length: 20_000 }, (_, i) => `l${i} == "v"`).join(' && ') },
];
for (const c of accepted) {
  void test(`accepts: ${c.name}`, () => assert.equal(tryParseSelector(c.input).ok, true));
}

void test('error name and instance', () => {
  const r = tryParseSelector('a = "b"');
  assert.ok(!r.ok && r.error instanceof Error && r.error.name === 'SelectorParseError');
});

void test('deep nesting beyond the limit fails cleanly, not with a stack overflow', () => {
  const r = tryParseSelector('('.repeat(200_000));
  assert.ok(!r.ok);
});
