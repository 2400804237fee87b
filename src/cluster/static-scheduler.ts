/**
 * @module The static scheduler of a cluster without a lab: nothing runs pods, but every pod
 * still gets what the lab would give it — a worker (its `spec.nodeName`, else round-robin) and
 * an address from that worker's pod CIDR (the lowest free one from .2, as the lab allocates) —
 * so policy analysis (`tabby verdict`, matrix, What-if) sees the same cluster with or without the
 * lab. The pod stays `Pending`, with a condition saying nothing runs it.
 */
import { ConflictError, NotFoundError, TooOldError, type Datastore, type ResourceType, type StoredObject } from '../datastore/index.js';
import type { WorkerSpec } from './profile.js';

const PODS: ResourceType = { group: '', plural: 'pods' };

type Obj = StoredObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

function _host(cidr: string, k: number): string {
  const base = (cidr.split('/')[0] ?? '0.0.0.0').split('.').map(Number);
  const n = (((base[0]! * 256 + base[1]!) * 256 + base[2]!) * 256 + base[3]!) + k;
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

export interface StaticScheduler {
  readonly ready: Promise<void>;
  /** One pass now; resolves when done. */
  reconcile(): Promise<void>;
  stop(): Promise<void>;
}

/** Places every unplaced pod once; the pods it placed. */
export async function placePods(ds: Datastore, workers: readonly WorkerSpec[], state: { rr: number }): Promise<string[]> {
  if (workers.length === 0) return [];
  const pods = (await ds.list(PODS)).items as Obj[];
  const used = new Map<string, Set<string>>(workers.map((w) => [w.name, new Set<string>()]));
  for (const p of pods) {
    const ip = p.status?.['podIP'];
    const node = p.spec?.['nodeName'];
    if (typeof ip === 'string' && typeof node === 'string') used.get(node)?.add(ip);
  }
  const placed: string[] = [];
  const order = [...pods].sort((a, b) => Number(a.metadata.resourceVersion ?? 0) - Number(b.metadata.resourceVersion ?? 0));
  for (const p of order) {
    if (typeof p.status?.['podIP'] === 'string' && p.status['podIP'] !== '') continue;
    if (p.spec?.['hostNetwork'] === true || p.metadata.deletionTimestamp !== undefined) continue;
    const named = workers.find((w) => w.name === p.spec?.['nodeName']);
    const w = named ?? workers[state.rr++ % workers.length]!;
    const taken = used.get(w.name) ?? new Set<string>();
    let ip: string | undefined;
    for (let k = 2; k <= 254 && ip === undefined; k++) if (!taken.has(_host(w.podCIDR, k))) ip = _host(w.podCIDR, k);
    if (ip === undefined) continue;
    taken.add(ip);
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const next = {
      ...p,
      spec: { ...(p.spec ?? {}), nodeName: w.name },
      status: {
        ...(p.status ?? {}),
        phase: 'Pending',
        podIP: ip,
        podIPs: [{ ip }],
        hostIP: w.internalIP,
        hostIPs: [{ ip: w.internalIP }],
        conditions: [
          { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now },
          { type: 'Ready', status: 'False', lastProbeTime: null, lastTransitionTime: now, reason: 'NoLab', message: 'this cluster runs without a lab: the pod has its worker and address, nothing runs it' },
        ],
      },
    };
    try {
      await ds.update(PODS, next);
      placed.push(`${p.metadata.namespace ?? 'default'}/${p.metadata.name ?? ''} on ${w.name} at ${ip}`);
    } catch (e) {
      if (!(e instanceof ConflictError) && !(e instanceof NotFoundError)) throw e;
    }
  }
  return placed;
}

export function startStaticScheduler(ds: Datastore, workers: readonly WorkerSpec[], opts: { onPlaced?: (line: string) => void; onError?: (e: unknown) => void } = {}): StaticScheduler {
  const stopper = new AbortController();
  const state = { rr: 0 };
  let running: Promise<void> | undefined;
  let again = false;
  const reconcile = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        for (const l of await placePods(ds, workers, state)) opts.onPlaced?.(l);
      } while (again && !stopper.signal.aborted);
    })().finally(() => (running = undefined));
    return running;
  };
  const kick = (): void => void reconcile().catch((e: unknown) => opts.onError?.(e));
  const loop = async (): Promise<void> => {
    while (!stopper.signal.aborted) {
      try {
        const { revision } = await ds.list(PODS);
        kick();
        for await (const _ev of ds.watch(PODS, revision, stopper.signal)) kick();
      } catch (e) {
        if (stopper.signal.aborted) return;
        if (!(e instanceof TooOldError)) opts.onError?.(e);
      }
      if (!stopper.signal.aborted) await new Promise((ok) => setTimeout(ok, 300));
    }
  };
  const done = loop();
  return {
    ready: reconcile(),
    reconcile,
    async stop() {
      stopper.abort();
      await done;
      await running;
    },
  };
}
