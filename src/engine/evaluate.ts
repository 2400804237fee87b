/**
 * @module evaluateFlow: one flow → Verdict with the trace of every stage on the packet's path.
 *
 * The path model (documented choices where the dataplane depends on routing):
 * - Pod → one of its own addresses: not policed (it never leaves the pod; see isSelfFlow). Through
 *   a Service IP that DNATs back to the pod (hairpin) it is policed like any pod → pod flow.
 * - Pod → pod, same node: source egress, destination ingress.
 * - Across nodes: source egress; forward egress through the source node's host endpoint
 *   (applyOnForward policies; allowed when none applies); on the destination node: untracked
 *   (doNotTrack) and preDNAT policies of its ingress host endpoint, forward ingress
 *   (applyOnForward), destination ingress.
 * - To a node address (host INPUT): untracked, preDNAT (an Allow there accepts), failsafe
 *   inbound ports, then the host endpoint's normal policies, then its profiles; a host endpoint
 *   with neither drops; a node without a host endpoint is not policed (Allow).
 * - From a node (host OUTPUT): untracked, failsafe outbound, host endpoint egress policies.
 * - Pod → its own node: after source egress, FelixConfiguration defaultEndpointToHostAction
 *   (Drop by default; Accept; Return = handed back to iptables INPUT, not policed by Calico).
 * - Failsafe ports come first in the raw and mangle chains too: a packet on one skips untracked and
 *   preDNAT policy.
 * - doNotTrack: an Allow skips everything else but, without conntrack, the reply must be allowed
 *   too: by untracked egress/ingress of the same host endpoint; else a TCP or ICMP reply is
 *   INVALID to conntrack and dropped, a UDP reply is judged as a new packet by normal policy (from
 *   a pod to outside the cluster, natOutgoing masquerades that new flow: no answer). An
 *   untracked Allow on forwarded traffic skips preDNAT and the forward chains (the workload's
 *   ingress still runs); on Service traffic it means no DNAT (a NodePort becomes host traffic,
 *   a LoadBalancer IP or ClusterIP is not reached).
 * - Which host endpoint a packet crosses: as Linux routing picks the interface (see "host
 *   endpoint choice" below): by the node's connected subnets (a destination on one leaves by its
 *   interface; a source from outside the cluster on one arrives there), else the one whose
 *   expectedIPs hold the node address in question, else one with `interfaceName: "*"`, else the
 *   one holding the node's ExternalIP (traffic from/to outside the cluster) or InternalIP.
 * - Services: see services.ts.
 */
import { netContains, type Ip } from './ip.js';
import { PROTO, type NamedPort, type Owner, type Packet, type ServiceLookup } from './match.js';
import { ALLOW, DENY, NONE, runProfiles, runTiers, StageRecorder, type Outcome } from './chains.js';
import { planFor, type Direction } from './resolve.js';
import type { ConnectedSubnet, FailsafePort, HostEndpointInfo, NodeInfo, PolicySet, ServiceInfo, ServicePortInfo, Snapshot, WorkloadEndpointInfo } from './snapshot.js';
import { resolveTargetPort } from './snapshot.js';
import type { Decision, Stage, StageKind, Verdict } from './types.js';
import { describeDecision } from './describe.js';
import { decidePodToPod, verdictTable } from './fast.js';

export type Party =
  | { readonly kind: 'workload'; readonly ep: WorkloadEndpointInfo; readonly ip: Ip }
  | { readonly kind: 'host'; readonly node: NodeInfo; readonly ip: Ip }
  | { readonly kind: 'external'; readonly ip: Ip };

export type Target =
  | Party
  | {
      readonly kind: 'service';
      readonly svc: ServiceInfo;
      readonly port: ServicePortInfo;
      readonly ip: Ip;
      readonly via: 'clusterIP' | 'nodePort' | 'loadBalancer';
      /** For nodePort: the node whose address was used. */
      readonly node: NodeInfo | undefined;
    }
  /** A Service ClusterIP / LB IP on a port it does not serve: nothing answers. */
  | { readonly kind: 'unserved'; readonly ip: Ip; readonly reason: string };

/** A flow with both ends resolved; build with resolveFlow (verdicts.ts). */
export interface ResolvedFlow {
  readonly src: Party;
  readonly dst: Target;
  readonly proto: number;
  /** -1: unknown. */
  readonly dstPort: number;
  readonly srcPort: number;
  readonly icmpType: number;
  readonly icmpCode: number;
  /** LoadBalancer entry node override. */
  readonly via: NodeInfo | undefined;
}

interface Ctx {
  readonly snap: Snapshot;
  readonly set: PolicySet;
  readonly svc: ServiceLookup;
  readonly stages: Stage[] | null;
  readonly flow: ResolvedFlow;
}

const _noPorts: readonly NamedPort[] = [];

function _nodeOf(snap: Snapshot, p: Party): NodeInfo | undefined {
  if (p.kind === 'workload') return snap.nodes.get(p.ep.node);
  if (p.kind === 'host') return p.node;
  return undefined;
}

function _namedPorts(snap: Snapshot, p: Party): readonly NamedPort[] {
  if (p.kind === 'workload') return p.ep.namedPorts;
  if (p.kind === 'host') {
    const out: NamedPort[] = [];
    for (const h of p.node.hostEndpoints) if (h.ips.some((x) => x.text === p.ip.text)) out.push(...h.namedPorts);
    return out.length > 0 ? out : _noPorts;
  }
  void snap;
  return _noPorts;
}

