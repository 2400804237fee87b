/**
 * @module The one Datastore conformance suite (style habit 3). Every backend runs it:
 * `runDatastoreConformance('sqlite', (opts) => openHarness(opts))`.
 *
 * Each test opens its own datastore through the harness and works in collections (plurals)
 * unique to that test, so backends that share a server between tests (etcd) stay isolated.
 * Every wait is bounded; every watch is aborted; every harness is cleaned up in `finally`.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Datastore, DatastoreOptions, ListQuery, ResourceType, StoredObject, WatchEvent } from './datastore.js';
import { AlreadyExistsError, ConflictError, NotFoundError, TooOldError, UnavailableError } from './errors.js';

export interface ConformanceHarness {
  readonly ds: Datastore;
  /** Discards the change history up to the current revision (provokes TooOldError). */
  compact(): Promise<void>;
  /** Closes the datastore if still open and removes whatever the harness created. */
  cleanup(): Promise<void>;
}

export type OpenHarness = (opts: DatastoreOptions) => Promise<ConformanceHarness>;

const FIXED_NOW = new Date('2024-05-01T10:20:30.456Z');
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TEST_TIMEOUT_MS = 60_000;

/** Collections unique to one test. */
function collections() {
  const id = randomBytes(4).toString('hex');
  return {
    /** Namespaced Calico kind. */
    np: { group: 'projectcalico.org', plural: `networkpolicies${id}` },
    /** Cluster-scoped Calico kind. */
    gnp: { group: 'projectcalico.org', plural: `globalnetworkpolicies${id}` },
    /** Same plural as `np`, other group (Kubernetes NetworkPolicy). */
    knp: { group: 'networking.k8s.io', plural: `networkpolicies${id}` },
    /** Core group kind. */
    ns: { group: '', plural: `namespaces${id}` },
  } satisfies Record<string, ResourceType>;
}

interface Obj extends StoredObject {
  readonly spec?: unknown;
}

function calicoNp(name: string, namespace: string, labels: Record<string, string> = {}, spec: unknown = { order: 1 }): Obj {
  return { apiVersion: 'projectcalico.org/v3', kind: 'NetworkPolicy', metadata: { name, namespace, labels }, spec };
}

function gnp(name: string, labels: Record<string, string> = {}, spec: unknown = { order: 1 }): Obj {
  return { apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name, labels }, spec };
}

const rv = (o: StoredObject): number => {
  const v = o.metadata.resourceVersion;
  assert.ok(v !== undefined && /^\d+$/.test(v), `resourceVersion ${String(v)} is a decimal string`);
  return Number(v);
};

