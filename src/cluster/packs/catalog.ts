/**
 * @module The policy packs: the seed's policy sets as data, YAML with `{{param}}` placeholders.
 * Each pack names the seed section it comes from. Parameters are checked before they are
 * substituted (addresses and CIDRs only), so a value never changes the YAML's structure.
 */
import type { PackDefinition } from '../pack.js';

import { WORKERS } from '../profiles/ibm-classic.js';

/*
 * R7, as the seed's file set (kube-samples calico-policies/private-network-isolation/calico-v3):
 * four host policies on the workers' private interface (`ibm.role == 'worker_private'`), the
 * pods' egress policy, and the private host endpoints (here generated from the Nodes).
 *
 * Where the seed's text and its files differ, the text (R7) wins, and the tests hold it:
 * - "worker private ingress: only from this cluster's workers": the kubelet/DNS, ICMP and VRRP
 *   ingress rules admit only `worker_private` sources (the files admit any source, so any system
 *   on the VLAN could reach the kubelet);
 * - "the unrelated private system reaches no pod": NodePorts answer on the private interface too
 *   (R6), and the files leave forwarded traffic alone, so allow-all-workers-private and
 *   allow-ibm-ports-private also apply on forward (`applyOnForward`): into the private interface
 *   only this cluster's workers and pods may be forwarded; out of it, workers, pods and the IBM
 *   ports.
 */
const PRIVATE_ISOLATION = `
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: allow-all-workers-private
spec:
  selector: ibm.role == 'worker_private'
  order: 1500
  applyOnForward: true
  types: [Ingress, Egress]
  ingress:
  - action: Allow
    source:
      selector: ibm.role == 'worker_private'
  - action: Allow
    source:
      nets: ['{{podNetwork}}']
  egress:
  - action: Allow
    destination:
      selector: ibm.role == 'worker_private'
  - action: Allow
    destination:
      nets: ['{{podNetwork}}']
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: allow-ibm-ports-private
spec:
  selector: ibm.role == 'worker_private'
  order: 1500
  applyOnForward: true
  types: [Ingress, Egress]
  egress:
  - action: Allow
    protocol: UDP
    destination:
      ports: [53, 2049]
  - action: Allow
    protocol: TCP
    destination:
      ports: [53, 2049, 443, 3260]
  ingress:
  - action: Allow
    protocol: UDP
    source:
      selector: ibm.role == 'worker_private'
    destination:
      ports: [53, 10250]
  - action: Allow
    protocol: TCP
    source:
      selector: ibm.role == 'worker_private'
    destination:
      ports: [53, 10250]
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: allow-egress-pods
spec:
  selector: projectcalico.org/orchestrator == 'k8s'
  order: 1500
  types: [Egress]
  egress:
  - action: Allow
    protocol: UDP
    destination:
      ports: [53, 10250]
  - action: Allow
    protocol: TCP
    destination:
      ports: [53, 10250]
  - action: Allow
    destination:
      selector: projectcalico.org/orchestrator == 'k8s'
  - action: Allow
    destination:
      notNets: [{{privateNets}}]
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: allow-icmp-private
spec:
  selector: ibm.role == 'worker_private'
  order: 1500
  types: [Ingress, Egress]
  ingress:
  - action: Allow
    protocol: ICMP
    source:
      selector: ibm.role == 'worker_private'
  egress:
  - action: Allow
    protocol: ICMP
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: allow-vrrp-private
spec:
  selector: ibm.role == 'worker_private'
  order: 1500
  types: [Ingress, Egress]
  ingress:
  - action: Allow
    protocol: 112
    source:
      selector: ibm.role == 'worker_private'
  egress:
  - action: Allow
    protocol: 112
`;

/*
 * R7 as cluster-admin policy (Kubernetes network-policy-api, which Calico enforces in its
 * `adminnetworkpolicy` tier before the namespaces' policies and `baselineadminnetworkpolicy`
 * after them). The pods' half of R7 becomes guardrails no namespace can undo: the ANP always
 * allows DNS, the kubelet and the monitoring namespace, hands pod-to-pod traffic to the
 * namespaces' own policies (Pass), and denies the rest of the private network, which a
 * namespace's NetworkPolicy cannot reopen. The BANP is the baseline those policies may narrow:
 * pods reach each other and public addresses. The workers' half of R7 (host endpoints) stays
 * with `ibm-private-isolation`: these resources select pods only.
 */
