/**
 * End to end: the agent programs a real kernel, proved with real packets (root only).
 *
 * Topology, all in network namespaces with unique per-run names (nothing touches the root
 * namespace; every namespace is deleted in `finally`):
 *
 *   pod A netns (198.18.0.1/32, eth0) ─veth─ worker netns ─veth─ pod B netns (198.18.0.2/32, eth0)
 *
 * The worker-side veth ends are named `workloadInterfaceName(ns, pod)` (`cali…`), as the lab's
 * CNI will name them. Routing is Calico's: each pod has a /32 address, a link route to
 * 169.254.1.1 and a default route via it; the worker has a /32 link route per pod. Instead of
 * proxy ARP (which needs a route to 169.254.1.1 on the worker) we install static neighbour
 * entries both ways, so no ARP is needed at all. The worker forwards (ip_forward=1).
 *
 * The agent runs in-process against a memory datastore with `netns: <worker>`, so iptables and
 * ipset run inside the worker namespace. TCP connects use bash's /dev/tcp under `timeout 1`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { computeDesiredState, loadSnapshot } from '../../src/engine/index.js';
import { render } from '../../src/dataplane/render/index.js';
import { IptablesTable } from '../../src/dataplane/iptables/table.js';
import { IpsetApplier } from '../../src/dataplane/ipset/ipset-applier.js';
import { openMemoryDatastore, type Datastore } from '../../src/datastore/index.js';
import { ResourceClient, type WriteResult } from '../../src/client/index.js';
import { workloadInterfaceName } from '../../src/engine/index.js';
import { runAgent } from '../../src/agent/main.js';
import { createNetns, deleteNetns, inNetns, netnsSkipReason, nodeRunner, withNetns } from '../../src/sys/index.js';
import { required } from '../support/tools.js';

const skip = required(await netnsSkipReason());

async function sh(argv: string[]): Promise<string> {
  const r = await nodeRunner.run({ argv, timeoutMs: 10_000 });
  if (r.code !== 0) throw new Error(`${argv.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

async function mac(ns: string, dev: string): Promise<string> {
  const out = await sh(['ip', '-n', ns, '-o', 'link', 'show', dev]);
  const m = /link\/ether ([0-9a-f:]{17})/.exec(out);
  if (!m) throw new Error(`no MAC for ${dev} in ${ns}: ${out}`);
  return m[1]!;
}

/** Creates a pod namespace wired to the worker like Calico's CNI does. */
async function plumbPod(worker: string, podNs: string, iface: string, ip: string): Promise<void> {
  await sh(['ip', '-n', worker, 'link', 'add', iface, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', podNs]);
  await sh(['ip', '-n', podNs, 'addr', 'add', `${ip}/32`, 'dev', 'eth0']);
  await sh(['ip', '-n', podNs, 'link', 'set', 'eth0', 'up']);
  await sh(['ip', '-n', worker, 'link', 'set', iface, 'up']);
  await sh(['ip', '-n', podNs, 'route', 'add', '169.254.1.1', 'dev', 'eth0', 'scope', 'link']);
  await sh(['ip', '-n', podNs, 'route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0']);
  await sh(['ip', '-n', worker, 'route', 'add', `${ip}/32`, 'dev', iface, 'scope', 'link']);
  await sh(['ip', '-n', podNs, 'neigh', 'replace', '169.254.1.1', 'lladdr', await mac(worker, iface), 'dev', 'eth0', 'nud', 'permanent']);
  await sh(['ip', '-n', worker, 'neigh', 'replace', ip, 'lladdr', await mac(podNs, 'eth0'), 'dev', iface, 'nud', 'permanent']);
}

/** One TCP connect from `ns` (1 s bound): true when it connected. */
async function connects(ns: string, ip: string, port: number): Promise<boolean> {
  const r = await inNetns(nodeRunner, ns).run({ argv: ['timeout', '1', 'bash', '-c', `exec 3<>/dev/tcp/${ip}/${port}`], timeoutMs: 5000 });
  return r.code === 0;
}

/** Polls until `connects` equals `want` (bounded); returns the elapsed ms, or -1. */
async function until(ns: string, ip: string, port: number, want: boolean, boundMs = 5000): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < boundMs) {
    if ((await connects(ns, ip, port)) === want) return performance.now() - t0;
    await new Promise((r) => setTimeout(r, 20));
  }
  return -1;
}

const pod = (name: string, ip: string, labels: Record<string, string>): unknown => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels },
  spec: { nodeName: 'worker', containers: [{ name: 'c' }] },
  status: { podIP: ip, phase: 'Running' },
});

/**
 * A worker namespace with two CNI-plumbed pods (client 198.18.0.1, server 198.18.0.2 listening on
 * TCP 8080 and 9090) and their objects in `ds`; returns the server's last write. Names created
 * go into `created`, the listener into `procs`, for the caller's finally.
 */
