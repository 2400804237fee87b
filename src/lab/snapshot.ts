/** @module snapshotOf: every engine kind in the datastore, decoded into a snapshot (what the agents see). */
import { engineResourceTypes } from '../agent/syncer.js';
import type { Datastore } from '../datastore/index.js';
import { buildSnapshot, type Snapshot } from '../engine/index.js';
import type { Resource } from '../model/meta.js';
import { decodeResource } from '../model/validate-resource.js';

export async function snapshotOf(ds: Datastore): Promise<{ snapshot: Snapshot; resources: Resource[]; revision: string }> {
  const resources: Resource[] = [];
  let revision = '0';
  for (const t of engineResourceTypes()) {
    const l = await ds.list(t);
    if (BigInt(l.revision) > BigInt(revision)) revision = l.revision;
    for (const o of l.items) {
      const r = decodeResource(o);
      if (r.ok) resources.push(r.value.resource);
    }
  }
  return { snapshot: buildSnapshot(resources), resources, revision };
}
