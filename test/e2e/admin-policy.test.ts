/**
 * AdminNetworkPolicy and BaselineAdminNetworkPolicy on real packets (root only), on both
 * dataplanes (iptables + ipset, and nftables): a two-worker lab gets the conformance cluster of
 * src/engine/testdata/anp/cluster.yaml (four houses, two pods each, serving TCP 80 `web` and
 * 8080, UDP 53 `dns` and 5353), then a representative subset of the restated upstream
 * conformance tests runs step by step: each step's objects are written, the lab settles, and
 * every expectation of the step is probed with real packets. Each probe must agree with the
 * engine's verdict for the same flow, and both with the upstream expectation.
 *
 * Addresses: the lab gives pods its own addresses; an address of cluster.yaml in a policy
 * (`networks: [<pod>/32]`) is rewritten to the same pod's lab address, and `node:w2` is the lab's
 * worker w2 (workers are named w1, w2 as in cluster.yaml). SCTP flows, and flows to addresses
 * outside the lab, are left out here (the lab's pods serve TCP and UDP, and no packet leaves the
 * lab); the engine test (src/engine/admin-policy-conformance.test.ts) checks them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { Lab, snapshotOf } from '../../src/lab/controller.js';
import { formatProbe, runProbe, type ProbeFlow, type ProbeRow } from '../../src/lab/probe.js';
import { openMemoryDatastore, type ResourceType } from '../../src/datastore/index.js';
import { netnsSkipReason } from '../../src/sys/index.js';
import { required } from '../support/tools.js';

const skip = required(await netnsSkipReason());
const DIR = resolve(import.meta.dirname, '..', '..', 'src', 'engine', 'testdata', 'anp');

/** The subset: core gress rules (TCP, UDP, both directions), priority, ANP → NetworkPolicy → BANP, networks, nodes, port ranges, named ports. */
const FILES = [
  'anp-ingress-tcp.yaml',
  'anp-egress-udp.yaml',
  'anp-gress.yaml',
  'anp-priority.yaml',
  'anp-np-banp.yaml',
  'anp-egress-networks.yaml',
  'anp-egress-nodes.yaml',
  'anp-ingress-named-port.yaml',
  'anp-egress-named-port.yaml',
  'banp-ingress-tcp.yaml',
  'banp-egress-nodes.yaml',
  'banp-egress-named-port.yaml',
];

type Obj = Record<string, unknown>;
interface Expectation {
  readonly name?: string;
  readonly from: string;
  readonly to: string;
  readonly protocol: string;
  readonly port: number;
  readonly expect: 'Allow' | 'Deny';
}
interface Step {
  readonly name: string;
  readonly apply?: readonly Obj[];
  readonly delete?: readonly { kind: string; namespace?: string; name: string }[];
  readonly expect: readonly Expectation[];
}

const TYPES: Readonly<Record<string, ResourceType>> = {
  AdminNetworkPolicy: { group: 'policy.networking.k8s.io', plural: 'adminnetworkpolicies' },
  BaselineAdminNetworkPolicy: { group: 'policy.networking.k8s.io', plural: 'baselineadminnetworkpolicies' },
  NetworkPolicy: { group: 'networking.k8s.io', plural: 'networkpolicies' },
};

const meta = (o: Obj): { name: string; namespace?: string } => o['metadata'] as { name: string; namespace?: string };

/** The cluster for the lab: Namespaces and the houses' Pods (not the Nodes, nor the host-network centaurs: the lab's workers are those). */
function clusterObjects(): { objects: Obj[]; fixtureIps: Map<string, string> } {
  const all = parseAllDocuments(readFileSync(join(DIR, 'cluster.yaml'), 'utf8')).map((d) => d.toJS() as Obj);
  const fixtureIps = new Map<string, string>();
  const objects: Obj[] = [];
  for (const o of all) {
    if (o['kind'] === 'Namespace') objects.push(o);
    if (o['kind'] !== 'Pod' || (o['spec'] as { hostNetwork?: boolean }).hostNetwork === true) continue;
    const m = meta(o);
    fixtureIps.set(`${m.namespace}/${m.name}`, (o['status'] as { podIP: string }).podIP);
    // SCTP ports are left out: the lab's pods serve TCP and UDP.
    const spec = o['spec'] as { nodeName: string; containers: { name: string; ports: { protocol: string }[] }[] };
    objects.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: o['metadata'],
      spec: { nodeName: spec.nodeName, containers: spec.containers.map((c) => ({ ...c, ports: c.ports.filter((p) => p.protocol !== 'SCTP') })) },
    });
  }
  return { objects, fixtureIps };
}