async function twoPodWorker(tag: string, ds: Datastore, created: string[], procs: ChildProcess[]): Promise<{ worker: string; podA: string; last: WriteResult }> {
  const worker = await createNetns(`tby-${tag}w`);
  created.push(worker);
  const podA = await createNetns(`tby-${tag}a`);
  created.push(podA);
  const podB = await createNetns(`tby-${tag}b`);
  created.push(podB);
  await sh(['ip', 'netns', 'exec', worker, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  await plumbPod(worker, podA, workloadInterfaceName('default', 'client'), '198.18.0.1');
  await plumbPod(worker, podB, workloadInterfaceName('default', 'server'), '198.18.0.2');
  // TCP listeners in pod B on 8080 and 9090.
  procs.push(spawn('ip', ['netns', 'exec', podB, process.execPath, '-e',
    "const n=require('net');for(const p of [8080,9090])n.createServer(s=>{s.on('error',()=>{});s.end('ok')}).listen(p,'0.0.0.0');setTimeout(()=>{},3e5)"], { stdio: 'ignore' }));
  assert.ok((await until(podA, '198.18.0.2', 8080, true)) >= 0, 'no policy, no agent: reachable');
  const client = new ResourceClient(ds);
  await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  await client.apply({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'worker' }, status: { addresses: [{ type: 'InternalIP', address: '10.99.0.1' }] } });
  await client.apply(pod('client', '198.18.0.1', { app: 'client' }));
  const last = await client.apply(pod('server', '198.18.0.2', { app: 'server' }));
  return { worker, podA, last };
}

test('agent e2e: default deny, allow, and a policy change take effect on real packets', { skip, timeout: 120_000 }, async () => {
  const created: string[] = [];
  const procs: ChildProcess[] = [];
  const ds = await openMemoryDatastore();
  let agent: ReturnType<typeof runAgent> | undefined;
  try {
    const { worker, podA, last } = await twoPodWorker('p', ds, created, procs);
    const client = new ResourceClient(ds);

    const logs: string[] = [];
    agent = runAgent({ node: 'worker', datastore: ds, runner: nodeRunner, netns: worker, minApplyIntervalMs: 50, log: (m) => logs.push(m) });
    await agent.whenProgrammed(last.object.metadata.resourceVersion!);
    if ((await until(podA, '198.18.0.2', 8080, true)) < 0) {
      const dump = await inNetns(nodeRunner, worker).run({ argv: ['iptables-save', '-c'] });
      assert.fail(`k8s default: not allowed by the namespace profile\n${dump.stdout}\n${logs.join('\n')}`);
    }

    // Default deny for the server.
    const figures: string[] = [];
    const change = async (what: string, obj: unknown, port: number, want: boolean): Promise<void> => {
      const t0 = performance.now();
      const w = await client.apply(obj);
      await agent!.whenProgrammed(w.object.metadata.resourceVersion!);
      const programmed = performance.now() - t0;
      const seen = await until(podA, '198.18.0.2', port, want);
      if (seen < 0) {
        const dump = await inNetns(nodeRunner, worker).run({ argv: ['iptables-save', '-c', '-t', 'filter'] });
        const sets = await inNetns(nodeRunner, worker).run({ argv: ['ipset', 'list'] });
        assert.fail(`${what}: tcp/${port} never became ${want ? 'reachable' : 'blocked'}\n${dump.stdout}\n${sets.stdout}\n${logs.join('\n')}`);
      }
      figures.push(`${what}: write → rules ${programmed.toFixed(1)} ms (agent apply ${agent!.loop.last!.latencyMs.toFixed(1)} ms), → packets ${(programmed + seen).toFixed(0)} ms`);
    };
    await change('default deny', {
      apiVersion: 'projectcalico.org/v3', kind: 'NetworkPolicy', metadata: { name: 'default-deny', namespace: 'default' },
      spec: { selector: "app == 'server'", types: ['Ingress'] },
    }, 8080, false);
    const allow = (port: number): unknown => ({
      apiVersion: 'projectcalico.org/v3', kind: 'NetworkPolicy', metadata: { name: 'allow-client', namespace: 'default' },
      spec: { selector: "app == 'server'", order: 10, types: ['Ingress'], ingress: [{ action: 'Allow', protocol: 'TCP', source: { selector: "app == 'client'" }, destination: { ports: [port] } }] },
    });
    await change('allow tcp/8080', allow(8080), 8080, true);
    assert.equal(await connects(podA, '198.18.0.2', 9090), false, '9090 still denied');
    await change('change to tcp/9090', allow(9090), 8080, false);
    assert.equal(await connects(podA, '198.18.0.2', 9090), true, '9090 now allowed');

    // An unknown cali* interface is dropped (fail closed).
    const rules = await inNetns(nodeRunner, worker).run({ argv: ['iptables-save', '-t', 'filter'] });
    assert.match(rules.stdout, /-A cali-from-wl-dispatch .*Unknown interface.* -j DROP/);
    console.log(figures.map((f) => `# ${f}`).join('\n'));
  } finally {
    if (agent) await agent.stop();
    await ds.close();
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
    for (const ns of created.reverse()) await deleteNetns(ns).catch(() => undefined);
  }
});

test('renderer e2e: every seed scenario, every node, restores into a real kernel (raw, mangle, filter, IP sets)', { skip, timeout: 300_000 }, async () => {
  const dir = 'src/engine/testdata';
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.scenario')).sort()) {
    const m = /-- resources\.yaml --\n([\s\S]*?)(?:\n-- [^\n]+ --\n|$)/.exec(readFileSync(`${dir}/${f}`, 'utf8'));
    assert.ok(m, f);
    const snap = loadSnapshot(parseAllDocuments(m[1]!).map((d) => d.toJS() as unknown).filter((x) => x !== null && x !== undefined)).snapshot;
    for (const node of snap.nodes.keys()) {
      const r = render(computeDesiredState(snap, node, undefined, { nflogGroup: 3 }));
      await withNetns('tby-r', async (_ns, runner) => {
        const ipsets = new IpsetApplier({ runner, maxAttempts: 1 });
        ipsets.setIpSets(r.ipSets);
        await ipsets.applyAdds();
        for (const t of [r.raw, r.mangle, r.filter]) {
          const table = new IptablesTable({ table: t.table, runner, maxAttempts: 1 });
          table.setChains(t.chains);
          table.setHooks(t.hooks);
          await table.apply();
        }
      });
    }
  }
});

