/**
 * @module Calico v3 Rule and EntityRule: strict decoders and validators, shared by policies,
 * profiles and anything else that carries rules.
 *
 * Invariants:
 * - Every problem is reported, each with its own field path (never stop at the first).
 * - `validateEntityRule` is the EntityRule struct check; `validateRule` adds the checks that need
 *   the whole rule (protocol vs ports/ICMP/HTTP, IP versions across nets, services).
 * - The policy-only checks (where services may appear, HTTP only on ingress, GNP service
 *   namespaces) run only when `ctx.policy` is given — Calico applies them to policies, not to
 *   profiles.
 *
 * Semantics: libcalico-go validator/v3 at v3.31.7; reason texts are Calico's where it has one.
 */
import type { FieldPath } from '../field/path.js';
import { forbidden, invalid, notSupported, required, tooMany, type FieldError } from '../field/errors.js';
import { arr, int, obj, record, str, type Decoder } from '../decode/decoder.js';
import { validateAnnotations, isDNS1123Subdomain } from '../validate/names.js';
import { parseCidr, parseCidrOrIp, isMasked, type IpFamily } from '../../lib/net.js';
import type { EntityRule, Port, Rule, RuleMetadata, ServiceAccountMatch, ServiceMatch } from './types.js';
import {
  httpMatchDecoder,
  icmpFieldsDecoder,
  isProtocol,
  portDecoder,
  protocolDecoder,
  protocolSupportsPorts,
  validateHTTPMatch,
  validateICMPFields,
  validatePorts,
  validateProtocol,
  validateSelector,
} from './rule-parts.js';

export * from './rule-parts.js';

// ---------------------------------------------------------------------------------------------
// Decoders

export const serviceAccountMatchDecoder: Decoder<ServiceAccountMatch> = obj({ names: arr(str), selector: str });
export const serviceMatchDecoder: Decoder<ServiceMatch> = obj({ name: str, namespace: str });
export const ruleMetadataDecoder: Decoder<RuleMetadata> = obj({ annotations: record(str) });

export const entityRuleDecoder: Decoder<EntityRule> = obj({
  nets: arr(str),
  selector: str,
  namespaceSelector: str,
  ports: arr(portDecoder),
  notNets: arr(str),
  notSelector: str,
  notPorts: arr(portDecoder),
  serviceAccounts: serviceAccountMatchDecoder,
  services: serviceMatchDecoder,
});

export const ruleDecoder: Decoder<Rule> = obj({
  action: str,
  ipVersion: int,
  protocol: protocolDecoder,
  icmp: icmpFieldsDecoder,
  notProtocol: protocolDecoder,
  notICMP: icmpFieldsDecoder,
  source: entityRuleDecoder,
  destination: entityRuleDecoder,
  http: httpMatchDecoder,
  metadata: ruleMetadataDecoder,
});

// ---------------------------------------------------------------------------------------------
// Context

export type RuleDirection = 'ingress' | 'egress';

export interface RuleContext {
  /**
   * Set for rules of a (Staged)(Global)NetworkPolicy. Enables the policy-level checks: services
   * only in ingress `source` / egress `destination`, HTTP only on ingress, and (global) service
   * matches must name a namespace. Leave unset for profiles and bare fragments.
   */
  readonly policy?: { readonly direction: RuleDirection; readonly global: boolean };
}

// ---------------------------------------------------------------------------------------------
// EntityRule

export const ACTIONS = ['Allow', 'Deny', 'Log', 'Pass'] as const;
export const MAX_NETS = 256;

export const PROTOCOL_PORTS_MSG = 'rules that specify ports must set protocol to TCP or UDP or SCTP';
export const PROTOCOL_ICMP_MSG = 'rules that specify ICMP fields must set protocol to ICMP or ICMPv6';
export const PROTOCOL_HTTP_MSG = 'rules that specify HTTP fields must set protocol to TCP or empty';
export const MIXED_FAMILIES_MSG = 'rule contains both IPv4 and IPv6 CIDRs';
export const CATCH_ALL_NEGATION_MSG = 'catch-all CIDR in negation creates logical contradiction (matches no traffic)';

const hasItems = <T>(xs: readonly T[] | undefined): xs is readonly T[] => xs !== undefined && xs.length > 0;

/** The `net` field rule: a CIDR or a bare IP, with no host bits set. */
function validateNets(nets: readonly string[] | undefined, path: FieldPath): FieldError[] {
  if (nets === undefined) return [];
  const errs: FieldError[] = [];
  if (nets.length > MAX_NETS) errs.push(tooMany(path, nets.length, MAX_NETS));
  nets.forEach((n, i) => {
    const c = parseCidrOrIp(n);
    if (c === undefined) errs.push(invalid(path.index(i), n, 'must be a valid IPv4 or IPv6 CIDR'));
    else if (!isMasked(c))
      errs.push(invalid(path.index(i), n, 'network is not strictly masked: host bits must be zero (e.g. 10.0.0.0/24)'));
  });
  return errs;
}

