/**
 * @module Name resolution for lab pods: `ip netns exec <ns>` bind-mounts every file in
 * /etc/netns/<ns>/ over /etc/ for the command it runs, so each pod namespace gets its own
 * /etc/hosts (its Services by name, as cluster DNS would answer: `svc`, `svc.ns`, `svc.ns.svc`,
 * `svc.ns.svc.cluster.local`, and its own name) and /etc/resolv.conf (the cluster search path,
 * no nameserver: names outside the cluster do not resolve). Real resolution (getaddrinfo reads
 * the files), bounded (one small file per pod), and removed with the pod. Only directories named
 * after this lab's own namespaces are touched.
 */
import { mkdirSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';

export const NETNS_ETC = '/etc/netns';

export interface ServiceName {
  readonly namespace: string;
  readonly name: string;
  readonly clusterIP: string;
}

/** /etc/hosts of a pod in `namespace`: its own entry, then every Service with a ClusterIP. Pure. */
export function hostsFile(pod: { namespace: string; name: string; ip: string }, services: readonly ServiceName[]): string {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', `${pod.ip}\t${pod.name}`];
  const sorted = [...services].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  for (const s of sorted) {
    const fq = [`${s.name}.${s.namespace}`, `${s.name}.${s.namespace}.svc`, `${s.name}.${s.namespace}.svc.cluster.local`];
    lines.push(`${s.clusterIP}\t${[...(s.namespace === pod.namespace ? [s.name] : []), ...fq].join(' ')}`);
  }
  return `# Kubernetes-managed hosts file (Tabby lab: cluster DNS for this pod).\n${lines.join('\n')}\n`;
}

export function resolvConf(namespace: string): string {
  return `search ${namespace}.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n`;
}

/** Writes the pod namespace's files (atomically: a running lookup never sees half a file). */
export function writePodEtc(netns: string, hosts: string, resolv: string): void {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(netns)) throw new Error(`lab: refusing /etc/netns path for ${JSON.stringify(netns)}`);
  const dir = join(NETNS_ETC, netns);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of [['hosts', hosts], ['resolv.conf', resolv]] as const) {
    const tmp = join(dir, `.${name}.tmp`);
    writeFileSync(tmp, text);
    renameSync(tmp, join(dir, name));
  }
}

export function removePodEtc(netns: string): void {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(netns)) return;
  rmSync(join(NETNS_ETC, netns), { recursive: true, force: true });
}
