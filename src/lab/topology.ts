/**
 * @module The lab's topology as data: from a LabSpec (prefix, worker count) to the namespaces,
 * links, addresses and routes that make the cluster, and the `ip` commands that build it. Pure:
 * no I/O; the same spec always gives the same plan.
 *
 * Layout (every address inside 198.18.0.0/15, every device inside a lab namespace):
 *
 *   <p>-fab     the fabric: bridges `brpriv` (private VLAN 198.18.0.0/24) and `brpub`
 *               (public VLAN 198.18.1.0/24); one veth end per attached host
 *   <p>-wN      worker N: eth0 198.18.0.(10+N) private, eth1 198.18.1.(10+N) public,
 *               pod range 198.19.N.0/24, a route to every other worker's pod range via its
 *               private address, a default route via the internet client, ip_forward on
 *   <p>-inet    an "internet" client on the public VLAN (198.18.1.250), with a route to the
 *               LoadBalancer range via worker 1's public address (the load balancer)
 *   <p>-sys     an unrelated system on the private VLAN (198.18.0.250)
 *   <p>-pK      pod K (see podSteps): eth0 with a /32, joined to its worker by a `cali…` veth
 *   <p>-c<name> a client host added later (addHostSteps) on either VLAN, at .200-.253
 *
 * Dual stack (`dualStack: true`) adds IPv6 from 2001:db8::/32 (documentation space), inside the
 * lab's namespaces only, mirroring the IPv4 plan: private VLAN 2001:db8:18::/64 and public VLAN
 * 2001:db8:18:1::/64 (worker N at `::(10+N)` of each, the internet client at
 * 2001:db8:18:1::250, the system at 2001:db8:18::250), worker N's pods in 2001:db8:19:N::/64
 * (a pod gets the same host number as its IPv4 address), IPv6 forwarding on the workers, routes
 * to the other workers' pod ranges and a default route via the internet client. Pods reach
 * their worker through Calico's link-local gateway fe80::ecee:eeff:feee:eeee, resolved by a
 * static neighbour entry (no address is added for it). Services stay IPv4.
 *
 * A worker added to a running lab (addWorkerSteps) is wired exactly as upSteps wires it, plus a
 * route to its pod range on every other worker.
 *
 * Invariants: every namespace name starts with `<prefix>-`; interface names are ≤ 15 chars;
 * `namespaces(plan)` lists exactly what `upSteps` creates (pods are tracked by the controller).
 */

import { SERVICE_CLUSTER_IP_RANGE } from '../model/k8s/defaults.js';

export interface LabSpec {
  /** `tby` + random characters; every namespace is `<prefix>-…`. */
  readonly prefix: string;
  readonly workers: number;
  /** Node names: `{i}` is the worker's 1-based index. Default `worker{i}`. */
  readonly nodeNames?: string;
  /** Labels every worker's Node carries (a cluster profile's: worker pool, zone, role). */
  readonly nodeLabels?: Readonly<Record<string, string>>;
  /** Also give workers and pods IPv6 addresses (see the module doc). */
  readonly dualStack?: boolean;
  /** A distributed lab: this many etcd members and API servers (controlPlanePlan). */
  readonly controlPlane?: { readonly etcd: number; readonly apiservers: number };
}

export interface WorkerPlan {
  /** The node name in the datastore. */
  readonly name: string;
  readonly netns: string;
  readonly index: number;
  readonly privateIp: string;
  readonly publicIp: string;
  /** /24 pod range. */
  readonly podCidr: string;
  /** Dual stack only: the IPv6 addresses and /64 pod range. */
  readonly privateIp6?: string;
  readonly publicIp6?: string;
  readonly podCidr6?: string;
}

export interface HostPlan {
  readonly name: string;
  readonly netns: string;
  readonly ip: string;
  /** Dual stack only (internet and system; clients added later are IPv4). */
  readonly ip6?: string;
  readonly vlan: 'private' | 'public';
}