function _packet(ctx: Ctx, src: Party, dstIp: Ip, dstOwners: readonly Owner[], dstPorts: readonly NamedPort[], dstPort: number): Packet {
  const f = ctx.flow;
  return {
    proto: f.proto,
    family: src.ip.family,
    srcIp: src.ip,
    dstIp,
    srcPort: f.srcPort,
    dstPort,
    icmpType: f.icmpType,
    icmpCode: f.icmpCode,
    srcOwners: ctx.snap.ownersOf(src.ip),
    dstOwners,
    srcPorts: _namedPorts(ctx.snap, src),
    dstPorts,
  };
}

function _partyPacket(ctx: Ctx, src: Party, dst: Party, dstPort: number): Packet {
  return _packet(ctx, src, dst.ip, ctx.snap.ownersOf(dst.ip), _namedPorts(ctx.snap, dst), dstPort);
}

function _reply(pkt: Packet): Packet {
  return {
    ...pkt,
    srcIp: pkt.dstIp,
    dstIp: pkt.srcIp,
    srcPort: pkt.dstPort,
    dstPort: pkt.srcPort,
    srcOwners: pkt.dstOwners,
    dstOwners: pkt.srcOwners,
    srcPorts: pkt.dstPorts,
    dstPorts: pkt.srcPorts,
  };
}

function _push(ctx: Ctx, stage: StageKind, endpoint: string | undefined, outcome: Outcome, rec: StageRecorder | null, fallback?: Decision): void {
  if (ctx.stages === null || rec === null) return;
  const decision = rec.decision ?? fallback;
  const action = outcome === ALLOW ? 'Allow' : outcome === DENY ? 'Deny' : 'Continue';
  const s: Stage = {
    stage,
    ...(endpoint !== undefined ? { endpoint } : {}),
    action,
    ...(decision !== undefined ? { decidedBy: decision } : {}),
    summary: decision !== undefined ? describeDecision(decision) : 'no policy decided',
    ...(rec.logged.length > 0 ? { logged: rec.logged } : {}),
    ...(outcome === DENY && rec.nearMiss !== undefined ? { nearMiss: rec.nearMiss } : {}),
  };
  ctx.stages.push(s);
}

function _note(ctx: Ctx, stage: StageKind, endpoint: string | undefined, action: Stage['action'], decision: Decision, detail?: string): void {
  if (ctx.stages === null) return;
  ctx.stages.push({
    stage,
    ...(endpoint !== undefined ? { endpoint } : {}),
    action,
    decidedBy: decision,
    summary: describeDecision(decision),
    ...(detail !== undefined ? { detail } : {}),
  });
}

const _rec = (ctx: Ctx): StageRecorder | null => (ctx.stages === null ? null : new StageRecorder());

// ------------------------------------------------------------------ endpoint chains

/** Workload or host endpoint normal chain: tiers, then profiles. */
function _normalChain(ctx: Ctx, stage: StageKind, ep: WorkloadEndpointInfo | HostEndpointInfo, dir: Direction, pkt: Packet): Outcome {
  const host = ep.kind === 'host';
  const rec = _rec(ctx);
  const plan = planFor(ctx.snap, ctx.set, ep, dir, 'normal', host);
  let r = runTiers(plan, dir, pkt, ctx.svc, true, rec);
  if (r === NONE) {
    if (host && ep.profiles.length === 0) {
      if (rec !== null)
        rec.decision = {
          kind: 'default',
          action: 'Deny',
          reason: plan.length === 0 ? 'host endpoint with no policy and no profile' : 'no profiles matched',
        };
      r = DENY;
    } else r = runProfiles(ctx.snap, ep.profiles, dir, pkt, ctx.svc, rec);
  }
  _push(ctx, stage, ep.key, r, rec);
  return r;
}

/** Host endpoint forward chain (applyOnForward policies); allowed when none applies. */
function _forwardChain(ctx: Ctx, stage: StageKind, hep: HostEndpointInfo | undefined, dir: Direction, pkt: Packet): Outcome {
  if (hep === undefined) return ALLOW;
  const plan = planFor(ctx.snap, ctx.set, hep, dir, 'forward', true);
  if (plan.length === 0) {
    if (ctx.stages !== null)
      _note(ctx, stage, hep.key, 'Allow', { kind: 'default', action: 'Allow', reason: 'no applyOnForward policy: forwarded traffic allowed' });
    return ALLOW;
  }
  const rec = _rec(ctx);
  let r = runTiers(plan, dir, pkt, ctx.svc, true, rec);
  if (r === NONE) r = ALLOW;
  _push(ctx, stage, hep.key, r, rec);
  return r;
}

/** preDNAT or untracked chain: no end-of-tier drop; NONE when nothing decided. */
function _rawChain(ctx: Ctx, stage: StageKind, hep: HostEndpointInfo, dir: Direction, flavour: 'preDNAT' | 'untracked', pkt: Packet): Outcome {
  const plan = planFor(ctx.snap, ctx.set, hep, dir, flavour, true);
  if (plan.length === 0) return NONE;
  const rec = _rec(ctx);
  const r = runTiers(plan, dir, pkt, ctx.svc, false, rec);
  _push(ctx, stage, hep.key, r, rec);
  return r;
}

