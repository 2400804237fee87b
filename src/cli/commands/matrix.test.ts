import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { main } from '../main.js';
import { fakeIo } from '../testdata/fake-io.js';
import { goldenChecker } from '../../../test/support/golden.js';
import { exampleFiles } from '../testdata/examples.js';
import { parsePortList } from './matrix.js';

/** Golden files relative to src/cli/. */
const expectGolden = goldenChecker(join(import.meta.dirname, '..'));

const CLUSTER = exampleFiles('examples/flows/cluster/namespaces.yaml', 'examples/flows/cluster/pods.json', 'examples/flows/cluster/policies.yaml');
const F = ['-f', 'examples/flows/cluster'];

test('matrix: one table per declared container port (golden)', async () => {
  const io = fakeIo(CLUSTER);
  assert.equal(await main(['matrix', ...F], io), 0, io.err());
  expectGolden('commands/testdata/matrix-declared.golden', io.out());
});

const formats: { name: string; argv: string[]; check: (out: string) => void }[] = [
  {
    name: 'json',
    argv: ['-o', 'json', '--ports', '3111/TCP'],
    check: (out) => {
      const j = JSON.parse(out) as { pods: string[]; tables: { protocol: string; port: number; allowed: boolean[][] }[] };
      const from = j.pods.indexOf('finance/reports');
      const to = j.pods.indexOf('accounts/backend');
      assert.equal(j.tables[0]!.allowed[from]![to], true);
      assert.equal(j.tables[0]!.allowed[j.pods.indexOf('accounts/web')]![to], false);
    },
  },
  { name: 'csv', argv: ['-o', 'csv', '--ports', '3111/tcp'], check: (out) => assert.match(out, /^from,to,protocol,port,action\n[\s\S]*finance\/reports,accounts\/backend,TCP,3111,Allow\n/) },
  { name: 'md', argv: ['-o', 'md', '--ports', 'TCP/8080'], check: (out) => assert.match(out, /^### TCP\/8080\n\n\| from \\ to \|/) },
  { name: 'dot', argv: ['-o', 'dot', '--ports', '5432/TCP'], check: (out) => assert.match(out, /"default\/backend" -> "default\/db" \[label="TCP\/5432"\];/) },
  { name: 'namespace filter', argv: ['-n', 'accounts', '--ports', '80'], check: (out) => assert.doesNotMatch(out, /default\//) },
];
for (const c of formats)
  test(`matrix -o ${c.name}`, async () => {
    const io = fakeIo(CLUSTER);
    assert.equal(await main(['matrix', ...F, ...c.argv], io), 0, io.err());
    c.check(io.out());
  });

test('matrix: --ports parsing', () => {
  assert.deepEqual(parsePortList('80/TCP, 53/udp,TCP/8080,443'), { ok: true, ports: [{ protocol: 'TCP', port: 80 }, { protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 8080 }, { protocol: 'TCP', port: 443 }] });
  assert.equal(parsePortList('80/XYZ').ok, false);
  assert.equal(parsePortList('').ok, false);
});

test('matrix: no declared ports and no --ports is a usage error', async () => {
  const io = fakeIo({ 'p.yaml': 'apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c}]}\nstatus: {podIP: 10.0.0.1}\n' });
  assert.equal(await main(['matrix', '-f', 'p.yaml'], io), 2);
  assert.match(io.err(), /give --ports/);
});
