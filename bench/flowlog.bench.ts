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
 * The measured interval runs from the first datagram sent to the last event emitted, whatever its
 * length; CPU (this process, i.e. the reader, and ulogd) is sampled at each change of the emitted
 * count, so it covers the same interval. Reported, per agent (one reader + its ulogd): flow
 * events handled per second per core of CPU (events / CPU seconds; goal 20,000, the "new
 * connections/s logged on one core"), the wall-clock rate, the cores busy, the reader's RSS
 * growth and ulogd's peak RSS, and how many were lost (kernel buffer overruns ulogd reported,
 * events missing). On a loaded machine the wall-clock rate measures the scheduler too; the
 * per-core figure does not.
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

/** Peak resident set (VmHWM) of a process, KiB; 0 when it is gone. */
function procHwmKiB(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    return Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
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
    reader = new FlowReader({ node: 'w1', runner: wkRunner, sink, confDir: dir, desired: () => desired, snapshot: () => snapshot, holdMs: 200, flushMs: 100, log: (m) => process.stderr.write(`flowlog reader: ${m}\n`) });
    if (!(await reader.start())) throw new Error('the flow reader did not start (ulogd2 missing?)');
    await new Promise((r) => setTimeout(r, 300)); // ulogd binds its groups

    // The measured interval: from the first datagram sent to the last event emitted. The reader's
    // CPU (this process) and ulogd's are sampled at every change of the emitted count, so both
    // cover exactly that interval, however long the drain takes (no fixed window, no idle tail).
    const cpu0 = cpuNow();
    const u0 = procCpuMs(reader.ulogdPid);
    const rss0 = process.memoryUsage().rss;
    let rssPeak = rss0;
    const t0 = performance.now();
    const sender = spawn('ip', ['netns', 'exec', cli, '/usr/bin/python3', '-c', SENDER, String(BURST)], { stdio: 'ignore' });
    let sent = false;
    const senderDone = new Promise<void>((res, rej) => {
      sender.on('exit', (c) => (c === 0 ? res() : rej(new Error(`sender exited ${c}`))));
      setTimeout(() => rej(new Error('sender did not finish in 60 s')), 60_000).unref();
    }).then(() => void (sent = true));
    senderDone.catch(() => undefined); // awaited below; a failure is thrown there
    // Until the sender is done and every connection is emitted, or nothing moved for 2 s after it (bounded at 90 s).
    let last = 0;
    let at = { t: t0, node: cpu0, ulogd: u0 };
    let tSent = t0;
    while (performance.now() - t0 < 90_000) {
      // (a timer, never a race with the settled sender promise: that would spin in microtasks and starve the reader's I/O)
      await new Promise((r) => setTimeout(r, 50));
      if (sent && tSent === t0) tSent = performance.now();
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      const n = sink.counters.eventsEmitted;
      if (n !== last) {
        last = n;
        at = { t: performance.now(), node: cpuNow(), ulogd: procCpuMs(reader.ulogdPid) };
      } else if (sent && performance.now() - Math.max(at.t, tSent) > 2000) break;
    }
    await senderDone;
    const events = sink.counters.eventsEmitted;
    const wallMs = at.t - t0;
    const nodeCpu = at.node - cpu0;
    const ulogdCpu = at.ulogd - u0;
    const ulogdRssKiB = procHwmKiB(reader.ulogdPid);
    // Packets that reached the NFLOG rule (the rest were lost before netfilter: the veth backlog).
    const counters = await must(wkRunner, ['iptables', '-L', 'INPUT', '-v', '-x', '-n']);
    const marked = Number(/^\s*(\d+)\s+\d+\s+NFLOG/m.exec(counters)?.[1] ?? NaN);
    const cpuMs = nodeCpu + ulogdCpu;
    const perCore = events / (cpuMs / 1000);
    process.stderr.write(
      `flowlog: ${BURST} new connections sent in ${(tSent - t0).toFixed(0)} ms, ${marked} reached the NFLOG rule; ${events} events emitted over ${wallMs.toFixed(0)} ms (first sent → last emitted); ` +
        `CPU over that interval: node ${nodeCpu.toFixed(0)} ms + ulogd ${ulogdCpu.toFixed(0)} ms; RSS: node ${(rss0 / 2 ** 20).toFixed(0)} → peak ${(rssPeak / 2 ** 20).toFixed(0)} MiB, ulogd peak ${(ulogdRssKiB / 1024).toFixed(1)} MiB; ` +
        `NFLOG lines read ${sink.counters.packetsRead}, repeats ${sink.counters.repeats}, kernel overruns ${sink.counters.kernelDropped}, rejected ${sink.counters.rejected}, pending dropped ${sink.counters.pendingDropped}\n`,
    );
    return [
      { name: 'flowlog: flow events handled per second per agent, per core of CPU (ulogd + reader CPU, first sent → last emitted)', value: Math.round(perCore), unit: 'events/s/core', goal: '>= 20000' },
      { name: 'flowlog: flow events handled per second per agent (wall clock, first sent → last emitted)', value: Math.round(events / (wallMs / 1000)), unit: 'events/s', goal: 'informational' },
      { name: 'flowlog: agent CPU while handling them (ulogd + reader, cores busy over the interval)', value: Math.round((cpuMs / wallMs) * 100) / 100, unit: 'cores', goal: '<= 1' },
      { name: 'flowlog: share of the NFLOG-marked connections emitted as events', value: Math.round((events / marked) * 1000) / 10, unit: '%', goal: '>= 99' },
      { name: 'flowlog: reader CPU per event (node only)', value: Math.round((nodeCpu * 1000) / Math.max(1, events)) / 1000, unit: 'ms/1000 events', goal: 'informational' },
      { name: 'flowlog: reader process RSS growth during the burst (peak - before)', value: Math.round(((rssPeak - rss0) / 2 ** 20) * 10) / 10, unit: 'MiB', goal: 'informational' },
      { name: 'flowlog: ulogd peak RSS (VmHWM)', value: Math.round((ulogdRssKiB / 1024) * 10) / 10, unit: 'MiB', goal: 'informational' },
    ];
  } finally {
    await reader?.stop().catch(() => undefined);
    for (const ns of created.reverse()) await deleteNetns(ns).catch((e: unknown) => process.stderr.write(`flowlog: ${String(e)}\n`));
    if (process.env['TABBY_FLOWLOG_KEEP'] === '1') process.stderr.write(`flowlog: kept ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}