export interface LabPlan {
  readonly prefix: string;
  readonly fabric: string;
  readonly workers: readonly WorkerPlan[];
  readonly internet: HostPlan;
  readonly system: HostPlan;
  /** Extra client hosts added to a running lab (addHostSteps), e.g. a second internet client. */
  readonly clients?: readonly HostPlan[];
  /** Covers every worker's pod range. */
  readonly podSupernet: string;
  readonly privateCidr: string;
  readonly publicCidr: string;
  /** Where the lab allocates Service ClusterIPs and LoadBalancer IPs. */
  readonly serviceCidr: string;
  readonly lbCidr: string;
  /** kube-proxy sends Service traffic with no endpoint here (nat cannot DROP); blackholed on workers. */
  readonly blackhole: string;
  /** How workers are named (`{i}`: index); absent in older state files, meaning `worker{i}`. */
  readonly nodeNames?: string;
  /** Labels every worker's Node carries besides hostname and os (absent: none). */
  readonly nodeLabels?: Readonly<Record<string, string>>;
  /**
   * The distributed lab's control plane (src/lab/distributed): etcd members, API servers and an
   * admin host, each its own namespace on the private VLAN. Absent: the single-process lab.
   */
  readonly controlPlane?: ControlPlanePlan;
  /** Dual stack: the IPv6 side of the plan (absent: IPv4 only). */
  readonly dualStack?: boolean;
  readonly podSupernet6?: string;
  readonly privateCidr6?: string;
  readonly publicCidr6?: string;
}

/** The distributed lab's control-plane hosts (namespaces on the private VLAN, .100-.199). */
export interface ControlPlanePlan {
  /** etcd-1..N at 198.18.0.(100+N), namespaces `<p>-e<N>`. */
  readonly etcd: readonly HostPlan[];
  /** apiserver-1..N at 198.18.0.(110+N), namespaces `<p>-a<N>`. */
  readonly apiservers: readonly HostPlan[];
  /** The operator's machine at 198.18.0.99 (`<p>-adm`): where the host's API port is relayed from. */
  readonly admin: HostPlan;
}

export const MAX_ETCD_MEMBERS = 7;
export const MAX_APISERVERS = 5;

/** The control-plane hosts of a distributed lab with this prefix. */
export function controlPlanePlan(prefix: string, etcd: number, apiservers: number): ControlPlanePlan {
  if (!Number.isInteger(etcd) || etcd < 1 || etcd > MAX_ETCD_MEMBERS) throw new Error(`etcd members must be 1-${MAX_ETCD_MEMBERS}`);
  if (!Number.isInteger(apiservers) || apiservers < 1 || apiservers > MAX_APISERVERS) throw new Error(`API servers must be 1-${MAX_APISERVERS}`);
  const host = (name: string, ns: string, ip: string): HostPlan => ({ name, netns: `${prefix}-${ns}`, ip, vlan: 'private' });
  return {
    etcd: Array.from({ length: etcd }, (_, i) => host(`etcd-${i + 1}`, `e${i + 1}`, `198.18.0.${101 + i}`)),
    apiservers: Array.from({ length: apiservers }, (_, i) => host(`apiserver-${i + 1}`, `a${i + 1}`, `198.18.0.${111 + i}`)),
    admin: host('admin', 'adm', '198.18.0.99'),
  };
}

/** The control-plane hosts of a plan, in the order they are wired (etcd, API servers, admin). */
export function controlPlaneHosts(plan: LabPlan): HostPlan[] {
  const cp = plan.controlPlane;
  return cp === undefined ? [] : [...cp.etcd, ...cp.apiservers, cp.admin];
}

export const MAX_WORKERS = 50;
export const PREFIX_RE = /^tby[a-z0-9]{3,6}$/;