/** The failsafe port (`hep`'s node's FelixConfiguration) `pkt` matches in direction `dir`, if any. */
function _failsafeMatch(ctx: Ctx, dir: Direction, pkt: Packet, hep: HostEndpointInfo): FailsafePort | undefined {
  const felix = ctx.snap.felixFor(hep.node);
  const list = dir === 'ingress' ? felix.failsafeInbound : felix.failsafeOutbound;
  for (const f of list) {
    if (f.proto !== pkt.proto || f.port !== pkt.dstPort) continue;
    const peer = dir === 'ingress' ? pkt.srcIp : pkt.dstIp;
    if (f.net !== null) {
      if (f.net.family !== peer.family) continue;
      const inNet = peer.family === 4 ? ((peer.v4 & f.net.mask4) >>> 0) === f.net.base4 : (peer.v6 & f.net.mask6) === f.net.base6;
      if (!inNet) continue;
    }
    return f;
  }
  return undefined;
}

function _failsafe(ctx: Ctx, dir: Direction, pkt: Packet, hep: HostEndpointInfo): boolean {
  const f = _failsafeMatch(ctx, dir, pkt, hep);
  if (f !== undefined) {
    _note(ctx, dir === 'ingress' ? 'hostIngress' : 'hostEgress', hep.key, 'Allow', {
      kind: 'failsafe',
      protocol: pkt.proto === PROTO.UDP ? 'UDP' : pkt.proto === PROTO.TCP ? 'TCP' : String(pkt.proto),
      port: f.port,
    });
    return true;
  }
  return false;
}

/**
 * Felix jumps to the failsafe chains first in the raw (untracked) and mangle (preDNAT) host
 * endpoint chains too: a packet on a failsafe port is accepted there before any untracked or
 * preDNAT policy sees it (then the filter table's failsafe chain accepts it again for the host).
 */
function _skipsRawChains(ctx: Ctx, dir: Direction, pkt: Packet, hep: HostEndpointInfo): boolean {
  return _failsafeMatch(ctx, dir, pkt, hep) !== undefined;
}

/**
 * Conntrack on the reply of an untracked packet that no untracked rule lets back: the reply is the
 * first packet conntrack sees. A TCP SYN-ACK or an ICMP echo reply cannot open a connection, so it
 * is INVALID and the endpoint chain it crosses drops it; anything else (UDP) opens a new tracked
 * flow that the normal policy judges.
 */
function _replyOpensFlow(pkt: Packet): boolean {
  return pkt.proto !== PROTO.TCP && pkt.proto !== PROTO.ICMP && pkt.proto !== PROTO.ICMPv6;
}

function _invalidReply(ctx: Ctx, endpoint: string): Outcome {
  if (ctx.stages !== null)
    _note(ctx, 'untrackedReply', endpoint, 'Deny', {
      kind: 'default',
      action: 'Deny',
      reason: 'untracked flow: the reply is INVALID to conntrack (no untracked rule lets it back) and is dropped',
    });
  return DENY;
}

/** Host INPUT (dir ingress) or OUTPUT (egress) through a host endpoint: failsafe, then normal chain. */
function _hostChain(ctx: Ctx, hep: HostEndpointInfo, dir: Direction, pkt: Packet): Outcome {
  if (_failsafe(ctx, dir, pkt, hep)) return ALLOW;
  return _normalChain(ctx, dir === 'ingress' ? 'hostIngress' : 'hostEgress', hep, dir, pkt);
}

/**
 * Untracked (doNotTrack) policies of `hep` for a host-terminated or host-originated packet, with
 * the reply check. Returns ALLOW (accepted untracked, reply allowed), DENY, or NONE (continue).
 */
function _untrackedHost(ctx: Ctx, hep: HostEndpointInfo, dir: Direction, pkt: Packet): Outcome {
  if (_skipsRawChains(ctx, dir, pkt, hep)) return NONE;
  const r = _rawChain(ctx, 'untracked', hep, dir, 'untracked', pkt);
  if (r !== ALLOW) return r;
  const reply = _reply(pkt);
  const back: Direction = dir === 'ingress' ? 'egress' : 'ingress';
  let rr = _rawChain(ctx, 'untrackedReply', hep, back, 'untracked', reply);
  if (rr === NONE) {
    if (!_replyOpensFlow(reply)) return _invalidReply(ctx, hep.key);
    rr = _hostChain(ctx, hep, back, reply);
  }
  if (rr !== ALLOW && ctx.stages !== null)
    _note(ctx, 'untrackedReply', hep.key, 'Deny', {
      kind: 'default',
      action: 'Deny',
      reason: 'untracked flow: the reply is not allowed (no conntrack entry to let it back)',
    });
  return rr === ALLOW ? ALLOW : DENY;
}

