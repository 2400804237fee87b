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
export { openEtcdDatastore, EtcdDatastore, type EtcdDatastoreOptions } from './etcd/etcd-datastore.js';
export { etcdKeyFor, etcdPrefixFor } from './etcd/keys.js';
