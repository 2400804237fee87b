/**
 * @module Kubernetes NetworkPolicy → Calico NetworkPolicy, as Calico v3.31.7's
 * K8sNetworkPolicyToCalico does it (libcalico-go/lib/backend/k8s/conversion). Pure.
 *
 * Invariants (calico-semantics §c, checked against conversion.go and conversion_test.go):
 * - name `knp.default.<name>`, namespace / resourceVersion / creationTimestamp copied, uid
 *   transformed by `convertUID`; `order: 1000`; every rule `action: Allow`.
 * - one Calico rule per (protocol, peer), protocols in byte order, peers in the given order;
 *   a port without protocol is TCP; numeric ports of one protocol merged into minimal ranges.
 * - a k8s rule whose ports cannot be parsed is dropped, with one error naming it; the rest of the
 *   policy is still converted.
 * - `types` comes from policyTypes only ([Ingress] when empty, even with egress rules).
 * The input is decoded strictly but not validated: invalid-but-decodable policies convert the
 * way Calico would convert them.
 */
import { FieldPath } from '../field/path.js';
import { invalid, notSupported, type FieldError } from '../field/errors.js';
import { runDecoder } from '../decode/index.js';
import type { ObjectMeta } from '../meta.js';
import type { EntityRule, NetworkPolicy, NetworkPolicySpec, Rule, StagedNetworkPolicy } from '../calico/types.js';
import { k8sNetworkPolicyDecoder, stagedKubernetesNetworkPolicyDecoder } from '../k8s/decode.js';
import type { K8sNetworkPolicySpec, NetworkPolicyPeer, NetworkPolicyPort } from '../k8s/types.js';
import { formatCidr, networkOf, parseCidr } from '../../lib/net.js';
import type { Result } from '../../lib/result.js';
import { k8sSelectorToCalico } from './selector.js';
import { portFromString, portToJSON, simplifyPorts, type CalicoPort } from './ports.js';
import { convertUID } from './uid.js';

export const K8S_NETWORK_POLICY_NAME_PREFIX = 'knp.default.';
export const K8S_POLICY_ORDER = 1000;
const CALICO_API_VERSION = 'projectcalico.org/v3';

export interface ConversionResult {
  /** The Calico policy (`knp.default.<name>`), or undefined when the input is not a decodable k8s NetworkPolicy. */
  readonly policy: NetworkPolicy | undefined;
  /** Decode errors, or one error per k8s rule that had to be dropped. */
  readonly errors: FieldError[];
}

export interface StagedConversionResult {
  /** The Calico staged policy (`knp.default.<name>`), or undefined when the input could not be decoded. */
  readonly policy: StagedNetworkPolicy | undefined;
  readonly errors: FieldError[];
}

/** numorstring.ProtocolFromString: known names in canonical case, anything else unchanged. */
const PROTOCOL_NAMES = ['UDP', 'TCP', 'ICMP', 'ICMPv6', 'SCTP', 'UDPLite'];
function _canonicalProtocol(p: string): string {
  return PROTOCOL_NAMES.find((n) => n.toLowerCase() === p.toLowerCase()) ?? p;
}

const _byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

interface PeerFields {
  readonly nets?: string[];
  readonly selector?: string;
  readonly namespaceSelector?: string;
  readonly notNets?: string[];
}

/**
 * k8sPeerToCalicoFields. An ipBlock wins over selectors. A CIDR that fails to parse stops the
 * peer where it is: a bad `cidr` leaves an empty peer (matches everything); a bad `except`
 * entry keeps what was parsed before it.
 */
function _peerFields(peer: NetworkPolicyPeer | undefined): PeerFields {
  if (peer === undefined) return {};
  if (peer.ipBlock !== undefined) {
    const c = parseCidr(peer.ipBlock.cidr ?? '');
    if (!c) return {};
    const nets = [formatCidr(networkOf(c))];
    const notNets: string[] = [];
    for (const e of peer.ipBlock.except ?? []) {
      const x = parseCidr(e);
      if (!x) break;
      notNets.push(formatCidr(networkOf(x)));
    }
    return notNets.length > 0 ? { nets, notNets } : { nets };
  }
  return {
    selector: k8sSelectorToCalico(peer.podSelector, 'pod'),
    namespaceSelector: k8sSelectorToCalico(peer.namespaceSelector, 'namespace'),
  };
}