export function planLab(spec: LabSpec): LabPlan {
  if (!PREFIX_RE.test(spec.prefix)) throw new Error(`invalid lab prefix ${JSON.stringify(spec.prefix)} (want tby + 3-6 of [a-z0-9])`);
  if (!Number.isInteger(spec.workers) || spec.workers < 1 || spec.workers > MAX_WORKERS) throw new Error(`workers must be 1-${MAX_WORKERS}`);
  const p = spec.prefix;
  const nodeNames = spec.nodeNames ?? DEFAULT_NODE_NAMES;
  checkNodeNames(nodeNames);
  const dual = spec.dualStack === true;
  const workers: WorkerPlan[] = [];
  for (let i = 1; i <= spec.workers; i++) workers.push(workerPlan(p, i, nodeNames, dual));
  return {
    prefix: p,
    nodeNames,
    ...(spec.nodeLabels === undefined ? {} : { nodeLabels: { ...spec.nodeLabels } }),
    ...(dual ? { dualStack: true, podSupernet6: '2001:db8:19::/48', privateCidr6: '2001:db8:18::/64', publicCidr6: '2001:db8:18:1::/64' } : {}),
    ...(spec.controlPlane === undefined ? {} : { controlPlane: controlPlanePlan(p, spec.controlPlane.etcd, spec.controlPlane.apiservers) }),
    fabric: `${p}-fab`,
    workers,
    internet: { name: 'internet', netns: `${p}-inet`, ip: '198.18.1.250', ...(dual ? { ip6: '2001:db8:18:1::250' } : {}), vlan: 'public' },
    system: { name: 'system', netns: `${p}-sys`, ip: '198.18.0.250', ...(dual ? { ip6: '2001:db8:18::250' } : {}), vlan: 'private' },
    clients: [],
    podSupernet: '198.19.0.0/16',
    privateCidr: '198.18.0.0/24',
    publicCidr: '198.18.1.0/24',
    serviceCidr: SERVICE_CLUSTER_IP_RANGE,
    lbCidr: '198.18.32.0/24',
    blackhole: '198.18.255.254',
  };
}

export const DEFAULT_NODE_NAMES = 'worker{i}';

/** A node-name pattern must contain `{i}` and give DNS subdomains (as Kubernetes Node names are). */
export function checkNodeNames(pattern: string): void {
  const sample = pattern.replaceAll('{i}', String(MAX_WORKERS));
  if (!pattern.includes('{i}') || sample.length > 253 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(sample))
    throw new Error(`invalid node name pattern ${JSON.stringify(pattern)} (want a DNS subdomain containing {i}, e.g. worker{i})`);
}

/**
 * Worker `i` (1-based) of a lab with this prefix. The addresses are the cluster's address plan,
 * the same with or without the lab: the cluster profiles declare exactly these (a test holds
 * them equal), and `tabby up` refuses a lab whose workers differ from its profile's.
 */
export function workerPlan(prefix: string, i: number, nodeNames: string = DEFAULT_NODE_NAMES, dualStack = false): WorkerPlan {
  return {
    name: nodeNames.replaceAll('{i}', String(i)),
    netns: `${prefix}-w${i}`,
    index: i,
    privateIp: `198.18.0.${10 + i}`,
    publicIp: `198.18.1.${10 + i}`,
    podCidr: `198.19.${i}.0/24`,
    ...(dualStack ? { privateIp6: `2001:db8:18::${10 + i}`, publicIp6: `2001:db8:18:1::${10 + i}`, podCidr6: `2001:db8:19:${i}::/64` } : {}),
  };
}

/** Every namespace the plan's infrastructure uses (upSteps, addWorkerSteps, addHostSteps), fabric first. */
export function namespaces(plan: LabPlan): string[] {
  return [plan.fabric, ...plan.workers.map((w) => w.netns), plan.internet.netns, plan.system.netns, ...(plan.clients ?? []).map((c) => c.netns), ...controlPlaneHosts(plan).map((h) => h.netns)];
}

export const CLIENT_NAME_RE = /^[a-z][a-z0-9]{0,9}$/;

