/**
 * Host endpoints end to end (root only), with real packets in the lab, each next to the engine's
 * verdict for the same flow (`runProbe`): the kernel and the engine must agree on every flow.
 *
 * 1. Failsafe: once a HostEndpoint exists on a worker's public interface (eth1), host traffic
 *    through it is dropped (no policy, no profile), and a deny-all policy changes nothing, except
 *    the FelixConfiguration failsafe ports (Calico's defaults, then changed ones), inbound from
 *    the internet client and outbound from the worker.
 * 2. preDNAT: the seed's deny-nodeports (preDNAT + applyOnForward, Deny TCP/UDP 30000:32767 on
 *    the public host endpoints) refuses NodePorts from the internet while the LoadBalancer IP of
 *    the same Service still answers.
 * 3. applyOnForward: a host endpoint policy with applyOnForward affects traffic forwarded through
 *    the worker (internet → LoadBalancer IP → pod; internet → pod routed through the worker); the
 *    same policy without applyOnForward does not.
 * 4. doNotTrack: the NLB 2.0 whitelist shape (allow a client CIDR to the LB IP, deny the rest)
 *    in the raw table: the raw rules exist (`iptables-save -t raw` in the worker), the listed
 *    client is allowed, the others are dropped before conntrack; an untracked allow for traffic
 *    to the host itself needs its reply allowed too (Calico semantics), proved both ways.
 *
 * Each test brings up its own two-worker lab on a memory datastore and takes it down in
 * `finally`; every probe is bounded (300 ms, 1.2 s retry when the engine says Allow).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab, snapshotOf } from '../../src/lab/controller.js';
import { formatProbe, runProbe, type ProbeFlow, type ProbeRow } from '../../src/lab/probe.js';
import type { ProbeProto, ProbeResult } from '../../src/lab/responder.js';
import { openMemoryDatastore } from '../../src/datastore/index.js';
import { inNetns, netnsSkipReason, nodeRunner } from '../../src/sys/index.js';
import { required } from '../support/tools.js';

const skip = required(await netnsSkipReason());

interface Run {
  readonly lab: Lab;
  /** Applies a resource and waits until every agent (and the lab controller) has it. */
  apply(obj: unknown): Promise<void>;
  /** Probes the flows against the engine; asserts agreement; returns the rows. */
  probe(what: string, flows: readonly ProbeFlow[]): Promise<ProbeRow[]>;
  lap(what: string): void;
}

async function withLab(name: string, opts: { hostEndpoints: boolean }, fn: (r: Run) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tabby-hep-'));
  const logs: string[] = [];
  let lab: Lab | undefined;
  const t0 = performance.now();
  let last = t0;
  const laps: string[] = [];
  const lap = (what: string): void => {
    const now = performance.now();
    laps.push(`${what} ${(now - last).toFixed(0)} ms`);
    last = now;
  };
  try {
    lab = await Lab.up({ stateDir: dir, workers: 2, datastore: await openMemoryDatastore(), hostEndpoints: opts.hostEndpoints, log: (m) => logs.push(m) });
    lap('up');
    const l = lab;
    const run: Run = {
      lab: l,
      async apply(obj) {
        const w = await l.client.apply(obj);
        await l.settle(w.object.metadata.resourceVersion);
        await l.flushConntrack();
      },
      async probe(what, flows) {
        const { snapshot } = await snapshotOf(l.ds);
        const rows = await runProbe(l, snapshot, flows);
        const bad = rows.filter((r) => !r.agree);
        if (bad.length > 0) {
          const dumps = await Promise.all(
            l.plan.workers.map(async (w) => {
              const r = await inNetns(nodeRunner, w.netns).run({ argv: ['iptables-save', '-c'], timeoutMs: 10_000 });
              return `---- ${w.name}\n${r.stdout}`;
            }),
          );
          assert.fail(`${name}: ${what}: the kernel disagrees with the engine\n${formatProbe(rows)}\n${dumps.join('\n')}\n${logs.slice(-30).join('\n')}`);
        }
        return rows;
      },
      lap,
    };
    await fn(run);
  } finally {
    if (lab) {
      const errors = await lab.down();
      assert.deepEqual(errors, [], 'lab down');
    }
    rmSync(dir, { recursive: true, force: true });
    console.log(`# ${name}: ${laps.join(', ')}; total ${(performance.now() - t0).toFixed(0)} ms`);
  }
}

