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

test('ipsets: a membership change is one small batch through the session, touching only that set', async () => {
  const { fake, ipsets } = setup();
  ipsets.setIpSets([s1, s2]);
  const first = await ipsets.applyAdds();
  assert.equal(first.via, 'restore', 'the first apply (creates, after a read) is a one-shot restore');
  const saves = fake.saveCount;
  const restores = fake.restores.length;
  ipsets.updateIpSet({ ...s1, members: ['10.0.0.1', '10.5.0.0/16', '10.6.0.0/16'] });
  const r = await ipsets.applyAdds();
  assert.equal(r.via, 'session');
  assert.deepEqual(r.updated, ['cali40s1']);
  assert.equal(r.memberChanges, 3);
  assert.equal(fake.saveCount, saves, 'no read-back between applies');
  assert.equal(fake.restores.length, restores, 'no restore process');
  assert.equal(fake.sessions.length, 1);
  assert.deepEqual(fake.sessions[0]!.lines, ['del cali40s1 10.1.0.0/16', 'add cali40s1 10.5.0.0/16', 'add cali40s1 10.6.0.0/16', 'version']);
  assert.deepEqual(fake.members('cali40s1'), ['10.0.0.1', '10.5.0.0/16', '10.6.0.0/16']);
  // A second change reuses the same process.
  ipsets.updateIpSet({ ...s1, members: ['10.0.0.1'] });
  assert.equal((await ipsets.applyAdds()).via, 'session');
  assert.equal(fake.sessions.length, 1);
  assert.deepEqual(fake.members('cali40s1'), ['10.0.0.1']);
  assert.deepEqual(ipsets.stats, { sessionBatches: 2, sessionFailures: 0, sessionStarts: 1, restores: 1 });
  await ipsets.close();
  assert.deepEqual(fake.liveSessions(), []);
});

test('ipsets: creates, rewrites and full syncs after a read go through restore, not the session', async () => {
  const { fake, ipsets } = setup();
  ipsets.setIpSets([s1]);
  await ipsets.applyAdds();
  ipsets.setIpSets([s1, s2]);
  assert.equal((await ipsets.applyAdds()).via, 'restore', 'a create');
  const many = Array.from({ length: 40 }, (_, i) => `10.9.${i}.0/24`);
  ipsets.updateIpSet({ ...s1, members: many });
  const big = await ipsets.applyAdds();
  assert.deepEqual(big.rewritten, ['cali40s1']);
  assert.equal(big.via, 'restore', 'a rewrite through a temporary set');
  fake.sets.get('cali40s1')!.members.add('192.168.0.0/16');
  const rf = await ipsets.refresh();
  assert.equal(rf.readBack, true);
  assert.equal(rf.via, 'restore', 'a full sync after a read');
  assert.deepEqual(fake.sessions.flatMap((x) => x.lines), [], 'nothing went through the session');
  await ipsets.close();
  assert.deepEqual(fake.liveSessions(), []);
});

test('ipsets: a session error is detected, the kernel re-read and repaired by restore, and a fresh session started', async () => {
  const { fake, clock, ipsets } = setup();
  ipsets.setIpSets([s1, s2]);
  await ipsets.applyAdds();
  await ipsets.applyAdds(); // nothing to do; the session is warm
  // Someone destroys our set behind our back: the session's `add` fails in the kernel.
  fake.sets.delete('cali40s1');
  ipsets.updateIpSet({ ...s1, members: ['10.0.0.1', '10.1.0.0/16', '10.7.0.0/16'] });
  const saves = fake.saveCount;
  const r = await ipsets.applyAdds();
  assert.equal(r.attempts, 2);
  assert.equal(r.via, 'restore');
  assert.equal(r.readBack, true);
  assert.equal(fake.saveCount, saves + 1, 're-read after the failure');
  assert.deepEqual(r.created, ['cali40s1'], 'the read showed the set missing; restore re-created it');
  assert.deepEqual(fake.members('cali40s1'), ['10.0.0.1', '10.1.0.0/16', '10.7.0.0/16']);
  assert.deepEqual(clock.sleeps, [50]);
  assert.equal(fake.sessions[0]!.alive, false, 'the failed session was ended');
  assert.equal(ipsets.stats.sessionFailures, 1);
  // The next incremental change uses a new process.
  ipsets.updateIpSet({ ...s1, members: ['10.0.0.1'] });
  assert.equal((await ipsets.applyAdds()).via, 'session');
  assert.equal(fake.liveSessions().length, 1);
  assert.notEqual(fake.liveSessions()[0]!.pid, fake.sessions[0]!.pid);
  await ipsets.close();
  assert.deepEqual(fake.liveSessions(), []);
});