// ------------------------------------------------------------------ host endpoint choice
//
// Which host endpoint (interface) a packet crosses, the way Linux routing decides it:
// - Leaving the node: the route to the destination picks the interface, whatever the source
//   address. A destination inside one of the node's connected subnets (NodeInfo.subnets, from the
//   addresses the datastore gives with a prefix; the longest prefix when several hold it) leaves
//   by that subnet's interface. Otherwise a destination outside the cluster leaves by the default
//   route: the ExternalIP's interface (a node without an ExternalIP: the InternalIP's), whatever
//   the source address; cluster traffic by the interface of the source address (host traffic),
//   else the InternalIP's.
// - Arriving at the node from outside the cluster: a source inside one of the node's connected
//   subnets is on that segment, so the packet arrives on that subnet's interface (e.g. a host on
//   the private VLAN routing the pod network through a worker's private address). Otherwise, and
//   for cluster sources (nodes sit on several segments and their own routing picks one): the
//   interface holding the destination address, else the ExternalIP's interface (from outside the
//   cluster; a node without an ExternalIP has one interface for everything: the InternalIP's)
//   or the InternalIP's (cluster traffic).
// - A subnet's interface is the host endpoint whose expectedIPs hold the node's address on that
//   subnet (the one the prefix came with), else another address in it, else one with
//   `interfaceName: "*"`; with none, that interface has no host endpoint and Calico does not
//   police it (no fallback to another interface's).
// - Which node a packet from outside the cluster to a pod enters: the pod's (the engine does not
//   know the sender's routes), so a pod on another worker is judged at its own worker's interface.
// Unknown prefixes (a Kubernetes Node's plain addresses only) leave the fallbacks in charge.

function _hepByIp(node: NodeInfo, ip: Ip): HostEndpointInfo | undefined {
  return node.hostEndpoints.find((h) => h.ips.some((x) => x.text === ip.text));
}

function _star(node: NodeInfo): HostEndpointInfo | undefined {
  return node.hostEndpoints.find((h) => h.interfaceName === '*');
}

/**
 * The interface of the default route (`external`: traffic from/to outside the cluster) or of the
 * cluster network: `*`, else the host endpoint holding an ExternalIP (external only; none there:
 * that interface is not policed), else the one holding an InternalIP. A node with no ExternalIP
 * has one interface for everything: traffic from/to outside the cluster crosses the InternalIP's.
 */
function _hepFallback(node: NodeInfo, external: boolean): HostEndpointInfo | undefined {
  const star = _star(node);
  if (star) return star;
  if (external && node.external.length > 0) {
    for (const a of node.external) {
      const h = _hepByIp(node, a);
      if (h) return h;
    }
    return undefined;
  }
  for (const a of node.internal) {
    const h = _hepByIp(node, a);
    if (h) return h;
  }
  return undefined;
}

/** The node's connected subnet holding `ip`, if any: the longest prefix (the largest mask), as a route lookup. */
function _connectedSubnet(node: NodeInfo, ip: Ip): ConnectedSubnet | undefined {
  let best: ConnectedSubnet | undefined;
  for (const c of node.subnets) {
    const n = c.net;
    if (!netContains(n, ip)) continue;
    if (best === undefined || (n.family === 4 ? n.mask4 > best.net.mask4 : n.mask6 > best.net.mask6)) best = c;
  }
  return best;
}

/**
 * `{ hep }` for the interface on the connected subnet holding `ip` (the host endpoint holding the
 * node's address there, else one holding another address in that subnet, else `*`; hep undefined:
 * none), undefined when `ip` is on no connected subnet.
 */
function _bySubnet(node: NodeInfo, ip: Ip): { readonly hep: HostEndpointInfo | undefined } | undefined {
  const c = _connectedSubnet(node, ip);
  if (c === undefined) return undefined;
  return { hep: _hepByIp(node, c.addr) ?? node.hostEndpoints.find((h) => h.ips.some((x) => netContains(c.net, x))) ?? _star(node) };
}

/**
 * The host endpoint a packet to `dstIp` enters `node` through (see the rules above); `srcIp`,
 * when given, is the packet's source, which decides for a source outside the cluster.
 */
export function ingressHep(node: NodeInfo, dstIp: Ip, srcExternal: boolean, srcIp?: Ip): HostEndpointInfo | undefined {
  if (node.hostEndpoints.length === 0) return undefined;
  if (srcExternal && srcIp !== undefined) {
    const s = _bySubnet(node, srcIp);
    if (s !== undefined) return s.hep;
  }
  const exact = _hepByIp(node, dstIp);
  if (exact !== undefined) return exact;
  // To one of the node's own addresses: it arrives on that address's interface (or `*`).
  if (node.addresses.some((a) => a.text === dstIp.text)) return _star(node);
  return _hepFallback(node, srcExternal);
}

/** The host endpoint a packet to `dstIp` (when known) leaves `node` through (see the rules above). */
export function egressHep(node: NodeInfo, srcIp: Ip | undefined, dstExternal: boolean, dstIp?: Ip): HostEndpointInfo | undefined {
  if (node.hostEndpoints.length === 0) return undefined;
  if (dstIp !== undefined) {
    const s = _bySubnet(node, dstIp);
    if (s !== undefined) return s.hep;
  }
  // Outside the cluster: the default route's interface, whatever the source address.
  if (dstExternal) return _hepFallback(node, true);
  return (srcIp !== undefined ? _hepByIp(node, srcIp) : undefined) ?? _hepFallback(node, false);
}

// ------------------------------------------------------------------ the path

