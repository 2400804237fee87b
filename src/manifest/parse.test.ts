import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseManifestsWith, type ManifestResult } from './index.js';
import { fakeDecode } from './testdata/fake-kinds.js';

const parse = (text: string): ManifestResult => parseManifestsWith(text, 'p.yaml', fakeDecode);

const HEAD = `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: a
`;
const GNP = `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: a
spec:
  selector: all()
`;

interface Want {
  /** Number of resources returned. */
  resources: number;
  /** Each error: [line, col, substring of the text]. */
  errors: [number, number, string][];
  /** doc index of each error, when it matters. */
  docs?: number[];
  /** Resource locations: [line, col]. */
  at?: [number, number][];
  warnings?: number;
}

const cases: { name: string; text: string; want: Want }[] = [
  { name: 'one valid document', text: GNP, want: { resources: 1, errors: [], at: [[1, 1]] } },
  { name: 'empty file', text: '', want: { resources: 0, errors: [] } },
  { name: 'only comments and separators', text: '# x\n---\n---\n# y\n', want: { resources: 0, errors: [] } },
  {
    name: 'multi-document with empty documents between',
    text: `---\n${GNP}---\n---\n${GNP.replace('name: a', 'name: b')}`,
    want: { resources: 2, errors: [], at: [[2, 1], [10, 1]] },
  },
  {
    name: 'JSON, tab-indented',
    text: '{\n\t"apiVersion": "projectcalico.org/v3",\n\t"kind": "GlobalNetworkPolicy",\n\t"metadata": {"name": "j"},\n\t"spec": {"order": "x"}\n}\n',
    want: { resources: 0, errors: [[5, 20, 'spec.order: Invalid value: "x": expected a number']] },
  },
  {
    name: 'kind: List opened into its items, each located',
    text: `apiVersion: v1\nkind: List\nitems:\n- apiVersion: projectcalico.org/v3\n  kind: GlobalNetworkPolicy\n  metadata: {name: x}\n- apiVersion: projectcalico.org/v3\n  kind: GlobalNetworkPolicy\n  metadata: {name: y}\n  spec: {oder: 1}\n`,
    want: { resources: 1, errors: [[10, 10, 'items[1].spec.oder: Unknown field: unknown field; did you mean "order"?']], at: [[4, 3]] },
  },
  {
    name: 'typed list items inherit apiVersion and kind',
    text: `apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicyList\nitems:\n- metadata: {name: x}\n- metadata: {name: y}\n`,
    want: { resources: 2, errors: [] },
  },
  { name: 'List with no items', text: 'apiVersion: v1\nkind: List\n', want: { resources: 0, errors: [] } },
  { name: 'List items not a list', text: 'apiVersion: v1\nkind: List\nitems: 3\n', want: { resources: 0, errors: [[3, 8, 'items: Invalid value: expected a list, got an integer']] } },
  {
    name: 'a document that is a string',
    text: 'hello world\n',
    want: { resources: 0, errors: [[1, 1, 'this document is a string ("hello world"), not a resource']] },
  },
  {
    name: 'a document that is a list',
    text: '- a\n- b\n',
    want: { resources: 0, errors: [[1, 1, 'this document is a list']] },
  },
  {
    name: 'missing space after colon makes the document a string',
    text: 'apiVersion:v1\n',
    want: { resources: 0, errors: [[1, 1, 'is a space missing after a colon?']] },
  },
  {
    name: 'no apiVersion and no kind',
    text: 'metadata:\n  name: x\n',
    want: { resources: 0, errors: [[1, 1, 'apiVersion: Required value'], [1, 1, 'kind: Required value']] },
  },
  {
    name: 'unknown kind points at the value',
    text: 'apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicyy\nmetadata: {name: x}\n',
    want: { resources: 0, errors: [[2, 7, 'kind: Unsupported value: "GlobalNetworkPolicyy"']] },
  },
  {
    name: 'value error points at the value',
    text: `${GNP}  ingress:\n  - action: Allow\n    destination:\n      ports: [80, 70000]\n`,
    want: { resources: 0, errors: [[10, 19, 'spec.ingress[0].destination.ports[1]: Invalid value: 70000: port number must be between 1 and 65535']] },
  },
  {
    name: 'unknown field points at the key',
    text: `${GNP}  prder: 10\n`,
    want: { resources: 0, errors: [[7, 3, 'spec.prder: Unknown field: unknown field; did you mean "order"?']] },
  },
  {
    name: 'missing required field points at the nearest existing ancestor',
    text: 'apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  labels: {a: b}\n',
    want: { resources: 0, errors: [[3, 1, 'metadata.name: Required value']] },
  },
  {
    name: 'one bad document does not stop the others; errors carry the doc index',
    text: `${GNP}---\n${GNP.replace('selector', 'selectr')}---\n${GNP.replace('name: a', 'name: c')}`,
    want: { resources: 2, errors: [[13, 3, 'spec.selectr']], docs: [1] },
  },
  {
    name: 'tabs used for indentation',
    text: 'apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n\tname: x\n',
    want: { resources: 0, errors: [[4, 1, 'tabs cannot be used for indentation in YAML; indent with spaces']] },
  },
  {
    name: 'duplicate key names the first line',
    text: `${GNP}  order: 1\n  order: 2\n`,
    want: { resources: 0, errors: [[8, 3, 'duplicate key "order" (already set on line 7)']] },
  },
  {
    name: 'unclosed double quote points at the opening quote',
    text: `${GNP}  order: 1\n`.replace('selector: all()', 'selector: "all()'),
    want: { resources: 0, errors: [[6, 13, 'this double-quoted string is never closed: add the closing " (YAML read everything up to line 7 as one string)']] },
  },
  {
    name: 'after a broken quoted scalar, later documents keep their true line numbers',
    // yaml's own LineCounter misses the line break after `'x 'y'`, which put line 12 at 11.
    text: "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  'x 'y'\n  name: a\n---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: b\nspec:\n  order: foo\n",
    want: {
      resources: 0,
      errors: [
        [4, 7, 'unexpected scalar token'],
        [12, 10, 'spec.order: Invalid value: "foo": expected a number, got a string'],
      ],
    },
  },
  {
    name: 'line indented more than a line with a value',
    text: 'apiVersion: projectcalico.org/v3\n  kind: GlobalNetworkPolicy\nmetadata: {name: x}\n',
    want: { resources: 0, errors: [[2, 3, 'this line is indented more than line 1 ("apiVersion: projectcalico.org/v3"), which already has a value']] },
  },
  {
    name: 'line between two indentation levels',
    text: `${GNP}  ingress:\n    - action: Allow\n   protocol: TCP\n`,
    want: { resources: 0, errors: [[9, 4, 'this line is indented less than the list it belongs to (column 5, line 8) and more than the one enclosing it (column 3, line 7)']] },
  },
  {
    name: 'key between a nested mapping and its parent',
    text: `${HEAD}spec:\n    order: 1\n  prder: 2\n`,
    want: { resources: 0, errors: [[7, 3, 'this line is indented less than the mapping it belongs to (column 5, line 6) and more than the one enclosing it (column 1, line 5)']] },
  },
  {
    name: 'key indented one more than its sibling',
    text: `${HEAD}spec:\n  order: 1\n   prder: 2\n`,
    want: { resources: 0, errors: [[7, 4, 'this line is indented more than line 6 ("order: 1"), which already has a value, so YAML reads it as part of that value; indent it at column 3 like line 6']] },
  },
  {
    name: 'rule key indented past the list item',
    text: `${HEAD}spec:\n  ingress:\n  - action: Allow\n     protocol: TCP\n`,
    want: { resources: 0, errors: [[8, 6, 'indent it at column 5 like line 7']] },
  },
  {
    name: 'rule key indented short of the list item',
    text: `${HEAD}spec:\n  ingress:\n  - action: Allow\n   protocol: TCP\n`,
    want: { resources: 0, errors: [[8, 4, 'this line is indented less than the mapping it belongs to (column 5, line 7) and more than the one enclosing it (column 3, line 7)']] },
  },
  {
    name: 'flow mapping over two lines is not an indentation problem',
    text: `${HEAD}spec: {order: 1,\n prder: 2}\n`,
    want: { resources: 0, errors: [[6, 2, 'spec.prder: Unknown field: unknown field; did you mean "order"?']] },
  },
  {
    name: 'line dedented below the document root',
    text: `  apiVersion: projectcalico.org/v3\n  kind: GlobalNetworkPolicy\n  metadata: {name: x}\nspec: {}\n`,
    want: { resources: 0, errors: [[4, 1, 'this line is indented less than the top-level keys of this document (column 3, line 1)']] },
  },
  {
    name: 'mis-indented key that parses: relocation hint names where it belongs',
    text: `${GNP}  ingress:\n  - action: Deny\n    destination:\n      ports: [1]\n  protocol: UDP\n`,
    want: { resources: 0, errors: [[11, 3, '"protocol" is a field of spec.ingress[0] (line 8): is this line mis-indented?']] },
  },
  {
    name: 'key that belongs one level up',
    text: `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x}\nspec:\n  ingress:\n  - from:\n    - podSelector: {}\n      ports:\n      - port: 80\n`,
    want: { resources: 0, errors: [[8, 7, '"ports" is a field of spec.ingress[0] (line 6): is this line mis-indented?']] },
  },
  {
    name: 'unknown field with no better home gets no relocation hint',
    text: `${GNP}  colour: red\n`,
    want: { resources: 0, errors: [[7, 3, 'spec.colour: Unknown field: unknown field']] },
  },
  {
    name: 'unresolved tag is a warning',
    text: GNP.replace('all()', '!weird all()'),
    want: { resources: 1, errors: [], warnings: 1 },
  },
  {
    name: 'alias bomb is refused, not expanded',
    text: `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`,
    want: { resources: 0, errors: [[1, 1, 'cannot read this document']] },
  },
  {
    name: 'byte order mark and CRLF line ends',
    text: `\uFEFF${GNP.replace(/\n/g, '\r\n')}  prder: 1\r\n`,
    want: { resources: 0, errors: [[7, 3, 'spec.prder']] },
  },
];

