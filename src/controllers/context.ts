/**
 * @module What every workload controller pass gets: the datastore, the one write path, the
 * event recorder, a clock and a name-suffix source (injected for tests).
 */
import type { ResourceClient } from '../client/index.js';
import type { Datastore } from '../datastore/index.js';
import type { EventRecorder } from './events.js';

export interface ControllerContext {
  readonly ds: Datastore;
  readonly client: ResourceClient;
  readonly events: EventRecorder;
  readonly now: () => Date;
  readonly suffix: () => string;
  /** Most pods one ReplicaSet creates or deletes in one pass (kube's burst is 500). */
  readonly burst: number;
}
