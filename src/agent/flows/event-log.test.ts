/** FlowEventLog: the ring is bounded, lines are FlowEvent JSON, rotation keeps at most two files. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FlowEvent } from '../../model/flows.js';
import { FlowEventLog, flowFileName } from './index.js';

const ev = (i: number): FlowEvent => ({
  time: 1_700_000_000_000 + i,
  node: 'w1',
  reporter: 'dst',
  source: { kind: 'net', namespace: '', name: '', ip: '198.18.0.1', labels: {} },
  dest: { kind: 'wep', namespace: 'demo', name: 'web', ip: '198.18.1.2', labels: { app: 'web' } },
  protocol: 'tcp',
  sourcePort: 40000 + (i % 1000),
  destPort: 80,
  action: 'allow',
  enforced: [{ tier: 'default', kind: 'NetworkPolicy', namespace: 'demo', name: 'allow-web', ruleIndex: 0, direction: 'ingress', action: 'allow' }],
  pending: [],
  packetsOut: 5,
  bytesOut: 300,
  packetsIn: 4,
  bytesIn: 500,
});

test('file names are per node and file-safe', () => {
  assert.equal(flowFileName('worker1'), 'flows-worker1.jsonl');
  assert.equal(flowFileName('../x/y z'), 'flows-.._x_y_z.jsonl');
});

test('ring: bounded, newest kept in order', () => {
  const log = new FlowEventLog({ node: 'w1', ringSize: 3 });
  log.append([ev(1), ev(2)]);
  log.append([ev(3), ev(4)]);
  assert.deepEqual(
    log.recent().map((e) => e.time - 1_700_000_000_000),
    [2, 3, 4],
  );
  assert.deepEqual(
    log.recent(1).map((e) => e.time - 1_700_000_000_000),
    [4],
  );
  assert.equal(log.counters.eventsEmitted, 4);
  assert.equal(log.file, undefined);
});

test('file: JSON lines, rotated to .1 past the bound, counters beside', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tabby-flowlog-'));
  try {
    const log = new FlowEventLog({ dir, node: 'w1', maxFileBytes: 4096 });
    for (let i = 0; i < 40; i++) log.append([ev(i)]);
    const file = join(dir, 'flows-w1.jsonl');
    assert.ok(existsSync(`${file}.1`), 'rotated');
    assert.ok(log.counters.rotations >= 1);
    assert.ok(statSync(file).size <= 4096 && statSync(`${file}.1`).size <= 4096);
    const lines = [...readFileSync(`${file}.1`, 'utf8').split('\n'), ...readFileSync(file, 'utf8').split('\n')].filter((l) => l !== '');
    const last = lines.map((l) => JSON.parse(l) as FlowEvent);
    assert.deepEqual(last.at(-1), ev(39));
    // The two files together hold the newest events, in order.
    const times = last.map((e) => e.time);
    assert.deepEqual(times, [...times].sort((a, b) => a - b));
    log.writeCounters();
    const stats = JSON.parse(readFileSync(join(dir, 'flows-w1.stats.json'), 'utf8')) as { eventsEmitted: number; node: string };
    assert.equal(stats.eventsEmitted, 40);
    assert.equal(stats.node, 'w1');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
