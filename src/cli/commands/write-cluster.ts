/**
 * @module Writing to the cluster a command reads (recommend --apply, promote): the datastore of
 * the calicoctl configuration (`--config`, the environment, else the running cluster of
 * `--data-dir`: its API server, through the Kubernetes API as kubectl writes), or the API server
 * of `--kubeconfig`. Every object goes through the ResourceClient (decode, default, validate) and
 * the server validates it again.
 */
import { ResourceClient } from '../../client/index.js';
import type { Datastore } from '../../datastore/index.js';
import type { Resource } from '../../model/meta.js';
import { kindFor } from '../../model/kinds.js';
import type { Io } from '../io.js';
import { loadCalicoctlConfig } from '../calicoctl/config.js';
import { openDatastoreFromConfig } from '../datastore-config.js';
import type { InputOptions } from '../engine-input.js';

/** The datastore to write to, or undefined after saying why on stderr. */
export async function openWriteDatastore(io: Io, opts: InputOptions): Promise<Datastore | undefined> {
  let spec;
  if (opts.kubeconfig !== undefined) spec = { datastoreType: 'kubernetes', kubeconfig: opts.kubeconfig };
  else {
    const loaded = await loadCalicoctlConfig(io, opts.config, { dataDir: opts.dataDir });
    if (!loaded.ok) {
      io.stderr(`tabby ${opts.command}: cannot read the datastore configuration: ${loaded.error}\n`);
      return undefined;
    }
    if (loaded.value.missing !== undefined) {
      io.stderr(`tabby ${opts.command}: ${loaded.value.missing}\n`);
      return undefined;
    }
    spec = loaded.value.spec;
  }
  try {
    return await openDatastoreFromConfig(spec, { env: io.env });
  } catch (e) {
    io.stderr(`tabby ${opts.command}: cannot open the datastore: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}\n`);
    return undefined;
  }
}

/** `kind.group/name`, as kubectl names what it wrote. */
export function writtenName(r: Resource): string {
  const info = kindFor(r.apiVersion, r.kind);
  const group = info?.group ?? '';
  return `${r.kind.toLowerCase()}${group === '' ? '' : `.${group}`}/${r.metadata?.name ?? ''}`;
}

/** Applies the objects in order; stops at the first failure (said on stderr). True when all were written. */
export async function writeResources(io: Io, ds: Datastore, objects: readonly Resource[], command: string): Promise<boolean> {
  const client = new ResourceClient(ds);
  for (const o of objects) {
    try {
      const r = await client.apply(o);
      io.stderr(`${writtenName(o)} ${r.outcome === 'unchanged' ? 'unchanged' : r.outcome} in ${o.metadata?.namespace ?? 'the cluster'}\n`);
    } catch (e) {
      io.stderr(`tabby ${command}: ${writtenName(o)}: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}\n`);
      return false;
    }
  }
  return true;
}
