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
  const r = await nodeRunner.run({ argv: ['sleep', '10'], timeoutMs: 100 });
  assert.equal(r.code, 124);
  assert.match(r.stderr, /timed out after 100 ms/);
  assert.ok(performance.now() - t0 < 5000);
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