/** Packet arrives at `node` from outside it, headed for `target` (post-DNAT). */
function _arrive(ctx: Ctx, node: NodeInfo, src: Party, target: Party, pkt: Packet, preDnatDone: boolean): Outcome {
  const srcExternal = src.kind === 'external';
  const hep = ingressHep(node, pkt.dstIp, srcExternal, pkt.srcIp);
  const toHost = target.kind === 'host';
  if (hep !== undefined && !_skipsRawChains(ctx, 'ingress', pkt, hep)) {
    if (toHost) {
      const u = _untrackedHost(ctx, hep, 'ingress', pkt);
      if (u !== NONE) return u;
    } else {
      const u = _rawChain(ctx, 'untracked', hep, 'ingress', 'untracked', pkt);
      if (u === DENY) return DENY;
      if (u === ALLOW) return _untrackedTransit(ctx, node, src, target, pkt);
    }
    if (!preDnatDone) {
      const p = _rawChain(ctx, 'preDNAT', hep, 'ingress', 'preDNAT', pkt);
      if (p === DENY) return DENY;
      if (p === ALLOW && toHost) return ALLOW;
    }
  }
  if (toHost) {
    if (hep === undefined) {
      _note(ctx, 'hostIngress', `node:${node.name}`, 'Allow', { kind: 'default', action: 'Allow', reason: 'no host endpoint: host traffic not policed' });
      return ALLOW;
    }
    return _hostChain(ctx, hep, 'ingress', pkt);
  }
  return _transit(ctx, node, hep, src, target, pkt);
}

/**
 * An untracked Allow on traffic forwarded through the node (Felix: NOTRACK and the accept mark):
 * the mangle (preDNAT) and host endpoint forward chains are skipped, the workload's own chains
 * still run (an untracked packet is neither ESTABLISHED nor INVALID). Without conntrack the reply
 * is on its own: see _replyOpensFlow.
 */
function _untrackedTransit(ctx: Ctx, node: NodeInfo, src: Party, target: Party, pkt: Packet): Outcome {
  if (target.kind !== 'workload' || target.ep.node !== node.name) {
    if (!_replyOpensFlow(pkt)) return _invalidReply(ctx, `node:${node.name}`);
    return _leave(ctx, node, src, target, pkt);
  }
  if (_normalChain(ctx, 'destinationIngress', target.ep, 'ingress', pkt) === DENY) return DENY;
  if (!_replyOpensFlow(pkt)) return _invalidReply(ctx, target.ep.key);
  if (src.kind === 'external') {
    // The reply opens a new flow from the pod to outside the cluster: the IP pool's natOutgoing
    // (on in Calico's default pool, and in the lab) masquerades it, and the client does not
    // recognise the answer.
    if (ctx.stages !== null)
      _note(ctx, 'untrackedReply', target.ep.key, 'Deny', {
        kind: 'default',
        action: 'Deny',
        reason: 'untracked flow: the reply opens a new flow to outside the cluster, which natOutgoing masquerades',
      });
    return DENY;
  }
  const r = _normalChain(ctx, 'untrackedReply', target.ep, 'egress', _reply(pkt));
  return r === DENY ? DENY : ALLOW;
}

/**
 * Packet that entered `node` through `inHep` is forwarded to `target`. `fwdPkt` is the packet as
 * the node's FORWARD hook sees it when it differs from what leaves the node: kube-proxy's
 * masquerade (SNAT) runs in POSTROUTING, after FORWARD, so the host endpoint's forward chains
 * still see the client's address; the next hops see the SNATed `pkt`.
 */
function _transit(ctx: Ctx, node: NodeInfo, inHep: HostEndpointInfo | undefined, src: Party, target: Party, pkt: Packet, fwdPkt: Packet = pkt): Outcome {
  if (_forwardChain(ctx, 'forwardIngress', inHep, 'ingress', fwdPkt) === DENY) return DENY;
  if (target.kind === 'workload' && target.ep.node === node.name) return _normalChain(ctx, 'destinationIngress', target.ep, 'ingress', pkt);
  return _leave(ctx, node, src, target, pkt, fwdPkt);
}

/** A forwarded or workload-originated packet leaves `node` for `target` (`fwdPkt`: see _transit). */
function _leave(ctx: Ctx, node: NodeInfo, src: Party, target: Party, pkt: Packet, fwdPkt: Packet = pkt): Outcome {
  const outHep = egressHep(node, undefined, target.kind === 'external', target.ip);
  if (_forwardChain(ctx, 'forwardEgress', outHep, 'egress', fwdPkt) === DENY) return DENY;
  if (target.kind === 'external') return ALLOW;
  const next = _nodeOf(ctx.snap, target);
  if (next === undefined) return target.kind === 'workload' ? _normalChain(ctx, 'destinationIngress', target.ep, 'ingress', pkt) : ALLOW;
  return _arrive(ctx, next, src, target, pkt, false);
}

