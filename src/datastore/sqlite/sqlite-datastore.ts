/**
 * @module The embedded datastore: one SQLite file (better-sqlite3, WAL), shared safely by every
 * process that opens it — a running server and a CLI invocation, say. The Datastore logic is
 * the shared KvDatastore; this file is the storage engine.
 *
 * Cross-process watch: a watcher re-reads the change log when its own connection commits, and
 * otherwise when `PRAGMA data_version` says another connection has committed. That check runs
 * on an adaptive timer (2 ms after activity, backing off to 10 ms when idle) and immediately
 * when inotify reports a write to the `-wal` file, so another process's write is usually seen
 * within a millisecond or two.
 */
import Database from 'better-sqlite3';
import { watch as fsWatch, type FSWatcher } from 'node:fs';
import type { DatastoreOptions, ObjectKey, ResourceType } from '../datastore.js';
import { UnavailableError } from '../errors.js';
import { KvDatastore, type KvEngine, type KvEvent, type KvRow } from '../_kv.js';
import { _resolveOptions } from '../_object.js';
import { MIGRATE_1_TO_2, SCHEMA_SQL, SCHEMA_VERSION } from './schema.js';

export interface SqliteDatastoreOptions extends DatastoreOptions {
  /** Changes kept in the log for watch-from-revision (default 10,000). */
  readonly eventRetention?: number;
  /** How long a writer waits for another process's transaction (default 5,000 ms). */
  readonly busyTimeoutMs?: number;
  /**
   * `NORMAL` (default; SQLite's advice for WAL): a committed write survives any crash of the
   * process and the file is never corrupted, but the last few commits may roll back if the
   * machine loses power. `FULL` also survives power loss, at one fsync per write (about 10×
   * slower on ordinary disks).
   */
  readonly synchronous?: 'FULL' | 'NORMAL';
}

interface RowRecord {
  namespace: string;
  name: string;
  value: string;
  revision: number;
}

interface ChangeRecord {
  revision: number;
  kind: string;
  grp: string;
  plural: string;
  namespace: string;
  name: string;
  value: string;
  prev: string | null;
  prev_revision: number | null;
}

const POLL_MIN_MS = 2;
const POLL_MAX_MS = 10;
const TRIM_EVERY = 128;

type Statements = ReturnType<typeof _prepare>;

/** Every statement, prepared once per connection. */
function _prepare(db: Database.Database) {
  return {
    meta: db.prepare<[string], { value: number }>('SELECT value FROM tabby_meta WHERE key = ?'),
    bump: db.prepare<[], { value: number }>(
      "UPDATE tabby_meta SET value = value + 1 WHERE key = 'revision' RETURNING value",
    ),
    setCompacted: db.prepare<[number]>(
      "UPDATE tabby_meta SET value = max(value, ?) WHERE key = 'compacted'",
    ),
    row: db.prepare<[string, string, string, string], RowRecord>(
      'SELECT namespace, name, value, revision FROM tabby_objects WHERE grp = ? AND plural = ? AND namespace = ? AND name = ?',
    ),
    rowsAll: db.prepare<[string, string], RowRecord>(
      'SELECT namespace, name, value, revision FROM tabby_objects WHERE grp = ? AND plural = ? ORDER BY namespace, name',
    ),
    rowsNs: db.prepare<[string, string, string], RowRecord>(
      'SELECT namespace, name, value, revision FROM tabby_objects WHERE grp = ? AND plural = ? AND namespace = ? ORDER BY name',
    ),
    upsert: db.prepare<[string, string, string, string, number, string]>(
      'INSERT INTO tabby_objects (grp, plural, namespace, name, revision, value) VALUES (?, ?, ?, ?, ?, ?) ' +
        'ON CONFLICT (grp, plural, namespace, name) DO UPDATE SET revision = excluded.revision, value = excluded.value',
    ),
    remove: db.prepare<[string, string, string, string]>(
      'DELETE FROM tabby_objects WHERE grp = ? AND plural = ? AND namespace = ? AND name = ?',
    ),
    append: db.prepare<[number, string, string, string, string, string, string, string | null, number | null]>(
      'INSERT INTO tabby_changes (revision, kind, grp, plural, namespace, name, value, prev, prev_revision) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    changes: db.prepare<[number, number], ChangeRecord>(
      'SELECT revision, kind, grp, plural, namespace, name, value, prev, prev_revision FROM tabby_changes WHERE revision > ? ORDER BY revision LIMIT ?',
    ),
    trim: db.prepare<[number]>('DELETE FROM tabby_changes WHERE revision <= ?'),
  };
}

class SqliteEngine implements KvEngine {
  readonly system = 'sqlite';
  private readonly stmt: Statements;

  constructor(
    private readonly db: Database.Database,
    readonly endpoint: string,
    private readonly retention: number,
  ) {
    this.stmt = _prepare(db);
  }

  write<T>(fn: () => T): T {
    return this.guard(() => this.db.transaction(fn).immediate());
  }

  read<T>(fn: () => T): T {
    return this.guard(() => this.db.transaction(fn).deferred());
  }

  revision(): number {
    return this.meta('revision');
  }

  row(key: ObjectKey): KvRow | undefined {
    return this.stmt.row.get(key.group, key.plural, key.namespace, key.name);
  }

