/**
 * @module What the lab writes into the datastore, as data (pure): each worker's Kubernetes Node
 * and Calico Node (addresses, Ready, as a kubelet and calico-node report them), its optional
 * HostEndpoint, a placed pod's status (Running, or the phase its command's exit gives), the
 * scheduler's and kubelet's Events, and what a pod runs (ports, command) read from its spec.
 * In a dual-stack lab the Nodes and Pods carry their IPv6 addresses after the IPv4 ones
 * (Kubernetes lists the primary family first).
 */
import type { StoredObject } from '../datastore/index.js';
import type { PodRecord } from './lab-context.js';
import type { LabPlan, WorkerPlan } from './topology.js';

/** The kubelet version the lab's Nodes report. */
export const KUBELET_VERSION = 'v1.31.0-tabby-lab';

const _ts = (d: Date): string => d.toISOString().replace(/\.\d+Z$/, 'Z');

/** What a lab pod runs, by image: nginx serves HTTP on port 80 (as the image EXPOSEs it). */
export function imagePorts(image: string): number[] {
  return /(^|\/)nginx(:|@|$)/.test(image) ? [80] : [];
}

/** busybox's default command is `sh`. */
export function defaultCommand(image: string): string[] | undefined {
  return /(^|\/)busybox(:|@|$)/.test(image) ? ['sh'] : undefined;
}

/** What the lab reads from a pod's first container (image, command, name, tty) and every container's ports. */
export interface ContainerPlan {
  readonly image: string;
  readonly name: string;
  readonly tty: boolean;
  readonly command: readonly string[] | undefined;
  readonly tcp: readonly number[];
  readonly udp: readonly number[];
}

export function containerPlan(spec: Record<string, unknown> | undefined): ContainerPlan {
  type C = { name?: unknown; image?: unknown; command?: unknown; args?: unknown; tty?: unknown; ports?: { containerPort?: number; protocol?: string }[] };
  const containers = Array.isArray(spec?.['containers']) ? (spec['containers'] as C[]) : [];
  const first = containers[0];
  const image = typeof first?.image === 'string' ? first.image : '';
  const tcp = new Set<number>(imagePorts(image));
  const udp = new Set<number>();
  for (const c of containers)
    for (const p of Array.isArray(c.ports) ? c.ports : []) {
      if (typeof p.containerPort !== 'number') continue;
      if ((p.protocol ?? 'TCP') === 'UDP') udp.add(p.containerPort);
      else if ((p.protocol ?? 'TCP') === 'TCP') tcp.add(p.containerPort);
    }
  const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const explicit = [...strs(first?.command), ...strs(first?.args)];
  return {
    image,
    name: typeof first?.name === 'string' ? first.name : 'c0',
    tty: first?.tty === true,
    command: explicit.length > 0 ? explicit : defaultCommand(image),
    tcp: [...tcp].sort((a, b) => a - b),
    udp: [...udp].sort((a, b) => a - b),
  };
}

/** What calico-node writes on a Kubernetes Node: its BGP addresses with their subnets' prefixes (as the Calico Node's `bgp`). */
function _calicoAddressAnnotations(w: WorkerPlan): Record<string, string> {
  return { 'projectcalico.org/IPv4Address': `${w.privateIp}/24`, ...(w.privateIp6 === undefined ? {} : { 'projectcalico.org/IPv6Address': `${w.privateIp6}/64` }) };
}

/** The Kubernetes Node the lab registers for a worker: its addresses, Ready, as a kubelet reports it. */
export function nodeManifest(plan: LabPlan, w: WorkerPlan, now: Date = new Date()): Record<string, unknown> {
  const t = _ts(now);
  const cond = (type: string, status: string, reason: string, message: string): Record<string, string> => ({ type, status, lastHeartbeatTime: t, lastTransitionTime: t, reason, message });
  const v6 = w.privateIp6 !== undefined && w.publicIp6 !== undefined && w.podCidr6 !== undefined;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    // The same labels as without the lab (the profile's); which lab runs it is an annotation.
    metadata: { name: w.name, labels: { 'kubernetes.io/hostname': w.name, 'kubernetes.io/os': 'linux', ...(plan.nodeLabels ?? {}) }, annotations: { 'tabby.dev/lab': plan.prefix, ..._calicoAddressAnnotations(w) } },
    spec: { podCIDR: w.podCidr, podCIDRs: v6 ? [w.podCidr, w.podCidr6] : [w.podCidr] },
    status: {
      addresses: [
        { type: 'InternalIP', address: w.privateIp },
        ...(v6 ? [{ type: 'InternalIP', address: w.privateIp6 }] : []),
        { type: 'ExternalIP', address: w.publicIp },
        ...(v6 ? [{ type: 'ExternalIP', address: w.publicIp6 }] : []),
        { type: 'Hostname', address: w.name },
      ],
      conditions: [
        cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        cond('Ready', 'True', 'KubeletReady', `lab worker in network namespace ${w.netns}, agent running`),
      ],
      nodeInfo: { kubeletVersion: KUBELET_VERSION, kubeProxyVersion: KUBELET_VERSION, operatingSystem: 'linux', architecture: 'amd64', containerRuntimeVersion: 'tabby-lab://1', kernelVersion: '', osImage: 'Tabby lab', machineID: '', systemUUID: '', bootID: '' },
    },
  };
}