test('agent e2e: switching a node between iptables and nft leaves only the new backend; the policy holds throughout', { skip, timeout: 120_000 }, async () => {
  const created: string[] = [];
  const procs: ChildProcess[] = [];
  const ds = await openMemoryDatastore();
  let agent: ReturnType<typeof runAgent> | undefined;
  try {
    const { worker, podA } = await twoPodWorker('s', ds, created, procs);
    const client = new ResourceClient(ds);
    const last = await client.apply({
      apiVersion: 'projectcalico.org/v3', kind: 'NetworkPolicy', metadata: { name: 'allow-8080', namespace: 'default' },
      spec: { selector: "app == 'server'", types: ['Ingress'], ingress: [{ action: 'Allow', protocol: 'TCP', source: { selector: "app == 'client'" }, destination: { ports: [8080] } }] },
    });
    const rv = last.object.metadata.resourceVersion!;
    const wk = inNetns(nodeRunner, worker);
    const state = async (): Promise<{ caliChains: number; caliSets: number; nftTable: boolean }> => {
      const ipt = (await Promise.all(['raw', 'mangle', 'filter'].map((t) => wk.run({ argv: ['iptables-save', '-t', t], timeoutMs: 10_000 })))).map((r) => r.stdout).join('\n');
      const sets = (await wk.run({ argv: ['ipset', 'list', '-n'], timeoutMs: 10_000 })).stdout;
      const nft = (await wk.run({ argv: ['nft', 'list', 'tables', 'ip'], timeoutMs: 10_000 })).stdout;
      return {
        caliChains: ipt.split('\n').filter((l) => l.startsWith(':cali-')).length,
        caliSets: sets.split('\n').filter((l) => l.startsWith('cali4')).length,
        nftTable: nft.split('\n').some((l) => l.trim() === 'table ip tabby'),
      };
    };
    const holds = async (what: string): Promise<void> => {
      assert.ok((await until(podA, '198.18.0.2', 8080, true)) >= 0, `${what}: 8080 allowed`);
      assert.ok((await until(podA, '198.18.0.2', 9090, false)) >= 0, `${what}: 9090 denied`);
    };
    const run = async (dataplane: 'iptables' | 'nft'): Promise<void> => {
      agent = runAgent({ node: 'worker', datastore: ds, runner: nodeRunner, netns: worker, dataplane, minApplyIntervalMs: 50 });
      await agent.whenProgrammed(rv);
    };

    await run('iptables');
    await holds('iptables');
    const s1 = await state();
    assert.ok(s1.caliChains > 0 && s1.caliSets > 0 && !s1.nftTable, JSON.stringify(s1));
    await agent!.stop();

    await run('nft');
    await holds('nft');
    const s2 = await state();
    assert.deepEqual(s2, { caliChains: 0, caliSets: 0, nftTable: true }, 'switched to nft: the iptables chains and IP sets are gone');
    await agent!.stop();

    await run('iptables');
    await holds('back to iptables');
    const s3 = await state();
    assert.ok(s3.caliChains > 0 && s3.caliSets > 0 && !s3.nftTable, `switched back: ${JSON.stringify(s3)}`);
  } finally {
    if (agent) await agent.stop();
    await ds.close();
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
    for (const ns of created.reverse()) await deleteNetns(ns).catch(() => undefined);
  }
});
