/**
 * The fast YAML path never disagrees with the `yaml` library: on every input it either declines
 * or returns exactly what `yaml` returns (same documents, same values, no error `yaml` would
 * report, same first-node offset). Checked on hand-picked scalars and shapes, on every example
 * file, on random values written by `yaml.stringify` in several styles, and on random line edits
 * of all of those; plus parity of parseManifestsWith with the located path it short-cuts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { Document, isMap, isSeq, LineCounter, parseAllDocuments, stringify, type Node, type ToStringOptions } from 'yaml';
import { decodeResource } from '../model/validate-resource.js';
import { fastParse, fastParseDocuments } from './fast-yaml.js';
import { offsetFor, startOf } from './locate.js';
import { parseManifestsLocated, parseManifestsWith } from './parse.js';
import { fakeDecode } from './testdata/fake-kinds.js';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 300);
const OPTS = { prettyErrors: false, logLevel: 'silent', uniqueKeys: true } as const;

/** Asserts the law on one text; returns how many documents the fast path accepted. */
function agree(text: string): { accepted: number; total: number } {
  const fast = fastParseDocuments(text);
  const lc = new LineCounter();
  const docs = Array.from(parseAllDocuments(text, { ...OPTS, lineCounter: lc }));
  if (fast === undefined) return { accepted: 0, total: docs.length };
  assert.equal(fast.length, docs.length, `document count of ${JSON.stringify(text)}`);
  // When every document is accepted, parse.ts never asks `yaml`, so `yaml` must find nothing
  // wrong anywhere. When one is declined, parse.ts reads the text with `yaml` and checks the
  // accepted ones itself (`yaml` may file a declined document's error under a neighbour).
  const all = fast.every((f) => f.ok);
  let accepted = 0;
  fast.forEach((f, i) => {
    if (!f.ok) return;
    accepted++;
    const d = docs[i]!;
    const why = `document ${i} of ${JSON.stringify(text)}`;
    if (all) {
      assert.deepEqual(d.errors.map((e) => e.code), [], `yaml reports errors in accepted ${why}`);
      assert.deepEqual(d.warnings.map((e) => e.code), [], `yaml reports warnings in accepted ${why}`);
    }
    assert.deepStrictEqual(f.value, d.toJS({ maxAliasCount: 100 }), why);
    if (f.start >= 0) {
      assert.equal(startOf(d.contents), f.start, `start of ${why}`);
      const before = text.slice(0, f.start).split('\n');
      assert.deepEqual([f.line, f.col], [before.length, before[before.length - 1]!.length + 1], `line:col of ${why}`);
      if (all) {
        const p = lc.linePos(f.start);
        assert.deepEqual([f.line, f.col], [p.line, p.col], `yaml's line:col of ${why}`);
      }
    }
    if (f.items !== undefined) {
      const items = (f.value as { items: unknown[] }).items;
      assert.equal(f.items.length, items.length, `items of ${why}`);
      f.items.forEach((it, j) => {
        assert.equal(it.start, offsetFor(d, ['items', j], false), `items[${j}] of ${why}`);
        const p = lc.linePos(it.start);
        if (all) assert.deepEqual([it.line, it.col], [p.line, p.col], `line:col of items[${j}] of ${why}`);
      });
    }
  });
  return { accepted, total: fast.length };
}

// ---------------------------------------------------------------------------------------------
// Hand-picked cases

