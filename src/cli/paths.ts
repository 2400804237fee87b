/**
 * @module One data directory is one cluster. `resolveDataDir` is the one way every command that
 * acts on a cluster finds it: the `--data-dir` flag, else `$TABBY_DATA_DIR`, else
 * `$XDG_DATA_HOME/tabby`, else `$HOME/.local/share/tabby` (always made absolute). In it:
 * `tabby.db` (the embedded datastore), `tabby-up.json` (who runs `tabby up` there),
 * `calicoctl.cfg` and `admin.kubeconfig` (while it runs), `lab/` (the lab's state and logs).
 */
import { isAbsolute, join, resolve } from 'node:path';

export const DATASTORE_FILE = 'tabby.db';
/** DIR/tabby-up.json: who is running `tabby up` on DIR. */
export const UP_STATE_FILE = 'tabby-up.json';
/** The lab of `tabby up` keeps its state (lab.json, logs) here, under the data dir. */
export const LAB_DIR = 'lab';
export const CALICOCTL_CFG = 'calicoctl.cfg';
export const ADMIN_KUBECONFIG = 'admin.kubeconfig';

type Env = Readonly<Record<string, string | undefined>>;

/** How help texts name the default. */
export const DATA_DIR_DOC = '$TABBY_DATA_DIR, else ${XDG_DATA_HOME:-$HOME/.local/share}/tabby';

/** The default data directory (no flag): `$TABBY_DATA_DIR`, else the XDG one. */
export function defaultDataDir(env: Env): string {
  const t = env['TABBY_DATA_DIR'];
  if (t !== undefined && t !== '') return t;
  const xdg = env['XDG_DATA_HOME'];
  if (xdg !== undefined && xdg !== '') return join(xdg, 'tabby');
  return join(env['HOME'] ?? '.', '.local', 'share', 'tabby');
}

/** The cluster's data directory: the flag, else the default; absolute. */
export function resolveDataDir(flag: string | undefined, env: Env): string {
  const d = flag !== undefined && flag !== '' ? flag : defaultDataDir(env);
  return isAbsolute(d) ? d : resolve(d);
}

export function defaultEmbeddedPath(env: Env): string {
  return join(defaultDataDir(env), DATASTORE_FILE);
}