/** A client host `name` on a VLAN at `ip` (validated: a short name, an address of that VLAN's /24, not taken). */
export function clientPlan(plan: LabPlan, name: string, vlan: 'private' | 'public', ip: string): HostPlan {
  if (!CLIENT_NAME_RE.test(name)) throw new Error(`invalid client name ${JSON.stringify(name)} (want 1-10 of [a-z0-9], starting with a letter)`);
  const taken = [plan.internet, plan.system, ...(plan.clients ?? [])];
  if (taken.some((h) => h.name === name) || name.startsWith('node')) throw new Error(`client name ${JSON.stringify(name)} is taken`);
  const cidr = vlan === 'private' ? plan.privateCidr : plan.publicCidr;
  const base = cidr.split('/')[0]!;
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip) || ipToNum(ip) - ipToNum(base) < 200 || ipToNum(ip) - ipToNum(base) > 253)
    throw new Error(`client address ${ip} must be in ${cidr}, .200-.253 (below .200 belongs to workers)`);
  if (taken.some((h) => h.ip === ip)) throw new Error(`client address ${ip} is taken`);
  return { name, netns: `${plan.prefix}-c${name}`, ip, vlan };
}

/** The plan with one more worker (index = count + 1). */
export function planWithWorker(plan: LabPlan): { plan: LabPlan; worker: WorkerPlan } {
  const i = plan.workers.length + 1;
  if (i > MAX_WORKERS) throw new Error(`workers must be 1-${MAX_WORKERS}`);
  const worker = workerPlan(plan.prefix, i, plan.nodeNames, plan.dualStack === true);
  return { plan: { ...plan, workers: [...plan.workers, worker] }, worker };
}

/** One command; `ip netns add` steps are marked so a builder can record what it created. */
export interface Step {
  readonly argv: readonly string[];
  readonly createsNetns?: string;
}

const ip = (...a: string[]): Step => ({ argv: ['ip', ...a] });
const inNs = (ns: string, ...a: string[]): Step => ({ argv: ['ip', 'netns', 'exec', ns, ...a] });
const sysctl = (ns: string, kv: string): Step => inNs(ns, 'sysctl', '-qw', kv);

function _attach(plan: LabPlan, ns: string, bridge: string, peer: string, dev: string, addr: string, addr6?: string): Step[] {
  return [
    ip('-n', plan.fabric, 'link', 'add', peer, 'type', 'veth', 'peer', 'name', dev, 'netns', ns),
    ip('-n', plan.fabric, 'link', 'set', peer, 'master', bridge, 'up'),
    ip('-n', ns, 'addr', 'add', addr, 'dev', dev),
    // `nodad`: usable at once (no duplicate address detection on the lab's own VLANs).
    ...(addr6 === undefined ? [] : [ip('-n', ns, '-6', 'addr', 'add', addr6, 'dev', dev, 'nodad')]),
    ip('-n', ns, 'link', 'set', dev, 'up'),
  ];
}

/** The commands that build the lab (namespaces, fabric, workers, clients), in order. */
export function upSteps(plan: LabPlan): Step[] {
  const steps: Step[] = [];
  for (const ns of namespaces(plan)) {
    steps.push({ argv: ['ip', 'netns', 'add', ns], createsNetns: ns });
    steps.push(ip('-n', ns, 'link', 'set', 'lo', 'up'));
  }
  for (const br of ['brpriv', 'brpub']) steps.push(ip('-n', plan.fabric, 'link', 'add', br, 'type', 'bridge'), ip('-n', plan.fabric, 'link', 'set', br, 'up'));
  for (const w of plan.workers) steps.push(..._workerWiring(plan, w));
  steps.push(..._hostWiring(plan, plan.internet, 'inet'));
  steps.push(..._hostWiring(plan, plan.system, 'sys'));
  for (const c of plan.clients ?? []) steps.push(..._hostWiring(plan, c, `c${c.name}`));
  for (const h of controlPlaneHosts(plan)) steps.push(..._hostWiring(plan, h, h.netns.slice(plan.prefix.length + 1)));
  return steps;
}

