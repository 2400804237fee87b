/**
 * Per-node Felix configuration and host endpoints on the InternalIP interface, end to end (root
 * only), with real packets in the lab next to the engine's verdict for every flow (`runProbe`)
 * and, for the per-node failsafe change, next to `tabby verdict` itself (the CLI reading the
 * lab's objects from a file).
 *
 * 1. Per-node failsafe ports (issue 14 item 2): both workers carry a public host endpoint (eth1)
 *    with no policy, so host traffic through it is dropped except failsafe ports. A
 *    `node.worker1` FelixConfiguration replaces worker1's inbound failsafe ports with tcp:8080;
 *    worker2 keeps Felix's defaults. The agent on worker1 programs the new ports, worker2's does
 *    not, and the engine judges each worker with its own settings.
 * 2. From outside the cluster to a pod through the host endpoint on the InternalIP interface
 *    (issue 14 item 5): host endpoints on eth0 (the InternalIP, the private VLAN) only. The
 *    private VLAN's "system" host, outside the cluster, routes the pod ranges via the workers'
 *    private addresses, so its packets to pods are forwarded in through eth0. The Calico docs'
 *    DoS mitigation (a GlobalNetworkSet deny list, a doNotTrack + applyOnForward Deny) drops
 *    them in raw PREROUTING; an applyOnForward policy on the same host endpoints denies UDP in
 *    the FORWARD chain. The internet client, routed to the pods via the public addresses,
 *    arrives on eth1, which has no host endpoint: not policed (engine and kernel agree).
 *
 * Each test brings up its own two-worker lab on a memory datastore and takes it down in
 * `finally`; every probe is bounded (300 ms, 1.2 s retry when the engine says Allow).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Lab, snapshotOf } from '../../src/lab/controller.js';
import { engineInput, formatProbe, runProbe, type ProbeFlow, type ProbeRow } from '../../src/lab/probe.js';
import type { ProbeProto, ProbeResult } from '../../src/lab/responder.js';
import { openMemoryDatastore } from '../../src/datastore/index.js';
import { inNetns, netnsSkipReason, nodeRunner } from '../../src/sys/index.js';
import { main } from '../../src/cli/main.js';
import { nodeIo } from '../../src/cli/node-io.js';
import { required } from '../support/tools.js';

const skip = required(await netnsSkipReason());

interface Run {
  readonly lab: Lab;
  readonly dir: string;
  /** Applies a resource and waits until every agent (and the lab controller) has it. */
  apply(obj: unknown): Promise<void>;
  /** Probes the flows against the engine; asserts agreement; returns the rows. */
  probe(what: string, flows: readonly ProbeFlow[]): Promise<ProbeRow[]>;
}

async function withLab(name: string, opts: { hostEndpoints: boolean }, fn: (r: Run) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tabby-felixcfg-'));
  const logs: string[] = [];
  let lab: Lab | undefined;
  try {
    lab = await Lab.up({ stateDir: dir, workers: 2, datastore: await openMemoryDatastore(), hostEndpoints: opts.hostEndpoints, log: (m) => logs.push(m) });
    const l = lab;
    await fn({
      lab: l,
      dir,
      async apply(obj) {
        const w = await l.client.apply(obj);
        await l.settle(w.object.metadata.resourceVersion);
        await l.flushConntrack();
      },
      async probe(what, flows) {
        const { snapshot } = await snapshotOf(l.ds);
        const rows = await runProbe(l, snapshot, flows);
        console.log(`# ${name}: ${what}\n${formatProbe(rows).trimEnd()}`);
        if (rows.some((r) => !r.agree)) {
          const dumps = await Promise.all(
            l.plan.workers.map(async (w) => `---- ${w.name}\n${(await inNetns(nodeRunner, w.netns).run({ argv: ['iptables-save', '-c'], timeoutMs: 10_000 })).stdout}`),
          );
          assert.fail(`${name}: ${what}: the kernel disagrees with the engine\n${formatProbe(rows)}\n${dumps.join('\n')}\n${logs.slice(-30).join('\n')}`);
        }
        return rows;
      },
    });
  } finally {
    if (lab) assert.deepEqual(await lab.down(), [], 'lab down');
    rmSync(dir, { recursive: true, force: true });
  }
}

const flow = (from: string, toLabel: string, ip: string, proto: ProbeProto, port: number): ProbeFlow => ({ from, toLabel, ip, proto, port });

function real(rows: readonly ProbeRow[], from: string, ip: string, proto: ProbeProto, port: number): ProbeResult {
  const r = rows.find((x) => x.flow.from === from && x.flow.ip === ip && x.flow.proto === proto && x.flow.port === port);
  assert.ok(r, `flow ${from} → ${ip} ${proto}/${port} was probed`);
  return r.real;
}

const allowed = (r: ProbeResult): boolean => r === 'open' || r === 'refused';