const flow = (from: string, toLabel: string, ip: string, proto: ProbeProto, port: number): ProbeFlow => ({ from, toLabel, ip, proto, port });

/** The probe result of one flow in `rows` (asserts it was probed). */
function real(rows: readonly ProbeRow[], from: string, ip: string, proto: ProbeProto, port: number): ProbeResult {
  const r = rows.find((x) => x.flow.from === from && x.flow.ip === ip && x.flow.proto === proto && x.flow.port === port);
  assert.ok(r, `flow ${from} → ${ip} ${proto}/${port} was probed`);
  return r.real;
}

const allowed = (r: ProbeResult): boolean => r === 'open' || r === 'refused';

const publicHep = (node: string, ip: string): unknown => ({
  apiVersion: 'projectcalico.org/v3',
  kind: 'HostEndpoint',
  metadata: { name: `${node}-public`, labels: { 'ibm.role': 'worker_public' } },
  spec: { node, interfaceName: 'eth1', expectedIPs: [ip] },
});

const felix = (spec: Record<string, unknown>): unknown => ({ apiVersion: 'projectcalico.org/v3', kind: 'FelixConfiguration', metadata: { name: 'default' }, spec });

test('host endpoint e2e: a HEP on eth1 drops host traffic except the failsafe ports; FelixConfiguration changes them', { skip, timeout: 180_000 }, async () => {
  await withLab('failsafe', { hostEndpoints: false }, async ({ lab, apply, probe, lap }) => {
    const [w1, w2] = lab.plan.workers;
    assert.ok(w1 && w2);
    const inet = lab.plan.internet.ip;
    // Inbound: the internet client to worker1's public address. 10250 has a listener; the
    // others answer RST / ICMP unreachable when policy lets them through ("refused" = allowed).
    const inbound = [
      flow('internet', 'node:worker1', w1.publicIp, 'tcp', 10250),
      flow('internet', 'node:worker1', w1.publicIp, 'tcp', 22),
      flow('internet', 'node:worker1', w1.publicIp, 'tcp', 179),
      flow('internet', 'node:worker1', w1.publicIp, 'tcp', 6443),
      flow('internet', 'node:worker1', w1.publicIp, 'udp', 68),
      flow('internet', 'node:worker1', w1.publicIp, 'tcp', 8080),
      flow('internet', 'node:worker1', w1.publicIp, 'udp', 53),
      flow('internet', 'node:worker1', w1.publicIp, 'icmp', 0),
      // worker2 has no host endpoint: not policed.
      flow('internet', 'node:worker2', w2.publicIp, 'tcp', 10250),
      // The private interface (eth0) of worker1 has no host endpoint either.
      flow('system', 'node:worker1', w1.privateIp, 'tcp', 10250),
    ];
    // Outbound: worker1 to the internet client (nothing listens there: RST / ICMP unreachable).
    const outbound = [
      flow('node:worker1', 'internet', inet, 'tcp', 179),
      flow('node:worker1', 'internet', inet, 'tcp', 2379),
      flow('node:worker1', 'internet', inet, 'udp', 53),
      flow('node:worker1', 'internet', inet, 'tcp', 22),
      flow('node:worker1', 'internet', inet, 'tcp', 80),
      flow('node:worker1', 'internet', inet, 'icmp', 0),
    ];
    const all = [...inbound, ...outbound];
    const ip1 = w1.publicIp;

    const open = await probe('no host endpoint', all);
    lap('probe (no HEP)');
    for (const r of open) assert.ok(allowed(r.real), `no host endpoint: ${r.flow.from} → ${r.flow.ip} ${r.flow.proto}/${r.flow.port} allowed (got ${r.real})`);
    assert.equal(real(open, 'internet', ip1, 'tcp', 10250), 'open');

    await apply(publicHep('worker1', ip1));
    const hep = await probe('HEP, no policy (default deny but failsafe)', all);
    console.log(formatProbe(hep).trimEnd());
    lap('HEP + probe');
    assert.equal(real(hep, 'internet', ip1, 'tcp', 10250), 'timeout', 'non-failsafe port dropped');
    assert.equal(real(hep, 'internet', ip1, 'tcp', 8080), 'timeout');
    assert.equal(real(hep, 'internet', ip1, 'udp', 53), 'timeout');
    assert.equal(real(hep, 'internet', ip1, 'icmp', 0), 'timeout');
    for (const [proto, port] of [['tcp', 22], ['tcp', 179], ['tcp', 6443], ['udp', 68]] as const)
      assert.ok(allowed(real(hep, 'internet', ip1, proto, port)), `failsafe inbound ${proto}/${port} open`);
    assert.equal(real(hep, 'internet', w2.publicIp, 'tcp', 10250), 'open', 'worker2 (no HEP) unaffected');
    assert.equal(real(hep, 'system', w1.privateIp, 'tcp', 10250), 'open', 'eth0 (no HEP) unaffected');
    for (const [proto, port] of [['tcp', 179], ['tcp', 2379], ['udp', 53]] as const)
      assert.ok(allowed(real(hep, 'node:worker1', inet, proto, port)), `failsafe outbound ${proto}/${port} open`);
    assert.equal(real(hep, 'node:worker1', inet, 'tcp', 22), 'timeout', 'tcp/22 is not a failsafe outbound port');
    assert.equal(real(hep, 'node:worker1', inet, 'tcp', 80), 'timeout');
    assert.equal(real(hep, 'node:worker1', inet, 'icmp', 0), 'timeout');

    // A deny-all policy on the public HEPs: failsafe ports cannot be overridden by normal policy.
    await apply({
      apiVersion: 'projectcalico.org/v3',
      kind: 'GlobalNetworkPolicy',
      metadata: { name: 'deny-all-public' },
      spec: { selector: "ibm.role == 'worker_public'", order: 10, types: ['Ingress', 'Egress'], ingress: [{ action: 'Deny' }], egress: [{ action: 'Deny' }] },
    });
    const denyAll = await probe('deny-all policy', all);
    lap('deny-all + probe');
    assert.equal(real(denyAll, 'internet', ip1, 'tcp', 10250), 'timeout');
    assert.ok(allowed(real(denyAll, 'internet', ip1, 'tcp', 22)), 'failsafe tcp/22 still open under deny-all');
    assert.ok(allowed(real(denyAll, 'node:worker1', inet, 'tcp', 179)), 'failsafe outbound tcp/179 still open under deny-all');

    // Change the failsafe ports: inbound tcp/8080 only, outbound tcp/22 only.
    await apply(felix({ failsafeInboundHostPorts: [{ protocol: 'TCP', port: 8080 }], failsafeOutboundHostPorts: [{ protocol: 'TCP', port: 22 }] }));
    const changed = await probe('failsafe ports changed', all);
    lap('FelixConfiguration + probe');
    assert.ok(allowed(real(changed, 'internet', ip1, 'tcp', 8080)), 'new failsafe inbound tcp/8080 open');
    for (const [proto, port] of [['tcp', 22], ['tcp', 179], ['tcp', 6443], ['udp', 68]] as const)
      assert.equal(real(changed, 'internet', ip1, proto, port), 'timeout', `${proto}/${port} no longer failsafe`);
    assert.ok(allowed(real(changed, 'node:worker1', inet, 'tcp', 22)), 'new failsafe outbound tcp/22 open');
    for (const [proto, port] of [['tcp', 179], ['tcp', 2379], ['udp', 53]] as const)
      assert.equal(real(changed, 'node:worker1', inet, proto, port), 'timeout', `outbound ${proto}/${port} no longer failsafe`);

    // No failsafe ports at all: everything through eth1 is dropped.
    await apply(felix({ failsafeInboundHostPorts: [], failsafeOutboundHostPorts: [] }));
    const none = await probe('no failsafe ports', all);
    lap('no failsafe + probe');
    for (const r of none.filter((x) => x.flow.ip === ip1 || x.flow.from === 'node:worker1'))
      assert.equal(r.real, 'timeout', `no failsafe: ${r.flow.from} → ${r.flow.ip} ${r.flow.proto}/${r.flow.port} dropped`);
  });
});

