/**
 * @module Management paths and DNS, checked by running the engine on representative flows:
 * - `host-management-cut`: to each host endpoint address, SSH (tcp:22) and the failsafe inbound
 *   ports from outside the cluster (an operator), and kubelet (tcp:10250) and VRRP from another
 *   node on the same side (internal/external); a Deny is attributed to the rule, the first policy
 *   of the tier, or the host endpoint that decided it.
 * - `egress-without-dns`: for every pod class whose egress is policed, UDP 53 to the cluster DNS
 *   (a `k8s-app: kube-dns` pod, else the kube-system/kube-dns Service), or, with no DNS in the
 *   input, whether any Allow or Pass rule of its egress policies could match UDP 53 at all.
 */
import { FieldPath } from '../../model/field/path.js';
import { evaluateFlow } from '../verdicts.js';
import { planFor } from '../resolve.js';
import { protocolName, PROTO, type CompiledRule } from '../match.js';
import { workloadClasses } from '../classes.js';
import type { HostEndpointInfo, Snapshot, WorkloadEndpointInfo } from '../snapshot.js';
import type { Stage } from '../types.js';
import { refOfPolicy } from './refs.js';
import type { LintFinding, LintResourceRef } from './types.js';

/** TEST-NET addresses (RFC 5737): stand-ins for "somewhere outside the cluster". */
const OPERATOR_IP = '198.51.100.10';

interface _Blame {
  readonly resource: LintResourceRef;
  readonly path: FieldPath;
  readonly why: string;
}

function _blame(snap: Snapshot, s: Stage, ep: HostEndpointInfo | WorkloadEndpointInfo | undefined, dir: 'ingress' | 'egress', host: boolean): _Blame | undefined {
  const d = s.decidedBy;
  const spec = FieldPath.root('spec');
  if (d?.kind === 'rule') {
    const p = [...snap.enforced.policies].find((x) => x.id === d.policy);
    if (p !== undefined) return { resource: refOfPolicy(p), path: spec.child(dir).index(d.ruleIndex), why: s.summary };
  }
  if (d?.kind === 'endOfTier' && ep !== undefined) {
    const plan = planFor(snap, snap.enforced, ep, dir, 'normal', host);
    const p = plan.find((t) => t.tier.name === d.tier)?.policies[0];
    if (p !== undefined) return { resource: refOfPolicy(p), path: spec.child(dir), why: s.summary };
  }
  if (ep !== undefined && ep.kind === 'host') return { resource: { kind: 'HostEndpoint', group: 'projectcalico.org', namespace: '', name: ep.name }, path: spec, why: s.summary };
  return undefined;
}

function _group(out: Map<string, { b: _Blame; items: string[] }>, b: _Blame, item: string): void {
  const k = `${b.resource.kind}|${b.resource.namespace}|${b.resource.name}|${b.path.toString()}`;
  const g = out.get(k) ?? out.set(k, { b, items: [] }).get(k)!;
  if (!g.items.includes(item)) g.items.push(item);
}

