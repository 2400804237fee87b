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