const names = (items: readonly StoredObject[]): string[] =>
  items.map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`);

/** Reads `n` events (or fewer if `timeoutMs` passes first), then stops the watch. */
async function collect(ds: Datastore, q: ListQuery, from: string, n: number, timeoutMs = 5_000): Promise<WatchEvent[]> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  const out: WatchEvent[] = [];
  try {
    if (n === 0) return out;
    for await (const ev of ds.watch(q, from, ac.signal)) {
      out.push(ev);
      if (out.length >= n) break;
    }
    return out;
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
}

/** Starts a watch that records events in the background; `stop()` ends it. */
function record(ds: Datastore, q: ListQuery, from: string) {
  const ac = new AbortController();
  const events: WatchEvent[] = [];
  let failure: unknown;
  const done = (async () => {
    try {
      for await (const ev of ds.watch(q, from, ac.signal)) events.push(ev);
    } catch (e) {
      failure = e;
    }
  })();
  return {
    events,
    /** Waits (bounded) until `pred(events)` holds. */
    async until(pred: (evs: WatchEvent[]) => boolean, timeoutMs = 10_000): Promise<void> {
      const endAt = Date.now() + timeoutMs;
      while (!pred(events)) {
        if (failure !== undefined) throw failure;
        if (Date.now() > endAt) assert.fail(`watch did not reach the expected state in ${timeoutMs} ms; got ${events.length} events`);
        await new Promise((r) => setTimeout(r, 2));
      }
    },
    async stop(): Promise<void> {
      ac.abort();
      await done;
      if (failure !== undefined) throw failure;
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** A timer for races that must not keep the process alive after the race is decided. */
const deadline = (ms: number): Promise<'timeout'> => new Promise((r) => setTimeout(() => r('timeout'), ms).unref());

/** get → change → update, retrying on Conflict (bounded). Returns the number of attempts. */
async function increment(ds: Datastore, type: ResourceType, name: string, namespace: string): Promise<number> {
  for (let attempt = 1; attempt <= 1_000; attempt++) {
    const cur = await ds.get({ ...type, namespace, name });
    const n = Number(cur.metadata.labels?.['count'] ?? '0');
    const next: StoredObject = { ...cur, metadata: { ...cur.metadata, labels: { ...cur.metadata.labels, count: String(n + 1) } } };
    try {
      await ds.update(type, next);
      return attempt;
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
      await sleep(Math.random() * 2);
    }
  }
  throw new Error('increment: too many conflicts');
}

export function runDatastoreConformance(name: string, open: OpenHarness): void {
  /** Opens a harness for one test and always cleans it up. */
  const withDs = async (fn: (h: ConformanceHarness) => Promise<void>, opts: DatastoreOptions = {}): Promise<void> => {
    const h = await open(opts);
    try {
      await fn(h);
    } finally {
      await h.cleanup();
    }
  };
  const t = (title: string, fn: (h: ConformanceHarness) => Promise<void>, opts?: DatastoreOptions): void => {
    test(title, { timeout: TEST_TIMEOUT_MS }, () => withDs(fn, opts));
  };

  describe(`datastore conformance: ${name}`, () => {
    t(
      'create sets uid, creationTimestamp, generation and resourceVersion; get returns the same object',
      async ({ ds }) => {
        const c = collections();
        const input: Obj = {
          ...calicoNp('a', 'ns1', { app: 'web' }, { order: 5, ingress: [{ action: 'Allow', ports: [80, '443'] }], note: 'héllo ✓' }),
          metadata: { name: 'a', namespace: 'ns1', labels: { app: 'web' }, uid: 'caller-uid', resourceVersion: '999999', creationTimestamp: '2000-01-01T00:00:00Z', generation: 7, annotations: { x: 'y' } },
        };
        const created = await ds.create(c.np, input);
        assert.match(created.metadata.uid ?? '', UUID_V4);
        assert.equal(created.metadata.creationTimestamp, '2024-05-01T10:20:30Z');
        assert.equal(created.metadata.generation, 1);
        assert.ok(rv(created) > 0);
        assert.deepEqual((created as Obj).spec, (input as Obj).spec);
        assert.deepEqual(created.metadata.annotations, { x: 'y' });
        assert.equal(created.apiVersion, 'projectcalico.org/v3');
        assert.equal(created.kind, 'NetworkPolicy');
        const got = await ds.get({ ...c.np, namespace: 'ns1', name: 'a' });
        assert.deepEqual(got, created);
        assert.deepEqual(input.metadata.uid, 'caller-uid', 'the input object is not mutated');
      },
      { now: () => FIXED_NOW },
    );

    t('uids are distinct; a second create of the same key is AlreadyExists', async ({ ds }) => {
      const c = collections();
      const a = await ds.create(c.gnp, gnp('a'));
      const b = await ds.create(c.gnp, gnp('b'));
      assert.notEqual(a.metadata.uid, b.metadata.uid);
      await assert.rejects(ds.create(c.gnp, gnp('a')), (e: unknown) => e instanceof AlreadyExistsError && e.reason === 'AlreadyExists');
      assert.equal((await ds.get({ ...c.gnp, namespace: '', name: 'a' })).metadata.uid, a.metadata.uid);
    });

    t('missing objects are NotFound for get, update and delete', async ({ ds }) => {
      const c = collections();
      const key = { ...c.np, namespace: 'ns1', name: 'nope' };
      for (const call of [() => ds.get(key), () => ds.update(c.np, calicoNp('nope', 'ns1')), () => ds.delete(key)]) {
        await assert.rejects(call(), (e: unknown) => e instanceof NotFoundError && e.reason === 'NotFound' && e.message.includes('nope'));
      }
    });

    t('update: compare-and-swap on resourceVersion; server fields carried over; generation follows the spec', async ({ ds }) => {
      const c = collections();
      const v1 = await ds.create(c.np, calicoNp('a', 'ns1', { app: 'web' }));
      // Labels only: generation stays.
      const v2 = await ds.update(c.np, { ...v1, metadata: { ...v1.metadata, labels: { app: 'db' } } });
      assert.ok(rv(v2) > rv(v1));
      assert.equal(v2.metadata.generation, 1);
      assert.equal(v2.metadata.uid, v1.metadata.uid);
      assert.equal(v2.metadata.creationTimestamp, v1.metadata.creationTimestamp);
      // Spec change: generation +1; caller's creationTimestamp/generation are ignored.
      const v3 = await ds.update(c.np, {
        ...calicoNp('a', 'ns1', { app: 'db' }, { order: 2 }),
        metadata: { ...v2.metadata, creationTimestamp: '1999-01-01T00:00:00Z', generation: 40 },
      });
      assert.equal(v3.metadata.generation, 2);
      assert.equal(v3.metadata.creationTimestamp, v1.metadata.creationTimestamp);
      assert.deepEqual((v3 as Obj).spec, { order: 2 });
      // Stale resourceVersion: Conflict, nothing written.
      await assert.rejects(
        ds.update(c.np, { ...v1, metadata: { ...v1.metadata, labels: { stale: 'yes' } } }),
        (e: unknown) => e instanceof ConflictError && e.reason === 'Conflict',
      );
      const now = await ds.get({ ...c.np, namespace: 'ns1', name: 'a' });
      assert.deepEqual(now, v3);
      // No resourceVersion: unconditional.
      const { resourceVersion: _rv, ...meta } = v1.metadata;
      const v4 = await ds.update(c.np, { ...calicoNp('a', 'ns1', { app: 'x' }, { order: 2 }), metadata: { ...meta, labels: { app: 'x' } } });
      assert.ok(rv(v4) > rv(v3));
      assert.equal(v4.metadata.generation, 2);
      assert.deepEqual(v4.metadata.labels, { app: 'x' });
    });

    t('update with the uid of an earlier incarnation is a Conflict', async ({ ds }) => {
      const c = collections();
      const first = await ds.create(c.gnp, gnp('a'));
      await ds.delete({ ...c.gnp, namespace: '', name: 'a' });
      const second = await ds.create(c.gnp, gnp('a'));
      assert.notEqual(second.metadata.uid, first.metadata.uid);
      assert.equal(second.metadata.generation, 1);
      const { resourceVersion: _rv, ...meta } = first.metadata;
      await assert.rejects(ds.update(c.gnp, { ...first, metadata: meta }), ConflictError);
    });

    t('delete returns the last state; preconditions are checked', async ({ ds }) => {
      const c = collections();
      const v1 = await ds.create(c.np, calicoNp('a', 'ns1', { app: 'web' }));
      const key = { ...c.np, namespace: 'ns1', name: 'a' };
      const v2 = await ds.update(c.np, { ...v1, metadata: { ...v1.metadata, labels: { app: 'db' } } });
      await assert.rejects(ds.delete(key, { resourceVersion: v1.metadata.resourceVersion ?? '' }), ConflictError);
      await assert.rejects(ds.delete(key, { uid: 'someone-else' }), ConflictError);
      await ds.get(key);
      const gone = await ds.delete(key, { resourceVersion: v2.metadata.resourceVersion ?? '', uid: v2.metadata.uid ?? '' });
      assert.deepEqual(gone.metadata.labels, { app: 'db' });
      assert.equal(gone.metadata.uid, v1.metadata.uid);
      assert.ok(rv(gone) > rv(v2), 'a delete has its own, newer revision');
      await assert.rejects(ds.get(key), NotFoundError);
      await assert.rejects(ds.delete(key), NotFoundError);
    });

    t('namespaces, cluster scope and API groups are separate key spaces; lists are sorted', async ({ ds }) => {
      const c = collections();
      await ds.create(c.np, calicoNp('b', 'ns2'));
      await ds.create(c.np, calicoNp('a', 'ns2'));
      await ds.create(c.np, calicoNp('a', 'ns1'));
      await ds.create(c.np, calicoNp('z', 'ns1-x'));
      await ds.create(c.knp, { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'a', namespace: 'ns1' } });
      await ds.create(c.gnp, gnp('a'));
      await ds.create(c.ns, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns1' } });
      assert.deepEqual(names((await ds.list(c.np)).items), ['ns1/a', 'ns1-x/z', 'ns2/a', 'ns2/b']);
      assert.deepEqual(names((await ds.list({ ...c.np, namespace: 'ns2' })).items), ['ns2/a', 'ns2/b']);
      assert.deepEqual(names((await ds.list({ ...c.np, namespace: 'ns1' })).items), ['ns1/a']);
      assert.deepEqual(names((await ds.list({ ...c.np, namespace: 'other' })).items), []);
      const knps = (await ds.list(c.knp)).items;
      assert.deepEqual(names(knps), ['ns1/a']);
      assert.equal(knps[0]?.apiVersion, 'networking.k8s.io/v1');
      assert.deepEqual(names((await ds.list(c.gnp)).items), ['/a']);
      assert.deepEqual(names((await ds.list(c.ns)).items), ['/ns1']);
      await ds.delete({ ...c.knp, namespace: 'ns1', name: 'a' });
      assert.equal((await ds.get({ ...c.np, namespace: 'ns1', name: 'a' })).kind, 'NetworkPolicy');
      await assert.rejects(ds.get({ ...c.np, namespace: '', name: 'a' }), NotFoundError);
    });

    t('list filters by a label predicate (missing labels are {})', async ({ ds }) => {
      const c = collections();
      await ds.create(c.gnp, gnp('web1', { app: 'web', tier: 'fe' }));
      await ds.create(c.gnp, gnp('web2', { app: 'web' }));
      await ds.create(c.gnp, gnp('db', { app: 'db' }));
      await ds.create(c.gnp, { apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name: 'bare' } });
      const seen: Record<string, string>[] = [];
      const web = await ds.list({ ...c.gnp, labels: (l) => (seen.push({ ...l }), l['app'] === 'web') });
      assert.deepEqual(names(web.items), ['/web1', '/web2']);
      assert.ok(seen.some((l) => Object.keys(l).length === 0), 'an object without labels is matched against {}');
      const none = await ds.list({ ...c.gnp, labels: (l) => !('app' in l) });
      assert.deepEqual(names(none.items), ['/bare']);
    });

    t('one revision counter: strictly increasing across kinds; a list reports the store revision', async ({ ds }) => {
      const c = collections();
      const empty = await ds.list(c.gnp);
      assert.deepEqual(empty.items, []);
      assert.match(empty.revision, /^\d+$/);
      const a = await ds.create(c.gnp, gnp('a'));
      const b = await ds.create(c.np, calicoNp('b', 'ns1'));
      const a2 = await ds.update(c.gnp, { ...a, metadata: { ...a.metadata, labels: { x: '1' } } });
      assert.ok(Number(empty.revision) < rv(a));
      assert.ok(rv(a) < rv(b) && rv(b) < rv(a2));
      const l = await ds.list(c.gnp);
      assert.ok(Number(l.revision) >= rv(a2), 'list revision covers every write before it');
      assert.deepEqual(l.items, [a2]);
      const del = await ds.delete({ ...c.np, namespace: 'ns1', name: 'b' });
      assert.ok(Number((await ds.list(c.np)).revision) >= rv(del), 'deletes move the store revision too');
    });

    t('watch: ADDED, MODIFIED, DELETED in order, only for the query, with revisions', async ({ ds }) => {
      const c = collections();
      const start = await ds.list(c.np);
      const w = record(ds, c.np, start.revision);
      const v1 = await ds.create(c.np, calicoNp('a', 'ns1', { app: 'web' }));
      await ds.create(c.gnp, gnp('other')); // another collection
      await ds.create(c.knp, { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'a', namespace: 'ns1' } });
      const v2 = await ds.update(c.np, { ...v1, metadata: { ...v1.metadata, labels: { app: 'db' } } });
      const v3 = await ds.delete({ ...c.np, namespace: 'ns1', name: 'a' });
      const b = await ds.create(c.np, calicoNp('b', 'ns2'));
      await w.until((evs) => evs.length >= 4);
      await sleep(20);
      await w.stop();
      assert.deepEqual(
        w.events.map((e) => [e.type, e.object.metadata.name, e.revision]),
        [
          ['ADDED', 'a', v1.metadata.resourceVersion],
          ['MODIFIED', 'a', v2.metadata.resourceVersion],
          ['DELETED', 'a', v3.metadata.resourceVersion],
          ['ADDED', 'b', b.metadata.resourceVersion],
        ],
      );
      for (const e of w.events) assert.equal(e.object.metadata.resourceVersion, e.revision);
      assert.deepEqual(w.events[1]?.object, v2);
      assert.deepEqual(w.events[2]?.object.metadata.labels, { app: 'db' });
    });

    t('watch: namespace filter and label filter (objects entering and leaving the filter)', async ({ ds }) => {
      const c = collections();
      const start = (await ds.list(c.np)).revision;
      const w = record(ds, { ...c.np, namespace: 'ns1', labels: (l) => l['app'] === 'web' }, start);
      const a = await ds.create(c.np, calicoNp('a', 'ns1', { app: 'db' })); // not matching: nothing
      await ds.create(c.np, calicoNp('x', 'ns2', { app: 'web' })); // other namespace: nothing
      const a2 = await ds.update(c.np, { ...a, metadata: { ...a.metadata, labels: { app: 'web' } } }); // enters: ADDED
      const a3 = await ds.update(c.np, { ...a2, metadata: { ...a2.metadata, labels: { app: 'web', v: '2' } } }); // MODIFIED
      const a4 = await ds.update(c.np, { ...a3, metadata: { ...a3.metadata, labels: { app: 'db' } } }); // leaves: DELETED
      const a5 = await ds.update(c.np, { ...a4, metadata: { ...a4.metadata, labels: { app: 'web' } } }); // ADDED
      const a6 = await ds.delete({ ...c.np, namespace: 'ns1', name: 'a' }); // DELETED
      await w.until((evs) => evs.length >= 5);
      await sleep(20);
      await w.stop();
      assert.deepEqual(
        w.events.map((e) => [e.type, e.revision]),
        [
          ['ADDED', a2.metadata.resourceVersion],
          ['MODIFIED', a3.metadata.resourceVersion],
          ['DELETED', a4.metadata.resourceVersion],
          ['ADDED', a5.metadata.resourceVersion],
          ['DELETED', a6.metadata.resourceVersion],
        ],
      );
      // Leaving the selection: DELETED carries the last state that matched, at the event's revision.
      const left = w.events[2]!;
      assert.deepEqual(left.object.metadata.labels, { app: 'web', v: '2' });
      assert.equal(left.object.metadata.resourceVersion, a4.metadata.resourceVersion);
    });

    t('list with a limit hint: a prefix of the full list with at least limit + 1 objects; a count of the rest is exact', async (h) => {
      const { ds } = h;
      const c = collections();
      for (const n of ['pg-a', 'pg-b', 'pg-c', 'pg-d', 'pg-e']) await ds.create(c.gnp, gnp(n, { page: n === 'pg-c' ? 'odd' : 'yes' }));
      const full = await ds.list(c.gnp);
      const names = (r: { items: readonly Obj[] }): string[] => r.items.map((o) => o.metadata.name ?? '');
      const paged = await ds.list({ ...c.gnp, limit: 2, revision: full.revision });
      assert.ok(paged.items.length >= Math.min(3, full.items.length), `${paged.items.length} items`);
      assert.deepEqual(names(paged), names(full).slice(0, paged.items.length));
      if (paged.remaining !== undefined) assert.equal(paged.remaining, full.items.length - 2);
      // after + limit: the next page starts past the key, labels still filter
      const next = await ds.list({ ...c.gnp, limit: 1, after: '\u0000pg-a', labels: (l) => l['page'] === 'yes' });
      const want = names(full).filter((n) => n > 'pg-a' && n !== 'pg-c');
      assert.deepEqual(names(next).filter((n) => n > 'pg-a'), want.slice(0, names(next).filter((n) => n > 'pg-a').length));
      assert.ok(names(next).filter((n) => n > 'pg-a').length >= 2);
    });

    t('list at a revision is the snapshot of then; before the kept history it is TooOldError', async (h) => {
      const { ds } = h;
      const c = collections();
      const a = await ds.create(c.gnp, gnp('snap-a'));
      const b = await ds.create(c.gnp, gnp('snap-b'));
      const pinned = (await ds.list(c.gnp)).revision;
      await ds.create(c.gnp, gnp('snap-c')); // created after: not in the snapshot
      await ds.delete({ ...c.gnp, namespace: '', name: 'snap-a' }); // deleted after: still in it
      await ds.update(c.gnp, { ...b, metadata: { ...b.metadata, labels: { changed: 'yes' } } }); // changed after: old state
      const snap = await ds.list({ ...c.gnp, revision: pinned });
      assert.equal(snap.revision, pinned);
      const mine = snap.items.filter((o) => (o.metadata.name ?? '').startsWith('snap-'));
      assert.deepEqual(mine.map((o) => o.metadata.name), ['snap-a', 'snap-b']);
      assert.equal(mine[0]!.metadata.resourceVersion, a.metadata.resourceVersion);
      assert.deepEqual(mine[1]!.metadata.labels ?? {}, b.metadata.labels ?? {});
      assert.equal(mine[1]!.metadata.resourceVersion, b.metadata.resourceVersion);
      const now = await ds.list(c.gnp);
      assert.deepEqual(now.items.filter((o) => (o.metadata.name ?? '').startsWith('snap-')).map((o) => o.metadata.name), ['snap-b', 'snap-c']);
      // beyond the store: the current objects, at the current revision
      const ahead = await ds.list({ ...c.gnp, revision: String(BigInt(now.revision) + 1000n) });
      assert.equal(ahead.revision, now.revision);
      await h.compact();
      await assert.rejects(ds.list({ ...c.gnp, revision: pinned }), TooOldError);
    });

    t('watch resumes from any revision it reported, without gaps or repeats', async ({ ds }) => {
      const c = collections();
      const start = (await ds.list(c.gnp)).revision;
      const written: string[] = [];
      for (let i = 0; i < 6; i++) written.push((await ds.create(c.gnp, gnp(`p${i}`))).metadata.resourceVersion ?? '');
      const first = await collect(ds, c.gnp, start, 2);
      assert.deepEqual(first.map((e) => e.revision), written.slice(0, 2));
      const rest = await collect(ds, c.gnp, first[1]?.revision ?? '', 4);
      assert.deepEqual(rest.map((e) => e.revision), written.slice(2));
      assert.deepEqual(rest.map((e) => e.object.metadata.name), ['p2', 'p3', 'p4', 'p5']);
      // From the latest revision: nothing old, then the next write.
      const w = record(ds, c.gnp, written[5] ?? '');
      await sleep(30);
      assert.equal(w.events.length, 0);
      const next = await ds.create(c.gnp, gnp('p6'));
      await w.until((evs) => evs.length >= 1);
      await w.stop();
      assert.deepEqual(w.events.map((e) => e.revision), [next.metadata.resourceVersion]);
    });

    t('watch from a revision older than the kept history is TooOldError (Expired)', async (h) => {
      const { ds } = h;
      const c = collections();
      const before = (await ds.list(c.gnp)).revision;
      await ds.create(c.gnp, gnp('a'));
      await ds.create(c.gnp, gnp('b'));
      const b2 = await ds.create(c.gnp, gnp('c'));
      await h.compact();
      await assert.rejects(collect(ds, c.gnp, before, 1), (e: unknown) => e instanceof TooOldError && e.reason === 'Expired' && /too old resource version/.test(e.message));
      // A list's revision is always a valid starting point.
      const now = await ds.list(c.gnp);
      assert.ok(Number(now.revision) >= rv(b2));
      const w = record(ds, c.gnp, now.revision);
      const d = await ds.create(c.gnp, gnp('d'));
      await w.until((evs) => evs.length >= 1);
      await w.stop();
      assert.deepEqual(w.events.map((e) => e.revision), [d.metadata.resourceVersion]);
    });

    t('watch rejects a malformed revision', async ({ ds }) => {
      const c = collections();
      await assert.rejects(collect(ds, c.gnp, 'abc', 1, 500), RangeError);
    });

    t('concurrent writers: 4 × 25 get→update→retry increments lose nothing; watch sees each', async ({ ds }) => {
      const c = collections();
      const created = await ds.create(c.gnp, gnp('counter', { count: '0' }));
      const w = record(ds, c.gnp, created.metadata.resourceVersion ?? '');
      const attempts = await Promise.all(
        Array.from({ length: 4 }, async () => {
          let n = 0;
          for (let i = 0; i < 25; i++) n += await increment(ds, c.gnp, 'counter', '');
          return n;
        }),
      );
      const final = await ds.get({ ...c.gnp, namespace: '', name: 'counter' });
      assert.equal(final.metadata.labels?.['count'], '100', `after ${attempts.reduce((a, b) => a + b, 0)} attempts`);
      await w.until((evs) => evs.length >= 100);
      await w.stop();
      assert.deepEqual(
        w.events.map((e) => e.object.metadata.labels?.['count']),
        Array.from({ length: 100 }, (_, i) => String(i + 1)),
      );
      for (let i = 1; i < w.events.length; i++) assert.ok(Number(w.events[i]?.revision) > Number(w.events[i - 1]?.revision));
    });

    t('concurrent creates of one key: exactly one wins', async ({ ds }) => {
      const c = collections();
      const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => ds.create(c.gnp, gnp('only', { writer: String(i) }))));
      const won = results.filter((r) => r.status === 'fulfilled');
      assert.equal(won.length, 1);
      for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof AlreadyExistsError);
    });

    t('aborting a watch ends the iteration', async ({ ds }) => {
      const c = collections();
      const ac = new AbortController();
      const rev = (await ds.list(c.gnp)).revision;
      const it = ds.watch(c.gnp, rev, ac.signal)[Symbol.asyncIterator]();
      const pending = it.next();
      setTimeout(() => ac.abort(), 20);
      const r = await Promise.race([pending, deadline(5_000)]);
      assert.notEqual(r, 'timeout');
      assert.equal(r !== 'timeout' && r.done, true);
    });

    t('close ends running watches; later calls are Unavailable', async ({ ds }) => {
      const c = collections();
      const rev = (await ds.list(c.gnp)).revision;
      const ac = new AbortController();
      const it = ds.watch(c.gnp, rev, ac.signal)[Symbol.asyncIterator]();
      const pending = it.next().catch((e: unknown) => e);
      await sleep(20);
      await ds.close();
      const r = await Promise.race([pending, deadline(5_000)]);
      ac.abort();
      assert.notEqual(r, 'timeout', 'a watch must not outlive close()');
      await assert.rejects(ds.get({ ...c.gnp, namespace: '', name: 'x' }), UnavailableError);
      await assert.rejects(ds.create(c.gnp, gnp('x')), UnavailableError);
      await ds.close(); // idempotent
    });
  });
}
