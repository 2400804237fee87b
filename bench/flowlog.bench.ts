/**
 * @module Flow-log reader throughput (issue 17; root only): new connections logged per second
 * per core by the agent's reader — ulogd2 reading the NFLOG group, the FIFO, parsing, prefix
 * decoding through the rendered table, grouping, endpoint resolution and the JSON-lines file.
 * Goal: 20,000 new connections/s logged on one core.
 *
 * Two namespaces created here (unique names, 198.18.0.0/15 only, deleted in `finally`):
 * a client (198.18.210.2) and a "worker" (198.18.210.1) whose INPUT chain marks every new
 * connection with the flow-log NFLOG rule the renderer writes for an Allow rule of a real policy
 * (group 1, the prefix taken from the rendered table of a DesiredState whose pod is the worker's
 * address), then drops it (so nothing answers and nothing is kept in conntrack). The client sends
 * a burst of N UDP datagrams to N distinct ports: N new connections (some are lost before
 * netfilter when the veth backlog overflows; the NFLOG rule's packet counter says how many were
 * marked). The reader (`FlowReader`, as the agent runs it) must emit one event per marked one.
 *
 * Reported: events emitted / (CPU seconds of this process + of ulogd during the burst and the
 * drain), i.e. events per second on one core; the wall-clock rate; and how many were lost
 * (kernel buffer overruns ulogd reported, events missing).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlowEventLog, FlowReader } from '../src/agent/flows/index.js';
import { flowLogTable } from '../src/dataplane/render/index.js';
import { computeDesiredState, loadSnapshot } from '../src/engine/index.js';
import { createNetns, deleteNetns, inNetns, netnsSkipReason, nodeRunner, type CommandRunner } from '../src/sys/index.js';
import { cpuNow } from './cpu-clock.js';
import type { BenchResult } from './run.js';

const WORKER_IP = '198.18.210.1';
const CLIENT_IP = '198.18.210.2';
const BURST = Number(process.env['TABBY_FLOWLOG_BURST'] ?? 60_000);

async function must(r: CommandRunner, argv: string[]): Promise<string> {
  const x = await r.run({ argv, timeoutMs: 20_000 });
  if (x.code !== 0) throw new Error(`${argv.join(' ')} failed (${x.code}): ${x.stderr.trim()}`);
  return x.stdout;
}

/** utime + stime of a process, ms (from /proc; 0 when it is gone). */
function procCpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const tick = 100; // USER_HZ
    return ((Number(f[11]) + Number(f[12])) * 1000) / tick;
  } catch {
    return 0;
  }
}

const SENDER = `
import socket, sys
n = int(sys.argv[1]); s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(n):
    s.sendto(b'x', ('${WORKER_IP}', 1024 + (i % 64000)))
    if (i + 1) % 64000 == 0: s.close(); s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
`;