function _workerWiring(plan: LabPlan, w: WorkerPlan): Step[] {
  const steps: Step[] = [];
  const v6 = (a: string | undefined, len: number): string | undefined => (a === undefined ? undefined : `${a}/${len}`);
  steps.push(..._attach(plan, w.netns, 'brpriv', `w${w.index}priv`, 'eth0', `${w.privateIp}/24`, v6(w.privateIp6, 64)));
  steps.push(..._attach(plan, w.netns, 'brpub', `w${w.index}pub`, 'eth1', `${w.publicIp}/24`, v6(w.publicIp6, 64)));
  steps.push(sysctl(w.netns, 'net.ipv4.ip_forward=1'), sysctl(w.netns, 'net.ipv4.conf.all.rp_filter=0'), sysctl(w.netns, 'net.ipv4.conf.default.rp_filter=0'));
  if (w.privateIp6 !== undefined) steps.push(sysctl(w.netns, 'net.ipv6.conf.all.forwarding=1'));
  for (const o of plan.workers) if (o !== w) steps.push(..._podRangeRoutes(w, o));
  // Host-originated Service traffic leaves from the InternalIP (then kube-proxy DNATs it);
  // anything else goes to the "internet".
  steps.push(ip('-n', w.netns, 'route', 'add', plan.serviceCidr, 'dev', 'eth0', 'scope', 'link'));
  steps.push(ip('-n', w.netns, 'route', 'add', 'default', 'via', plan.internet.ip, 'dev', 'eth1'));
  if (w.publicIp6 !== undefined && plan.internet.ip6 !== undefined) steps.push(ip('-n', w.netns, '-6', 'route', 'add', 'default', 'via', plan.internet.ip6, 'dev', 'eth1'));
  steps.push(ip('-n', w.netns, 'route', 'add', 'blackhole', `${plan.blackhole}/32`));
  return steps;
}

/** On worker `w`: routes to worker `o`'s pod ranges via its private addresses. */
function _podRangeRoutes(w: WorkerPlan, o: WorkerPlan): Step[] {
  const steps = [ip('-n', w.netns, 'route', 'add', o.podCidr, 'via', o.privateIp, 'dev', 'eth0')];
  if (w.privateIp6 !== undefined && o.podCidr6 !== undefined && o.privateIp6 !== undefined) steps.push(ip('-n', w.netns, '-6', 'route', 'add', o.podCidr6, 'via', o.privateIp6, 'dev', 'eth0'));
  return steps;
}

function _hostWiring(plan: LabPlan, h: HostPlan, peer: string): Step[] {
  const steps = _attach(plan, h.netns, h.vlan === 'public' ? 'brpub' : 'brpriv', peer, 'eth0', `${h.ip}/24`, h.ip6 === undefined ? undefined : `${h.ip6}/64`);
  // Public clients reach LoadBalancer IPs through worker 1 (the load balancer).
  const lb = plan.workers[0];
  if (h.vlan === 'public' && lb) steps.push(ip('-n', h.netns, 'route', 'add', plan.lbCidr, 'via', lb.publicIp, 'dev', 'eth0'));
  return steps;
}

/**
 * The commands that add worker `w` to a running lab built from `plan` (the plan before the
 * worker): its namespace and wiring, and a route to its pod range on every existing worker.
 */
export function addWorkerSteps(plan: LabPlan, w: WorkerPlan): Step[] {
  const next: LabPlan = { ...plan, workers: [...plan.workers.filter((o) => o.name !== w.name), w] };
  return [
    { argv: ['ip', 'netns', 'add', w.netns], createsNetns: w.netns },
    ip('-n', w.netns, 'link', 'set', 'lo', 'up'),
    ..._workerWiring(next, w),
    ...plan.workers.filter((o) => o.name !== w.name).flatMap((o) => _podRangeRoutes(o, w)),
  ];
}

/** The commands that add client host `h` (clientPlan) to a running lab. */
export function addHostSteps(plan: LabPlan, h: HostPlan): Step[] {
  return [{ argv: ['ip', 'netns', 'add', h.netns], createsNetns: h.netns }, ip('-n', h.netns, 'link', 'set', 'lo', 'up'), ..._hostWiring(plan, h, `c${h.name}`)];
}