const TRICKY = [
  '', ' ', 'a', 'true', 'True', 'TRUE', 'tRue', 'false', 'False', 'FALSE', 'yes', 'no', 'on', 'off', 'y', 'Y', 'n',
  'null', 'Null', 'NULL', 'nUll', '~', '0', '-0', '+0', '00', '0755', '08', '+1', '-1', '1_000', '0o17', '0o8', '0O17',
  '0x1F', '0X1F', '0x', '+0x1', '-0x1', '0b1', '1.0', '1.', '.5', '+.5', '-.5', '.', '1e3', '1E3', '-1e-3', '1.5e+3',
  '.e3', '1e', '.inf', '.Inf', '.INF', '-.inf', '+.inf', '.iNf', '.nan', '.NaN', '.NAN', '-.nan', 'nan', 'inf',
  '123456789012345678901234567890', '9007199254740993', '30000:32767', '1:2', '10.0.0.0/16', 'fd00::/64', '::1',
  'a::', 'a:', ':a', 'a: b', 'a:b', '#', 'a #b', 'a#b', '# a', ' lead', 'trail ', 'a  b', '"q"', "'s'", 'it\'s',
  'say "hi"', '- x', '-x', '-', '--', '--x', '-.5x', '?', '?x', '? x', '[a]', '[a, b]', '{a: b}', '{}', '[]', 'a,b',
  'a]', '@x', '`x', '%x', '&a', '*a', '!t', '!!str x', '|', '>', '<<', '__proto__', '---', '...', '--- x', 'key:value',
  'ünïcödé', '日本語', '😀', '\\', '\\n', '"', "'", "''", '""', 'a"b', "a'b", 'x\ty', 'a\nb', '\u00a0', '\u0085',
  '\u2028', '\ufeff', 'é:é', 'a, b', 'a]b', 'a}b', ' ', '=', '<', '0.0.0.0/0', 'ibm.role == \'x\' && app == "y"',
];

const LISTS = [
  'apiVersion: v1\nkind: List\nitems:\n- apiVersion: projectcalico.org/v3\n  kind: GlobalNetworkPolicy\n  metadata: {name: x}\n  spec:\n    selector: all()\n- apiVersion: projectcalico.org/v3\n  kind: GlobalNetworkPolicy\n  metadata: {name: y}\n',
  'apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicyList\nitems:\n  - metadata:\n      name: x\n    spec:\n      order: 10\n      selector: all()\n  -\n    metadata: {name: y}\nmetadata: {}\n',
  'apiVersion: v1\nkind: List\nitems:\n- 1\n- {a: b}\n',
];

const SHAPES = [
  ...LISTS,
  'a: 1\nb:\n  c: [x, y]\n  d: {e: f}\n',
  'a:\n- 1\n- 2\nb: 3\n',
  '- a: 1\n  b: 2\n- c: 3\n',
  '- a:\n  - x\n  b: 1\n',
  '-   a: 1\n    b: 2\n',
  '- - a\n',
  '-\n  a: 1\n-\n- x\n',
  'a: [1, [2, 3], {b: c}]\n',
  "a: {'b': c, \"d\":e}\n",
  'a: [a:b, fd00::/64]\n',
  'a: [a: b]\n',
  'a: [a,]\n',
  'a: {a}\n',
  'a: {a: }\n',
  'a: &x 1\nb: *x\n',
  'a: !t 1\n',
  'a: |\n  x\n',
  'a: >\n  x\n',
  'a: b\n  c\n',
  'a: "b\n  c"\n',
  "a: 'b\n  c'\n",
  'a: [b,\n  c]\n',
  '? a\n: b\n',
  'a: 1\na: 2\n',
  'a: 1\n"a": 2\n',
  '\ta: 1\n',
  'a:\n\t- 1\n',
  '%YAML 1.2\n---\na: 1\n',
  'a: 1\n b: 2\n',
  'a:\n    b: 1\n  c: 2\n',
  'a:\n  - 1\n - 2\n',
  '  a: 1\n  b: 2\n',
  '  a: 1\nb: 2\n',
  'a: 1 # c\n# d\nb: "x" # e\n',
  'a: "x"y\n',
  'a: b: c\n',
  '1: a\n',
  'true: a\n',
  'null: a\n',
  '"1": a\n',
  '"": a\n',
  'a:\n  b\n',
  'a: - b\n',
  '- a\nb: 1\n',
  'a: 1\n- b\n',
  '"\\x41\\u00e9\\U0001F600\\t\\"\\/\\\\\\0\\e\\N\\_\\L\\P\\ ": x\n',
  'a: "\\q"\n',
  'a: "\\uD800"\n',
  'a: "\\U00110000"\n',
  'a: "\\x4"\n',
  'a:    \n  b: 1\n',
  'a:# x\n',
  'a: #x\n  b: 1\n',
  '[1, 2]\n',
  'x\n',
  '"x"\n',
  'x\ny\n',
  '',
  '# only\n',
  '---\n',
  '---\n---\n',
  'a: 1\n---\n',
  '# h\n---\na: 1\n',
  'a: 1\n...\n',
  'a: 1\n...\nb: 2\n',
  'a: 1\n...\n---\nb: 2\n',
  '...\n',
  'a: 1\n...\n...\n',
  '---\n# c\n---\na: 1\n',
  '--- # c\na: 1\n--- \nb: 2\n',
  '--- a\n',
  '---x: 1\n',
  '...x: 1\n',
  'a: 1\r\nb: 2\r\n',
  'a: "x\n---\nb: 1\n',
  'a: [x\n---\nb: 1\n',
  `a: ${'k'.repeat(1100)}\n${'k'.repeat(1100)}: 1\n`,
];

