import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { main } from '../main.js';
import { fakeIo } from '../testdata/fake-io.js';
import { goldenChecker } from '../../../test/support/golden.js';
import { exampleFiles } from '../testdata/examples.js';

/** Golden files relative to src/cli/. */
const expectGolden = goldenChecker(join(import.meta.dirname, '..'));

const FILES = exampleFiles('examples/flows/cluster/namespaces.yaml', 'examples/flows/cluster/pods.json', 'examples/flows/cluster/policies.yaml', 'examples/flows/change.yaml', 'examples/flows/flows.json');
const F = ['-f', 'examples/flows/cluster'];

test('diff --apply: the flows the change flips, with what decides them now and after (golden), exit 1', async () => {
  const io = fakeIo(FILES);
  assert.equal(await main(['diff', ...F, '--apply', 'examples/flows/change.yaml'], io), 1, io.err());
  expectGolden('commands/testdata/diff-apply.golden', io.out());
});

test('diff without --apply: what enforcing the staged policies would change', async () => {
  const io = fakeIo(FILES);
  assert.equal(await main(['diff', ...F, '-o', 'json'], io), 1, io.err());
  assert.deepEqual(JSON.parse(io.out()), [{ from: 'finance/reports', to: 'accounts/backend', port: 3111, protocol: 'TCP', before: 'Allow', after: 'Deny' }]);
});

test('diff: no change flips nothing (exit 0); --delete; --flows', async () => {
  let io = fakeIo(FILES);
  assert.equal(await main(['diff', ...F, '--apply', 'examples/flows/cluster/policies.yaml', '--ports', '3111/TCP'], io), 0, io.out());
  io = fakeIo(FILES);
  assert.equal(await main(['diff', ...F, '--apply', 'examples/flows/cluster/namespaces.yaml'], io), 0, io.out());
  assert.match(io.out(), /^no verdict changes/);
  io = fakeIo({ ...FILES, 'del.yaml': 'kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata: {name: backend-allow}\nspec: {podSelector: {}}\n' });
  assert.equal(await main(['diff', ...F, '--delete', 'del.yaml', '--flows', 'examples/flows/flows.json', '-o', 'json'], io), 1, io.err());
  assert.deepEqual(JSON.parse(io.out()), [
    { from: 'default/db', to: 'default/backend', port: 8080, protocol: 'TCP', before: 'Deny', after: 'Allow' },
  ]);
});

test('diff -o junit: one failing test case per flipped flow; one passing case when nothing flips', async () => {
  let io = fakeIo(FILES);
  assert.equal(await main(['diff', ...F, '--apply', 'examples/flows/change.yaml', '--ports', '5432/TCP', '-o', 'junit'], io), 1, io.err());
  assert.match(io.out(), /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="tabby diff" tests="1" failures="1" errors="0" skipped="0">\n/);
  assert.match(io.out(), /<testcase classname="the change" name="default\/frontend → default\/db TCP\/5432">\n {4}<failure message="Deny → Allow">now: {3}destination ingress default\/db: end of tier default: Deny\nafter: destination ingress default\/db: tier default, policy default\/knp\.default\.db-allow, rule 1: Allow\n<\/failure>/);
  io = fakeIo(FILES);
  assert.equal(await main(['diff', ...F, '--apply', 'examples/flows/cluster/namespaces.yaml', '-o', 'junit'], io), 0, io.err());
  assert.match(io.out(), /tests="1" failures="0" errors="0"/);
  assert.match(io.out(), /<testcase classname="the change" name="no flow flips"\/>/);
});