/** From the source to a (post-DNAT) target. */
function _originate(ctx: Ctx, src: Party, target: Party, pkt: Packet): Outcome {
  const snap = ctx.snap;
  const srcNode = _nodeOf(snap, src);
  const dstNode = _nodeOf(snap, target);
  if (src.kind === 'workload') {
    if (_normalChain(ctx, 'sourceEgress', src.ep, 'egress', pkt) === DENY) return DENY;
    if (srcNode !== undefined && dstNode === srcNode) {
      if (target.kind === 'workload') return _normalChain(ctx, 'destinationIngress', target.ep, 'ingress', pkt);
      return _endpointToHost(ctx, srcNode);
    }
    if (srcNode === undefined) {
      if (target.kind === 'workload') return _normalChain(ctx, 'destinationIngress', target.ep, 'ingress', pkt);
      if (target.kind === 'host') return _arrive(ctx, target.node, src, target, pkt, false);
      return ALLOW;
    }
    return _leave(ctx, srcNode, src, target, pkt);
  }
  if (src.kind === 'host') {
    if (dstNode === src.node) {
      if (target.kind === 'workload') {
        // Felix (rules/static.go, filter OUTPUT): "We don't currently police host -> endpoint
        // according to the endpoint's ingress policy": OUTPUT returns for cali+ interfaces.
        _note(ctx, 'destinationIngress', target.ep.key, 'Allow', {
          kind: 'default',
          action: 'Allow',
          reason: 'host to a workload on the same node: not policed (Felix)',
        });
        return ALLOW;
      }
      _note(ctx, 'hostIngress', `node:${src.node.name}`, 'Allow', { kind: 'default', action: 'Allow', reason: 'host to itself: not policed' });
      return ALLOW;
    }
    const outHep = egressHep(src.node, src.ip, target.kind === 'external', target.ip);
    if (outHep !== undefined) {
      let r = _untrackedHost(ctx, outHep, 'egress', pkt);
      if (r === NONE) r = _hostChain(ctx, outHep, 'egress', pkt);
      if (r === DENY) return DENY;
    }
    if (target.kind === 'external') return ALLOW;
    if (dstNode === undefined) return target.kind === 'workload' ? _normalChain(ctx, 'destinationIngress', target.ep, 'ingress', pkt) : ALLOW;
    return _arrive(ctx, dstNode, src, target, pkt, false);
  }
  // external source
  if (target.kind === 'external') {
    _note(ctx, 'forwardIngress', undefined, 'Allow', { kind: 'default', action: 'Allow', reason: 'neither end is in the cluster' });
    return ALLOW;
  }
  if (dstNode === undefined) return target.kind === 'workload' ? _normalChain(ctx, 'destinationIngress', target.ep, 'ingress', pkt) : ALLOW;
  return _arrive(ctx, dstNode, src, target, pkt, false);
}

function _endpointToHost(ctx: Ctx, node: NodeInfo): Outcome {
  const a = ctx.snap.felixFor(node.name).defaultEndpointToHostAction;
  const action = a === 'Drop' ? 'Deny' : 'Allow';
  _note(ctx, 'endpointToHost', `node:${node.name}`, action, {
    kind: 'default',
    action,
    reason:
      a === 'Drop'
        ? 'workload to its own host: DefaultEndpointToHostAction Drop'
        : a === 'Accept'
          ? 'workload to its own host: DefaultEndpointToHostAction Accept'
          : 'workload to its own host: DefaultEndpointToHostAction Return (not policed by Calico)',
  });
  return a === 'Drop' ? DENY : ALLOW;
}

// ------------------------------------------------------------------ services

/**
 * The node a Service packet is DNATed on. Pods and hosts DNAT locally (kube-proxy handles
 * ClusterIPs and LoadBalancer IPs in OUTPUT/PREROUTING of the source node). External traffic:
 * NodePort enters the node whose address it was sent to; a LoadBalancer IP enters `via` when the
 * flow names it, else (Local) the node of the first backend, else (Cluster) the first node by
 * name — a load balancer may pick any node, and this keeps verdicts deterministic.
 */
function _entryNode(ctx: Ctx, src: Party, dst: Extract<Target, { kind: 'service' }>): NodeInfo | undefined {
  const srcNode = _nodeOf(ctx.snap, src);
  if (dst.via === 'nodePort') return dst.node;
  if (srcNode !== undefined && src.kind !== 'external') return srcNode;
  if (dst.via === 'clusterIP') return undefined;
  if (ctx.flow.via !== undefined) return ctx.flow.via;
  if (dst.svc.externalTrafficPolicy === 'Local') {
    const b = dst.svc.backends[0];
    return b === undefined ? undefined : ctx.snap.nodes.get(b.node);
  }
  return ctx.snap.nodes.values().next().value;
}

interface BackendOutcome {
  readonly backend: string;
  readonly outcome: Outcome;
  readonly stages: readonly Stage[];
}

