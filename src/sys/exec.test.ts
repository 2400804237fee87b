import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, realClock } from './clock.js';
import { nodeRunner, prefixedRunner, type CommandRunner } from './exec.js';

test('exec: stdout, stderr and exit code', async () => {
  const r = await nodeRunner.run({ argv: ['sh', '-c', 'echo out; echo err >&2; exit 3'] });
  assert.deepEqual(r, { code: 3, stdout: 'out\n', stderr: 'err\n' });
});

test('exec: stdin is written and closed (large input too)', async () => {
  const big = 'x'.repeat(5_000_000);
  const r = await nodeRunner.run({ argv: ['wc', '-c'], stdin: big });
  assert.equal(r.code, 0);
  assert.equal(r.stdout.trim(), String(big.length));
});

test('exec: no shell is involved', async () => {
  const r = await nodeRunner.run({ argv: ['echo', '$(id)', ';', '*'] });
  assert.equal(r.stdout, '$(id) ; *\n');
});

test('exec: a missing binary is code 127, not an exception', async () => {
  const r = await nodeRunner.run({ argv: ['/nonexistent/tabby-binary'] });
  assert.equal(r.code, 127);
  assert.match(r.stderr, /ENOENT/);
});

test('exec: a timeout kills the process and returns 124', async () => {
  const t0 = performance.now();
  const r = await nodeRunner.run({ argv: ['sleep', '600'], timeoutMs: 100 });
  assert.equal(r.code, 124);
  assert.match(r.stderr, /timed out after 100 ms/);
  // A generous bound (not a timing check): far below the 600 s the process would have run.
  assert.ok(performance.now() - t0 < 60_000);
});

test('exec: a process that exits without reading stdin does not crash the runner', async () => {
  const r = await nodeRunner.run({ argv: ['true'], stdin: 'y'.repeat(1_000_000) });
  assert.equal(r.code, 0);
});

test('exec: prefixedRunner prepends argv', async () => {
  const seen: (readonly string[])[] = [];
  const inner: CommandRunner = { run: (c) => (seen.push(c.argv), Promise.resolve({ code: 0, stdout: '', stderr: '' })) };
  await prefixedRunner(inner, ['ip', 'netns', 'exec', 'ns1']).run({ argv: ['iptables-save'] });
  assert.deepEqual(seen, [['ip', 'netns', 'exec', 'ns1', 'iptables-save']]);
});

test('clock: fake sleeps advance time instantly; real clock is monotonic', async () => {
  const c = new FakeClock(10);
  await c.sleep(50);
  c.advance(5);
  assert.equal(c.now(), 65);
  assert.deepEqual(c.sleeps, [50]);
  const a = realClock.now();
  await realClock.sleep(5);
  assert.ok(realClock.now() - a >= 4);
});

test('exec: start() runs a long-lived process fed through stdin; stop() ends it (EOF, then SIGKILL)', async () => {
  const out: string[] = [];
  const p = nodeRunner.start!({ argv: ['cat'], onOutput: (t) => out.push(t) });
  assert.ok(p.pid !== undefined);
  assert.equal(p.write('hello\n'), true);
  for (let i = 0; i < 100 && out.join('') !== 'hello\n'; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(out.join(''), 'hello\n');
  assert.equal(await p.stop(), 0, 'cat ends at EOF');
  assert.equal(p.write('more\n'), false);
  const stubborn = nodeRunner.start!({ argv: ['sh', '-c', 'trap "" TERM; exec sleep 600'], onOutput: () => undefined });
  const t0 = performance.now();
  assert.equal(await stubborn.stop(100), 137, 'killed after the grace period');
  // A generous bound (not a timing check): far below the 600 s the process would have run.
  assert.ok(performance.now() - t0 < 60_000);
});

test('exec: prefixedRunner forwards start() with the prefix (and has none when the inner runner has none)', () => {
  const seen: (readonly string[])[] = [];
  const inner: CommandRunner = {
    run: () => Promise.resolve({ code: 0, stdout: '', stderr: '' }),
    start: (s) => (seen.push(s.argv), { pid: 1, write: () => true, exited: Promise.resolve(0), stop: () => Promise.resolve(0) }),
  };
  prefixedRunner(inner, ['ip', 'netns', 'exec', 'ns1']).start!({ argv: ['ipset', '-'], onOutput: () => undefined });
  assert.deepEqual(seen, [['ip', 'netns', 'exec', 'ns1', 'ipset', '-']]);
  assert.equal(prefixedRunner({ run: inner.run }, ['x']).start, undefined);
});