const webPod = (name: string, node: string): unknown => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels: { app: name } },
  spec: { nodeName: node, containers: [{ name: 'c', ports: [{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP' }] }] },
});

const lbService = (name: string, port: number): unknown => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default' },
  spec: {
    type: 'LoadBalancer',
    selector: { app: name },
    ports: [
      { name: 'http', port, targetPort: 80 },
      { name: 'dns', port: 5353, targetPort: 53, protocol: 'UDP' },
    ],
  },
});

interface Svc {
  readonly lb: string;
  readonly nodePort: { tcp: number; udp: number };
}

async function service(lab: Lab, name: string): Promise<Svc> {
  const o = (await lab.ds.get({ group: '', plural: 'services', namespace: 'default', name })) as unknown as {
    spec: { ports: { protocol?: string; nodePort: number }[] };
    status: { loadBalancer: { ingress: { ip: string }[] } };
  };
  const lb = o.status.loadBalancer.ingress[0]?.ip;
  assert.ok(lb, `${name}: a LoadBalancer IP`);
  const tcp = o.spec.ports.find((p) => (p.protocol ?? 'TCP') === 'TCP')?.nodePort;
  const udp = o.spec.ports.find((p) => p.protocol === 'UDP')?.nodePort;
  assert.ok(tcp && udp, `${name}: NodePorts allocated`);
  return { lb, nodePort: { tcp, udp } };
}

/** The seed's deny-nodeports (examples/seed/deny-nodeports.yaml, pack `deny-nodeports`). */
const denyNodePorts = {
  apiVersion: 'projectcalico.org/v3',
  kind: 'GlobalNetworkPolicy',
  metadata: { name: 'deny-nodeports' },
  spec: {
    applyOnForward: true,
    preDNAT: true,
    ingress: [
      { action: 'Deny', protocol: 'TCP', source: {}, destination: { ports: ['30000:32767'] } },
      { action: 'Deny', protocol: 'UDP', source: {}, destination: { ports: ['30000:32767'] } },
    ],
    selector: "ibm.role=='worker_public'",
    order: 1100,
    types: ['Ingress'],
  },
};

test('host endpoint e2e: preDNAT deny-nodeports refuses NodePorts from the internet while the LoadBalancer IP works', { skip, timeout: 180_000 }, async () => {
  await withLab('preDNAT', { hostEndpoints: true }, async ({ lab, apply, probe, lap }) => {
    const [w1, w2] = lab.plan.workers;
    assert.ok(w1 && w2);
    await lab.client.apply(webPod('web1', 'worker1'));
    await lab.client.apply(webPod('web2', 'worker2'));
    await lab.client.apply(lbService('web1', 8080));
    await apply(lbService('web2', 8080));
    const s1 = await service(lab, 'web1');
    const s2 = await service(lab, 'web2');
    lap('pods + services');
    const flows: ProbeFlow[] = [];
    for (const [name, s] of [['web1', s1], ['web2', s2]] as const) {
      flows.push(flow('internet', `lb ${name}`, s.lb, 'tcp', 8080), flow('internet', `lb ${name}`, s.lb, 'udp', 5353));
      for (const w of lab.plan.workers) {
        flows.push(flow('internet', `nodeport ${name} ${w.name}`, w.publicIp, 'tcp', s.nodePort.tcp));
        flows.push(flow('internet', `nodeport ${name} ${w.name}`, w.publicIp, 'udp', s.nodePort.udp));
        // The private VLAN: eth0 has no host endpoint, the NodePort stays open there.
        flows.push(flow('system', `nodeport ${name} ${w.name}`, w.privateIp, 'tcp', s.nodePort.tcp));
      }
    }
    // Host traffic on the public interface: default deny (HEP, no policy) but failsafe.
    flows.push(flow('internet', 'node:worker1', w1.publicIp, 'tcp', 10250), flow('internet', 'node:worker1', w1.publicIp, 'tcp', 22));

    const before = await probe('HEPs, no policy', flows);
    lap('probe (no policy)');
    for (const s of [s1, s2]) {
      assert.equal(real(before, 'internet', s.lb, 'tcp', 8080), 'open', 'LB IP answers (forwarded traffic allowed by default)');
      assert.equal(real(before, 'internet', s.lb, 'udp', 5353), 'open');
      for (const w of lab.plan.workers) {
        assert.equal(real(before, 'internet', w.publicIp, 'tcp', s.nodePort.tcp), 'open', `NodePort tcp/${s.nodePort.tcp} on ${w.name} open before the policy`);
        assert.equal(real(before, 'internet', w.publicIp, 'udp', s.nodePort.udp), 'open');
      }
    }
    assert.equal(real(before, 'internet', w1.publicIp, 'tcp', 10250), 'timeout', 'HEP without policy drops host traffic');
    assert.ok(allowed(real(before, 'internet', w1.publicIp, 'tcp', 22)), 'failsafe tcp/22');

    await apply(denyNodePorts);
    const after = await probe('deny-nodeports', flows);
    console.log(formatProbe(after).trimEnd());
    lap('deny-nodeports + probe');
    for (const s of [s1, s2]) {
      assert.equal(real(after, 'internet', s.lb, 'tcp', 8080), 'open', 'the LB IP still answers');
      assert.equal(real(after, 'internet', s.lb, 'udp', 5353), 'open');
      for (const w of lab.plan.workers) {
        assert.equal(real(after, 'internet', w.publicIp, 'tcp', s.nodePort.tcp), 'timeout', `NodePort tcp/${s.nodePort.tcp} on ${w.name} dropped before DNAT`);
        assert.equal(real(after, 'internet', w.publicIp, 'udp', s.nodePort.udp), 'timeout');
        assert.equal(real(after, 'system', w.privateIp, 'tcp', s.nodePort.tcp), 'open', 'NodePort on the private interface unaffected');
      }
    }
    const mangle = await inNetns(nodeRunner, w1.netns).run({ argv: ['iptables-save', '-t', 'mangle'], timeoutMs: 10_000 });
    assert.match(mangle.stdout, /-A cali-fh-eth1 .*-j cali-pi-/, 'the preDNAT policy is dispatched from the mangle host endpoint chain');
    assert.match(mangle.stdout, /-A cali-pi-\S+ -p tcp .*--dports 30000:32767 -j DROP/);
  });
});

test('host endpoint e2e: applyOnForward policies police forwarded traffic, others only the host', { skip, timeout: 180_000 }, async () => {
  await withLab('applyOnForward', { hostEndpoints: true }, async ({ lab, apply, probe, lap }) => {
    const [w1, w2] = lab.plan.workers;
    assert.ok(w1 && w2);
    const inet = lab.plan.internet;
    await lab.client.apply(webPod('web1', 'worker1'));
    await lab.client.apply(webPod('web2', 'worker2'));
    await lab.client.apply(lbService('web1', 8080));
    await apply(lbService('web2', 8080));
    const s1 = await service(lab, 'web1');
    const s2 = await service(lab, 'web2');
    const p1 = lab.pod('web1');
    const p2 = lab.pod('web2');
    assert.ok(p1 && p2);
    // Let the internet client route to each worker's pods through that worker's public address,
    // so traffic to a pod IP is forwarded in through the worker's eth1 (inside the lab's own
    // internet namespace; removed with it).
    for (const w of lab.plan.workers) {
      const r = await nodeRunner.run({ argv: ['ip', '-n', inet.netns, 'route', 'add', w.podCidr, 'via', w.publicIp, 'dev', 'eth0'], timeoutMs: 10_000 });
      assert.equal(r.code, 0, r.stderr);
    }
    lap('pods + services + routes');
    const flows: ProbeFlow[] = [
      flow('internet', 'lb web1', s1.lb, 'tcp', 8080),
      flow('internet', 'lb web2', s2.lb, 'tcp', 8080),
      flow('internet', 'lb web1', s1.lb, 'udp', 5353),
      flow('internet', 'default/web1', p1.ip, 'tcp', 80),
      flow('internet', 'default/web1', p1.ip, 'udp', 53),
      flow('internet', 'default/web2', p2.ip, 'tcp', 80),
      flow('internet', 'default/web2', p2.ip, 'udp', 53),
      flow('internet', 'default/web2', p2.ip, 'icmp', 0),
      flow('internet', 'node:worker1', w1.publicIp, 'tcp', 10250),
      flow('internet', 'node:worker1', w1.publicIp, 'tcp', 52311),
      flow('internet', 'node:worker2', w2.publicIp, 'tcp', 10250),
    ];
    const open = await probe('HEPs, no policy', flows);
    lap('probe (no policy)');
    for (const r of open.filter((x) => !x.flow.toLabel.startsWith('node:'))) assert.equal(r.real, 'open', `${r.flow.toLabel} ${r.flow.proto}: forwarded traffic allowed by default`);

    const policy = (applyOnForward: boolean): unknown => ({
      apiVersion: 'projectcalico.org/v3',
      kind: 'GlobalNetworkPolicy',
      metadata: { name: 'public-ingress' },
      spec: {
        selector: "ibm.role == 'worker_public'",
        order: 100,
        applyOnForward,
        types: ['Ingress'],
        ingress: [
          { action: 'Deny', protocol: 'TCP', source: { nets: [`${inet.ip}/32`] }, destination: { ports: [80, 10250] } },
          { action: 'Allow' },
        ],
      },
    });
    await apply(policy(true));
    const fwd = await probe('applyOnForward: true', flows);
    console.log(formatProbe(fwd).trimEnd());
    lap('applyOnForward policy + probe');
    assert.equal(real(fwd, 'internet', p1.ip, 'tcp', 80), 'timeout', 'forwarded internet → pod tcp/80 denied');
    assert.equal(real(fwd, 'internet', p2.ip, 'tcp', 80), 'timeout');
    assert.equal(real(fwd, 'internet', s1.lb, 'tcp', 8080), 'timeout', 'LB → pod tcp/80 is denied after DNAT');
    assert.equal(real(fwd, 'internet', s2.lb, 'tcp', 8080), 'timeout', 'LB → pod on the other worker: the forward policy sees the client, not the SNAT address');
    assert.equal(real(fwd, 'internet', p1.ip, 'udp', 53), 'open', 'forwarded udp allowed by the policy');
    assert.equal(real(fwd, 'internet', s1.lb, 'udp', 5353), 'open');
    assert.equal(real(fwd, 'internet', w1.publicIp, 'tcp', 10250), 'timeout', 'host tcp/10250 denied');
    assert.equal(real(fwd, 'internet', w1.publicIp, 'tcp', 52311), 'open', 'host tcp/52311 allowed');

    await apply(policy(false));
    const host = await probe('applyOnForward: false', flows);
    lap('host-only policy + probe');
    for (const r of host.filter((x) => !x.flow.toLabel.startsWith('node:'))) assert.equal(r.real, 'open', `${r.flow.toLabel} ${r.flow.proto}: not policed without applyOnForward`);
    assert.equal(real(host, 'internet', w1.publicIp, 'tcp', 10250), 'timeout', 'host traffic still policed');
    assert.equal(real(host, 'internet', w2.publicIp, 'tcp', 10250), 'timeout');
    assert.equal(real(host, 'internet', w1.publicIp, 'tcp', 52311), 'open');

    // What the pods' policies see: routed straight to a pod IP, the client's address. Through the
    // LoadBalancer IP (externalTrafficPolicy Cluster) kube-proxy masquerades in POSTROUTING: a
    // pod on the entry node is policed in that node's FORWARD hook, before the masquerade, so it
    // still sees the client; a pod on another node sees the entry node's address.
    await apply({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'only-the-client', namespace: 'default' },
      spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ ipBlock: { cidr: `${inet.ip}/32` } }] }] },
    });
    const pods = await probe('pods allow only the client address', flows);
    console.log(formatProbe(pods).trimEnd());
    lap('pod policy + probe');
    assert.equal(real(pods, 'internet', p1.ip, 'tcp', 80), 'open', 'routed to the pod: source is the client');
    assert.equal(real(pods, 'internet', p2.ip, 'tcp', 80), 'open');
    assert.equal(real(pods, 'internet', s1.lb, 'tcp', 8080), 'open', 'LB IP → pod on the entry node: policed before the masquerade');
    assert.equal(real(pods, 'internet', s2.lb, 'tcp', 8080), 'timeout', 'LB IP → pod on the other node: source is the entry node');
  });
});