function validateServiceName(v: string | undefined, path: FieldPath): FieldError[] {
  if (v === undefined || v === '') return [];
  return isDNS1123Subdomain(v).map((m) => invalid(path, v, m));
}

/** A service match names a service (and optionally its namespace), both DNS subdomains. */
export function validateServiceMatch(svc: ServiceMatch, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if ((svc.name ?? '') === '') errs.push(required(path.child('name'), 'must specify a service name'));
  errs.push(...validateServiceName(svc.name, path.child('name')));
  errs.push(...validateServiceName(svc.namespace, path.child('namespace')));
  return errs;
}

/** Calico's EntityRule struct check (field formats, global() placement, services consistency). */
export function validateEntityRule(er: EntityRule, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  errs.push(...validateNets(er.nets, path.child('nets')));
  errs.push(...validateNets(er.notNets, path.child('notNets')));
  errs.push(...validateSelector(er.selector, path.child('selector'), 'forbid'));
  errs.push(...validateSelector(er.notSelector, path.child('notSelector'), 'forbid'));
  errs.push(...validateSelector(er.namespaceSelector, path.child('namespaceSelector'), 'whole'));
  errs.push(...validatePorts(er.ports, path.child('ports')));
  errs.push(...validatePorts(er.notPorts, path.child('notPorts')));
  if (er.serviceAccounts !== undefined)
    errs.push(...validateSelector(er.serviceAccounts.selector, path.child('serviceAccounts').child('selector'), 'forbid'));
  const svc = er.services;
  if (svc !== undefined) {
    const sp = path.child('services');
    errs.push(...validateServiceMatch(svc, sp));
    if ((er.namespaceSelector ?? '') !== '')
      errs.push(forbidden(sp, 'cannot specify NamespaceSelector and Services on the same rule'));
    if ((er.selector ?? '') !== '' || (er.notSelector ?? '') !== '')
      errs.push(forbidden(sp, 'cannot specify Selector/NotSelector and Services on the same rule'));
    if (er.serviceAccounts !== undefined)
      errs.push(forbidden(sp, 'cannot specify ServiceAccounts and Services on the same rule'));
    if (hasItems(er.nets) || hasItems(er.notNets))
      errs.push(forbidden(sp, 'cannot specify Nets/NotNets and Services on the same rule'));
  }
  return errs;
}

// ---------------------------------------------------------------------------------------------
// Rule

/**
 * The rule-wide network checks: each entry written as a CIDR (`addr/len`; a bare IP is not
 * accepted here, as Calico's rule check parses with ParseCIDR), one IP family across all four
 * lists, matching `ipVersion`, and no catch-all CIDR in `notNets`.
 */
function validateRuleNets(rule: Rule, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  let seen4 = false;
  let seen6 = false;
  const scan = (nets: readonly string[] | undefined, p: FieldPath, negated: boolean): void => {
    if (nets === undefined) return;
    let v4 = false;
    let v6 = false;
    nets.forEach((n, i) => {
      const c = parseCidr(n);
      if (c === undefined) {
        // Unparseable entries are already reported by the EntityRule check.
        if (parseCidrOrIp(n) !== undefined)
          errs.push(invalid(p.index(i), n, `invalid CIDR: write a prefix length (e.g. "${n}/${n.includes(':') ? 128 : 32}")`));
        return;
      }
      if (c.family === 4) v4 = true;
      else v6 = true;
      if (negated && c.prefix === 0 && isMasked(c)) errs.push(invalid(p.index(i), n, CATCH_ALL_NEGATION_MSG));
    });
    const fam: IpFamily | undefined = rule.ipVersion === 4 || rule.ipVersion === 6 ? rule.ipVersion : undefined;
    if (fam !== undefined && ((v4 && fam !== 4) || (v6 && fam !== 6)))
      errs.push(invalid(p, nets, "rule IP version doesn't match CIDR version"));
    if ((v4 && seen6) || (v6 && seen4) || (v4 && v6)) errs.push(invalid(p, nets, MIXED_FAMILIES_MSG));
    seen4 ||= v4;
    seen6 ||= v6;
  };
  scan(rule.source?.nets, path.child('source').child('nets'), false);
  scan(rule.source?.notNets, path.child('source').child('notNets'), true);
  scan(rule.destination?.nets, path.child('destination').child('nets'), false);
  scan(rule.destination?.notNets, path.child('destination').child('notNets'), true);
  return errs;
}

const PORT_FIELDS = ['ports', 'notPorts'] as const;
const SIDES = ['source', 'destination'] as const;

