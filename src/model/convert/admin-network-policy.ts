/**
 * @module AdminNetworkPolicy / BaselineAdminNetworkPolicy → Calico GlobalNetworkPolicy, as Calico
 * v3.31.7 converts them (libcalico-go/lib/backend/k8s/conversion: K8sAdminNetworkPolicyToCalico,
 * K8sBaselineAdminNetworkPolicyToCalico). Pure.
 *
 * Invariants (checked against conversion.go and adminnetworkpolicy_test.go at v3.31.7):
 * - ANP `<name>` → GNP `kanp.adminnetworkpolicy.<name>`, tier `adminnetworkpolicy`, order =
 *   `spec.priority`; BANP → `kbanp.baselineadminnetworkpolicy.<name>`, tier
 *   `baselineadminnetworkpolicy`, order 1000. uid transformed (convertUID), resourceVersion and
 *   creationTimestamp copied.
 * - subject `namespaces` → namespaceSelector + selector `projectcalico.org/orchestrator == 'k8s'`
 *   (so host endpoints are never subjects); subject `pods` → both selectors.
 * - one Calico rule per (protocol, peer); protocols in byte order; a port without protocol is TCP;
 *   numeric ports of one protocol merged (SimplifyPorts); a rule without ports matches all.
 *   Actions keep their names (Allow, Deny, Pass); a rule's `name` becomes the rule annotation
 *   `name` (so traces can show it).
 * - `types`: Ingress if there are ingress rules, Egress if there are egress rules (the tiers
 *   pass by default, so a direction without rules must not apply).
 * - a rule that cannot be converted (a port range with start > end) is reported and fails
 *   closed: a Deny or Pass rule becomes a bare `Deny` rule, an Allow rule is dropped.
 *
 * Two places where v3.31.7 has no conversion and Tabby follows the API instead: `namedPort` (Calico 3.31 leaves a TODO and turns it into "all ports"; Tabby
 * emits a Calico named port with no protocol, exactly as Calico 3.32 converts
 * ClusterNetworkPolicy named ports), and egress `nodes` peers (Calico 3.31 rejects the rule;
 * Tabby matches the addresses of the selected Nodes — InternalIP and ExternalIP — as `nets`,
 * and a peer that selects no node address matches nothing).
 */
import { FieldPath } from '../field/path.js';
import { invalid, notSupported, type FieldError } from '../field/errors.js';
import { runDecoder } from '../decode/index.js';
import type { ObjectMeta } from '../meta.js';
import type { EntityRule, GlobalNetworkPolicy, GlobalNetworkPolicySpec, Rule } from '../calico/types.js';
import type { LabelSelector } from '../k8s/types.js';
import { selectorMatches } from '../k8s/apps.js';
import { adminNetworkPolicyDecoder, baselineAdminNetworkPolicyDecoder } from '../policy-api/decode.js';
import type {
  AdminNetworkPolicyEgressPeer,
  AdminNetworkPolicyEgressRule,
  AdminNetworkPolicyIngressPeer,
  AdminNetworkPolicyIngressRule,
  AdminNetworkPolicyPort,
  AdminNetworkPolicySubject,
} from '../policy-api/types.js';
import { POLICY_API_GROUP_VERSION } from '../policy-api/types.js';
import { formatCidr, networkOf, parseCidr, parseIp } from '../../lib/net.js';
import type { Result } from '../../lib/result.js';
import { k8sSelectorToCalico } from './selector.js';
import { portToJSON, simplifyPorts, type CalicoPort } from './ports.js';
import { convertUID } from './uid.js';

export const ADMIN_NETWORK_POLICY_TIER = 'adminnetworkpolicy';
export const BASELINE_ADMIN_NETWORK_POLICY_TIER = 'baselineadminnetworkpolicy';
export const ADMIN_NETWORK_POLICY_NAME_PREFIX = 'kanp.adminnetworkpolicy.';
export const BASELINE_ADMIN_NETWORK_POLICY_NAME_PREFIX = 'kbanp.baselineadminnetworkpolicy.';
export const BASELINE_ADMIN_POLICY_ORDER = 1000;
/** Rule annotation holding the ANP/BANP rule's name (Calico's AdminPolicyRuleNameLabel). */
export const ADMIN_POLICY_RULE_NAME_ANNOTATION = 'name';
const CALICO_API_VERSION = 'projectcalico.org/v3';

/** What a `nodes` peer can select: a Node's labels and addresses. */
export interface AdminPolicyNode {
  readonly labels: Readonly<Record<string, string>>;
  /** Addresses as written (InternalIP, ExternalIP). */
  readonly addresses: readonly string[];
}

