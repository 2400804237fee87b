/**
 * @module The Node authorizer and NodeRestriction admission, after Kubernetes' (plugin/pkg/auth/
 * authorizer/node and plugin/pkg/admission/noderestriction), for the credential an agent gets
 * when it joins: a client certificate with CN=`system:node:<name>`, O=`system:nodes`.
 *
 * Authorizer (which requests may happen at all):
 * - get, list and watch of what the agent (Felix) reads: pods, namespaces, nodes, services,
 *   endpoints, serviceaccounts, endpointslices, Kubernetes and Calico network policies (staged
 *   too), tiers, profiles, host and workload endpoints, network sets, FelixConfigurations,
 *   IP pools, ClusterInformations and the admin network policies — in the projectcalico.org and,
 *   for a server in CRD mode, crd.projectcalico.org groups;
 * - create, update and patch of Nodes (core and projectcalico.org) named after the node itself,
 *   and of their `status` subresource;
 * - create of `flowevents.tabby.dev` (the agent reports the flows it saw, apiserver/flows.ts);
 * - nothing else: every other request (any policy write, any delete, another node's Node,
 *   exec, logs, …) is 403 Forbidden naming the user `system:node:<name>`.
 *
 * Admission (what such a write may change), checked against the stored object:
 * - a create must name the node itself;
 * - a write may change the status, and labels and annotations whose keys start with
 *   `projectcalico.org/` or `tabby.dev/` (the agents' status annotations, agent/status.ts);
 *   anything else (spec, other labels or annotations, owner references, finalizers) must stay as
 *   stored — on create, other labels and annotations may not be set at all.
 * Unlike Kubernetes', the authorizer lets a node read every pod (not only those bound to it):
 * policy selectors match pods on every node, so Felix needs them all.
 */
import { isObject, type Json } from '../lib/json-patch.js';
import { status, StatusError, type FailureStatus } from './status.js';

export const NODE_USER_PREFIX = 'system:node:';
export const NODES_GROUP = 'system:nodes';

/** Label and annotation key prefixes a node may set on its own Node. */
export const NODE_WRITABLE_PREFIXES: readonly string[] = ['projectcalico.org/', 'tabby.dev/'];

const CALICO_READ = [
  'networkpolicies',
  'globalnetworkpolicies',
  'stagednetworkpolicies',
  'stagedglobalnetworkpolicies',
  'stagedkubernetesnetworkpolicies',
  'tiers',
  'profiles',
  'hostendpoints',
  'workloadendpoints',
  'networksets',
  'globalnetworksets',
  'nodes',
  'felixconfigurations',
  'ippools',
  'clusterinformations',
];

/** group → plurals a node may read. */
export const NODE_READABLE: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['', new Set(['pods', 'namespaces', 'nodes', 'services', 'endpoints', 'serviceaccounts'])],
  ['discovery.k8s.io', new Set(['endpointslices'])],
  ['networking.k8s.io', new Set(['networkpolicies'])],
  ['projectcalico.org', new Set(CALICO_READ)],
  ['crd.projectcalico.org', new Set(CALICO_READ)],
  ['policy.networking.k8s.io', new Set(['adminnetworkpolicies', 'baselineadminnetworkpolicies'])],
]);

const NODE_GROUPS = new Set(['', 'projectcalico.org', 'crd.projectcalico.org']);
const READ_VERBS = new Set(['get', 'list', 'watch']);
const WRITE_VERBS = new Set(['create', 'update', 'patch']);

/** The node a certificate subject names (CN=system:node:<name>, O=system:nodes), or undefined. */
export function nodeOfSubject(cn: string | undefined, orgs: readonly string[]): string | undefined {
  if (cn === undefined || !cn.startsWith(NODE_USER_PREFIX) || !orgs.includes(NODES_GROUP)) return undefined;
  const name = cn.slice(NODE_USER_PREFIX.length);
  return name === '' ? undefined : name;
}

export interface NodeTarget {
  readonly group: string;
  /** `nodes` or `nodes/status` (subresources as `plural/sub`). */
  readonly plural: string;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
}