/** The Calico Node calico-node writes for a worker (BGP address and interface addresses). */
export function calicoNodeManifest(w: WorkerPlan): Record<string, unknown> {
  return {
    apiVersion: 'projectcalico.org/v3',
    kind: 'Node',
    metadata: { name: w.name, labels: { 'kubernetes.io/hostname': w.name } },
    spec: {
      bgp: { ipv4Address: `${w.privateIp}/24`, ...(w.privateIp6 === undefined ? {} : { ipv6Address: `${w.privateIp6}/64` }) }, // = _calicoAddressAnnotations
      addresses: [
        { address: w.privateIp, type: 'InternalIP' },
        ...(w.privateIp6 === undefined ? [] : [{ address: w.privateIp6, type: 'InternalIP' }]),
        { address: w.publicIp, type: 'ExternalIP' },
        ...(w.publicIp6 === undefined ? [] : [{ address: w.publicIp6, type: 'ExternalIP' }]),
      ],
    },
  };
}

/** The HostEndpoint of a worker's public interface (`ibm.role: worker_public`). */
export function publicHostEndpointManifest(w: WorkerPlan): Record<string, unknown> {
  return {
    apiVersion: 'projectcalico.org/v3',
    kind: 'HostEndpoint',
    metadata: { name: `${w.name}-public`, labels: { 'ibm.role': 'worker_public' } },
    spec: { node: w.name, interfaceName: 'eth1', expectedIPs: [w.publicIp, ...(w.publicIp6 === undefined ? [] : [w.publicIp6])] },
  };
}

/**
 * A placed pod's status as a kubelet reports it: Running, the conditions kubectl reads
 * (PodScheduled, Initialized, ContainersReady, Ready), and every container ready and running,
 * so `kubectl get pods` shows `1/1 Running`. Times are kept from an earlier write when present.
 */
export function podStatus(cur: { spec?: Record<string, unknown>; status?: Record<string, unknown> }, rec: Pick<PodRecord, 'ip' | 'ip6'>, hostIP: string | undefined, now: Date = new Date()): Record<string, unknown> {
  const prev = cur.status ?? {};
  const t = typeof prev['startTime'] === 'string' ? prev['startTime'] : _ts(now);
  const containers = Array.isArray(cur.spec?.['containers']) ? (cur.spec['containers'] as { name?: unknown; image?: unknown }[]) : [];
  return {
    ...prev,
    phase: 'Running',
    podIP: rec.ip,
    podIPs: [{ ip: rec.ip }, ...(rec.ip6 === undefined ? [] : [{ ip: rec.ip6 }])],
    ...(hostIP !== undefined ? { hostIP, hostIPs: [{ ip: hostIP }] } : {}),
    startTime: t,
    conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: t })),
    containerStatuses: containers.map((c, i) => ({
      name: typeof c.name === 'string' ? c.name : `c${i}`,
      image: typeof c.image === 'string' ? c.image : 'tabby-lab/responder',
      imageID: '',
      containerID: `tabby-lab://${rec.ip}/${i}`,
      ready: true,
      started: true,
      restartCount: 0,
      state: { running: { startedAt: t } },
    })),
  };
}

/** A pod whose command ended: phase Succeeded (exit 0) or Failed, the container terminated, not ready. */
export function terminatedStatus(status: Record<string, unknown>, exit: { code: number; startedAt: string; finishedAt: string }): Record<string, unknown> {
  const reason = exit.code === 0 ? 'Completed' : 'Error';
  const conditions = (status['conditions'] as { type: string }[]).map((c) => (c.type === 'Ready' || c.type === 'ContainersReady' ? { ...c, status: 'False', reason: 'PodCompleted' } : c));
  const containerStatuses = (status['containerStatuses'] as Record<string, unknown>[]).map((c, i) =>
    i === 0 ? { ...c, ready: false, started: false, state: { terminated: { exitCode: exit.code, reason, startedAt: exit.startedAt, finishedAt: exit.finishedAt, containerID: c['containerID'] } } } : c,
  );
  return { ...status, phase: exit.code === 0 ? 'Succeeded' : 'Failed', conditions, containerStatuses };
}

/** A core/v1 Event about a pod, as the scheduler and the kubelet record them; `seq` keeps names unique. */
export function podEventManifest(o: StoredObject, reason: string, message: string, component: string, host: string | undefined, seq: number, now: Date = new Date()): Record<string, unknown> {
  const ts = _ts(now);
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${o.metadata.name ?? ''}.${(BigInt(now.getTime()) * 1000000n + BigInt(seq * 1000 + reason.length)).toString(16)}`, namespace: o.metadata.namespace ?? 'default' },
    involvedObject: { kind: 'Pod', namespace: o.metadata.namespace ?? 'default', name: o.metadata.name ?? '', uid: o.metadata.uid ?? '', apiVersion: 'v1', resourceVersion: o.metadata.resourceVersion ?? '' },
    reason,
    message,
    source: { component, ...(host === undefined ? {} : { host }) },
    firstTimestamp: ts,
    lastTimestamp: ts,
    count: 1,
    type: 'Normal',
    reportingComponent: component,
    reportingInstance: host ?? component,
  };
}
