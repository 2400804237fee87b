/**
 * @module The lab's kube-proxy: Service NAT for one worker, rendered as one `iptables-restore`
 * input for the nat table (pure), and applied inside the worker namespace (applyKubeProxy).
 *
 * The lab owns the whole nat table of a worker namespace (the agent programs raw, mangle and
 * filter only), so a full restore of `*nat` replaces everything we wrote before and nothing
 * else. Chains follow kube-proxy's iptables mode: KUBE-SERVICES (ClusterIP and LoadBalancer IP
 * matches, then NodePorts for local addresses), KUBE-SVC-* (random choice among endpoints),
 * KUBE-EXT-* (external traffic: masquerade for Cluster policy; local endpoints only for Local),
 * KUBE-SEP-* (DNAT to one endpoint), KUBE-MARK-MASQ / KUBE-POSTROUTING (0x4000 masquerade mark),
 * plus TABBY-NAT-OUTGOING: pod traffic leaving the cluster (not to a pod or a worker) is
 * masqueraded, as Calico's natOutgoing does.
 */
import { hexEncode, sha256 } from '../lib/sha2.js';
import { protocolName, resolveTargetPort, type Snapshot, type WorkloadEndpointInfo } from '../engine/index.js';
import type { CommandRunner } from '../sys/index.js';
import type { LabPlan, WorkerPlan } from './topology.js';

const MASQ = '0x4000/0x4000';

const _id = (kind: string, key: string): string => `${kind}-${hexEncode(sha256(key)).slice(0, 16).toUpperCase()}`;

/** The nat table for `worker` (iptables-restore input, flushing only `*nat`). Deterministic. */
export function renderKubeProxy(snap: Snapshot, plan: LabPlan, worker: WorkerPlan): string {
  const chains = new Set<string>(['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ', 'TABBY-NAT-OUTGOING']);
  const rules: string[] = [
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
    '-A POSTROUTING -j TABBY-NAT-OUTGOING',
    `-A KUBE-MARK-MASQ -j MARK --set-xmark ${MASQ}`,
    `-A KUBE-POSTROUTING -m mark ! --mark ${MASQ} -j RETURN`,
    '-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
    '-A KUBE-POSTROUTING -j MASQUERADE',
    `-A TABBY-NAT-OUTGOING -d ${plan.podSupernet} -j RETURN`,
    ...plan.workers.flatMap((w) => [`-A TABBY-NAT-OUTGOING -d ${w.privateIp}/32 -j RETURN`, `-A TABBY-NAT-OUTGOING -d ${w.publicIp}/32 -j RETURN`]),
    `-A TABBY-NAT-OUTGOING -s ${plan.podSupernet} -j MASQUERADE`,
  ];
  const nodePortRules: string[] = [];
  const services = [...snap.services].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  for (const svc of services) {
    for (const sp of svc.ports) {
      const proto = protocolName(sp.proto).toLowerCase();
      if (proto !== 'tcp' && proto !== 'udp') continue;
      const key = `${svc.namespace}/${svc.name}:${proto}/${sp.port}`;
      const comment = `-m comment --comment "${svc.namespace}/${svc.name}:${sp.name || sp.port}"`;
      const eps: { b: WorkloadEndpointInfo; ip: string; port: number }[] = [];
      for (const b of svc.backends) {
        const port = resolveTargetPort(b, sp);
        const ip = b.ips.find((i) => i.family === 4);
        if (port !== undefined && ip !== undefined) eps.push({ b, ip: ip.text, port });
      }
      const svcChain = _id('KUBE-SVC', key);
      chains.add(svcChain);
      const sepFor = (e: { ip: string; port: number }): string => {
        const sep = _id('KUBE-SEP', `${key}>${e.ip}:${e.port}`);
        if (!chains.has(sep)) {
          chains.add(sep);
          rules.push(`-A ${sep} ${comment} -s ${e.ip}/32 -j KUBE-MARK-MASQ`);
          rules.push(`-A ${sep} ${comment} -p ${proto} -j DNAT --to-destination ${e.ip}:${e.port}`);
        }
        return sep;
      };
      const spread = (chain: string, list: readonly { ip: string; port: number }[]): void => {
        if (list.length === 0) {
          rules.push(`-A ${chain} ${comment} -p ${proto} -j DNAT --to-destination ${plan.blackhole}`);
          return;
        }
        list.forEach((e, i) => {
          const left = list.length - i;
          const stat = left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(11)}` : '';
          rules.push(`-A ${chain} ${comment}${stat} -j ${sepFor(e)}`);
        });
      };
      spread(svcChain, eps);
      for (const cip of svc.clusterIPs.filter((i) => i.family === 4))
        rules.push(`-A KUBE-SERVICES ${comment} -d ${cip.text}/32 -p ${proto} -m ${proto} --dport ${sp.port} -j ${svcChain}`);
      const external = sp.nodePort > 0 || svc.lbIPs.length > 0;
      if (!external) continue;
      const extChain = _id('KUBE-EXT', key);
      chains.add(extChain);
      if (svc.externalTrafficPolicy === 'Local') {
        // Pods of this node reaching the service keep the cluster-wide choice (kube-proxy does the same).
        rules.push(`-A ${extChain} ${comment} -s ${plan.podSupernet} -j ${svcChain}`);
        spread(extChain, eps.filter((e) => e.b.node === worker.name));
      } else {
        rules.push(`-A ${extChain} ${comment} -j KUBE-MARK-MASQ`);
        rules.push(`-A ${extChain} ${comment} -j ${svcChain}`);
      }
      for (const lb of svc.lbIPs.filter((i) => i.family === 4))
        rules.push(`-A KUBE-SERVICES ${comment} -d ${lb.text}/32 -p ${proto} -m ${proto} --dport ${sp.port} -j ${extChain}`);
      if (sp.nodePort > 0) nodePortRules.push(`-A KUBE-NODEPORTS ${comment} -p ${proto} -m ${proto} --dport ${sp.nodePort} -j ${extChain}`);
    }
  }
  rules.push('-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS', ...nodePortRules);
  return [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    ...[...chains].sort().map((c) => `:${c} - [0:0]`),
    ...rules,
    'COMMIT',
    '',
  ].join('\n');
}

/** Replaces the nat table of the runner's namespace with `restore` (see renderKubeProxy). */
export async function applyKubeProxy(runner: CommandRunner, restore: string): Promise<void> {
  const r = await runner.run({ argv: ['iptables-restore', '-w', '5'], stdin: restore, timeoutMs: 20_000 });
  if (r.code !== 0) throw new Error(`kube-proxy: iptables-restore failed (${r.code}): ${r.stderr.trim()}`);
}
