import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unifiedDiff } from './diff.js';

const lines = (n: number, change: Record<number, string> = {}): string =>
  Array.from({ length: n }, (_, i) => change[i + 1] ?? `line ${i + 1}`).join('\n') + '\n';

const cases: { name: string; before: string; after: string; want: string }[] = [
  { name: 'equal texts give no diff', before: lines(5), after: lines(5), want: '' },
  { name: 'created', before: '', after: 'a\nb\n', want: '--- x (live)\n+++ x (file)\n@@ -0,0 +1,2 @@\n+a\n+b\n' },
  { name: 'deleted', before: 'a\nb\n', after: '', want: '--- x (live)\n+++ x (file)\n@@ -1,2 +0,0 @@\n-a\n-b\n' },
  {
    name: 'changes 7 lines apart share a hunk',
    before: lines(20),
    after: lines(20, { 5: 'five', 11: 'eleven' }),
    want: '--- x (live)\n+++ x (file)\n@@ -2,13 +2,13 @@\n line 2\n line 3\n line 4\n-line 5\n+five\n line 6\n line 7\n line 8\n line 9\n line 10\n-line 11\n+eleven\n line 12\n line 13\n line 14\n',
  },
  {
    name: 'changes 8 lines apart get two hunks',
    before: lines(20),
    after: lines(20, { 5: 'five', 13: 'thirteen' }),
    want:
      '--- x (live)\n+++ x (file)\n@@ -2,7 +2,7 @@\n line 2\n line 3\n line 4\n-line 5\n+five\n line 6\n line 7\n line 8\n' +
      '@@ -10,7 +10,7 @@\n line 10\n line 11\n line 12\n-line 13\n+thirteen\n line 14\n line 15\n line 16\n',
  },
];

for (const c of cases) test(`unifiedDiff: ${c.name}`, () => assert.equal(unifiedDiff(c.before, c.after, 'x (live)', 'x (file)'), c.want));
