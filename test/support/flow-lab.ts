/**
 * The scripted lab of the flow-log tests (test/e2e/flowlog.test.ts: the agents' events;
 * test/e2e/flows-lab.test.ts: `tabby flows` and kubectl over the collector): two workers with host
 * endpoints, pods a and b in `default` and c in `other`, a GlobalNetworkSet for the lab's outside
 * `system` host, a Kubernetes NetworkPolicy (b from `other` on 80), a Calico NetworkPolicy on a's
 * egress (443 to the outside allowed, 8080 denied, 80 allowed) and a GlobalNetworkPolicy on the
 * workers' public host endpoints (10250 allowed). `probeFlowLab` opens the six connections
 * (allowed and denied, across namespaces, to the outside and to a host endpoint) and checks what
 * the prober saw; `expectedFlows` says, for each, the record every enforcing side must report.
 */
import assert from 'node:assert/strict';
import type { Lab, PodRecord } from '../../src/lab/controller.js';
import type { FlowEndpoint, FlowPolicyHit } from '../../src/model/flows.js';

export const pod = (name: string, namespace: string, labels: Record<string, string>): unknown => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels },
  spec: { containers: [{ name: 'c', ports: [{ containerPort: 80 }] }] },
});

export const hitText = (h: FlowPolicyHit): string => `${h.direction} ${h.tier}/${h.kind}/${h.namespace}/${h.name}#${h.ruleIndex} ${h.action}`;

export interface FlowLabPods {
  readonly a: PodRecord;
  readonly b: PodRecord;
  readonly c: PodRecord;
  /** worker1 (a and c run there) and b's worker. */
  readonly w1: Lab['plan']['workers'][number];
  readonly bNode: string;
}

/** Applies the scripted resources and waits until the agents have programmed them. */
export async function setupFlowLab(lab: Lab): Promise<FlowLabPods> {
  const c = lab.client;
  await c.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other', labels: { team: 'other' } } });
  await c.apply(pod('a', 'default', { app: 'a' }));
  await c.apply(pod('b', 'default', { app: 'b' }));
  await c.apply(pod('c', 'other', { app: 'c' }));
  await c.apply({ apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkSet', metadata: { name: 'outside', labels: { zone: 'outside' } }, spec: { nets: [`${lab.plan.system.ip}/32`] } });
  await c.apply({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'b-from-other', namespace: 'default' },
    spec: { podSelector: { matchLabels: { app: 'b' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'other' } } }], ports: [{ port: 80 }] }] },
  });
  await c.apply({
    apiVersion: 'projectcalico.org/v3',
    kind: 'NetworkPolicy',
    metadata: { name: 'a-egress', namespace: 'default' },
    spec: {
      selector: "app == 'a'",
      types: ['Egress'],
      egress: [
        { action: 'Allow', protocol: 'TCP', destination: { selector: "zone == 'outside'", namespaceSelector: 'global()', ports: [443] } },
        { action: 'Deny', protocol: 'TCP', destination: { ports: [8080] } },
        { action: 'Allow', protocol: 'TCP', destination: { ports: [80] } },
      ],
    },
  });
  const last = await c.apply({
    apiVersion: 'projectcalico.org/v3',
    kind: 'GlobalNetworkPolicy',
    metadata: { name: 'kubelet' },
    spec: { selector: "ibm.role == 'worker_public'", types: ['Ingress'], ingress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: [10250] } }] },
  });
  await lab.settle(last.object.metadata.resourceVersion);
  const a = lab.pod('a');
  const b = lab.pod('b');
  const cc = lab.pod('other/c');
  assert.ok(a && b && cc, 'pods placed');
  const w1 = lab.plan.workers[0]!;
  assert.equal(a.node, w1.name);
  assert.equal(cc.node, w1.name);
  return { a, b, c: cc, w1, bNode: b.node };
}

/** The scripted connections, from fresh conntrack tables; asserts what the prober saw. */
export async function probeFlowLab(lab: Lab, p: FlowLabPods): Promise<void> {
  await lab.flushConntrack();
  const seen = {
    cToB: await lab.probe('other/c', 'tcp', p.b.ip, 80, 1500),
    aToB: await lab.probe('default/a', 'tcp', p.b.ip, 80, 1500),
    aToOutside: await lab.probe('default/a', 'tcp', lab.plan.system.ip, 443, 1500),
    aToOutsideDenied: await lab.probe('default/a', 'tcp', lab.plan.system.ip, 8080, 1500),
    toHep: await lab.probe('internet', 'tcp', p.w1.publicIp, 10250, 1500),
    toHepDenied: await lab.probe('internet', 'tcp', p.w1.publicIp, 52311, 1500),
  };
  assert.deepEqual(seen, { cToB: 'open', aToB: 'timeout', aToOutside: 'open', aToOutsideDenied: 'timeout', toHep: 'open', toHepDenied: 'timeout' }, 'what the prober saw');
}

export interface ExpectedFlow {
  readonly what: string;
  /** The node whose agent reports it. */
  readonly node: string;
  readonly reporter: 'src' | 'dst';
  readonly src: string;
  readonly dst: string;
  readonly port: number;
  readonly action: 'allow' | 'deny';
  readonly source: Partial<FlowEndpoint>;
  readonly dest: Partial<FlowEndpoint>;
  /** The decisive verdict (the last enforced hit). */
  readonly hit: Partial<FlowPolicyHit>;
  /** The peer answered (conntrack saw reply packets). */
  readonly replied: boolean;
}

