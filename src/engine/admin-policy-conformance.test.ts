/**
 * The upstream AdminNetworkPolicy / BaselineAdminNetworkPolicy conformance suite
 * (kubernetes-sigs/network-policy-api v0.1.7, `conformance/`), restated as data in
 * testdata/anp/ and checked against the engine's verdicts.
 *
 * testdata/anp/cluster.yaml is the conformance cluster (houses, pods, nodes); every other file is
 * one upstream test: `steps`, run in order, each with `apply` (objects created or replaced),
 * `delete` (`{kind, namespace?, name}`) and `expect` (`tabby test` expectations). A step sees
 * the cluster plus everything applied and not deleted so far, as the upstream tests mutate the
 * live objects. Besides the expected verdict, every case checks that the verdict does not depend
 * on resource order, that the fast path (decide) agrees with the traced evaluation, and that a
 * verdict decided by a rule in an admin tier names the ANP/BANP in its trace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { checkExpectations, decide, decodeExpectations, expandExpectations, loadSnapshot, resolveFlow, runVerdicts, type Stage } from './index.js';

const DIR = join(import.meta.dirname, 'testdata', 'anp');

interface ObjRef {
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}
interface Step {
  readonly name: string;
  readonly apply?: readonly Record<string, unknown>[];
  readonly delete?: readonly ObjRef[];
  readonly expect: unknown;
}
interface ConformanceFile {
  readonly test: string;
  readonly upstream: string;
  readonly steps: readonly Step[];
}

const _isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function _key(o: { kind?: unknown; namespace?: unknown; name?: unknown }): string {
  return `${String(o.kind)}|${typeof o.namespace === 'string' ? o.namespace : ''}|${String(o.name)}`;
}

function _objKey(o: Record<string, unknown>): string {
  const m = _isObj(o['metadata']) ? o['metadata'] : {};
  return _key({ kind: o['kind'], namespace: m['namespace'], name: m['name'] });
}

function _readFile(file: string): ConformanceFile {
  const raw: unknown = parse(readFileSync(join(DIR, file), 'utf8'));
  assert.ok(_isObj(raw) && typeof raw['test'] === 'string' && typeof raw['upstream'] === 'string' && Array.isArray(raw['steps']), `${file}: needs test, upstream and steps`);
  for (const [i, s] of (raw['steps'] as unknown[]).entries()) {
    assert.ok(_isObj(s) && typeof s['name'] === 'string' && Array.isArray(s['expect']) && s['expect'].length > 0, `${file}: steps[${i}] needs a name and a non-empty expect`);
    for (const k of Object.keys(s)) assert.ok(['name', 'apply', 'delete', 'expect'].includes(k), `${file}: steps[${i}].${k}: unknown field`);
  }
  return raw as unknown as ConformanceFile;
}

function _trace(stages: readonly Stage[]): string {
  return stages.map((s, i) => `      ${i + 1}. ${s.stage}${s.endpoint !== undefined ? ` ${s.endpoint}` : ''}: ${s.summary}`).join('\n');
}

const cluster = parseAllDocuments(readFileSync(join(DIR, 'cluster.yaml'), 'utf8'))
  .map((d) => d.toJS() as unknown)
  .filter((x): x is Record<string, unknown> => _isObj(x));
const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml') && f !== 'cluster.yaml')
  .sort();

test('the conformance data covers the upstream suite', () => {
  // One file per upstream test of v0.1.7 (the standard and experimental profiles, ANP and BANP).
  assert.equal(files.length, 24, files.join(' '));
  assert.ok(cluster.length > 0);
});

for (const file of files) {
  const spec = _readFile(file);
  test(`${spec.test} (${file})`, async (t) => {
    const state = new Map<string, Record<string, unknown>>();
    for (const [i, step] of spec.steps.entries()) {
      for (const o of step.apply ?? []) state.set(_objKey(o), o);
      for (const r of step.delete ?? []) assert.ok(state.delete(_key(r)), `${file}: steps[${i}] deletes ${_key(r)}, which is not there`);
      const adminNames = [...state.values()].filter((o) => o['kind'] === 'AdminNetworkPolicy' || o['kind'] === 'BaselineAdminNetworkPolicy').map((o) => String((o['metadata'] as { name: string }).name));
      await t.test(`step ${i + 1}: ${step.name}`, () => {
        const raws = [...cluster, ...state.values()];
        const { snapshot, invalid } = loadSnapshot(raws);
        assert.deepEqual(
          invalid.map((x) => `${x.kind} ${x.name}: ${x.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`),
          [],
          'every resource is valid',
        );
        assert.deepEqual(snapshot.problems, [], 'no snapshot problems');
        const decoded = decodeExpectations(step.expect);
        assert.deepEqual(decoded.errors.map((e) => `${e.path}: ${e.message}`), [], 'the expectations decode');
        const { cases, errors } = expandExpectations(snapshot, decoded);
        assert.deepEqual(errors.map((e) => `${e.path}: ${e.message}`), []);
        const results = checkExpectations(snapshot, cases);
        const reversed = runVerdicts(loadSnapshot([...raws].reverse()).snapshot, cases.map((c) => c.flow));
        const failures: string[] = [];
        results.forEach((r, k) => {
          const f = r.case.flow;
          const what = `${r.case.name !== undefined ? `${r.case.name}: ` : ''}${f.from} -> ${f.to} ${String(f.protocol)}/${f.port ?? ''}`;
          if (!r.pass) failures.push(`${what}: expected ${r.case.expect}, got ${r.actual.action}${r.actual.error !== undefined ? ` (${r.actual.error})` : ''}\n${_trace(r.actual.trace)}`);
          if (JSON.stringify(reversed[k]) !== JSON.stringify(r.actual)) failures.push(`${what}: the verdict depends on resource order`);
          const rf = resolveFlow(snapshot, f);
          if (rf.ok && decide(snapshot, rf.flow) !== (r.actual.action === 'Allow')) failures.push(`${what}: decide() disagrees with the traced evaluation`);
          const last = r.actual.trace.filter((s) => s.action !== 'Continue').at(-1);
          const d = last?.decidedBy;
          if (d?.kind === 'rule' && d.tier !== 'default' && !adminNames.some((n) => last!.summary.includes(n) || d.policy.includes(n)))
            failures.push(`${what}: decided in tier ${d.tier} by ${d.policy}, which names none of ${adminNames.join(', ')}: ${last!.summary}`);
        });
        assert.deepEqual(failures, [], `${file} step ${i + 1}: ${step.name}`);
      });
    }
  });
}
