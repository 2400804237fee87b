/**
 * @module Bearer-token authentication and authorization: the admin token may do everything;
 * the read-only token may get, list and watch; a token given RBAC PolicyRules (`Tokens.users`,
 * for embedders and tests — the server has no ClusterRole/ClusterRoleBinding objects) may do
 * exactly what those rules allow, matched as Kubernetes' RBAC authorizer matches a rule
 * (apiGroups, resources incl. `plural/subresource`, verbs, resourceNames, `*`); a node's client
 * certificate (authenticated by the TLS layer, main.ts) is judged by the Node authorizer
 * (node-auth.ts). Pure.
 */
import { status, type FailureStatus } from './status.js';
import { nodeAllows, nodeForbidden, nodeOfSubject, NODE_USER_PREFIX } from './node-auth.js';

/** An RBAC PolicyRule (rbac.authorization.k8s.io/v1), resource rules only. */
export interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  readonly resourceNames?: readonly string[];
}

export interface User {
  readonly name: string;
  readonly readOnly: boolean;
  /** When set, the user may do exactly what these rules allow (and nothing else). */
  readonly rules?: readonly PolicyRule[];
  /** A node's credential (`system:node:<node>`): the Node authorizer decides (node-auth.ts). */
  readonly node?: string;
}

/** A token bound to RBAC rules, as a ClusterRoleBinding binds a ClusterRole to a subject. */
export interface TokenUser {
  readonly token: string;
  readonly name: string;
  readonly rules: readonly PolicyRule[];
}

export interface Tokens {
  readonly admin: string;
  readonly readOnly: string;
  readonly users?: readonly TokenUser[];
}

export const ADMIN_USER = 'tabby:admin';
export const READ_ONLY_USER = 'tabby:read-only';

/** Compares without an early exit, so timing does not reveal how much of a token matched. */
function _sameToken(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a.charCodeAt(i % Math.max(a.length, 1)) || 0) ^ (b.charCodeAt(i % Math.max(b.length, 1)) || 0);
  return diff === 0 && a.length > 0;
}

export function authenticate(authorization: string | undefined, tokens: Tokens): User | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!m) return undefined;
  const token = m[1]!;
  if (_sameToken(token, tokens.admin)) return { name: ADMIN_USER, readOnly: false };
  if (_sameToken(token, tokens.readOnly)) return { name: READ_ONLY_USER, readOnly: true };
  for (const u of tokens.users ?? []) if (_sameToken(token, u.token)) return { name: u.name, readOnly: !u.rules.some((r) => r.verbs.some((v) => !READ_VERBS.has(v))), rules: u.rules };
  return undefined;
}

const _has = (list: readonly string[], x: string): boolean => list.includes('*') || list.includes(x);

/** Kubernetes' RuleAllows for a resource request (rbac/v1 helpers: VerbMatches, APIGroupMatches, ResourceMatches, ResourceNameMatches). */
export function ruleAllows(r: PolicyRule, verb: string, group: string, resource: string, name: string | undefined): boolean {
  if (!_has(r.verbs, verb) || !_has(r.apiGroups, group)) return false;
  const slash = resource.indexOf('/');
  const resOk = _has(r.resources, resource) || (slash > 0 && r.resources.includes(`*${resource.slice(slash)}`));
  if (!resOk) return false;
  const names = r.resourceNames ?? [];
  return names.length === 0 || (name !== undefined && names.includes(name));
}

const READ_VERBS = new Set(['get', 'list', 'watch']);

/** The Forbidden Status of RBAC, or undefined when allowed. */
/**
 * Impersonation (Kubernetes' `Impersonate-User` / `Impersonate-Group` headers), narrowed to what
 * the fan-out tier needs (src/fanout: an agent that presents its node certificate to a fan-out
 * server is served as that node): only the admin credential may impersonate, and only a node
 * identity (`system:node:<name>` with group `system:nodes`), which is then authorized and
 * admitted exactly as the node's own certificate would be. Without the headers: `undefined`.
 */
export function impersonate(user: User, header: (name: string) => string | undefined, groups: readonly string[]): User | FailureStatus | undefined {
  const as = header('impersonate-user');
  if (as === undefined) {
    if (groups.length > 0 || header('impersonate-uid') !== undefined) return status(400, 'BadRequest', 'Impersonate-Group and Impersonate-Uid need Impersonate-User');
    return undefined;
  }
  if (user.node !== undefined || user.rules !== undefined || user.readOnly)
    return status(403, 'Forbidden', `users "${as}" is forbidden: User "${user.name}" cannot impersonate resource "users" in API group "" at the cluster scope`, { name: as, kind: 'users' });
  const node = nodeOfSubject(as, groups);
  if (node === undefined)
    return status(403, 'Forbidden', `users "${as}" is forbidden: this server impersonates only node identities (${NODE_USER_PREFIX}<name> with Impersonate-Group: system:nodes)`, { name: as, kind: 'users' });
  return { name: `${NODE_USER_PREFIX}${node}`, readOnly: false, node };
}

export function authorize(
  user: User,
  verb: string,
  target: { group: string; plural: string; namespace: string | undefined; name: string | undefined },
): FailureStatus | undefined {
  if (user.node !== undefined) return nodeAllows(user.node, verb, target) ? undefined : nodeForbidden(user.node, verb, target);
  if (user.rules !== undefined) {
    if (user.rules.some((r) => ruleAllows(r, verb, target.group, target.plural, target.name))) return undefined;
  } else if (!user.readOnly || READ_VERBS.has(verb)) return undefined;
  const qualified = target.group === '' ? target.plural : `${target.plural}.${target.group}`;
  const subject = target.name === undefined ? qualified : `${qualified} "${target.name}"`;
  const where = target.namespace === undefined ? 'at the cluster scope' : `in the namespace "${target.namespace}"`;
  return status(
    403,
    'Forbidden',
    `${subject} is forbidden: User "${user.name}" cannot ${verb} resource "${target.plural}" in API group "${target.group}" ${where}`,
    { ...(target.name === undefined ? {} : { name: target.name }), ...(target.group ? { group: target.group } : {}), kind: target.plural },
  );
}
