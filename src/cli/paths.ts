/**
 * @module Where Tabby keeps its state by default, shared by `tabby server`, `tabby up` and
 * calicoctl's embedded datastore: `$TABBY_DATA_DIR`, else `$XDG_DATA_HOME/tabby`, else
 * `$HOME/.local/share/tabby`. The embedded datastore is the file `tabby.db` in it.
 */
import { joinPath } from './io.js';

export const DATASTORE_FILE = 'tabby.db';

export function defaultDataDir(env: Readonly<Record<string, string | undefined>>): string {
  if (env['TABBY_DATA_DIR']) return env['TABBY_DATA_DIR'];
  if (env['XDG_DATA_HOME']) return joinPath(env['XDG_DATA_HOME'], 'tabby');
  return joinPath(joinPath(env['HOME'] ?? '.', '.local/share'), 'tabby');
}

export function defaultEmbeddedPath(env: Readonly<Record<string, string | undefined>>): string {
  return joinPath(defaultDataDir(env), DATASTORE_FILE);
}
