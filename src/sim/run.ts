/**
 * @module runSim: the scale simulation (issue 19). It starts real API servers (`runServer`, the
 * code of `tabby server`, each in its own process so /proc measures it alone) on the embedded
 * SQLite datastore or on a 3-member etcd, loads the scenario (scenario.ts) through the REST API,
 * starts N simulated nodes packed into worker processes (worker.ts: a real agent per node with
 * its own token and watch connections, programming a RecordingDriver), then churns pods at a set
 * rate and measures:
 *
 * - start of day per node (agent start → first programming, all nodes starting together) and of
 *   one node starting alone into the loaded cluster;
 * - propagation: from a write (sent; its resourceVersion R) until the last node has programmed a
 *   revision ≥ R (every node: the agents read every change), p50/p99/max;
 * - watcher lag: from the write until the last node's pods watch delivered R;
 * - the API servers' (and etcd's) CPU and RSS from /proc, per connected node; bytes received on
 *   the watch connections per change; the agents' CPU per change per node.
 *
 * Every wait is bounded; every process and directory it made is removed on the way out, also on
 * failure.
 */
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { engineResourceTypes } from '../agent/syncer.js';
import type { TokenUser } from '../apiserver/auth.js';
import { ResourceClient } from '../client/index.js';
import { openEtcdDatastore, openSqliteDatastore } from '../datastore/index.js';
import { KubeDatastore } from '../datastore/kube/index.js';
import { RecordingDriver } from '../dataplane/record/driver.js';
import { render } from '../dataplane/render/index.js';
import { computeDesiredState, loadSnapshot } from '../engine/index.js';
import { forkEntry, nextMessage, stopChild } from './child.js';
import { startEtcd, type SimEtcd } from './etcd.js';
import { SimClient, type WriteResult } from './load.js';
import { dist, procSample, type Dist, type ProcSample } from './proc.js';
import { Churn, namespaces, nodeName, nodes, pod, podLabels, policy, type ScenarioSize } from './scenario.js';

export interface SimOptions {
  readonly nodes: number;
  readonly endpoints: number;
  readonly policies: number;
  /** Default min(100, endpoints). */
  readonly namespaces?: number;
  /** Pod changes per second during the churn phase (0: none). */
  readonly churn: number;
  /** Seconds of churn. */
  readonly durationS: number;
  readonly datastore: 'sqlite' | 'etcd';
  /** API servers (more than one needs etcd). Default 1. */
  readonly servers?: number;
  /** Fan-out servers (`tabby server --role fanout`) in front of the API servers; the agents watch through them. Default 0. */
  readonly fanouts?: number;
  /** Simulated nodes per worker process (default 25). */
  readonly nodesPerWorker?: number;
  /** Agents publish their status on their Calico Node after each apply, as `tabby agent` does (default false). */
  readonly publishStatus?: boolean;
  /** Agents keep only the Pods their IP sets can need (src/agent/scope.ts; default true, as `tabby agent`). */
  readonly scopePods?: boolean;
  /**
   * Agents packed into one worker process share identical received objects of the kinds other
   * than Pod (worker.ts: interned by object and resourceVersion, deep-frozen); each agent's
   * calculation state stays its own. Default false.
   */
  readonly shareObjects?: boolean;
  /**
   * Agents starting at once in each worker process (default: all of its nodes). The start of day
   * of a node counts from its own start.
   */
  readonly startConcurrency?: number;
  /** Compare every node's recorded programming with the engine's, from the final datastore state. */
  readonly verify?: boolean;
  /** Concurrent writes while loading (default 32). */
  readonly loadConcurrency?: number;
  /**
   * How the scenario is loaded: `api` (default) through the servers' REST API, one request per
   * object; `client` through the ResourceClient (decode → default → validate → store, the write
   * path behind the API) straight into the datastore before the servers start — the server has
   * no bulk path, and one request per object is what limits large loads. The churn always goes
   * through the API.
   */
  readonly load?: 'api' | 'client';
  readonly seed?: number;
  readonly log?: (line: string) => void;
  /** Bound on the agents' start and on catching up after the churn (default 600 s). */
  readonly timeoutS?: number;
}