const PRIVATE_GUARDRAILS = `
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata:
  name: private-guardrails
spec:
  priority: 10
  subject:
    namespaces: {}
  ingress:
  - name: allow-monitoring
    action: Allow
    from:
    - namespaces:
        matchLabels: {kubernetes.io/metadata.name: '{{monitoring}}'}
  egress:
  - name: allow-dns
    action: Allow
    to:
    - networks: ['0.0.0.0/0']
    ports:
    - portNumber: {protocol: UDP, port: 53}
    - portNumber: {protocol: TCP, port: 53}
  - name: allow-kubelet
    action: Allow
    to:
    - networks: [{{privateNets}}]
    ports:
    - portNumber: {protocol: TCP, port: 10250}
  - name: pass-cluster-pods
    action: Pass
    to:
    - namespaces: {}
  - name: deny-private-network
    action: Deny
    to:
    - networks: [{{privateNets}}]
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata:
  name: default
spec:
  subject:
    namespaces: {}
  ingress:
  - name: allow-cluster-pods
    action: Allow
    from:
    - namespaces: {}
  egress:
  - name: allow-cluster-pods
    action: Allow
    to:
    - namespaces: {}
  - name: allow-public
    action: Allow
    to:
    - networks: ['0.0.0.0/0']
`;

/** The NLB whitelists' parameters (both versions). */
const WHITELIST_PARAMS: PackDefinition['params'] = [
  { name: 'lbIP', description: 'the load balancer IP', kind: 'cidr', fromCluster: true },
  { name: 'client', description: 'the client address or CIDR to allow', kind: 'cidr' },
];

const DENY_NODEPORTS = `
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: deny-nodeports
spec:
  applyOnForward: true
  preDNAT: true
  ingress:
  - action: Deny
    destination:
      ports: ['30000:32767']
    protocol: TCP
    source: {}
  - action: Deny
    destination:
      ports: ['30000:32767']
    protocol: UDP
    source: {}
  selector: ibm.role=='worker_public'
  order: 1100
  types: [Ingress]
`;

/*
 * doNotTrack skips conntrack both ways: where the load balancer address is terminated on the
 * worker (NLB 2.0's IPVS), the answer leaves the worker untracked too and is dropped as INVALID
 * unless an untracked egress rule lets it out. The seed's NLB 2.0 example leaves that out.
 */
const WHITELIST_REPLIES = `---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: whitelist-replies
spec:
  applyOnForward: true
  doNotTrack: true
  egress:
  - action: Allow
    protocol: TCP
    source:
      nets: ['{{lbIP}}']
      ports: [80]
    destination:
      nets: ['{{client}}']
  selector: ibm.role=='worker_public'
  order: 500
  types: [Egress]
`;

/*
 * The seed's whitelist is an Allow at order 500; on its own it blocks nobody (preDNAT and
 * doNotTrack chains have no end-of-tier drop, and allow-node-port-dnat admits the rest). "Allow
 * only a given source and block all other traffic" needs the Deny the seed's tutorial pairs it
 * with: `whitelist-deny-others`, the same mode, order 800, every other source to the LB port.
 */
const whitelist = (mode: 'preDNAT' | 'doNotTrack'): string => `
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: whitelist
spec:
  applyOnForward: true
  ${mode}: true
  ingress:
  - action: Allow
    destination:
      nets: ['{{lbIP}}']
      ports: [80]
    protocol: TCP
    source:
      nets: ['{{client}}']
  selector: ibm.role=='worker_public'
  order: 500
  types: [Ingress]
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: whitelist-deny-others
spec:
  applyOnForward: true
  ${mode}: true
  ingress:
  - action: Deny
    destination:
      nets: ['{{lbIP}}']
      ports: [80]
    protocol: TCP
    source: {}
  selector: ibm.role=='worker_public'
  order: 800
  types: [Ingress]
${mode === 'doNotTrack' ? WHITELIST_REPLIES : ''}`;

const SRV1 = `
apiVersion: v1
kind: Namespace
metadata:
  name: accounts
  labels: {usage: accounts}
---
apiVersion: v1
kind: Namespace
metadata:
  name: finance
  labels: {usage: finance}
---
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata:
  name: backend-allow
  namespace: '{{namespace}}'
spec:
  podSelector:
    matchLabels: {app: Srv1, tier: backend}
  ingress:
  - from:
    - podSelector:
        matchLabels: {app: Srv1, tier: frontend}
---
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata:
  name: db-allow
  namespace: '{{namespace}}'
spec:
  podSelector:
    matchLabels: {app: Srv1, tier: db}
  ingress:
  - from:
    - podSelector:
        matchLabels: {app: Srv1, tier: backend}
---
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata:
  namespace: accounts
  name: accounts-allow
spec:
  podSelector:
    matchLabels: {app: Srv1, tier: backend}
  ingress:
  - from:
    - namespaceSelector:
        matchLabels: {usage: finance}
    ports:
    - port: 3111
`;

