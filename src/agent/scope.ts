/**
 * @module Pod scope (issue 19): which Pods of other nodes an agent keeps. Felix's calc graph
 * computes per local endpoint and needs a remote endpoint only as a member of an IP set whose
 * selector is active locally; an agent that kept every Pod of a 250,000-pod cluster would hold
 * the whole cluster 1,000 times over. A node's desired state depends on a remote Pod only through
 * the selector and named-port IP sets of its local policies (relevance.ts), and which sets exist
 * depends only on the local Pods and the other kinds (never on remote Pods). So the syncer keeps
 *
 * - every Pod on this node,
 * - every Pod of the namespaces the active selectors are bounded to (a namespaced policy's
 *   selectors carry `projectcalico.org/namespace == <ns>`: all of that namespace is kept, so a
 *   selector change inside it needs no new list), and
 * - the Pods matching an active selector that is not bounded to namespaces (`namespaceSelector`,
 *   global policies), judged on the Pod's endpoint labels (`buildSnapshot` over the Pod, its
 *   Namespace and its ServiceAccount: the engine's own labels).
 *
 * When a computation needs more than is kept (`covers` false: a new namespace, a new unbounded
 * selector, or something `relevance.footprint` cannot judge — then everything), the syncer widens
 * its scope (it never narrows: a label flipping back needs no list) and fetches what it lacked
 * before the loop may program (syncer.ts). `test: agent scope` checks that a scoped agent
 * programs exactly what an unscoped one does.
 */
import { buildSnapshot } from '../engine/index.js';
import type { Resource } from '../model/meta.js';
import { labelRestrictions, type Selector } from '../selector/index.js';
import type { NodeFootprint } from './relevance.js';

const LABEL_NAMESPACE = 'projectcalico.org/namespace';

export interface PodScope {
  /** Keep every Pod. */
  readonly all: boolean;
  /** Namespaces whose every Pod is kept. */
  readonly namespaces: ReadonlySet<string>;
  /** Selectors not bounded to namespaces, by text: Pods matching any of them are kept. */
  readonly selectors: ReadonlyMap<string, Selector>;
}

/** Only this node's Pods (before the first computation says what else is needed). */
export const LOCAL_ONLY: PodScope = { all: false, namespaces: new Set(), selectors: new Map() };
export const EVERYTHING: PodScope = { all: true, namespaces: new Set(), selectors: new Map() };

/** What a footprint needs kept. */
export function scopeFor(fp: NodeFootprint): PodScope {
  if (!fp.judgeable) return EVERYTHING;
  const namespaces = new Set<string>();
  const selectors = new Map<string, Selector>();
  for (const s of fp.selectors) {
    const r = labelRestrictions(s.ast);
    if (r.never) continue;
    const ns = r.labels.get(LABEL_NAMESPACE);
    if (ns !== undefined && ns !== null) for (const n of ns) namespaces.add(n);
    else selectors.set(s.toString(), s);
  }
  return { all: false, namespaces, selectors };
}

/** What `want` needs beyond `have` (undefined: nothing). */
export interface Widening {
  /** Everything (then the rest is moot). */
  readonly all: boolean;
  readonly namespaces: readonly string[];
  readonly selectors: readonly Selector[];
}

export function widening(have: PodScope, want: PodScope): Widening | undefined {
  if (have.all) return undefined;
  if (want.all) return { all: true, namespaces: [], selectors: [] };
  const namespaces = [...want.namespaces].filter((n) => !have.namespaces.has(n));
  const selectors = [...want.selectors].filter(([t]) => !have.selectors.has(t)).map(([, s]) => s);
  return namespaces.length === 0 && selectors.length === 0 ? undefined : { all: false, namespaces, selectors };
}

export function widen(have: PodScope, w: Widening): PodScope {
  if (have.all || w.all) return EVERYTHING;
  const namespaces = new Set(have.namespaces);
  for (const n of w.namespaces) namespaces.add(n);
  const selectors = new Map(have.selectors);
  for (const s of w.selectors) selectors.set(s.toString(), s);
  return { all: false, namespaces, selectors };
}

/** Looks up a decoded Namespace or ServiceAccount (the pod's profile sources). */
export type ProfileLookup = (kind: 'Namespace' | 'ServiceAccount', namespace: string, name: string) => Resource | undefined;

/** The Pod's endpoint labels as the engine computes them (undefined: the engine makes no endpoint of it). */
export function endpointLabels(pod: Resource, lookup: ProfileLookup): Readonly<Record<string, string>> | undefined {
  const ns = pod.metadata?.namespace ?? '';
  const saName = (pod as { spec?: { serviceAccountName?: unknown } }).spec?.serviceAccountName;
  const inputs: Resource[] = [pod];
  const nsObj = lookup('Namespace', '', ns);
  if (nsObj !== undefined) inputs.push(nsObj);
  const sa = lookup('ServiceAccount', ns, typeof saName === 'string' && saName !== '' ? saName : 'default');
  if (sa !== undefined) inputs.push(sa);
  const w = buildSnapshot(inputs).workloadByKey.get(`${ns}/${pod.metadata?.name ?? ''}`);
  return w?.labels;
}

/**
 * Whether a Pod of another node (raw namespace `namespace`) is kept without looking at its
 * labels: true (kept), false (dropped) or undefined (its endpoint labels decide: `matchesScope`).
 */
export function keptByNamespace(scope: PodScope, namespace: string): boolean | undefined {
  if (scope.all || scope.namespaces.has(namespace)) return true;
  return scope.selectors.size === 0 ? false : undefined;
}

export function matchesScope(scope: PodScope, labels: Readonly<Record<string, string>>): boolean {
  for (const s of scope.selectors.values()) if (s.matches(labels)) return true;
  return false;
}
