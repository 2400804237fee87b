/** The pure dataplane files import no I/O (ARCHITECTURE.md: layer 1 imports no `node:*` and no `sys`). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const PURE = ['model.ts', 'iptables/format.ts', 'iptables/hash.ts', 'iptables/parse-save.ts', 'iptables/plan.ts', 'ipset/format.ts', 'ipset/plan.ts'];

for (const f of PURE) {
  test(`pure: ${f} imports neither node: nor sys`, () => {
    const text = readFileSync(new URL(f, import.meta.url), 'utf8');
    const imports = [...text.matchAll(/from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]!);
    assert.deepEqual(imports.filter((i) => i.startsWith('node:') || i.includes('/sys/') || !i.startsWith('.')), []);
  });
}
