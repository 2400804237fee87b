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
 *
 * Pod scope (issue 19, scope.ts): with `scope: { node }` the syncer keeps only this node's Pods
 * and the remote Pods its IP sets can need; the Pods are listed after every other kind (their
 * endpoint labels need the Namespaces and ServiceAccounts). `cover(footprint)` (called by the loop
 * after each full computation) widens the scope when the computation needs more, and then the
 * syncer is not in sync until it has fetched it: the Pods of a new namespace by a list of that
 * namespace merged into the map (per object, the newer resourceVersion wins, so the watch's
 * older events for it are ignored), anything else by re-listing every Pod. A Namespace or
 * ServiceAccount change while Pods are kept by unbounded selectors re-lists the Pods too (their
 * profile labels may now match).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { TooOldError, type Datastore, type ResourceType, type StoredObject } from '../datastore/index.js';
import { buildSnapshot, type Snapshot } from '../engine/index.js';
import { kindFor } from '../model/kinds.js';
import { decodeResource } from '../model/validate-resource.js';
import type { Resource } from '../model/meta.js';
import { ENGINE_KINDS } from '../engine/input-kinds.js';
import type { EffectiveFelixConfig } from '../model/calico/felix-configuration.js';
import type { NodeFootprint } from './relevance.js';
import { endpointLabels, keptByNamespace, LOCAL_ONLY, matchesScope, scopeFor, widen, widening, type PodScope } from './scope.js';

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
  /** Keep only this node's Pods and the remote Pods its IP sets can need (scope.ts). */
  readonly scope?: { readonly node: string };
}

interface _Entry {
  readonly obj: StoredObject;
  decoded: Resource | null | undefined;
}