/** What every enforcing side must report for the probes of `probeFlowLab`. */
export function expectedFlows(lab: Lab, p: FlowLabPods): ExpectedFlow[] {
  const { a, b, c, w1, bNode } = p;
  const sys = lab.plan.system.ip;
  return [
    { what: 'c → b (other → default) egress', node: w1.name, reporter: 'src', src: c.ip, dst: b.ip, port: 80, action: 'allow', source: { kind: 'wep', namespace: 'other', name: 'c' }, dest: { kind: 'wep', namespace: 'default', name: 'b' }, hit: { kind: 'Profile', name: 'kns.other', action: 'profile-allow', direction: 'egress' }, replied: true },
    { what: 'c → b ingress', node: bNode, reporter: 'dst', src: c.ip, dst: b.ip, port: 80, action: 'allow', source: { kind: 'wep', name: 'c' }, dest: { kind: 'wep', name: 'b' }, hit: { kind: 'KubernetesNetworkPolicy', namespace: 'default', name: 'b-from-other', ruleIndex: 0, action: 'allow', direction: 'ingress' }, replied: true },
    { what: 'a → b egress', node: w1.name, reporter: 'src', src: a.ip, dst: b.ip, port: 80, action: 'allow', source: { kind: 'wep', name: 'a' }, dest: { kind: 'wep', name: 'b' }, hit: { kind: 'NetworkPolicy', namespace: 'default', name: 'a-egress', ruleIndex: 2, action: 'allow', direction: 'egress' }, replied: false },
    { what: 'a → b ingress (denied)', node: bNode, reporter: 'dst', src: a.ip, dst: b.ip, port: 80, action: 'deny', source: { kind: 'wep', name: 'a' }, dest: { kind: 'wep', name: 'b' }, hit: { tier: 'default', action: 'end-of-tier-deny', direction: 'ingress' }, replied: false },
    { what: 'a → outside:443', node: w1.name, reporter: 'src', src: a.ip, dst: sys, port: 443, action: 'allow', source: { kind: 'wep', name: 'a' }, dest: { kind: 'globalnetworkset', name: 'outside' }, hit: { kind: 'NetworkPolicy', name: 'a-egress', ruleIndex: 0, action: 'allow' }, replied: true },
    { what: 'a → outside:8080 (denied)', node: w1.name, reporter: 'src', src: a.ip, dst: sys, port: 8080, action: 'deny', source: { kind: 'wep', name: 'a' }, dest: { kind: 'globalnetworkset', name: 'outside' }, hit: { kind: 'NetworkPolicy', name: 'a-egress', ruleIndex: 1, action: 'deny' }, replied: false },
    { what: 'internet → host endpoint:10250', node: w1.name, reporter: 'dst', src: lab.plan.internet.ip, dst: w1.publicIp, port: 10250, action: 'allow', source: { kind: 'net' }, dest: { kind: 'hep', name: `${w1.name}-public` }, hit: { kind: 'GlobalNetworkPolicy', name: 'kubelet', ruleIndex: 0, action: 'allow', direction: 'ingress' }, replied: true },
    { what: 'internet → host endpoint:52311 (denied)', node: w1.name, reporter: 'dst', src: lab.plan.internet.ip, dst: w1.publicIp, port: 52311, action: 'deny', source: { kind: 'net' }, dest: { kind: 'hep' }, hit: { tier: 'default', action: 'end-of-tier-deny' }, replied: false },
  ];
}

/**
 * Counts against what the prober sent: a TCP connect and close without payload (TCP timestamps
 * on): a 60-byte SYN, then 52-byte segments, each way. A connection nobody answered is only SYNs
 * (the first and, within the prober's 1.5 s, at most one retransmission).
 */
export function checkProbeCounts(what: string, e: Pick<ExpectedFlow, 'replied'>, r: { packetsOut: number; bytesOut: number; packetsIn: number; bytesIn: number }): void {
  const c = `${what}: ${r.packetsOut}/${r.bytesOut} out, ${r.packetsIn}/${r.bytesIn} in`;
  if (e.replied) {
    assert.ok(r.packetsOut >= 2 && r.packetsOut <= 4, `${c}: SYN, ACK, FIN and the last ACK out (conntrack may be read before the close)`);
    assert.equal(r.bytesOut, 60 + 52 * (r.packetsOut - 1), `${c}: no payload out`);
    assert.ok(r.packetsIn >= 1 && r.packetsIn <= 3, `${c}: SYN-ACK, FIN and an ACK in`);
    assert.equal(r.bytesIn, 60 + 52 * (r.packetsIn - 1), `${c}: no payload in`);
  } else {
    assert.ok(r.packetsOut >= 1 && r.packetsOut <= 2, `${c}: the SYN and at most one retransmission`);
    assert.equal(r.bytesOut, 60 * r.packetsOut, `${c}: SYNs only`);
    assert.deepEqual([r.packetsIn, r.bytesIn], [0, 0], `${c}: no reply`);
  }
}
