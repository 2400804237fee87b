import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { runDatastoreConformance } from '../conformance.js';
import type { Datastore, StoredObject, WatchEvent } from '../datastore.js';
import { UnavailableError } from '../errors.js';
import { openSqliteDatastore } from './sqlite-datastore.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tabby-sqlite-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

runDatastoreConformance('sqlite', async (opts) => {
  const dir = tempDir();
  const ds = await openSqliteDatastore(join(dir, 'tabby.db'), opts);
  return {
    ds,
    compact: () => ds.compact(),
    cleanup: async () => {
      await ds.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

runDatastoreConformance('sqlite (writes and watches on two connections to one file)', async (opts) => {
  const dir = tempDir();
  const path = join(dir, 'tabby.db');
  const writer = await openSqliteDatastore(path, opts);
  const reader = await openSqliteDatastore(path, opts);
  const ds: Datastore = {
    description: writer.description,
    create: (t, o) => writer.create(t, o),
    update: (t, o) => writer.update(t, o),
    get: (k) => writer.get(k),
    list: (q) => reader.list(q),
    delete: (k, p) => writer.delete(k, p),
    watch: (q, from, signal) => reader.watch(q, from, signal),
    close: async () => {
      await reader.close();
      await writer.close();
    },
  };
  return {
    ds,
    compact: () => writer.compact(),
    cleanup: async () => {
      await ds.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

runDatastoreConformance('sqlite (:memory:)', async (opts) => {
  const ds = await openSqliteDatastore(':memory:', opts);
  return { ds, compact: () => ds.compact(), cleanup: () => ds.close() };
});

const TYPE = { group: 'projectcalico.org', plural: 'globalnetworksets' };
const WRITER = fileURLToPath(new URL('./testdata/writer.ts', import.meta.url));

interface ChildResult {
  readonly code: number | null;
  /** Every acknowledged write, in order: [name, resourceVersion]. */
  readonly acks: readonly (readonly [string, string])[];
  /** Latest acknowledged resourceVersion per name. */
  readonly acked: ReadonlyMap<string, string>;
  readonly stderr: string;
}

/** Runs testdata/writer.ts in a child `node --import tsx`; optionally SIGKILLs it after `killAfterAcks` acks. */
function runWriter(path: string, steps: unknown[], killAfterAcks?: number): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, path, JSON.stringify(steps)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked = new Map<string, string>();
    const acks: [string, string][] = [];
    let out = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      let nl;
      while ((nl = out.indexOf('\n')) >= 0) {
        const [ok, name, rv] = out.slice(0, nl).split(' ');
        out = out.slice(nl + 1);
        if (ok === 'ok' && name !== undefined && rv !== undefined) {
          acked.set(name, rv);
          acks.push([name, rv]);
        }
        if (killAfterAcks !== undefined && acked.size >= killAfterAcks) child.kill('SIGKILL');
      }
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, acks, acked, stderr });
    });
  });
}

describe('sqlite: embedded datastore specifics', () => {
  test('a write by another process reaches a running watch', { timeout: 60_000 }, async () => {
    const path = join(tempDir(), 'tabby.db');
    const ds = await openSqliteDatastore(path);
    const ac = new AbortController();
    try {
      const start = (await ds.list(TYPE)).revision;
      const events: WatchEvent[] = [];
      const watching = (async () => {
        for await (const ev of ds.watch(TYPE, start, ac.signal)) {
          events.push(ev);
          if (events.length >= 4) break;
        }
      })();
      const child = await runWriter(path, [
        { op: 'create', name: 'a', labels: { v: '1' } },
        { op: 'create', name: 'b' },
        { op: 'update', name: 'a', labels: { v: '2' } },
        { op: 'delete', name: 'b' },
      ]);
      assert.equal(child.code, 0, child.stderr);
      const timeout = setTimeout(() => ac.abort(), 10_000);
      await watching;
      clearTimeout(timeout);
      assert.deepEqual(
        events.map((e) => [e.type, e.object.metadata.name, e.revision]),
        [['ADDED'], ['ADDED'], ['MODIFIED'], ['DELETED']].map(([type], i) => [type, ...(child.acks[i] ?? [])]),
      );
      assert.deepEqual(events[2]?.object.metadata.labels, { v: '2' });
    } finally {
      ac.abort();
      await ds.close();
    }
  });

  test('data survives close and reopen; the revision keeps counting up', async () => {
    const path = join(tempDir(), 'tabby.db');
    const first = await openSqliteDatastore(path);
    const a = await first.create(TYPE, set('a'));
    await first.close();
    const second = await openSqliteDatastore(path);
    try {
      assert.deepEqual(await second.get({ ...TYPE, namespace: '', name: 'a' }), a);
      const b = await second.create(TYPE, set('b'));
      assert.ok(Number(b.metadata.resourceVersion) > Number(a.metadata.resourceVersion));
      // History written before the reopen still serves a watch.
      const ac = new AbortController();
      const got: string[] = [];
      for await (const ev of second.watch(TYPE, '0', ac.signal)) {
        got.push(ev.object.metadata.name ?? '');
        if (got.length === 2) break;
      }
      assert.deepEqual(got, ['a', 'b']);
    } finally {
      await second.close();
    }
  });

  test('a writer killed mid-run (SIGKILL) loses no acknowledged write and leaves the file consistent', { timeout: 60_000 }, async () => {
    const path = join(tempDir(), 'tabby.db');
    const child = await runWriter(path, [{ op: 'createMany', prefix: 'k', count: 100_000 }], 200);
    assert.equal(child.code, null, 'the writer was killed');
    assert.ok(child.acked.size >= 200);
    const ds = await openSqliteDatastore(path);
    try {
      const { items, revision } = await ds.list(TYPE);
      const stored = new Map(items.map((o) => [o.metadata.name ?? '', o.metadata.resourceVersion ?? '']));
      for (const [name, rv] of child.acked) assert.equal(stored.get(name), rv, `acknowledged write ${name}@${rv}`);
      // Names are written in order: what is stored is a prefix of the sequence, with no holes.
      assert.deepEqual([...stored.keys()].sort(), Array.from({ length: items.length }, (_, i) => `k${i}`).sort());
      assert.equal(revision, String(items.length));
      const next = await ds.create(TYPE, set('after'));
      assert.equal(next.metadata.resourceVersion, String(items.length + 1));
    } finally {
      await ds.close();
    }
  });

  test('history is kept for a bounded window; older starts are TooOld', async () => {
    const ds = await openSqliteDatastore(join(tempDir(), 'tabby.db'), { eventRetention: 100 });
    try {
      for (let i = 0; i < 300; i++) await ds.create(TYPE, set(`s${i}`));
      const ac = new AbortController();
      await assert.rejects(async () => {
        for await (const _ of ds.watch(TYPE, '10', ac.signal)) break;
      }, /too old resource version: 10/);
      const got: string[] = [];
      for await (const ev of ds.watch(TYPE, '250', ac.signal)) {
        got.push(ev.revision);
        if (got.length === 50) break;
      }
      assert.equal(got[0], '251');
      assert.equal(got[49], '300');
    } finally {
      await ds.close();
    }
  });

  test('an unopenable path is one clear UnavailableError naming the path', async () => {
    const dir = tempDir();
    const missing = join(dir, 'no', 'such', 'dir', 'tabby.db');
    await assert.rejects(openSqliteDatastore(missing), (e: unknown) => {
      assert.ok(e instanceof UnavailableError);
      assert.equal(e.reason, 'Unavailable');
      assert.ok(e.message.startsWith(`cannot open sqlite datastore at ${missing}: `), e.message);
      return true;
    });
    const notDb = join(dir, 'garbage.db');
    writeFileSync(notDb, 'this is not a database, just some text that is long enough to fill a header page');
    await assert.rejects(openSqliteDatastore(notDb), (e: unknown) => e instanceof UnavailableError && e.message.includes(notDb));
  });

  test('a newer schema version is refused, not misread', async () => {
    const path = join(tempDir(), 'tabby.db');
    await (await openSqliteDatastore(path)).close();
    const db = new Database(path);
    db.prepare("UPDATE tabby_meta SET value = 99 WHERE key = 'schema'").run();
    db.close();
    await assert.rejects(openSqliteDatastore(path), /unsupported schema version 99/);
  });

  test('a schema 1 file is migrated on open: objects kept, snapshots of later writes work, earlier ones are TooOld', async () => {
    const path = join(tempDir(), 'tabby.db');
    const type = { group: 'projectcalico.org', plural: 'globalnetworksets' };
    let ds = await openSqliteDatastore(path);
    const a = await ds.create(type, set('a'));
    await ds.close();
    const db = new Database(path);
    db.exec("ALTER TABLE tabby_changes DROP COLUMN prev_revision; UPDATE tabby_meta SET value = 1 WHERE key = 'schema'");
    db.close();
    ds = await openSqliteDatastore(path);
    try {
      assert.equal((await ds.get({ ...type, namespace: '', name: 'a' })).metadata.resourceVersion, a.metadata.resourceVersion);
      const pinned = (await ds.list(type)).revision;
      await ds.update(type, { ...a, metadata: { ...a.metadata, labels: { x: '1' } } });
      const snap = await ds.list({ ...type, revision: pinned });
      assert.deepEqual(snap.items.map((o) => [o.metadata.name, o.metadata.resourceVersion, o.metadata.labels ?? {}]), [['a', a.metadata.resourceVersion, {}]]);
      const v = new Database(path, { readonly: true });
      assert.equal(v.prepare<[], { value: number }>("SELECT value FROM tabby_meta WHERE key = 'schema'").get()?.value, 2);
      v.close();
    } finally {
      await ds.close();
    }
  });
});

function set(name: string): StoredObject & { spec: unknown } {
  return { apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkSet', metadata: { name }, spec: { nets: ['10.0.0.0/8'] } };
}