const _typeKey = (t: ResourceType): string => `${t.group}/${t.plural}`;
const _POD: ResourceType = { group: '', plural: 'pods' };
const _objKey = (o: StoredObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

/**
 * Namespaced policy kinds (`group/plural`): each applies only to workload endpoints of its own
 * namespace (Calico NetworkPolicy, Kubernetes NetworkPolicy and their staged forms), so a node
 * with no endpoint in that namespace programs nothing of it (the active-rules idea of Felix's
 * calc graph).
 */
const _NAMESPACED_POLICIES = new Set([
  'networking.k8s.io/networkpolicies',
  'projectcalico.org/networkpolicies',
  'projectcalico.org/stagednetworkpolicies',
  'projectcalico.org/stagedkubernetesnetworkpolicies',
]);
const _WEP_KEY = 'projectcalico.org/workloadendpoints';

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
  /** Pod scope (scope.ts): the node, what is kept, and what is being fetched. */
  private readonly _scopeNode: string | undefined;
  private _podScope: PodScope = LOCAL_ONLY;
  private _podRelist = false;
  private _merging = 0;
  private _podWatch: AbortController | undefined;
  /** The highest revision the Pod list + watch has reached. */
  private _podRev = 0n;
  private _othersListed: (() => void) | undefined;
  private readonly _othersListedP: Promise<void>;
  /** Bumped whenever the Pod map changes (keys the local-namespace cache). */
  private _podGen = 0;
  private _localNs: { gen: number; wepGen: number; set: Set<string> } | undefined;
  private _wepGen = 0;
  /** Pod lists made to widen the scope (namespaced, and full re-lists). */
  scopeLists = { namespaced: 0, full: 0 };

  constructor(opts: SyncerOptions) {
    this._ds = opts.datastore;
    this._types = opts.types ?? engineResourceTypes();
    this._onChange = opts.onChange ?? ((): void => undefined);
    this._log = opts.log ?? ((): void => undefined);
    this._retryMs = opts.retryMs ?? 100;
    this._scopeNode = opts.scope?.node;
    this._othersListedP = new Promise((ok) => (this._othersListed = ok));
  }

  get inSync(): boolean {
    return this._listed.size === this._types.length && !this._podRelist && this._merging === 0;
  }

  /** Pods held (this node's and the remote ones kept). */
  get podCount(): number {
    return this._byType.get(_typeKey(_POD))?.size ?? 0;
  }

  /** What of the other nodes' Pods is kept (everything when unscoped). */
  get podScope(): PodScope | undefined {
    return this._scopeNode === undefined ? undefined : this._podScope;
  }

  /**
   * Whether the kept Pods cover what a computation with this footprint needs; when not, widens
   * the scope and starts fetching (not in sync until done; `onChange` is called then).
   */
  cover(fp: NodeFootprint): boolean {
    if (this._scopeNode === undefined) return true;
    const w = widening(this._podScope, scopeFor(fp));
    if (w === undefined) return true;
    this._podScope = widen(this._podScope, w);
    if (w.all || w.selectors.length > 0 || !this._listed.has(_typeKey(_POD))) this._relistPods();
    else for (const ns of w.namespaces) void this._mergeNamespace(ns);
    return false;
  }

  private _relistPods(): void {
    this._podRelist = true;
    this._podWatch?.abort();
  }

  private async _mergeNamespace(ns: string): Promise<void> {
    this._merging++;
    try {
      for (let attempt = 0; ; attempt++) {
        this.scopeLists.namespaced++;
        const list = await this._ds.list({ ..._POD, namespace: ns });
        // A list older than what the watch already delivered could bring back deleted Pods.
        if (_rev(list.revision) < this._podRev) {
          if (attempt < 3) continue;
          this._relistPods();
          return;
        }
        const m = this._map(_POD);
        for (const o of list.items) {
          const k = _objKey(o);
          const prev = m.get(k);
          if (prev !== undefined && _rev(prev.obj.metadata.resourceVersion) >= _rev(o.metadata.resourceVersion)) continue;
          m.set(k, { obj: o, decoded: undefined });
        }
        this._gen++;
        this._podGen++;
        this._pending = 'all';
        return;
      }
    } catch (e) {
      this._log(`list of the pods of namespace ${ns} failed: ${e instanceof Error ? e.message : String(e)}; re-listing every pod`);
      this._relistPods();
    } finally {
      this._merging--;
      this._onChange();
    }
  }

  /** Whether a Pod is kept under the current scope (always, unscoped). */
  private _keepPod(o: StoredObject): boolean {
    const node = this._scopeNode;
    if (node === undefined) return true;
    if ((o as { spec?: { nodeName?: unknown } }).spec?.nodeName === node) return true;
    const k = keptByNamespace(this._podScope, o.metadata.namespace ?? '');
    if (k !== undefined) return k;
    const r = decodeResource(o);
    if (!r.ok) return false; // the engine skips it too
    const labels = endpointLabels(r.value.resource, (kind, ns, name) =>
      this.decoded(kind === 'Namespace' ? { group: '', plural: 'namespaces' } : { group: '', plural: 'serviceaccounts' }, ns, name),
    );
    return labels !== undefined && matchesScope(this._podScope, labels);
  }

  /** Highest revision of a change that matters, as a decimal string. */
  get revision(): string {
    return this._revision.toString();
  }

  /** Runs until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    await Promise.all(this._types.map((t) => this._runType(t, signal)));
  }

  /**
   * The namespaces this node has workload endpoints in (scoped only): of its own Pods, and of
   * every WorkloadEndpoint object (whatever its node: a conservative superset). Cached until a
   * Pod or WorkloadEndpoint changes.
   */
  localNamespaces(): ReadonlySet<string> | undefined {
    const node = this._scopeNode;
    if (node === undefined) return undefined;
    const c = this._localNs;
    if (c !== undefined && c.gen === this._podGen && c.wepGen === this._wepGen) return c.set;
    const set = new Set<string>();
    for (const e of this._byType.get(_typeKey(_POD))?.values() ?? [])
      if ((e.obj as { spec?: { nodeName?: unknown } }).spec?.nodeName === node) set.add(e.obj.metadata.namespace ?? '');
    for (const e of this._byType.get(_WEP_KEY)?.values() ?? []) set.add(e.obj.metadata.namespace ?? '');
    this._localNs = { gen: this._podGen, wepGen: this._wepGen, set };
    return set;
  }

  /**
   * Every stored object the node's computation can need, decoded (objects that fail to decode are
   * skipped and logged once). Scoped, a namespaced policy of a namespace where this node has no
   * workload endpoint is left out (and never decoded): it cannot select anything the node
   * programs. The object stays stored, so a local Pod appearing there brings it back with the
   * next computation.
   */
  resources(): Resource[] {
    const out: Resource[] = [];
    const local = this.localNamespaces();
    for (const [tk, m] of this._byType) {
      const skipOthers = local !== undefined && _NAMESPACED_POLICIES.has(tk);
      for (const e of m.values()) {
        if (skipOthers && !local.has(e.obj.metadata.namespace ?? '')) continue;
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
      // A namespaced policy where this node has no endpoint changes nothing it programs (resources()).
      const local = _NAMESPACED_POLICIES.has(_typeKey(t)) ? this.localNamespaces() : undefined;
      if (local !== undefined && !local.has(key.slice(0, key.indexOf('/')))) return;
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
    const isPod = t.group === _POD.group && t.plural === _POD.plural;
    const scoped = this._scopeNode !== undefined;
    // Scoped, the Pods' endpoint labels need the Namespaces and ServiceAccounts: list them first.
    if (scoped && isPod) await Promise.race([this._othersListedP, new Promise((ok) => signal.addEventListener('abort', ok, { once: true }))]);
    const profileKind = !isPod && t.group === '' && (t.plural === 'namespaces' || t.plural === 'serviceaccounts');
    while (!signal.aborted) {
      try {
        const relist = scoped && isPod && this._podRelist;
        // Before anything says which other Pods are needed, only this node's are: ask for those.
        const localOnly = scoped && isPod && !this._podScope.all && this._podScope.namespaces.size === 0 && this._podScope.selectors.size === 0;
        const list = await this._ds.list(localOnly ? { ...t, nodeName: this._scopeNode } : t);
        if (relist) this.scopeLists.full++;
        const m = new Map<string, _Entry>();
        for (const o of list.items) if (!isPod || this._keepPod(o)) m.set(_objKey(o), { obj: o, decoded: undefined });
        this._byType.set(_typeKey(t), m);
        this._listed.add(_typeKey(t));
        if (isPod) this._podGen++;
        if (_typeKey(t) === _WEP_KEY) this._wepGen++;
        if (isPod) {
          this._podRelist = false;
          this._podRev = _rev(list.revision);
        } else if (this._othersListed !== undefined && this._types.every((x) => x === t || _typeKey(x) === _typeKey(_POD) || this._listed.has(_typeKey(x)))) {
          this._othersListed();
          this._othersListed = undefined;
        }
        this._gen++;
        this._pending = 'all';
        this._advance(list.revision);
        this._onChange();
        backoff = this._retryMs;
        const watching = new AbortController();
        const onAbort = (): void => watching.abort();
        signal.addEventListener('abort', onAbort, { once: true });
        if (isPod) this._podWatch = watching;
        try {
          for await (const ev of this._ds.watch(t, list.revision, watching.signal)) {
            const map = this._map(t);
            const key = _objKey(ev.object);
            const prev = map.get(key);
            if (isPod && scoped) {
              const r = _rev(ev.revision);
              if (r > this._podRev) this._podRev = r;
              // Older than what a namespaced list merged in (already reflected), or a Pod that
              // was not kept and is not now: only the revision moves on.
              const stale = prev !== undefined && _rev(prev.obj.metadata.resourceVersion) >= r;
              if (stale || (prev === undefined && (ev.type === 'DELETED' || !this._keepPod(ev.object)))) {
                this._advance(ev.revision);
                this._onChange();
                continue;
              }
            }
            if (ev.type === 'DELETED' || (isPod && !this._keepPod(ev.object))) map.delete(key);
            else map.set(key, { obj: ev.object, decoded: undefined });
            this._gen++;
            if (isPod) this._podGen++;
            else if (_typeKey(t) === _WEP_KEY) this._wepGen++;
            // Only a Node's own status annotations are exempt (the module comment): any other write,
            // even one that changes nothing (a no-op update still gets a revision), moves the
            // revision on, or a caller waiting for that revision (the lab's settle) waits forever.
            const statusOnly = ev.type === 'MODIFIED' && t.plural === 'nodes' && prev !== undefined && _sansStatus(prev.obj) === _sansStatus(ev.object);
            if (!statusOnly) {
              this._noteChange(t, key, prev?.obj);
              this._advance(ev.revision);
              // Pods kept by unbounded selectors may match differently now: fetch them again.
              if (profileKind && scoped && !this._podScope.all && this._podScope.selectors.size > 0) this._relistPods();
              this._onChange();
            }
          }
        } finally {
          signal.removeEventListener('abort', onAbort);
          if (this._podWatch === watching) this._podWatch = undefined;
        }
        if (signal.aborted) return;
        if (isPod && this._podRelist) continue;
        this._log(`watch of ${_typeKey(t)} ended; re-listing`);
      } catch (e) {
        if (signal.aborted) return;
        if (isPod && this._podRelist) continue;
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
