/**
 * @module The Calico objects a Calico cluster has without anyone creating them, as Calico's API
 * server shows them (v3.31): the built-in tiers, the `default` FelixConfiguration, the
 * `projectcalico-default-allow` profile, one `kns.<namespace>` profile per Namespace, one
 * `ksa.<namespace>.<serviceaccount>` profile per ServiceAccount, and one WorkloadEndpoint per
 * scheduled, non-host-network Pod (libcalico-go k8s conversion: NamespaceToProfile,
 * ServiceAccountToProfile, PodToWorkloadEndpoints).
 *
 * Every object built here carries the annotation DERIVED_ANNOTATION naming where it comes from,
 * so consumers that build policy state themselves (the engine's callers: agents over the API,
 * the dashboard) can leave them out: the engine derives the same facts from the Pods, Namespaces
 * and ServiceAccounts, and feeding both would count them twice. Pure.
 */
import { FieldPath } from '../field/path.js';
import { hexEncode, sha256 } from '../../lib/sha2.js';
import { workloadEndpointName, LABEL_NAMESPACE, LABEL_ORCHESTRATOR } from './workload-endpoint.js';

/** Marks an object the API derives (never stored); its value names the source. */
export const DERIVED_ANNOTATION = 'tabby.dev/derived-from';
export const BUILT_IN = 'built-in';

export const DEFAULT_ALLOW_PROFILE = 'projectcalico-default-allow';
export const NAMESPACE_PROFILE_PREFIX = 'kns.';
export const SERVICE_ACCOUNT_PROFILE_PREFIX = 'ksa.';
const NS_LABEL_PREFIX = 'pcns.';
const SA_LABEL_PREFIX = 'pcsa.';
const LABEL_NAME = 'projectcalico.org/name';
const LABEL_SERVICE_ACCOUNT = 'projectcalico.org/serviceaccount';

interface Meta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  generateName?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The few fields of a stored object read here. */
export interface SourceObject {
  readonly metadata: Meta;
  readonly spec?: unknown;
  readonly status?: unknown;
}

export interface DerivedObject {
  apiVersion: string;
  kind: string;
  metadata: Meta;
  spec: Record<string, unknown>;
}

/** True for an object built here (not stored, read-only). */
export function isDerived(o: { metadata?: { annotations?: Readonly<Record<string, string>> } } | undefined): boolean {
  const a = o?.metadata?.annotations;
  return a !== undefined && Object.prototype.hasOwnProperty.call(a, DERIVED_ANNOTATION);
}

const V3 = 'projectcalico.org/v3';

function _meta(name: string, from: string, src?: SourceObject, namespace?: string): Meta {
  const m = src?.metadata;
  return {
    name,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(m?.uid !== undefined ? { uid: m.uid } : {}),
    ...(m?.resourceVersion !== undefined ? { resourceVersion: m.resourceVersion } : {}),
    ...(m?.creationTimestamp !== undefined ? { creationTimestamp: m.creationTimestamp } : {}),
    annotations: { [DERIVED_ANNOTATION]: from },
  };
}

/** Tiers Calico 3.31 creates: `default` (1,000,000, Deny) and the (baseline) admin network policy tiers (Pass). */
export const BUILT_IN_TIERS: readonly { readonly name: string; readonly order: number; readonly defaultAction: 'Deny' | 'Pass' }[] = [
  { name: 'adminnetworkpolicy', order: 1_000, defaultAction: 'Pass' },
  { name: 'default', order: 1_000_000, defaultAction: 'Deny' },
  { name: 'baselineadminnetworkpolicy', order: 10_000_000, defaultAction: 'Pass' },
];

/** Tiers Calico refuses to delete (clientv3 tiers.Delete). */
export const UNDELETABLE_TIERS: ReadonlySet<string> = new Set(['default', 'adminnetworkpolicy']);

export function builtInTiers(): DerivedObject[] {
  return BUILT_IN_TIERS.map((t) => ({ apiVersion: V3, kind: 'Tier', metadata: _meta(t.name, BUILT_IN), spec: { order: t.order, defaultAction: t.defaultAction } }));
}

/** The `default` FelixConfiguration calico-node writes at start (no overrides: Felix's defaults). */
export function defaultFelixConfiguration(): DerivedObject {
  return { apiVersion: V3, kind: 'FelixConfiguration', metadata: _meta('default', BUILT_IN), spec: { logSeverityScreen: 'Info', reportingInterval: '0s' } };
}

const ALLOW = [{ action: 'Allow' }];

/** The profile the k8s datastore always serves: allow everything both ways. */
export function defaultAllowProfile(): DerivedObject {
  return { apiVersion: V3, kind: 'Profile', metadata: _meta(DEFAULT_ALLOW_PROFILE, BUILT_IN), spec: { ingress: ALLOW, egress: ALLOW } };
}

function _prefixed(prefix: string, labels: Readonly<Record<string, string>> | undefined, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels ?? {})) out[prefix + k] = v;
  out[prefix + LABEL_NAME] = name;
  return out;
}

/** `kns.<ns>`: allow all both ways; the namespace's labels as `pcns.*`, plus `pcns.projectcalico.org/name`. */
export function namespaceProfile(ns: SourceObject): DerivedObject {
  const name = ns.metadata.name ?? '';
  return {
    apiVersion: V3,
    kind: 'Profile',
    metadata: _meta(NAMESPACE_PROFILE_PREFIX + name, `v1 Namespace ${name}`, ns),
    spec: { ingress: ALLOW, egress: ALLOW, labelsToApply: _prefixed(NS_LABEL_PREFIX, ns.metadata.labels, name) },
  };
}

