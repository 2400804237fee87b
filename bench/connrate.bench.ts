/**
 * @module New-TCP-connection rate through a worker with 1,000 policies vs with none (root only).
 * Goal (issue 6): the rate with 1,000 policies is at least 90% of the rate with none.
 *
 * Topology, per phase, in three network namespaces created here (unique names, 198.18.0.0/15
 * only, all deleted in `finally`; nothing is added to the root namespace):
 *
 *   client ns 198.18.200.2 ──veth── worker ns (forwards) ──veth `cali…`── pod ns 198.18.201.2
 *
 * The worker's pod-side interface is named as Calico's CNI names it (`workloadInterfaceName`),
 * so the rendered dispatch chains match it. The real Tabby dataplane is rendered and applied in
 * the worker namespace by an `AgentLoop` (compute → render → the dataplane driver: ipsets →
 * raw/mangle/filter → ipset removals, exactly the agent's apply), from a snapshot of:
 * (a) the pod, its namespace and 200 other pods (20 of them on this worker), no policies;
 * (b) the same plus 1,000 policies, in two variants: M = 5 or M = 50 of them select the pod
 *     (NetworkPolicies and GlobalNetworkPolicies alternately, orders 1..M), each with rules that
 *     do not match the flow (other ports, other source selectors, a Deny of another port), and
 *     the last one allowing TCP 8080 from the client's /24; the other 1,000 - M (namespaced
 *     NetworkPolicies and 50 GlobalNetworkPolicies) select other apps and namespaces (selectors
 *     and nets as IP sets); about 500 of them select the 20 other pods on this worker, so they
 *     are programmed there too. Each new connection's SYN walks all M matching policies before
 *     it is allowed: M = 50 is a deliberately long path, M = 5 a more usual one.
 * Phase (b) is checked to enforce: a port no policy allows (8081) must be blocked, while it is
 * open in phase (a). The log line of each (b) variant says how many of the pod's policy jumps
 * carry a prefilter (src/dataplane/render/prefilter.ts: the jump is taken only for a
 * (source, protocol, port) some rule of the policy could match).
 *
 * Measurement: each phase — (a), b5, b50, then (a) and b50 again with flow logs on (the NFLOG
 * marks at each new connection's verdicts, flow-log.ts; otherwise off, as with
 * FelixConfiguration's defaults) — has its own stack of namespaces, programmed once, so no
 * reprogramming happens between measurements. Each pod runs a TCP server (accepts, then
 * closes); in each phase's client namespace two client processes run 48 concurrent connect →
 * close loops each (closing with RST, so no TIME_WAIT state piles up), time-sliced: the phases
 * take 100 ms turns, round robin, 40 turns each per round, 5 rounds. Turns this short put the
 * machine's background load (it is shared) on every phase alike; in a round each phase has 4 s.
 * The rates reported are means; the ratio is the median over rounds of b / a of the same round.
 * Node's per-connection cost is part of every figure (the same in all phases), so the ratio
 * understates the kernel's share of the difference: the absolute rates are reported too.
 *
 * The pod's chain dispatches by (address, protocol, port) class (render/classes.ts): on nft
 * through one verdict map, on iptables through a search tree of goto chains
 * (render/class-tree.ts); the log line says how big the map or trees are, how many tree rules
 * the measured flow walks, and how many policy chains its class chain jumps into.
 *
 * Each dataplane backend is measured in its own fresh namespaces: `connrate:` is the default
 * (iptables through the system's `iptables`, which on Debian is iptables-nft, plus ipsets),
 * `connrate [iptables-legacy]:` the legacy xtables kernel path, `connrate [nft]:` Tabby's
 * native nftables backend (`tabby agent --dataplane nft`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { AgentLoop, type SyncSource } from '../src/agent/loop.js';
import { createDriver } from '../src/dataplane/driver-factory.js';
import type { DataplaneDriver } from '../src/dataplane/driver.js';
import type { Chain, MatchCriterion } from '../src/dataplane/model.js';
import { loadSnapshot, workloadInterfaceName, type Snapshot } from '../src/engine/index.js';
import { PREFIX, workloadChainName } from '../src/dataplane/render/index.js';
import { effectiveFelixConfig } from '../src/model/calico/felix-configuration.js';
import { createNetns, deleteNetns, inNetns, netnsSkipReason, nodeRunner, realClock, type CommandRunner } from '../src/sys/index.js';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  goal: string;
}

export const NODE = 'bench-worker';
const POD_NS = 'bench';
const POD = 'server';
const CLIENT_IP = '198.18.200.2';
const WORKER_CLIENT_SIDE = '198.18.200.1';
const POD_IP = '198.18.201.2';
const WORKER_POD_SIDE = '198.18.201.1';
const PORT = 8080;
const BLOCKED_PORT = 8081;
/** Each phase's share of a round: CYCLES slots of SLOT_MS (4 s). */
const SLOT_MS = 100;
const CYCLES = 40;
const ROUNDS = 5;
const CLIENTS = 2;
const CONCURRENCY = 48;
/** How many of the 1,000 policies select the pod, per (b) variant. */
const MATCHING = [5, 50];