test('host endpoint e2e: doNotTrack (NLB 2.0 whitelist shape) in the raw table; untracked replies need their own allow', { skip, timeout: 180_000 }, async () => {
  await withLab('doNotTrack', { hostEndpoints: true }, async ({ lab, apply, probe, lap }) => {
    const [w1] = lab.plan.workers;
    assert.ok(w1);
    const inet = lab.plan.internet;
    await lab.client.apply(webPod('web1', 'worker1'));
    await apply(lbService('web1', 80));
    const s1 = await service(lab, 'web1');
    const p1 = lab.pod('web1');
    assert.ok(p1);
    const r = await nodeRunner.run({ argv: ['ip', '-n', inet.netns, 'route', 'add', w1.podCidr, 'via', w1.publicIp, 'dev', 'eth0'], timeoutMs: 10_000 });
    assert.equal(r.code, 0, r.stderr);
    lap('pod + service + route');
    const flows: ProbeFlow[] = [
      flow('internet', 'lb web1', s1.lb, 'tcp', 80),
      flow('internet', 'node:worker1', w1.publicIp, 'tcp', 10250),
      flow('internet', 'node:worker1', w1.publicIp, 'tcp', 52311),
      flow('internet', 'node:worker1', w1.publicIp, 'tcp', 22),
      flow('internet', 'default/web1', p1.ip, 'tcp', 80),
      flow('internet', 'default/web1', p1.ip, 'udp', 53),
    ];
    const whitelist = (client: string, egress: boolean): unknown => ({
      apiVersion: 'projectcalico.org/v3',
      kind: 'GlobalNetworkPolicy',
      metadata: { name: 'whitelist' },
      spec: {
        selector: "ibm.role=='worker_public'",
        order: 500,
        doNotTrack: true,
        applyOnForward: true,
        types: egress ? ['Ingress', 'Egress'] : ['Ingress'],
        ingress: [
          { action: 'Allow', protocol: 'TCP', source: { nets: [client] }, destination: { nets: [`${s1.lb}/32`], ports: [80] } },
          { action: 'Allow', protocol: 'TCP', source: { nets: [client] }, destination: { nets: [`${w1.publicIp}/32`], ports: [10250] } },
          { action: 'Allow', protocol: 'TCP', source: { nets: [client] }, destination: { nets: [`${p1.ip}/32`], ports: [80] } },
          { action: 'Allow', protocol: 'UDP', source: { nets: [client] }, destination: { nets: [`${p1.ip}/32`], ports: [53] } },
          { action: 'Deny', protocol: 'TCP', destination: { nets: [`${s1.lb}/32`, `${w1.publicIp}/32`] } },
        ],
        ...(egress ? { egress: [{ action: 'Allow', protocol: 'TCP', source: { nets: [`${w1.publicIp}/32`], ports: [10250] }, destination: { nets: [client] } }] } : {}),
      },
    });

    // Another client is whitelisted: the internet client is dropped in raw, before conntrack.
    await apply(whitelist('198.18.1.200/32', false));
    const others = await probe('another client whitelisted', flows);
    console.log(formatProbe(others).trimEnd());
    lap('whitelist (other client) + probe');
    assert.equal(real(others, 'internet', s1.lb, 'tcp', 80), 'timeout', 'LB IP: not whitelisted, dropped');
    assert.equal(real(others, 'internet', w1.publicIp, 'tcp', 52311), 'timeout');
    assert.ok(allowed(real(others, 'internet', w1.publicIp, 'tcp', 22)), 'failsafe comes before untracked policy (raw failsafe chain)');
    assert.equal(real(others, 'internet', p1.ip, 'tcp', 80), 'open', 'pod IP is not in the deny rule');
    const rawRules = await inNetns(nodeRunner, w1.netns).run({ argv: ['iptables-save', '-t', 'raw'], timeoutMs: 10_000 });
    assert.match(rawRules.stdout, /-A PREROUTING .*-j cali-PREROUTING/);
    assert.match(rawRules.stdout, /-A cali-from-host-endpoint -i eth1 .*-g cali-fh-eth1/);
    assert.match(rawRules.stdout, /-A cali-fh-eth1 .*-j cali-failsafe-in/);
    assert.match(rawRules.stdout, /-A cali-fh-eth1 .*-j cali-pi-\S+/);
    assert.match(rawRules.stdout, /-A cali-fh-eth1 .*--mark 0x10000\/0x10000 -j (CT --notrack|NOTRACK)/);
    assert.match(rawRules.stdout, new RegExp(`-A cali-pi-\\S+ -s 198\\.18\\.1\\.200/32 -d ${s1.lb.replaceAll('.', '\\.')}/32 -p tcp .*--dports 80 .*0x10000`));
    assert.match(rawRules.stdout, /-A cali-pi-\S+ .*-p tcp .*-j DROP/, 'deny the others');

    // The internet client whitelisted, ingress only. Untracked means no conntrack: kube-proxy's
    // DNAT never sees the packet (the LB IP is not reached), and the replies of untracked
    // connections are INVALID to conntrack, dropped by the host endpoint / workload chains.
    const client = `${inet.ip}/32`;
    await apply(whitelist(client, false));
    const ingressOnly = await probe('internet whitelisted, ingress only', flows);
    console.log(formatProbe(ingressOnly).trimEnd());
    lap('whitelist (client) + probe');
    assert.equal(real(ingressOnly, 'internet', w1.publicIp, 'tcp', 10250), 'timeout', 'untracked in, reply not allowed untracked: dropped');
    assert.equal(real(ingressOnly, 'internet', s1.lb, 'tcp', 80), 'timeout', 'untracked LB packets are not DNATed');
    assert.equal(real(ingressOnly, 'internet', p1.ip, 'tcp', 80), 'timeout', 'untracked forwarded TCP: the reply is INVALID in the workload chain');
    assert.equal(real(ingressOnly, 'internet', w1.publicIp, 'tcp', 52311), 'timeout');
    assert.equal(real(ingressOnly, 'internet', p1.ip, 'udp', 53), 'timeout', 'untracked forwarded UDP: the reply opens a new flow, which natOutgoing masquerades');

    // An untracked egress rule for the replies: the host port works both ways.
    await apply(whitelist(client, true));
    const both = await probe('internet whitelisted, replies allowed untracked', flows);
    console.log(formatProbe(both).trimEnd());
    lap('whitelist + egress + probe');
    assert.equal(real(both, 'internet', w1.publicIp, 'tcp', 10250), 'open', 'untracked both ways');
    const rawOut = await inNetns(nodeRunner, w1.netns).run({ argv: ['iptables-save', '-t', 'raw'], timeoutMs: 10_000 });
    assert.match(rawOut.stdout, /-A cali-th-eth1 .*-j cali-po-\S+/);
    assert.match(rawOut.stdout, new RegExp(`-A cali-po-\\S+ -s ${w1.publicIp.replaceAll('.', '\\.')}/32 -d 198\\.18\\.1\\.250/32 -p tcp .*--sports 10250`));

    // A normal (tracked) egress policy is no return path for untracked TCP: the SYN-ACK is
    // INVALID to conntrack.
    await apply(whitelist(client, false));
    await apply({
      apiVersion: 'projectcalico.org/v3',
      kind: 'GlobalNetworkPolicy',
      metadata: { name: 'public-egress' },
      spec: { selector: "ibm.role=='worker_public'", order: 100, types: ['Egress'], egress: [{ action: 'Allow' }] },
    });
    const tracked = await probe('replies by normal egress policy', flows);
    console.log(formatProbe(tracked).trimEnd());
    lap('normal egress + probe');
    assert.equal(real(tracked, 'internet', w1.publicIp, 'tcp', 10250), 'timeout');
  });
});
