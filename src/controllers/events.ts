/**
 * @module The event recorder: core/v1 Events about an object, as client-go's recorder writes
 * them (`<name>.<hex time>`, involvedObject, source, first/last timestamp, count 1), and the
 * one-hour time-to-live kube-apiserver gives them (pruneEvents). Writes go through the
 * ResourceClient, so every Event is validated like any other write.
 */
import type { ResourceClient } from '../client/index.js';
import type { Datastore, StoredObject } from '../datastore/index.js';
import { kindFor } from '../model/kinds.js';
import { rfc3339 } from './objects.js';

export interface EventRecorder {
  record(about: StoredObject, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void>;
}

/** kube-apiserver's default --event-ttl. */
export const EVENT_TTL_MS = 3600_000;

let _seq = 0;

export function eventRecorder(client: ResourceClient, component: string, now: () => Date = () => new Date(), host?: string): EventRecorder {
  return {
    async record(about, type, reason, message) {
      const t = now();
      const ns = about.metadata.namespace ?? 'default';
      const stamp = (BigInt(t.getTime()) * 1_000_000n + BigInt(_seq++ % 1_000_000)).toString(16);
      const ts = rfc3339(t);
      await client.create({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${about.metadata.name ?? 'unknown'}.${stamp}`, namespace: ns },
        involvedObject: {
          kind: about.kind,
          namespace: ns,
          name: about.metadata.name ?? '',
          uid: about.metadata.uid ?? '',
          apiVersion: about.apiVersion,
          resourceVersion: about.metadata.resourceVersion ?? '',
        },
        reason,
        message,
        source: { component, ...(host === undefined ? {} : { host }) },
        firstTimestamp: ts,
        lastTimestamp: ts,
        count: 1,
        type,
        reportingComponent: component,
        reportingInstance: host ?? component,
      });
    },
  };
}

/** Deletes core/v1 Events older than the TTL; returns how many. */
export async function pruneEvents(ds: Datastore, now: Date, ttlMs = EVENT_TTL_MS): Promise<number> {
  const info = kindFor('v1', 'Event')!;
  const list = await ds.list({ group: info.group, plural: info.plural });
  let n = 0;
  for (const e of list.items) {
    const last = (e as unknown as { lastTimestamp?: unknown }).lastTimestamp;
    const t = typeof last === 'string' ? Date.parse(last) : Date.parse(e.metadata.creationTimestamp ?? '');
    if (Number.isNaN(t) || now.getTime() - t <= ttlMs) continue;
    try {
      await ds.delete({ group: info.group, plural: info.plural, namespace: e.metadata.namespace ?? '', name: e.metadata.name ?? '' });
      n++;
    } catch {
      // gone already
    }
  }
  return n;
}
