/**
 * Which host endpoint a packet from/to outside the cluster crosses: the interface Linux routing
 * picks. A worker with a private interface (198.18.0.11/24, eth0) and a public one (198.18.1.11,
 * eth1, prefix unknown), a host endpoint on each; the private one admits only workers and lets
 * out only TCP 53, the public one admits everything.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateFlow, loadSnapshot, type Verdict } from './index.js';

const calicoNode = (bgp: string | undefined): unknown => ({
  apiVersion: 'projectcalico.org/v3',
  kind: 'Node',
  metadata: { name: 'w1' },
  spec: {
    ...(bgp !== undefined ? { bgp: { ipv4Address: bgp } } : {}),
    addresses: [
      { address: '198.18.0.11', type: 'InternalIP' },
      { address: '198.18.1.11', type: 'ExternalIP' },
    ],
  },
});

const k8sNode = (annotations: Record<string, string> = {}): unknown => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'w1', annotations },
  status: {
    addresses: [
      { type: 'InternalIP', address: '198.18.0.11' },
      { type: 'ExternalIP', address: '198.18.1.11' },
    ],
  },
});

const hep = (name: string, iface: string, ip: string, role: string): unknown => ({
  apiVersion: 'projectcalico.org/v3',
  kind: 'HostEndpoint',
  metadata: { name, labels: { role } },
  spec: { node: 'w1', interfaceName: iface, expectedIPs: [ip] },
});

const cluster = (node: unknown, heps: readonly unknown[] = [hep('w1-private', 'eth0', '198.18.0.11', 'private'), hep('w1-public', 'eth1', '198.18.1.11', 'public')]): unknown[] => [
  node,
  ...heps,
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'a', namespace: 'default', labels: { app: 'a' } },
    spec: { nodeName: 'w1', containers: [{ name: 'c' }] },
    status: { podIP: '198.19.1.5' },
  },
  {
    apiVersion: 'projectcalico.org/v3',
    kind: 'GlobalNetworkPolicy',
    metadata: { name: 'private' },
    spec: {
      selector: "role == 'private'",
      applyOnForward: true,
      types: ['Ingress', 'Egress'],
      ingress: [{ action: 'Allow', source: { selector: "role == 'private'" } }],
      egress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: [53] } }],
    },
  },
  {
    apiVersion: 'projectcalico.org/v3',
    kind: 'GlobalNetworkPolicy',
    metadata: { name: 'public' },
    spec: { selector: "role == 'public'", applyOnForward: true, types: ['Ingress', 'Egress'], ingress: [{ action: 'Allow' }], egress: [{ action: 'Allow' }] },
  },
];

/** `stage endpoint action` of every host endpoint stage. */
const hepStages = (v: Verdict): string[] => v.stages.filter((s) => s.endpoint?.startsWith('hep:') === true).map((s) => `${s.stage} ${s.endpoint} ${s.action}`);

test('a source outside the cluster on the private subnet arrives on the private interface', () => {
  const { snapshot, invalid } = loadSnapshot(cluster(calicoNode('198.18.0.11/24')));
  assert.deepEqual(invalid, []);
  assert.deepEqual(snapshot.nodes.get('w1')!.subnets.map((c) => `${c.addr.text} on ${c.net.text}`), ['198.18.0.11 on 198.18.0.0/24']);
  // Routed to the pod network through the worker, as a host on the private VLAN may.
  const toPod = evaluateFlow(snapshot, { from: '198.18.0.250', to: 'default/a', port: 80 });
  assert.equal(toPod.action, 'Deny');
  assert.deepEqual(hepStages(toPod), ['forwardIngress hep:w1-private Deny']);
  // To the worker's public address, still over the private segment.
  const toPublic = evaluateFlow(snapshot, { from: '198.18.0.250', to: '198.18.1.11', port: 80 });
  assert.equal(toPublic.action, 'Deny');
  assert.deepEqual(hepStages(toPublic), ['hostIngress hep:w1-private Deny']);
});

test('a source outside the cluster elsewhere arrives on the public interface (the default route), as before', () => {
  const { snapshot } = loadSnapshot(cluster(calicoNode('198.18.0.11/24')));
  for (const from of ['198.51.100.7', '198.18.1.250']) {
    const v = evaluateFlow(snapshot, { from, to: 'default/a', port: 80 });
    assert.equal(v.action, 'Allow', from);
    assert.deepEqual(hepStages(v), ['forwardIngress hep:w1-public Allow'], from);
  }
  // Without any prefix (a Kubernetes Node's plain addresses only) nothing changes either.
  const { snapshot: plain } = loadSnapshot(cluster(k8sNode()));
  assert.deepEqual(plain.nodes.get('w1')!.subnets, []);
  const v = evaluateFlow(plain, { from: '198.18.0.250', to: 'default/a', port: 80 });
  assert.deepEqual([v.action, ...hepStages(v)], ['Allow', 'forwardIngress hep:w1-public Allow']);
});

