/**
 * @module Policy and profile rules → iptables rules (Felix `rules/policy.go`).
 *
 * One Calico rule becomes one iptables rule per port variant (numeric ports in multiport chunks
 * of at most 15, plus one per named-port IP set), followed, for Allow and Pass, by one
 * "return if marked" rule:
 * - Allow: `MARK --set-xmark <accept>` then `-m mark --mark <accept> -j RETURN`;
 * - Pass: the same with the pass bit (the endpoint chain skips the rest of the tier);
 * - Deny: `DROP`;
 * - Log: `LOG --log-prefix <prefix>` (or `NFLOG`), and evaluation continues.
 * Selectors, CIDR lists, named ports and services are IP set matches, so the number of rules
 * depends only on the policy text. A skipped rule (see DesiredRule.skip) renders to nothing.
 *
 * With flow logs on (Felix `FlowLogsEnabled`), each Allow, Pass and Deny marks the verdict for
 * new connections, as Felix's `policy.go` does: the matches set the verdict's mark bit (accept,
 * pass, or for Deny the first scratch bit, Felix's drop mark), then `ctstate NEW` + the bit →
 * `NFLOG --nflog-group 1|2 --nflog-prefix <flow-log prefix>`, then the bit → RETURN (or DROP).
 */
import type { DesiredLogConfig, DesiredPolicy, DesiredProfile, DesiredRule, DesiredRuleSide, NetMatch, PortRange } from '../../engine/index.js';
import type { Action, Chain, IpFamily, MatchCriterion, Protocol, Rule } from '../model.js';
import { flowLogGroup, flowLogPrefixOfRule, flowLogPolicyId } from './flow-log.js';
import { chainName, ipSetName, PREFIX, type MarkBits } from './names.js';

export interface PolicyRenderContext {
  readonly marks: MarkBits;
  readonly log: DesiredLogConfig;
  /** The family rendered (the DesiredState's): IP set names `cali40…`/`cali60…`, ICMP or ICMPv6. Default 4. */
  readonly family?: IpFamily;
  /** Flow-log NFLOG marks at each verdict (flow-log.ts); only in the filter table (Felix: not for untracked). */
  readonly flowLogs?: boolean;
}

/** Who owns a rule, for its flow-log prefix: a policy (`P`, Felix's policy id) or a profile (`R`, its name). */
export interface FlowLogOwner {
  readonly owner: 'P' | 'R';
  readonly dir: 'ingress' | 'egress';
  readonly id: string;
}