/** Every check Calico makes on one Rule (plus the policy-level ones when `ctx.policy` is set). */
export function validateRule(rule: Rule, path: FieldPath, ctx: RuleContext = {}): FieldError[] {
  const errs: FieldError[] = [];

  if (rule.action === undefined || rule.action === '') errs.push(required(path.child('action'), 'action must be set'));
  else if (!(ACTIONS as readonly string[]).includes(rule.action)) errs.push(notSupported(path.child('action'), rule.action, ACTIONS));

  if (rule.ipVersion !== undefined && rule.ipVersion !== 4 && rule.ipVersion !== 6)
    errs.push(notSupported(path.child('ipVersion'), rule.ipVersion, ['4', '6']));

  if (rule.protocol !== undefined) errs.push(...validateProtocol(rule.protocol, path.child('protocol')));
  if (rule.notProtocol !== undefined) errs.push(...validateProtocol(rule.notProtocol, path.child('notProtocol')));
  if (rule.icmp !== undefined) errs.push(...validateICMPFields(rule.icmp, path.child('icmp')));
  if (rule.notICMP !== undefined) errs.push(...validateICMPFields(rule.notICMP, path.child('notICMP')));
  if (rule.source !== undefined) errs.push(...validateEntityRule(rule.source, path.child('source')));
  if (rule.destination !== undefined) errs.push(...validateEntityRule(rule.destination, path.child('destination')));
  if (rule.http !== undefined) errs.push(...validateHTTPMatch(rule.http, path.child('http')));
  if (rule.metadata?.annotations !== undefined)
    errs.push(...validateAnnotations(rule.metadata.annotations, path.child('metadata').child('annotations')));

  // Ports need a protocol that has ports (v3.31.7: named ports too).
  if (!protocolSupportsPorts(rule.protocol)) {
    for (const side of SIDES) {
      for (const f of PORT_FIELDS) {
        const ports: readonly Port[] | undefined = rule[side]?.[f];
        if (hasItems(ports)) errs.push(invalid(path.child(side).child(f), ports, PROTOCOL_PORTS_MSG));
      }
    }
  }

  // ICMP fields need protocol ICMP or ICMPv6, and those protocols pin the IP version.
  const icmp4 = isProtocol(rule.protocol, 1) || isProtocol(rule.notProtocol, 1);
  const icmp6 = isProtocol(rule.protocol, 58) || isProtocol(rule.notProtocol, 58);
  if (rule.icmp !== undefined && !isProtocol(rule.protocol, 1) && !isProtocol(rule.protocol, 58))
    errs.push(invalid(path.child('icmp'), rule.icmp, PROTOCOL_ICMP_MSG));
  if (icmp4 && rule.ipVersion !== undefined && rule.ipVersion !== 4)
    errs.push(invalid(path.child('ipVersion'), rule.ipVersion, "must set ipversion to '4' with protocol icmp"));
  if (icmp6 && rule.ipVersion !== undefined && rule.ipVersion !== 6)
    errs.push(invalid(path.child('ipVersion'), rule.ipVersion, "must set ipversion to '6' with protocol icmpv6"));

  errs.push(...validateRuleNets(rule, path));

  // HTTP matches: Allow rules over TCP only.
  if (rule.http !== undefined) {
    if (rule.action !== undefined && rule.action !== 'Allow' && rule.action !== '')
      errs.push(forbidden(path.child('http'), 'only valid for Allow rules'));
    if (rule.protocol !== undefined && !isProtocol(rule.protocol, 6))
      errs.push(invalid(path.child('protocol'), rule.protocol, PROTOCOL_HTTP_MSG));
  }

  // Destination services take their ports from the service's endpoints.
  const dst = rule.destination;
  if (dst?.services !== undefined) {
    if (hasItems(dst.ports))
      errs.push(forbidden(path.child('destination').child('ports'), 'cannot specify ports with a service selector'));
    if (hasItems(dst.notPorts))
      errs.push(forbidden(path.child('destination').child('notPorts'), 'cannot specify notports with a service selector'));
  }

  if (ctx.policy !== undefined) errs.push(...policyRuleChecks(rule, path, ctx.policy.direction, ctx.policy.global));
  return errs;
}

function policyRuleChecks(rule: Rule, path: FieldPath, direction: RuleDirection, global: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (direction === 'egress') {
    if (rule.source?.services !== undefined)
      errs.push(forbidden(path.child('source').child('services'), 'not allowed in egress rule source'));
    if (rule.http !== undefined) errs.push(forbidden(path.child('http'), 'not allowed in egress rules'));
  } else if (rule.destination?.services !== undefined) {
    errs.push(forbidden(path.child('destination').child('services'), 'not allowed in ingress rule destination'));
  }
  if (global) {
    // At global scope a service name is not qualified by the policy's namespace.
    const side = direction === 'egress' ? 'destination' : 'source';
    const svc = rule[side]?.services;
    if (svc !== undefined && (svc.namespace ?? '') === '')
      errs.push(required(path.child(side).child('services').child('namespace'), 'must specify a namespace'));
  }
  return errs;
}
