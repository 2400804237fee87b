/**
 * @module The datastore: the Datastore port, its errors, and the three backends — memory (tests),
 * embedded SQLite (the default), and etcd v3 in Calico's key layout.
 */
export type {
  Datastore,
  DatastoreOptions,
  DeletePrecondition,
  LabelPredicate,
  ListQuery,
  ListResult,
  ObjectKey,
  ResourceType,
  StoredObject,
  WatchEvent,
  WatchEventType,
} from './datastore.js';
export {
  AlreadyExistsError,
  ConflictError,
  DatastoreError,
  NotFoundError,
  TooLargeError,
  TooOldError,
  UnavailableError,
  UnknownOutcomeError,
  describeKey,
  describeType,
  isDatastoreError,
  type DatastoreErrorReason,
} from './errors.js';
export { openMemoryDatastore, MemoryDatastore, type MemoryDatastoreOptions } from './memory/memory-datastore.js';
export { openSqliteDatastore, SqliteDatastore, type SqliteDatastoreOptions } from './sqlite/sqlite-datastore.js';
export type { EtcdDatastore, EtcdDatastoreOptions } from './etcd/etcd-datastore.js';

/**
 * Opens an etcd v3 datastore. The etcd client (etcd3 + gRPC) is loaded on first use: importing
 * it cost every `calicoctl` and `tabby` start about a second even with the default datastore.
 */
export async function openEtcdDatastore(o: import('./etcd/etcd-datastore.js').EtcdDatastoreOptions): Promise<import('./etcd/etcd-datastore.js').EtcdDatastore> {
  const m = await import('./etcd/etcd-datastore.js');
  return m.openEtcdDatastore(o);
}
export { etcdKeyFor, etcdPrefixFor } from './etcd/keys.js';
export { watchLoop, pauseUnlessAborted, type WatchLoopOptions } from './watch-loop.js';
