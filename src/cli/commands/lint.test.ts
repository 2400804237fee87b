import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { main } from '../main.js';
import { fakeIo } from '../testdata/fake-io.js';
import { goldenChecker } from '../../../test/support/golden.js';
import { exampleFiles } from '../testdata/examples.js';
import { openMemoryDatastore } from '../../datastore/index.js';
import { loadFromDatastore } from '../engine-input.js';
import { lint } from '../../engine/index.js';

/** Golden files relative to src/cli/. */
const expectGolden = goldenChecker(join(import.meta.dirname, '..'));

const FILES = exampleFiles(
  'examples/flows/cluster/namespaces.yaml',
  'examples/flows/cluster/pods.json',
  'examples/flows/cluster/policies.yaml',
  'examples/seed/backend-allow.as-printed.yaml',
  'examples/seed/db-allow.as-printed.yaml',
);

test('lint: the seed Tier/tier slip is a located warning (golden), exit 1', async () => {
  const io = fakeIo(FILES);
  const code = await main(['lint', '-f', 'examples/seed/backend-allow.as-printed.yaml', '-f', 'examples/seed/db-allow.as-printed.yaml'], io);
  assert.equal(code, 1, io.err());
  expectGolden('commands/testdata/lint-seed.golden', io.out());
});

test('lint: the example cluster is clean (exit 0); -o json', async () => {
  let io = fakeIo(FILES);
  assert.equal(await main(['lint', '-f', 'examples/flows/cluster'], io), 0, io.out());
  assert.match(io.out(), /^no findings in 3 files\n$/);
  io = fakeIo(FILES);
  await main(['lint', '-f', 'examples/flows/cluster', '-f', 'examples/seed/backend-allow.as-printed.yaml', '-o', 'json'], io);
  const j = JSON.parse(io.out()) as { location: string; code: string }[];
  assert.deepEqual(j.map((x) => [x.location, x.code]), [['examples/seed/backend-allow.as-printed.yaml:15:17', 'selector-matches-nothing']]);
});

test('engine input from a datastore: every kind listed, located by name', async () => {
  const ds = await openMemoryDatastore();
  await ds.create({ group: '', plural: 'pods' }, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'default', labels: { tier: 'x' } }, spec: { containers: [{ name: 'c' }] }, status: { podIP: '10.0.0.1' } } as never);
  await ds.create(
    { group: 'networking.k8s.io', plural: 'networkpolicies' },
    { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'p', namespace: 'default' }, spec: { podSelector: {}, ingress: [{ from: [{ podSelector: { matchLabels: { Tier: 'x' } } }] }] } } as never,
  );
  const io = fakeIo({});
  const input = await loadFromDatastore(io, ds, 'lint', 'datastore (memory)');
  assert.equal(input.snapshot.workloads.length, 1);
  const f = lint(input.resources, input.snapshot);
  assert.equal(f.length, 1);
  assert.equal(input.locate(f[0]!.resource, f[0]!.path), 'NetworkPolicy default/p');
  await ds.close();
});

test('engine input from a datastore: kinds the API server never stores (SelfSubjectAccessReview) are not listed', async () => {
  const ds = await openMemoryDatastore();
  const listed: string[] = [];
  const list = ds.list.bind(ds);
  // The kubernetes datastore answers 405 for a list of a create-only kind; the memory one would not.
  ds.list = async (q) => {
    listed.push(`${q.group}/${q.plural}`);
    if (q.plural === 'selfsubjectaccessreviews') throw new Error('the server does not allow this method on the requested resource');
    return list(q);
  };
  const io = fakeIo({});
  const input = await loadFromDatastore(io, ds, 'verdict', 'datastore (memory)');
  assert.equal(input.errors, 0);
  assert.ok(listed.includes('/pods') && listed.includes('projectcalico.org/globalnetworkpolicies'), listed.join(' '));
  assert.ok(!listed.includes('authorization.k8s.io/selfsubjectaccessreviews'));
  await ds.close();
});
