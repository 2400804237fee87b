/**
 * @module The snapshot builder's input (buildSnapshot, step 1): the resources deduplicated and
 * sorted, looked up by kind, with the label sources every later step shares (namespaces, service
 * accounts, explicit profiles), the selector registry and the problem list. Also the small text
 * and address helpers the steps use.
 */
import type { Resource } from '../../model/meta.js';
import type { Profile } from '../../model/calico/other-types.js';
import type { Namespace, ServiceAccount } from '../../model/k8s/types.js';
import { ipFromText, type Ip } from '../ip.js';
import { protocolNumber } from '../match.js';
import { LABEL_NAME, SelectorRegistry } from '../compile-policy.js';
import type { SnapshotProblem } from '../snapshot.js';

export const nameOf = (r: Resource): string => r.metadata?.name ?? '';
export const namespaceOf = (r: Resource): string => r.metadata?.namespace ?? '';
export const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
export const isK8sNetworkPolicy = (r: Resource): boolean => r.kind === 'NetworkPolicy' && r.apiVersion.startsWith('networking.k8s.io/');
export const isCalico = (r: Resource): boolean => r.apiVersion.startsWith('projectcalico.org/');

/** `namespace/name`, as a flat string: a template literal would keep two cons-string nodes per key. */
export function keyOf(ns: string, name: string): string {
  return [ns, name].join('/');
}

/** The distinct addresses of `texts` (an `addr/prefix` gives its address), in order. */
export function ipsOf(texts: readonly (string | undefined)[]): Ip[] {
  const out: Ip[] = [];
  for (const t of texts) {
    if (t === undefined || t === '') continue;
    const ip = ipFromText(t.includes('/') ? t.slice(0, t.indexOf('/')) : t);
    if (ip && !out.some((x) => x.text === ip.text)) out.push(ip);
  }
  return out;
}

export function protoOr(p: string | number | undefined, dflt: number): number {
  return protocolNumber(p) ?? dflt;
}

/** `labels` with every key prefixed, plus `<prefix>projectcalico.org/name: name`. */
export function prefixed(prefix: string, labels: Readonly<Record<string, string>> | undefined, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels ?? {})) out[prefix + k] = v;
  out[prefix + LABEL_NAME] = name;
  return out;
}

/** What every step of buildSnapshot reads (and the two things they all add to). */
export interface SnapshotInput {
  /** Every resource but core Pods: the last per kind/namespace/name, sorted by that key. */
  readonly resources: readonly Resource[];
  /** Core Pods (see dedupe). */
  readonly pods: readonly Resource[];
  byKind(kind: string): Resource[];
  readonly problems: SnapshotProblem[];
  readonly registry: SelectorRegistry;
  readonly explicitProfiles: ReadonlyMap<string, Profile>;
  /** A namespace's labels (always with `kubernetes.io/metadata.name`, even with no Namespace). */
  nsLabelsOf(ns: string): Record<string, string>;
  /** A service account's labels, by `namespace/name`. */
  readonly saLabels: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** An explicit profile's labelsToApply ({} for any other). */
  profileLabels(name: string): Record<string, string>;
}

export function readInput(input: readonly Resource[]): SnapshotInput {
  const { rest: resources, pods } = dedupe(input);
  const byKind = (kind: string): Resource[] => resources.filter((r) => r.kind === kind);
  const explicitProfiles = new Map<string, Profile>();
  for (const r of byKind('Profile')) explicitProfiles.set(nameOf(r), r as Profile);
  const nsLabels = new Map<string, Record<string, string>>();
  for (const r of byKind('Namespace')) {
    const n = nameOf(r);
    nsLabels.set(n, { 'kubernetes.io/metadata.name': n, ...((r as Namespace).metadata?.labels ?? {}) });
  }
  const nsLabelsOf = (ns: string): Record<string, string> => {
    let l = nsLabels.get(ns);
    if (l === undefined) {
      l = { 'kubernetes.io/metadata.name': ns };
      nsLabels.set(ns, l);
    }
    return l;
  };
  const saLabels = new Map<string, Record<string, string>>();
  for (const r of byKind('ServiceAccount')) saLabels.set(`${namespaceOf(r)}/${nameOf(r)}`, (r as ServiceAccount).metadata?.labels ?? {});
  return {
    resources,
    pods,
    byKind,
    problems: [],
    registry: new SelectorRegistry(),
    explicitProfiles,
    nsLabelsOf,
    saLabels,
    profileLabels: (name) => explicitProfiles.get(name)?.spec?.labelsToApply ?? {},
  };
}

/**
 * Keeps the last resource per kind/namespace/name, then returns them sorted by that key. Core
 * Pods (the bulk, ordered by their own key later) come separately and unsorted: in input order,
 * duplicates included, when every Pod names its namespace (the pod loop then lets the last one
 * win, which is the same thing), else deduplicated here.
 */
function dedupe(resources: readonly Resource[]): { rest: Resource[]; pods: Resource[] } {
  const m = new Map<string, Resource>();
  const pods: Resource[] = [];
  let unnamespaced = false;
  for (const r of resources) {
    if (r.kind === 'Pod' && r.apiVersion === 'v1') {
      pods.push(r);
      if (namespaceOf(r) === '') unnamespaced = true;
    } else m.set(`${r.kind}|${r.apiVersion.split('/')[0]}|${namespaceOf(r)}|${nameOf(r)}`, r);
  }
  const rest = [...m.entries()].sort((a, b) => compareText(a[0], b[0])).map((e) => e[1]);
  if (!unnamespaced) return { rest, pods };
  const byKey = new Map<string, Resource>();
  for (const r of pods) byKey.set(`${namespaceOf(r)}|${nameOf(r)}`, r);
  return { rest, pods: [...byKey.entries()].sort((a, b) => compareText(a[0], b[0])).map((e) => e[1]) };
}
