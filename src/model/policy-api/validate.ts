/**
 * @module Validation of AdminNetworkPolicy and BaselineAdminNetworkPolicy as the API server does it
 * for the CRDs Calico v3.31 installs (network-policy-api v0.1.5, experimental channel): the
 * OpenAPI schema (required fields, enums, ranges, item and property counts) and the CEL rules
 * (BANP singleton named `default`; no `namedPort` with `networks`/`nodes` peers; a network is
 * IPv4 or IPv6, not both). Messages follow the API server's wording. Collects every error.
 *
 * Stricter than the CRD, on purpose (each would otherwise convert into a wider policy than
 * written, or into none): label selectors are checked as Kubernetes checks them (operators,
 * keys, values); a port protocol must be TCP, UDP or SCTP; each `networks` entry must parse as
 * a CIDR (later API versions check `isCIDR(self)` with the same message).
 */
import type { FieldPath } from '../field/path.js';
import { duplicate, invalid, notSupported, required, tooLong, tooMany, type FieldError } from '../field/errors.js';
import { validateLabelSelector } from '../k8s/validate-network-policy.js';
import type { LabelSelector } from '../k8s/types.js';
import { parseCidr } from '../../lib/net.js';
import type {
  AdminNetworkPolicy,
  AdminNetworkPolicyEgressPeer,
  AdminNetworkPolicyEgressRule,
  AdminNetworkPolicyIngressPeer,
  AdminNetworkPolicyIngressRule,
  AdminNetworkPolicyPort,
  AdminNetworkPolicySpec,
  AdminNetworkPolicySubject,
  AdminPolicyStatus,
  BaselineAdminNetworkPolicy,
  BaselineAdminNetworkPolicySpec,
  NamespacedPod,
} from './types.js';

export const ANP_ACTIONS = ['Allow', 'Deny', 'Pass'] as const;
export const BANP_ACTIONS = ['Allow', 'Deny'] as const;
export const ADMIN_POLICY_PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;
export const MAX_PRIORITY = 1000;
export const MAX_RULES = 100;
export const MAX_PEERS = 100;
export const MAX_PORTS = 100;
export const MAX_NETWORKS = 25;
export const MAX_RULE_NAME = 100;
export const MAX_CIDR_LENGTH = 43;
export const BANP_NAME = 'default';

const NAMED_PORT_WITH_NETWORKS = 'networks/nodes peer cannot be set with namedPorts since there are no namedPorts for networks/nodes';
const CIDR_FAMILY = 'CIDR must be either an IPv4 or IPv6 address. IPv4 address embedded in IPv6 addresses are not supported';

const _setCount = (o: object): number => Object.values(o).filter((v) => v !== undefined).length;

/** minProperties=1 / maxProperties=1, in the API server's words. */
function _exactlyOne(o: object, path: FieldPath): FieldError[] {
  const n = _setCount(o);
  if (n < 1) return [invalid(path, n, `${path.toString()} in body should have at least 1 properties`)];
  if (n > 1) return [invalid(path, n, `${path.toString()} in body should have at most 1 properties`)];
  return [];
}

function _range(v: number, min: number, max: number, path: FieldPath): FieldError[] {
  if (v < min) return [invalid(path, v, `${path.toString()} in body should be greater than or equal to ${min}`)];
  if (v > max) return [invalid(path, v, `${path.toString()} in body should be less than or equal to ${max}`)];
  return [];
}

function _items(list: readonly unknown[] | undefined, min: number, max: number, path: FieldPath): FieldError[] {
  if (list === undefined) return min > 0 ? [required(path)] : [];
  if (list.length < min) return [invalid(path, list.length, `${path.toString()} in body should have at least ${min} items`)];
  if (list.length > max) return [tooMany(path, list.length, max)];
  return [];
}

function _selector(s: LabelSelector | undefined, path: FieldPath, isRequired: boolean): FieldError[] {
  if (s === undefined) return isRequired ? [required(path)] : [];
  return validateLabelSelector(s, path);
}

function _namespacedPod(p: NamespacedPod, path: FieldPath): FieldError[] {
  return [..._selector(p.namespaceSelector, path.child('namespaceSelector'), true), ..._selector(p.podSelector, path.child('podSelector'), true)];
}