/** An EntityRule with Go's omitempty applied, fields in Calico's struct order. */
function _entity(f: PeerFields, ports: readonly CalicoPort[] | undefined): EntityRule {
  const e: EntityRule = {};
  if (f.nets && f.nets.length > 0) e.nets = f.nets;
  if (f.selector) e.selector = f.selector;
  if (f.namespaceSelector) e.namespaceSelector = f.namespaceSelector;
  if (ports && ports.length > 0) e.ports = ports.map(portToJSON);
  if (f.notNets && f.notNets.length > 0) e.notNets = f.notNets;
  return e;
}

/** k8sRuleToCalico: one k8s rule → Calico rules, or the error that drops the whole rule. */
function _convertRule(
  peers: readonly NetworkPolicyPeer[] | undefined,
  ports: readonly NetworkPolicyPort[] | undefined,
  ingress: boolean,
  rulePath: FieldPath,
): Result<Rule[], FieldError> {
  // protocol → ports; null means "all ports". The key '' (no protocol) only arises when the rule
  // lists no ports at all.
  const byProtocol = new Map<string, CalicoPort[] | null>();
  if (ports === undefined || ports.length === 0) byProtocol.set('', null);
  for (const [j, p] of (ports ?? []).entries()) {
    const protocol = _canonicalProtocol(p.protocol ?? 'TCP');
    let calicoPorts: CalicoPort[] | null = null;
    if (p.port !== undefined) {
      const text = p.endPort !== undefined ? `${p.port}:${p.endPort}` : String(p.port);
      const parsed = portFromString(text);
      if (!parsed.ok)
        return {
          ok: false,
          error: invalid(
            rulePath.child('ports').index(j),
            text,
            `k8s rule couldn't be converted: failed to parse k8s port: invalid port ${text}: ${parsed.error}`,
          ),
        };
      calicoPorts = [parsed.value];
    }
    const existing = byProtocol.get(protocol);
    if (calicoPorts === null) byProtocol.set(protocol, null);
    else if (existing === undefined) byProtocol.set(protocol, calicoPorts);
    else if (existing !== null) existing.push(...calicoPorts);
  }

  const peerList: readonly (NetworkPolicyPeer | undefined)[] = peers && peers.length > 0 ? peers : [undefined];
  const rules: Rule[] = [];
  for (const protocol of [...byProtocol.keys()].sort(_byteOrder)) {
    const portList = byProtocol.get(protocol);
    const simplified = portList ? simplifyPorts(portList) : undefined;
    for (const peer of peerList) {
      const f = _peerFields(peer);
      const rule: Rule = { action: 'Allow' };
      if (protocol !== '') rule.protocol = protocol;
      if (ingress) {
        rule.source = _entity(f, undefined);
        rule.destination = _entity({}, simplified);
      } else {
        rule.source = {};
        rule.destination = _entity(f, simplified);
      }
      rules.push(rule);
    }
  }
  return { ok: true, value: rules };
}

interface Converted {
  readonly metadata: ObjectMeta;
  readonly spec: NetworkPolicySpec;
  readonly errors: FieldError[];
}

