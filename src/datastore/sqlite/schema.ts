/**
 * @module The embedded datastore's SQLite schema (version 2; version 1 lacked
 * `tabby_changes.prev_revision` and is migrated in place on open).
 *
 * - `tabby_meta`: `schema` (version), `revision` (the store's one revision counter) and
 *   `compacted` (every change with revision ≤ it has left the log).
 * - `tabby_objects`: current objects, one row per (group, plural, namespace, name), the value
 *   being the object's JSON without resourceVersion and `revision` its last write.
 * - `tabby_changes`: the change log that serves watch-from-revision, also to other processes
 *   that poll it, and revision-pinned (snapshot) lists. `prev_revision` is the revision of the
 *   value a change replaced or deleted. Kept for a bounded window (trimmed in the writing
 *   transaction).
 *
 * Every write is one IMMEDIATE transaction that bumps the revision, writes the object row and
 * appends the change, so a crash leaves either all of it or none (WAL; see `synchronous` for power loss).
 */
export const SCHEMA_VERSION = 2;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS tabby_meta (
  key   TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT OR IGNORE INTO tabby_meta (key, value) VALUES ('schema', ${SCHEMA_VERSION}), ('revision', 0), ('compacted', 0);
CREATE TABLE IF NOT EXISTS tabby_objects (
  grp       TEXT NOT NULL,
  plural    TEXT NOT NULL,
  namespace TEXT NOT NULL,
  name      TEXT NOT NULL,
  revision  INTEGER NOT NULL,
  value     TEXT NOT NULL,
  PRIMARY KEY (grp, plural, namespace, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tabby_changes (
  revision  INTEGER PRIMARY KEY,
  kind      TEXT NOT NULL CHECK (kind IN ('put', 'delete')),
  grp       TEXT NOT NULL,
  plural    TEXT NOT NULL,
  namespace TEXT NOT NULL,
  name      TEXT NOT NULL,
  value     TEXT NOT NULL,
  prev      TEXT,
  prev_revision INTEGER
);
`;

/** Version 1 → 2: the change log records the revision of the value each change replaced. */
export const MIGRATE_1_TO_2 = `
ALTER TABLE tabby_changes ADD COLUMN prev_revision INTEGER;
UPDATE tabby_meta SET value = 2 WHERE key = 'schema';
`;
