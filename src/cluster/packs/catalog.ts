/**
 * @module The policy packs: the seed's policy sets as data, YAML with `{{param}}` placeholders.
 * Each pack names the seed section it comes from. Parameters are checked before they are
 * substituted (addresses and CIDRs only), so a value never changes the YAML's structure.
 */
import type { PackDefinition } from '../pack.js';

import { WORKERS } from '../profiles/ibm-classic.js';

const PRIVATE_ISOLATION = `
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: allow-all-workers-private
spec:
  selector: ibm.role == 'worker_private'
  order: 1500
  types: [Ingress, Egress]
  ingress:
  - action: Allow
    source:
      selector: ibm.role == 'worker_private'
  egress:
  - action: Allow
    destination:
      selector: ibm.role == 'worker_private'
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: allow-ibm-ports-private
spec:
  selector: ibm.role == 'worker_private'
  order: 1500
  types: [Ingress, Egress]
  egress:
  - action: Allow
    protocol: UDP
    destination:
      ports: [53]
  - action: Allow
    protocol: TCP
    destination:
      ports: [53, 2049, 443, 3260]
  ingress:
  - action: Allow
    protocol: UDP
    destination:
      ports: [53]
  - action: Allow
    protocol: TCP
    destination:
      ports: [53, 10250]
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: allow-egress-pods
spec:
  selector: ibm.role == 'worker_private'
  order: 1500
  types: [Egress]
  egress:
  - action: Allow
    destination:
      nets: ['{{podNetwork}}']
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
  egress:
  - action: Allow
    protocol: 112
`;

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
`;

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
    description: 'isolate the workers on the private network (R7): five host policies, and private host endpoints (eth0, InternalIP) generated for every worker, now and as workers join',
    seed: 'Isolating clusters on the private network',
    params: [{ name: 'podNetwork', description: 'the cluster\'s pod network', default: '172.30.0.0/16', kind: 'cidr' }],
    yaml: PRIVATE_ISOLATION,
    hostEndpointTemplates: [
      { generateName: 'worker-private', interfacePattern: '^eth0$', nodeSelector: WORKERS, labels: { 'ibm.role': 'worker_private' } },
    ],
  },
  {
    name: 'deny-nodeports',
    description: 'block all inbound NodePort traffic (TCP and UDP 30000-32767) on the workers\' public interfaces, before DNAT (R6)',
    seed: 'Controlling inbound traffic to NLB or NodePort services',
    params: [],
    yaml: DENY_NODEPORTS,
  },
  {
    name: 'nlb1-whitelist',
    description: 'NLB 1.0: allow only a client CIDR to reach the load balancer IP on TCP 80 (preDNAT) (R6)',
    seed: 'Whitelisting traffic to NLB or NodePort services (NLB 1.0)',
    params: [
      { name: 'lbIP', description: 'the load balancer IP', kind: 'cidr' },
      { name: 'client', description: 'the client address or CIDR to allow', kind: 'cidr' },
    ],
    yaml: whitelist('preDNAT'),
  },
  {
    name: 'nlb2-whitelist',
    description: 'NLB 2.0 (IPVS): allow only a client CIDR to reach the load balancer IP on TCP 80 (doNotTrack) (R6)',
    seed: 'Whitelisting traffic to NLB or NodePort services (NLB 2.0)',
    params: [
      { name: 'lbIP', description: 'the load balancer IP', kind: 'cidr' },
      { name: 'client', description: 'the client address or CIDR to allow', kind: 'cidr' },
    ],
    yaml: whitelist('doNotTrack'),
  },
  {
    name: 'srv1',
    description: 'Srv1 tiers: only frontend reaches backend, only backend reaches db; namespaces accounts and finance, and only finance reaches the accounts backend on 3111 (R8)',
    seed: 'Controlling traffic between pods',
    params: [{ ...NAMESPACE_PARAM, description: 'namespace of the Srv1 tier policies' }],
    yaml: SRV1,
  },
  {
    name: 'log-denied',
    description: 'access-nginx (only run=access reaches run=nginx) and log-denied-packets (log what it denies, order 3000) (R9)',
    seed: 'Logging denied traffic',
    params: [NAMESPACE_PARAM],
    yaml: LOG_DENIED,
  },
];