function _convert(meta: ObjectMeta | undefined, spec: K8sNetworkPolicySpec, path: FieldPath): Result<Converted, FieldError[]> {
  const errors: FieldError[] = [];
  const sp = path.child('spec');
  const ingress: Rule[] = [];
  (spec.ingress ?? []).forEach((r, i) => {
    const res = _convertRule(r.from, r.ports, true, sp.child('ingress').index(i));
    if (res.ok) ingress.push(...res.value);
    else errors.push(res.error);
  });
  const egress: Rule[] = [];
  (spec.egress ?? []).forEach((r, i) => {
    const res = _convertRule(r.to, r.ports, false, sp.child('egress').index(i));
    if (res.ok) egress.push(...res.value);
    else errors.push(res.error);
  });

  const declared = spec.policyTypes ?? [];
  const types: string[] = [];
  if (declared.includes('Ingress')) types.push('Ingress');
  if (declared.includes('Egress')) types.push('Egress');
  if (types.length === 0) types.push('Ingress');

  const metadata: ObjectMeta = { name: `${K8S_NETWORK_POLICY_NAME_PREFIX}${meta?.name ?? ''}` };
  if (meta?.namespace) metadata.namespace = meta.namespace;
  if (meta?.uid) {
    const uid = convertUID(meta.uid);
    if (!uid.ok) return { ok: false, error: [invalid(path.child('metadata').child('uid'), meta.uid, uid.error)] };
    metadata.uid = uid.value;
  }
  if (meta?.resourceVersion) metadata.resourceVersion = meta.resourceVersion;
  if (meta?.creationTimestamp) metadata.creationTimestamp = meta.creationTimestamp;

  const out: NetworkPolicySpec = { order: K8S_POLICY_ORDER };
  if (ingress.length > 0) out.ingress = ingress;
  if (egress.length > 0) out.egress = egress;
  out.selector = k8sSelectorToCalico(spec.podSelector ?? {}, 'pod');
  out.types = types;
  return { ok: true, value: { metadata, spec: out, errors } };
}

function _checkApiVersion(apiVersion: string, want: string, path: FieldPath): FieldError[] {
  return apiVersion === want ? [] : [notSupported(path.child('apiVersion'), apiVersion, [want])];
}

/** Converts a networking.k8s.io/v1 NetworkPolicy (any JSON/YAML value) into a Calico NetworkPolicy. */
export function convertKubernetesNetworkPolicy(obj: unknown): ConversionResult {
  const root = FieldPath.root();
  const d = runDecoder(k8sNetworkPolicyDecoder, obj, root);
  if (d.value === undefined) return { policy: undefined, errors: d.errors };
  const bad = _checkApiVersion(d.value.apiVersion, 'networking.k8s.io/v1', root);
  if (bad.length > 0) return { policy: undefined, errors: bad };
  const c = _convert(d.value.metadata, d.value.spec ?? {}, root);
  if (!c.ok) return { policy: undefined, errors: c.error };
  return {
    policy: { apiVersion: CALICO_API_VERSION, kind: 'NetworkPolicy', metadata: c.value.metadata, spec: c.value.spec },
    errors: c.value.errors,
  };
}

/**
 * Converts a projectcalico.org/v3 StagedKubernetesNetworkPolicy into the StagedNetworkPolicy
 * Calico evaluates for it: the same conversion, same `knp.default.` name
 * (StagedKubernetesNetworkPolicyToStagedName), plus `stagedAction` when set. Calico's syncer
 * does not send `stagedAction: Delete` policies to Felix at all; that is left to the caller.
 */
export function convertStagedKubernetesNetworkPolicy(obj: unknown): StagedConversionResult {
  const root = FieldPath.root();
  const d = runDecoder(stagedKubernetesNetworkPolicyDecoder, obj, root);
  if (d.value === undefined) return { policy: undefined, errors: d.errors };
  const bad = _checkApiVersion(d.value.apiVersion, CALICO_API_VERSION, root);
  if (bad.length > 0) return { policy: undefined, errors: bad };
  const { stagedAction, ...spec } = d.value.spec ?? {};
  const c = _convert(d.value.metadata, spec, root);
  if (!c.ok) return { policy: undefined, errors: c.error };
  const stagedSpec: NetworkPolicySpec & { stagedAction?: string } =
    stagedAction !== undefined && stagedAction !== '' ? { stagedAction, ...c.value.spec } : c.value.spec;
  return {
    policy: { apiVersion: CALICO_API_VERSION, kind: 'StagedNetworkPolicy', metadata: c.value.metadata, spec: stagedSpec },
    errors: c.value.errors,
  };
}
