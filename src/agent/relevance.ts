/**
 * @module Agent-side filtering (issue 19; Felix's calc graph computes per local endpoint): does a
 * change of some Pods alter what this node programs? A node's desired state depends on a Pod of
 * another node only through IP sets — the pod's addresses as members of selector and
 * named-port sets its local policies reference, and Service backend sets. So a remote Pod
 * change is irrelevant when
 * - the node programs no Service set (those follow Service selectors over pods: not judged
 *   here, every pod change counts then),
 * - the pod (before and after) is not on this node,
 * - before the change none of its addresses was a member of any of the node's IP sets, and
 * - after it, its endpoint labels (the engine's own: pod labels, namespace and service-account
 *   profile labels, `projectcalico.org/*`), computed by `buildSnapshot` over the pod, its
 *   Namespace and its ServiceAccount, match none of the selectors of the node's IP sets.
 * Anything this module cannot judge counts as relevant. `test: agent relevance` replays random
 * remote changes and checks that every change judged irrelevant leaves `computeDesiredState`
 * deep-equal.
 */
import { buildSnapshot, type DesiredState, type Snapshot } from '../engine/index.js';
import type { Resource } from '../model/meta.js';
import { tryParseSelector, type Selector } from '../selector/index.js';
import type { StoredObject } from '../datastore/index.js';

/** What of the rest of the cluster a node's desired state depends on. */
export interface NodeFootprint {
  readonly node: string;
  /** Addresses that are members of any of its IP sets (an `ip,proto:port` member by its address). */
  readonly members: ReadonlySet<string>;
  /** The selectors of its selector and named-port IP sets. */
  readonly selectors: readonly Selector[];
  /** False when something could not be judged (a Service set, a set source not understood). */
  readonly judgeable: boolean;
}

export function footprint(desired: DesiredState): NodeFootprint {
  const members = new Set<string>();
  const selectors = new Map<string, Selector>();
  let judgeable = true;
  for (const set of desired.ipSets.values()) {
    for (const m of set.members) {
      const comma = m.indexOf(',');
      members.add(comma < 0 ? m : m.slice(0, comma));
    }
    const src = set.source;
    let text: string | undefined;
    if (set.id.startsWith('s:') && src.startsWith('selector ')) text = src.slice('selector '.length);
    else if (set.id.startsWith('n:') && src.startsWith('named port ')) {
      const of = src.indexOf(' of ', 'named port '.length);
      if (of >= 0) text = src.slice(of + ' of '.length);
    } else if (set.id.startsWith('c:')) continue;
    if (text === undefined) {
      judgeable = false;
      continue;
    }
    if (selectors.has(text)) continue;
    const sel = tryParseSelector(text);
    if (!sel.ok) judgeable = false;
    else selectors.set(text, sel.value);
  }
  return { node: desired.node, members, selectors: [...selectors.values()], judgeable };
}

/** Looks up a decoded Namespace or ServiceAccount (the pod's profile sources). */
export type Lookup = (kind: 'Namespace' | 'ServiceAccount', namespace: string, name: string) => Resource | undefined;

function _nodeName(o: StoredObject | undefined): string | undefined {
  const spec = (o as { spec?: { nodeName?: unknown } } | undefined)?.spec;
  return typeof spec?.nodeName === 'string' ? spec.nodeName : undefined;
}

/**
 * Whether the change of the Pod `key` (`namespace/name`) from `prev` (as in `before`, the
 * snapshot the footprint was computed from) to `next` can alter the node's desired state.
 */
export function podChangeMatters(fp: NodeFootprint, before: Snapshot, key: string, prev: StoredObject | undefined, next: StoredObject | undefined, next$: Resource | undefined, lookup: Lookup): boolean {
  if (!fp.judgeable) return true;
  if (_nodeName(prev) === fp.node || _nodeName(next) === fp.node) return true;
  const old = before.workloadByKey.get(key);
  if (old !== undefined) {
    if (old.node === fp.node) return true;
    for (const ip of old.ips) if (fp.members.has(ip.text)) return true;
  }
  if (next === undefined) return false;
  if (next$ === undefined) return true; // present but not decodable: let the full computation judge
  const ns = next$.metadata?.namespace ?? '';
  const saName = (next$ as { spec?: { serviceAccountName?: unknown } }).spec?.serviceAccountName;
  const inputs: Resource[] = [next$];
  const nsObj = lookup('Namespace', '', ns);
  if (nsObj !== undefined) inputs.push(nsObj);
  const sa = lookup('ServiceAccount', ns, typeof saName === 'string' && saName !== '' ? saName : 'default');
  if (sa !== undefined) inputs.push(sa);
  const w = buildSnapshot(inputs).workloadByKey.get(key);
  if (w === undefined) return false;
  if (w.node === fp.node) return true;
  if (w.ips.length === 0) return false;
  for (const s of fp.selectors) if (s.matches(w.labels)) return true;
  return false;
}