/** `tabby verdict -f <the lab's objects> --flows <flows> -o json`: the actions, in flow order. */
async function cliVerdicts(run: Run, flows: readonly ProbeFlow[]): Promise<string[]> {
  const { resources } = await snapshotOf(run.lab.ds);
  const objects = join(run.dir, 'objects.yaml');
  const flowsFile = join(run.dir, 'flows.json');
  writeFileSync(objects, resources.map((r) => stringify(r)).join('---\n'));
  writeFileSync(flowsFile, JSON.stringify(flows.map((f) => engineInput(run.lab, f))));
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['verdict', '-f', objects, '--flows', flowsFile, '-o', 'json'], {
    ...nodeIo,
    stdout: (s: string) => void out.push(s),
    stderr: (s: string) => void err.push(s),
  });
  assert.equal(code, 0, err.join(''));
  return (JSON.parse(out.join('')) as { action: string }[]).map((v) => v.action);
}

test('felix config e2e: a node.<worker> FelixConfiguration changes that worker\'s failsafe ports only; tabby verdict and the kernel agree', { skip, timeout: 180_000 }, async () => {
  await withLab('per-node failsafe', { hostEndpoints: true }, async (run) => {
    const { lab, apply, probe } = run;
    const [w1, w2] = lab.plan.workers;
    assert.ok(w1 && w2);
    const flows: ProbeFlow[] = [];
    for (const w of [w1, w2]) for (const port of [8080, 22, 10250]) flows.push(flow('internet', `node:${w.name}`, w.publicIp, 'tcp', port));

    const before = await probe('Felix defaults on both workers', flows);
    for (const w of [w1, w2]) {
      assert.ok(allowed(real(before, 'internet', w.publicIp, 'tcp', 22)), `${w.name}: default failsafe tcp/22`);
      assert.equal(real(before, 'internet', w.publicIp, 'tcp', 8080), 'timeout', `${w.name}: tcp/8080 dropped (HEP, no policy)`);
    }

    await apply({
      apiVersion: 'projectcalico.org/v3',
      kind: 'FelixConfiguration',
      metadata: { name: `node.${w1.name}` },
      spec: { failsafeInboundHostPorts: [{ protocol: 'TCP', port: 8080 }] },
    });
    const after = await probe(`node.${w1.name} failsafe tcp:8080`, flows);
    assert.ok(allowed(real(after, 'internet', w1.publicIp, 'tcp', 8080)), `${w1.name}: its own failsafe tcp/8080 open`);
    assert.equal(real(after, 'internet', w1.publicIp, 'tcp', 22), 'timeout', `${w1.name}: tcp/22 no longer failsafe`);
    assert.equal(real(after, 'internet', w2.publicIp, 'tcp', 8080), 'timeout', `${w2.name}: unchanged, tcp/8080 dropped`);
    assert.ok(allowed(real(after, 'internet', w2.publicIp, 'tcp', 22)), `${w2.name}: unchanged, failsafe tcp/22`);
    for (const w of [w1, w2]) assert.equal(real(after, 'internet', w.publicIp, 'tcp', 10250), 'timeout');

    // `tabby verdict` over the same objects says what the kernels did.
    const cli = await cliVerdicts(run, flows);
    assert.deepEqual(
      cli.map((a, i) => `${flows[i]!.toLabel} ${flows[i]!.port}: ${a}`),
      after.map((r) => `${r.flow.toLabel} ${r.flow.port}: ${allowed(r.real) ? 'Allow' : 'Deny'}`),
    );

    // The rules themselves: worker1's failsafe chain has tcp/8080, worker2's tcp/22.
    const save = async (netns: string): Promise<string> => (await inNetns(nodeRunner, netns).run({ argv: ['iptables-save', '-t', 'filter'], timeoutMs: 10_000 })).stdout;
    assert.match(await save(w1.netns), /-A cali-failsafe-in -p tcp .*--dports 8080 -j ACCEPT/);
    assert.doesNotMatch(await save(w1.netns), /-A cali-failsafe-in -p tcp .*--dports 22 -j ACCEPT/);
    assert.match(await save(w2.netns), /-A cali-failsafe-in -p tcp .*--dports 22 -j ACCEPT/);
  });
});

