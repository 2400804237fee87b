/**
 * Status publication is coalesced (loop.ts, issue 19): many applies within one status interval
 * cost one immediate publication and one more at the end of the interval carrying the latest
 * programmed revision — not one write per apply.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSnapshot } from '../engine/index.js';
import { effectiveFelixConfig } from '../model/calico/felix-configuration.js';
import { RecordingDriver } from '../dataplane/record/driver.js';
import { FakeClock, realClock } from '../sys/index.js';
import { AgentLoop } from './loop.js';
import type { NodeStatus } from './status.js';

test('agent status: 20 applies within the interval publish twice, the second time the latest revision', async () => {
  const snapshot = loadSnapshot([]).snapshot;
  let rev = 1;
  const source = { inSync: true, get revision(): string { return String(rev); }, snapshot: () => snapshot, felixConfig: () => effectiveFelixConfig() };
  const published: NodeStatus[] = [];
  const loop = new AgentLoop({ node: 'w1', source, driver: new RecordingDriver(), clock: realClock, statusIntervalMs: 300, publish: async (s) => void published.push(s) });
  for (let i = 0; i < 20; i++) {
    rev++;
    await loop.applyOnce();
  }
  assert.deepEqual(published.map((s) => s.revision), ['2'], 'only the first apply published at once');
  const deadline = Date.now() + 5000;
  while (published.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(published.map((s) => s.revision), ['2', '21'], 'the end of the interval publishes the latest revision');
  assert.equal(loop.publications, 2);
  // with interval 0 every changed apply publishes (the previous behaviour)
  const each: string[] = [];
  const loop0 = new AgentLoop({ node: 'w1', source, driver: new RecordingDriver(), clock: realClock, statusIntervalMs: 0, publish: async (s) => void each.push(s.revision) });
  for (let i = 0; i < 3; i++) {
    rev++;
    await loop0.applyOnce();
  }
  assert.equal(each.length, 3);
});

test('agent status: a failed publication is retried without another apply (a quiet datastore brings none)', async () => {
  const snapshot = loadSnapshot([]).snapshot;
  const source = { inSync: true, revision: '7', snapshot: () => snapshot, felixConfig: () => effectiveFelixConfig() };
  const published: string[] = [];
  let failures = 2;
  const logs: string[] = [];
  const loop = new AgentLoop({
    node: 'w1',
    source,
    driver: new RecordingDriver(),
    clock: realClock,
    statusIntervalMs: 100,
    publish: async (s) => {
      if (failures-- > 0) throw new Error('503 from the API server');
      published.push(s.revision);
    },
    log: (m) => logs.push(m),
  });
  await loop.applyOnce();
  assert.deepEqual(published, [], 'the first attempt failed');
  const deadline = Date.now() + 5000;
  while (published.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(published, ['7'], 'published on a later attempt, with no apply in between');
  assert.equal(logs.filter((l) => l.startsWith('status not published: 503 from the API server; retrying in 250 ms')).length, 2, logs.join('\n'));
  assert.equal(loop.publications, 3);
});

test('agent status: publications never overlap, so a slow older one cannot land after a newer one', async () => {
  const snapshot = loadSnapshot([]).snapshot;
  let rev = 2;
  const source = { inSync: true, get revision(): string { return String(rev); }, snapshot: () => snapshot, felixConfig: () => effectiveFelixConfig() };
  let stored: string | undefined; // what the Node says: the last write to land
  let inFlight = 0;
  let maxInFlight = 0;
  let calls = 0;
  const loop = new AgentLoop({
    node: 'w1',
    source,
    driver: new RecordingDriver(),
    clock: realClock,
    statusIntervalMs: 100,
    publish: async (s) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      // the first write is slow (a loaded API server), the later ones quick
      await new Promise((r) => setTimeout(r, calls++ === 0 ? 500 : 5));
      stored = s.revision;
      inFlight--;
    },
  });
  const first = loop.applyOnce(); // publishes revision 2 at once (slow)
  await new Promise((r) => setTimeout(r, 20));
  rev = 3;
  await loop.applyOnce(); // revision 3 while 2 is in flight
  await first;
  const deadline = Date.now() + 5000;
  while ((stored !== '3' || inFlight > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(stored, '3', 'the Node ends at the latest revision');
  assert.equal(maxInFlight, 1, 'one publication at a time');
});

test('agent status: a coalesced older state whose timer fires late never lands after a newer one published at once', async () => {
  // Seen in tabby lab verify --distributed under load: the status timer for a coalesced revision
  // (1437) fired after the interval had ended by the loop's clock, when the next apply (1438)
  // had already been published at once; 1437 went out after it and the Node kept it for good.
  const snapshot = loadSnapshot([]).snapshot;
  let rev = 2;
  const source = { inSync: true, get revision(): string { return String(rev); }, snapshot: () => snapshot, felixConfig: () => effectiveFelixConfig() };
  const clock = new FakeClock(0);
  const writes: string[] = []; // every status write, in the order it landed
  const loop = new AgentLoop({ node: 'w1', source, driver: new RecordingDriver(), clock, statusIntervalMs: 100, publish: async (s) => void writes.push(s.revision) });
  await loop.applyOnce(); // revision 2: published at once (clock 0)
  clock.advance(99);
  rev = 3;
  await loop.applyOnce(); // revision 3: coalesced, its timer due in 1 ms (real time)
  clock.advance(901); // the interval is over by the loop's clock, the (late) timer has not fired yet
  rev = 4;
  await loop.applyOnce(); // revision 4: published at once; it supersedes the coalesced 3
  clock.advance(1000); // and another interval passes
  // let the timer of revision 3 (1 ms) fire, and anything it schedules
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(writes.at(-1), '4', `the Node ends at the latest revision (writes: ${writes.join(', ')})`);
  assert.deepEqual(writes, [...writes].sort((a, b) => Number(a) - Number(b)), `status writes in revision order (writes: ${writes.join(', ')})`);
});
