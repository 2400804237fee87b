/**
 * `tabby flows` against a real API server (HTTPS, tokens) whose flow collector reads the agents'
 * flow-log files, written here by the agents' own writer (FlowEventLog).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../main.js';
import { fakeIo } from '../testdata/fake-io.js';
import { runServer } from '../../apiserver/main.js';
import { FlowEventLog } from '../../agent/flows/index.js';
import type { FlowEvent } from '../../model/flows.js';

const ev = (time: number, o: Partial<FlowEvent> = {}): FlowEvent => ({
  time,
  node: 'w1',
  reporter: 'dst',
  source: { kind: 'wep', namespace: 'shop', name: 'client', ip: '198.18.0.2', labels: { app: 'client' } },
  dest: { kind: 'wep', namespace: 'shop', name: 'web', ip: '198.18.0.3', labels: { app: 'web' } },
  protocol: 'tcp',
  sourcePort: 40001,
  destPort: 80,
  action: 'allow',
  enforced: [{ tier: 'default', kind: 'KubernetesNetworkPolicy', namespace: 'shop', name: 'allow-web', ruleIndex: 0, direction: 'ingress', action: 'allow' }],
  pending: [],
  packetsOut: 6,
  bytesOut: 400,
  packetsIn: 4,
  bytesIn: 900,
  ...o,
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('tabby flows: table, wide, json, filters and --watch, from the files the agents write', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tabby-flows-cli-'));
  const server = await runServer({ dataDir: dir, port: 0, flows: { windowMs: 400, graceMs: 1500, tickMs: 50 } });
  try {
    const kc = join(dir, 'admin.kubeconfig');
    const files = { [kc]: await readFile(kc, 'utf8') };
    const log = new FlowEventLog({ dir: join(dir, 'lab'), node: 'w1' });
    const t0 = Date.now();
    log.append([ev(t0), ev(t0 + 1, { sourcePort: 40002 }), ev(t0 + 2, { destPort: 5432, action: 'deny', enforced: [{ tier: 'default', kind: 'Tier', namespace: '', name: 'default', ruleIndex: -1, direction: 'ingress', action: 'end-of-tier-deny' }] })]);
    const run = async (...args: string[]): Promise<{ code: number; out: string; err: string }> => {
      const io = fakeIo(files);
      const code = await main(['flows', '--kubeconfig', kc, ...args], io);
      return { code, out: io.out(), err: io.err() };
    };
    let list: { items: Record<string, unknown>[] } = { items: [] };
    for (let i = 0; i < 200 && list.items.length < 2; i++) {
      await sleep(50);
      const r = await run('-o', 'json');
      assert.equal(r.code, 0, r.err);
      list = JSON.parse(r.out) as typeof list;
    }
    assert.equal(list.items.length, 2, 'two records: the allowed pair folded into one');
    const allowed = list.items.find((i) => i['action'] === 'allow')!;
    assert.equal(allowed['connections'], 2);
    assert.equal(allowed['packetsOut'], 12);
    assert.deepEqual(allowed['nodes'], ['w1']);

    const table = await run();
    assert.equal(table.code, 0, table.err);
    assert.equal(table.err, '', 'no drops to report');
    assert.match(table.out, /^START\s+REPORTER\s+SOURCE\s+DESTINATION\s+PORT\s+ACTION\s+CONNS\s+POLICY\s+PENDING/);
    assert.match(table.out, /shop\/client\s+shop\/web\s+tcp\/80\s+allow\s+2\s+default\|shop\/allow-web:0 allow\s+-/);
    assert.match(table.out, /tcp\/5432\s+deny\s+1\s+default\|default end-of-tier-deny/);
    const wide = await run('-o', 'wide');
    assert.match(wide.out, /PACKETS OUT\/IN/);
    assert.match(wide.out, /12\/8\s+800\/1800/);
    const denied = JSON.parse((await run('--action', 'deny', '-o', 'json')).out) as typeof list;
    assert.deepEqual(denied.items.map((i) => i['destPort']), [5432]);
    const byPolicy = JSON.parse((await run('--policy', 'shop/allow-web', '-o', 'json', '--since', '5m')).out) as typeof list;
    assert.equal(byPolicy.items.length, 1);
    assert.equal((JSON.parse((await run('-n', 'other', '-o', 'json')).out) as typeof list).items.length, 0);

    // --watch: the held records, then a new one as its window closes
    const io = fakeIo(files);
    const watching = main(['flows', '--kubeconfig', kc, '--watch', '-o', 'json', '--action', 'allow'], io);
    for (let i = 0; i < 200 && !io.out().includes('"destPort":80'); i++) await sleep(25);
    log.append([ev(Date.now(), { destPort: 8443 })]);
    for (let i = 0; i < 400 && !io.out().includes('"destPort":8443'); i++) await sleep(25);
    io.shutdown('SIGINT');
    assert.equal(await watching, 0, io.err());
    const lines = io.out().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(lines.map((l) => l['destPort']), [80, 8443]);

    const bad = await run('--action', 'drop');
    assert.equal(bad.code, 2);
    const none = fakeIo({});
    assert.equal(await main(['flows', '--data-dir', join(dir, 'nothing-here')], none), 1);
    assert.match(none.err(), /no running cluster in .*nothing-here/);
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
