/**
 * @module The probe matrix: real packets from every source (pods, workers, the internet client,
 * the unrelated system) to every pod port, ICMP, Service ClusterIPs, NodePorts and
 * LoadBalancer IPs, next to the engine's verdict for the same flow, with every disagreement
 * flagged.
 *
 * A probe is `open` (connected / answered), `refused` (RST or ICMP unreachable: the packet got
 * through policy, nothing listened), `timeout` (dropped) or `error`. Allowed = open or refused.
 * A flow the engine allows that timed out is probed once more with a longer timeout before it
 * counts as a disagreement (a loaded machine can be slow; a drop stays a drop).
 */
import { runVerdicts, type FlowInput, type Snapshot } from '../engine/index.js';
import type { Lab, PodRecord } from './controller.js';
import type { ProbeProto, ProbeResult } from './responder.js';

export interface ProbeFlow {
  /** Source: `ns/pod`, `node:<worker>`, `internet`, `system`, or a client host's name. */
  readonly from: string;
  /** What the user reads: `ns/pod`, `svc ns/name`, `nodeport worker1`, … */
  readonly toLabel: string;
  readonly ip: string;
  readonly proto: ProbeProto;
  readonly port: number;
  /** The source address the engine judges, when not the source's first (IPv4) one: an IPv6 flow's. */
  readonly fromIp?: string;
}

export interface ProbeRow {
  readonly flow: ProbeFlow;
  readonly engine: 'Allow' | 'Deny';
  readonly engineError?: string;
  readonly real: ProbeResult;
  readonly agree: boolean;
}

export const isAllowed = (r: ProbeResult): boolean => r === 'open' || r === 'refused';

/** The engine's name for a probe source (an IP for the clients). */
export function engineSource(lab: Pick<Lab, 'plan'>, from: string): string {
  if (from === 'internet') return lab.plan.internet.ip;
  if (from === 'system') return lab.plan.system.ip;
  const client = (lab.plan.clients ?? []).find((c) => c.name === from);
  if (client !== undefined) return client.ip;
  return from;
}

/** Every flow of the default matrix for the lab's current pods and services. */
export function matrixFlows(lab: Pick<Lab, 'plan'>, pods: readonly PodRecord[], snap: Snapshot, opts: { icmp?: boolean; sources?: readonly string[]; nodePorts?: readonly number[] } = {}): ProbeFlow[] {
  const sources = opts.sources ?? [...pods.map((p) => p.key), ...lab.plan.workers.map((w) => `node:${w.name}`), 'internet', 'system'];
  const flows: ProbeFlow[] = [];
  const sorted = [...pods].sort((a, b) => a.key.localeCompare(b.key));
  const external = (from: string): boolean => from === 'internet' || from === 'system';
  for (const from of sources) {
    // Pod addresses are not routed outside the cluster: clients reach it through node
    // addresses, NodePorts and LoadBalancer IPs only.
    // A pod → itself is included: it is not policed (it never leaves the pod), and the engine must say so.
    for (const p of external(from) ? [] : sorted) {
      for (const port of p.tcp) flows.push({ from, toLabel: p.key, ip: p.ip, proto: 'tcp', port });
      for (const port of p.udp) flows.push({ from, toLabel: p.key, ip: p.ip, proto: 'udp', port });
      if (opts.icmp ?? true) flows.push({ from, toLabel: p.key, ip: p.ip, proto: 'icmp', port: 0 });
    }
    for (const w of lab.plan.workers) {
      if (from === `node:${w.name}`) continue;
      const addr = from === 'internet' ? w.publicIp : w.privateIp;
      for (const port of opts.nodePorts ?? []) flows.push({ from, toLabel: `node:${w.name}`, ip: addr, proto: 'tcp', port });
      if (opts.icmp ?? true) flows.push({ from, toLabel: `node:${w.name}`, ip: addr, proto: 'icmp', port: 0 });
    }
    for (const svc of snap.services) {
      const name = `${svc.namespace}/${svc.name}`;
      for (const sp of svc.ports) {
        const proto = sp.proto === 6 ? 'tcp' : sp.proto === 17 ? 'udp' : undefined;
        if (proto === undefined) continue;
        if (!external(from))
          for (const c of svc.clusterIPs) flows.push({ from, toLabel: `svc ${name}`, ip: c.text, proto, port: sp.port });
        if (from === 'internet') {
          for (const lb of svc.lbIPs) flows.push({ from, toLabel: `lb ${name}`, ip: lb.text, proto, port: sp.port });
          if (sp.nodePort > 0) for (const w of lab.plan.workers) flows.push({ from, toLabel: `nodeport ${name} ${w.name}`, ip: w.publicIp, proto, port: sp.nodePort });
        }
      }
    }
  }
  return flows;
}

/** The engine's flow for a probe; a ping to an IPv6 address is ICMPv6 (protocol 58). */
export function engineInput(lab: Pick<Lab, 'plan'>, f: ProbeFlow): FlowInput {
  const protocol = f.proto === 'icmp' && f.ip.includes(':') ? 'ICMPv6' : f.proto.toUpperCase();
  return { from: f.fromIp ?? engineSource(lab, f.from), to: f.ip, protocol, ...(f.proto !== 'icmp' ? { port: f.port } : {}) };
}

/** Probes every flow (concurrently, bounded by `timeoutMs` each) and compares with the engine. */
export async function runProbe(lab: Pick<Lab, 'plan' | 'probe'>, snap: Snapshot, flows: readonly ProbeFlow[], timeoutMs = 300): Promise<ProbeRow[]> {
  const verdicts = runVerdicts(snap, flows.map((f) => engineInput(lab, f)));
  const first = await Promise.all(flows.map((f) => lab.probe(f.from, f.proto, f.ip, f.port, timeoutMs)));
  const retry = flows.map((_, i) => verdicts[i]!.action === 'Allow' && !isAllowed(first[i]!));
  const second = await Promise.all(flows.map((f, i) => (retry[i] ? lab.probe(f.from, f.proto, f.ip, f.port, Math.max(1000, timeoutMs * 4)) : Promise.resolve(first[i]!))));
  return flows.map((flow, i) => {
    const v = verdicts[i]!;
    const real = second[i]!;
    return { flow, engine: v.action, ...(v.error !== undefined ? { engineError: v.error } : {}), real, agree: isAllowed(real) === (v.action === 'Allow') && real !== 'error' };
  });
}

/** The matrix as text: one line per flow, `!!` marking disagreements, then a summary line. */
export function formatProbe(rows: readonly ProbeRow[]): string {
  const cells = rows.map((r) => [
    r.agree ? '  ' : '!!',
    r.flow.from,
    r.flow.toLabel,
    `${r.flow.ip}${r.flow.proto === 'icmp' ? '' : `:${r.flow.port}`}`,
    r.flow.proto.toUpperCase(),
    r.engine,
    r.real,
  ]);
  const head = ['', 'FROM', 'TO', 'ADDRESS', 'PROTO', 'ENGINE', 'REAL'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const fmt = (c: readonly string[]): string => c.map((x, i) => x.padEnd(widths[i]!)).join('  ').trimEnd();
  const agree = rows.filter((r) => r.agree).length;
  return [fmt(head), ...cells.map(fmt), `${agree}/${rows.length} flows agree`, ''].join('\n');
}
