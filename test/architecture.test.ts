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
  // SHA-2 for Calico's hashed names: a well-kept, synchronous, browser-safe library.
  lib: ['@noble/hashes'],
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
  // The workload controllers (Deployment, ReplicaSet, EndpointSlice, GC): data through the client.
  controllers: ['client', 'datastore', 'model', 'selector', 'lib'],
  agent: ['engine', 'dataplane', 'datastore', 'model', 'selector', 'sys', 'lib', 'client', '*node'],
  apiserver: ['client', 'model', 'datastore', 'engine', 'selector', 'lib', 'manifest', 'web', '*node', 'hono', '@hono/node-server', 'ws', '@peculiar/x509', 'reflect-metadata', 'protobufjs', 'yaml'],
  cli: [
    'client', 'model', 'engine', 'datastore', 'selector', 'lib', 'manifest', 'sys', 'agent', 'apiserver', 'cluster', 'lab', 'controllers', 'sim', 'fanout',
    '*node', 'commander', 'yaml', 'diff',
  ],
  // The dashboard's server side (static bundle, watch multiplexer, lab logs); the browser code is
  // ui/ (outside src/) and bundles only the pure modules (model, manifest, selector, engine, lib).
  // The scale simulation: real API servers and real agents (recording driver) in child processes.
  sim: ['agent', 'apiserver', 'client', 'fanout', 'datastore', 'dataplane', 'engine', 'model', 'selector', 'sys', 'lib', '*node'],
  web: ['model', 'selector', 'engine', 'lib', 'preact', '@preact/signals', 'lab', '*node'],
  // The fan-out tier (Typha-like): an HTTP watch cache in front of the API server; the kube
  // datastore's keep-alive agent builder is its only domain import.
  fanout: ['datastore', 'lib', '*node'],
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

/** The browser code (ui/) bundles only pure modules: anything reaching node: would not run there. */
const UI = resolve('ui', 'src');
const BROWSER_MODULES = ['model', 'manifest', 'selector', 'engine', 'lib'];
const BROWSER_PACKAGES = ['preact', '@preact/signals', 'yaml', '@noble/hashes'];
/** Type-only wire format shared with the server (src/web/protocol.ts), itself import-free. */
const SHARED_FILES = [resolve(SRC, 'web', 'protocol.ts')];

function uiViolations(): string[] {
  const out: string[] = [];
  const files: string[] = [];
  for (const f of walk(UI)) files.push(f);
  for (const name of readdirSync(UI, { recursive: true }) as string[]) if (name.endsWith('.tsx')) files.push(join(UI, name));
  for (const file of files) {
    for (const spec of importsOf(file)) {
      if (spec.startsWith('.')) {
        const abs = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
        if (abs.startsWith(UI)) continue;
        if (SHARED_FILES.includes(abs)) continue;
        if (abs.startsWith(SRC) && BROWSER_MODULES.includes(moduleOf(abs))) continue;
        out.push(`${relative('.', file)}: the browser code may not import ${spec}`);
      } else {
        const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (!BROWSER_PACKAGES.includes(pkg)) out.push(`${relative('.', file)}: the browser code may not import ${spec}`);
      }
    }
  }
  for (const m of BROWSER_MODULES) if (ALLOWED[m]!.some((t) => t === '*node' || !(BROWSER_MODULES.includes(t) || BROWSER_PACKAGES.includes(t))))
    out.push(`module ${m} is bundled into the browser but may import ${ALLOWED[m]!.join(', ')}`);
  for (const f of SHARED_FILES) if (importsOf(f).length > 0) out.push(`${relative('.', f)} is shared with the browser and must import nothing`);
  return out;
}

test('the dashboard (ui/) imports only browser-safe modules', () => {
  assert.deepEqual(uiViolations(), []);
});

/**
 * The agent knows the dataplane only through the DataplaneDriver port (src/dataplane/driver.ts),
 * the driver factory and the pure renderer: never a backend (iptables, ipset, nft) directly. And
 * the two drivers do not lean on each other (the nft driver once took its fail-closed rules
 * from the iptables table).
 */
const AGENT_MAY_USE_FROM_DATAPLANE = [/^driver\.ts$/, /^driver-factory\.ts$/, /^render\//];

function dataplaneImports(file: string): string[] {
  const dp = join(SRC, 'dataplane') + '/';
  return importsOf(file)
    .filter((s) => s.startsWith('.'))
    .map((s) => resolve(dirname(file), s).replace(/\.js$/, '.ts'))
    .filter((abs) => abs.startsWith(dp))
    .map((abs) => abs.slice(dp.length));
}

function agentBackendViolations(): string[] {
  const out: string[] = [];
  for (const file of walk(join(SRC, 'agent'))) {
    for (const target of dataplaneImports(file)) {
      if (!AGENT_MAY_USE_FROM_DATAPLANE.some((re) => re.test(target))) out.push(`${relative('.', file)} imports dataplane/${target}`);
    }
  }
  const forbid: Record<string, RegExp> = {
    'iptables/driver.ts': /^nft\//,
    'nft/driver.ts': /^(iptables|ipset)\//,
    'nft/applier.ts': /^(iptables|ipset)\//,
  };
  for (const [file, re] of Object.entries(forbid)) {
    for (const target of dataplaneImports(join(SRC, 'dataplane', file))) if (re.test(target)) out.push(`src/dataplane/${file} imports dataplane/${target}`);
  }
  return out;
}

test('the agent imports no iptables, ipset or nft module, only the DataplaneDriver port and its factory', () => {
  assert.deepEqual(agentBackendViolations(), []);
  // The check itself finds such an import (it cannot pass vacuously).
  assert.deepEqual(
    dataplaneImports(join(SRC, 'dataplane', 'driver-factory.ts')).filter((t) => !AGENT_MAY_USE_FROM_DATAPLANE.some((re) => re.test(t))).sort(),
    ['backend-cleanup.ts', 'iptables/driver.ts', 'iptables/table.ts', 'nft/driver.ts'],
  );
});