/** A pod's plumbing, as Calico's CNI does it (static neighbours instead of proxy ARP). */
export interface PodPlumbing {
  readonly worker: WorkerPlan;
  readonly netns: string;
  /** Host-side veth name (`workloadInterfaceName(ns, pod)`). */
  readonly iface: string;
  readonly ip: string;
  /** Dual stack: the pod's IPv6 address. */
  readonly ip6?: string;
}

/** The pods' IPv6 next hop (Calico's CNI: the host veth's link-local, here only a static neighbour). */
export const POD_GATEWAY6 = 'fe80::ecee:eeff:feee:eeee';

/** Creates the pod namespace and its veth; MAC-dependent neighbour entries follow (podNeighSteps). */
export function podSteps(p: PodPlumbing): Step[] {
  const w = p.worker.netns;
  return [
    { argv: ['ip', 'netns', 'add', p.netns], createsNetns: p.netns },
    ip('-n', p.netns, 'link', 'set', 'lo', 'up'),
    ip('-n', w, 'link', 'add', p.iface, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', p.netns),
    ip('-n', p.netns, 'addr', 'add', `${p.ip}/32`, 'dev', 'eth0'),
    ip('-n', p.netns, 'link', 'set', 'eth0', 'up'),
    ip('-n', w, 'link', 'set', p.iface, 'up'),
    ip('-n', p.netns, 'route', 'add', '169.254.1.1', 'dev', 'eth0', 'scope', 'link'),
    ip('-n', p.netns, 'route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0'),
    ip('-n', w, 'route', 'add', `${p.ip}/32`, 'dev', p.iface, 'scope', 'link'),
    ...(p.ip6 === undefined
      ? []
      : [
          ip('-n', p.netns, '-6', 'addr', 'add', `${p.ip6}/128`, 'dev', 'eth0', 'nodad'),
          ip('-n', p.netns, '-6', 'route', 'add', 'default', 'via', POD_GATEWAY6, 'dev', 'eth0'),
          ip('-n', w, '-6', 'route', 'add', `${p.ip6}/128`, 'dev', p.iface),
        ]),
  ];
}

export function podNeighSteps(p: PodPlumbing, workerMac: string, podMac: string): Step[] {
  return [
    ip('-n', p.netns, 'neigh', 'replace', '169.254.1.1', 'lladdr', workerMac, 'dev', 'eth0', 'nud', 'permanent'),
    ip('-n', p.worker.netns, 'neigh', 'replace', p.ip, 'lladdr', podMac, 'dev', p.iface, 'nud', 'permanent'),
    ...(p.ip6 === undefined
      ? []
      : [
          ip('-n', p.netns, '-6', 'neigh', 'replace', POD_GATEWAY6, 'lladdr', workerMac, 'dev', 'eth0', 'nud', 'permanent'),
          ip('-n', p.worker.netns, '-6', 'neigh', 'replace', p.ip6, 'lladdr', podMac, 'dev', p.iface, 'nud', 'permanent'),
        ]),
  ];
}

/** IPv4 text ↔ number, for allocation. */
export function ipToNum(ip: string): number {
  return ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
}
export function numToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** The `k`-th host address (1-based, up to 254) of an IPv6 /64 written `a:b:c:d::/64`. */
export function hostInCidr64(cidr: string, k: number): string {
  const [base, len] = cidr.split('/');
  if (len !== '64' || base === undefined || !/^[0-9a-f:]+::$/.test(base)) throw new Error(`not an IPv6 /64 written a:b:c:d::/64: ${cidr}`);
  if (k < 1 || k > 254) throw new Error(`address ${k} is outside ${cidr}`);
  return `${base}${k.toString(16)}`;
}

/** The `k`-th host address (1-based) of a /24 written `a.b.c.0/24`. */
export function hostInCidr24(cidr: string, k: number): string {
  const base = cidr.split('/')[0] ?? '0.0.0.0';
  if (k < 1 || k > 254) throw new Error(`address ${k} is outside ${cidr}`);
  return numToIp(ipToNum(base) + k);
}
