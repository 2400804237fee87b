/**
 * Drift repair on a real lab (root only), both drivers: with the lab up (one worker, a server
 * pod with tcp 80 allowed and 81 denied from the client pod by a policy), delete the FORWARD
 * hook, flush the policy chain, remove the client from the policy's IP set, insert an ACCEPT
 * first in FORWARD — each with the backend's own tool in the worker's namespace — and the agent
 * must find and repair each by itself (its drift check runs every 250 ms), log the repair with
 * what it found, and leave the denied port closed and the allowed one open afterwards.
 *
 * Events are counted, not timed: the only bound is a generous 10 s per repair (a hang fails).
 * How long repairs take is measured by bench/drift.bench.ts (`npm run bench -- drift`). The
 * connections to the denied port that got through before the repair are printed, not asserted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { netnsSkipReason } from '../../src/sys/index.js';
import { required } from '../support/tools.js';
import { ALLOWED_PORT, DENIED_PORT, withDriftLab } from '../support/drift-lab.js';

const skip = required(await netnsSkipReason());

for (const dataplane of ['iptables', 'nft'] as const) {
  test(`drift (${dataplane}): a deleted hook, a flushed chain, a removed set member and an inserted ACCEPT are each repaired and logged; the denied port stays closed after`, { skip, timeout: 180_000 }, async () => {
    await withDriftLab(dataplane, async (d) => {
      assert.equal(await d.probe(ALLOWED_PORT), 'open', 'allowed port open before');
      assert.equal(await d.probe(DENIED_PORT), 'timeout', 'denied port closed before');
      for (const [what, tamper] of d.tampers) {
        const ev = await d.measure(what, tamper);
        console.log(`# ${dataplane}: ${what}: repaired ${ev.repairMs.toFixed(0)} ms after the tamper (found ${ev.found.join('; ')}); denied port open for ${ev.deniedOpenDuring}/${ev.probesDuring} probes before`);
        assert.ok(ev.found.length > 0, `${what}: the repair says what it found`);
        assert.ok(ev.logLine !== undefined, `${what}: the repair is logged`);
        assert.match(ev.logLine, /drift repaired on node \S+ \(verify, \d+ ms\): found \S/);
        for (let i = 0; i < 3; i++) {
          assert.equal(await d.probe(DENIED_PORT), 'timeout', `${what}: denied port closed after the repair (probe ${i + 1})`);
          assert.equal(await d.probe(ALLOWED_PORT), 'open', `${what}: allowed port open after the repair (probe ${i + 1})`);
        }
      }
      assert.equal(d.loop.repairs, 4, 'one repair per tamper, no others');
      console.log(`# ${dataplane}: ${d.loop.verifies} verifies, ${d.loop.notifications} kernel change notifications (nft monitor)`);
      assert.ok(d.loop.notifications > 0, 'the kernel reported changes (nft monitor; iptables-nft tables are nftables tables)');
    });
  });
}