export interface AdminConversionContext {
  /** The cluster's Nodes, for egress `nodes` peers (none given: such peers match nothing). */
  readonly nodes?: readonly AdminPolicyNode[];
}

export interface AdminConversionResult {
  /** The Calico policy, or undefined when the input is not a decodable ANP/BANP. */
  readonly policy: GlobalNetworkPolicy | undefined;
  /** Decode errors, or one error per rule that could not be converted (and failed closed). */
  readonly errors: FieldError[];
}

/** Calico's numorstring.ProtocolFromString for the three port protocols; others unchanged. */
const _canonicalProtocol = (p: string): string => ['TCP', 'UDP', 'SCTP'].find((n) => n.toLowerCase() === p.toLowerCase()) ?? p;
const _byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** unpackANPPorts: protocol → ports (null: all ports). '' is "no protocol". */
function _unpackPorts(ports: readonly AdminNetworkPolicyPort[] | undefined): Result<Map<string, CalicoPort[] | null>, string> {
  const out = new Map<string, CalicoPort[] | null>();
  if (ports === undefined || ports.length === 0) return { ok: true, value: new Map([['', null]]) };
  const addTo = (proto: string, p: CalicoPort): void => {
    const have = out.get(proto);
    if (have === undefined) out.set(proto, [p]);
    else if (have !== null) have.push(p);
  };
  for (const p of ports) {
    if (p.portNumber !== undefined) {
      addTo(_canonicalProtocol(p.portNumber.protocol ?? 'TCP'), { kind: 'range', min: p.portNumber.port ?? 0, max: p.portNumber.port ?? 0 });
    } else if (p.portRange !== undefined) {
      const min = p.portRange.start ?? 0;
      const max = p.portRange.end ?? 0;
      if (min > max) return { ok: false, error: `failed to parse k8s port: minimum port number (${min}) is greater than maximum port number (${max}) in port range` };
      addTo(_canonicalProtocol(p.portRange.protocol ?? 'TCP'), { kind: 'range', min, max });
    } else if (p.namedPort !== undefined) {
      addTo('', { kind: 'named', name: p.namedPort });
    } else {
      // An empty port struct matches everything (Calico keeps only that).
      return { ok: true, value: new Map([['', null]]) };
    }
  }
  return { ok: true, value: out };
}

const _entity = (f: { nets?: string[]; selector?: string; namespaceSelector?: string }, ports: readonly CalicoPort[] | null | undefined): EntityRule => {
  const e: EntityRule = {};
  if (f.nets !== undefined && f.nets.length > 0) e.nets = f.nets;
  if (f.selector) e.selector = f.selector;
  if (f.namespaceSelector) e.namespaceSelector = f.namespaceSelector;
  if (ports && ports.length > 0) e.ports = ports.map(portToJSON);
  return e;
};

interface PeerFields {
  readonly nets?: string[];
  readonly selector?: string;
  readonly namespaceSelector?: string;
}

/**
 * One peer's selector fields; undefined: the peer selects nothing (a `nodes` peer with no node
 * address). Error '' means no known field is set.
 */
function _peer(peer: AdminNetworkPolicyIngressPeer | AdminNetworkPolicyEgressPeer, ctx: AdminConversionContext): Result<PeerFields | undefined, string> {
  if (peer.namespaces !== undefined) return { ok: true, value: { namespaceSelector: k8sSelectorToCalico(peer.namespaces, 'namespace') } };
  if (peer.pods !== undefined)
    return {
      ok: true,
      value: {
        selector: k8sSelectorToCalico(peer.pods.podSelector ?? {}, 'pod'),
        namespaceSelector: k8sSelectorToCalico(peer.pods.namespaceSelector ?? {}, 'namespace'),
      },
    };
  const egress = peer as AdminNetworkPolicyEgressPeer;
  if (egress.networks !== undefined && egress.networks.length > 0) {
    const nets: string[] = [];
    for (const n of egress.networks) {
      const c = parseCidr(n);
      if (c === undefined) return { ok: false, error: `invalid CIDR in ANP rule: invalid CIDR address: ${n}` };
      nets.push(formatCidr(networkOf(c)));
    }
    return { ok: true, value: { nets } };
  }
  if (egress.nodes !== undefined) {
    const nets = _nodeNets(egress.nodes, ctx.nodes ?? []);
    return { ok: true, value: nets.length > 0 ? { nets } : undefined };
  }
  return { ok: false, error: '' };
}

