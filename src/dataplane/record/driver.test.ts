/**
 * The DataplaneDriver conformance suite against the RecordingDriver (the scale simulation's
 * driver): its in-memory store is its "kernel", so the view reads the store and the tampers
 * edit it as iptables/ipset would edit the kernel (delete the FORWARD hook, flush a chain,
 * remove a set member, put an ACCEPT ahead of our hook). Plus what the harness relies on: the
 * last programmed rendering and revision are kept.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderedFixture, runDriverConformance } from '../../../test/support/driver-conformance.js';
import { RecordedDataplane, RecordingDriver } from './driver.js';

runDriverConformance('recording driver (memory)', (clock) => {
  const dp = new RecordedDataplane();
  const driver = new RecordingDriver({ dataplane: dp, clock });
  return Promise.resolve({
    driver,
    view: () => Promise.resolve(dp.view()),
    tamper: {
      deleteForwardHook: () => Promise.resolve(dp.delete('4 filter hook FORWARD')),
      flushChain: (chain) => Promise.resolve(dp.set(`4 filter chain ${chain}`, '[]')),
      removeSetMember: (set, member) => {
        const key = `4 set ${set.name}`;
        const v = JSON.parse(dp.objects.get(key) ?? '{"members":[]}') as { members: string[] };
        dp.set(key, JSON.stringify({ ...v, members: v.members.filter((m) => m !== member) }));
        return Promise.resolve();
      },
      insertForwardAccept: () => Promise.resolve(dp.insertFirst('4 filter FORWARD', '-j ACCEPT')),
    },
    cleanup: () => Promise.resolve(),
  });
});

test('recording driver: keeps the last programmed rendering, when, and the revision the harness reports', async () => {
  const d = new RecordingDriver();
  assert.equal(d.last === undefined, true, 'nothing recorded before the first apply');
  const r = renderedFixture();
  assert.equal((await d.apply(r)).changed, true);
  d.programmed('42');
  assert.equal(d.last?.rendered, r);
  assert.equal(d.programmedRevision, '42');
  assert.equal(d.applies, 1);
  const writes = d.writes;
  assert.equal((await d.apply(renderedFixture())).changed, false, 'an equal rendering writes nothing');
  assert.equal(d.writes, writes);
  assert.ok(d.dataplane.view().includes('cali-pi-'), 'the policy chain is in the store');
});