for (const c of cases) {
  void test(c.name, () => {
    const r = parse(c.text);
    const got = r.errors.map((e) => [e.location.line, e.location.col, e.text] as const);
    assert.equal(r.errors.length, c.want.errors.length, `errors:\n${got.map((g) => g[2]).join('\n')}`);
    c.want.errors.forEach(([line, col, sub], i) => {
      const g = got[i]!;
      assert.ok(g[2].includes(sub), `error ${i}: ${JSON.stringify(g[2])} should contain ${JSON.stringify(sub)}`);
      assert.deepEqual([g[0], g[1]], [line, col], g[2]);
      assert.ok(g[2].startsWith(`p.yaml:${line}:${col}: `), g[2]);
    });
    assert.equal(r.resources.length, c.want.resources);
    if (c.want.docs) assert.deepEqual(r.errors.map((e) => e.doc), c.want.docs);
    if (c.want.at) assert.deepEqual(r.resources.map((x) => [x.location.line, x.location.col]), c.want.at);
    assert.equal(r.warnings.length, c.want.warnings ?? 0, r.warnings.map((w) => w.text).join('\n'));
  });
}

void test('resources keep the raw object and their doc index', () => {
  const r = parse(`---\n---\n${GNP}`);
  assert.equal(r.resources[0]?.doc, 1);
  assert.deepEqual(r.resources[0]?.raw, { apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name: 'a' }, spec: { selector: 'all()' } });
  assert.equal(r.resources[0]?.info.kind, 'GlobalNetworkPolicy');
});

void test('field errors carry the FieldError; syntax errors do not', () => {
  const r = parse(`${GNP}  prder: 1\n---\na: [\n`);
  assert.equal(r.errors[0]?.fieldError?.path, 'spec.prder');
  assert.equal(r.errors[1]?.fieldError, undefined);
  assert.equal(r.errors[1]?.doc, 1);
});