function _nodeNets(sel: LabelSelector, nodes: readonly AdminPolicyNode[]): string[] {
  const out = new Set<string>();
  for (const n of nodes) {
    if (!selectorMatches(sel, n.labels)) continue;
    for (const a of n.addresses) {
      const ip = parseIp(a);
      if (ip !== undefined) out.add(`${a}/${ip.family === 4 ? 32 : 128}`);
    }
  }
  return [...out].map((t) => formatCidr(parseCidr(t)!)).sort(_byteOrder);
}

function _ruleMetadata(name: string | undefined): Rule['metadata'] | undefined {
  return name === undefined || name === '' ? undefined : { annotations: { [ADMIN_POLICY_RULE_NAME_ANNOTATION]: name } };
}

/** combinePortsWithANP{Ingress,Egress}Peers: one rule → Calico rules, or why it cannot convert. */
function _convertRule(rule: AdminNetworkPolicyIngressRule | AdminNetworkPolicyEgressRule, ingress: boolean, ctx: AdminConversionContext): Result<Rule[], string> {
  const action = rule.action ?? '';
  if (!['Allow', 'Deny', 'Pass'].includes(action)) return { ok: false, error: `unsupported admin network policy action ${action}` };
  const byProto = _unpackPorts(rule.ports);
  if (!byProto.ok) return byProto;
  const peers: readonly (AdminNetworkPolicyIngressPeer | AdminNetworkPolicyEgressPeer)[] = ingress
    ? ((rule as AdminNetworkPolicyIngressRule).from ?? [])
    : ((rule as AdminNetworkPolicyEgressRule).to ?? []);
  const fields: (PeerFields | undefined)[] = [];
  for (const peer of peers) {
    const f = _peer(peer, ctx);
    if (!f.ok) return { ok: false, error: f.error !== '' ? f.error : `none of supported fields in '${ingress ? 'From' : 'To'}' is set.` };
    fields.push(f.value);
  }
  const out: Rule[] = [];
  for (const proto of [...byProto.value.keys()].sort(_byteOrder)) {
    const ports = byProto.value.get(proto);
    const simplified = ports ? simplifyPorts(ports) : null;
    for (const f of fields) {
      if (f === undefined) continue;
      const r: Rule = {};
      const meta = _ruleMetadata(rule.name); // one object per rule: no shared (aliased) values
      if (meta !== undefined) r.metadata = meta;
      r.action = action;
      if (proto !== '') r.protocol = proto;
      if (ingress) {
        r.source = _entity(f, undefined);
        r.destination = _entity({}, simplified);
      } else {
        r.source = {};
        r.destination = _entity(f, simplified);
      }
      out.push(r);
    }
  }
  return { ok: true, value: out };
}

function _subjectSelectors(s: AdminNetworkPolicySubject | undefined): { selector: string; namespaceSelector: string } {
  if (s?.pods !== undefined)
    return { namespaceSelector: k8sSelectorToCalico(s.pods.namespaceSelector ?? {}, 'namespace'), selector: k8sSelectorToCalico(s.pods.podSelector ?? {}, 'pod') };
  return { namespaceSelector: k8sSelectorToCalico(s?.namespaces ?? {}, 'namespace'), selector: k8sSelectorToCalico(undefined, 'pod') };
}

interface AdminPolicyInput {
  readonly metadata?: ObjectMeta;
  readonly spec?: { subject?: AdminNetworkPolicySubject; ingress?: AdminNetworkPolicyIngressRule[]; egress?: AdminNetworkPolicyEgressRule[] };
}

