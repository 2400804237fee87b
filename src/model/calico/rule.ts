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
import { parseCidr, parseCidrOrIp, isMasked, type Cidr, type IpFamily } from '../../lib/net.js';
import type { EntityRule, Port, Rule, RuleMetadata, ServiceAccountMatch, ServiceMatch } from './types.js';
import {
  httpMatchDecoder,
  icmpFieldsDecoder,
  portDecoder,
  protocolDecoder,
  protocolNumber,
  validateHTTPMatch,
  validateICMPFields,
  validatePortsInto,
  validateProtocolInto,
  validateSelectorInto,
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

// parseCidr returns shared (cached, immutable) Cidr objects, so memoising isMasked per object
// saves the BigInt mask arithmetic for CIDRs that recur across rules and policies.
const _maskedMemo = new WeakMap<Cidr, boolean>();

/** isMasked, memoised per Cidr object. */
function _isMasked(c: Cidr): boolean {
  let r = _maskedMemo.get(c);
  if (r === undefined) {
    r = isMasked(c);
    _maskedMemo.set(c, r);
  }
  return r;
}

/** The `net` field rule: a CIDR or a bare IP, with no host bits set (at `parent.child(key)`, built only on error). */
function validateNetsInto(errs: FieldError[], nets: readonly string[] | undefined, parent: FieldPath, key: string): void {
  if (nets === undefined) return;
  let path: FieldPath | undefined;
  if (nets.length > MAX_NETS) errs.push(tooMany((path ??= parent.child(key)), nets.length, MAX_NETS));
  for (let i = 0; i < nets.length; i++) {
    const n = nets[i]!;
    const c = parseCidrOrIp(n);
    if (c === undefined) errs.push(invalid((path ??= parent.child(key)).index(i), n, 'must be a valid IPv4 or IPv6 CIDR'));
    else if (!_isMasked(c))
      errs.push(
        invalid((path ??= parent.child(key)).index(i), n, 'network is not strictly masked: host bits must be zero (e.g. 10.0.0.0/24)'),
      );
  }
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
  validateEntityRuleInto(errs, er, path);
  return errs;
}

/** validateEntityRule pushing onto `errs`; child paths are built only for fields with errors. */
function validateEntityRuleInto(errs: FieldError[], er: EntityRule, path: FieldPath): void {
  validateNetsInto(errs, er.nets, path, 'nets');
  validateNetsInto(errs, er.notNets, path, 'notNets');
  validateSelectorInto(errs, er.selector, path, 'selector', 'forbid');
  validateSelectorInto(errs, er.notSelector, path, 'notSelector', 'forbid');
  validateSelectorInto(errs, er.namespaceSelector, path, 'namespaceSelector', 'whole');
  validatePortsInto(errs, er.ports, path, 'ports');
  validatePortsInto(errs, er.notPorts, path, 'notPorts');
  if (er.serviceAccounts !== undefined)
    validateSelectorInto(errs, er.serviceAccounts.selector, path.child('serviceAccounts'), 'selector', 'forbid');
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
}

// ---------------------------------------------------------------------------------------------
// Rule

/**
 * The rule-wide network checks: each entry written as a CIDR (`addr/len`; a bare IP is not
 * accepted here, as Calico's rule check parses with ParseCIDR), one IP family across all four
 * lists, matching `ipVersion`, and no catch-all CIDR in `notNets`.
 */
function validateRuleNetsInto(errs: FieldError[], rule: Rule, path: FieldPath): void {
  const st: NetScanState = { seen4: false, seen6: false };
  const fam: IpFamily | undefined = rule.ipVersion === 4 || rule.ipVersion === 6 ? rule.ipVersion : undefined;
  const src = rule.source;
  const dst = rule.destination;
  if (src !== undefined) {
    _scanNets(errs, st, fam, src.nets, path, 'source', 'nets', false);
    _scanNets(errs, st, fam, src.notNets, path, 'source', 'notNets', true);
  }
  if (dst !== undefined) {
    _scanNets(errs, st, fam, dst.nets, path, 'destination', 'nets', false);
    _scanNets(errs, st, fam, dst.notNets, path, 'destination', 'notNets', true);
  }
}

interface NetScanState {
  seen4: boolean;
  seen6: boolean;
}

/** One list of validateRuleNets, at `path.child(side).child(field)` (built only on error). */
function _scanNets(
  errs: FieldError[],
  st: NetScanState,
  fam: IpFamily | undefined,
  nets: readonly string[] | undefined,
  path: FieldPath,
  side: string,
  field: string,
  negated: boolean,
): void {
  if (nets === undefined) return;
  let p: FieldPath | undefined;
  let v4 = false;
  let v6 = false;
  for (let i = 0; i < nets.length; i++) {
    const n = nets[i]!;
    const c = parseCidr(n);
    if (c === undefined) {
      // Unparseable entries are already reported by the EntityRule check.
      if (parseCidrOrIp(n) !== undefined)
        errs.push(
          invalid((p ??= path.child(side).child(field)).index(i), n, `invalid CIDR: write a prefix length (e.g. "${n}/${n.includes(':') ? 128 : 32}")`),
        );
      continue;
    }
    if (c.family === 4) v4 = true;
    else v6 = true;
    if (negated && c.prefix === 0 && _isMasked(c)) errs.push(invalid((p ??= path.child(side).child(field)).index(i), n, CATCH_ALL_NEGATION_MSG));
  }
  if (fam !== undefined && ((v4 && fam !== 4) || (v6 && fam !== 6)))
    errs.push(invalid((p ??= path.child(side).child(field)), nets, "rule IP version doesn't match CIDR version"));
  if ((v4 && st.seen6) || (v6 && st.seen4) || (v4 && v6)) errs.push(invalid((p ?? path.child(side).child(field)), nets, MIXED_FAMILIES_MSG));
  st.seen4 ||= v4;
  st.seen6 ||= v6;
}

const PORT_FIELDS = ['ports', 'notPorts'] as const;
const SIDES = ['source', 'destination'] as const;

/** Every check Calico makes on one Rule (plus the policy-level ones when `ctx.policy` is set). */
export function validateRule(rule: Rule, path: FieldPath, ctx: RuleContext = {}): FieldError[] {
  const errs: FieldError[] = [];
  validateRuleInto(errs, rule, path, ctx);
  return errs;
}

/** validateRule pushing onto `errs`; child paths are built only for fields with errors. */
export function validateRuleInto(errs: FieldError[], rule: Rule, path: FieldPath, ctx: RuleContext): void {
  if (rule.action === undefined || rule.action === '') errs.push(required(path.child('action'), 'action must be set'));
  else if (!(ACTIONS as readonly string[]).includes(rule.action)) errs.push(notSupported(path.child('action'), rule.action, ACTIONS));

  if (rule.ipVersion !== undefined && rule.ipVersion !== 4 && rule.ipVersion !== 6)
    errs.push(notSupported(path.child('ipVersion'), rule.ipVersion, ['4', '6']));

  if (rule.protocol !== undefined) validateProtocolInto(errs, rule.protocol, path, 'protocol');
  if (rule.notProtocol !== undefined) validateProtocolInto(errs, rule.notProtocol, path, 'notProtocol');
  if (rule.icmp !== undefined) _pushAll(errs, validateICMPFields(rule.icmp, path.child('icmp')));
  if (rule.notICMP !== undefined) _pushAll(errs, validateICMPFields(rule.notICMP, path.child('notICMP')));
  if (rule.source !== undefined) validateEntityRuleInto(errs, rule.source, path.child('source'));
  if (rule.destination !== undefined) validateEntityRuleInto(errs, rule.destination, path.child('destination'));
  if (rule.http !== undefined) _pushAll(errs, validateHTTPMatch(rule.http, path.child('http')));
  if (rule.metadata?.annotations !== undefined)
    _pushAll(errs, validateAnnotations(rule.metadata.annotations, path.child('metadata').child('annotations')));

  // The protocol numbers, read once (undefined when unset or an unknown name).
  const proto = rule.protocol === undefined ? undefined : protocolNumber(rule.protocol);
  const notProto = rule.notProtocol === undefined ? undefined : protocolNumber(rule.notProtocol);

  // Ports need a protocol that has ports (v3.31.7: named ports too).
  if (!(proto === 6 || proto === 17 || proto === 132)) {
    for (const side of SIDES) {
      for (const f of PORT_FIELDS) {
        const ports: readonly Port[] | undefined = rule[side]?.[f];
        if (hasItems(ports)) errs.push(invalid(path.child(side).child(f), ports, PROTOCOL_PORTS_MSG));
      }
    }
  }

  // ICMP fields need protocol ICMP or ICMPv6, and those protocols pin the IP version.
  const icmp4 = proto === 1 || notProto === 1;
  const icmp6 = proto === 58 || notProto === 58;
  if (rule.icmp !== undefined && proto !== 1 && proto !== 58)
    errs.push(invalid(path.child('icmp'), rule.icmp, PROTOCOL_ICMP_MSG));
  if (icmp4 && rule.ipVersion !== undefined && rule.ipVersion !== 4)
    errs.push(invalid(path.child('ipVersion'), rule.ipVersion, "must set ipversion to '4' with protocol icmp"));
  if (icmp6 && rule.ipVersion !== undefined && rule.ipVersion !== 6)
    errs.push(invalid(path.child('ipVersion'), rule.ipVersion, "must set ipversion to '6' with protocol icmpv6"));

  validateRuleNetsInto(errs, rule, path);

  // HTTP matches: Allow rules over TCP only.
  if (rule.http !== undefined) {
    if (rule.action !== undefined && rule.action !== 'Allow' && rule.action !== '')
      errs.push(forbidden(path.child('http'), 'only valid for Allow rules'));
    if (rule.protocol !== undefined && proto !== 6)
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

  if (ctx.policy !== undefined) policyRuleChecks(errs, rule, path, ctx.policy.direction, ctx.policy.global);
}

function _pushAll(errs: FieldError[], more: readonly FieldError[]): void {
  for (let i = 0; i < more.length; i++) errs.push(more[i]!);
}

function policyRuleChecks(errs: FieldError[], rule: Rule, path: FieldPath, direction: RuleDirection, global: boolean): void {
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
}