  rows(type: ResourceType, namespace: string | undefined): KvRow[] {
    return namespace === undefined
      ? this.stmt.rowsAll.all(type.group, type.plural)
      : this.stmt.rowsNs.all(type.group, type.plural, namespace);
  }

  commit(key: ObjectKey, value: string | undefined, prev: KvRow | undefined): number {
    const bumped = this.stmt.bump.get();
    if (bumped === undefined) throw new Error('tabby_meta has no revision row');
    const revision = bumped.value;
    const k = [key.group, key.plural, key.namespace, key.name] as const;
    if (value === undefined) {
      this.stmt.remove.run(...k);
      this.stmt.append.run(revision, 'delete', ...k, prev?.value ?? '', null, prev?.revision ?? null);
    } else {
      this.stmt.upsert.run(...k, revision, value);
      this.stmt.append.run(revision, 'put', ...k, value, prev?.value ?? null, prev?.revision ?? null);
    }
    if (revision % TRIM_EVERY === 0 && revision > this.retention) this.trimTo(revision - this.retention);
    return revision;
  }

  changesAfter(after: number, limit: number): { compacted: number; changes: KvEvent[] } {
    const compacted = this.meta('compacted');
    const changes = this.stmt.changes.all(after, limit).map(
      (r): KvEvent => ({
        revision: r.revision,
        kind: r.kind === 'delete' ? 'delete' : 'put',
        key: { group: r.grp, plural: r.plural, namespace: r.namespace, name: r.name },
        value: r.value,
        prev: r.prev,
        prevRevision: r.prev_revision,
      }),
    );
    return { compacted, changes };
  }

  compact(): void {
    this.trimTo(this.revision());
  }

  watchExternal(onChange: () => void): () => void {
    if (this.db.memory) return () => undefined;
    let stopped = false;
    let last = this.dataVersion();
    let delay = POLL_MIN_MS;
    let timer: NodeJS.Timeout | undefined;
    const check = (): void => {
      if (stopped || !this.db.open) return;
      let v: number;
      try {
        v = this.dataVersion();
      } catch {
        return; // closed underneath us; the datastore ends its watches
      }
      if (v !== last) {
        last = v;
        delay = POLL_MIN_MS;
        onChange();
      } else {
        delay = Math.min(POLL_MAX_MS, delay * 2);
      }
    };
    const tick = (): void => {
      check();
      if (!stopped) timer = setTimeout(tick, delay);
    };
    timer = setTimeout(tick, delay);
    let fsw: FSWatcher | undefined;
    try {
      fsw = fsWatch(`${this.endpoint}-wal`, { persistent: false }, () => check());
      fsw.on('error', () => fsw?.close());
    } catch {
      fsw = undefined; // no inotify, or no WAL file yet: the timer alone still sees every commit
    }
    return () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      fsw?.close();
    };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private trimTo(threshold: number): void {
    this.stmt.trim.run(threshold);
    this.stmt.setCompacted.run(threshold);
  }

  private meta(key: string): number {
    const r = this.stmt.meta.get(key);
    if (r === undefined) throw new Error(`tabby_meta has no ${key} row`);
    return r.value;
  }

  private dataVersion(): number {
    const v = this.db.pragma('data_version', { simple: true });
    return typeof v === 'number' ? v : Number(v);
  }

  /** SQLite failures (locked past the busy timeout, disk full, read-only file) become UnavailableError. */
  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof Database.SqliteError) throw new UnavailableError('sqlite', this.endpoint, `${e.code}: ${e.message}`);
      throw e;
    }
  }
}

export class SqliteDatastore extends KvDatastore {}

/**
 * Opens (creating if needed) the SQLite datastore at `path` (`:memory:` for a private
 * in-memory one). Fails with UnavailableError naming the path if the file cannot be opened.
 */
export async function openSqliteDatastore(path: string, opts: SqliteDatastoreOptions = {}): Promise<SqliteDatastore> {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { timeout: opts.busyTimeoutMs ?? 5_000 });
    if (path !== ':memory:' && path !== '') db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${opts.synchronous ?? 'NORMAL'}`);
    db.transaction(() => {
      db?.exec(SCHEMA_SQL);
      const v = db?.prepare<[], { value: number }>("SELECT value FROM tabby_meta WHERE key = 'schema'").get()?.value;
      if (v === 1) db?.exec(MIGRATE_1_TO_2);
    }).immediate();
    const version = db.prepare<[], { value: number }>("SELECT value FROM tabby_meta WHERE key = 'schema'").get()?.value;
    if (version !== SCHEMA_VERSION) {
      throw new UnavailableError('sqlite', path, `unsupported schema version ${String(version)} (this Tabby reads ${SCHEMA_VERSION})`);
    }
  } catch (e) {
    db?.close();
    if (e instanceof UnavailableError) throw e;
    const detail = e instanceof Error ? e.message : String(e);
    throw new UnavailableError('sqlite', path, detail, `cannot open sqlite datastore at ${path}: ${detail}`);
  }
  return new SqliteDatastore(new SqliteEngine(db, path, opts.eventRetention ?? 10_000), _resolveOptions(opts));
}
