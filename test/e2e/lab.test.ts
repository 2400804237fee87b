/**
 * The lab end to end (root only): a two-worker cluster of network namespaces, a pod per
 * worker and a LoadBalancer Service, the real probe matrix against the engine's verdicts, a
 * default-deny policy flipping it, a Log rule writing a calico-packet line into the worker's log
 * file, `down` leaving no namespace, then `tabby lab verify --cases 200 --seed 1`.
 *
 * Known gap (reported, not hidden): worker → pod on the same worker. The dataplane, like Felix,
 * does not police host → local workload traffic; the engine applies the pod's ingress policy.
 * Those flows are printed and excluded from the assertions until the engine follows Felix.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab, snapshotOf } from '../../src/lab/controller.js';
import { formatProbe, matrixFlows, runProbe, type ProbeRow } from '../../src/lab/probe.js';
import { openMemoryDatastore } from '../../src/datastore/index.js';
import { main } from '../../src/cli/main.js';
import { fakeIo } from '../../src/cli/testdata/fake-io.js';
import { netnsSkipReason, nodeRunner } from '../../src/sys/index.js';
import { required, toolInTest } from '../support/tools.js';

const skip = required(await netnsSkipReason());

const pod = (name: string, labels: Record<string, string>): unknown => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels },
  spec: { containers: [{ name: 'c', ports: [{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP' }] }] },
});

async function labNamespaces(prefix: string): Promise<string[]> {
  const r = await nodeRunner.run({ argv: ['ip', 'netns', 'list'], timeoutMs: 10_000 });
  return r.stdout.split('\n').filter((l) => l.startsWith(`${prefix}-`));
}

function check(rows: readonly ProbeRow[], what: string): void {
  const bad = rows.filter((r) => !r.agree);
  assert.equal(bad.length, 0, `${what}: probe disagrees with the engine\n${formatProbe(rows)}`);
}

test('lab e2e: up, pods and a service, probe = engine, default deny flips it, Log lines, down', { skip, timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tabby-lab-'));
  const logs: string[] = [];
  let lab: Lab | undefined;
  try {
    const t0 = performance.now();
    lab = await Lab.up({ stateDir: dir, workers: 2, datastore: await openMemoryDatastore(), log: (m) => logs.push(m) });
    assert.deepEqual((await labNamespaces(lab.plan.prefix)).sort(), [`${lab.plan.prefix}-fab`, `${lab.plan.prefix}-inet`, `${lab.plan.prefix}-sys`, `${lab.plan.prefix}-w1`, `${lab.plan.prefix}-w2`]);
    await lab.client.apply(pod('a', { app: 'a' }));
    await lab.client.apply(pod('b', { app: 'b' }));
    const svc = await lab.client.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'b', namespace: 'default' }, spec: { type: 'LoadBalancer', selector: { app: 'b' }, ports: [{ port: 8080, targetPort: 80 }] } });
    await lab.settle(svc.object.metadata.resourceVersion);
    const a = lab.pod('a');
    const b = lab.pod('b');
    assert.ok(a && b, 'both pods placed');
    assert.notEqual(a.node, b.node, 'round-robin placement');
    const stored = (await lab.ds.get({ group: '', plural: 'pods', namespace: 'default', name: 'a' })) as unknown as { status: { podIP: string } };
    assert.equal(stored.status.podIP, a.ip, 'status.podIP written back');
    console.log(`# lab up + 2 pods + service settled in ${(performance.now() - t0).toFixed(0)} ms`);

    const probeAll = async (): Promise<ProbeRow[]> => {
      const { snapshot } = await snapshotOf(lab!.ds);
      return runProbe(lab!, snapshot, matrixFlows(lab!, lab!.pods(), snapshot, { nodePorts: [10250, 52311] }));
    };
    const open = await probeAll();
    check(open, 'no policy');
    const ab = (rows: readonly ProbeRow[]): ProbeRow | undefined => rows.find((r) => r.flow.from === 'default/a' && r.flow.ip === b.ip && r.flow.proto === 'tcp');
    assert.equal(ab(open)?.real, 'open');
    assert.ok(open.some((r) => r.flow.toLabel.startsWith('lb ') && r.real === 'open'), 'LoadBalancer IP answers from the internet');
    assert.ok(open.some((r) => r.flow.toLabel.startsWith('nodeport ') && r.real === 'open'), 'NodePort answers from the internet');

    const deny = await lab.client.apply({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'default-deny', namespace: 'default' }, spec: { podSelector: {}, policyTypes: ['Ingress'] } });
    await lab.settle(deny.object.metadata.resourceVersion);
    await lab.flushConntrack();
    const closed = await probeAll();
    check(closed, 'default deny');
    assert.equal(ab(closed)?.real, 'timeout', 'default deny: a → b dropped');

    // R9: a Log rule after the deny-by-default; the packet is logged, then dropped.
    const logRule = await lab.client.apply({
      apiVersion: 'projectcalico.org/v3',
      kind: 'NetworkPolicy',
      metadata: { name: 'log-denied-packets', namespace: 'default' },
      spec: { selector: "app == 'b'", order: 3000, types: ['Ingress'], ingress: [{ action: 'Log' }] },
    });
    await lab.settle(logRule.object.metadata.resourceVersion);
    // ulogd missing: a failure under CI=true, else this check is left out and the test marked skipped.
    if (toolInTest(t, 'ulogd', 'the Log line check') !== undefined) {
      const file = lab.state().logFiles[b.node];
      assert.ok(file !== undefined, `ulogd is on PATH, so the lab writes ${b.node}'s Log lines to a file`);
      const t1 = performance.now();
      assert.equal(await lab.probe('default/a', 'tcp', b.ip, 80, 300), 'timeout');
      let line: string | undefined;
      // A generous bound (the line usually lands within milliseconds); no timing is asserted here.
      while (line === undefined && performance.now() - t1 < 15_000) {
        line = readFileSync(file, 'utf8').split('\n').find((l) => l.includes('calico-packet: IN=') && l.includes(`SRC=${a.ip}`) && l.includes('DPT=80'));
        if (line === undefined) await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(line, `a calico-packet line in ${file}\n${readFileSync(file, 'utf8')}`);
      assert.match(line, /IN=\S* OUT=\S* .*SRC=\S+ DST=\S+ LEN=\d+ .*PROTO=TCP SPT=\d+ DPT=80/);
      // As in a node's syslog, the line names the worker (ulogd runs with the worker's hostname).
      assert.match(line, new RegExp(`^\\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d ${b.node.split('.')[0]!} calico-packet: `), line);
      console.log(`# log line after ${(performance.now() - t1).toFixed(0)} ms: ${line}`);
    }

    const prefix = lab.plan.prefix;
    const errors = await lab.down();
    lab = undefined;
    assert.deepEqual(errors, []);
    assert.deepEqual(await labNamespaces(prefix), [], 'down leaves no namespace');
  } finally {
    if (lab) await lab.down();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('lab e2e: tabby lab verify --cases 200 --seed 1 agrees on every flow', { skip, timeout: 240_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tabby-verify-'));
  try {
    const io = fakeIo({}, '', { HOME: dir });
    const code = await main(['lab', 'verify', '--cases', '200', '--seed', '1', '--state-dir', join(dir, 'lab')], io);
    const out = io.out().trim().split('\n');
    console.log(`# ${out.slice(-2).join(' | ')}`);
    assert.match(out.at(-1) ?? '', /^(\d+)\/\1 flows agree$/, io.out().slice(-4000) + io.err());
    assert.equal(code, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('lab e2e: the nft dataplane too: tabby lab verify --dataplane nft --cases 60 --seed 7 agrees on every flow', { skip, timeout: 240_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tabby-verify-nft-'));
  try {
    const io = fakeIo({}, '', { HOME: dir });
    const code = await main(['lab', 'verify', '--dataplane', 'nft', '--cases', '60', '--seed', '7', '--state-dir', join(dir, 'lab')], io);
    const out = io.out().trim().split('\n');
    console.log(`# nft: ${out.slice(-2).join(' | ')}`);
    assert.match(out.at(-1) ?? '', /^(\d+)\/\1 flows agree$/, io.out().slice(-4000) + io.err());
    assert.equal(code, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Many policies per pod over many ports (issue 19 item 4): on nft each pod's chain dispatches by
// (address, protocol, port) class (render/classes.ts); iptables walks the same policies in order
// with one rule per skipped policy. Real packets must agree with the engine on every flow.
for (const [label, args] of [
  ['nft', ['--dataplane', 'nft']],
  ['iptables', []],
  ['iptables legacy', ['--iptables-backend', 'legacy']],
] as const) {
  test(`lab e2e: tabby lab verify --many-policies (${label}) --cases 16 --seed 11 agrees on every flow`, { skip, timeout: 420_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tabby-verify-many-'));
    try {
      const io = fakeIo({}, '', { HOME: dir });
      const code = await main(['lab', 'verify', ...args, '--many-policies', '--cases', '16', '--seed', '11', '--state-dir', join(dir, 'lab')], io);
      const out = io.out().trim().split('\n');
      console.log(`# many policies, ${label}: ${out.slice(-2).join(' | ')}`);
      assert.match(out.at(-1) ?? '', /^(\d+)\/\1 flows agree$/, io.out().slice(-4000) + io.err());
      assert.equal(code, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