test('tricky plain, quoted and flow scalars as values and keys agree with yaml', () => {
  for (const t of TRICKY) {
    agree(`k: ${t}\n`);
    agree(`${t}: v\n`);
    agree(`- ${t}\n`);
    agree(`k: [${t}]\n`);
    agree(`k: {${t}: v}\n`);
    agree(`k: {a: ${t}}\n`);
    agree(`k: ${JSON.stringify(t)}\n`);
    agree(`k: '${t}'\n`);
    for (const opts of STYLES) agree(stringify({ [t]: t, l: [t] }, opts));
  }
});

test('hand-picked shapes agree with yaml', () => {
  for (const s of SHAPES) agree(s);
});

const MUST_ACCEPT: { name: string; text: string; want: unknown }[] = [
  { name: 'core schema scalars', text: 'a: 0755\nb: 0o17\nc: 0x1F\nd: 1.0\ne: .inf\nf: ~\ng: 30000:32767\nh: yes\ni: True\n', want: { a: 755, b: 15, c: 31, d: 1, e: Infinity, f: null, g: '30000:32767', h: 'yes', i: true } },
  { name: 'kubectl-style sequences at the key indent', text: 'spec:\n  ingress:\n  - action: Allow\n    ports: [80, "443"]\n  types:\n  - Ingress\n', want: { spec: { ingress: [{ action: 'Allow', ports: [80, '443'] }], types: ['Ingress'] } } },
  { name: 'quotes and escapes', text: `a: 'it''s'\nb: "\\u00e9\\n"\n'c d': "x" # c\n`, want: { a: "it's", b: 'é\n', 'c d': 'x' } },
  { name: 'flow collections', text: 'labels: {bench: "yes", a: b}\nnets: [10.0.0.0/16, fd00::/64]\nempty: {}\nnone: []\n', want: { labels: { bench: 'yes', a: 'b' }, nets: ['10.0.0.0/16', 'fd00::/64'], empty: {}, none: [] } },
];

test('the common subset is read by the fast path', () => {
  for (const c of MUST_ACCEPT) {
    assert.deepStrictEqual(fastParse(c.text), c.want, c.name);
    agree(c.text);
  }
});

const MUST_DECLINE = ['a: &x 1\n', 'a: *x\n', 'a: !t 1\n', 'a: |\n  x\n', 'a: >\n  x\n', 'a: b\n  c\n', '? a\n: b\n', '\ta: 1\n', 'a: 1\na: 2\n', '%YAML 1.2\n---\na: 1\n', 'a: 1\n b: 2\n', '1: a\n'];

test('constructs outside the subset are declined', () => {
  for (const t of MUST_DECLINE) assert.equal(fastParse(t), undefined, JSON.stringify(t));
});

// ---------------------------------------------------------------------------------------------
// Example files

function yamlFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yamlFiles(p, out);
    else if (/\.ya?ml$/.test(name)) out.push(p);
  }
  return out;
}
const ROOT = new URL('../../', import.meta.url).pathname;
const EXAMPLES = yamlFiles(join(ROOT, 'examples')).map((p) => ({ name: p.slice(ROOT.length), text: readFileSync(p, 'utf8').replace(/^\uFEFF/, '') }));

test('every example file: the fast path agrees with yaml, and reads most documents', () => {
  assert.ok(EXAMPLES.length > 0);
  let accepted = 0;
  let total = 0;
  for (const ex of EXAMPLES) {
    const r = agree(ex.text);
    accepted += r.accepted;
    total += r.total;
  }
  assert.ok(accepted >= total / 2, `fast path read only ${accepted} of ${total} example documents`);
});

test('every example file: parseManifestsWith equals the located path', () => {
  for (const ex of EXAMPLES) {
    assert.deepStrictEqual(parseManifestsWith(ex.text, ex.name, decodeResource), parseManifestsLocated(ex.text, ex.name, decodeResource), ex.name);
    assert.deepStrictEqual(parseManifestsWith(ex.text, ex.name, fakeDecode), parseManifestsLocated(ex.text, ex.name, fakeDecode), ex.name);
  }
});

// ---------------------------------------------------------------------------------------------
// Random values written by yaml.stringify

const STYLES: ToStringOptions[] = [
  {},
  { indentSeq: false },
  { indent: 4 },
  { indent: 3, indentSeq: false },
  { collectionStyle: 'flow' },
  { defaultStringType: 'QUOTE_SINGLE' },
  { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' },
  { lineWidth: 0, minContentWidth: 0 },
  { doubleQuotedAsJSON: true, defaultStringType: 'QUOTE_DOUBLE' },
  { flowCollectionPadding: false, collectionStyle: 'flow' },
];

const arbString = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...TRICKY) },
  { weight: 3, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
  { weight: 2, arbitrary: fc.stringMatching(/^[a-z][a-z0-9.-]{0,10}$/) },
);
const arbScalar = fc.oneof(
  { weight: 6, arbitrary: arbString },
  { weight: 2, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
);
const { value: arbValue } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 3, arbitrary: arbScalar },
    { weight: 1, arbitrary: fc.array(tie('value'), { maxLength: 4 }) },
    { weight: 2, arbitrary: fc.dictionary(arbString, tie('value'), { maxKeys: 5 }) },
  ),
}));
const arbDoc = fc.dictionary(fc.oneof(arbString, fc.stringMatching(/^[a-z]{1,8}$/)), arbValue, { minKeys: 1, maxKeys: 6 });

/** yaml.stringify with collections from `level` down written in flow style. */
function stringifyFlowFrom(v: unknown, level: number, opts: ToStringOptions): string {
  const doc = new Document(v);
  const walk = (n: unknown, depth: number): void => {
    if (isMap(n) || isSeq(n)) {
      if (depth >= level) (n as Node & { flow?: boolean }).flow = true;
      for (const it of n.items as unknown[]) walk(isMap(n) ? (it as { value: unknown }).value : it, depth + 1);
    }
  };
  walk(doc.contents, 0);
  return doc.toString(opts);
}

test('random values as yaml.stringify writes them: fast path declines or agrees', () => {
  let accepted = 0;
  let total = 0;
  fc.assert(
    fc.property(arbDoc, fc.constantFrom(...STYLES), fc.integer({ min: 0, max: 4 }), (v, opts, level) => {
      for (const text of [stringify(v, opts), stringifyFlowFrom(v, level, opts)]) {
        const r = agree(text);
        accepted += r.accepted;
        total += r.total;
      }
    }),
    { numRuns: RUNS * 3 },
  );
  assert.ok(accepted >= total / 4, `fast path read only ${accepted} of ${total} documents`);
});

