/**
 * @module The `ibm-classic` cluster profile: what IBM Cloud Kubernetes Service puts on every new
 * classic cluster (requirement R2 of the seed). Workers are named as the seed's
 * `calicoctl get nodes` prints them; addresses are the cluster's address plan (profile.ts
 * workerAddresses: private 198.18.0.1x, public 198.18.1.1x, pods 198.19.x.0/24), which the lab
 * realizes, so the cluster reads the same with or without it.
 *
 * - KubeControllersConfiguration `default`: automatic host endpoints on; one template gives
 *   every worker a public HostEndpoint (`<node>-worker-public`, interface eth1, expectedIPs the
 *   node's ExternalIP) labelled `ibm.role: worker_public`.
 * - The six default GlobalNetworkPolicies on `ibm.role == 'worker_public'`.
 * - GlobalNetworkSet `ibm-sys-mgmt`: the management CIDRs `allow-sys-mgmt` admits. It is the
 *   operator's to edit (not provider-managed).
 * - The `kubernetes-dashboard` policy in kube-system, and a dashboard pod for it to protect.
 */
import { hostInCidr, workerAddresses, kubeControllersConfig, providerMeta, type ClusterProfile, type Manifest, type ProfileContext, type WorkerSpec } from '../profile.js';
import { PROFILE_LABEL } from '../markers.js';

const NAME = 'ibm-classic';
const WORKER_POOL_LABEL = 'ibm-cloud.kubernetes.io/worker-pool-name';
const PUBLIC = "ibm.role == 'worker_public'";
/** Every node but a control plane one: Tabby clusters (and the lab) have only workers. */
export const WORKERS = '!has(node-role.kubernetes.io/control-plane)';

/** Every worker's Node labels (with or without the lab). */
const WORKER_LABELS = { [WORKER_POOL_LABEL]: 'default', 'ibm-cloud.kubernetes.io/zone': 'dal10', 'node-role.kubernetes.io/worker': '' };

/** As the seed's `calicoctl get nodes` prints them. */
const WORKER_NAMES = 'kube-dal10-crc21191ee3997497ca90c8173bbdaf560-w{i}.cloud.ibm';

function workers(count: number): WorkerSpec[] {
  const out: WorkerSpec[] = [];
  for (let i = 1; i <= count; i++)
    out.push({
      name: WORKER_NAMES.replace('{i}', String(i)),
      ...workerAddresses(i),
      labels: WORKER_LABELS,
    });
  return out;
}

function gnp(name: string, breaks: string, spec: Record<string, unknown>): Manifest {
  return { apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: providerMeta(NAME, name, breaks), spec: { selector: PUBLIC, ...spec } };
}

function resources(ctx: ProfileContext): Manifest[] {
  const first = ctx.workers[0];
  const placed = ctx.scheduler === 'static' && first !== undefined;
  const dashboardIP = placed ? hostInCidr(first.podCIDR, 10) : '';
  return [
    kubeControllersConfig(NAME, [
      {
        generateName: 'worker-public',
        interfacePattern: '^eth1$',
        nodeSelector: WORKERS,
        labels: { 'ibm.role': 'worker_public' },
      },
    ]),
    {
      apiVersion: 'projectcalico.org/v3',
      kind: 'GlobalNetworkSet',
      metadata: { name: 'ibm-sys-mgmt', labels: { 'ibm.netset': 'sys-mgmt', [PROFILE_LABEL]: NAME } },
      spec: { nets: ['198.18.200.0/24'] },
    },
    gnp('allow-all-outbound', 'all outbound traffic from the workers\' public interfaces', { order: 1900, types: ['Egress'], egress: [{ action: 'Allow' }] }),
    gnp('allow-bigfix-port', 'BigFix worker updates (inbound TCP 52311 on the workers\' public interfaces)', {
      order: 1900,
      types: ['Ingress'],
      ingress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: [52311] } }],
    }),
    gnp('allow-icmp', 'inbound ICMP (ping) to the workers\' public interfaces', { order: 1500, types: ['Ingress'], ingress: [{ action: 'Allow', protocol: 'ICMP' }] }),
    gnp('allow-node-port-dnat', 'inbound NLB, Ingress ALB and NodePort traffic to the pods behind those services', {
      order: 1500,
      applyOnForward: true,
      types: ['Ingress'],
      ingress: [{ action: 'Allow', destination: { selector: "projectcalico.org/orchestrator == 'k8s'" } }],
    }),
    gnp('allow-sys-mgmt', 'inbound connections from the infrastructure systems that manage the workers (GlobalNetworkSet ibm-sys-mgmt)', {
      order: 1950,
      types: ['Ingress'],
      ingress: [{ action: 'Allow', source: { selector: "ibm.netset == 'sys-mgmt'" } }],
    }),
    gnp('allow-vrrp', 'VRRP, which monitors virtual IPs and moves them between workers (load balancers would stop failing over)', {
      order: 1500,
      types: ['Ingress'],
      ingress: [{ action: 'Allow', protocol: 112 }],
    }),
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: providerMeta(NAME, 'kubernetes-dashboard', 'the dashboard\'s protection: without it every pod could reach the Kubernetes dashboard', { namespace: 'kube-system' }),
      spec: {
        podSelector: { matchLabels: { 'k8s-app': 'kubernetes-dashboard' } },
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes-dashboard-policy': 'allow' } } }] }],
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { ...providerMeta(NAME, 'kubernetes-dashboard-7b9c6d8f5-x2k4p', 'the Kubernetes dashboard', { namespace: 'kube-system', labels: { 'k8s-app': 'kubernetes-dashboard' } }) },
      spec: {
        ...(placed ? { nodeName: first.name } : {}),
        containers: [{ name: 'kubernetes-dashboard', image: 'kubernetesui/dashboard:v2.7.0', ports: [{ containerPort: 8443, protocol: 'TCP' }] }],
      },
      ...(placed ? { status: { phase: 'Running', podIP: dashboardIP, podIPs: [{ ip: dashboardIP }] } } : {}),
    },
  ];
}

export const ibmClassic: ClusterProfile = {
  name: NAME,
  description: 'IBM Cloud Kubernetes Service, classic: public host endpoints, the six default host policies, the dashboard policy',
  interfaces: { InternalIP: 'eth0', ExternalIP: 'eth1' },
  workers,
  workerNames: WORKER_NAMES,
  workerLabels: WORKER_LABELS,
  resources,
};