async function must(runner: CommandRunner, argv: string[]): Promise<string> {
  const r = await runner.run({ argv, timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`${argv.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

const pod = (ns: string, name: string, ip: string, labels: Record<string, string>, node = NODE): unknown => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, labels },
  spec: { nodeName: node, containers: [{ name: 'c', ports: [{ containerPort: PORT }] }] },
  status: { podIP: ip },
});

export function baseObjects(): unknown[] {
  const out: unknown[] = [];
  for (const ns of [POD_NS, 'team-a', 'team-b', 'team-c']) out.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { team: ns } } });
  out.push(pod(POD_NS, POD, POD_IP, { app: 'server', tier: 'backend' }));
  // Other pods, so selectors have members (IP sets of realistic size); the first 20 share the
  // worker (their chains are rendered, and the policies selecting them programmed, though their
  // interfaces do not exist here), the rest are on other nodes.
  for (let i = 0; i < 200; i++) {
    const ns = ['team-a', 'team-b', 'team-c', POD_NS][i % 4]!;
    out.push(pod(ns, `p${i}`, `198.19.${Math.floor(i / 250)}.${(i % 250) + 1}`, { app: `app${i % 40}`, role: i % 2 === 0 ? 'web' : 'worker' }, i < 20 ? NODE : `other-${i % 5}`));
  }
  return out;
}

const tcp = (ports: (number | string)[]): { protocol: string; destination: { ports: (number | string)[] } } => ({ protocol: 'TCP', destination: { ports } });

/** 1,000 policies; `matching` of them select the pod (see the module doc). */
export function policies(matching: number): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < 950 - matching; i++) {
    const ns = ['team-a', 'team-b', 'team-c', POD_NS][i % 4]!;
    out.push({
      apiVersion: 'projectcalico.org/v3',
      kind: 'NetworkPolicy',
      metadata: { name: `np-${i}`, namespace: ns },
      spec: {
        order: 100 + i,
        selector: `app == 'app${i % 40}'`,
        types: ['Ingress', 'Egress'],
        ingress: [
          { action: 'Allow', ...tcp([80 + (i % 20), 443]), source: { selector: `role == 'web'` } },
          { action: 'Allow', ...tcp([9000 + i]), source: { nets: [`10.${i % 256}.0.0/16`] } },
        ],
        egress: [{ action: 'Allow', ...tcp([5432]), destination: { selector: `app == 'app${(i + 1) % 40}'`, ports: [5432] } }],
      },
    });
  }
  for (let i = 0; i < 50; i++) {
    out.push({
      apiVersion: 'projectcalico.org/v3',
      kind: 'GlobalNetworkPolicy',
      metadata: { name: `gnp-other-${i}` },
      spec: {
        order: 200 + i,
        selector: `role == 'db-${i}'`,
        ingress: [{ action: 'Allow', ...tcp([3306]), source: { namespaceSelector: `team == 'team-a'` } }],
      },
    });
  }
  // The 50 that apply to the pod: rules that do not match the flow, then (last policy) the allow.
  for (let i = 0; i < matching; i++) {
    const rules: unknown[] = [
      { action: 'Deny', ...tcp([7000 + i]) },
      { action: 'Allow', ...tcp([PORT]), source: { selector: `app == 'app${i % 40}'` } },
      { action: 'Allow', ...tcp([6000 + i, '6100:6200']), source: { nets: [`10.${i}.0.0/16`, `172.16.${i}.0/24`] } },
    ];
    if (i === matching - 1) rules.push({ action: 'Allow', ...tcp([PORT]), source: { nets: [`${CLIENT_IP.replace(/\.\d+$/, '.0')}/24`] } });
    const spec = { order: i + 1, selector: i % 2 === 0 ? `app == 'server'` : `tier == 'backend'`, types: ['Ingress'], ingress: rules };
    out.push(
      i % 2 === 0
        ? { apiVersion: 'projectcalico.org/v3', kind: 'NetworkPolicy', metadata: { name: `np-server-${i}`, namespace: POD_NS }, spec }
        : { apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name: `gnp-server-${i}` }, spec: { ...spec, selector: `${spec.selector} && projectcalico.org/namespace == '${POD_NS}'` } },
    );
  }
  return out;
}

function snapshotOf(objs: unknown[]): Snapshot {
  const r = loadSnapshot(objs);
  if (r.invalid.length > 0) throw new Error(`bench objects invalid: ${JSON.stringify(r.invalid.slice(0, 3))}`);
  return r.snapshot;
}

const _ip4 = (s: string): number => s.split('.').reduce((a, x) => a * 256 + Number(x), 0);

/** Walks an iptables class tree (render/class-tree.ts) for the measured flow (TCP from the client to PORT): its end and the rules evaluated. */
function _walkTree(chains: ReadonlyMap<string, Chain>, root: string): { end: string; rules: number; chains: number } {
  const holds = (m: MatchCriterion): boolean => {
    switch (m.kind) {
      case 'protocol':
        return m.protocol === 'tcp';
      case 'dstPorts':
        return m.ports.some((r) => r.first <= PORT && PORT <= r.last);
      case 'srcNet': {
        const [a, len] = m.cidr.split('/');
        const bits = 32 - Number(len ?? 32);
        return Math.floor(_ip4(a!) / 2 ** bits) === Math.floor(_ip4(CLIENT_IP) / 2 ** bits);
      }
      case 'addrRange':
        return _ip4(m.first) <= _ip4(CLIENT_IP) && _ip4(CLIENT_IP) <= _ip4(m.last);
      default:
        throw new Error(`unexpected ${m.kind} in a class tree`);
    }
  };
  let at = root;
  let rules = 0;
  let n = 0;
  while (at.startsWith(PREFIX.classTree) && n < 100) {
    n++;
    const hit = (chains.get(at)?.rules ?? []).find((r) => (rules++, r.match.every(holds)));
    if (hit?.action.kind !== 'goto') throw new Error(`class tree chain ${at} has no goto for the flow`);
    at = hit.action.chain;
  }
  return { end: at, rules, chains: n };
}

/** A node script: the TCP server (in the pod) or a client loop (in the client namespace). */
const SERVER_JS = `
const net = require('net');
for (const port of [${PORT}, ${BLOCKED_PORT}]) {
  const s = net.createServer((c) => { c.on('error', () => {}); c.destroy(); });
  s.on('error', (e) => { console.error(String(e)); process.exit(1); });
  s.listen({ port, host: '0.0.0.0', backlog: 4096 }, () => { if (port === ${BLOCKED_PORT}) console.log('ready'); });
}
process.stdin.on('end', () => process.exit(0)); process.stdin.resume();
`;

/**
 * A client process: CONCURRENCY connect → close (RST) loops, time-sliced: it waits for the start
 * time on stdin, then opens connections only in its own slots (slot s is phase s mod n; round
 * r holds the slots of cycles r·CYCLES…), counting per round the connections completed that it
 * started in that round's slots.
 */
const CLIENT_JS = `
const net = require('net');
const [host, port, conc, k, n, slotMs, cycles, rounds] = process.argv.slice(1).map((x, i) => i === 0 ? x : Number(x));
const done = new Array(rounds).fill(0);
let errors = 0, t0 = 0;
const slots = n * cycles * rounds;
const mine = (s) => s >= 0 && s < slots && s % n === k;
const loop = () => {
  const s = Math.floor((Date.now() - t0) / slotMs);
  if (!mine(s)) return;
  const round = Math.floor(s / (n * cycles));
  const c = net.connect({ host, port });
  c.on('connect', () => { done[round]++; c.resetAndDestroy(); loop(); });
  c.on('error', () => { errors++; c.destroy(); setTimeout(loop, 5); });
};
process.stdin.once('data', (b) => {
  t0 = Number(String(b).trim());
  for (let s = k; s < slots; s += n) setTimeout(() => { for (let i = 0; i < conc; i++) loop(); }, Math.max(0, t0 + s * slotMs - Date.now()));
  setTimeout(() => { console.log(JSON.stringify({ done, errors })); process.exit(0); }, Math.max(0, t0 + slots * slotMs + 1000 - Date.now()));
});
process.stdin.resume();
console.log('ready');
`;

/** Whether a TCP connect to POD_IP:port from the client namespace succeeds within 500 ms. */
async function canConnect(clientNs: string, port: number): Promise<boolean> {
  const js = `const s=require('net').connect({host:'${POD_IP}',port:${port}});s.on('connect',()=>{console.log('open');process.exit(0)});s.on('error',()=>{console.log('closed');process.exit(0)});setTimeout(()=>{console.log('closed');process.exit(0)},500);`;
  const out = await must(inNetns(nodeRunner, clientNs), [process.execPath, '-e', js]);
  return out.trim() === 'open';
}

/** The dataplanes measured: the default (iptables through the system's iptables, with ipsets) first. */
type Backend = 'iptables' | 'iptables-legacy' | 'nft';
const BACKENDS: readonly Backend[] = ['iptables', 'iptables-legacy', 'nft'];
const _label = (b: Backend): string => (b === 'iptables' ? 'connrate' : `connrate [${b}]`);

export async function run(): Promise<BenchResult[]> {
  const skip = await netnsSkipReason();
  if (skip !== undefined) {
    process.stderr.write(`connrate bench skipped: ${skip}\n`);
    return [];
  }
  const out: BenchResult[] = [];
  for (const b of BACKENDS) {
    if (b === 'iptables-legacy' && (await nodeRunner.run({ argv: ['sh', '-c', 'command -v iptables-legacy-restore'], timeoutMs: 5_000 })).code !== 0) {
      process.stderr.write('connrate: iptables-legacy is not installed; that variant is skipped\n');
      continue;
    }
    out.push(...(await _runBackend(b)));
  }
  return out;
}

/** One phase's stack: client, worker and pod namespaces, the pod's server, and the worker's dataplane. */
interface _Stack {
  cli: string;
  server?: ChildProcess;
  driver?: DataplaneDriver;
}

/** Creates one client → worker → pod stack (namespaces recorded in `created` for cleanup) with its server running. */
async function _stack(created: string[], st: _Stack): Promise<{ wkRunner: CommandRunner }> {
  const cli = await createNetns('tby-cr-cli');
  created.push(cli);
  st.cli = cli;
  const wk = await createNetns('tby-cr-wk');
  created.push(wk);
  const podNs = await createNetns('tby-cr-pod');
  created.push(podNs);
  const iface = workloadInterfaceName(POD_NS, POD);
  const sfx = cli.slice(-6);
  const ip = (...a: string[]): Promise<string> => must(nodeRunner, ['ip', ...a]);
  // veth pairs are created in the worker namespace and one end moved: nothing in the root ns.
  await ip('-n', wk, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `crc${sfx}`);
  await ip('-n', wk, 'link', 'set', `crc${sfx}`, 'netns', cli, 'name', 'eth0');
  await ip('-n', wk, 'link', 'add', iface, 'type', 'veth', 'peer', 'name', `crp${sfx}`);
  await ip('-n', wk, 'link', 'set', `crp${sfx}`, 'netns', podNs, 'name', 'eth0');
  await ip('-n', cli, 'addr', 'add', `${CLIENT_IP}/24`, 'dev', 'eth0');
  await ip('-n', cli, 'link', 'set', 'eth0', 'up');
  await ip('-n', cli, 'route', 'add', 'default', 'via', WORKER_CLIENT_SIDE);
  await ip('-n', wk, 'addr', 'add', `${WORKER_CLIENT_SIDE}/24`, 'dev', 'eth0');
  await ip('-n', wk, 'addr', 'add', `${WORKER_POD_SIDE}/24`, 'dev', iface);
  await ip('-n', wk, 'link', 'set', 'eth0', 'up');
  await ip('-n', wk, 'link', 'set', iface, 'up');
  await ip('-n', podNs, 'addr', 'add', `${POD_IP}/24`, 'dev', 'eth0');
  await ip('-n', podNs, 'link', 'set', 'eth0', 'up');
  await ip('-n', podNs, 'route', 'add', 'default', 'via', WORKER_POD_SIDE);
  const wkRunner = inNetns(nodeRunner, wk);
  await must(wkRunner, ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
  await must(inNetns(nodeRunner, cli), ['sysctl', '-q', '-w', 'net.ipv4.ip_local_port_range=10000 65000']);
  const server = spawn('ip', ['netns', 'exec', podNs, process.execPath, '-e', SERVER_JS], { stdio: ['pipe', 'pipe', 'inherit'] });
  st.server = server;
  await new Promise<void>((resolve, reject) => {
    server.stdout!.on('data', (b: Buffer) => (b.toString().includes('ready') ? resolve() : undefined));
    server.on('exit', (c) => reject(new Error(`server exited ${c}`)));
    setTimeout(() => reject(new Error('server not ready in 10 s')), 10_000);
  });
  return { wkRunner };
}

/**
 * Every phase measured in the same rounds, time-sliced: client processes in every phase's
 * client namespace, started once; in each cycle each phase has one SLOT_MS slot in turn, and its
 * clients open connections only in their own slots. Returns, per phase, per round, the rate
 * (connections/s over the phase's slots of the round).
 */
async function _measureInterleaved(clis: readonly string[]): Promise<number[][]> {
  const n = clis.length;
  const procs: { proc: ChildProcess; out: string; phase: number }[] = [];
  try {
    for (let k = 0; k < n; k++)
      for (let c = 0; c < CLIENTS; c++) {
        const argv = ['netns', 'exec', clis[k]!, process.execPath, '-e', CLIENT_JS, POD_IP, String(PORT), String(CONCURRENCY), String(k), String(n), String(SLOT_MS), String(CYCLES), String(ROUNDS)];
        const proc = spawn('ip', argv, { stdio: ['pipe', 'pipe', 'inherit'] });
        procs.push({ proc, out: '', phase: k });
      }
    const ready = procs.map(
      (p) =>
        new Promise<void>((resolve, reject) => {
          p.proc.stdout!.on('data', (b: Buffer) => {
            p.out += b.toString();
            if (p.out.includes('ready')) resolve();
          });
          p.proc.on('exit', (c) => reject(new Error(`client exited ${c} before it was ready`)));
          setTimeout(() => reject(new Error('client not ready in 30 s')), 30_000);
        }),
    );
    await Promise.all(ready);
    const totalMs = n * SLOT_MS * CYCLES * ROUNDS;
    const t0 = Date.now() + 500;
    const exits = procs.map((p) => once(p.proc, 'exit'));
    for (const p of procs) p.proc.stdin!.end(`${t0}\n`);
    const timeout = setTimeout(() => procs.forEach((p) => p.proc.kill('SIGKILL')), totalMs + 30_000);
    await Promise.all(exits);
    clearTimeout(timeout);
    const rates = Array.from({ length: n }, () => new Array<number>(ROUNDS).fill(0));
    for (const p of procs) {
      if (p.proc.exitCode !== 0) throw new Error(`client exited ${p.proc.exitCode}`);
      const line = p.out.split('\n').find((l) => l.startsWith('{'));
      if (line === undefined) throw new Error(`client printed no result: ${p.out.trim()}`);
      const o = JSON.parse(line) as { done: number[]; errors: number };
      for (let r = 0; r < ROUNDS; r++) rates[p.phase]![r]! += (o.done[r]! * 1000) / (SLOT_MS * CYCLES);
    }
    for (let k = 0; k < n; k++) if (rates[k]!.some((x) => x === 0)) throw new Error(`phase ${k}: a round completed no connection`);
    return rates;
  } finally {
    for (const p of procs) if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGKILL');
  }
}

/** One dataplane backend: each phase in its own three fresh namespaces (so no phase or backend sees another's rules). */
async function _runBackend(backend: Backend): Promise<BenchResult[]> {
  const L = _label(backend);
  const created: string[] = [];
  const iface = workloadInterfaceName(POD_NS, POD);
  // Phases: no policies, each MATCHING variant, then no policies and the largest variant with
  // flow logs on (the NFLOG marks at each new connection's verdicts: their cost, same run).
  const top = MATCHING[MATCHING.length - 1]!;
  const phases: { key: string; m: number; flowLogs: boolean }[] = [
    { key: '0', m: 0, flowLogs: false },
    ...MATCHING.map((m) => ({ key: String(m), m, flowLogs: false })),
    { key: '0+fl', m: 0, flowLogs: true },
    { key: `${top}+fl`, m: top, flowLogs: true },
  ];
  const stacks: _Stack[] = phases.map(() => ({ cli: '' }));
  try {
    const none = snapshotOf(baseObjects());
    const snaps = new Map<number, Snapshot>([[0, none]]);
    for (const m of MATCHING) {
      const pols = policies(m);
      if (pols.length !== 1000) throw new Error(`expected 1,000 policies, built ${pols.length}`);
      snaps.set(m, snapshotOf([...baseObjects(), ...pols]));
    }
    const clock = realClock;
    for (const [k, p] of phases.entries()) {
      const st = stacks[k]!;
      const { wkRunner } = await _stack(created, st);
      // The agent's apply, in the phase's worker namespace, through the backend being measured.
      // Flow logs (Felix FlowLogsEnabled) are off unless FelixConfiguration turns them on.
      st.driver = createDriver({ kind: backend === 'nft' ? 'nft' : 'iptables', runner: wkRunner, clock, ...(backend === 'iptables-legacy' ? { iptablesBackend: 'legacy' as const } : {}) });
      const snap = snaps.get(p.m)!;
      const source: SyncSource = { inSync: true, revision: '1', snapshot: () => snap, felixConfig: () => effectiveFelixConfig() };
      const loop = new AgentLoop({ node: NODE, source, driver: st.driver, clock, ...(p.flowLogs ? { flowLogsDefault: true } : {}) });
      const r = await loop.applyOnce();
      const d = loop.lastRendered!;
      const open = await canConnect(st.cli, PORT);
      const blocked = !(await canConnect(st.cli, BLOCKED_PORT));
      if (p.m === 0) {
        if (!open || blocked) throw new Error(`phase (a)${p.flowLogs ? ' with flow logs' : ''}: the pod is not reachable on both ports`);
        continue;
      }
      if (!open) throw new Error(`phase (b, ${p.m} matching): the allowed port is not reachable`);
      if (!blocked) throw new Error(`phase (b, ${p.m} matching): port ${BLOCKED_PORT} is reachable: the policies are not enforced`);
      if (r.policies.length < 450) throw new Error(`expected at least 450 policies programmed on the worker, got ${r.policies.length}`);
      // The pod's ingress chain: how many jumps into policy chains carry a prefilter (render/prefilter.ts),
      // and its class dispatch (render/classes.ts): the nft map, or the iptables trees and the flow's path through them.
      const tw = d.filter.chains.find((c) => c.name === workloadChainName('ingress', iface));
      const jumps = (tw?.rules ?? []).filter((x) => x.action.kind === 'jump' && x.action.chain.startsWith(PREFIX.policyInbound));
      const prefiltered = jumps.filter((x) => x.match.some((m) => m.kind !== 'mark')).length;
      const map = tw?.rules.find((x) => x.action.kind === 'classMap')?.action;
      const policyJumps = (c: Chain | undefined): number => (c?.rules ?? []).filter((x) => x.action.kind === 'jump' && x.action.chain.startsWith(PREFIX.policyInbound)).length;
      let classes = 'no class dispatch';
      if (map?.kind === 'classMap') {
        const hit = map.entries.find((e) => e.protocol === 'tcp' && e.ports.first <= PORT && PORT <= e.ports.last && _ip4(e.first) <= _ip4(CLIENT_IP) && _ip4(CLIENT_IP) <= _ip4(e.last));
        const cc = hit === undefined ? tw : d.filter.chains.find((c) => c.name === hit.chain);
        classes = `class map of ${map.entries.length} entries; the measured flow's class chain jumps into ${policyJumps(cc)} policy chain(s)`;
      }
      const toTree = tw?.rules.find((x) => x.action.kind === 'goto' && x.action.chain.startsWith(PREFIX.classTree))?.action;
      if (toTree?.kind === 'goto') {
        const byName = new Map(d.filter.chains.map((c) => [c.name, c]));
        const walked = _walkTree(byName, toTree.chain);
        const trees = d.filter.chains.filter((c) => c.name.startsWith(PREFIX.classTree));
        classes = `class trees: ${trees.length} chains, ${trees.reduce((n, c) => n + c.rules.length, 0)} rules (all endpoints); the measured flow walks ${walked.rules} tree rules in ${walked.chains} chains to a class chain that jumps into ${policyJumps(byName.get(walked.end))} policy chain(s)`;
      }
      const chains = d.filter.chains.length + d.raw.chains.length + d.mangle.chains.length;
      process.stderr.write(
        `${L}: (b${p.flowLogs ? ', flow logs on' : ''}) 1,000 policies, ${p.m} selecting the pod, ${r.policies.length} programmed on the worker (the rest select no local pod), ${chains} chains, ${d.ipSets.length} IP sets; the pod's ingress chain jumps into ${jumps.length} policy chains, ${prefiltered} of them behind a prefilter; ${classes}\n`,
      );
    }

    const all = await _measureInterleaved(stacks.map((st) => st.cli));
    const rates = new Map<string, number[]>(phases.map((p, k) => [p.key, all[k]!]));
    for (const p of phases)
      process.stderr.write(`${L}: ${p.m === 0 ? 'no policies' : `${p.m} selecting the pod`}${p.flowLogs ? ' (flow logs on)' : ''}: ${rates.get(p.key)!.map(Math.round).join(', ')} connections/s\n`);
    const mean = (xs: number[]): number => xs.reduce((x, y) => x + y, 0) / xs.length;
    const median = (xs: number[]): number => {
      const t = [...xs].sort((x, y) => x - y);
      const mid = Math.floor(t.length / 2);
      return t.length % 2 === 1 ? t[mid]! : (t[mid - 1]! + t[mid]!) / 2;
    };
    const base = rates.get('0')!;
    const results: BenchResult[] = [{ name: `${L}: new TCP connections/s through a worker, no policies (mean)`, value: Math.round(mean(base)), unit: 'conn/s', goal: 'informational' }];
    for (const m of MATCHING) {
      const xs = rates.get(String(m))!;
      // Each round's (b) against the same round's (a), measured seconds apart; the median of
      // the per-round ratios resists a burst of load from other work on the machine.
      const ratios = xs.map((x, k) => (100 * x) / base[k]!);
      process.stderr.write(`${L}: ${m} selecting the pod: per-round ratios ${ratios.map((r) => r.toFixed(1)).join(', ')} %\n`);
      results.push({ name: `${L}: new TCP connections/s, 1,000 policies, ${m} selecting the pod (mean)`, value: Math.round(mean(xs)), unit: 'conn/s', goal: 'informational' });
      results.push({ name: `${L}: rate with 1,000 policies (${m} selecting the pod) / rate with none, median of ${ROUNDS} rounds`, value: Math.round(10 * median(ratios)) / 10, unit: '%', goal: '>= 90' });
    }
    // Flow logs on vs off, same rounds: the NFLOG marks' cost with no policies and with the largest variant.
    const flBase = rates.get('0+fl')!;
    const flTop = rates.get(`${top}+fl`)!;
    const r1 = flBase.map((x, k) => (100 * x) / base[k]!);
    const r2 = flTop.map((x, k) => (100 * x) / rates.get(String(top))![k]!);
    const r3 = flTop.map((x, k) => (100 * x) / flBase[k]!);
    process.stderr.write(`${L}: flow logs on / off, no policies: ${r1.map((r) => r.toFixed(1)).join(', ')} %; ${top} selecting: ${r2.map((r) => r.toFixed(1)).join(', ')} %\n`);
    results.push({ name: `${L}: flow logs on / off, no policies, median of ${ROUNDS} rounds`, value: Math.round(10 * median(r1)) / 10, unit: '%', goal: 'informational' });
    results.push({ name: `${L}: flow logs on / off, 1,000 policies (${top} selecting the pod), median of ${ROUNDS} rounds`, value: Math.round(10 * median(r2)) / 10, unit: '%', goal: 'informational' });
    results.push({ name: `${L}: flow logs on: rate with 1,000 policies (${top} selecting) / rate with none, median of ${ROUNDS} rounds`, value: Math.round(10 * median(r3)) / 10, unit: '%', goal: 'informational' });
    return results;
  } finally {
    for (const st of stacks) {
      await st.driver?.close();
      const server = st.server;
      if (server !== undefined && server.exitCode === null) {
        server.stdin?.end();
        const t = setTimeout(() => server.kill('SIGKILL'), 2000);
        await once(server, 'exit').catch(() => undefined);
        clearTimeout(t);
      }
    }
    for (const ns of created.reverse()) await deleteNetns(ns);
  }
}