function _convert(
  input: AdminPolicyInput,
  how: { readonly prefix: string; readonly tier: string; readonly order: number; readonly actions: readonly string[] },
  ctx: AdminConversionContext,
): Result<{ policy: GlobalNetworkPolicy; errors: FieldError[] }, FieldError[]> {
  const root = FieldPath.root();
  const sp = root.child('spec');
  const errors: FieldError[] = [];
  const spec = input.spec ?? {};
  const convertList = (rules: readonly (AdminNetworkPolicyIngressRule | AdminNetworkPolicyEgressRule)[], ingress: boolean): Rule[] => {
    const out: Rule[] = [];
    rules.forEach((r, i) => {
      const c = how.actions.includes(r.action ?? '') ? _convertRule(r, ingress, ctx) : ({ ok: false, error: `unsupported admin network policy action ${r.action ?? ''}` } as const);
      if (c.ok) {
        out.push(...c.value);
        return;
      }
      errors.push(invalid(sp.child(ingress ? 'ingress' : 'egress').index(i), r.name ?? '', `k8s rule couldn't be converted: ${c.error}`));
      if (r.action === 'Deny' || (r.action === 'Pass' && how.actions.includes('Pass'))) out.push({ action: 'Deny' });
    });
    return out;
  };
  const ingress = convertList(spec.ingress ?? [], true);
  const egress = convertList(spec.egress ?? [], false);

  const meta = input.metadata;
  const name = `${how.prefix}${meta?.name ?? ''}`;
  const metadata: ObjectMeta = { name };
  if (meta?.uid) {
    const uid = convertUID(meta.uid);
    if (!uid.ok) return { ok: false, error: [invalid(root.child('metadata').child('uid'), meta.uid, uid.error)] };
    metadata.uid = uid.value;
  }
  if (meta?.resourceVersion) metadata.resourceVersion = meta.resourceVersion;
  if (meta?.creationTimestamp) metadata.creationTimestamp = meta.creationTimestamp;

  const sel = _subjectSelectors(spec.subject);
  const out: GlobalNetworkPolicySpec = { tier: how.tier, order: how.order };
  if (ingress.length > 0) out.ingress = ingress;
  if (egress.length > 0) out.egress = egress;
  out.selector = sel.selector;
  const types: string[] = [];
  if (ingress.length > 0) types.push('Ingress');
  if (egress.length > 0) types.push('Egress');
  if (types.length > 0) out.types = types;
  out.namespaceSelector = sel.namespaceSelector;
  return { ok: true, value: { policy: { apiVersion: CALICO_API_VERSION, kind: 'GlobalNetworkPolicy', metadata, spec: out }, errors } };
}

function _checkApiVersion(apiVersion: string): FieldError[] {
  return apiVersion === POLICY_API_GROUP_VERSION ? [] : [notSupported(FieldPath.root().child('apiVersion'), apiVersion, [POLICY_API_GROUP_VERSION])];
}

/** Converts a policy.networking.k8s.io/v1alpha1 AdminNetworkPolicy (any JSON/YAML value). */
export function convertAdminNetworkPolicy(obj: unknown, ctx: AdminConversionContext = {}): AdminConversionResult {
  const d = runDecoder(adminNetworkPolicyDecoder, obj);
  if (d.value === undefined) return { policy: undefined, errors: d.errors };
  const bad = _checkApiVersion(d.value.apiVersion);
  if (bad.length > 0) return { policy: undefined, errors: bad };
  const c = _convert(
    d.value,
    { prefix: ADMIN_NETWORK_POLICY_NAME_PREFIX, tier: ADMIN_NETWORK_POLICY_TIER, order: d.value.spec?.priority ?? 0, actions: ['Allow', 'Deny', 'Pass'] },
    ctx,
  );
  return c.ok ? c.value : { policy: undefined, errors: c.error };
}

/** Converts a policy.networking.k8s.io/v1alpha1 BaselineAdminNetworkPolicy (any JSON/YAML value). */
export function convertBaselineAdminNetworkPolicy(obj: unknown, ctx: AdminConversionContext = {}): AdminConversionResult {
  const d = runDecoder(baselineAdminNetworkPolicyDecoder, obj);
  if (d.value === undefined) return { policy: undefined, errors: d.errors };
  const bad = _checkApiVersion(d.value.apiVersion);
  if (bad.length > 0) return { policy: undefined, errors: bad };
  const c = _convert(
    d.value,
    { prefix: BASELINE_ADMIN_NETWORK_POLICY_NAME_PREFIX, tier: BASELINE_ADMIN_NETWORK_POLICY_TIER, order: BASELINE_ADMIN_POLICY_ORDER, actions: ['Allow', 'Deny'] },
    ctx,
  );
  return c.ok ? c.value : { policy: undefined, errors: c.error };
}

/** The Nodes a `nodes` peer can select, from Kubernetes Node objects (labels, InternalIP/ExternalIP). */
export function adminPolicyNodes(resources: readonly { apiVersion?: string; kind?: string; metadata?: ObjectMeta; status?: unknown }[]): AdminPolicyNode[] {
  const out: AdminPolicyNode[] = [];
  for (const r of resources) {
    if (r.kind !== 'Node' || r.apiVersion !== 'v1') continue;
    const addrs = ((r.status as { addresses?: { type?: string; address?: string }[] } | undefined)?.addresses ?? [])
      .filter((a) => a.type === 'InternalIP' || a.type === 'ExternalIP')
      .map((a) => a.address ?? '')
      .filter((a) => a !== '');
    out.push({ labels: r.metadata?.labels ?? {}, addresses: addrs });
  }
  return out;
}
