/**
 * docs/flows.md is a test: every command of its ```sh blocks runs as printed against a real
 * `tabby server` (bin/tabby.ts under tsx, its own data dir and a free port, found through
 * TABBY_DATA_DIR as the page says), whose collector reads flow-log files written by the agents'
 * own writer (FlowEventLog) into the data dir's lab folder — the path the page describes. The
 * events are an allowed and a denied connection in namespace `shop` decided by `shop/allow-web`
 * and `shop/default-deny`. Checks per command: exit 0 and the records the filters promise
 * (`--watch` is stopped once it printed a row, as "Ctrl-C to stop" says); `kubectl get --raw`
 * with the server's admin kubeconfig returns a FlowList. Every wait is bounded; the server is
 * stopped and the directory removed even on failure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FlowEventLog } from '../../src/agent/flows/index.js';
import type { FlowEvent } from '../../src/model/flows.js';
import { freePorts } from '../support/etcd.js';
import { required } from '../support/tools.js';
import { bounded, docCommands, start, until } from '../support/doc-commands.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const DOC = join(ROOT, 'docs', 'flows.md');
const KUBECTL = '/usr/bin/kubectl';
const run = (cmd: string, args: readonly string[], env: NodeJS.ProcessEnv) => start(cmd === 'tabby' ? 'tabby' : KUBECTL, args, env);

/** The shell words of a doc line without its trailing `# comment` (single-quoted words kept whole). */
function words(line: string): string[] {
  const code = line.replace(/\s+#\s.*$/, '');
  return [...code.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

const event = (time: number, action: 'allow' | 'deny', name: string, ruleIndex: number): FlowEvent => ({
  time,
  node: 'worker-1',
  reporter: 'dst',
  source: { kind: 'wep', namespace: 'shop', name: 'client', ip: '198.18.1.2', labels: { app: 'client' } },
  dest: { kind: 'wep', namespace: 'shop', name: 'web', ip: '198.18.1.3', labels: { app: 'web' } },
  protocol: 'tcp',
  sourcePort: 40000 + ruleIndex,
  destPort: action === 'allow' ? 80 : 5432,
  action,
  enforced: [{ tier: 'default', kind: 'NetworkPolicy', namespace: 'shop', name, ruleIndex, direction: 'ingress', action }],
  pending: [],
  packetsOut: 3,
  bytesOut: 180,
  packetsIn: action === 'allow' ? 2 : 0,
  bytesIn: action === 'allow' ? 120 : 0,
});

test('docs/flows.md: every command runs as printed and shows what the page says', { skip: required(process.platform === 'linux' ? undefined : 'Linux only'), timeout: 240_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tabby-flowsdoc-'));
  const [port] = await freePorts(1);
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, TABBY_DATA_DIR: dir, KUBECONFIG: join(dir, 'admin.kubeconfig') };
  const server = run('tabby', ['server', '--data-dir', dir, '--port', String(port!)], env);
  try {
    await until('the server to listen', 60_000, () => {
      if (server.proc.exitCode !== null) assert.fail(`tabby server exited: ${server.out}`);
      return server.out.includes('listening on');
    });
    // Two events of now: their 15 s window is shown 5 s after its end (older ones would be late).
    const t = Date.now();
    new FlowEventLog({ dir: join(dir, 'lab'), node: 'worker-1' }).append([event(t, 'allow', 'allow-web', 0), event(t + 10, 'deny', 'default-deny', -1)]);
    const lines = docCommands(await readFile(DOC, 'utf8'));
    assert.ok(lines.filter((l) => l.startsWith('tabby flows')).length >= 5 && lines.some((l) => l.startsWith('kubectl ')), `the page has its commands: ${lines.join(' | ')}`);
    let first = true;
    for (const line of lines) {
      const [cmd, ...args] = words(line);
      assert.ok(cmd === 'tabby' || cmd === 'kubectl', `a command of the page: ${line}`);
      if (args.includes('--watch')) {
        const w = run(cmd!, args, env);
        try {
          await until(`${line} to print a record`, 60_000, () => {
            if (w.proc.exitCode !== null) assert.fail(`${line} exited ${w.proc.exitCode}: ${w.out}`);
            return /allow-web/.test(w.out);
          });
        } finally {
          w.proc.kill('SIGINT');
          await bounded(w.done, 20_000, line).catch(() => w.proc.kill('SIGKILL'));
        }
        continue;
      }
      let r = run(cmd!, args, env);
      let code = await bounded(r.done, 60_000, line);
      // The first command may come before the collector read the file: wait for the window.
      if (first) {
        await until('the records to be shown', 60_000, async () => {
          if (code === 0 && /allow-web/.test(r.out) && /default-deny/.test(r.out)) return true;
          r = run(cmd!, args, env);
          code = await bounded(r.done, 60_000, line);
          return false;
        });
        first = false;
      }
      assert.equal(code, 0, `${line}\n${r.out}`);
      if (line.includes('--action deny')) {
        assert.match(r.out, /default-deny/, line);
        assert.doesNotMatch(r.out, /allow-web/, `${line}: only denied flows`);
      } else if (line.includes('--policy shop/allow-web')) {
        const list = JSON.parse(r.out) as { kind: string; items: { action: string; enforced: { name: string }[] }[] };
        assert.equal(list.kind, 'FlowList', line);
        assert.equal(list.items.length, 1, `${line}: one record names shop/allow-web`);
        assert.equal(list.items[0]!.enforced[0]!.name, 'allow-web');
      } else if (line.includes('--namespace shop') || line === 'tabby flows' || /^tabby flows\s+#/.test(line)) {
        assert.match(r.out, /allow-web/, line);
        assert.match(r.out, /default-deny/, line);
      } else if (cmd === 'kubectl' && args[0] === 'get' && args[1] === 'flows') {
        // kubectl's own printing of the server's Table: the columns, both records of namespace shop
        assert.match(r.out, /^(NAMESPACE\s+)?NAME\s+REPORTER\s+SOURCE\s+DESTINATION\s+PORT\s+ACTION\s+CONNECTIONS\s+POLICY\s+PENDING\s+AGE/, line);
        if (args.includes('wide')) assert.match(r.out, /\s+NODES\s+PACKETS\s+BYTES\s+ENFORCED\n/, line);
        assert.match(r.out, /allow-web/, line);
        assert.match(r.out, /default-deny/, line);
      } else if (cmd === 'kubectl') {
        const list = JSON.parse(r.out) as { kind: string; items: { action: string }[] };
        assert.equal(list.kind, 'FlowList', line);
        if (line.includes('action=deny')) assert.deepEqual(list.items.map((i) => i.action), ['deny'], line);
        else assert.equal(list.items.length, 2, `${line}: both records of namespace shop`);
      }
    }
  } finally {
    server.proc.kill('SIGTERM');
    await bounded(server.done, 20_000, 'stopping the server').catch(() => server.proc.kill('SIGKILL'));
    await rm(dir, { recursive: true, force: true });
  }
});
