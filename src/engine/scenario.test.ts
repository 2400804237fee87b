/**
 * Scenario files (style habit 20): src/engine/testdata/*.scenario, txtar-like.
 *
 *   free text (description)
 *   -- resources.yaml --
 *   multi-document YAML: k8s and Calico objects
 *   -- flows --
 *   <from> -> <to> <proto>[/<port>] [via=<node>] [icmp=<type>[/<code>]] [srcPort=<n>] => Allow|Deny [staged=Allow|Deny] [# text]
 *
 * `# text` must appear in the summary of the stage that decided (the last stage of the trace).
 * Every resource must be valid; set TRACE=1 to print traces.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { loadSnapshot, evaluateFlow, resolveFlow, decide, type FlowInput } from './index.js';

const DIR = join(import.meta.dirname, 'testdata');

interface Expect {
  line: number;
  text: string;
  flow: FlowInput;
  action: 'Allow' | 'Deny';
  staged: 'Allow' | 'Deny' | undefined;
  summary: string | undefined;
}

function parseSections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let name = '';
  let buf: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^-- (.+) --$/.exec(line);
    if (m) {
      out.set(name, buf.join('\n'));
      name = m[1]!;
      buf = [];
    } else buf.push(line);
  }
  out.set(name, buf.join('\n'));
  return out;
}

function parseFlows(text: string): Expect[] {
  const out: Expect[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^(\S+)\s+->\s+(\S+)\s+(\S+)((?:\s+\w+=\S+)*)\s+=>\s+(Allow|Deny)(?:\s+staged=(Allow|Deny))?(?:\s+#\s*(.*))?$/.exec(line);
    if (!m) throw new Error(`flows line ${i + 1}: cannot parse ${JSON.stringify(line)}`);
    const [, from, to, pp, opts, action, staged, summary] = m;
    const [proto, port] = pp!.split('/');
    const flow: { -readonly [K in keyof FlowInput]: FlowInput[K] } = { from: from!, to: to!, protocol: proto!.toUpperCase() === 'ICMPV6' ? 'ICMPv6' : proto!.toUpperCase() };
    if (port !== undefined) flow.port = Number(port);
    for (const o of (opts ?? '').trim().split(/\s+/).filter(Boolean)) {
      const [k, v] = o.split('=') as [string, string];
      if (k === 'via') flow.via = v;
      else if (k === 'srcPort') flow.srcPort = Number(v);
      else if (k === 'icmp') {
        const [t, c] = v.split('/');
        flow.icmp = { type: Number(t), ...(c !== undefined ? { code: Number(c) } : {}) };
      } else throw new Error(`flows line ${i + 1}: unknown option ${k}`);
    }
    out.push({ line: i + 1, text: line, flow, action: action as 'Allow' | 'Deny', staged: staged as 'Allow' | 'Deny' | undefined, summary: summary?.trim() });
  });
  return out;
}

const files = readdirSync(DIR).filter((f) => f.endsWith('.scenario')).sort();

for (const file of files) {
  test(`scenario ${file}`, () => {
    const sections = parseSections(readFileSync(join(DIR, file), 'utf8'));
    const yamlText = sections.get('resources.yaml');
    const flowsText = sections.get('flows');
    assert.ok(yamlText !== undefined && flowsText !== undefined, 'needs -- resources.yaml -- and -- flows --');
    const raws = parseAllDocuments(yamlText).map((d) => d.toJS() as unknown).filter((x) => x !== null && x !== undefined);
    const { snapshot, invalid } = loadSnapshot(raws);
    assert.deepEqual(
      invalid.map((x) => `${x.kind} ${x.name}: ${x.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`),
      [],
      'all resources valid',
    );
    assert.deepEqual(snapshot.problems, [], 'no snapshot problems');
    // Order independence: the same resources reversed and rotated give the same verdicts and traces.
    const reordered = [loadSnapshot([...raws].reverse()).snapshot, loadSnapshot([...raws.slice(3), ...raws.slice(0, 3)]).snapshot];
    const failures: string[] = [];
    for (const e of parseFlows(flowsText)) {
      const v = evaluateFlow(snapshot, e.flow);
      for (const other of reordered)
        if (JSON.stringify(evaluateFlow(other, e.flow)) !== JSON.stringify(v)) failures.push(`line ${e.line}: verdict depends on resource order`);
      // The fast path (no trace) agrees with the traced evaluation, cold and memoised.
      const r = resolveFlow(snapshot, e.flow);
      if (r.ok && (decide(snapshot, r.flow) !== (v.action === 'Allow') || decide(snapshot, r.flow) !== (v.action === 'Allow')))
        failures.push(`line ${e.line}: decide() disagrees with evaluateFlow()`);
      const last = v.stages[v.stages.length - 1];
      const show = (): string =>
        `${v.error ?? ''}\n` + v.stages.map((s) => `    ${s.stage} ${s.endpoint ?? ''}: ${s.action} (${s.summary})${s.nearMiss ? ` nearest: ${s.nearMiss.policy}#${s.nearMiss.ruleIndex} failed ${s.nearMiss.failed.join(', ')}` : ''}`).join('\n');
      if (process.env['TRACE']) console.log(`${e.text}\n${show()}`);
      if (v.action !== e.action) failures.push(`line ${e.line}: ${e.text}\n  got ${v.action}${show()}`);
      else if (v.staged?.action !== e.staged) failures.push(`line ${e.line}: ${e.text}\n  staged: got ${v.staged?.action ?? 'none'}${show()}`);
      else if (e.summary !== undefined && !(last?.summary ?? '').includes(e.summary))
        failures.push(`line ${e.line}: ${e.text}\n  deciding stage summary ${JSON.stringify(last?.summary)} lacks ${JSON.stringify(e.summary)}${show()}`);
    }
    assert.deepEqual(failures, []);
  });
}
