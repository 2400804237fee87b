/**
 * Real network namespaces (root only). Also proves the property the dataplane tests rely on:
 * iptables rules and IP sets created inside a namespace are invisible from the root namespace
 * (which is only ever read here, never written).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeRunner, type CommandRunner } from './exec.js';
import { createNetns, deleteNetns, inNetns, netnsSkipReason, uniqueNetnsName, withNetns } from './netns.js';
import { required } from '../../test/support/tools.js';

const skip = required(await netnsSkipReason());

test('netns: unique names', () => {
  const a = uniqueNetnsName('tby');
  const b = uniqueNetnsName('tby');
  assert.notEqual(a, b);
  assert.match(a, new RegExp(`^tby-${process.pid}-[0-9a-f]{6}$`));
  assert.throws(() => uniqueNetnsName('Bad Prefix'), /invalid netns prefix "Bad Prefix"/);
});

test('netns: refuses to delete a namespace it did not create', async () => {
  await assert.rejects(deleteNetns('not-ours'), /not created by this process/);
});

test('netns: create, run inside, delete', { skip }, async () => {
  const ns = await createNetns('tby-t');
  try {
    const list = await nodeRunner.run({ argv: ['ip', 'netns', 'list'] });
    assert.match(list.stdout, new RegExp(ns));
    const r = await inNetns(nodeRunner, ns).run({ argv: ['ip', '-o', 'link', 'show'] });
    assert.equal(r.code, 0);
    assert.deepEqual(
      r.stdout.trim().split('\n').map((l) => l.split(':')[1]?.trim()),
      ['lo'],
      'a fresh namespace has only lo',
    );
  } finally {
    await deleteNetns(ns);
  }
  const list = await nodeRunner.run({ argv: ['ip', 'netns', 'list'] });
  assert.doesNotMatch(list.stdout, new RegExp(ns));
});

test('netns: IP sets and iptables rules are per namespace (invisible from the root namespace)', { skip }, async () => {
  await withNetns('tby-t', async (ns, runner) => {
    const set = `cali40iso${process.pid}`.slice(0, 31);
    const c = await runner.run({ argv: ['ipset', 'create', set, 'hash:net', 'family', 'inet'] });
    assert.equal(c.code, 0, c.stderr);
    const chain = `cali-iso-${process.pid}`;
    const i = await runner.run({ argv: ['iptables', '-w', '-t', 'filter', '-N', chain] });
    assert.equal(i.code, 0, i.stderr);
    const inside = await runner.run({ argv: ['ipset', 'list', '-name'] });
    assert.match(inside.stdout, new RegExp(set));
    // Read-only looks at the root namespace.
    const rootSets = await nodeRunner.run({ argv: ['ipset', 'list', '-name'] });
    assert.doesNotMatch(rootSets.stdout, new RegExp(set));
    const rootRules = await nodeRunner.run({ argv: ['iptables-save', '-t', 'filter'] });
    assert.doesNotMatch(rootRules.stdout, new RegExp(chain));
    assert.ok(ns.startsWith('tby-t-'));
  });
});

/** A runner whose `ip netns add` fails with `stderr` (and records what it ran). */
function failingAdd(stderr: string, code = 1): CommandRunner & { argvs: string[][] } {
  const argvs: string[][] = [];
  return {
    argvs,
    run: (cmd) => {
      argvs.push([...cmd.argv]);
      return Promise.resolve({ code, stdout: '', stderr });
    },
  };
}

test('netnsSkipReason: not root is a reason; nothing is run', async () => {
  const r = failingAdd('');
  assert.equal(await netnsSkipReason(r, 1000), 'needs root (creates network namespaces)');
  assert.deepEqual(r.argvs, []);
});

test('netnsSkipReason: "Operation not permitted" / "Permission denied" (EPERM/EACCES) is a reason', async () => {
  assert.match((await netnsSkipReason(failingAdd('mount --make-shared /run/netns failed: Operation not permitted'), 0)) ?? '', /^network namespaces are not permitted here: .*Operation not permitted/);
  assert.match((await netnsSkipReason(failingAdd('Cannot create namespace file "/run/netns/x": Permission denied'), 0)) ?? '', /not permitted here: .*Permission denied/);
});

test('netnsSkipReason: any other failure of the probe throws (a bug or a broken machine is not a skip)', async () => {
  await assert.rejects(netnsSkipReason(failingAdd('Cannot create namespace file "/run/netns/x": File exists'), 0), /network namespace probe failed \(not a permission problem.*File exists/);
  await assert.rejects(netnsSkipReason(failingAdd('ip: spawn ip ENOENT', 127), 0), /network namespace probe failed.*ENOENT/);
});
