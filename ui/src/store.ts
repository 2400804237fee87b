/**
 * The dashboard's state: every object of the dashboard types, kept current by the watch stream,
 * and derived from it (once per batch of changes) the decoded resources and the engine's
 * Snapshot — built here, in the browser, by the same code the CLI and agents run.
 */
import { computed, signal } from '@preact/signals';
import { buildSnapshot, declaredPorts, type MatrixPort, type Snapshot } from '../../src/engine/index.js';
import { isDerived } from '../../src/model/calico/derived.js';
import { decodeResource } from '../../src/model/validate-resource.js';
import type { Resource } from '../../src/model/meta.js';
import { formatLine } from '../../src/model/field/format.js';
import type { ApiObject, DashboardEvent } from '../../src/web/protocol.js';
import { followWatch } from './api.js';

export type Connection = 'connecting' | 'live' | 'unauthorized' | 'offline';

const objects = new Map<string, Map<string, ApiObject>>();
export const dataVersion = signal(0);
export const ready = signal(false);
export const connection = signal<Connection>('connecting');
/** Set (what is shown, e.g. `read-only: cluster https://… (crd.projectcalico.org/v1)`) when the server refuses writes: write actions are hidden. */
export const readOnly = signal<string | undefined>(undefined);
/** The newest resourceVersion seen (the datastore revision the dashboard reflects). */
export const latestRevision = signal('0');
export interface Change {
  readonly at: number;
  readonly type: string;
  readonly kind: string;
  readonly name: string;
  readonly revision: string;
}
export const recentChanges = signal<readonly Change[]>([]);
/** performance.now() of the last batch of data applied (what render timings start from). */
export let dataArrivedAt = 0;

/**
 * Views the API server derives from other objects (Calico's API lists each Kubernetes
 * NetworkPolicy again as a projectcalico.org NetworkPolicy `knp.default.<name>`): the engine
 * converts the originals itself, so these would count twice. Likewise every object the server
 * marks derived (built-in tiers, the default FelixConfiguration, kns./ksa. profiles, pods'
 * WorkloadEndpoints): the engine has its own built-in tier and derives the rest from pods,
 * namespaces and service accounts.
 */
const _derived = (typeId: string, o: ApiObject): boolean =>
  (typeId === 'projectcalico.org/networkpolicies' && o.metadata.name.startsWith('knp.default.')) || isDerived(o);

const _key = (o: ApiObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const _bumpRev = (rv: string | undefined): void => {
  if (rv !== undefined && /^\d+$/.test(rv) && BigInt(rv) > BigInt(latestRevision.value)) latestRevision.value = rv;
};

let flushTimer: ReturnType<typeof setTimeout> | undefined;
function _scheduleFlush(): void {
  if (flushTimer !== undefined) return;
  flushTimer = setTimeout(() => {
    flushTimer = undefined;
    dataArrivedAt = performance.now();
    dataVersion.value++;
  }, 25);
}

export function applyEvent(ev: DashboardEvent): void {
  switch (ev.type) {
    case 'SYNC': {
      const m = new Map<string, ApiObject>();
      for (const o of ev.items) if (!_derived(ev.resource, o)) m.set(_key(o), o);
      objects.set(ev.resource, m);
      _bumpRev(ev.resourceVersion);
      if (ready.value) _scheduleFlush();
      return;
    }
    case 'READY':
      _bumpRev(ev.resourceVersion);
      readOnly.value = ev.readOnly;
      dataArrivedAt = performance.now();
      ready.value = true;
      dataVersion.value++;
      return;
    case 'ADDED':
    case 'MODIFIED':
    case 'DELETED': {
      if (_derived(ev.resource, ev.object)) return;
      let m = objects.get(ev.resource);
      if (m === undefined) objects.set(ev.resource, (m = new Map()));
      if (ev.type === 'DELETED') m.delete(_key(ev.object));
      else m.set(_key(ev.object), ev.object);
      _bumpRev(ev.object.metadata.resourceVersion);
      const name = ev.object.metadata.namespace ? `${ev.object.metadata.namespace}/${ev.object.metadata.name}` : ev.object.metadata.name;
      recentChanges.value = [{ at: Date.now(), type: ev.type, kind: ev.object.kind, name, revision: ev.object.metadata.resourceVersion ?? '' }, ...recentChanges.value].slice(0, 30);
      if (ready.value) _scheduleFlush();
      return;
    }
    case 'ERROR':
    case 'PING':
      return;
    default: {
      const never: never = ev;
      return never;
    }
  }
}

let running: AbortController | undefined;
export function startWatch(): void {
  running?.abort();
  running = new AbortController();
  void followWatch(running.signal, applyEvent, (s) => (connection.value = s));
}
export function stopWatch(): void {
  running?.abort();
  running = undefined;
  objects.clear();
  ready.value = false;
}

export function objectsOf(typeId: string): ApiObject[] {
  return [...(objects.get(typeId)?.values() ?? [])];
}

export function findObject(typeId: string, namespace: string, name: string): ApiObject | undefined {
  return objects.get(typeId)?.get(`${namespace}/${name}`);
}

export interface World {
  readonly version: number;
  readonly raws: readonly ApiObject[];
  readonly resources: readonly Resource[];
  readonly invalid: readonly string[];
  readonly snapshot: Snapshot;
  readonly ports: readonly MatrixPort[];
  /** performance.now() when the data behind this world arrived, and the build time. */
  readonly dataAt: number;
  readonly buildMs: number;
}

/** Decoded resources and the engine snapshot, rebuilt after each batch of changes. */
export const world = computed<World | undefined>(() => {
  const version = dataVersion.value;
  if (!ready.value) return undefined;
  const t0 = performance.now();
  const raws: ApiObject[] = [];
  for (const m of objects.values()) for (const o of m.values()) raws.push(o);
  const resources: Resource[] = [];
  const invalid: string[] = [];
  for (const o of raws) {
    const r = decodeResource(o);
    if (r.ok) resources.push(r.value.resource);
    else invalid.push(`${o.kind} ${_key(o)}: ${r.error.map((e) => formatLine(e)).join('; ')}`);
  }
  const snapshot = buildSnapshot(resources);
  return { version, raws, resources, invalid, snapshot, ports: declaredPorts(resources), dataAt: dataArrivedAt, buildMs: performance.now() - t0 };
});