export function validateSubject(s: AdminNetworkPolicySubject | undefined, path: FieldPath): FieldError[] {
  if (s === undefined) return [required(path)];
  const errs = _exactlyOne(s, path);
  if (s.namespaces !== undefined) errs.push(..._selector(s.namespaces, path.child('namespaces'), false));
  if (s.pods !== undefined) errs.push(..._namespacedPod(s.pods, path.child('pods')));
  return errs;
}

function _protocol(p: string | undefined, path: FieldPath): FieldError[] {
  if (p === undefined) return [required(path)];
  return (ADMIN_POLICY_PROTOCOLS as readonly string[]).includes(p) ? [] : [notSupported(path, p, ADMIN_POLICY_PROTOCOLS)];
}

function _portValue(v: number | undefined, path: FieldPath): FieldError[] {
  return v === undefined ? [required(path)] : _range(v, 1, 65535, path);
}

export function validateAdminNetworkPolicyPort(p: AdminNetworkPolicyPort, path: FieldPath): FieldError[] {
  const errs = _exactlyOne(p, path);
  if (p.portNumber !== undefined) {
    const pp = path.child('portNumber');
    errs.push(..._protocol(p.portNumber.protocol, pp.child('protocol')), ..._portValue(p.portNumber.port, pp.child('port')));
  }
  if (p.portRange !== undefined) {
    const pp = path.child('portRange');
    // The schema has no start <= end rule (v0.1.5): Calico's conversion rejects such a range,
    // and the rule then fails closed (see convert/admin-network-policy.ts).
    errs.push(
      ..._protocol(p.portRange.protocol, pp.child('protocol')),
      ..._portValue(p.portRange.start, pp.child('start')),
      ..._portValue(p.portRange.end, pp.child('end')),
    );
  }
  return errs;
}

function _ingressPeer(peer: AdminNetworkPolicyIngressPeer, path: FieldPath): FieldError[] {
  const errs = _exactlyOne(peer, path);
  if (peer.namespaces !== undefined) errs.push(..._selector(peer.namespaces, path.child('namespaces'), false));
  if (peer.pods !== undefined) errs.push(..._namespacedPod(peer.pods, path.child('pods')));
  return errs;
}

function _networks(nets: readonly string[], path: FieldPath): FieldError[] {
  const errs = _items(nets, 1, MAX_NETWORKS, path);
  const seen = new Set<string>();
  nets.forEach((n, i) => {
    const p = path.index(i);
    if (seen.has(n)) errs.push(duplicate(p, n));
    seen.add(n);
    if (n.length > MAX_CIDR_LENGTH) errs.push(tooLong(p, n, MAX_CIDR_LENGTH));
    else if (n.includes(':') === n.includes('.')) errs.push(invalid(p, n, CIDR_FAMILY));
    else if (parseCidr(n) === undefined) errs.push(invalid(p, n, 'Invalid CIDR format provided'));
  });
  return errs;
}

function _egressPeer(peer: AdminNetworkPolicyEgressPeer, path: FieldPath): FieldError[] {
  const errs = _exactlyOne(peer, path);
  if (peer.namespaces !== undefined) errs.push(..._selector(peer.namespaces, path.child('namespaces'), false));
  if (peer.pods !== undefined) errs.push(..._namespacedPod(peer.pods, path.child('pods')));
  if (peer.nodes !== undefined) errs.push(..._selector(peer.nodes, path.child('nodes'), false));
  if (peer.networks !== undefined) errs.push(..._networks(peer.networks, path.child('networks')));
  return errs;
}

function _ruleCommon(
  r: AdminNetworkPolicyIngressRule | AdminNetworkPolicyEgressRule,
  actions: readonly string[],
  path: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  if (r.name !== undefined && r.name.length > MAX_RULE_NAME) errs.push(tooLong(path.child('name'), r.name, MAX_RULE_NAME));
  if (r.action === undefined) errs.push(required(path.child('action')));
  else if (!actions.includes(r.action)) errs.push(notSupported(path.child('action'), r.action, actions));
  const pp = path.child('ports');
  if (r.ports !== undefined) {
    errs.push(..._items(r.ports, 0, MAX_PORTS, pp));
    r.ports.forEach((p, i) => errs.push(...validateAdminNetworkPolicyPort(p, pp.index(i))));
  }
  return errs;
}