const LOG_DENIED = `
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata:
  name: access-nginx
  namespace: '{{namespace}}'
spec:
  podSelector:
    matchLabels: {run: nginx}
  ingress:
  - from:
    - podSelector:
        matchLabels: {run: access}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: log-denied-packets
  namespace: '{{namespace}}'
spec:
  types: [Ingress]
  ingress:
  - action: Log
    destination: {}
    source: {}
  selector: projectcalico.org/orchestrator == 'k8s' && run == 'nginx'
  order: 3000
`;

const NAMESPACE_PARAM = { name: 'namespace', description: 'namespace of the policies', default: 'default', kind: 'name' } as const;

export const PACKS: readonly PackDefinition[] = [
  {
    name: 'ibm-private-isolation',
    description:
      'isolate the workers on the private network: four host policies and the pods\' egress policy, and private host endpoints (eth0, InternalIP) generated for every worker, now and as workers join',
    seed: 'Isolating clusters on the private network',
    params: [
      { name: 'podNetwork', description: 'the cluster\'s pod network', default: '172.30.0.0/16', kind: 'cidr', fromCluster: true },
      { name: 'privateNets', description: 'the private networks pods may not reach (except workers, pods, DNS and the kubelet)', default: '10.0.0.0/8,172.16.0.0/12,192.168.0.0/16', kind: 'cidrs', fromCluster: true },
    ],
    yaml: PRIVATE_ISOLATION,
    hostEndpointTemplates: [
      { generateName: 'worker-private', interfacePattern: '^eth0$', nodeSelector: WORKERS, labels: { 'ibm.role': 'worker_private' } },
    ],
  },
  {
    name: 'private-guardrails',
    description:
      'R7 for pods as cluster-admin policy no namespace can undo: an AdminNetworkPolicy that always allows DNS, the kubelet and the monitoring namespace and denies the rest of the private network, and the BaselineAdminNetworkPolicy (pods reach each other and public addresses) that namespaces may narrow',
    seed: 'Isolating clusters on the private network',
    params: [
      { name: 'privateNets', description: 'the private networks pods may not reach (except DNS and the kubelet)', default: '10.0.0.0/8,172.16.0.0/12,192.168.0.0/16', kind: 'cidrs', fromCluster: true },
      { name: 'monitoring', description: 'the namespace whose pods may always reach every pod', default: 'monitoring', kind: 'name' },
    ],
    yaml: PRIVATE_GUARDRAILS,
  },
  {
    name: 'deny-nodeports',
    description: 'block all inbound NodePort traffic (TCP and UDP 30000-32767) on the workers\' public interfaces, before DNAT',
    seed: 'Controlling inbound traffic to NLB or NodePort services',
    params: [],
    yaml: DENY_NODEPORTS,
  },
  {
    name: 'nlb1-whitelist',
    description: 'NLB 1.0: allow only a client CIDR to reach the load balancer IP on TCP 80, deny the others (preDNAT)',
    seed: 'Whitelisting traffic to NLB or NodePort services (NLB 1.0)',
    params: WHITELIST_PARAMS,
    yaml: whitelist('preDNAT'),
  },
  {
    name: 'nlb2-whitelist',
    description: 'NLB 2.0 (IPVS): allow only a client CIDR to reach the load balancer IP on TCP 80, deny the others, let the answers out (doNotTrack)',
    seed: 'Whitelisting traffic to NLB or NodePort services (NLB 2.0)',
    params: WHITELIST_PARAMS,
    yaml: whitelist('doNotTrack'),
  },
  {
    name: 'srv1',
    description: 'Srv1 tiers: only frontend reaches backend, only backend reaches db; namespaces accounts and finance, and only finance reaches the accounts backend on 3111',
    seed: 'Controlling traffic between pods',
    params: [{ ...NAMESPACE_PARAM, description: 'namespace of the Srv1 tier policies' }],
    yaml: SRV1,
  },
  {
    name: 'log-denied',
    description: 'access-nginx (only run=access reaches run=nginx) and log-denied-packets (log what it denies, order 3000)',
    seed: 'Logging denied traffic',
    params: [NAMESPACE_PARAM],
    yaml: LOG_DENIED,
  },
];