/** Splits ports into multiport-sized chunks (15 slots; a range takes two). */
export function splitPorts(ports: readonly PortRange[]): PortRange[][] {
  const out: PortRange[][] = [];
  let cur: PortRange[] = [];
  let used = 0;
  for (const p of ports) {
    const cost = p.first === p.last ? 1 : 2;
    if (used + cost > 15) {
      out.push(cur);
      cur = [];
      used = 0;
    }
    cur.push(p);
    used += cost;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

function _proto(p: number): Protocol {
  switch (p) {
    case 6:
      return 'tcp';
    case 17:
      return 'udp';
    case 132:
      return 'sctp';
    case 136:
      return 'udplite';
    case 1:
      return 'icmp';
    case 58:
      return 'icmpv6';
    default:
      return p;
  }
}

function _net(side: 'src' | 'dst', n: NetMatch, negated: boolean, fam: IpFamily): MatchCriterion {
  if ('cidr' in n) return { kind: side === 'src' ? 'srcNet' : 'dstNet', cidr: n.cidr, ...(negated ? { negated } : {}) };
  return { kind: side === 'src' ? 'srcIpSet' : 'dstIpSet', set: ipSetName(n.ipSet, fam), ...(negated ? { negated } : {}) };
}

function _set(side: 'src' | 'dst', id: string, withPort: boolean, negated: boolean, fam: IpFamily): MatchCriterion {
  return { kind: side === 'src' ? 'srcIpSet' : 'dstIpSet', set: ipSetName(id, fam), ...(withPort ? { withPort } : {}), ...(negated ? { negated } : {}) };
}

/** The side's criteria that hold for every variant, and the variants (alternatives). */
function _sideMatches(side: 'src' | 'dst', s: DesiredRuleSide, fam: IpFamily): { common: MatchCriterion[]; variants: MatchCriterion[][] } {
  const common: MatchCriterion[] = [];
  if (s.net !== null) common.push(_net(side, s.net, false, fam));
  if (s.notNet !== null) common.push(_net(side, s.notNet, true, fam));
  if (s.notSelector !== null) common.push(_set(side, s.notSelector, false, true, fam));
  if (s.service !== null) common.push(_set(side, s.service.ipSet, s.service.withPort, false, fam));
  for (const chunk of splitPorts(s.notPorts)) common.push({ kind: side === 'src' ? 'srcPorts' : 'dstPorts', ports: chunk, negated: true });
  for (const id of s.notNamedPorts) common.push(_set(side, id, true, true, fam));
  const sel: MatchCriterion[] = s.selector === null ? [] : [_set(side, s.selector, false, false, fam)];
  if (s.ports === null && s.namedPorts.length === 0) return { common, variants: [sel] };
  const variants: MatchCriterion[][] = [];
  for (const chunk of splitPorts(s.ports ?? [])) variants.push([...sel, { kind: side === 'src' ? 'srcPorts' : 'dstPorts', ports: chunk }]);
  // A named-port set holds only the ip,port pairs of endpoints matching the selector.
  for (const id of s.namedPorts) variants.push([_set(side, id, true, false, fam)]);
  return { common, variants };
}

/** `%t` tier, `%k` kind, `%n` name, `%p` namespace/name (Felix's LogPrefix expansion). */
export function expandLogPrefix(prefix: string, who: { tier: string; kind: string; name: string; namespace: string }): string {
  return prefix.replace(/%([tknp%])/g, (_, c: string) => {
    switch (c) {
      case 't':
        return who.tier;
      case 'k':
        return who.kind;
      case 'n':
        return who.name;
      case 'p':
        return who.namespace === '' ? who.name : `${who.namespace}/${who.name}`;
      default:
        return '%';
    }
  });
}

const _KIND_ABBREV: Readonly<Record<string, string>> = {
  GlobalNetworkPolicy: 'gnp',
  NetworkPolicy: 'np',
  KubernetesNetworkPolicy: 'knp',
  StagedNetworkPolicy: 'snp',
  StagedGlobalNetworkPolicy: 'sgnp',
  StagedKubernetesNetworkPolicy: 'sknp',
  Profile: 'pro',
};

/** Relative cost of one match: header compares, then port compares, then CIDRs, then set lookups. */
function _cost(c: MatchCriterion): number {
  switch (c.kind) {
    case 'protocol':
    case 'notProtocol':
    case 'icmpType':
      return 0;
    case 'srcPorts':
    case 'dstPorts':
      return 1;
    case 'srcNet':
    case 'dstNet':
      return 2;
    default:
      return 3;
  }
}

/**
 * A rule's matches are a conjunction, so their order is free: the kernel stops at the first that
 * fails, and a port compare is far cheaper than a hash-set lookup. New connections through a
 * pod selected by many policies walk every rule of every policy before the one that allows, so
 * this is where their cost is. Protocol stays first (the port and ICMP matches need it).
 */
function _cheapestFirst(match: MatchCriterion[]): MatchCriterion[] {
  return match.map((c, i) => ({ c, i, k: _cost(c) })).sort((a, b) => a.k - b.k || a.i - b.i).map((x) => x.c);
}

/** The iptables rules of one Calico rule (none for a skipped rule). */
export function renderRule(r: DesiredRule, ctx: PolicyRenderContext, logPrefix: string, flow?: FlowLogOwner): Rule[] {
  if (r.skip !== null) return [];
  const fam = ctx.family ?? 4;
  const base: MatchCriterion[] = [];
  if (r.protocol !== null) base.push({ kind: 'protocol', protocol: _proto(r.protocol) });
  if (r.notProtocol !== null) base.push({ kind: 'notProtocol', protocol: _proto(r.notProtocol) });
  // ICMP type matches are ICMP's in an IPv4 state and ICMPv6's in an IPv6 one (the engine skips
  // an ICMP rule in IPv6 and an ICMPv6 rule in IPv4).
  if (r.icmp !== null) base.push({ kind: 'icmpType', family: fam, type: r.icmp.type, ...(r.icmp.code !== undefined ? { code: r.icmp.code } : {}) });
  if (r.notIcmp !== null)
    base.push({ kind: 'icmpType', family: fam, type: r.notIcmp.type, ...(r.notIcmp.code !== undefined ? { code: r.notIcmp.code } : {}), negated: true });
  const src = _sideMatches('src', r.src, fam);
  const dst = _sideMatches('dst', r.dst, fam);
  const { marks } = ctx;
  let action: Action;
  let returnMark = 0;
  switch (r.action) {
    case 'Allow':
      action = { kind: 'setMark', mark: marks.accept, mask: marks.accept };
      returnMark = marks.accept;
      break;
    case 'Pass':
      action = { kind: 'setMark', mark: marks.pass, mask: marks.pass };
      returnMark = marks.pass;
      break;
    case 'Deny':
      action = { kind: 'drop' };
      break;
    case 'Log':
      // Felix: `--log-prefix "<prefix>: " --log-level 5`, so kernel lines read `calico-packet: IN=…`.
      // ulogd's LOGEMU adds the space after an NFLOG prefix itself, so that one ends at the colon.
      action =
        ctx.log.nflogGroup !== null
          ? { kind: 'nflog', group: ctx.log.nflogGroup, prefix: `${logPrefix}:` }
          : { kind: 'log', prefix: `${logPrefix}: `, level: 5 };
      break;
  }
  const flowPrefix = ctx.flowLogs === true && flow !== undefined ? flowLogPrefixOfRule(r, flow.owner, flow.dir, flow.id) : undefined;
  // Deny with a flow-log mark: set Felix's drop mark (scratch0), log, then drop on the mark.
  const dropMark = flowPrefix !== undefined && action.kind === 'drop' ? marks.scratch0 : 0;
  if (dropMark !== 0) {
    action = { kind: 'setMark', mark: dropMark, mask: dropMark };
  }
  const out: Rule[] = [];
  for (const sv of src.variants)
    for (const dv of dst.variants) {
      const match = _cheapestFirst([...base, ...src.common, ...sv, ...dst.common, ...dv]);
      out.push({ match, action });
    }
  const verdictMark = returnMark !== 0 ? returnMark : dropMark;
  if (flowPrefix !== undefined && flow !== undefined && verdictMark !== 0)
    out.push({
      match: [{ kind: 'mark', value: verdictMark, mask: verdictMark }, { kind: 'conntrackState', states: ['NEW'] }],
      action: { kind: 'nflog', group: flowLogGroup(flow.dir), prefix: flowPrefix },
    });
  if (returnMark !== 0) out.push({ match: [{ kind: 'mark', value: returnMark, mask: returnMark }], action: { kind: 'return' } });
  if (dropMark !== 0) out.push({ match: [{ kind: 'mark', value: dropMark, mask: dropMark }], action: { kind: 'drop' } });
  return out;
}

function _rules(rules: readonly DesiredRule[], ctx: PolicyRenderContext, logPrefix: string, flow: FlowLogOwner): Rule[] {
  return rules.flatMap((r) => renderRule(r, ctx, logPrefix, flow));
}

export const policyChainName = (dir: 'ingress' | 'egress', key: string): string =>
  chainName(dir === 'ingress' ? PREFIX.policyInbound : PREFIX.policyOutbound, key);

export const profileChainName = (dir: 'ingress' | 'egress', name: string): string =>
  chainName(dir === 'ingress' ? PREFIX.profileInbound : PREFIX.profileOutbound, name);

/** `cali-pi-<tier>/<policy>` (ingress) or `cali-po-…` (egress). */
export function renderPolicyChain(p: DesiredPolicy, dir: 'ingress' | 'egress', ctx: PolicyRenderContext): Chain {
  const prefix = expandLogPrefix(ctx.log.prefix, { tier: p.tier, kind: _KIND_ABBREV[p.kind] ?? p.kind, name: p.name, namespace: p.namespace });
  return { name: policyChainName(dir, p.key), rules: _rules(dir === 'ingress' ? p.ingress : p.egress, ctx, prefix, { owner: 'P', dir, id: flowLogPolicyId(p) }) };
}

/** `cali-pri-<profile>` (ingress) or `cali-pro-…` (egress). */
export function renderProfileChain(p: DesiredProfile, dir: 'ingress' | 'egress', ctx: PolicyRenderContext): Chain {
  const prefix = expandLogPrefix(ctx.log.prefix, { tier: '', kind: 'pro', name: p.name, namespace: '' });
  return { name: profileChainName(dir, p.name), rules: _rules(dir === 'ingress' ? p.ingress : p.egress, ctx, prefix, { owner: 'R', dir, id: p.name }) };
}