function _serviceFlow(ctx: Ctx, src: Party, dst: Extract<Target, { kind: 'service' }>, backendsOut: BackendOutcome[] | null): Outcome {
  const snap = ctx.snap;
  const svcName = `${dst.svc.namespace}/${dst.svc.name}`;
  const entry = _entryNode(ctx, src, dst);
  if (entry === undefined) {
    _note(ctx, 'dnat', undefined, 'Deny', {
      kind: 'default',
      action: 'Deny',
      reason: dst.via === 'clusterIP' ? `ClusterIP of ${svcName} is not reachable from outside the cluster` : `no node to receive traffic for ${svcName}`,
    });
    return DENY;
  }
  const srcNode = _nodeOf(snap, src);
  const local = srcNode === entry && src.kind !== 'external';
  const preDnatPkt = _packet(ctx, src, dst.ip, snap.ownersOf(dst.ip), _noPorts, ctx.flow.dstPort);
  let inHep: HostEndpointInfo | undefined;
  if (!local) {
    // Before DNAT: the source's own stages, then the entry node's untracked and preDNAT policies.
    if (src.kind === 'workload') {
      if (_normalChain(ctx, 'sourceEgress', src.ep, 'egress', preDnatPkt) === DENY) return DENY;
      if (srcNode !== undefined && _forwardChain(ctx, 'forwardEgress', egressHep(srcNode, undefined, false, dst.ip), 'egress', preDnatPkt) === DENY) return DENY;
    } else if (src.kind === 'host') {
      const outHep = egressHep(src.node, src.ip, false, dst.ip);
      if (outHep !== undefined) {
        let r = _untrackedHost(ctx, outHep, 'egress', preDnatPkt);
        if (r === NONE) r = _hostChain(ctx, outHep, 'egress', preDnatPkt);
        if (r === DENY) return DENY;
      }
    }
    inHep = ingressHep(entry, dst.ip, src.kind === 'external', src.ip);
    if (inHep !== undefined && !_skipsRawChains(ctx, 'ingress', preDnatPkt, inHep)) {
      const u = _rawChain(ctx, 'untracked', inHep, 'ingress', 'untracked', preDnatPkt);
      if (u === DENY) return DENY;
      if (u === ALLOW) {
        // NOTRACK: kube-proxy's DNAT (a conntrack NAT) never happens. To a NodePort the packet is
        // simply host traffic to that port; to a LoadBalancer IP or ClusterIP it is not delivered.
        if (dst.via === 'nodePort') return _arrive(ctx, entry, src, { kind: 'host', node: entry, ip: dst.ip }, preDnatPkt, false);
        _note(ctx, 'dnat', `node:${entry.name}`, 'Deny', {
          kind: 'default',
          action: 'Deny',
          reason: `untracked (doNotTrack) packets are not DNATed: ${dst.ip.text} of ${svcName} is not reached`,
        });
        return DENY;
      }
      if (_rawChain(ctx, 'preDNAT', inHep, 'ingress', 'preDNAT', preDnatPkt) === DENY) return DENY;
    }
  }
  let backends = dst.svc.backends;
  const external = dst.via !== 'clusterIP';
  if (external && dst.svc.externalTrafficPolicy === 'Local' && !local) backends = backends.filter((b) => b.node === entry.name);
  const targets: { b: WorkloadEndpointInfo; port: number }[] = [];
  for (const b of backends) {
    const port = resolveTargetPort(b, dst.port);
    if (port !== undefined) targets.push({ b, port });
  }
  if (targets.length === 0) {
    _note(ctx, 'dnat', `node:${entry.name}`, 'Deny', {
      kind: 'default',
      action: 'Deny',
      reason:
        backends.length === 0 && dst.svc.backends.length > 0
          ? `externalTrafficPolicy Local: ${svcName} has no endpoint on node ${entry.name}`
          : `${svcName} has no endpoints (kube-proxy rejects)`,
    });
    return DENY;
  }
  const outer = ctx.stages;
  let all: Outcome = ALLOW;
  for (const { b, port } of targets) {
    const stages: Stage[] | null = outer === null ? null : [];
    const bctx: Ctx = { ...ctx, stages };
    const bIp = b.ips.find((i) => i.family === dst.ip.family) ?? b.ips[0]!;
    const target: Party = { kind: 'workload', ep: b, ip: bIp };
    _note(bctx, 'dnat', `node:${entry.name}`, 'Continue', { kind: 'default', action: 'Continue', reason: `${dst.via} ${dst.ip.text}:${ctx.flow.dstPort} → ${b.key}` }, `${bIp.text}:${port}`);
    let s: Party = src;
    if (external && !local && dst.svc.externalTrafficPolicy === 'Cluster' && b.node !== entry.name) {
      const nodeIp = entry.internal.find((i) => i.family === bIp.family) ?? entry.addresses.find((i) => i.family === bIp.family);
      if (nodeIp !== undefined) {
        s = { kind: 'host', node: entry, ip: nodeIp };
        _note(bctx, 'snat', `node:${entry.name}`, 'Continue', { kind: 'default', action: 'Continue', reason: 'externalTrafficPolicy Cluster: source NATed to the node' }, nodeIp.text);
      }
    }
    const pkt = _partyPacket(bctx, s, target, port);
    let r: Outcome;
    if (local) r = _originate(bctx, src, target, pkt);
    else r = _transit(bctx, entry, inHep, s, target, pkt, s === src ? pkt : _partyPacket(bctx, src, target, port));
    if (r !== ALLOW) all = DENY;
    backendsOut?.push({ backend: b.key, outcome: r, stages: stages ?? [] });
  }
  return all;
}

// ------------------------------------------------------------------ entry points

/** Evaluates with one policy set; `stages === null` for the fast path (no trace). */
function _evaluate(snap: Snapshot, set: PolicySet, flow: ResolvedFlow, stages: Stage[] | null, backends: BackendOutcome[] | null): Outcome {
  const ctx: Ctx = { snap, set, svc: snap.serviceBackends, stages, flow };
  const dst = flow.dst;
  if (dst.kind === 'service') return _serviceFlow(ctx, flow.src, dst, backends);
  if (dst.kind === 'unserved') {
    _note(ctx, 'dnat', undefined, 'Deny', { kind: 'default', action: 'Deny', reason: dst.reason });
    return DENY;
  }
  if (isSelfFlow(flow)) {
    _note(ctx, 'destinationIngress', dst.kind === 'workload' ? dst.ep.key : undefined, 'Allow', { kind: 'default', action: 'Allow', reason: SELF_REASON });
    return ALLOW;
  }
  const pkt = _partyPacket(ctx, flow.src, dst, flow.dstPort);
  return _originate(ctx, flow.src, dst, pkt);
}

