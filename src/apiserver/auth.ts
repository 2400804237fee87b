/**
 * @module Bearer-token authentication and the two built-in roles: the admin token may do
 * everything; the read-only token may get, list and watch. Pure.
 */
import { status, type FailureStatus } from './status.js';

export interface User {
  readonly name: string;
  readonly readOnly: boolean;
}

export interface Tokens {
  readonly admin: string;
  readonly readOnly: string;
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
  return undefined;
}

const READ_VERBS = new Set(['get', 'list', 'watch']);

/** The Forbidden Status of RBAC, or undefined when allowed. */
export function authorize(
  user: User,
  verb: string,
  target: { group: string; plural: string; namespace: string | undefined; name: string | undefined },
): FailureStatus | undefined {
  if (!user.readOnly || READ_VERBS.has(verb)) return undefined;
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
