/**
 * @module Syncer: list + watch every kind the engine reads, from a Datastore (Felix's syncer
 * and `calc` input), into an in-memory object map and, on demand, an immutable Snapshot.
 *
 * Per kind: list, then watch from the list's revision; a TooOldError (history compacted) or a
 * watch that ends without being asked to re-lists that kind (its objects are replaced
 * wholesale, so deletions missed while disconnected disappear too). `inSync` turns true once
 * every kind has been listed, and stays true across re-lists (the data is only ever as stale as
 * one re-list).
 *
 * `revision` is the highest datastore revision of a change that can matter: writes that only
 * touch `tabby.dev/*` annotations of a Node (the agents' own status reports) are stored but do
 * not advance it and do not wake the loop, so agents publishing status never wake each other.
 *
 * Decoded resources are cached per object and resourceVersion; the snapshot is rebuilt (pure
 * `buildSnapshot`) at most once per revision, when the loop asks for it.
 *
 * Agent-side filtering (issue 19): `takeChanges()` tells the loop what changed since it last
 * asked — `'all'` after a (re)list or a change of any kind other than Pod, else the Pods that
 * changed, each with its version as of the previous call and its current one — so the loop can
 * skip recomputing when no change can touch this node's programmed state (loop.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { TooOldError, type Datastore, type ResourceType, type StoredObject } from '../datastore/index.js';
import { buildSnapshot, type Snapshot } from '../engine/index.js';
import { kindFor } from '../model/kinds.js';
import { decodeResource } from '../model/validate-resource.js';
import type { Resource } from '../model/meta.js';
import { ENGINE_KINDS } from '../engine/input-kinds.js';
import type { EffectiveFelixConfig } from '../model/calico/felix-configuration.js';

/** Annotations the agents write; changes limited to these never wake anyone. */
export const STATUS_ANNOTATION_PREFIX = 'tabby.dev/';

/** The kinds the engine reads (apiVersion, kind): src/engine/input-kinds.ts. */
export { ENGINE_KINDS } from '../engine/input-kinds.js';

export function engineResourceTypes(): ResourceType[] {
  const out: ResourceType[] = [];
  for (const [apiVersion, kind] of ENGINE_KINDS) {
    const info = kindFor(apiVersion, kind);
    if (info !== undefined) out.push({ group: info.group, plural: info.plural });
  }
  return out;
}

/** A Pod that changed since the last `takeChanges()`: its version then and now (undefined: absent). */
export interface PodChange {
  readonly prev: StoredObject | undefined;
  readonly next: StoredObject | undefined;
}

/** More Pod changes than this between two computes: the loop simply recomputes. */
const MAX_TRACKED_CHANGES = 512;

export interface SyncerOptions {
  readonly datastore: Datastore;
  readonly types?: readonly ResourceType[];
  /** Called after every change that matters (and when the syncer first gets in sync). */
  readonly onChange?: () => void;
  readonly log?: (msg: string) => void;
  /** Delay before re-listing after an error (doubles up to 5 s; default 100 ms). */
  readonly retryMs?: number;
}

interface _Entry {
  readonly obj: StoredObject;
  decoded: Resource | null | undefined;
}

