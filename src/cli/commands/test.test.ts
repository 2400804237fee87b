import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { main } from '../main.js';
import { fakeIo } from '../testdata/fake-io.js';
import { goldenChecker } from '../../../test/support/golden.js';
import { exampleFiles } from '../testdata/examples.js';

/** Golden files relative to src/cli/. */
const expectGolden = goldenChecker(join(import.meta.dirname, '..'));

const FILES = exampleFiles('examples/flows/cluster/namespaces.yaml', 'examples/flows/cluster/pods.json', 'examples/flows/cluster/policies.yaml', 'examples/flows/expectations.yaml');
const F = ['-f', 'examples/flows/cluster'];

test('test: the example expectations pass (exit 0)', async () => {
  const io = fakeIo(FILES);
  assert.equal(await main(['test', ...F, '--expect', 'examples/flows/expectations.yaml'], io), 0, io.err() + io.out());
  assert.match(io.out(), /^ok: 10 expectations, 10 passed, 0 failed\n$/);
});

const FAILING = `# two wrong expectations and one truth table
- {from: default/frontend, to: default/db, port: 5432, expect: Allow}
- name: reports reach accounts
  from: finance/reports
  to: accounts/backend
  ports: [3111, 3112/TCP]
  expect: Allow
- table:
    port: 3111/TCP
    rows: |
      -                accounts/backend  default/db
      finance/reports  .                 X
      accounts/web     X                 X
`;

test('test: failures are reported with the line of the expectation and the trace (golden), exit 1', async () => {
  const io = fakeIo({ ...FILES, 'e.yaml': FAILING });
  assert.equal(await main(['test', ...F, '--expect', 'e.yaml'], io), 1);
  expectGolden('commands/testdata/test-failures.golden', io.out());
});

test('test -o junit and -o json', async () => {
  let io = fakeIo({ ...FILES, 'e.yaml': FAILING });
  await main(['test', ...F, '--expect', 'e.yaml', '-o', 'junit'], io);
  assert.match(io.out(), /<testsuite name="tabby test" tests="7" failures="2" errors="0" skipped="0">/);
  io = fakeIo({ ...FILES, 'e.yaml': FAILING });
  await main(['test', ...F, '--expect', 'e.yaml', '-o', 'json'], io);
  const j = JSON.parse(io.out()) as { pass: boolean; location: string }[];
  assert.equal(j.filter((x) => !x.pass).length, 2);
  assert.equal(j[0]!.location, 'e.yaml:2:3');
});

test('test: malformed expectations are located errors, exit 1', async () => {
  const bad = '- {from: default/frontend, to: default/db, port: 99999, expect: Maybe, Expect: Allow}\n- {from: nowhere/*, to: default/db, expect: Deny}\n';
  const io = fakeIo({ ...FILES, 'e.yaml': bad });
  assert.equal(await main(['test', ...F, '--expect', 'e.yaml'], io), 1);
  assert.match(io.err(), /e\.yaml:1:80: \[0\]\.Expect: Unknown field: unknown field; did you mean "expect"\?/);
  assert.match(io.err(), /\[0\]\.port: Invalid value: 99999/);
  assert.match(io.err(), /\[0\]\.expect: Unsupported value: "Maybe"/);
  assert.match(io.err(), /e\.yaml:2:10: \[1\]\.from: Invalid value: "nowhere\/\*": the pattern matches no pod/);
});
