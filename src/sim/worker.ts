/**
 * @module Child entry: a process hosting several simulated nodes. Each node is a real agent
 * (`runAgent`: syncer with its own watch connections through its own KubeDatastore and bearer
 * token, the engine's desired state for the node, the renderer) programming a RecordingDriver.
 * Per node it keeps two step histories on the shared monotonic clock (`process.hrtime`, the same
 * in every process): when the pods watch delivered each revision, and when each apply programmed
 * a revision. The parent asks over IPC:
 *
 *   {type:'start', nodes:[{name, token, server}], caPem, publishStatus, scopePods, shareObjects,
 *    startConcurrency, minApplyIntervalMs}
 *       → {type:'started', startOfDayMs:[…]} once every node did its first apply
 *   {type:'mark'}                       → {type:'mark', cpuUs, rssBytes, heapBytes, podsKept, watchBytes, applies, events}
 *   {type:'reach', revs:[…]}            → {type:'reach', recv:[…], prog:[…]}: per revision, the
 *                                          latest time over this worker's nodes at which a node
 *                                          first received / programmed it (-1: some node never did)
 *   {type:'wait', rev, timeoutMs}       → {type:'wait', ok, error?}: every node programmed ≥ rev
 *   {type:'views'}                      → {type:'views', views:{node: RecordedDataplane view}}
 *   {type:'stop'}                       → stops the agents, exits
 */
import { runAgent, type AgentHandle } from '../agent/main.js';
import { KubeDatastore, type KubeDatastoreOptions } from '../datastore/kube/index.js';
import type { ListQuery, ListResult, StoredObject, WatchEvent } from '../datastore/index.js';
import { RecordingDriver } from '../dataplane/record/driver.js';
import type { CommandRunner } from '../sys/index.js';

/** Milliseconds on CLOCK_MONOTONIC (comparable across the simulation's processes). */
export const monoMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** A monotone step function of revision over time, coalescing points closer than 1 ms. */
export class StepHistory {
  private _t = new Float64Array(256);
  private _r = new Float64Array(256);
  private _n = 0;
  last = -1;

  add(t: number, rev: number): void {
    if (rev <= this.last) return;
    this.last = rev;
    if (this._n > 0 && t - this._t[this._n - 1]! < 1) {
      this._r[this._n - 1] = rev;
      return;
    }
    if (this._n === this._t.length) {
      const t2 = new Float64Array(this._n * 2);
      const r2 = new Float64Array(this._n * 2);
      t2.set(this._t);
      r2.set(this._r);
      this._t = t2;
      this._r = r2;
    }
    this._t[this._n] = t;
    this._r[this._n] = rev;
    this._n++;
  }

  /** The first time the revision reached `rev` or more; -1 when it never did. */
  reached(rev: number): number {
    let lo = 0;
    let hi = this._n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this._r[mid]! >= rev) hi = mid;
      else lo = mid + 1;
    }
    return lo < this._n ? this._t[lo]! : -1;
  }
}

/**
 * Interning (simulation only): the agents packed into this process each list and watch every
 * kind over their own connection and decode every event themselves, but identical immutable
 * objects of the kinds other than Pod (the 10,000 policies, the Nodes, the Namespaces: the same
 * object at the same resourceVersion for every agent) are kept once per process and shared,
 * deep-frozen so no agent can change another's. Only the received objects are shared: each
 * agent's syncer, decoded resources, snapshot and computation stay its own. A real agent holds
 * its own copy (see docs/scale.md for the per-agent figures without interning).
 */
const _interned = new Map<string, StoredObject>();
let internHits = 0;

function _deepFreeze(o: unknown): void {
  if (typeof o !== 'object' || o === null || Object.isFrozen(o)) return;
  Object.freeze(o);
  for (const v of Object.values(o)) _deepFreeze(v);
}

