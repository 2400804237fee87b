/**
 * @module What every calicoctl command gets: the injected Io, the exit code, and `connect`,
 * which loads the configuration and opens the datastore once per run (tests inject one).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Datastore } from '../../datastore/index.js';
import { ResourceClient } from '../../client/index.js';
import type { Io } from '../io.js';
import { openDatastoreFromConfig } from '../datastore-config.js';
import { loadCalicoctlConfig, type LoadedConfig } from './config.js';

export interface CalicoctlDeps {
  /** Opens the datastore for a loaded config (default: openDatastoreFromConfig). */
  readonly openDatastore?: (config: LoadedConfig, io: Io) => Promise<Datastore>;
  /** Close the datastore at the end of the run (default true; tests sharing one pass false). */
  readonly closeDatastore?: boolean;
}

export interface Connection {
  readonly client: ResourceClient;
  readonly datastore: Datastore;
  readonly config: LoadedConfig;
}

export interface CalicoctlContext {
  readonly io: Io;
  exit(code: number): void;
  /**
   * Opens the datastore; on failure prints calicoctl's one-line error and returns undefined.
   * `read` (the default) never creates a datastore: with nothing configured and no cluster in
   * the data directory it fails, saying where it looked; `write` may create the embedded one.
   */
  connect(configPath: string | undefined, mode?: 'read' | 'write'): Promise<Connection | undefined>;
  /** Closes what connect opened. */
  close(): Promise<void>;
}

export const EXIT = { ok: 0, failed: 1, usage: 1 } as const;

export function makeContext(io: Io, deps: CalicoctlDeps, setExit: (code: number) => void): CalicoctlContext {
  let conn: Connection | undefined;
  return {
    io,
    exit: setExit,
    async connect(configPath, mode = 'read') {
      if (conn) return conn;
      const loaded = await loadCalicoctlConfig(io, configPath);
      if (!loaded.ok) {
        io.stderr(`Failed to create Calico API client: ${loaded.error}\n`);
        return undefined;
      }
      if (loaded.value.missing !== undefined && mode === 'read' && deps.openDatastore === undefined) {
        io.stderr(`Failed to create Calico API client: ${loaded.value.missing}\n`);
        return undefined;
      }
      if (loaded.value.note !== undefined && deps.openDatastore === undefined) io.stderr(`calicoctl: ${loaded.value.note}\n`);
      if (loaded.value.missing !== undefined && loaded.value.spec.embeddedPath !== undefined && deps.openDatastore === undefined) mkdirSync(dirname(loaded.value.spec.embeddedPath), { recursive: true, mode: 0o700 });
      try {
        const open = deps.openDatastore ?? ((c: LoadedConfig) => openDatastoreFromConfig(c.spec, { env: io.env }));
        const ds = await open(loaded.value, io);
        conn = { client: new ResourceClient(ds), datastore: ds, config: loaded.value };
        return conn;
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        io.stderr(`Failed to create Calico API client: ${msg.split('\n')[0]}\n`);
        return undefined;
      }
    },
    async close() {
      const c = conn;
      conn = undefined;
      if (c && deps.closeDatastore !== false) await c.datastore.close();
    },
  };
}