export interface SimResult {
  readonly config: Required<Omit<SimOptions, 'log'>>;
  readonly machine: { readonly cpus: number; readonly memBytes: number; readonly loadavgStart: readonly number[]; readonly loadavgEnd: readonly number[] };
  readonly load: { readonly via: 'api' | 'client'; readonly objects: number; readonly seconds: number; readonly perSecond: number };
  readonly startOfDayMs: Dist & { readonly allStartedS: number; readonly singleNodeMs: number };
  readonly churn: { readonly writes: number; readonly errors: number; readonly seconds: number; readonly achievedPerSecond: number; readonly firstError?: string };
  /** Write sent → last node programmed ≥ its revision (ms). */
  readonly propagationMs: Dist & { readonly unreached: number };
  /** Write sent → last node's pods watch delivered its revision (ms). */
  readonly watchLagMs: Dist & { readonly unreached: number };
  readonly servers: {
    readonly cpuPercent: number;
    readonly cpuUsPerChange: number;
    readonly rssBytes: number;
    readonly peakRssBytes: number;
    readonly rssBytesPerNode: number;
    readonly cpuPercentPerNode: number;
  };
  readonly etcd?: { readonly cpuPercent: number; readonly rssBytes: number };
  /** The fan-out servers, when there are any. */
  readonly fanout?: { readonly cpuPercent: number; readonly rssBytes: number; readonly peakRssBytes: number };
  readonly watch: { readonly bytes: number; readonly bytesPerChange: number; readonly bytesPerChangePerNode: number; readonly eventsPerChange: number };
  readonly agents: {
    readonly cpuUsPerChangePerNode: number;
    readonly cpuPercent: number;
    readonly rssBytes: number;
    readonly rssBytesPerNode: number;
    /** V8 heap in use per node (the worker's, after the churn, ÷ its nodes). */
    readonly heapBytesPerNode: number;
    /** Pods an agent holds, on average (its own and the remote ones its scope keeps). */
    readonly podsKeptPerNode: number;
    readonly applies: number;
  };
  /** With `verify`: nodes whose recorded programming differs from the engine's (empty when all agree). */
  readonly mismatches?: readonly string[];
  /** With `verify`: how many different programmings the engine computed over the nodes (nodes differ by their local pods). */
  readonly distinctProgrammings?: number;
}

interface Mark {
  readonly cpuUs: number;
  readonly rssBytes: number;
  readonly heapBytes: number;
  readonly podsKept: number;
  readonly watchBytes: number;
  readonly events: number;
  readonly applies: number;
}

