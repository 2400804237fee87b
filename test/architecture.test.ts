/**
 * Layer rules as a test (style habit 24): reads every import under src/ and fails on an edge
 * the dependency table in ARCHITECTURE.md does not allow.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';

const SRC = resolve('src');

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

/** Top-level module of a file under src/ ('' for src/index.ts). */
const moduleOf = (file: string): string => {
  const rel = relative(SRC, file).split('/');
  return rel.length > 1 ? rel[0]! : '';
};

const IMPORT_RE = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|(?:^|\n)\s*import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT_RE)) out.push((m[1] ?? m[2] ?? m[3])!);
  return out;
}

/** Which modules (and external packages) each module may import. '*node' = any node: builtin. */
const ALLOWED: Record<string, readonly string[]> = {
  '': ['lib', 'selector', 'model', 'manifest'],
  lib: [],
  selector: ['lib'],
  model: ['selector', 'lib'],
  manifest: ['model', 'selector', 'lib', 'yaml'],
  engine: ['model', 'selector', 'lib'],
  dataplane: ['engine', 'model', 'lib', 'sys'],
  sys: ['*node'],
  datastore: ['model', 'lib', '*node', 'better-sqlite3', 'etcd3'],
  client: ['model', 'datastore', 'lib', 'selector', 'manifest'],
  // The lab plays scheduler, kubelet, CNI and kube-proxy around real agents in network namespaces.
  lab: ['agent', 'client', 'datastore', 'engine', 'dataplane', 'model', 'selector', 'sys', 'lib', '*node'],
  // Cluster profiles, the host-endpoint controller and policy packs: data plus the client.
  cluster: ['client', 'datastore', 'engine', 'model', 'selector', 'manifest', 'lib', 'yaml'],
  agent: ['engine', 'dataplane', 'datastore', 'model', 'selector', 'sys', 'lib', 'client', '*node'],
  apiserver: ['client', 'model', 'datastore', 'engine', 'selector', 'lib', 'manifest', 'web', '*node', 'hono', '@hono/node-server'],
  cli: [
    'client', 'model', 'engine', 'datastore', 'selector', 'lib', 'manifest', 'sys', 'agent', 'apiserver', 'cluster', 'lab',
    '*node', 'commander', 'yaml',
  ],
  // The dashboard's server side (static bundle, watch multiplexer, lab logs); the browser code is
  // ui/ (outside src/) and bundles only the pure modules (model, manifest, selector, engine, lib).
  web: ['model', 'selector', 'engine', 'lib', 'preact', '@preact/signals', 'lab', '*node'],
};

function violations(): string[] {
  const out: string[] = [];
  for (const file of walk(SRC)) {
    const from = moduleOf(file);
    const allowed = ALLOWED[from];
    if (!allowed) {
      out.push(`${relative('.', file)}: module "${from}" is not in the layer table`);
      continue;
    }
    for (const spec of importsOf(file)) {
      let target: string;
      if (spec.startsWith('.')) {
        const abs = resolve(dirname(file), spec);
        if (!abs.startsWith(SRC)) {
          out.push(`${relative('.', file)}: imports outside src/: ${spec}`);
          continue;
        }
        target = moduleOf(abs.endsWith('.js') ? abs : join(abs, 'index.js'));
        if (target === from) continue;
      } else if (spec.startsWith('node:')) {
        target = '*node';
      } else {
        target = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
      }
      if (!allowed.includes(target)) out.push(`${relative('.', file)}: "${from || 'src'}" may not import "${spec}"`);
    }
  }
  return out;
}

test('imports follow the layer table (pure core imports no I/O)', () => {
  assert.deepEqual(violations(), []);
});