test('random multi-document streams: same documents, same values', () => {
  const sep = fc.constantFrom('---\n', '--- # c\n', '\n---\n', '...\n---\n', '...\n', '---\n# only a comment\n---\n', '# c\n---\n');
  fc.assert(
    fc.property(fc.array(fc.tuple(arbDoc, fc.constantFrom(...STYLES), sep), { minLength: 1, maxLength: 4 }), fc.boolean(), (parts, lead) => {
      const text = (lead ? '---\n' : '') + parts.map(([v, o, s], i) => (i > 0 ? s : '') + stringify(v, o)).join('');
      agree(text);
    }),
    { numRuns: RUNS },
  );
});

// ---------------------------------------------------------------------------------------------
// Mutation fuzz: random line edits

const SNIPPETS = [': ', '- ', '#', ' #', "'", '"', '[', ']', '{', '}', ',', '---', '...', '&a ', '*a', '!t ', '|', '>', '\t', '\r', ' ', '  ', '~', 'x', '? ', ':', '\\', '%', '@', '0x', '\u00a0', '😀'];
type Edit =
  | { op: 'delete' | 'duplicate'; at: number }
  | { op: 'reindent'; at: number; by: number }
  | { op: 'insert'; at: number; col: number; text: string }
  | { op: 'swap'; at: number; with: number };
const arbEdit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ op: fc.constantFrom('delete' as const, 'duplicate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('reindent' as const), at: fc.nat(), by: fc.integer({ min: -4, max: 4 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), col: fc.nat({ max: 60 }), text: fc.oneof(fc.constantFrom(...SNIPPETS), fc.string({ maxLength: 3 })) }),
  fc.record({ op: fc.constant('swap' as const), at: fc.nat(), with: fc.nat() }),
);

function applyEdits(text: string, edits: readonly Edit[]): string {
  const lines = text.split('\n');
  for (const e of edits) {
    if (lines.length === 0) break;
    const at = e.at % lines.length;
    const line = lines[at]!;
    switch (e.op) {
      case 'delete':
        lines.splice(at, 1);
        break;
      case 'duplicate':
        lines.splice(at, 0, line);
        break;
      case 'reindent':
        lines[at] = e.by >= 0 ? ' '.repeat(e.by) + line : line.replace(new RegExp(`^ {0,${-e.by}}`), '');
        break;
      case 'insert': {
        const col = Math.min(e.col, line.length);
        lines[at] = line.slice(0, col) + e.text + line.slice(col);
        break;
      }
      case 'swap': {
        const w = e.with % lines.length;
        lines[at] = lines[w]!;
        lines[w] = line;
        break;
      }
    }
  }
  return lines.join('\n');
}

const BASES = [...EXAMPLES.map((e) => e.text), ...SHAPES, ...MUST_ACCEPT.map((c) => c.text)];

test('kind: List documents are read by the fast path, items located as yaml locates them', () => {
  for (const t of LISTS.slice(0, 2)) {
    const f = fastParseDocuments(t);
    assert.ok(f?.[0]?.ok && f[0].items !== undefined, t);
    agree(t);
    assert.deepStrictEqual(parseManifestsWith(t, 'l.yaml', decodeResource), parseManifestsLocated(t, 'l.yaml', decodeResource));
  }
});

test('random line edits of examples and shapes: fast path declines or agrees with yaml', () => {
  fc.assert(
    fc.property(fc.constantFrom(...BASES), fc.array(arbEdit, { minLength: 1, maxLength: 4 }), (base, edits) => {
      agree(applyEdits(base, edits));
    }),
    { numRuns: RUNS * 3 },
  );
});

test('random line edits of examples: parseManifestsWith equals the located path', () => {
  const bases = [...EXAMPLES.map((e) => e.text), ...LISTS];
  fc.assert(
    fc.property(fc.constantFrom(...bases), fc.array(arbEdit, { maxLength: 3 }), (base, edits) => {
      const text = applyEdits(base, edits);
      assert.deepStrictEqual(parseManifestsWith(text, 'm.yaml', decodeResource), parseManifestsLocated(text, 'm.yaml', decodeResource));
    }),
    { numRuns: RUNS },
  );
});
