import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { openMemoryDatastore, pauseUnlessAborted, watchLoop } from './index.js';

test('pauseUnlessAborted: a finished pause leaves no abort listener; an abort ends it at once', async () => {
  const ac = new AbortController();
  for (let i = 0; i < 20; i++) await pauseUnlessAborted(ac.signal, 1);
  assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
  const long = pauseUnlessAborted(ac.signal, 600_000);
  assert.equal(getEventListeners(ac.signal, 'abort').length, 1);
  ac.abort();
  await long;
  await pauseUnlessAborted(ac.signal, 600_000); // already aborted: resolves at once
});

test('watchLoop: kicks after the list and after each event, ends when aborted, leaves no listener', async () => {
  const ds = await openMemoryDatastore();
  const type = { group: '', plural: 'namespaces' };
  const ac = new AbortController();
  let kicks = 0;
  let wake: (() => void) | undefined;
  const kicked = (n: number): Promise<void> =>
    new Promise((ok, fail) => {
      const t = setTimeout(() => fail(new Error(`kick ${n} did not come within 10 s (kicks: ${kicks})`)), 10_000);
      wake = () => {
        if (kicks >= n) {
          clearTimeout(t);
          ok();
        }
      };
      wake();
    });
  const loop = watchLoop(ds, type, { signal: ac.signal, retryMs: 10, kick: () => (kicks++, wake?.()), onError: (e) => assert.fail(String(e)) });
  await kicked(1);
  await ds.create(type, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a' } } as never);
  await kicked(2);
  ac.abort();
  await loop;
  assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
  await ds.close();
});
