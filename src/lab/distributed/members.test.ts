/**
 * The distributed lab's member identity (members.ts): a member is its pid and start time, not
 * its command line. Root only (a real namespace and `ip netns exec`, as the lab runs members).
 *
 * Right after a spawn the kernel may still be loading the program (`ip`, then the member's own
 * after `ip netns exec` execs it): its command line reads empty for that moment though the
 * process runs. A member may also rewrite its command line (process.title). The old check
 * compared the command line with the recorded argv and took such live members for dead ones:
 * bring-up failed with "<member> exited" and an empty log, and teardown left them running.
 * The rename makes the old check fail every time; the checks right after each start hit the
 * exec window only now and then (seen in about 1 of 5 starts polled for 150 ms on a loaded machine).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { netnsSkipReason, withNetns } from '../../sys/index.js';
import { isMemberProcess, procStat, readMembers, startMember, stopMember, writeMembers, type MemberRecord } from './members.js';
import { pidsInNetns, stopMembers } from './control-plane.js';

const skip = await netnsSkipReason();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A member that renames itself (process.title), says so in its log, then idles. */
const SCRIPT = "process.title = 'renamed-member'; console.log('renamed'); setInterval(() => undefined, 1000);";

test('members: a live member is its pid and start time, also while being exec-ed and after renaming itself', { skip }, async () => {
  await withNetns('tbym', async (ns) => {
    const dir = mkdtempSync(join(tmpdir(), 'tabby-members-'));
    try {
      const m: MemberRecord = {
        name: 'm',
        role: 'relay',
        netns: ns,
        argv: ['ip', 'netns', 'exec', ns, process.execPath, '-e', SCRIPT],
        env: { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
        cwd: dir,
        address: '198.18.0.99',
        url: 'unix:/nonexistent',
        logFile: join(dir, 'm.log'),
        dir,
      };
      writeMembers(dir, { version: 1, prefix: 'tbym', members: [m] });
      // Checked at once after each start (the moment the exec may still be under way), 15 times.
      for (let i = 0; i < 15; i++) {
        const r = await startMember(dir, 'm');
        assert.ok(r.pid !== undefined && r.startTime !== undefined, 'pid and start time recorded');
        assert.equal(r.startTime, procStat(r.pid)?.startTime);
        assert.ok(isMemberProcess(r, r.pid), `start ${i}: member runs right after its start (pid ${r.pid}, cmdline ${JSON.stringify(readFileSync(`/proc/${r.pid}/cmdline`, 'utf8').slice(0, 40))})`);
        await assert.rejects(startMember(dir, 'm'), /already running/);
        if (i === 0) {
          // Renamed: still the member; another start time on the same pid (a reused pid) is not.
          for (let t = 0; t < 200 && !readFileSync(m.logFile, 'utf8').includes('renamed'); t++) await sleep(25);
          assert.ok(readFileSync(m.logFile, 'utf8').includes('renamed'), 'the member renamed itself');
          assert.ok(!readFileSync(`/proc/${r.pid}/cmdline`, 'utf8').startsWith(process.execPath), 'its command line is no longer its argv');
          assert.ok(isMemberProcess(r, r.pid), 'a renamed member is still the member');
          assert.ok(!isMemberProcess({ ...r, startTime: String(BigInt(r.startTime!) + 1n) }, r.pid), 'a pid with another start time is another process');
          assert.deepEqual(pidsInNetns([ns]), [{ pid: r.pid, netns: ns }], 'the member is the one process in its namespace');
        }
        assert.equal(await stopMember(dir, 'm', 'SIGKILL'), r.pid);
        assert.ok(!isMemberProcess(r, r.pid), 'killed: not running (gone or a zombie)');
        assert.equal(readMembers(dir)!.members[0]!.pid, undefined, 'recorded as stopped');
      }
      // Teardown kills a running member and leaves nothing in its namespace.
      const last = await startMember(dir, 'm');
      assert.deepEqual(await stopMembers(dir), []);
      assert.ok(!isMemberProcess(last, last.pid!));
      assert.deepEqual(pidsInNetns([ns]), []);
      assert.equal(readMembers(dir), undefined, 'member list removed');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