test('ipsets: a crashed session is replaced; a hung one is killed after the bounded timeout', async () => {
  const fake = new FakeIpset();
  const clock = new FakeClock();
  const ipsets = new IpsetApplier({ runner: fake, clock, sessionTimeoutMs: 200 });
  ipsets.setIpSets([s1]);
  await ipsets.applyAdds();
  fake.crashSessions();
  ipsets.updateIpSet({ ...s1, members: ['10.0.0.1'] });
  const r = await ipsets.applyAdds();
  assert.deepEqual(fake.members('cali40s1'), ['10.0.0.1']);
  assert.ok(r.via === 'session' || r.via === 'restore');

  await ipsets.applyAdds();
  fake.hangSessions = true;
  ipsets.updateIpSet({ ...s1, members: ['10.0.0.2'] });
  const t0 = performance.now();
  const h = await ipsets.applyAdds();
  // A generous bound (not a timing check): the 200 ms session timeout ends the hang, far below this.
  assert.ok(performance.now() - t0 < 30_000, 'bounded');
  assert.equal(h.via, 'restore');
  assert.deepEqual(fake.members('cali40s1'), ['10.0.0.2']);
  fake.hangSessions = false;
  await ipsets.close();
  assert.deepEqual(fake.liveSessions(), [], 'the hung process was killed');
});

test('ipsets: when the session cannot start (no stdbuf) sessions are turned off and restore does everything', async () => {
  const logs: string[] = [];
  const fake = new FakeIpset();
  fake.sessionStartFails = true;
  const ipsets = new IpsetApplier({ runner: fake, clock: new FakeClock(), log: (m) => logs.push(m) });
  ipsets.setIpSets([s1]);
  await ipsets.applyAdds();
  ipsets.updateIpSet({ ...s1, members: ['10.0.0.1'] });
  assert.equal((await ipsets.applyAdds()).via, 'restore');
  assert.ok(logs.some((l) => /session unavailable.*stdbuf/.test(l)), logs.join('\n'));
  ipsets.updateIpSet({ ...s1, members: ['10.0.0.2'] });
  assert.equal((await ipsets.applyAdds()).via, 'restore');
  assert.equal(fake.sessions.length, 1, 'not retried');
  assert.deepEqual(fake.members('cali40s1'), ['10.0.0.2']);
  await ipsets.close();
});

test('ipsets: close() waits for the session to exit; later applies work through restore without a new process', async () => {
  const { fake, ipsets } = setup();
  ipsets.setIpSets([s1]);
  await ipsets.applyAdds();
  assert.equal(fake.liveSessions().length, 1, 'warm after the first apply');
  await ipsets.close();
  assert.deepEqual(fake.liveSessions(), []);
  assert.equal(fake.sessions[0]!.exitCode, 0, 'ended by EOF');
  ipsets.updateIpSet({ ...s1, members: ['10.0.0.9'] });
  assert.equal((await ipsets.applyAdds()).via, 'restore');
  assert.equal(fake.sessions.length, 1);
  await ipsets.close();
});

test('ipsets: a runner without start() (or interactive: false) never starts a session', async () => {
  const fake = new FakeIpset();
  const runner = { run: fake.run.bind(fake) };
  for (const ipsets of [new IpsetApplier({ runner, clock: new FakeClock() }), new IpsetApplier({ runner: fake, clock: new FakeClock(), interactive: false })]) {
    ipsets.setIpSets([s1]);
    await ipsets.applyAdds();
    ipsets.updateIpSet({ ...s1, members: ['10.0.0.3'] });
    assert.equal((await ipsets.applyAdds()).via, 'restore');
    await ipsets.close();
  }
  assert.equal(fake.sessions.length, 0);
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
