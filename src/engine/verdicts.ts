/**
 * @module Flows in, verdicts out: endpoint resolution and the `tabby verdict -o json` format.
 *
 * Endpoint resolution: `namespace/pod` names a pod; `node:<name>` a node (its first InternalIP);
 * a bare word is a pod in `default` or else a node name; an IP is a pod IP, else a Service
 * ClusterIP / LoadBalancer IP serving that port and protocol, else a node address (a NodePort
 * there when one matches the port), else an address outside the cluster.
 */
import type { Resource } from '../model/meta.js';
import { ipFromText, type Ip } from './ip.js';
import { PROTO, protocolName, protocolNumber } from './match.js';
import { buildSnapshot, type NodeInfo, type Snapshot } from './snapshot.js';
import { decide, evaluateResolved, type Party, type ResolvedFlow, type Target } from './evaluate.js';
import type { FlowInput, Verdict, VerdictOutput } from './types.js';

export type ResolveResult = { readonly ok: true; readonly flow: ResolvedFlow } | { readonly ok: false; readonly error: string };

function _firstIp(node: NodeInfo): Ip | undefined {
  return node.internal[0] ?? node.addresses[0];
}

function _party(snap: Snapshot, text: string): Party | string {
  const t = text.trim();
  const ip = ipFromText(t);
  if (ip !== undefined) {
    const w = snap.workloadByIp.get(ip.text);
    if (w) return { kind: 'workload', ep: w, ip };
    const n = snap.nodeByIp.get(ip.text);
    if (n) return { kind: 'host', node: n, ip };
    return { kind: 'external', ip };
  }
  if (t.startsWith('node:')) {
    const n = snap.nodes.get(t.slice(5));
    if (!n) return `unknown node ${JSON.stringify(t.slice(5))}`;
    const nip = _firstIp(n);
    return nip ? { kind: 'host', node: n, ip: nip } : `node ${n.name} has no address`;
  }
  const key = t.includes('/') ? t : `default/${t}`;
  const w = snap.workloadByKey.get(key);
  if (w) return { kind: 'workload', ep: w, ip: w.ips[0]! };
  if (!t.includes('/')) {
    const n = snap.nodes.get(t);
    if (n) {
      const nip = _firstIp(n);
      if (nip) return { kind: 'host', node: n, ip: nip };
    }
  }
  return `unknown endpoint ${JSON.stringify(t)} (no pod with an IP, node or IP address by that name)`;
}

function _target(snap: Snapshot, text: string, proto: number, port: number): Target | string {
  const ip = ipFromText(text.trim());
  if (ip !== undefined && !snap.workloadByIp.has(ip.text)) {
    let unserved: string | undefined;
    for (const svc of snap.services) {
      const isCluster = svc.clusterIPs.some((c) => c.text === ip.text);
      const isLb = svc.lbIPs.some((c) => c.text === ip.text);
      if (!isCluster && !isLb) continue;
      const sp = svc.ports.find((p) => p.proto === proto && p.port === port);
      if (sp) return { kind: 'service', svc, port: sp, ip, via: isCluster ? 'clusterIP' : 'loadBalancer', node: undefined };
      unserved ??= `${ip.text} (service ${svc.namespace}/${svc.name}) does not serve ${protocolName(proto)}${port >= 0 ? `/${port}` : ''}`;
    }
    const node = snap.nodeByIp.get(ip.text);
    if (node && port > 0) {
      for (const svc of snap.services) {
        const sp = svc.ports.find((p) => p.nodePort === port && p.proto === proto);
        if (sp) return { kind: 'service', svc, port: sp, ip, via: 'nodePort', node };
      }
    }
    if (unserved !== undefined && !snap.nodeByIp.has(ip.text)) return { kind: 'unserved', ip, reason: unserved };
  }
  return _party(snap, text);
}

const _isPortProto = (p: number): boolean => p === PROTO.TCP || p === PROTO.UDP || p === PROTO.SCTP || p === PROTO.UDPLite;