const _typeKey = (t: ResourceType): string => `${t.group}/${t.plural}`;
const _POD: ResourceType = { group: '', plural: 'pods' };
const _objKey = (o: StoredObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

function _rev(s: string | undefined): bigint {
  try {
    return BigInt(s ?? '0');
  } catch {
    return 0n;
  }
}

/** The object without `tabby.dev/*` annotations and server bookkeeping, for "did anything else change". */
function _sansStatus(o: StoredObject): string {
  const { resourceVersion: _rv, managedFields: _mf, generation: _g, annotations, ...meta } = o.metadata as Record<string, unknown> & {
    annotations?: Record<string, string>;
  };
  const ann = Object.fromEntries(Object.entries(annotations ?? {}).filter(([k]) => !k.startsWith(STATUS_ANNOTATION_PREFIX)));
  return JSON.stringify({ ...o, metadata: { ...meta, annotations: ann } });
}

export class Syncer {
  private readonly _ds: Datastore;
  private readonly _types: readonly ResourceType[];
  private readonly _onChange: () => void;
  private readonly _log: (msg: string) => void;
  private readonly _retryMs: number;
  private readonly _byType = new Map<string, Map<string, _Entry>>();
  private readonly _listed = new Set<string>();
  private _revision = 0n;
  private _snapshot: { rev: bigint; gen: number; snap: Snapshot } | undefined;
  /** Bumped on every stored change (including status-only ones, which the snapshot ignores anyway). */
  private _gen = 0;
  /** Changes since the last takeChanges(): Pods by `ns/name` with their version then, or 'all'. */
  private _pending: Map<string, StoredObject | undefined> | 'all' = 'all';

  constructor(opts: SyncerOptions) {
    this._ds = opts.datastore;
    this._types = opts.types ?? engineResourceTypes();
    this._onChange = opts.onChange ?? ((): void => undefined);
    this._log = opts.log ?? ((): void => undefined);
    this._retryMs = opts.retryMs ?? 100;
  }

  get inSync(): boolean {
    return this._listed.size === this._types.length;
  }

  /** Highest revision of a change that matters, as a decimal string. */
  get revision(): string {
    return this._revision.toString();
  }

  /** Runs until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    await Promise.all(this._types.map((t) => this._runType(t, signal)));
  }

  /** Every stored object, decoded (objects that fail to decode are skipped and logged once). */
  resources(): Resource[] {
    const out: Resource[] = [];
    for (const m of this._byType.values())
      for (const e of m.values()) {
        if (e.decoded === undefined) {
          const r = decodeResource(e.obj);
          if (r.ok) e.decoded = r.value.resource;
          else {
            e.decoded = null;
            this._log(`skipping ${e.obj.kind} ${_objKey(e.obj)}: ${r.error.map((x) => x.path.toString()).join(', ')}`);
          }
        }
        if (e.decoded !== null) out.push(e.decoded);
      }
    return out;
  }

  /** The snapshot of the current objects (rebuilt only when something changed). */
  snapshot(): Snapshot {
    if (this._snapshot === undefined || this._snapshot.gen !== this._gen) {
      this._snapshot = { rev: this._revision, gen: this._gen, snap: buildSnapshot(this.resources()) };
    }
    return this._snapshot.snap;
  }

  /**
   * Felix defaults ← FelixConfiguration `default` ← `node.<node>`: the snapshot's, so the agent
   * programs exactly the settings `tabby verdict` judges the node with (invalid resources, which
   * the snapshot leaves out, change neither).
   */
  felixConfig(node: string): EffectiveFelixConfig {
    return this.snapshot().felixConfig(node);
  }

  /**
   * What changed since the previous call: `'all'` (a list or re-list, or a change to anything but
   * a Pod), else the changed Pods by `namespace/name`.
   */
  takeChanges(): ReadonlyMap<string, PodChange> | 'all' {
    const p = this._pending;
    this._pending = new Map();
    if (p === 'all') return 'all';
    const pods = this._byType.get(_typeKey(_POD));
    const out = new Map<string, PodChange>();
    for (const [k, prev] of p) out.set(k, { prev, next: pods?.get(k)?.obj });
    return out;
  }

  /** One stored object, decoded (undefined when absent or invalid). */
  decoded(t: ResourceType, namespace: string, name: string): Resource | undefined {
    const e = this._byType.get(_typeKey(t))?.get(`${namespace}/${name}`);
    if (e === undefined) return undefined;
    if (e.decoded === undefined) {
      const r = decodeResource(e.obj);
      e.decoded = r.ok ? r.value.resource : null;
    }
    return e.decoded ?? undefined;
  }

  private _noteChange(t: ResourceType, key: string, prev: StoredObject | undefined): void {
    const p = this._pending;
    if (p === 'all') return;
    if (t.group !== _POD.group || t.plural !== _POD.plural) {
      this._pending = 'all';
      return;
    }
    if (!p.has(key)) p.set(key, prev);
    if (p.size > MAX_TRACKED_CHANGES) this._pending = 'all';
  }

  private _map(t: ResourceType): Map<string, _Entry> {
    const k = _typeKey(t);
    let m = this._byType.get(k);
    if (m === undefined) {
      m = new Map();
      this._byType.set(k, m);
    }
    return m;
  }

  private _advance(rev: string): void {
    const r = _rev(rev);
    if (r > this._revision) this._revision = r;
  }

  private async _runType(t: ResourceType, signal: AbortSignal): Promise<void> {
    let backoff = this._retryMs;
    while (!signal.aborted) {
      try {
        const list = await this._ds.list(t);
        const m = new Map<string, _Entry>();
        for (const o of list.items) m.set(_objKey(o), { obj: o, decoded: undefined });
        this._byType.set(_typeKey(t), m);
        this._listed.add(_typeKey(t));
        this._gen++;
        this._pending = 'all';
        this._advance(list.revision);
        this._onChange();
        backoff = this._retryMs;
        for await (const ev of this._ds.watch(t, list.revision, signal)) {
          const map = this._map(t);
          const key = _objKey(ev.object);
          const prev = map.get(key);
          if (ev.type === 'DELETED') map.delete(key);
          else map.set(key, { obj: ev.object, decoded: undefined });
          this._gen++;
          const statusOnly = ev.type === 'MODIFIED' && prev !== undefined && _sansStatus(prev.obj) === _sansStatus(ev.object);
          if (!statusOnly) {
            this._noteChange(t, key, prev?.obj);
            this._advance(ev.revision);
            this._onChange();
          }
        }
        if (signal.aborted) return;
        this._log(`watch of ${_typeKey(t)} ended; re-listing`);
      } catch (e) {
        if (signal.aborted) return;
        if (e instanceof TooOldError) {
          this._log(`watch of ${_typeKey(t)}: ${e.message}; re-listing`);
          continue;
        }
        this._log(`sync of ${_typeKey(t)} failed: ${e instanceof Error ? e.message : String(e)}; retrying in ${backoff} ms`);
        try {
          await sleep(backoff, undefined, { signal });
        } catch {
          return;
        }
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }
}
