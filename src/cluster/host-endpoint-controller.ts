/**
 * @module The host endpoint controller (Calico kube-controllers' auto host endpoints): watches
 * Kubernetes Nodes, the KubeControllersConfiguration `default` and the HostEndpoints it owns,
 * and after every change makes the owned HostEndpoints (label
 * `projectcalico.org/created-by: calico-kube-controllers`) equal to desiredHostEndpoints():
 * creates and updates with apply, deletes the ones no longer called for. It is the provider, so
 * its writes are forced (its HostEndpoints are provider-managed).
 *
 * Invariants: one reconcile at a time; a change during a reconcile schedules one more; a
 * watch that fails (history compacted, datastore restarting) relists after a bounded pause;
 * stop() ends it and waits for the reconcile in flight.
 */
import { NotFoundError, watchLoop, type Datastore, type ResourceType } from '../datastore/index.js';
import { ResourceClient } from '../client/index.js';
import { kindFor } from '../model/kinds.js';
import type { KubeControllersConfigurationSpec } from '../model/calico/other-types.js';
import { desiredHostEndpoints } from './auto-host-endpoints.js';
import { CREATED_BY_CONTROLLER, CREATED_BY_LABEL } from './markers.js';
import type { InterfaceConvention } from './profile.js';

const NODES: ResourceType = { group: '', plural: 'nodes' };
const KCC: ResourceType = { group: 'projectcalico.org', plural: 'kubecontrollersconfigurations' };
const HEPS: ResourceType = { group: 'projectcalico.org', plural: 'hostendpoints' };

export interface ReconcileReport {
  readonly created: readonly string[];
  readonly updated: readonly string[];
  readonly deleted: readonly string[];
}

export interface HostEndpointControllerOptions {
  readonly convention: InterfaceConvention;
  /** Called after each reconcile that changed something. */
  readonly onChange?: (r: ReconcileReport) => void;
  readonly onError?: (e: unknown) => void;
  /** Pause before re-watching after a failure (default 500 ms). */
  readonly retryMs?: number;
}

export interface HostEndpointController {
  /** Resolves after the first full reconcile. */
  readonly ready: Promise<void>;
  /** Reconciles now (tests, and `tabby up` after loading a profile); resolves when done. */
  reconcile(): Promise<ReconcileReport>;
  stop(): Promise<void>;
}

/** One pass: owned HostEndpoints ← desired. */
export async function reconcileHostEndpoints(ds: Datastore, convention: InterfaceConvention): Promise<ReconcileReport> {
  const client = new ResourceClient(ds);
  const hepInfo = kindFor('projectcalico.org/v3', 'HostEndpoint')!;
  let spec: KubeControllersConfigurationSpec | undefined;
  try {
    const kcc = await ds.get({ ...KCC, namespace: '', name: 'default' });
    spec = (kcc as unknown as { spec?: KubeControllersConfigurationSpec }).spec;
  } catch (e) {
    if (!(e instanceof NotFoundError)) throw e;
  }
  const nodes = (await ds.list(NODES)).items;
  const desired = desiredHostEndpoints(spec, nodes, convention);
  const owned = (await ds.list({ ...HEPS, labels: (l) => l[CREATED_BY_LABEL] === CREATED_BY_CONTROLLER })).items;
  const want = new Set(desired.map((d) => String((d['metadata'] as { name: string }).name)));
  const created: string[] = [];
  const updated: string[] = [];
  const deleted: string[] = [];
  for (const d of desired) {
    const r = await client.apply(d, { force: true });
    const name = r.object.metadata.name ?? '';
    if (r.outcome === 'created') created.push(name);
    else if (r.outcome === 'updated') updated.push(name);
  }
  for (const o of owned) {
    const name = o.metadata.name ?? '';
    if (want.has(name)) continue;
    try {
      await client.delete(hepInfo, undefined, name, { force: true });
      deleted.push(name);
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
    }
  }
  return { created, updated, deleted };
}

const _changed = (r: ReconcileReport): boolean => r.created.length + r.updated.length + r.deleted.length > 0;

export function startHostEndpointController(ds: Datastore, opts: HostEndpointControllerOptions): HostEndpointController {
  const stopper = new AbortController();
  const retryMs = opts.retryMs ?? 500;
  let running: Promise<ReconcileReport> | undefined;
  let again = false;

  const reconcile = (): Promise<ReconcileReport> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let total: ReconcileReport = { created: [], updated: [], deleted: [] };
      do {
        again = false;
        const r = await reconcileHostEndpoints(ds, opts.convention);
        total = { created: [...total.created, ...r.created], updated: [...total.updated, ...r.updated], deleted: [...total.deleted, ...r.deleted] };
      } while (again && !stopper.signal.aborted);
      if (_changed(total)) opts.onChange?.(total);
      return total;
    })().finally(() => {
      running = undefined;
    });
    return running;
  };

  const kick = (): void => {
    reconcile().catch((e: unknown) => opts.onError?.(e));
  };

  const loops = [NODES, KCC, HEPS].map((t) => watchLoop(ds, t, { signal: stopper.signal, retryMs, kick, onError: opts.onError }));
  const ready = reconcile().then(
    () => undefined,
    (e: unknown) => opts.onError?.(e),
  );
  return {
    ready,
    reconcile,
    async stop() {
      stopper.abort();
      await Promise.allSettled(loops);
      if (running) await running.catch(() => undefined);
    },
  };
}

