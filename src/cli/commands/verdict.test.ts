import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { main } from '../main.js';
import { fakeIo } from '../testdata/fake-io.js';
import { goldenChecker } from '../../../test/support/golden.js';
import { exampleFiles } from '../testdata/examples.js';

/** Golden files relative to src/cli/. */
const expectGolden = goldenChecker(join(import.meta.dirname, '..'));

const CLUSTER = exampleFiles(
  'examples/flows/cluster/namespaces.yaml',
  'examples/flows/cluster/pods.json',
  'examples/flows/cluster/policies.yaml',
  'examples/flows/flows.json',
);
const F = ['-f', 'examples/flows/cluster'];

test('verdict: one flow, human trace (golden)', async () => {
  const io = fakeIo(CLUSTER);
  const code = await main(['verdict', ...F, '--from', 'default/frontend', '--to', 'default/db', '--port', '5432', '--protocol', 'TCP'], io);
  assert.equal(code, 0, io.err());
  expectGolden('commands/testdata/verdict-one.golden', io.out());
});

test('verdict --flows: every flow of flows.json, human traces (golden)', async () => {
  const io = fakeIo(CLUSTER);
  assert.equal(await main(['verdict', ...F, '--flows', 'examples/flows/flows.json'], io), 0, io.err());
  expectGolden('commands/testdata/verdict-flows.golden', io.out());
});

test('verdict --flows -o json: input order, input fields, action, staged, trace', async () => {
  const io = fakeIo(CLUSTER);
  assert.equal(await main(['verdict', ...F, '--flows', 'examples/flows/flows.json', '-o', 'json'], io), 0, io.err());
  const out = JSON.parse(io.out()) as { from: string; to: string; port: number; protocol: string; action: string; staged?: string; trace: unknown[] }[];
  const flows = JSON.parse(CLUSTER['examples/flows/flows.json']!) as { from: string; to: string; port: number }[];
  assert.equal(out.length, flows.length);
  out.forEach((o, i) => {
    assert.equal(o.from, flows[i]!.from);
    assert.equal(o.to, flows[i]!.to);
    assert.equal(o.port, flows[i]!.port);
    assert.ok(o.action === 'Allow' || o.action === 'Deny');
    assert.ok(Array.isArray(o.trace));
  });
  assert.deepEqual(
    out.map((o) => o.action),
    ['Allow', 'Allow', 'Deny', 'Deny', 'Allow', 'Deny', 'Deny', 'Allow', 'Deny'],
  );
  assert.equal(out[4]!.staged, 'Deny'); // the staged deny-reports policy would cut finance → accounts
  assert.equal(out.filter((o) => o.staged !== undefined).length, 1);
});

test('verdict --flows: bad entries keep their place and make exit code 1; unknown pods are Deny with error', async () => {
  const flows = JSON.stringify([{ from: 'default/frontend', to: 'default/backend', port: '8080' }, { from: 1, to: 'x' }, { from: 'default/nope', to: 'default/db', port: 5432 }]);
  const io = fakeIo({ ...CLUSTER, 'f.json': flows });
  assert.equal(await main(['verdict', ...F, '--flows', 'f.json', '-o', 'json'], io), 1);
  const out = JSON.parse(io.out()) as { action: string; error?: string }[];
  assert.equal(out.length, 3);
  assert.equal(out[0]!.action, 'Allow');
  assert.match(out[1]!.error ?? '', /flows\[1\]: `from` must be a string/);
  assert.equal(out[2]!.action, 'Deny');
  assert.match(out[2]!.error ?? '', /unknown endpoint/);
});

test('verdict reads kind: List, multi-document YAML and JSON from stdin', async () => {
  const list = JSON.stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } },
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'x', labels: { pod: 'a' } }, spec: { containers: [{ name: 'c', ports: [{ containerPort: 80 }] }] }, status: { podIP: '10.1.0.1' } },
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'b', namespace: 'x', labels: { pod: 'b' } }, spec: { containers: [{ name: 'c' }] }, status: { podIP: '10.1.0.2' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ignored', namespace: 'x' }, data: {} },
      { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny', namespace: 'x' }, spec: { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Ingress'] } },
    ],
  });
  const io = fakeIo({}, list);
  const code = await main(['verdict', '-f', '-', '--flows', 'flows.json', '-o', 'json'], { ...io, readFile: async () => JSON.stringify([{ from: 'x/b', to: '10.1.0.1', port: 80, protocol: 'TCP' }, { from: 'x/a', to: 'x/b', port: 80 }]) });
  assert.equal(code, 0, io.err());
  assert.deepEqual((JSON.parse(io.out()) as { action: string }[]).map((o) => o.action), ['Deny', 'Allow']);
  assert.match(io.err(), /skipped 1 document of kinds Tabby does not read/);
});

test('verdict: usage errors', async () => {
  const cases: { argv: string[]; err: RegExp }[] = [
    { argv: ['verdict', ...F], err: /give --from and --to/ },
    { argv: ['verdict', ...F, '--from', 'a', '--to', 'b', '--port', 'http'], err: /--port must be an integer/ },
    { argv: ['verdict', ...F, '--flows', 'x.json', '--from', 'a'], err: /either --flows or --from/ },
  ];
  for (const c of cases) {
    const io = fakeIo(CLUSTER);
    assert.equal(await main(c.argv, io), 2, c.argv.join(' '));
    assert.match(io.err(), c.err);
  }
});

test('verdict: invalid documents are reported with file:line:col and exit code 1', async () => {
  const bad = 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: x\nspec:\n  podSelectr: {}\n';
  const io = fakeIo({ ...CLUSTER, 'examples/flows/cluster/bad.yaml': bad });
  assert.equal(await main(['verdict', ...F, '--from', 'default/frontend', '--to', 'default/backend', '--port', '8080'], io), 1);
  assert.match(io.err(), /examples\/flows\/cluster\/bad\.yaml:6:3: spec\.podSelectr: Unknown field/);
  assert.match(io.out(), /: Allow\n/);
});

test('verdict: an unknown pod prints only the error, and exit code 1', async () => {
  const io = fakeIo(CLUSTER);
  assert.equal(await main(['verdict', ...F, '--from', 'default/nope', '--to', 'default/db', '--port', '5432'], io), 1);
  assert.equal(io.out(), '');
  assert.match(io.err(), /^tabby verdict: default\/nope → default\/db TCP\/5432: .*unknown endpoint.*\n$/);
});
