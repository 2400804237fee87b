/**
 * @module Kubernetes validation for networking.k8s.io/v1 NetworkPolicy (pkg/apis/networking/
 * validation) and meta/v1 LabelSelector (apimachinery meta/v1/validation), with Kubernetes field
 * paths and wording. Collects every error; never stops at the first.
 *
 * Behaviour follows a create (not an update): label values in selectors must be valid, and
 * ipBlock CIDRs are checked the legacy way (host bits allowed, e.g. `10.0.0.1/24`).
 */
import type { FieldPath } from '../field/path.js';
import { forbidden, invalid, notSupported, required, type FieldError } from '../field/errors.js';
import { isQualifiedName, isValidLabelValue, validateLabels } from '../validate/names.js';
import { cidrContains, networkOf, parseCidr } from '../../lib/net.js';
import type {
  IPBlock,
  K8sNetworkPolicySpec,
  LabelSelector,
  LabelSelectorRequirement,
  NetworkPolicyPeer,
  NetworkPolicyPort,
} from './types.js';

export const SUPPORTED_PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;
export const POLICY_TYPES = ['Ingress', 'Egress'] as const;

/** IsValidPortNum: `must be between 1 and 65535, inclusive`. */
export function isValidPortNum(port: number): string[] {
  return port >= 1 && port <= 65535 ? [] : ['must be between 1 and 65535, inclusive'];
}

/** IsValidPortName: an IANA_SVC_NAME (≤ 15 chars, [-a-z0-9], a letter, no `--`, no edge `-`). */
export function isValidPortName(port: string): string[] {
  const errs: string[] = [];
  if (port.length > 15) errs.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(port)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(port)) errs.push('must contain at least one letter (a-z)');
  if (port.includes('--')) errs.push('must not contain consecutive hyphens');
  if (port.length > 0 && (port.startsWith('-') || port.endsWith('-'))) errs.push('must not begin or end with a hyphen');
  return errs;
}

export function validateLabelSelectorRequirement(r: LabelSelectorRequirement, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) errs.push(required(path.child('values'), "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0)
        errs.push(forbidden(path.child('values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    case undefined:
    default:
      errs.push(invalid(path.child('operator'), r.operator ?? '', 'not a valid selector operator'));
  }
  for (const m of isQualifiedName(r.key ?? '')) errs.push(invalid(path.child('key'), r.key ?? '', m));
  values.forEach((v, i) => {
    for (const m of isValidLabelValue(v)) errs.push(invalid(path.child('values').index(i), v, m));
  });
  return errs;
}

export function validateLabelSelector(s: LabelSelector | undefined, path: FieldPath): FieldError[] {
  if (s === undefined) return [];
  const errs = validateLabels(s.matchLabels, path.child('matchLabels'));
  (s.matchExpressions ?? []).forEach((r, i) => errs.push(...validateLabelSelectorRequirement(r, path.child('matchExpressions').index(i))));
  return errs;
}

export function validateNetworkPolicyPort(p: NetworkPolicyPort, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (p.protocol !== undefined && !(SUPPORTED_PROTOCOLS as readonly string[]).includes(p.protocol))
    errs.push(notSupported(path.child('protocol'), p.protocol, SUPPORTED_PROTOCOLS));
  if (p.port !== undefined) {
    if (typeof p.port === 'number') {
      for (const m of isValidPortNum(p.port)) errs.push(invalid(path.child('port'), p.port, m));
      if (p.endPort !== undefined) {
        if (p.endPort < p.port) errs.push(invalid(path.child('endPort'), p.endPort, 'must be greater than or equal to `port`'));
        for (const m of isValidPortNum(p.endPort)) errs.push(invalid(path.child('endPort'), p.endPort, m));
      }
    } else {
      if (p.endPort !== undefined)
        errs.push(invalid(path.child('endPort'), p.endPort, 'may not be specified when `port` is non-numeric'));
      for (const m of isValidPortName(p.port)) errs.push(invalid(path.child('port'), p.port, m));
    }
  } else if (p.endPort !== undefined) {
    errs.push(invalid(path.child('endPort'), p.endPort, 'may not be specified when `port` is not specified'));
  }
  return errs;
}

const CIDR_HINT = 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)';

export function validateIPBlock(b: IPBlock, path: FieldPath): FieldError[] {
  const cidrText = b.cidr ?? '';
  if (cidrText === '') return [required(path.child('cidr'))];
  const errs: FieldError[] = [];
  const cidr = parseCidr(cidrText);
  if (!cidr) return [invalid(path.child('cidr'), cidrText, CIDR_HINT)];
  const net = networkOf(cidr);
  (b.except ?? []).forEach((e, i) => {
    const p = path.child('except').index(i);
    const ex = parseCidr(e);
    if (!ex) {
      errs.push(invalid(p, e, CIDR_HINT));
      return;
    }
    const exNet = networkOf(ex);
    const inside = cidrContains(net, { family: exNet.family, value: exNet.addr });
    if (!inside || net.prefix >= exNet.prefix) errs.push(invalid(p, e, 'must be a strict subset of `cidr`'));
  });
  return errs;
}

export function validateNetworkPolicyPeer(peer: NetworkPolicyPeer, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  if (peer.podSelector !== undefined) {
    n++;
    errs.push(...validateLabelSelector(peer.podSelector, path.child('podSelector')));
  }
  if (peer.namespaceSelector !== undefined) {
    n++;
    errs.push(...validateLabelSelector(peer.namespaceSelector, path.child('namespaceSelector')));
  }
  if (peer.ipBlock !== undefined) {
    n++;
    errs.push(...validateIPBlock(peer.ipBlock, path.child('ipBlock')));
  }
  if (n === 0) errs.push(required(path, 'must specify a peer'));
  else if (n > 1 && peer.ipBlock !== undefined) errs.push(forbidden(path, 'may not specify both ipBlock and another peer'));
  return errs;
}

export function validateK8sNetworkPolicySpec(spec: K8sNetworkPolicySpec, path: FieldPath): FieldError[] {
  const errs = validateLabelSelector(spec.podSelector ?? {}, path.child('podSelector'));
  (spec.ingress ?? []).forEach((rule, i) => {
    const rp = path.child('ingress').index(i);
    (rule.ports ?? []).forEach((p, j) => errs.push(...validateNetworkPolicyPort(p, rp.child('ports').index(j))));
    (rule.from ?? []).forEach((peer, j) => errs.push(...validateNetworkPolicyPeer(peer, rp.child('from').index(j))));
  });
  (spec.egress ?? []).forEach((rule, i) => {
    const rp = path.child('egress').index(i);
    (rule.ports ?? []).forEach((p, j) => errs.push(...validateNetworkPolicyPort(p, rp.child('ports').index(j))));
    (rule.to ?? []).forEach((peer, j) => errs.push(...validateNetworkPolicyPeer(peer, rp.child('to').index(j))));
  });
  const types = spec.policyTypes ?? [];
  if (types.length > POLICY_TYPES.length) {
    errs.push(invalid(path.child('policyTypes'), types, 'may not specify more than two policyTypes'));
    return errs;
  }
  types.forEach((t, i) => {
    if (!(POLICY_TYPES as readonly string[]).includes(t)) errs.push(notSupported(path.child('policyTypes').index(i), t, POLICY_TYPES));
  });
  return errs;
}