test('the Kubernetes Node annotation projectcalico.org/IPv4Address gives the prefix too', () => {
  const { snapshot } = loadSnapshot(cluster(k8sNode({ 'projectcalico.org/IPv4Address': '198.18.0.11/24' })));
  assert.deepEqual(snapshot.nodes.get('w1')!.subnets.map((c) => `${c.addr.text} on ${c.net.text}`), ['198.18.0.11 on 198.18.0.0/24']);
  const v = evaluateFlow(snapshot, { from: '198.18.0.250', to: 'default/a', port: 80 });
  assert.deepEqual([v.action, ...hepStages(v)], ['Deny', 'forwardIngress hep:w1-private Deny']);
});

test('host → a destination outside the cluster on the private subnet leaves by the private interface, whatever the source address', () => {
  const { snapshot } = loadSnapshot(cluster(calicoNode('198.18.0.11/24')));
  // Sent from the public address: the route to the destination still picks eth0.
  const denied = evaluateFlow(snapshot, { from: '198.18.1.11', to: '198.18.0.250', port: 8080 });
  assert.deepEqual([denied.action, ...hepStages(denied)], ['Deny', 'hostEgress hep:w1-private Deny']);
  const dns = evaluateFlow(snapshot, { from: 'node:w1', to: '198.18.0.250', port: 53 });
  assert.deepEqual([dns.action, ...hepStages(dns)], ['Allow', 'hostEgress hep:w1-private Allow']);
  // Elsewhere: the source address's interface, as before.
  const out = evaluateFlow(snapshot, { from: '198.18.1.11', to: '198.51.100.7', port: 8080 });
  assert.deepEqual([out.action, ...hepStages(out)], ['Allow', 'hostEgress hep:w1-public Allow']);
  // A pod's traffic to the private subnet is forwarded out of eth0 too.
  const fwd = evaluateFlow(snapshot, { from: 'default/a', to: '198.18.0.250', port: 8080 });
  assert.deepEqual([fwd.action, ...hepStages(fwd)], ['Deny', 'forwardEgress hep:w1-private Deny']);
  const fwdOut = evaluateFlow(snapshot, { from: 'default/a', to: '198.51.100.7', port: 8080 });
  assert.deepEqual([fwdOut.action, ...hepStages(fwdOut)], ['Allow', 'forwardEgress hep:w1-public Allow']);
});

// Issue 14 item 5b. IBM Cloud classic workers (the r2-r6 scenario's docs: a private VLAN interface
// and a public one holding the default route, `allow-all-outbound` on the public host endpoint):
// Linux picks the egress interface by the route to the destination, whatever the source address,
// so host traffic to the internet sent from the private address still leaves by the public one.
test('host → outside the cluster leaves by the default route (the ExternalIP interface), whatever the source address', () => {
  for (const node of [calicoNode('198.18.0.11/24'), k8sNode()]) {
    const { snapshot } = loadSnapshot(cluster(node));
    const fromPrivate = evaluateFlow(snapshot, { from: '198.18.0.11', to: '198.51.100.7', port: 8080 });
    assert.deepEqual([fromPrivate.action, ...hepStages(fromPrivate)], ['Allow', 'hostEgress hep:w1-public Allow']);
    const fromNode = evaluateFlow(snapshot, { from: 'node:w1', to: '198.51.100.7', port: 8080 });
    assert.deepEqual([fromNode.action, ...hepStages(fromNode)], ['Allow', 'hostEgress hep:w1-public Allow']);
  }
  // Cluster traffic is not sent by the default route: from the private address, the private interface.
  const { snapshot } = loadSnapshot([...cluster(k8sNode()), { apiVersion: 'v1', kind: 'Node', metadata: { name: 'w2' }, status: { addresses: [{ type: 'InternalIP', address: '198.18.0.12' }] } }]);
  const toNode = evaluateFlow(snapshot, { from: '198.18.0.11', to: '198.18.0.12', port: 8080 });
  assert.deepEqual([toNode.action, ...hepStages(toNode)], ['Deny', 'hostEgress hep:w1-private Deny']);
});

