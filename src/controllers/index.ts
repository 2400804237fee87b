/**
 * @module The workload controllers (kube-controller-manager's part Tabby needs): Deployment,
 * ReplicaSet, EndpointSlice, the garbage collector for their objects, and Event pruning. One
 * loop: watches Deployments, ReplicaSets, Pods and Services and, after any change, runs one
 * full pass (deployments → replica sets → endpoint slices → garbage). Level-triggered, so the
 * result depends only on the stored state.
 *
 * Invariants: one pass at a time; a change during a pass schedules exactly one more; a watch
 * that fails relists after a bounded pause; a periodic resync (default 5 s) catches anything
 * missed (default 5 s, which also renews the lease); only the holder of the controller lease
 * (lease.ts) runs passes, so several servers on one etcd run one set of controllers; stop()
 * ends the watches, waits for the pass in flight and releases the lease.
 */
import { ResourceClient } from '../client/index.js';
import { pauseUnlessAborted, watchLoop, type Datastore, type ResourceType } from '../datastore/index.js';
import type { ControllerContext } from './context.js';
import { reconcileDeployments } from './deployment.js';
import { reconcileEndpointSlices } from './endpointslice.js';
import { eventRecorder, pruneEvents } from './events.js';
import { collectGarbage } from './gc.js';
import { controllerLease } from './lease.js';
import { randomSuffix } from './objects.js';
import { reconcileReplicaSets } from './replicaset.js';

export { podTemplateHash, canonicalJson, SAFE_ALPHABET } from './objects.js';
export { HASH_LABEL } from './deployment.js';
export { SERVICE_NAME_LABEL, MANAGED_BY, MANAGED_BY_LABEL, desiredSlice } from './endpointslice.js';
export { eventRecorder, pruneEvents, EVENT_TTL_MS, type EventRecorder } from './events.js';
export type { ControllerContext } from './context.js';

const WATCHED: readonly ResourceType[] = [
  { group: 'apps', plural: 'deployments' },
  { group: 'apps', plural: 'replicasets' },
  { group: '', plural: 'pods' },
  { group: '', plural: 'services' },
];

export interface WorkloadControllerOptions {
  readonly now?: () => Date;
  readonly suffix?: () => string;
  readonly onError?: (e: unknown) => void;
  readonly retryMs?: number;
  readonly resyncMs?: number;
  readonly burst?: number;
  /** Who this process is in the leader election (default: a random id). */
  readonly identity?: string;
  /** How long a lease holder may go without renewing before another takes over (default 15 s). */
  readonly leaseMs?: number;
}

export interface WorkloadControllers {
  /** Resolves after the first full pass. */
  readonly ready: Promise<void>;
  /** Runs a pass now (or joins the one running, plus one more); resolves when done. */
  reconcile(): Promise<void>;
  stop(): Promise<void>;
}

/** One full pass over every workload object. */
export async function reconcileWorkloads(ctx: ControllerContext): Promise<void> {
  await reconcileDeployments(ctx);
  await reconcileReplicaSets(ctx);
  await reconcileEndpointSlices(ctx);
  await collectGarbage(ctx);
}

export function startWorkloadControllers(ds: Datastore, opts: WorkloadControllerOptions = {}): WorkloadControllers {
  const stopper = new AbortController();
  const now = opts.now ?? (() => new Date());
  const client = new ResourceClient(ds);
  const ctx: ControllerContext = {
    ds,
    client,
    events: eventRecorder(client, 'tabby-controller-manager', now),
    now,
    suffix: opts.suffix ?? (() => randomSuffix()),
    burst: opts.burst ?? 500,
  };
  const retryMs = opts.retryMs ?? 500;
  let running: Promise<void> | undefined;
  let again = false;
  let lastPrune = 0;
  const lease = controllerLease(ds, opts.identity ?? `tabby-${randomSuffix(10)}`, now, opts.leaseMs ?? 15_000);

  const reconcile = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      // Only the lease holder writes; the others keep watching and take over when it lapses.
      if (!(await lease.acquire())) return;
      do {
        again = false;
        await reconcileWorkloads(ctx);
      } while (again && !stopper.signal.aborted);
      if (now().getTime() - lastPrune > 60_000) {
        lastPrune = now().getTime();
        await pruneEvents(ds, now());
      }
    })().finally(() => {
      running = undefined;
    });
    return running;
  };

  const kick = (): void => {
    if (stopper.signal.aborted) return;
    reconcile().catch((e: unknown) => opts.onError?.(e));
  };

  const resync = async (): Promise<void> => {
    while (!stopper.signal.aborted) {
      await pauseUnlessAborted(stopper.signal, opts.resyncMs ?? 5_000);
      kick();
    }
  };

  const loops = [...WATCHED.map((t) => watchLoop(ds, t, { signal: stopper.signal, retryMs, kick, onError: opts.onError })), resync()];
  const ready = reconcile().catch((e: unknown) => opts.onError?.(e));
  return {
    ready,
    reconcile,
    async stop() {
      stopper.abort();
      await Promise.allSettled(loops);
      if (running) await running.catch(() => undefined);
      await lease.release();
    },
  };
}
