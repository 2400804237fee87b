/**
 * @module The in-process reference Datastore: the shared KvDatastore logic over plain maps.
 * Used by tests and as the simplest "embedded" mode; nothing survives the process.
 */
import type { DatastoreOptions, ObjectKey, ResourceType } from '../datastore.js';
import { KvDatastore, type KvEngine, type KvEvent, type KvRow } from '../_kv.js';
import { _resolveOptions } from '../_object.js';

export interface MemoryDatastoreOptions extends DatastoreOptions {
  /** Changes kept for watch-from-revision (default 10,000). */
  readonly historyLimit?: number;
}

const typeId = (t: ResourceType): string => `${t.group}\u0000${t.plural}`;
const rowId = (namespace: string, name: string): string => `${namespace}\u0000${name}`;

class MemoryEngine implements KvEngine {
  readonly system = 'memory';
  readonly endpoint = 'in-process';
  private rev = 0;
  private compacted = 0;
  private readonly collections = new Map<string, Map<string, KvRow>>();
  /** log[i].revision is increasing; entries ≤ `compacted` have been dropped. */
  private log: KvEvent[] = [];

  constructor(private readonly historyLimit: number) {}

  write<T>(fn: () => T): T {
    return fn();
  }

  read<T>(fn: () => T): T {
    return fn();
  }

  revision(): number {
    return this.rev;
  }

  row(key: ObjectKey): KvRow | undefined {
    return this.collections.get(typeId(key))?.get(rowId(key.namespace, key.name));
  }

  rows(type: ResourceType, namespace: string | undefined): KvRow[] {
    const c = this.collections.get(typeId(type));
    if (c === undefined) return [];
    const out = [...c.values()].filter((r) => namespace === undefined || r.namespace === namespace);
    return out.sort((a, b) => cmp(a.namespace, b.namespace) || cmp(a.name, b.name));
  }

  commit(key: ObjectKey, value: string | undefined, prev: KvRow | undefined): number {
    const revision = ++this.rev;
    let c = this.collections.get(typeId(key));
    if (c === undefined) {
      c = new Map();
      this.collections.set(typeId(key), c);
    }
    const id = rowId(key.namespace, key.name);
    const k: ObjectKey = { group: key.group, plural: key.plural, namespace: key.namespace, name: key.name };
    if (value === undefined) {
      c.delete(id);
      this.log.push({ revision, kind: 'delete', key: k, value: prev?.value ?? '', prev: null, prevRevision: prev?.revision ?? null });
    } else {
      c.set(id, { namespace: key.namespace, name: key.name, value, revision });
      this.log.push({ revision, kind: 'put', key: k, value, prev: prev?.value ?? null, prevRevision: prev?.revision ?? null });
    }
    if (this.log.length > this.historyLimit + 1024) this.trim(this.log.length - this.historyLimit);
    return revision;
  }

  changesAfter(after: number, limit: number): { compacted: number; changes: KvEvent[] } {
    // The log is dense in revisions: entry for revision r sits at r - (first revision).
    const first = this.log[0]?.revision ?? this.rev + 1;
    const start = Math.max(0, after + 1 - first);
    return { compacted: this.compacted, changes: this.log.slice(start, start + limit) };
  }

  compact(): void {
    this.trim(this.log.length);
  }

  watchExternal(): () => void {
    return () => undefined;
  }

  close(): void {
    this.collections.clear();
    this.log = [];
  }

  private trim(n: number): void {
    const dropped = this.log.splice(0, n);
    const last = dropped[dropped.length - 1];
    if (last !== undefined) this.compacted = last.revision;
    if (this.log.length === 0) this.compacted = this.rev;
  }
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export class MemoryDatastore extends KvDatastore {}

export async function openMemoryDatastore(opts: MemoryDatastoreOptions = {}): Promise<MemoryDatastore> {
  return new MemoryDatastore(new MemoryEngine(opts.historyLimit ?? 10_000), _resolveOptions(opts));
}
