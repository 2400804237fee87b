/**
 * @module CRD schema defaults for AdminNetworkPolicy and BaselineAdminNetworkPolicy: a port's
 * `protocol` (in `portNumber` and `portRange`) defaults to `TCP`. Pure: returns new objects.
 */
import type { AdminNetworkPolicyEgressRule, AdminNetworkPolicyIngressRule, AdminNetworkPolicyPort } from './types.js';

const DEFAULT_PROTOCOL = 'TCP';

function _port(p: AdminNetworkPolicyPort): AdminNetworkPolicyPort {
  const out: AdminNetworkPolicyPort = { ...p };
  if (p.portNumber !== undefined && p.portNumber.protocol === undefined) out.portNumber = { ...p.portNumber, protocol: DEFAULT_PROTOCOL };
  if (p.portRange !== undefined && p.portRange.protocol === undefined) out.portRange = { ...p.portRange, protocol: DEFAULT_PROTOCOL };
  return out;
}

function _rule<R extends AdminNetworkPolicyIngressRule | AdminNetworkPolicyEgressRule>(r: R): R {
  return r.ports === undefined ? r : { ...r, ports: r.ports.map(_port) };
}

/** Defaults the port protocols of an ANP or BANP (any object with `spec.ingress`/`spec.egress`). */
export function defaultAdminPolicy<
  T extends { spec?: { ingress?: AdminNetworkPolicyIngressRule[]; egress?: AdminNetworkPolicyEgressRule[] } },
>(o: T): T {
  const spec = o.spec;
  if (spec === undefined) return o;
  const out = { ...spec };
  if (spec.ingress !== undefined) out.ingress = spec.ingress.map(_rule);
  if (spec.egress !== undefined) out.egress = spec.egress.map(_rule);
  return { ...o, spec: out };
}