/** Why a pod's traffic to one of its own addresses is allowed (the trace's words). */
export const SELF_REASON = "a pod's traffic to its own address stays inside its network namespace (loopback): no Calico policy applies";

/**
 * A pod → one of its own addresses. The kernel delivers it inside the pod's network namespace
 * over `lo` (the address is local there), so it never crosses the pod's cali interface, where
 * every Calico policy is enforced: not policed, as in Calico. A pod reaching itself through a
 * Service IP (hairpin) is different: the packet leaves for the host, is DNATed back and crosses
 * the interface twice, so the pod's egress and ingress policy both apply (a Service target never
 * takes this path).
 */
export function isSelfFlow(flow: ResolvedFlow): boolean {
  const s = flow.src;
  const d = flow.dst;
  return s.kind === 'workload' && d.kind === 'workload' && s.ep === d.ep;
}

/**
 * Allow (true) or Deny (false) with enforced policies only, no trace: the fast path. Pod → pod
 * flows with an ephemeral source port are memoised per (source class, destination class,
 * protocol, port, ICMP type) — pods of one class are interchangeable (classes.ts) — and
 * evaluated by `decideUncached` on a miss.
 */
export function decide(snap: Snapshot, flow: ResolvedFlow): boolean {
  const s = flow.src;
  const d = flow.dst;
  if (s.kind === 'workload' && d.kind === 'workload') {
    if (s.ep === d.ep) return true; // to itself: not policed (isSelfFlow)
    const cacheable = flow.srcPort < 0 && s.ip === s.ep.ips[0] && d.ip === d.ep.ips[0] && flow.icmpCode <= 0;
    const tbl = cacheable ? verdictTable(snap, flow.proto, flow.dstPort, flow.icmpType) : undefined;
    if (tbl !== undefined) {
      const at = tbl.classOf[s.ep.index]! * tbl.classes + tbl.classOf[d.ep.index]!;
      const v = tbl.table[at]!;
      if (v !== 0) return v === 1;
      const r = decideUncached(snap, flow);
      tbl.table[at] = r ? 1 : 2;
      return r;
    }
  }
  return decideUncached(snap, flow);
}

/**
 * The evaluation behind `decide`, with no verdict memo: every call evaluates the flow. Pod → pod
 * flows without host endpoints go to the indexed evaluator (fast.ts), everything else to the
 * general one (the trace path without its trace). Both give evaluateResolved's action.
 */
export function decideUncached(snap: Snapshot, flow: ResolvedFlow): boolean {
  const s = flow.src;
  const d = flow.dst;
  if (s.kind === 'workload' && d.kind === 'workload') {
    if (s.ep === d.ep) return true; // to itself: not policed (isSelfFlow)
    const r = decidePodToPod(snap, s.ep, s.ip, d.ep, d.ip, flow.proto, flow.dstPort, flow.srcPort, flow.icmpType, flow.icmpCode);
    if (r !== undefined) return r;
  }
  return _evaluate(snap, snap.enforced, flow, null, null) === ALLOW;
}

/** The general evaluator without a trace (what decideUncached falls back to), for tests. */
export function decideGeneral(snap: Snapshot, flow: ResolvedFlow): boolean {
  return _evaluate(snap, snap.enforced, flow, null, null) === ALLOW;
}

/** The full verdict: action, the trace of every stage, per-backend traces, and the staged verdict. */
export function evaluateResolved(snap: Snapshot, flow: ResolvedFlow): Verdict {
  const run = (set: PolicySet): { action: 'Allow' | 'Deny'; stages: Stage[]; backends: BackendOutcome[] } => {
    const stages: Stage[] = [];
    const backends: BackendOutcome[] = [];
    const r = _evaluate(snap, set, flow, stages, backends);
    return { action: r === ALLOW ? 'Allow' : 'Deny', stages, backends };
  };
  const main = run(snap.enforced);
  const out: { -readonly [K in keyof Verdict]: Verdict[K] } = { action: main.action, stages: main.stages };
  if (main.backends.length > 0) {
    out.backends = main.backends.map((b) => ({ backend: b.backend, action: b.outcome === ALLOW ? 'Allow' : 'Deny', stages: b.stages }));
    if (main.backends.length === 1) out.stages = [...main.stages, ...main.backends[0]!.stages];
  }
  if (snap.stagedView !== null) {
    const st = run(snap.stagedView);
    if (st.action !== main.action) {
      const stStages = st.backends.length === 1 ? [...st.stages, ...st.backends[0]!.stages] : st.stages;
      out.staged = { action: st.action, stages: stStages };
    }
  }
  return out;
}

/**
 * The verdict and trace of a flow under one policy set (the enforced set or the staged view),
 * whatever the other gives: what flow logs' pending traces need (evaluateResolved reports the
 * staged verdict only where it differs).
 */
export function evaluateUnder(snap: Snapshot, set: PolicySet, flow: ResolvedFlow): { action: 'Allow' | 'Deny'; stages: Stage[] } {
  const stages: Stage[] = [];
  const backends: BackendOutcome[] = [];
  const r = _evaluate(snap, set, flow, stages, backends);
  return { action: r === ALLOW ? 'Allow' : 'Deny', stages: backends.length === 1 ? [...stages, ...backends[0]!.stages] : stages };
}