/** Resolves both ends and the protocol fields of a flow against a snapshot. */
export function resolveFlow(snap: Snapshot, f: FlowInput): ResolveResult {
  const proto = f.protocol === undefined ? PROTO.TCP : protocolNumber(f.protocol);
  if (proto === undefined) return { ok: false, error: `unknown protocol ${JSON.stringify(f.protocol)}` };
  const dstPort = typeof f.port === 'number' && _isPortProto(proto) ? f.port : -1;
  const srcPort = typeof f.srcPort === 'number' ? f.srcPort : -1;
  const src = _party(snap, f.from);
  if (typeof src === 'string') return { ok: false, error: `from: ${src}` };
  const dst = _target(snap, f.to, proto, dstPort);
  if (typeof dst === 'string') return { ok: false, error: `to: ${dst}` };
  if (src.ip.family !== dst.ip.family) return { ok: false, error: 'from and to are of different IP families' };
  const v6 = src.ip.family === 6;
  const icmp = proto === PROTO.ICMP || proto === PROTO.ICMPv6;
  let via: NodeInfo | undefined;
  if (f.via !== undefined) {
    via = snap.nodes.get(f.via);
    if (!via) return { ok: false, error: `via: unknown node ${JSON.stringify(f.via)}` };
  }
  return {
    ok: true,
    flow: {
      src,
      dst,
      proto,
      dstPort,
      srcPort,
      icmpType: icmp ? (f.icmp?.type ?? (v6 ? 128 : 8)) : -1,
      icmpCode: icmp ? (f.icmp?.code ?? 0) : -1,
      via,
    },
  };
}

/** evaluateFlow: the verdict for one flow, with its trace. Unresolvable flows are denied with `error`. */
export function evaluateFlow(snap: Snapshot, f: FlowInput): Verdict {
  const r = resolveFlow(snap, f);
  if (!r.ok) return { action: 'Deny', stages: [], error: r.error };
  return evaluateResolved(snap, r.flow);
}

/** The fast path: Allow? for a flow, no trace (resolve once with resolveFlow, then call `decide`). */
export { decide };

function _output(f: FlowInput, v: Verdict): VerdictOutput {
  const proto = f.protocol ?? 'TCP';
  const n = protocolNumber(proto);
  return {
    from: f.from,
    to: f.to,
    ...(f.port !== undefined ? { port: f.port } : {}),
    protocol: typeof proto === 'string' || n === undefined ? proto : protocolName(n),
    action: v.action,
    ...(v.staged !== undefined ? { staged: v.staged.action } : {}),
    trace: v.stages,
    ...(v.backends !== undefined && v.backends.length > 1 ? { backends: v.backends } : {}),
    ...(v.error !== undefined ? { error: v.error } : {}),
  };
}

/** `tabby verdict`: resources (decoded) + flows → one output record per flow, in order. */
export function runVerdicts(resources: readonly Resource[] | Snapshot, flows: readonly FlowInput[]): VerdictOutput[] {
  const snap = Array.isArray(resources) ? buildSnapshot(resources as readonly Resource[]) : (resources as Snapshot);
  return flows.map((f) => _output(f, evaluateFlow(snap, f)));
}

/** Decodes flows.json content: an array of {from, to, port?, protocol?, ...}; errors by index. */
export function decodeFlows(raw: unknown): { flows: FlowInput[]; errors: string[] } {
  const errors: string[] = [];
  const flows: FlowInput[] = [];
  const list = Array.isArray(raw) ? raw : raw !== null && typeof raw === 'object' && Array.isArray((raw as { flows?: unknown }).flows) ? (raw as { flows: unknown[] }).flows : undefined;
  if (list === undefined) return { flows, errors: ['flows: expected a JSON array of {from, to, port, protocol}'] };
  list.forEach((x, i) => {
    if (x === null || typeof x !== 'object') {
      errors.push(`flows[${i}]: expected an object`);
      return;
    }
    const o = x as Record<string, unknown>;
    const bad: string[] = [];
    if (typeof o['from'] !== 'string') bad.push('`from` must be a string');
    if (typeof o['to'] !== 'string') bad.push('`to` must be a string');
    if (o['port'] !== undefined && (typeof o['port'] !== 'number' || !Number.isInteger(o['port']) || o['port'] < 0 || o['port'] > 65535))
      bad.push('`port` must be an integer 0-65535');
    if (o['protocol'] !== undefined && typeof o['protocol'] !== 'string' && typeof o['protocol'] !== 'number') bad.push('`protocol` must be a string or number');
    if (bad.length > 0) {
      errors.push(...bad.map((b) => `flows[${i}]: ${b}`));
      return;
    }
    flows.push(o as unknown as FlowInput);
  });
  return { flows, errors };
}
