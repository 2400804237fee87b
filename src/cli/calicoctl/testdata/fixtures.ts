/** @module Manifests for the calicoctl tests: the seed's policies and host endpoints. */

export const HOST_ENDPOINTS = `apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata:
  name: worker-1-public
  labels:
    ibm.role: worker_public
spec:
  node: worker-1
  interfaceName: eth1
  expectedIPs: ["169.61.1.10"]
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata:
  name: worker-2-public
  labels:
    ibm.role: worker_public
spec:
  node: worker-2
  interfaceName: eth1
  expectedIPs: ["169.61.1.11", "169.61.1.12"]
  profiles: [default-profile]
`;

export const GNPS = `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: allow-all-outbound
spec:
  selector: ibm.role == 'worker_public'
  order: 1500
  egress:
  - action: Allow
  types: [Egress]
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: allow-bigfix-port
spec:
  selector: ibm.role == 'worker_public'
  order: 1500
  ingress:
  - action: Allow
    protocol: TCP
    destination:
      ports: [52311]
---
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
      ports: ["30000:32767"]
    protocol: TCP
    source: {}
  - action: Deny
    destination:
      ports: ["30000:32767"]
    protocol: UDP
    source: {}
  selector: ibm.role=='worker_public'
  order: 1100
  types: [Ingress]
`;

export const NPS = `apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: log-denied-packets
  namespace: shop
spec:
  types: [Ingress]
  ingress:
  - action: Log
    destination: {}
    source: {}
  selector: projectcalico.org/orchestrator == 'k8s' && run == 'nginx'
  order: 3000
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: backend-allow
spec:
  selector: app == 'Srv1' && tier == 'backend'
  ingress:
  - action: Allow
    source:
      selector: app == 'Srv1' && tier == 'frontend'
`;

export const K8S_NP = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'access-nginx', namespace: 'shop' },
  spec: { podSelector: { matchLabels: { run: 'nginx' } }, ingress: [{ from: [{ podSelector: { matchLabels: { run: 'access' } } }] }] },
};

export const K8S_NP_YAML = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: access-nginx
  namespace: shop
spec:
  podSelector:
    matchLabels:
      run: nginx
  ingress:
  - from:
    - podSelector:
        matchLabels:
          run: access
`;

export const INVALID_MIX = `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: good-one
spec:
  selector: all()
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: bad-port
spec:
  ingress:
  - action: Allow
    protocol: TCP
    destination:
      ports: [70000]
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: good-two
spec:
  selector: all()
`;
