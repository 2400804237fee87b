/**
 * The tailer against files written by the agents' own writer (FlowEventLog): every event read
 * once across rotations, hostile lines counted, kernel losses passed on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlowEventLog } from '../agent/flows/index.js';
import type { FlowEventBatch } from '../model/flow-decode.js';
import type { FlowEvent } from '../model/flows.js';
import { FlowFileTailer } from './flow-files.js';
import type { FlowEventSink, IngestResult } from './flows.js';

class _Recorder implements FlowEventSink {
  readonly events: FlowEvent[] = [];
  kernelDropped = 0;
  ingest(b: FlowEventBatch): Promise<IngestResult> {
    this.events.push(...b.events);
    this.kernelDropped += b.kernelDropped;
    return Promise.resolve({ accepted: b.events.length, dropped: 0, late: 0 });
  }
}

const ev = (i: number, node: string): FlowEvent => ({
  time: 1_700_000_000_000 + i,
  node,
  reporter: 'src',
  source: { kind: 'wep', namespace: 'a', name: `p${i % 7}`, ip: '198.18.0.2', labels: { app: 'x' } },
  dest: { kind: 'net', namespace: '', name: '', ip: '198.19.0.9', labels: {} },
  protocol: 'tcp',
  sourcePort: 30000 + (i % 1000),
  destPort: 443,
  action: 'allow',
  enforced: [{ tier: 'default', kind: 'NetworkPolicy', namespace: 'a', name: 'egress', ruleIndex: 0, direction: 'egress', action: 'allow' }],
  pending: [],
  packetsOut: i,
  bytesOut: 10 * i,
  packetsIn: 1,
  bytesIn: 1,
});

test('every event once, across rotations and two nodes; partial lines wait for their newline', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tabby-flowfiles-'));
  try {
    const logs = ['w1', 'w2'].map((node) => new FlowEventLog({ dir, node, maxFileBytes: 4096 }));
    const sink = new _Recorder();
    const t = new FlowFileTailer({ dir, sink, now: () => 1_800_000_000_000 });
    let n = 0;
    for (let round = 0; round < 20; round++) {
      for (const l of logs) l.append(Array.from({ length: 3 }, () => ev(n++, l === logs[0] ? 'w1' : 'w2')));
      // poll every other round, so some rotations happen between polls (one per poll at most:
      // more would overwrite `.1` before it was read, which the writer's format allows to lose)
      if (round % 2 === 1) await t.poll();
    }
    await t.poll();
    assert.ok(logs[0]!.counters.rotations > 0, 'the files rotated');
    assert.equal(sink.events.length, n);
    assert.deepEqual(sink.events.map((e) => e.packetsOut).sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i));
    assert.equal(t.rejected, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('hostile lines are counted, never ingested; kernel losses pass on as increments', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tabby-flowfiles-'));
  try {
    const file = join(dir, 'flows-w1.jsonl');
    appendFileSync(file, `${JSON.stringify(ev(1, 'w1'))}\nnot json\n{"time":"x"}\n${'x'.repeat(70_000)}\n${JSON.stringify({ ...ev(2, 'w1'), __proto__: { a: 1 } })}\n`);
    appendFileSync(file, JSON.stringify(ev(3, 'w1')).slice(0, 50));
    writeFileSync(join(dir, 'flows-w1.stats.json'), JSON.stringify({ kernelDropped: 4, pendingDropped: 1 }));
    writeFileSync(join(dir, 'other.txt'), 'ignored');
    const sink = new _Recorder();
    const t = new FlowFileTailer({ dir, sink, now: () => 1_800_000_000_000 });
    await t.poll();
    assert.equal(sink.events.length, 2, 'the first line and the one with an inherited (not own) __proto__');
    assert.equal(t.rejected, 3);
    assert.equal(sink.kernelDropped, 5);
    appendFileSync(file, `${JSON.stringify(ev(3, 'w1')).slice(50)}\n`);
    writeFileSync(join(dir, 'flows-w1.stats.json'), JSON.stringify({ kernelDropped: 6, pendingDropped: 1 }));
    await t.poll();
    assert.equal(sink.events.length, 3, 'the partial line completed');
    assert.equal(sink.events[2]!.packetsOut, 3);
    assert.equal(sink.kernelDropped, 7);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
