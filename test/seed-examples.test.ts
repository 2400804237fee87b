/**
 * The seed's examples (examples/seed/, see its README): the corrected ones validate, the broken
 * ones as printed fail with errors located on the right lines (requirement R10), and the
 * as-printed files are byte for byte the seed's code blocks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseManifests } from '../src/manifest/index.js';
import { kindFor } from '../src/model/kinds.js';

const DIR = new URL('../examples/seed/', import.meta.url).pathname;
/** The seed page, copied into the repository as test data (test/testdata/seed/README.md). */
const SEED = new URL('./testdata/seed/000_00a5a4237da44e5b.txt', import.meta.url).pathname;

const read = (f: string): string => readFileSync(join(DIR, f), 'utf8');
const parse = (f: string) => parseManifests(read(f), f);

/** Seed code blocks: file → 1-based lines of the opening and closing fence. */
const BLOCKS: Record<string, [number, number]> = {
  'deny-nodeports.as-printed.yaml': [339, 364],
  'whitelist-nlb2.as-printed.yaml': [369, 392],
  'whitelist-nlb1.as-printed.yaml': [397, 420],
  'backend-allow.as-printed.yaml': [541, 557],
  'db-allow.as-printed.yaml': [564, 580],
  'accounts-allow.as-printed.yaml': [598, 616],
  'access-nginx.yaml': [651, 665],
  'access-nginx-calico.yaml': [681, 696],
  'log-denied-packets.yaml': [700, 714],
};

/** The lines between the fences, less the indentation they all share. */
function block(seed: string[], open: number, close: number): string {
  const body = seed.slice(open, close - 1);
  const common = Math.min(...body.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length));
  return body.map((l) => l.slice(Math.min(common, l.length - l.trimStart().length))).join('\n') + '\n';
}

for (const [file, [open, close]] of Object.entries(BLOCKS)) {
  void test(`${file} is the seed's code block at lines ${open + 1}–${close - 1}, as printed`, () => {
    const seed = readFileSync(SEED, 'utf8').split('\n');
    assert.ok(seed[open - 1]?.trim().startsWith('```') && seed[close - 1]?.trim().startsWith('```'), 'fences moved');
    assert.equal(read(file), block(seed, open, close));
  });
}

// Files that must be accepted, with the number of resources in each.
const VALID: [string, number][] = [
  ['deny-nodeports.yaml', 1],
  ['whitelist-nlb2.yaml', 1],
  ['whitelist-nlb1.yaml', 1],
  ['backend-allow.yaml', 1],
  ['db-allow.yaml', 1],
  ['accounts-allow.yaml', 1],
  ['access-nginx.yaml', 1],
  ['access-nginx-calico.yaml', 1],
  ['log-denied-packets.yaml', 1],
  // Valid as printed: `Tier:` selects nothing, which is a lint warning, not a validation error.
  ['backend-allow.as-printed.yaml', 1],
  ['db-allow.as-printed.yaml', 1],
];

for (const [file, n] of VALID) {
  void test(`${file} validates`, () => {
    const r = parse(file);
    assert.deepEqual(r.errors.map((e) => e.text), []);
    assert.equal(r.resources.length, n);
  });
}

test('the HostEndpoint kind the reconstructions use is registered', () => {
  assert.ok(kindFor('projectcalico.org/v3', 'HostEndpoint') !== undefined);
});
for (const sub of ['defaults', 'private-network-isolation']) {
  for (const file of readdirSync(join(DIR, sub)).filter((f) => f.endsWith('.yaml'))) {
    const text = readFileSync(join(DIR, sub, file), 'utf8');
    void test(`${sub}/${file} (Tabby's reconstruction) validates`, () => {
      const r = parseManifests(text, file);
      assert.deepEqual(r.errors.map((e) => e.text), []);
      assert.equal(r.resources.length, text.split(/^---$/m).length);
    });
  }
}

// Broken as printed: each must fail, naming these lines (and, where given, these fields and words).
const BROKEN: { file: string; errors: { line: number; path?: string; says: RegExp }[] }[] = [
  {
    file: 'deny-nodeports.as-printed.yaml',
    errors: [
      { line: 19, path: 'protocol', says: /"protocol" is a field of spec\.ingress\[1\] \(line 15\): is this line mis-indented\?/ },
      { line: 20, path: 'source', says: /"source" is a field of spec\.ingress\[1\]/ },
      { line: 21, says: /this line is indented less than the top-level keys of this document \(column 3, line 1\)/ },
    ],
  },
  {
    file: 'whitelist-nlb2.as-printed.yaml',
    errors: [{ line: 2, says: /this line is indented more than line 1 \("apiVersion: projectcalico\.org\/v3"\), which already has a value/ }],
  },
  {
    file: 'whitelist-nlb1.as-printed.yaml',
    errors: [
      { line: 10, path: 'destination', says: /"destination" is a field of spec\.ingress\[0\] \(line 9\): is this line mis-indented\?/ },
      { line: 15, path: 'protocol', says: /"protocol" is a field of spec\.ingress\[0\]/ },
      { line: 16, path: 'source', says: /"source" is a field of spec\.ingress\[0\]/ },
      { line: 19, says: /indented less than the top-level keys/ },
    ],
  },
  {
    file: 'accounts-allow.as-printed.yaml',
    errors: [
      { line: 4, path: 'metadata.Namespace', says: /Unknown field.*"namespace"/ },
      { line: 13, path: 'spec.ingress[0].from[0].NamespaceSelector', says: /Unknown field.*"namespaceSelector"/ },
      // `ports:` is indented as a key of the peer; it belongs to the rule (spec.ingress[0].ports).
      { line: 16, path: 'spec.ingress[0].from[0].ports', says: /Unknown field.*(spec\.ingress\[0\]|level of `from`)/ },
    ],
  },
];

for (const c of BROKEN) {
  void test(`${c.file} fails, naming lines ${c.errors.map((e) => e.line).join(', ')}`, () => {
    const r = parse(c.file);
    const texts = r.errors.map((e) => e.text).join('\n');
    assert.equal(r.resources.length, 0, texts);
    assert.deepEqual(r.errors.map((e) => e.location.line), c.errors.map((e) => e.line), texts);
    c.errors.forEach((want, i) => {
      const got = r.errors[i]!;
      assert.equal(got.location.file, c.file);
      assert.ok(got.text.startsWith(`${c.file}:${want.line}:${got.location.col}: `), got.text);
      if (want.path !== undefined) assert.equal(got.fieldError?.path, want.path, got.text);
      assert.match(got.text, want.says);
    });
  });
}
