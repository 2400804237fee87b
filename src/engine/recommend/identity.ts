/**
 * @module Which labels identify a workload: the rule the recommender selects workloads and peers
 * by. Pure; deterministic.
 *
 * The rule (documented in docs and `tabby recommend --help`):
 * 1. A pod's *stable labels* are its labels minus the ones its controller stamps per revision or
 *    per instance (PER_INSTANCE_LABELS: `pod-template-hash`, `controller-revision-hash`,
 *    `pod-template-generation`, `statefulset.kubernetes.io/pod-name`,
 *    `apps.kubernetes.io/pod-index`, `controller-uid`, `batch.kubernetes.io/controller-uid`,
 *    `batch.kubernetes.io/job-completion-index`) and minus Calico's own `projectcalico.org/*`.
 *    What is left is what the controller's pod template says: the controller's labels.
 * 2. A *workload* is the set of pods of one namespace with the same stable labels (the replicas
 *    of one Deployment, StatefulSet, DaemonSet or Job, whatever their pod names).
 * 3. Its *identifying labels* are the shortest prefix of the well-known keys it carries, in the
 *    order of IDENTIFYING_KEYS (`app.kubernetes.io/name`, `app.kubernetes.io/instance`,
 *    `app.kubernetes.io/component`, `app`, `k8s-app`, `component`, `tier`, `name`), that selects
 *    no pod of another workload in the namespace; when no prefix does (or it carries none of
 *    them), all its stable labels.
 * 4. Its *name* is the values of its identifying labels joined by `-`, made a DNS label (lower
 *    case, other characters to `-`, ≤ 50 characters with a hash suffix when cut); policies are
 *    named `recommended-<name>`. Two workloads of one namespace whose names collide both get a
 *    hash suffix of their stable labels.
 */
import { hexEncode, sha256 } from '../../lib/sha2.js';

export const PER_INSTANCE_LABELS: readonly string[] = [
  'pod-template-hash',
  'controller-revision-hash',
  'pod-template-generation',
  'statefulset.kubernetes.io/pod-name',
  'apps.kubernetes.io/pod-index',
  'controller-uid',
  'batch.kubernetes.io/controller-uid',
  'batch.kubernetes.io/job-completion-index',
];

export const IDENTIFYING_KEYS: readonly string[] = [
  'app.kubernetes.io/name',
  'app.kubernetes.io/instance',
  'app.kubernetes.io/component',
  'app',
  'k8s-app',
  'component',
  'tier',
  'name',
];

export type Labels = Readonly<Record<string, string>>;

const _own = (o: Labels, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** The labels a pod's controller gives every replica (rule 1), sorted by key. */
export function stableLabels(labels: Labels): Labels {
  const out: Record<string, string> = {};
  for (const k of Object.keys(labels).sort()) {
    if (PER_INSTANCE_LABELS.includes(k) || k.startsWith('projectcalico.org/')) continue;
    const v = labels[k];
    if (typeof v === 'string') out[k] = v;
  }
  return out;
}

/** A canonical text of a label set (sorted `k=v` joined by `,`): a workload's identity in a namespace. */
export function labelKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]!}`)
    .join(',');
}

const _selects = (sel: Labels, labels: Labels): boolean => Object.keys(sel).every((k) => _own(labels, k) && labels[k] === sel[k]);

/**
 * The identifying labels of the workload with stable labels `own` (rule 3), given the stable
 * label sets of every workload of its namespace (its own included or not).
 */
export function identifyingLabels(own: Labels, others: readonly Labels[]): Labels {
  const ownKey = labelKey(own);
  const rivals = others.filter((o) => labelKey(o) !== ownKey);
  const sel: Record<string, string> = {};
  for (const k of IDENTIFYING_KEYS) {
    if (!_own(own, k)) continue;
    sel[k] = own[k]!;
    if (!rivals.some((r) => _selects(sel, r))) return sel;
  }
  return own;
}

/** `s` as a DNS label of at most `max` characters (a hash suffix when cut); '' stays ''. */
export function dnsLabel(s: string, max = 50): string {
  let t = s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (t.length > max) t = `${t.slice(0, max - 11).replace(/-+$/, '')}-${shortHash(s)}`;
  return t;
}

/** 10 hex characters of SHA-256: a stable, short disambiguator. */
export function shortHash(s: string): string {
  return hexEncode(sha256(s)).slice(0, 10);
}

/** The workload's name from its identifying labels (rule 4), before collision handling. */
export function workloadName(identifying: Labels): string {
  const values = Object.keys(identifying).map((k) => identifying[k]!);
  const name = dnsLabel(values.join('-'));
  return name === '' ? `w-${shortHash(labelKey(identifying))}` : name;
}

/** A Calico selector for exactly these labels (`a == 'x' && b == 'y'`, keys sorted); `all()` when empty. */
export function calicoSelector(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return 'all()';
  return keys.map((k) => `${k} == '${labels[k]!}'`).join(' && ');
}
