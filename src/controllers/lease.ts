/**
 * @module Leader election for the controllers (client-go's leaderelection, trimmed): several
 * Tabby servers may serve one etcd, and only one of them may run the workload controllers, or
 * two ReplicaSet controllers would each create the missing pod. The leader holds a Lease
 * object (coordination.k8s.io/v1, kube-system/tabby-controller-manager; stored, not served)
 * and renews it on every pass; another server takes it over with a compare-and-swap once it is
 * `durationMs` old. release() gives it up at shutdown so a restart need not wait.
 */
import { AlreadyExistsError, ConflictError, NotFoundError, type Datastore, type StoredObject } from '../datastore/index.js';
import { own } from './objects.js';

const LEASES = { group: 'coordination.k8s.io', plural: 'leases' };
const KEY = { ...LEASES, namespace: 'kube-system', name: 'tabby-controller-manager' };

export interface Lease {
  /** Whether this process leads now (acquiring or renewing the lease). */
  acquire(): Promise<boolean>;
  release(): Promise<void>;
}

export function controllerLease(ds: Datastore, identity: string, now: () => Date, durationMs = 15_000): Lease {
  const spec = (): Record<string, unknown> => ({ holderIdentity: identity, leaseDurationSeconds: Math.ceil(durationMs / 1000), renewTime: now().toISOString() });
  return {
    async acquire() {
      let cur: StoredObject;
      try {
        cur = await ds.get(KEY);
      } catch (e) {
        if (!(e instanceof NotFoundError)) throw e;
        try {
          await ds.create(LEASES, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: KEY.name, namespace: KEY.namespace }, spec: spec() } as StoredObject);
          return true;
        } catch (e2) {
          if (e2 instanceof AlreadyExistsError) return false;
          throw e2;
        }
      }
      const s = own(cur, 'spec');
      const holder = own(s, 'holderIdentity');
      const renewed = Date.parse(String(own(s, 'renewTime') ?? ''));
      const expired = Number.isNaN(renewed) || now().getTime() - renewed > durationMs;
      if (holder !== identity && !expired) return false;
      try {
        await ds.update(LEASES, { ...cur, spec: spec() } as StoredObject);
        return true;
      } catch (e) {
        if (e instanceof ConflictError || e instanceof NotFoundError) return false;
        throw e;
      }
    },
    async release() {
      try {
        const cur = await ds.get(KEY);
        if (own(own(cur, 'spec'), 'holderIdentity') !== identity) return;
        await ds.delete(KEY, { resourceVersion: cur.metadata.resourceVersion ?? '' });
      } catch {
        // someone else holds it now, or it is gone
      }
    },
  };
}

