/**
 * @module Loads a cluster profile into a datastore: the workers as Kubernetes Nodes and the
 * profile's resources, each created only if missing. The provider re-creates what is missing
 * on every start (as a managed service does); what exists, edited or not, is kept.
 */
import { AlreadyExistsError } from '../datastore/index.js';
import type { ResourceClient } from '../client/index.js';
import { nodeManifest, type ClusterProfile, type Manifest, type ProfileContext } from './profile.js';
import { ibmClassic } from './profiles/ibm-classic.js';
import { noProfile } from './profiles/none.js';

export const PROFILES: readonly ClusterProfile[] = [ibmClassic, noProfile];
export const DEFAULT_PROFILE = ibmClassic.name;

export function profileNamed(name: string): ClusterProfile | undefined {
  return PROFILES.find((p) => p.name === name);
}

export interface LoadReport {
  readonly created: readonly string[];
  readonly kept: readonly string[];
}

const _id = (m: Manifest): string => {
  const meta = (m['metadata'] ?? {}) as { name?: string; namespace?: string };
  return `${String(m['kind'])} ${meta.namespace ? `${meta.namespace}/` : ''}${meta.name ?? ''}`;
};

/** Creates each manifest unless an object of that name exists. */
export async function createMissing(client: ResourceClient, manifests: readonly Manifest[]): Promise<LoadReport> {
  const created: string[] = [];
  const kept: string[] = [];
  for (const m of manifests) {
    try {
      await client.create(m);
      created.push(_id(m));
    } catch (e) {
      if (!(e instanceof AlreadyExistsError)) throw e;
      kept.push(_id(m));
    }
  }
  return { created, kept };
}

/**
 * The profile's resources, after the workers' Nodes when `createNodes` (without a lab, nobody
 * else registers them; with one, the lab does).
 */
export async function loadProfile(client: ResourceClient, profile: ClusterProfile, ctx: ProfileContext & { readonly createNodes: boolean }): Promise<LoadReport> {
  return createMissing(client, [...(ctx.createNodes ? ctx.workers.map(nodeManifest) : []), ...profile.resources(ctx)]);
}