function _intern(q: ListQuery, o: StoredObject): StoredObject {
  const id = `${q.group}/${q.plural}/${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
  const have = _interned.get(id);
  const rv = o.metadata.resourceVersion;
  if (have !== undefined && have.metadata.resourceVersion === rv) {
    internHits++;
    return have;
  }
  // the newest version is the one kept (an agent behind keeps its own copy of an older one)
  if (have === undefined || BigInt(rv ?? '0') > BigInt(have.metadata.resourceVersion ?? '0')) {
    _deepFreeze(o);
    _interned.set(id, o);
  }
  return o;
}

/** The node's KubeDatastore, noting when its pods watch delivers each revision. */
class MeteredKubeDatastore extends KubeDatastore {
  constructor(
    o: KubeDatastoreOptions,
    private readonly _recv: StepHistory,
    private readonly _count: () => void,
    private readonly _share: boolean,
  ) {
    super(o);
  }

  /** A (re-)list also brings the node up to the list's revision. */
  override async list(q: ListQuery): Promise<ListResult> {
    const r = await super.list(q);
    const pods = q.group === '' && q.plural === 'pods';
    if (pods) this._recv.add(monoMs(), Number(r.revision));
    if (!this._share || pods) return r;
    return { ...r, items: r.items.map((o) => _intern(q, o)) };
  }

  override async *watch(q: ListQuery, fromRevision: string, signal: AbortSignal): AsyncIterable<WatchEvent> {
    const pods = q.group === '' && q.plural === 'pods';
    for await (const ev of super.watch(q, fromRevision, signal)) {
      this._count();
      if (pods) this._recv.add(monoMs(), Number(ev.revision));
      yield this._share && !pods && ev.type !== 'DELETED' ? { ...ev, object: _intern(q, ev.object) } : ev;
    }
  }
}

interface StartMsg {
  readonly type: 'start';
  readonly nodes: readonly { readonly name: string; readonly token: string; readonly server: string }[];
  readonly caPem: string;
  readonly publishStatus: boolean;
  readonly scopePods?: boolean;
  readonly minApplyIntervalMs?: number;
  /** Share identical received non-Pod objects between this process's agents (default false). */
  readonly shareObjects?: boolean;
  /** Agents of this process starting at once (default: all). */
  readonly startConcurrency?: number;
}

interface SimNode {
  readonly name: string;
  readonly agent: AgentHandle;
  readonly driver: RecordingDriver;
  readonly ds: KubeDatastore;
  readonly recv: StepHistory;
  readonly prog: StepHistory;
  startedAt: number;
  firstApplyAt: number;
}

/** The recording driver runs no command; anything asking for one is a bug in the harness. */
const NO_COMMANDS: CommandRunner = {
  run: (c) => Promise.reject(new Error(`the simulation runs no commands (asked for ${c.argv.join(' ')})`)),
};

const nodes: SimNode[] = [];
let watchBytes = 0;
let events = 0;
const send = (m: unknown): void => void process.send?.(m);

async function start(m: StartMsg): Promise<void> {
  const firstApplies: Promise<void>[] = [];
  // at most `startConcurrency` of this process's agents starting at once (the rest wait their turn:
  // a rack of machines booting does not list in the same millisecond); each node's start of day
  // counts from its own start
  const limit = m.startConcurrency ?? m.nodes.length;
  let starting = 0;
  const turns: (() => void)[] = [];
  for (const n of m.nodes) {
    if (starting >= limit) await new Promise<void>((go) => turns.push(go));
    starting++;
    const recv = new StepHistory();
    const prog = new StepHistory();
    const ds = new MeteredKubeDatastore(
      { server: n.server, token: n.token, caPem: m.caPem, timeoutMs: 120_000, onWatchBytes: (b) => (watchBytes += b) },
      recv,
      () => events++,
      m.shareObjects === true,
    );
    const driver = new RecordingDriver();
    let first: () => void = () => undefined;
    firstApplies.push(new Promise<void>((ok) => (first = ok)));
    const node: SimNode = { name: n.name, driver, ds, recv, prog, startedAt: monoMs(), firstApplyAt: -1, agent: undefined as unknown as AgentHandle };
    const agent = runAgent({
      node: n.name,
      datastore: ds,
      runner: NO_COMMANDS,
      driver,
      publishStatus: m.publishStatus,
      scopePods: m.scopePods ?? true,
      ...(m.minApplyIntervalMs !== undefined ? { minApplyIntervalMs: m.minApplyIntervalMs } : {}),
      log: (l) => {
        if (/failed|error/i.test(l)) process.stderr.write(`${n.name}: ${l}\n`);
      },
      onApply: (rec) => {
        const t = monoMs();
        driver.programmed(rec.revision);
        prog.add(t, Number(rec.revision));
        if (node.firstApplyAt < 0) {
          node.firstApplyAt = t;
          first();
          starting--;
          turns.shift()?.();
        }
      },
    });
    (node as { agent: AgentHandle }).agent = agent;
    nodes.push(node);
  }
  await Promise.all(firstApplies);
  send({ type: 'started', startOfDayMs: nodes.map((n) => n.firstApplyAt - n.startedAt) });
}

function reach(revs: readonly number[]): void {
  const recv: number[] = [];
  const prog: number[] = [];
  for (const r of revs) {
    let a = 0;
    let b = 0;
    for (const n of nodes) {
      const x = n.recv.reached(r);
      const y = n.prog.reached(r);
      a = a < 0 || x < 0 ? -1 : Math.max(a, x);
      b = b < 0 || y < 0 ? -1 : Math.max(b, y);
    }
    recv.push(a);
    prog.push(b);
  }
  send({ type: 'reach', recv, prog });
}

async function wait(rev: string, timeoutMs: number): Promise<void> {
  try {
    await Promise.all(nodes.map((n) => n.agent.whenProgrammed(rev, timeoutMs)));
    send({ type: 'wait', ok: true });
  } catch (e) {
    send({ type: 'wait', ok: false, error: e instanceof Error ? e.message : String(e) });
  }
}

async function stop(): Promise<void> {
  await Promise.all(nodes.map((n) => n.agent.stop().catch(() => undefined)));
  await Promise.all(nodes.map((n) => n.ds.close()));
  process.exit(0);
}

process.on('message', (raw: unknown) => {
  const m = raw as { type?: string } & Record<string, unknown>;
  const fail = (e: unknown): void => {
    process.stderr.write(`sim worker: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  };
  switch (m.type) {
    case 'start':
      start(m as unknown as StartMsg).catch(fail);
      break;
    case 'mark': {
      const c = process.cpuUsage();
      send({
        type: 'mark',
        cpuUs: c.user + c.system,
        rssBytes: process.memoryUsage.rss(),
        heapBytes: process.memoryUsage().heapUsed,
        podsKept: nodes.reduce((s, n) => s + n.agent.syncer.podCount, 0),
        watchBytes,
        events,
        internHits,
        applies: nodes.reduce((s, n) => s + n.driver.applies, 0),
      });
      break;
    }
    case 'reach':
      reach(m['revs'] as number[]);
      break;
    case 'wait':
      wait(String(m['rev']), Number(m['timeoutMs'])).catch(fail);
      break;
    case 'views':
      send({ type: 'views', views: Object.fromEntries(nodes.map((n) => [n.name, n.driver.dataplane.view()])) });
      break;
    case 'stop':
      stop().catch(fail);
      break;
    default:
      break;
  }
});
process.once('disconnect', () => void stop());
