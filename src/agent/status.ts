/**
 * @module Per-node status: what this agent has programmed, published as annotations on the
 * projectcalico.org/v3 Node named after the node (created, with an empty spec, if missing):
 *
 *   tabby.dev/programmed-revision  the datastore revision the programmed rules reflect
 *   tabby.dev/programmed-at        RFC 3339 wall time of that apply
 *   tabby.dev/policy-count         how many policies are programmed on the node
 *   tabby.dev/programmed-policies  their ids, comma-separated (cut at 4 KiB, ending in `,…`)
 *
 * An operator knows a change written at revision R is enforced everywhere when every node's
 * `programmed-revision` is ≥ R. Writes touching only `tabby.dev/*` annotations do not advance
 * any agent's revision (see syncer.ts), so publishing never causes more publishing.
 * Writes are compare-and-swap on resourceVersion, retried on conflict.
 */
import { AlreadyExistsError, ConflictError, NotFoundError, type Datastore, type StoredObject } from '../datastore/index.js';

export const ANNOTATION = {
  revision: 'tabby.dev/programmed-revision',
  at: 'tabby.dev/programmed-at',
  policyCount: 'tabby.dev/policy-count',
  policies: 'tabby.dev/programmed-policies',
} as const;

export interface NodeStatus {
  readonly revision: string;
  readonly at: Date;
  readonly policies: readonly string[];
}

const NODES = { group: 'projectcalico.org', plural: 'nodes' } as const;
const MAX_POLICY_LIST = 4096;

export function statusAnnotations(s: NodeStatus): Record<string, string> {
  let list = s.policies.join(',');
  if (list.length > MAX_POLICY_LIST) list = `${list.slice(0, list.lastIndexOf(',', MAX_POLICY_LIST - 2))},…`;
  return {
    [ANNOTATION.revision]: s.revision,
    [ANNOTATION.at]: s.at.toISOString(),
    [ANNOTATION.policyCount]: String(s.policies.length),
    [ANNOTATION.policies]: list,
  };
}

/** Writes the annotations on Node `node`; returns the stored Node. */
export async function publishNodeStatus(ds: Datastore, node: string, s: NodeStatus, attempts = 5): Promise<StoredObject> {
  const ann = statusAnnotations(s);
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      let cur: StoredObject;
      try {
        cur = await ds.get({ ...NODES, namespace: '', name: node });
      } catch (e) {
        if (!(e instanceof NotFoundError)) throw e;
        const fresh = { apiVersion: 'projectcalico.org/v3', kind: 'Node', metadata: { name: node, annotations: ann }, spec: {} };
        return await ds.create(NODES, fresh as StoredObject);
      }
      const next = { ...cur, metadata: { ...cur.metadata, annotations: { ...(cur.metadata.annotations ?? {}), ...ann } } };
      return await ds.update(NODES, next);
    } catch (e) {
      last = e;
      if (!(e instanceof ConflictError) && !(e instanceof NotFoundError) && !(e instanceof AlreadyExistsError)) throw e;
    }
  }
  throw last instanceof Error ? last : new Error(String(last));
}

/** Reads a node's published status (for tools and tests); undefined when none. */
export async function readNodeStatus(ds: Datastore, node: string): Promise<{ revision: string; policyCount: number; at: string } | undefined> {
  try {
    const n = await ds.get({ ...NODES, namespace: '', name: node });
    const a = n.metadata.annotations ?? {};
    const revision = a[ANNOTATION.revision];
    if (revision === undefined) return undefined;
    return { revision, policyCount: Number(a[ANNOTATION.policyCount] ?? '0'), at: a[ANNOTATION.at] ?? '' };
  } catch (e) {
    if (e instanceof NotFoundError) return undefined;
    throw e;
  }
}
