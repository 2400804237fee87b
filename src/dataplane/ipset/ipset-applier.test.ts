import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, FakeIptables, FakeIpset } from '../../../test/fakes/index.js';
import { IptablesTable } from '../iptables/table.js';
import type { Chain, IpSet } from '../model.js';
import { IpsetApplier, IpsetApplyError } from './ipset-applier.js';

const s1: IpSet = { name: 'cali40s1', type: 'hash:net', family: 4, members: ['10.0.0.1/32', '10.1.2.3/16'] };
const s2: IpSet = { name: 'cali40np', type: 'hash:ip,port', family: 4, members: ['10.0.0.1,80'] };

function setup(): { fake: FakeIpset; clock: FakeClock; ipsets: IpsetApplier } {
  const fake = new FakeIpset();
  const clock = new FakeClock();
  return { fake, clock, ipsets: new IpsetApplier({ runner: fake, clock }) };
}

test('ipsets: create, then idempotent (canonical members compare equal to the kernel’s)', async () => {
  const { fake, ipsets } = setup();
  ipsets.setIpSets([s1, s2]);
  const r = await ipsets.applyAdds();
  assert.deepEqual(r.created, ['cali40np', 'cali40s1']);
  assert.deepEqual(fake.members('cali40s1'), ['10.0.0.1', '10.1.0.0/16']);
  assert.deepEqual(fake.members('cali40np'), ['10.0.0.1,tcp:80']);
  assert.deepEqual(fake.restores[0]!.argv, ['ipset', '-exist', 'restore']);
  ipsets.invalidate();
  const again = await ipsets.applyAdds();
  assert.equal(again.readBack, true);
  assert.equal(again.changed, false);
});

test('ipsets: a membership change is one small batched restore touching only that set', async () => {
  const { fake, ipsets } = setup();
  ipsets.setIpSets([s1, s2]);
  await ipsets.applyAdds();
  const saves = fake.saveCount;
  ipsets.updateIpSet({ ...s1, members: ['10.0.0.1', '10.5.0.0/16', '10.6.0.0/16'] });
  const r = await ipsets.applyAdds();
  assert.deepEqual(r.updated, ['cali40s1']);
  assert.equal(r.memberChanges, 3);
  assert.equal(fake.saveCount, saves, 'no read-back between applies');
  assert.equal(fake.restores.at(-1)!.stdin, 'del cali40s1 10.1.0.0/16\nadd cali40s1 10.5.0.0/16\nadd cali40s1 10.6.0.0/16\n');
});

test('ipsets: removals are a separate phase, after iptables stops using the set', async () => {
  const iptables = new FakeIptables();
  const fake = new FakeIpset({ inUse: (n) => iptables.referencedSets().has(n) });
  const clock = new FakeClock();
  const ipsets = new IpsetApplier({ runner: fake, clock });
  const table = new IptablesTable({ table: 'filter', runner: iptables, clock });
  const chainUsing = (set: string): Chain => ({ name: 'cali-x', rules: [{ match: [{ kind: 'srcIpSet', set }], action: { kind: 'accept' } }] });

  ipsets.setIpSets([s1]);
  table.setChains([chainUsing('cali40s1')]);
  await ipsets.applyAdds();
  await table.apply();
  await ipsets.applyRemovals();

  // Switch the rule to a new set: s1 must survive phase 1 (still referenced) and go in phase 2.
  const s3: IpSet = { name: 'cali40s3', type: 'hash:net', family: 4, members: ['10.3.0.0/16'] };
  ipsets.setIpSets([s3]);
  table.setChains([chainUsing('cali40s3')]);
  await ipsets.applyAdds();
  assert.ok(fake.sets.has('cali40s1') && fake.sets.has('cali40s3'));
  await table.apply();
  const r = await ipsets.applyRemovals();
  assert.deepEqual(r.destroyed, ['cali40s1']);
  assert.deepEqual([...fake.sets.keys()], ['cali40s3']);
});

test('ipsets: a failed restore is retried after a re-read; partial effects are harmless', async () => {
  const { fake, clock, ipsets } = setup();
  ipsets.setIpSets([s1]);
  fake.failNextRestore(1);
  const r = await ipsets.applyAdds();
  assert.equal(r.attempts, 2);
  assert.deepEqual(clock.sleeps, [50]);
  assert.deepEqual(fake.members('cali40s1'), ['10.0.0.1', '10.1.0.0/16']);
});

test('ipsets: destroying a set in use fails after bounded retries', async () => {
  const { fake, ipsets } = setup();
  ipsets.setIpSets([s1]);
  await ipsets.applyAdds();
  fake.markInUse('cali40s1');
  ipsets.setIpSets([]);
  await assert.rejects(ipsets.applyRemovals(), (e: unknown) => e instanceof IpsetApplyError && /in use/.test(e.message) && e.attempts === 5);
  fake.markInUse('cali40s1', false);
  assert.deepEqual((await ipsets.applyRemovals()).destroyed, ['cali40s1']);
});

test('ipsets: refresh repairs drift (members added or removed behind our back)', async () => {
  const { fake, ipsets } = setup();
  ipsets.setIpSets([s1, s2]);
  await ipsets.applyAdds();
  fake.sets.get('cali40s1')!.members.add('192.168.0.0/16');
  fake.sets.get('cali40np')!.members.clear();
  const r = await ipsets.refresh();
  assert.deepEqual([...r.updated].sort(), ['cali40np', 'cali40s1']);
  assert.deepEqual(fake.members('cali40s1'), ['10.0.0.1', '10.1.0.0/16']);
  assert.deepEqual(fake.members('cali40np'), ['10.0.0.1,tcp:80']);
});

test('ipsets: names must be owned and at most 31 characters', () => {
  const { ipsets } = setup();
  assert.throws(() => ipsets.updateIpSet({ ...s1, name: 'KUBE-x' }), /owned prefix/);
  assert.throws(() => ipsets.updateIpSet({ ...s1, name: `cali40${'x'.repeat(26)}` }), /31/);
});