const _mono = (): number => Number(process.hrtime.bigint()) / 1e6;
const _sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** RBAC of one simulated node: read what the engine reads; update its own Calico Node (status). */
function _nodeRules(node: string): TokenUser['rules'] {
  return [
    { apiGroups: ['*'], resources: ['*'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: ['projectcalico.org'], resources: ['nodes'], verbs: ['get', 'update', 'patch'], resourceNames: [node] },
  ];
}

export async function runSim(o: SimOptions): Promise<SimResult> {
  const log = o.log ?? ((): void => undefined);
  const cfg = {
    nodes: o.nodes,
    endpoints: o.endpoints,
    policies: o.policies,
    namespaces: o.namespaces ?? Math.max(1, Math.min(100, o.endpoints)),
    churn: o.churn,
    durationS: o.durationS,
    datastore: o.datastore,
    servers: o.servers ?? 1,
    fanouts: o.fanouts ?? 0,
    nodesPerWorker: o.nodesPerWorker ?? 25,
    publishStatus: o.publishStatus ?? false,
    scopePods: o.scopePods ?? true,
    shareObjects: o.shareObjects ?? false,
    startConcurrency: o.startConcurrency ?? 0,
    verify: o.verify ?? false,
    loadConcurrency: o.loadConcurrency ?? 32,
    load: o.load ?? 'api',
    seed: o.seed ?? 1,
    timeoutS: o.timeoutS ?? 600,
  };
  if (cfg.nodes < 1 || cfg.endpoints < 0 || cfg.policies < 0) throw new RangeError('nodes must be ≥ 1; endpoints and policies ≥ 0');
  if (cfg.servers > 1 && cfg.datastore !== 'etcd') throw new RangeError('more than one API server needs --datastore etcd (servers share state only through etcd)');
  const size: ScenarioSize = cfg;
  const loadavgStart = loadavg();
  const dir = await mkdtemp(join(tmpdir(), 'tabby-sim-'));
  const children: ChildProcess[] = [];
  let etcd: SimEtcd | undefined;
  const admin: SimClient[] = [];
  try {
    // ---- datastore and API servers
    if (cfg.datastore === 'etcd') {
      log('starting a 3-member etcd');
      etcd = await startEtcd(3);
    }
    const tokens = Array.from({ length: cfg.nodes }, () => randomBytes(24).toString('base64url'));
    const probeToken = randomBytes(24).toString('base64url');
    const users: TokenUser[] = tokens.map((token, i) => ({ token, name: `system:node:${nodeName(i)}`, rules: _nodeRules(nodeName(i)) }));
    users.push({ token: probeToken, name: `system:node:${nodeName(0)}:probe`, rules: _nodeRules(nodeName(0)) });
    const usersFile = join(dir, 'users.json');
    await writeFile(usersFile, JSON.stringify(users), { mode: 0o600 });
    const nsObjs = namespaces(size);
    const nodeObjs = nodes(size);
    const polObjs = Array.from({ length: cfg.policies }, (_, j) => policy(size, j));
    const podObjs = Array.from({ length: cfg.endpoints }, (_, i) => pod(size, i));
    const loaded = nsObjs.length + nodeObjs.length + polObjs.length + podObjs.length;
    let loadS = 0;
    if (cfg.load === 'client') {
      const t0 = _mono();
      await mkdir(join(dir, 'server0'), { recursive: true, mode: 0o700 });
      const ds = etcd !== undefined ? await openEtcdDatastore({ endpoints: etcd.endpoints, timeoutMs: 30_000 }) : await openSqliteDatastore(join(dir, 'server0', 'tabby.db'));
      try {
        const client = new ResourceClient(ds);
        for (const obj of [...nsObjs, ...nodeObjs, ...polObjs, ...podObjs]) await client.create(obj);
      } finally {
        await ds.close();
      }
      loadS = (_mono() - t0) / 1000;
    }
    const servers: { url: string; caPem: string; adminToken: string; pid: number }[] = [];
    for (let s = 0; s < cfg.servers; s++) {
      const child = forkEntry('server-proc', [join(dir, `server${s}`), usersFile, ...(etcd !== undefined ? [etcd.endpoints.join(',')] : [])], (l) => {
        if (!/listening on|stopped/.test(l)) log(`server${s}: ${l}`);
      });
      children.push(child);
      servers.push(await nextMessage(child, 'ready', 60_000));
    }
    const caPem = servers[0]!.caPem;
    const fanouts: { url: string; pid: number }[] = [];
    for (let f = 0; f < cfg.fanouts; f++) {
      const up = servers[f % servers.length]!;
      const child = forkEntry('fanout-proc', [join(dir, `server${f % servers.length}`), up.url], (l) => log(`fanout${f}: ${l}`));
      children.push(child);
      fanouts.push(await nextMessage(child, 'ready', 120_000));
    }
    if (fanouts.length > 0) log(`fan-out servers: ${fanouts.map((f) => f.url).join(', ')}`);
    const watchUrl = (i: number): string => (fanouts.length > 0 ? fanouts[i % fanouts.length]!.url : servers[i % servers.length]!.url);
    log(`API servers: ${servers.map((s) => s.url).join(', ')} (${cfg.datastore})`);
    // One admin client per server; the load is spread over them.
    for (const s of servers) admin.push(new SimClient(s.url, s.caPem, s.adminToken));
    // With several servers, each has its own CA: a node talks to its own server with that one.

    // ---- load
    if (cfg.load === 'api') {
      const t0 = _mono();
      await admin[0]!.createAll(nsObjs, cfg.loadConcurrency);
      await admin[0]!.createAll(nodeObjs, cfg.loadConcurrency);
      const spread = async (objs: readonly (typeof podObjs)[number][]): Promise<void> => {
        const per = Math.ceil(objs.length / admin.length);
        await Promise.all(admin.map((c, k) => c.createAll(objs.slice(k * per, (k + 1) * per), Math.ceil(cfg.loadConcurrency / admin.length))));
      };
      await spread(polObjs);
      await spread(podObjs);
      loadS = (_mono() - t0) / 1000;
    }
    log(`loaded ${loaded} objects (${cfg.load}) in ${loadS.toFixed(1)} s (${(loaded / loadS).toFixed(0)}/s)`);

    // ---- agents
    const workers: ChildProcess[] = [];
    const startWorker = async (slice: { name: string; token: string; server: string }[]): Promise<{ child: ChildProcess; startOfDayMs: number[] }> => {
      const child = forkEntry('worker', [], (l) => log(`worker: ${l}`));
      children.push(child);
      const started = nextMessage<{ startOfDayMs: number[] }>(child, 'started', cfg.timeoutS * 1000);
      child.send({ type: 'start', nodes: slice, caPem, publishStatus: cfg.publishStatus, scopePods: cfg.scopePods, shareObjects: cfg.shareObjects, ...(cfg.startConcurrency > 0 ? { startConcurrency: cfg.startConcurrency } : {}) });
      return { child, startOfDayMs: (await started).startOfDayMs };
    };
    const tStart = _mono();
    const slices: { name: string; token: string; server: string }[][] = [];
    for (let i = 0; i < cfg.nodes; i++) {
      const w = Math.floor(i / cfg.nodesPerWorker);
      (slices[w] ??= []).push({ name: nodeName(i), token: tokens[i]!, server: watchUrl(i) });
    }
    const started = await Promise.all(slices.map((s) => startWorker(s)));
    for (const s of started) workers.push(s.child);
    const allStartedS = (_mono() - tStart) / 1000;
    const sod = started.flatMap((s) => s.startOfDayMs);
    log(`${cfg.nodes} nodes programmed in ${allStartedS.toFixed(1)} s (start of day p50 ${dist(sod).p50.toFixed(0)} ms)`);
    // One node starting alone into the loaded, steady cluster (a node joining or restarting).
    const probe = await startWorker([{ name: nodeName(0), token: probeToken, server: watchUrl(0) }]);
    const singleNodeMs = probe.startOfDayMs[0]!;
    await stopChild(probe.child);
    log(`one node alone: start of day ${singleNodeMs.toFixed(0)} ms`);

    // ---- churn
    const mark = async (): Promise<Mark> => {
      const ms = await Promise.all(
        workers.map((w) => {
          const p = nextMessage<Mark>(w, 'mark', 30_000);
          w.send({ type: 'mark' });
          return p;
        }),
      );
      return ms.reduce((a, m) => ({ cpuUs: a.cpuUs + m.cpuUs, rssBytes: a.rssBytes + m.rssBytes, heapBytes: a.heapBytes + m.heapBytes, podsKept: a.podsKept + m.podsKept, watchBytes: a.watchBytes + m.watchBytes, events: a.events + m.events, applies: a.applies + m.applies }), {
        cpuUs: 0,
        rssBytes: 0,
        heapBytes: 0,
        podsKept: 0,
        watchBytes: 0,
        events: 0,
        applies: 0,
      });
    };
    const serverPids = servers.map((s) => s.pid);
    const etcdPids = etcd?.pids ?? [];
    const fanoutPids = fanouts.map((f) => f.pid);
    const sumProc = (pids: readonly number[]): ProcSample =>
      pids.map(procSample).reduce((a, b) => ({ cpuUs: a.cpuUs + b.cpuUs, rssBytes: a.rssBytes + b.rssBytes, peakRssBytes: a.peakRssBytes + b.peakRssBytes }), { cpuUs: 0, rssBytes: 0, peakRssBytes: 0 });
    const m0 = await mark();
    const s0 = sumProc(serverPids);
    const e0 = etcdPids.length > 0 ? sumProc(etcdPids) : undefined;
    const f0 = fanoutPids.length > 0 ? sumProc(fanoutPids) : undefined;
    let peakFanout = f0?.rssBytes ?? 0;
    const tChurn = _mono();
    const writes: WriteResult[] = [];
    let errors = 0;
    let firstError: string | undefined;
    const churn = new Churn(size, cfg.seed);
    const total = Math.round(cfg.churn * cfg.durationS);
    const inflight = new Set<Promise<void>>();
    const perPod = new Map<number, Promise<void>>();
    let peakRss = s0.rssBytes;
    const rssTimer = setInterval(() => {
      try {
        peakRss = Math.max(peakRss, sumProc(serverPids).rssBytes);
        if (fanoutPids.length > 0) peakFanout = Math.max(peakFanout, sumProc(fanoutPids).rssBytes);
      } catch {
        // a server that exited is reported below
      }
    }, 500);
    try {
      for (let k = 0; k < total; k++) {
        const due = tChurn + (k * 1000) / cfg.churn;
        const wait = due - _mono();
        if (wait > 0) await _sleep(wait);
        while (inflight.size >= 256) await Promise.race(inflight);
        const op = churn.next();
        const c = admin[k % admin.length]!;
        const p = pod(size, op.pod);
        // Writes to one pod are made in order (a label right after its create waits for it).
        const before = perPod.get(op.pod) ?? Promise.resolve();
        const w = before.then(() => (op.kind === 'label' ? c.label(p, podLabels(op.pod, op.generation)) : op.kind === 'delete' ? c.delete(p) : c.create(p)));
        const done: Promise<void> = w.then(
          (r) => void writes.push(r),
          (e: unknown) => {
            errors++;
            firstError ??= e instanceof Error ? e.message : String(e);
          },
        );
        inflight.add(done);
        perPod.set(op.pod, done);
        void done.finally(() => {
          inflight.delete(done);
          if (perPod.get(op.pod) === done) perPod.delete(op.pod);
        });
      }
      await Promise.all(inflight);
    } finally {
      clearInterval(rssTimer);
    }
    const churnS = (_mono() - tChurn) / 1000;
    // Everything written is programmed everywhere (bounded) before the end marks.
    const maxRev = writes.reduce((a, w) => Math.max(a, w.revision), 0);
    if (maxRev > 0) {
      const waits = await Promise.all(
        workers.map((w) => {
          const p = nextMessage<{ ok: boolean; error?: string }>(w, 'wait', cfg.timeoutS * 1000 + 10_000);
          w.send({ type: 'wait', rev: String(maxRev), timeoutMs: cfg.timeoutS * 1000 });
          return p;
        }),
      );
      const bad = waits.find((x) => !x.ok);
      if (bad !== undefined) log(`not every node caught up: ${bad.error ?? ''}`);
    }
    const activeS = (_mono() - tChurn) / 1000;
    const m1 = await mark();
    const s1 = sumProc(serverPids);
    const e1 = etcdPids.length > 0 ? sumProc(etcdPids) : undefined;
    const f1 = fanoutPids.length > 0 ? sumProc(fanoutPids) : undefined;
    peakRss = Math.max(peakRss, s1.rssBytes);
    log(`churn: ${writes.length} writes in ${churnS.toFixed(1)} s (${errors} errors); caught up after ${activeS.toFixed(1)} s`);

    // ---- propagation and lag
    const revs = writes.map((w) => w.revision);
    const reaches = await Promise.all(
      workers.map((w) => {
        const p = nextMessage<{ recv: number[]; prog: number[] }>(w, 'reach', 120_000);
        w.send({ type: 'reach', revs });
        return p;
      }),
    );
    const prop: number[] = [];
    const lag: number[] = [];
    let unreachedProg = 0;
    let unreachedRecv = 0;
    writes.forEach((w, i) => {
      let p = 0;
      let r = 0;
      for (const x of reaches) {
        p = p < 0 || x.prog[i]! < 0 ? -1 : Math.max(p, x.prog[i]!);
        r = r < 0 || x.recv[i]! < 0 ? -1 : Math.max(r, x.recv[i]!);
      }
      if (p < 0) unreachedProg++;
      else prop.push(Math.max(0, p - w.sentAt));
      if (r < 0) unreachedRecv++;
      else lag.push(Math.max(0, r - w.sentAt));
    });

    // ---- verify
    const verified = cfg.verify ? await _verify(workers, servers[0]!, cfg.nodes) : undefined;

    const changes = Math.max(1, writes.length);
    const serverCpu = s1.cpuUs - s0.cpuUs;
    const agentCpu = m1.cpuUs - m0.cpuUs;
    const result: SimResult = {
      config: cfg,
      machine: { cpus: cpus().length, memBytes: totalmem(), loadavgStart, loadavgEnd: loadavg() },
      load: { via: cfg.load, objects: loaded, seconds: loadS, perSecond: loaded / loadS },
      startOfDayMs: { ...dist(sod), allStartedS, singleNodeMs },
      churn: { writes: writes.length, errors, seconds: churnS, achievedPerSecond: writes.length / churnS, ...(firstError !== undefined ? { firstError } : {}) },
      propagationMs: { ...dist(prop), unreached: unreachedProg },
      watchLagMs: { ...dist(lag), unreached: unreachedRecv },
      servers: {
        cpuPercent: (100 * serverCpu) / (activeS * 1e6),
        cpuUsPerChange: serverCpu / changes,
        rssBytes: s1.rssBytes,
        peakRssBytes: peakRss,
        rssBytesPerNode: s1.rssBytes / cfg.nodes,
        cpuPercentPerNode: (100 * serverCpu) / (activeS * 1e6) / cfg.nodes,
      },
      ...(f0 !== undefined && f1 !== undefined
        ? { fanout: { cpuPercent: (100 * (f1.cpuUs - f0.cpuUs)) / (activeS * 1e6), rssBytes: f1.rssBytes, peakRssBytes: Math.max(peakFanout, f1.rssBytes) } }
        : {}),
      ...(e0 !== undefined && e1 !== undefined ? { etcd: { cpuPercent: (100 * (e1.cpuUs - e0.cpuUs)) / (activeS * 1e6), rssBytes: e1.rssBytes } } : {}),
      watch: {
        bytes: m1.watchBytes - m0.watchBytes,
        bytesPerChange: (m1.watchBytes - m0.watchBytes) / changes,
        bytesPerChangePerNode: (m1.watchBytes - m0.watchBytes) / changes / cfg.nodes,
        eventsPerChange: (m1.events - m0.events) / changes,
      },
      agents: {
        cpuUsPerChangePerNode: agentCpu / changes / cfg.nodes,
        cpuPercent: (100 * agentCpu) / (activeS * 1e6),
        rssBytes: m1.rssBytes,
        rssBytesPerNode: m1.rssBytes / cfg.nodes,
        heapBytesPerNode: m1.heapBytes / cfg.nodes,
        podsKeptPerNode: m1.podsKept / cfg.nodes,
        applies: m1.applies - m0.applies,
      },
      ...(verified !== undefined ? { mismatches: verified.mismatches, distinctProgrammings: verified.distinct } : {}),
    };
    return result;
  } finally {
    for (const c of admin) c.close();
    await Promise.all(children.map((c) => stopChild(c, 15_000)));
    await etcd?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Every node's recorded programming against the engine's, computed here from the final state read
 * through the API (the same kinds an agent reads): equal store views, or the node is named.
 */
async function _verify(workers: readonly ChildProcess[], server: { url: string; caPem: string; adminToken: string }, n: number): Promise<{ mismatches: string[]; distinct: number }> {
  const ds = new KubeDatastore({ server: server.url, caPem: server.caPem, token: server.adminToken, timeoutMs: 120_000 });
  try {
    const items: unknown[] = [];
    for (const t of engineResourceTypes()) items.push(...(await ds.list(t)).items);
    const snapshot = loadSnapshot(items).snapshot;
    const views: Record<string, string> = {};
    for (const w of workers) {
      const p = nextMessage<{ views: Record<string, string> }>(w, 'views', 120_000);
      w.send({ type: 'views' });
      Object.assign(views, (await p).views);
    }
    const out: string[] = [];
    const distinct = new Set<string>();
    for (let i = 0; i < n; i++) {
      const node = nodeName(i);
      const want = new RecordingDriver();
      await want.apply(render(computeDesiredState(snapshot, node, snapshot.felixConfig(node), {})));
      const got = views[node];
      distinct.add(want.dataplane.view());
      if (got === undefined) out.push(`${node}: no recorded programming`);
      else if (got !== want.dataplane.view()) out.push(`${node}: recorded programming differs from the engine's for the final state`);
    }
    return { mismatches: out, distinct: distinct.size };
  } finally {
    await ds.close();
  }
}