// Issue 14 item 5a/5b: a node with only an InternalIP (no ExternalIP) and a host endpoint holding
// it: traffic from and to outside the cluster crosses that interface, the node's only one (Calico
// docs, "Defend against DoS attacks": one eth0 host endpoint holding the node's address enforces
// on forwarded traffic). A node that has an ExternalIP whose interface has no host endpoint is
// not policed there (the next test): the lab's workers, where real packets agree.
test('a node without an ExternalIP: traffic from/to outside the cluster crosses the InternalIP host endpoint', () => {
  const internalOnly = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'w1' }, status: { addresses: [{ type: 'InternalIP', address: '198.18.0.11' }] } };
  const { snapshot } = loadSnapshot(cluster(internalOnly, [hep('w1-private', 'eth0', '198.18.0.11', 'private')]));
  const toPod = evaluateFlow(snapshot, { from: '198.51.100.7', to: 'default/a', port: 80 });
  assert.deepEqual([toPod.action, ...hepStages(toPod)], ['Deny', 'forwardIngress hep:w1-private Deny']);
  const fromPod = evaluateFlow(snapshot, { from: 'default/a', to: '198.51.100.7', port: 8080 });
  assert.deepEqual([fromPod.action, ...hepStages(fromPod)], ['Deny', 'forwardEgress hep:w1-private Deny']);
  const dns = evaluateFlow(snapshot, { from: 'node:w1', to: '198.51.100.7', port: 53 });
  assert.deepEqual([dns.action, ...hepStages(dns)], ['Allow', 'hostEgress hep:w1-private Allow']);
  // With an ExternalIP (on another interface, which has no host endpoint): not policed.
  const { snapshot: dual } = loadSnapshot(cluster(k8sNode(), [hep('w1-private', 'eth0', '198.18.0.11', 'private')]));
  const viaPublic = evaluateFlow(dual, { from: '198.51.100.7', to: 'default/a', port: 80 });
  assert.deepEqual([viaPublic.action, ...hepStages(viaPublic)], ['Allow']);
});

test('an interface with no host endpoint is not policed: no fallback to the public one', () => {
  // Only the public interface has a host endpoint, and it admits nothing.
  const closed = {
    apiVersion: 'projectcalico.org/v3',
    kind: 'HostEndpoint',
    metadata: { name: 'w1-public', labels: { role: 'closed' } },
    spec: { node: 'w1', interfaceName: 'eth1', expectedIPs: ['198.18.1.11'] },
  };
  const { snapshot } = loadSnapshot(cluster(calicoNode('198.18.0.11/24'), [closed]));
  const fromPrivate = evaluateFlow(snapshot, { from: '198.18.0.250', to: '198.18.0.11', port: 8080 });
  assert.deepEqual([fromPrivate.action, ...hepStages(fromPrivate)], ['Allow']);
  const fromElsewhere = evaluateFlow(snapshot, { from: '198.51.100.7', to: '198.18.1.11', port: 8080 });
  assert.deepEqual([fromElsewhere.action, ...hepStages(fromElsewhere)], ['Deny', 'hostIngress hep:w1-public Deny']);
  const toPrivate = evaluateFlow(snapshot, { from: '198.18.1.11', to: '198.18.0.250', port: 8080 });
  assert.deepEqual([toPrivate.action, ...hepStages(toPrivate)], ['Allow']);
});

test('the longest prefix wins; /32 and /0 name no subnet', () => {
  const node = {
    apiVersion: 'projectcalico.org/v3',
    kind: 'Node',
    metadata: { name: 'w1' },
    spec: {
      bgp: { ipv4Address: '198.18.0.11/16' },
      addresses: [
        { address: '198.18.0.11/24', type: 'CalicoNodeIP' },
        { address: '198.18.1.11/32', type: 'ExternalIP' },
        { address: '198.18.2.11/0', type: 'InternalIP' },
      ],
      interfaces: [{ name: 'eth2', addresses: ['198.18.5.1/24'] }],
    },
  };
  const h3 = hep('w1-eth2', 'eth2', '198.18.5.1', 'public');
  const { snapshot } = loadSnapshot(cluster(node, [hep('w1-private', 'eth0', '198.18.0.11', 'private'), hep('w1-public', 'eth1', '198.18.1.11', 'public'), h3]));
  assert.deepEqual(snapshot.nodes.get('w1')!.subnets.map((c) => `${c.addr.text} on ${c.net.text}`), ['198.18.0.11 on 198.18.0.0/16', '198.18.0.11 on 198.18.0.0/24', '198.18.5.1 on 198.18.5.0/24']);
  // 198.18.5.9 is in the /16 and in eth2's /24: the /24 decides.
  const v = evaluateFlow(snapshot, { from: '198.18.5.9', to: 'default/a', port: 80 });
  assert.deepEqual([v.action, ...hepStages(v)], ['Allow', 'forwardIngress hep:w1-eth2 Allow']);
  const w = evaluateFlow(snapshot, { from: '198.18.7.9', to: 'default/a', port: 80 });
  assert.deepEqual([w.action, ...hepStages(w)], ['Deny', 'forwardIngress hep:w1-private Deny']);
});