/** Whether node NODE may VERB the target (the authorizer; writes are then checked by nodeAdmission). */
export function nodeAllows(node: string, verb: string, t: NodeTarget): boolean {
  if (READ_VERBS.has(verb)) return !t.plural.includes('/') && (NODE_READABLE.get(t.group)?.has(t.plural) ?? false);
  if (verb === 'create' && t.group === 'tabby.dev' && t.plural === 'flowevents') return true;
  if (!WRITE_VERBS.has(verb) || !NODE_GROUPS.has(t.group)) return false;
  if (t.plural !== 'nodes' && t.plural !== 'nodes/status') return false;
  // create names the node in the body, which admission checks
  return t.name === node || (verb === 'create' && t.name === undefined && t.plural === 'nodes');
}

type JsonObject = { [k: string]: Json };

const _forbidden = (node: string, what: string): StatusError =>
  new StatusError(status(403, 'Forbidden', `node "${node}" is not allowed to ${what}`, { kind: 'nodes', name: node }));

const _meta = (o: JsonObject | undefined): JsonObject => (o !== undefined && isObject(o['metadata']) ? o['metadata'] : {});

function _canonical(v: Json | undefined): string {
  if (Array.isArray(v)) return `[${v.map(_canonical).join(',')}]`;
  if (isObject(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${_canonical(v[k])}`).join(',')}}`;
  return JSON.stringify(v ?? null);
}

const _writable = (key: string): boolean => NODE_WRITABLE_PREFIXES.some((p) => key.startsWith(p));

/** The map without the keys a node may write. */
function _fixedPart(m: Json | undefined): JsonObject {
  if (!isObject(m)) return {};
  return Object.fromEntries(Object.entries(m).filter(([k]) => !_writable(k)));
}

/** What a node may not change: everything but status, bookkeeping, and its writable labels and annotations. */
function _fixed(o: JsonObject): string {
  const { status: _s, metadata: _m, ...rest } = o;
  const { resourceVersion: _rv, managedFields: _mf, generation: _g, creationTimestamp: _c, uid: _u, selfLink: _sl, labels, annotations, ...meta } = _meta(o);
  return _canonical({ ...rest, metadata: { ...meta, labels: _fixedPart(labels), annotations: _fixedPart(annotations) } } as JsonObject);
}

/**
 * NodeRestriction for a write by node NODE: CURRENT is the stored object (undefined for a
 * create), NEXT what would be stored. Throws a 403 StatusError naming what is not allowed.
 */
export function nodeAdmission(node: string, current: JsonObject | undefined, next: JsonObject): void {
  const name = _meta(next)['name'];
  if (name !== node) throw _forbidden(node, `modify node ${JSON.stringify(typeof name === 'string' ? name : '')}`);
  if (current === undefined) {
    const meta = _meta(next);
    for (const field of ['labels', 'annotations'] as const) {
      const bad = Object.keys(_fixedPart(meta[field])).sort();
      if (bad.length > 0) throw _forbidden(node, `set ${field} ${bad.map((k) => JSON.stringify(k)).join(', ')} (only keys starting with ${NODE_WRITABLE_PREFIXES.join(' or ')})`);
    }
    return;
  }
  if (_fixed(current) !== _fixed(next)) {
    const { status: _a, metadata: _b, ...restNow } = current;
    const { status: _c, metadata: _d, ...restNext } = next;
    const what = _canonical(restNow as JsonObject) !== _canonical(restNext as JsonObject) ? 'its spec' : 'metadata other than labels and annotations starting with ' + NODE_WRITABLE_PREFIXES.join(' or ');
    throw _forbidden(node, `change ${what}`);
  }
}

/** The 403 Status of the Node authorizer for a request it does not allow. */
export function nodeForbidden(node: string, verb: string, t: NodeTarget): FailureStatus {
  const qualified = t.group === '' ? t.plural : `${t.plural}.${t.group}`;
  const subject = t.name === undefined ? qualified : `${qualified} "${t.name}"`;
  const where = t.namespace === undefined ? 'at the cluster scope' : `in the namespace "${t.namespace}"`;
  const why = t.plural.startsWith('nodes') && WRITE_VERBS.has(verb) ? `: a node may only write its own Node ("${node}")` : ': not something a node reads or writes';
  return status(403, 'Forbidden', `${subject} is forbidden: User "${NODE_USER_PREFIX}${node}" cannot ${verb} resource "${t.plural}" in API group "${t.group}" ${where}${why}`, {
    ...(t.name === undefined ? {} : { name: t.name }),
    ...(t.group ? { group: t.group } : {}),
    kind: t.plural,
  });
}
