/**
 * @module The distributed lab's datastore: the API servers (KubeDatastore) with `update` storing
 * the whole object, as the embedded and etcd datastores do. The API server keeps the stored
 * status on a write to the main resource of a kind with a `/status` subresource (Pods,
 * Services, Nodes, Namespaces), so the lab's kubelet and service-controller writes (pod phase
 * and IP, LoadBalancer ingress) are followed by a write to `/status`, as a kubelet does.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Datastore, ListQuery, ListResult, ObjectKey, ResourceType, StoredObject, WatchEvent, DeletePrecondition } from '../../datastore/index.js';
import type { KubeDatastore } from '../../datastore/kube/index.js';

const STATUS_PLURALS = new Set(['pods', 'services', 'nodes', 'namespaces']);

export class StatusWritingDatastore implements Datastore {
  constructor(private readonly inner: KubeDatastore) {}

  get description(): string {
    return this.inner.description;
  }

  create(type: ResourceType, obj: StoredObject): Promise<StoredObject> {
    return this.inner.create(type, obj);
  }

  async update(type: ResourceType, obj: StoredObject): Promise<StoredObject> {
    const stored = await this.inner.update(type, obj);
    const status = (obj as { status?: unknown }).status;
    if (type.group !== '' || !STATUS_PLURALS.has(type.plural) || status === undefined || isDeepStrictEqual((stored as { status?: unknown }).status, status)) return stored;
    return this.inner.updateStatus(type, { ...stored, status } as StoredObject);
  }

  get(key: ObjectKey): Promise<StoredObject> {
    return this.inner.get(key);
  }

  list(q: ListQuery): Promise<ListResult> {
    return this.inner.list(q);
  }

  delete(key: ObjectKey, precondition?: DeletePrecondition): Promise<StoredObject> {
    return this.inner.delete(key, precondition);
  }

  watch(q: ListQuery, fromRevision: string, signal: AbortSignal): AsyncIterable<WatchEvent> {
    return this.inner.watch(q, fromRevision, signal);
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
