/** The fakes' own fidelity checks: the kernel behaviours our appliers depend on. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeIptables, FakeIpset } from './index.js';

const restore = (f: FakeIptables, script: string, noflush = true): Promise<{ code: number; stderr: string }> =>
  f.run({ argv: ['iptables-restore', ...(noflush ? ['--noflush'] : [])], stdin: script });

test('fake iptables: a declaration creates or flushes; -A/-I/-D/-R by number', async () => {
  const f = new FakeIptables();
  assert.equal((await restore(f, '*filter\n:cali-a - [0:0]\n-A cali-a -j ACCEPT\n-A cali-a -j DROP\nCOMMIT\n')).code, 0);
  assert.equal((await restore(f, '*filter\n-I cali-a 2 -j RETURN\n-R cali-a 1 -p tcp -j ACCEPT\n-D cali-a 3\nCOMMIT\n')).code, 0);
  assert.deepEqual(f.rules('filter', 'cali-a'), ['-p tcp -j ACCEPT', '-j RETURN']);
  assert.equal((await restore(f, '*filter\n:cali-a - [0:0]\nCOMMIT\n')).code, 0);
  assert.deepEqual(f.rules('filter', 'cali-a'), []);
});

test('fake iptables: a failing line voids the whole transaction', async () => {
  const f = new FakeIptables();
  const r = await restore(f, '*filter\n:cali-a - [0:0]\n-A cali-a -j ACCEPT\n-D INPUT 1\nCOMMIT\n');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /line 4/);
  assert.equal(f.chain('filter', 'cali-a'), undefined);
});

test('fake iptables: -X refuses referenced or non-empty chains; jumps need a chain', async () => {
  const f = new FakeIptables();
  await restore(f, '*filter\n:cali-a - [0:0]\n:cali-b - [0:0]\n-A cali-a -j cali-b\n-A cali-b -j DROP\nCOMMIT\n');
  assert.equal((await restore(f, '*filter\n:cali-b - [0:0]\n-X cali-b\nCOMMIT\n')).code, 4);
  assert.equal((await restore(f, '*filter\n-X cali-a\nCOMMIT\n')).code, 4);
  assert.equal((await restore(f, '*filter\n-A cali-a -j cali-missing\nCOMMIT\n')).code, 2);
  assert.equal((await restore(f, '*filter\n:cali-a - [0:0]\n:cali-b - [0:0]\n-X cali-b\n-X cali-a\nCOMMIT\n')).code, 0);
  assert.deepEqual(f.chainNames('filter'), ['INPUT', 'FORWARD', 'OUTPUT']);
});

test('fake iptables: without --noflush a table starts empty', async () => {
  const f = new FakeIptables();
  f.addForeignRule('filter', 'INPUT', '-j ACCEPT');
  await restore(f, '*filter\n:cali-a - [0:0]\nCOMMIT\n', false);
  assert.deepEqual(f.rules('filter', 'INPUT'), []);
});

test('fake iptables: save output round-trips through restore', async () => {
  const f = new FakeIptables();
  await restore(f, '*filter\n:cali-a - [0:0]\n-A cali-a -m comment --comment "cali:x y" -j ACCEPT\n-I INPUT 1 -j cali-a\nCOMMIT\n');
  const g = new FakeIptables();
  assert.equal((await restore(g, f.save(), false)).code, 0);
  assert.equal(g.save(), f.save());
});

test('fake iptables: plain iptables commands inject drift', async () => {
  const f = new FakeIptables();
  await restore(f, '*filter\n:cali-a - [0:0]\n-A cali-a -j ACCEPT\n-A cali-a -j DROP\nCOMMIT\n');
  assert.equal((await f.run({ argv: ['iptables', '-w', '-t', 'filter', '-D', 'cali-a', '1'] })).code, 0);
  assert.equal((await f.run({ argv: ['iptables', '-t', 'filter', '-A', 'cali-a', '-m', 'comment', '--comment', 'two words', '-j', 'RETURN'] })).code, 0);
  assert.deepEqual(f.rules('filter', 'cali-a'), ['-j DROP', '-m comment --comment "two words" -j RETURN']);
});

test('fake iptables: --match-set must name an existing set when wired to a FakeIpset', async () => {
  const ipsets = new FakeIpset();
  const f = new FakeIptables({ ipsetExists: (n) => ipsets.sets.has(n) });
  const script = '*filter\n:cali-a - [0:0]\n-A cali-a -m set --match-set cali40x src -j ACCEPT\nCOMMIT\n';
  assert.equal((await restore(f, script)).code, 2);
  await ipsets.run({ argv: ['ipset', 'restore'], stdin: 'create cali40x hash:net family inet\n' });
  assert.equal((await restore(f, script)).code, 0);
});

test('fake ipset: restore is line by line (not transactional); -exist; swap needs the same type', async () => {
  const s = new FakeIpset();
  const r = await s.run({ argv: ['ipset', 'restore'], stdin: 'create cali40a hash:net family inet\nadd cali40a 10.1.2.3/16\nadd cali40a 10.1.0.0/16\nadd cali40a 1.1.1.1\n' });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /line 3: Element cannot be added/);
  assert.deepEqual(s.members('cali40a'), ['10.1.0.0/16'], 'lines before the error stay applied');
  assert.equal((await s.run({ argv: ['ipset', '-exist', 'restore'], stdin: 'create cali40a hash:net family inet\nadd cali40a 10.1.0.0/16\ndel cali40a 9.9.9.9\n' })).code, 0);
  await s.run({ argv: ['ipset', 'restore'], stdin: 'create cali40b hash:ip family inet\n' });
  assert.match((await s.run({ argv: ['ipset', 'restore'], stdin: 'swap cali40a cali40b\n' })).stderr, /type does not match/);
  const list = await s.run({ argv: ['ipset', 'list', '-name'] });
  assert.equal(list.stdout, 'cali40a\ncali40b\n');
});