/** `ksa.<ns>.<sa>`: no rules; the service account's labels as `pcsa.*`, plus `pcsa.projectcalico.org/name`. */
export function serviceAccountProfile(sa: SourceObject): DerivedObject {
  const ns = sa.metadata.namespace ?? 'default';
  const name = sa.metadata.name ?? '';
  return {
    apiVersion: V3,
    kind: 'Profile',
    metadata: _meta(`${SERVICE_ACCOUNT_PROFILE_PREFIX}${ns}.${name}`, `v1 ServiceAccount ${ns}/${name}`, sa),
    spec: { labelsToApply: _prefixed(SA_LABEL_PREFIX, sa.metadata.labels, name) },
  };
}

/** Tabby's host-side veth name for a pod (engine/names.ts: `cali` + 11 hex digits of SHA-256). */
export function podInterfaceName(namespace: string, pod: string): string {
  return 'cali' + hexEncode(sha256(`${namespace}.${pod}`)).slice(0, 11);
}

type PodLike = SourceObject & {
  spec?: { nodeName?: string; hostNetwork?: boolean; serviceAccountName?: string; containers?: unknown[]; initContainers?: unknown[] };
  status?: { phase?: string; podIP?: string; podIPs?: { ip?: string }[] };
};

const FINISHED = new Set(['Succeeded', 'Failed', 'Completed']);

/** `<node>-k8s-<pod>-eth0` (each part's dashes doubled), or undefined for a pod Calico shows no endpoint for. */
export function podWorkloadEndpointName(pod: SourceObject): string | undefined {
  const p = pod as PodLike;
  if (p.spec?.hostNetwork === true || (p.spec?.nodeName ?? '') === '') return undefined;
  const r = workloadEndpointName({ orchestrator: 'k8s', node: p.spec?.nodeName ?? '', pod: p.metadata.name ?? '', endpoint: 'eth0' }, FieldPath.root('spec'));
  return r.ok ? r.value : undefined;
}

/**
 * The WorkloadEndpoint Calico shows for a pod: only for scheduled pods without host networking;
 * a finished pod's endpoint has no addresses. The service account defaults to `default`, as the
 * Kubernetes service-account admission (and Tabby's engine) do.
 */
export function podWorkloadEndpoint(pod: SourceObject): DerivedObject | undefined {
  const name = podWorkloadEndpointName(pod);
  if (name === undefined) return undefined;
  const p = pod as PodLike;
  const ns = p.metadata.namespace ?? 'default';
  const podName = p.metadata.name ?? '';
  const sa = p.spec?.serviceAccountName || 'default';
  const labels: Record<string, string> = { ...(p.metadata.labels ?? {}), [LABEL_NAMESPACE]: ns, [LABEL_ORCHESTRATOR]: 'k8s' };
  if (sa.length < 63) labels[LABEL_SERVICE_ACCOUNT] = sa;
  const ips = FINISHED.has(p.status?.phase ?? '') ? [] : _podIPs(p);
  const ports: Record<string, unknown>[] = [];
  for (const c of [...(p.spec?.containers ?? []), ...(p.spec?.initContainers ?? [])]) {
    const cports = (c as { ports?: unknown }).ports;
    if (!Array.isArray(cports)) continue;
    for (const cp of cports as { name?: string; containerPort?: number; hostPort?: number; hostIP?: string; protocol?: string }[]) {
      if (!cp.containerPort || (!cp.hostPort && !cp.name)) continue;
      const proto = cp.protocol === 'UDP' ? 'UDP' : cp.protocol === 'SCTP' ? 'SCTP' : cp.protocol === undefined || cp.protocol === '' || cp.protocol === 'TCP' ? 'TCP' : undefined;
      if (proto === undefined) continue;
      ports.push({ ...(cp.name ? { name: cp.name } : {}), protocol: proto, port: cp.containerPort, ...(cp.hostPort ? { hostPort: cp.hostPort } : {}), ...(cp.hostIP ? { hostIP: cp.hostIP } : {}) });
    }
  }
  const meta = _meta(name, `v1 Pod ${ns}/${podName}`, pod, ns);
  return {
    apiVersion: V3,
    kind: 'WorkloadEndpoint',
    metadata: { ...meta, ...(p.metadata.generateName ? { generateName: p.metadata.generateName } : {}), labels },
    spec: {
      orchestrator: 'k8s',
      node: p.spec?.nodeName ?? '',
      pod: podName,
      endpoint: 'eth0',
      interfaceName: podInterfaceName(ns, podName),
      profiles: [NAMESPACE_PROFILE_PREFIX + ns, `${SERVICE_ACCOUNT_PROFILE_PREFIX}${ns}.${sa}`],
      ipNetworks: ips,
      ...(ports.length > 0 ? { ports } : {}),
      serviceAccountName: sa,
    },
  };
}

function _podIPs(p: PodLike): string[] {
  const list = (p.status?.podIPs ?? []).map((x) => x.ip ?? '').filter((ip) => ip !== '');
  const ips = list.length > 0 ? list : p.status?.podIP ? [p.status.podIP] : [];
  return ips.map((ip) => (ip.includes('/') ? ip : `${ip}/${ip.includes(':') ? 128 : 32}`));
}