const webPod = (name: string, node: string): unknown => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels: { app: name } },
  spec: { nodeName: node, containers: [{ name: 'c', ports: [{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP' }] }] },
});

test('felix config e2e: outside the cluster → pod through the InternalIP host endpoint: doNotTrack deny and applyOnForward deny', { skip, timeout: 180_000 }, async () => {
  await withLab('external → pod via eth0', { hostEndpoints: false }, async ({ lab, apply, probe }) => {
    const [w1, w2] = lab.plan.workers;
    assert.ok(w1 && w2);
    const { system, internet } = lab.plan;
    await lab.client.apply(webPod('web1', w1.name));
    await lab.client.apply(webPod('web2', w2.name));
    for (const w of lab.plan.workers)
      await apply({
        apiVersion: 'projectcalico.org/v3',
        kind: 'HostEndpoint',
        metadata: { name: `${w.name}-private`, labels: { 'apply-dos-mitigation': 'true' } },
        spec: { node: w.name, interfaceName: 'eth0', expectedIPs: [w.privateIp] },
      });
    const p1 = lab.pod('web1');
    const p2 = lab.pod('web2');
    assert.ok(p1 && p2);
    // Inside the lab's own client namespaces (removed with them): the private VLAN's system host
    // reaches each worker's pods via its private address (eth0), the internet client via its
    // public one (eth1).
    for (const w of lab.plan.workers) {
      for (const [host, via] of [
        [system, w.privateIp],
        [internet, w.publicIp],
      ] as const) {
        const r = await nodeRunner.run({ argv: ['ip', '-n', host.netns, 'route', 'add', w.podCidr, 'via', via, 'dev', 'eth0'], timeoutMs: 10_000 });
        assert.equal(r.code, 0, r.stderr);
      }
    }
    const flows: ProbeFlow[] = [];
    for (const from of ['system', 'internet'])
      for (const p of [p1, p2]) flows.push(flow(from, `default/${p === p1 ? 'web1' : 'web2'}`, p.ip, 'tcp', 80), flow(from, `default/${p === p1 ? 'web1' : 'web2'}`, p.ip, 'udp', 53));

    const open = await probe('host endpoints on eth0, no policy', flows);
    for (const r of open) assert.equal(r.real, 'open', `${r.flow.from} → ${r.flow.toLabel} ${r.flow.proto}: forwarded traffic allowed by default`);

    // Calico docs, "Defend against DoS attacks": the deny list and the untracked deny.
    await apply({
      apiVersion: 'projectcalico.org/v3',
      kind: 'GlobalNetworkSet',
      metadata: { name: 'dos-mitigation', labels: { 'dos-blacklist': 'true' } },
      spec: { nets: [`${system.ip}/32`] },
    });
    await apply({
      apiVersion: 'projectcalico.org/v3',
      kind: 'GlobalNetworkPolicy',
      metadata: { name: 'dos-mitigation' },
      spec: {
        selector: "apply-dos-mitigation == 'true'",
        doNotTrack: true,
        applyOnForward: true,
        types: ['Ingress'],
        ingress: [{ action: 'Deny', protocol: 'TCP', source: { selector: "dos-blacklist == 'true'" } }],
      },
    });
    const untracked = await probe('doNotTrack deny from the deny list', flows);
    for (const p of [p1, p2]) {
      assert.equal(real(untracked, 'system', p.ip, 'tcp', 80), 'timeout', 'dropped in raw PREROUTING on eth0');
      assert.equal(real(untracked, 'system', p.ip, 'udp', 53), 'open', 'UDP is not in the deny rule');
      assert.equal(real(untracked, 'internet', p.ip, 'tcp', 80), 'open', 'eth1 has no host endpoint');
    }
    const raw = (await inNetns(nodeRunner, w1.netns).run({ argv: ['iptables-save', '-t', 'raw'], timeoutMs: 10_000 })).stdout;
    assert.match(raw, /-A cali-from-host-endpoint -i eth0 .*-g cali-fh-eth0/);
    assert.match(raw, /-A cali-fh-eth0 .*-j cali-pi-\S+/);

    // applyOnForward on the same host endpoints: UDP from the system host denied when forwarded.
    await apply({
      apiVersion: 'projectcalico.org/v3',
      kind: 'GlobalNetworkPolicy',
      metadata: { name: 'forward-no-udp' },
      spec: {
        selector: "apply-dos-mitigation == 'true'",
        applyOnForward: true,
        order: 100,
        types: ['Ingress'],
        ingress: [{ action: 'Deny', protocol: 'UDP', source: { nets: [`${system.ip}/32`] } }, { action: 'Allow' }],
      },
    });
    const forward = await probe('applyOnForward deny of UDP', flows);
    for (const p of [p1, p2]) {
      assert.equal(real(forward, 'system', p.ip, 'udp', 53), 'timeout', 'denied in the FORWARD chain of eth0');
      assert.equal(real(forward, 'system', p.ip, 'tcp', 80), 'timeout', 'still denied untracked');
      assert.equal(real(forward, 'internet', p.ip, 'udp', 53), 'open', 'eth1 has no host endpoint');
    }
    const filter = (await inNetns(nodeRunner, w2.netns).run({ argv: ['iptables-save', '-t', 'filter'], timeoutMs: 10_000 })).stdout;
    assert.match(filter, /-A cali-from-hep-forward -i eth0 .*-g cali-fhfw-eth0/);
  });
});