export async function run(): Promise<BenchResult[]> {
  const skip = await netnsSkipReason();
  if (skip !== undefined) {
    process.stderr.write(`flowlog bench skipped: ${skip}\n`);
    return [];
  }
  const created: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'tabby-flowlog-bench-'));
  let reader: FlowReader | undefined;
  try {
    const wk = await createNetns('tby-fl-wk');
    created.push(wk);
    const cli = await createNetns('tby-fl-cli');
    created.push(cli);
    const sfx = cli.slice(-6);
    const ip = (...a: string[]): Promise<string> => must(nodeRunner, ['ip', ...a]);
    await ip('-n', wk, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `flc${sfx}`);
    await ip('-n', wk, 'link', 'set', `flc${sfx}`, 'netns', cli, 'name', 'eth0');
    await ip('-n', wk, 'addr', 'add', `${WORKER_IP}/24`, 'dev', 'eth0');
    await ip('-n', cli, 'addr', 'add', `${CLIENT_IP}/24`, 'dev', 'eth0');
    await ip('-n', wk, 'link', 'set', 'eth0', 'up');
    await ip('-n', cli, 'link', 'set', 'eth0', 'up');
    const wkRunner = inNetns(nodeRunner, wk);

    // A real policy's rendered prefix: pod `bench/p` at the worker's address, allowed UDP.
    const docs = [
      { apiVersion: 'v1', kind: 'Node', metadata: { name: 'w1' } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } },
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'bench', labels: { app: 'p' } }, spec: { nodeName: 'w1' }, status: { podIP: WORKER_IP } },
      { apiVersion: 'projectcalico.org/v3', kind: 'NetworkPolicy', metadata: { name: 'allow-udp', namespace: 'bench' }, spec: { selector: "app == 'p'", ingress: [{ action: 'Allow', protocol: 'UDP' }] } },
    ];
    const { snapshot } = loadSnapshot(docs);
    const desired = computeDesiredState(snapshot, 'w1', undefined, { flowLogsDefault: true });
    const prefix = [...flowLogTable(desired).entries()].find(([, h]) => h.name === 'allow-udp' && h.action === 'allow')?.[0];
    if (prefix === undefined) throw new Error('no rendered prefix for the bench policy');
    await must(wkRunner, ['iptables', '-A', 'INPUT', '-p', 'udp', '-m', 'conntrack', '--ctstate', 'NEW', '-j', 'NFLOG', '--nflog-group', '1', '--nflog-prefix', prefix]);
    await must(wkRunner, ['iptables', '-A', 'INPUT', '-p', 'udp', '-j', 'DROP']);

    const sink = new FlowEventLog({ dir, node: 'w1', ringSize: 1000 });
    reader = new FlowReader({ node: 'w1', runner: wkRunner, sink, confDir: dir, desired: () => desired, snapshot: () => snapshot, holdMs: 200, flushMs: 100 });
    if (!(await reader.start())) throw new Error('the flow reader did not start (ulogd2 missing?)');
    await new Promise((r) => setTimeout(r, 300)); // ulogd binds its groups

    const cpu0 = cpuNow();
    const u0 = procCpuMs(reader.ulogdPid);
    const t0 = performance.now();
    const sender = spawn('ip', ['netns', 'exec', cli, '/usr/bin/python3', '-c', SENDER, String(BURST)], { stdio: 'ignore' });
    await new Promise<void>((res, rej) => {
      sender.on('exit', (c) => (c === 0 ? res() : rej(new Error(`sender exited ${c}`))));
      setTimeout(() => rej(new Error('sender did not finish in 60 s')), 60_000).unref();
    });
    const tSent = performance.now();
    // Drain: until every connection is emitted or nothing moved for 2 s (bounded at 60 s).
    let last = -1;
    let still = performance.now();
    while (performance.now() - t0 < 60_000) {
      await new Promise((r) => setTimeout(r, 50));
      const n = sink.counters.eventsEmitted;
      if (n !== last) {
        last = n;
        still = performance.now();
      } else if (performance.now() - still > 2000) break;
    }
    const tEnd = performance.now() - 2000;
    const nodeCpu = cpuNow() - cpu0;
    const ulogdCpu = procCpuMs(reader.ulogdPid) - u0;
    const events = sink.counters.eventsEmitted;
    // Packets that reached the NFLOG rule (the rest were lost before netfilter: the veth backlog).
    const counters = await must(wkRunner, ['iptables', '-L', 'INPUT', '-v', '-x', '-n']);
    const marked = Number(/^\s*(\d+)\s+\d+\s+NFLOG/m.exec(counters)?.[1] ?? NaN);
    const perCore = events / ((nodeCpu + ulogdCpu) / 1000);
    process.stderr.write(
      `flowlog: ${BURST} new connections sent in ${(tSent - t0).toFixed(0)} ms, ${marked} reached the NFLOG rule; ${events} events emitted in ${(tEnd - t0).toFixed(0)} ms; ` +
        `CPU: node ${nodeCpu.toFixed(0)} ms + ulogd ${ulogdCpu.toFixed(0)} ms; NFLOG lines read ${sink.counters.packetsRead}, repeats ${sink.counters.repeats}, kernel overruns ${sink.counters.kernelDropped}, rejected ${sink.counters.rejected}, pending dropped ${sink.counters.pendingDropped}\n`,
    );
    return [
      { name: 'flowlog: new connections logged per second per core (ulogd + reader CPU)', value: Math.round(perCore), unit: 'conn/s/core', goal: '>= 20000' },
      { name: 'flowlog: new connections logged per second (wall clock, burst to drained)', value: Math.round(events / ((tEnd - t0) / 1000)), unit: 'conn/s', goal: 'informational' },
      { name: 'flowlog: share of the NFLOG-marked connections emitted as events', value: Math.round((events / marked) * 1000) / 10, unit: '%', goal: '>= 99' },
      { name: 'flowlog: reader CPU per event (node only)', value: Math.round((nodeCpu * 1000) / Math.max(1, events)) / 1000, unit: 'ms/1000 events', goal: 'informational' },
    ];
  } finally {
    await reader?.stop().catch(() => undefined);
    for (const ns of created.reverse()) await deleteNetns(ns).catch((e: unknown) => process.stderr.write(`flowlog: ${String(e)}\n`));
    if (process.env['TABBY_FLOWLOG_KEEP'] === '1') process.stderr.write(`flowlog: kept ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}