async function runOn(dataplane: 'iptables' | 'nft'): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `tabby-anp-${dataplane}-`));
  let lab: Lab | undefined;
  try {
    lab = await Lab.up({ stateDir: dir, workers: 2, nodeNames: 'w{i}', dataplane, datastore: await openMemoryDatastore(), logs: false });
    const { objects, fixtureIps } = clusterObjects();
    let rev = '0';
    for (const o of objects) rev = (await lab.client.apply(o)).object.metadata.resourceVersion ?? rev;
    await lab.settle(rev, 60_000);
    // cluster.yaml address → lab address, for `networks` peers naming a pod.
    const labIp = new Map<string, string>();
    for (const [key, ip] of fixtureIps) {
      const p = lab.pod(key);
      assert.ok(p !== undefined, `${key} runs in the lab`);
      labIp.set(ip, p.ip);
    }
    const rewrite = (o: Obj): Obj => {
      let text = JSON.stringify(o);
      for (const [from, to] of labIp) text = text.replaceAll(`"${from}/32"`, `"${to}/32"`);
      return JSON.parse(text) as Obj;
    };
    const target = (to: string): string => {
      if (to.startsWith('node:')) {
        const w = lab!.plan.workers.find((x) => x.name === to.slice(5));
        assert.ok(w !== undefined, to);
        return w.privateIp;
      }
      const p = lab!.pod(to);
      assert.ok(p !== undefined, `${to} runs in the lab`);
      return p.ip;
    };
    const failures: string[] = [];
    let probed = 0;
    for (const file of FILES) {
      const spec = parse(readFileSync(join(DIR, file), 'utf8')) as { test: string; steps: Step[] };
      const written = new Map<string, { type: ResourceType; namespace: string; name: string }>();
      for (const [i, step] of spec.steps.entries()) {
        let last = '0';
        for (const o of step.apply ?? []) {
          const w = await lab.client.apply(rewrite(o));
          last = w.object.metadata.resourceVersion ?? last;
          const m = meta(o);
          const type = TYPES[String(o['kind'])];
          assert.ok(type !== undefined, String(o['kind']));
          written.set(`${String(o['kind'])}/${m.namespace ?? ''}/${m.name}`, { type, namespace: m.namespace ?? '', name: m.name });
        }
        for (const d of step.delete ?? []) {
          const type = TYPES[d.kind];
          assert.ok(type !== undefined, d.kind);
          last = (await lab.ds.delete({ ...type, namespace: d.namespace ?? '', name: d.name })).metadata.resourceVersion ?? last;
          written.delete(`${d.kind}/${d.namespace ?? ''}/${d.name}`);
        }
        await lab.settle(last, 60_000);
        await lab.flushConntrack();
        // Only lab addresses are probed (pods and workers): an expectation towards an outside address stays with the engine test.
        const cases = step.expect.filter((e) => e.protocol !== 'SCTP' && (e.to.includes('/') || e.to.startsWith('node:')));
        const flows: ProbeFlow[] = cases.map((e) => ({ from: e.from, toLabel: e.to, ip: target(e.to), proto: e.protocol.toLowerCase() as 'tcp' | 'udp', port: e.port }));
        const { snapshot } = await snapshotOf(lab.ds);
        const rows: ProbeRow[] = await runProbe(lab, snapshot, flows, 400);
        probed += rows.length;
        rows.forEach((r, k) => {
          const e = cases[k]!;
          if (!r.agree || r.engine !== e.expect)
            failures.push(`${file} step ${i + 1} (${step.name}): ${e.from} → ${e.to} ${e.protocol}/${e.port}: expected ${e.expect}, engine ${r.engine}, real ${r.real}`);
        });
        if (rows.some((r, k) => !r.agree || r.engine !== cases[k]!.expect)) console.log(`# ${dataplane} ${file} step ${i + 1}\n${formatProbe(rows)}`);
      }
      let gone = '0';
      for (const w of written.values()) gone = (await lab.ds.delete({ ...w.type, namespace: w.namespace, name: w.name })).metadata.resourceVersion ?? gone;
      await lab.settle(gone, 60_000);
    }
    console.log(`# ${dataplane}: ${probed - failures.length}/${probed} probes agree with the engine and the upstream expectation`);
    assert.ok(probed > 80, `probed ${probed} flows`);
    assert.deepEqual(failures, []);
    const errors = await lab.down();
    lab = undefined;
    assert.deepEqual(errors, []);
  } finally {
    if (lab) await lab.down();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('ANP/BANP conformance on real packets: iptables dataplane', { skip, timeout: 600_000 }, async () => {
  await runOn('iptables');
});

test('ANP/BANP conformance on real packets: nft dataplane', { skip, timeout: 600_000 }, async () => {
  await runOn('nft');
});