export function lintHostPaths(snap: Snapshot): LintFinding[] {
  const groups = new Map<string, { b: _Blame; items: string[] }>();
  const nodes = [...snap.nodes.values()];
  for (const hep of snap.hostEndpoints) {
    const node = snap.nodes.get(hep.node);
    const ip = hep.ips[0] ?? node?.internal[0];
    if (node === undefined || ip === undefined) continue;
    const internal = node.internal.some((x) => x.text === ip.text);
    const other = nodes.find((n) => n.name !== node.name && (internal ? n.internal.length > 0 : n.external.length > 0));
    const otherIp = other === undefined ? undefined : internal ? other.internal[0] : other.external[0];
    const checks: { from: string; what: string; port?: number; protocol: string | number }[] = [
      { from: OPERATOR_IP, what: 'SSH tcp:22 from outside the cluster (the operator)', port: 22, protocol: 'TCP' },
      ...snap.felixFor(node.name).failsafeInbound
        .filter((f) => !(f.proto === PROTO.TCP && f.port === 22))
        .map((f) => ({ from: OPERATOR_IP, what: `failsafe ${protocolName(f.proto).toLowerCase()}:${f.port}`, port: f.port, protocol: f.proto })),
    ];
    if (otherIp !== undefined && other !== undefined) {
      checks.push({ from: otherIp.text, what: `kubelet tcp:10250 from node ${other.name}`, port: 10250, protocol: 'TCP' });
      checks.push({ from: otherIp.text, what: `VRRP from node ${other.name}`, protocol: 112 });
    }
    for (const c of checks) {
      const v = evaluateFlow(snap, { from: c.from, to: ip.text, protocol: c.protocol, ...(c.port !== undefined ? { port: c.port } : {}) });
      if (v.action !== 'Deny' || v.error !== undefined) continue;
      const s = v.stages.find((x) => x.action === 'Deny');
      if (s === undefined) continue;
      const ingress = s.stage === 'hostIngress' || s.stage === 'preDNAT' || s.stage === 'untracked';
      const b = _blame(snap, s, ingress ? hep : undefined, ingress ? 'ingress' : 'egress', true);
      if (b !== undefined) _group(groups, b, `${c.what} to ${hep.key} (${ip.text}): ${b.why}`);
    }
  }
  return [...groups.values()].map(({ b, items }) => ({
    code: 'host-management-cut',
    severity: 'warning',
    resource: b.resource,
    path: b.path,
    message: `host endpoint policy cuts management traffic: ${items.join('; ')}`,
  }));
}

/** Could any Allow or Pass rule match UDP to port 53? */
function _mayAllowDns(rules: readonly CompiledRule[]): boolean {
  return rules.some(
    (r) =>
      (r.action === 'Allow' || r.action === 'Pass') &&
      r.invalid === null &&
      (r.proto === -1 || r.proto === PROTO.UDP) &&
      r.notProto !== PROTO.UDP &&
      (r.dst.ports === null || r.dst.ports.some((p) => p.name !== undefined || (p.min <= 53 && 53 <= p.max))),
  );
}

export function lintDns(snap: Snapshot): LintFinding[] {
  const dnsPod = snap.workloads.find((w) => w.namespace === 'kube-system' && w.podLabels['k8s-app'] === 'kube-dns');
  const dnsSvc = snap.services.find((s) => s.namespace === 'kube-system' && s.name === 'kube-dns' && s.clusterIPs.length > 0);
  const target = dnsPod?.key ?? dnsSvc?.clusterIPs[0]?.text;
  const groups = new Map<string, { b: _Blame; items: string[] }>();
  const { reps } = workloadClasses(snap);
  const counts = new Map<string, number>();
  for (const rep of reps) {
    const plan = planFor(snap, snap.enforced, rep, 'egress', 'normal', false);
    if (plan.length === 0 || rep === dnsPod) continue;
    let b: _Blame | undefined;
    if (target !== undefined) {
      const v = evaluateFlow(snap, { from: rep.key, to: target, port: 53, protocol: 'UDP' });
      const s = v.stages.find((x) => x.stage === 'sourceEgress' && x.action === 'Deny');
      if (s === undefined) continue;
      b = _blame(snap, s, rep, 'egress', false);
      if (b !== undefined) b = { ...b, why: `UDP 53 to ${target} is denied (${s.summary})` };
    } else {
      if (plan.some((t) => t.policies.some((p) => _mayAllowDns(p.egressRules)))) continue;
      // Unmatched traffic passes tiers whose default action is Pass (the admin network policy
      // tiers): when every tier does, egress is not default-deny.
      if (plan.every((t) => t.tier.defaultAction === 'Pass')) continue;
      const p = plan[0]!.policies[0]!;
      b = { resource: refOfPolicy(p), path: FieldPath.root('spec').child('egress'), why: 'no egress rule allows UDP 53 to any destination' };
    }
    if (b === undefined) continue;
    _group(groups, b, rep.key);
    const k = `${b.resource.kind}|${b.resource.namespace}|${b.resource.name}|${b.path.toString()}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...groups.entries()].map(([k, { b, items }]) => ({
    code: 'egress-without-dns',
    severity: 'warning',
    resource: b.resource,
    path: b.path,
    message: `egress is default-deny without DNS for pods like ${items.slice(0, 3).join(', ')}${(counts.get(k) ?? 0) > 3 ? ' and others' : ''}: ${b.why}`,
  }));
}