export function validateIngressRule(r: AdminNetworkPolicyIngressRule, actions: readonly string[], path: FieldPath): FieldError[] {
  const errs = _ruleCommon(r, actions, path);
  const fp = path.child('from');
  errs.push(..._items(r.from, 1, MAX_PEERS, fp));
  (r.from ?? []).forEach((peer, i) => errs.push(..._ingressPeer(peer, fp.index(i))));
  return errs;
}

export function validateEgressRule(r: AdminNetworkPolicyEgressRule, actions: readonly string[], path: FieldPath): FieldError[] {
  const errs = _ruleCommon(r, actions, path);
  const tp = path.child('to');
  errs.push(..._items(r.to, 1, MAX_PEERS, tp));
  (r.to ?? []).forEach((peer, i) => errs.push(..._egressPeer(peer, tp.index(i))));
  const toHostsOrNets = (r.to ?? []).some((p) => p.networks !== undefined || p.nodes !== undefined);
  if (toHostsOrNets && (r.ports ?? []).some((p) => p.namedPort !== undefined)) errs.push(invalid(path, 'object', NAMED_PORT_WITH_NETWORKS));
  return errs;
}

function _rules(
  spec: { ingress?: AdminNetworkPolicyIngressRule[]; egress?: AdminNetworkPolicyEgressRule[] },
  actions: readonly string[],
  path: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  const ip = path.child('ingress');
  const ep = path.child('egress');
  if (spec.ingress !== undefined) errs.push(..._items(spec.ingress, 0, MAX_RULES, ip));
  if (spec.egress !== undefined) errs.push(..._items(spec.egress, 0, MAX_RULES, ep));
  (spec.ingress ?? []).forEach((r, i) => errs.push(...validateIngressRule(r, actions, ip.index(i))));
  (spec.egress ?? []).forEach((r, i) => errs.push(...validateEgressRule(r, actions, ep.index(i))));
  return errs;
}

const CONDITION_STATUS = ['True', 'False', 'Unknown'] as const;

function _status(s: AdminPolicyStatus | undefined, path: FieldPath): FieldError[] {
  if (s === undefined) return [];
  const cp = path.child('conditions');
  if (s.conditions === undefined) return [required(cp)];
  const errs: FieldError[] = [];
  s.conditions.forEach((c, i) => {
    const p = cp.index(i);
    for (const f of ['type', 'status', 'reason', 'message', 'lastTransitionTime'] as const) if (c[f] === undefined) errs.push(required(p.child(f)));
    if (c.status !== undefined && !(CONDITION_STATUS as readonly string[]).includes(c.status))
      errs.push(notSupported(p.child('status'), c.status, CONDITION_STATUS));
  });
  return errs;
}

/** The ANP spec alone (also the `AdminNetworkPolicySpec` fragment). */
export function validateAdminNetworkPolicySpec(spec: AdminNetworkPolicySpec, sp: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (spec.priority === undefined) errs.push(required(sp.child('priority')));
  else errs.push(..._range(spec.priority, 0, MAX_PRIORITY, sp.child('priority')));
  errs.push(...validateSubject(spec.subject, sp.child('subject')), ..._rules(spec, ANP_ACTIONS, sp));
  return errs;
}

/** The BANP spec alone (also the `BaselineAdminNetworkPolicySpec` fragment). */
export function validateBaselineAdminNetworkPolicySpec(spec: BaselineAdminNetworkPolicySpec, sp: FieldPath): FieldError[] {
  return [...validateSubject(spec.subject, sp.child('subject')), ..._rules(spec, BANP_ACTIONS, sp)];
}

export function validateAdminNetworkPolicy(anp: AdminNetworkPolicy, path: FieldPath): FieldError[] {
  const sp = path.child('spec');
  const errs = anp.spec === undefined ? [required(sp)] : validateAdminNetworkPolicySpec(anp.spec, sp);
  errs.push(..._status(anp.status, path.child('status')));
  return errs;
}

export function validateBaselineAdminNetworkPolicy(banp: BaselineAdminNetworkPolicy, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const name = banp.metadata?.name;
  if (name !== undefined && name !== '' && name !== BANP_NAME)
    errs.push(invalid(path.child('metadata').child('name'), name, 'Only one baseline admin network policy with metadata.name="default" can be created in the cluster'));
  const sp = path.child('spec');
  errs.push(...(banp.spec === undefined ? [required(sp)] : validateBaselineAdminNetworkPolicySpec(banp.spec, sp)));
  errs.push(..._status(banp.status, path.child('status')));
  return errs;
}
