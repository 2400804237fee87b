/**
 * @module The engine's view of AdminNetworkPolicy and BaselineAdminNetworkPolicy: each is
 * converted (model/convert, as Calico converts them) into a GlobalNetworkPolicy in the
 * `adminnetworkpolicy` / `baselineadminnetworkpolicy` tier and evaluated like any other policy.
 * The policy keeps its source kind, so traces and lint name the ANP/BANP
 * (`kanp.adminnetworkpolicy.<name>`, like `knp.default.<name>` for a NetworkPolicy).
 */
import type { Resource } from '../model/meta.js';
import { formatLine } from '../model/field/format.js';
import {
  adminPolicyNodes,
  convertAdminNetworkPolicy,
  convertBaselineAdminNetworkPolicy,
  type AdminConversionContext,
} from '../model/convert/index.js';
import { POLICY_API_GROUP } from '../model/policy-api/types.js';
import type { PolicyLike } from './compile-policy.js';

const _contexts = new WeakMap<readonly Resource[], AdminConversionContext>();

/** The conversion context (the Nodes) for one resource list, computed once per list. */
function _context(resources: readonly Resource[]): AdminConversionContext {
  let c = _contexts.get(resources);
  if (c === undefined) {
    c = { nodes: adminPolicyNodes(resources) };
    _contexts.set(resources, c);
  }
  return c;
}

const _isPolicyApi = (r: Resource): boolean => r.apiVersion.startsWith(`${POLICY_API_GROUP}/`);

/**
 * For an ANP or BANP: the policy to evaluate (undefined when it cannot be converted at all) and
 * the conversion problems. For any other resource: undefined and no problems.
 */
export function adminPolicyOf(
  r: Resource,
  resources: readonly Resource[],
  problems: { resource: string; message: string }[],
): PolicyLike | undefined {
  if (!_isPolicyApi(r) || (r.kind !== 'AdminNetworkPolicy' && r.kind !== 'BaselineAdminNetworkPolicy')) return undefined;
  const c = r.kind === 'AdminNetworkPolicy' ? convertAdminNetworkPolicy(r, _context(resources)) : convertBaselineAdminNetworkPolicy(r, _context(resources));
  for (const e of c.errors) problems.push({ resource: `${r.kind} ${r.metadata?.name ?? ''}`, message: formatLine(e) });
  if (c.policy === undefined) return undefined;
  return { kind: r.kind, namespace: '', name: c.policy.metadata?.name ?? '', spec: c.policy.spec ?? {}, staged: false };
}

/** Whether a resource is an ANP or BANP (handled by adminPolicyOf). */
export const isAdminPolicy = (r: Resource): boolean =>
  _isPolicyApi(r) && (r.kind === 'AdminNetworkPolicy' || r.kind === 'BaselineAdminNetworkPolicy');
