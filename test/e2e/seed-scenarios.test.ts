/**
 * Every seed scenario end to end with real packets (issue 7's acceptance; root only). Each test
 * runs `tabby up`'s startCluster with the ibm-classic profile and its own lab (workers in network
 * namespaces, an agent per worker), applies the seed's pack the way `tabby pack apply` does,
 * waits until every agent has programmed it, and then probes with real packets: each flow's
 * outcome is asserted as the seed states it, and the probe must agree with the engine's verdict
 * for every flow checked. Each test first shows the flows its pack closes were open, so the
 * assertions can fail. Every wait is bounded; every lab is torn down (and checked gone).
 *
 * - R6: deny-nodeports closes NodePorts from the internet while the LoadBalancer IP answers; the
 *   NLB 1.0 whitelist (preDNAT) admits only the given client, a second internet client is held
 *   off; the NLB 2.0 variant (doNotTrack) too.
 * - R7: ibm-private-isolation: the unrelated private system reaches no worker (failsafe ports
 *   aside) and no pod (NodePorts on the private interface, and the pod network routed through a
 *   worker's private interface, which the engine follows by the node's private subnet); workers
 *   reach each other, DNS and the seed's ports on the private network, nothing else; pods reach
 *   pods and DNS, not the private system; a worker added later is covered with no file edited.
 * - R8: the Srv1 tiers (frontend → backend → db, never back) and finance → accounts backend on
 *   3111 only.
 * - R9 through `tabby up`: run=access reaches nginx, another pod does not, and a
 *   `calico-packet:` line for that attempt lands in that worker's log within a second and in the
 *   dashboard's denied-traffic feed of the running API server, where the engine links it to the
 *   Log rule that wrote it and the end of tier that denied it; kubectl shows the lab's Nodes
 *   Ready and its pods 1/1 Running.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { labDriverFrom, startCluster, type RunningCluster } from '../../src/cli/commands/up.js';
import { ResourceClient } from '../../src/client/index.js';
import { applyPack, PACKS, profileNamed, renderPack } from '../../src/cluster/index.js';
import type { Datastore, ResourceType } from '../../src/datastore/index.js';
import { engineResourceTypes } from '../../src/agent/syncer.js';
import { Lab, snapshotOf } from '../../src/lab/controller.js';
import { engineInput, formatProbe, isAllowed, runProbe, type ProbeFlow, type ProbeRow } from '../../src/lab/probe.js';
import { evaluateFlow, runVerdicts } from '../../src/engine/index.js';
import type { DeniedResponse } from '../../src/web/protocol.js';
import { browserUnavailable, launchBrowser } from '../../bench/dashboard.bench.js';
import { netnsSkipReason, nodeRunner } from '../../src/sys/index.js';
import { required, requiredInTest, requireTool, toolInTest } from '../support/tools.js';

const skip = required(await netnsSkipReason());
const run = promisify(execFile);

interface Env {
  /** tabby up's data directory. */
  readonly dir: string;
  readonly c: RunningCluster;
  readonly lab: Lab;
  readonly client: ResourceClient;
  readonly logs: string[];
}

/** `tabby up` (ibm-classic, a lab of `workers`), then `fn`; always torn down, and checked gone. */
async function withCluster(workers: number, fn: (e: Env) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tabby-seed-'));
  const logs: string[] = [];
  let lab: Lab | undefined;
  let c: RunningCluster | undefined;
  let leftBehind: string[] = [];
  try {
    const t0 = performance.now();
    c = await startCluster({
      dataDir: dir,
      profile: profileNamed('ibm-classic')!,
      workers,
      port: 0,
      host: '127.0.0.1',
      lab: true,
      labDriver: labDriverFrom({ Lab: { up: async (o) => (lab = await Lab.up(o)) } }),
      log: (m) => logs.push(m),
    });
    assert.equal(c.noEnforcement, undefined);
    assert.ok(lab);
    console.log(`# tabby up with a ${workers}-worker lab in ${(performance.now() - t0).toFixed(0)} ms`);
    await fn({ dir, c, lab, client: new ResourceClient(c.datastore), logs });
  } finally {
    const prefix = lab?.plan.prefix;
    await c?.stop();
    await rm(dir, { recursive: true, force: true });
    if (prefix !== undefined) {
      const left = (await nodeRunner.run({ argv: ['ip', 'netns', 'list'], timeoutMs: 10_000 })).stdout.split('\n').filter((l) => l.startsWith(`${prefix}-`));
      // Reported without hiding the test's own failure, if there was one.
      if (left.length > 0) console.log(`the lab left namespaces behind: ${left.join(', ')}`);
      leftBehind = left;
    }
  }
  assert.deepEqual(leftBehind, [], 'the lab leaves no namespace behind');
}

async function until(what: string, cond: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const CALICO_NODES = 'projectcalico.org/nodes';

/**
 * The highest resourceVersion of any object the agents act on (Calico Nodes left out: the agents
 * write their own status there, which they do not wait for).
 */
async function policyRevision(ds: Datastore): Promise<string> {
  let max = 0n;
  for (const t of engineResourceTypes()) {
    if (`${t.group}/${t.plural}` === CALICO_NODES) continue;
    for (const o of (await ds.list(t)).items) {
      const rv = o.metadata.resourceVersion;
      if (rv !== undefined && /^\d+$/.test(rv) && BigInt(rv) > max) max = BigInt(rv);
    }
  }
  return max.toString();
}

/** Waits until the lab and every agent have caught up with the datastore, then forgets old connections. */
async function settle(e: Env): Promise<void> {
  await e.lab.settle(await policyRevision(e.c.datastore));
  await e.lab.flushConntrack();
}

/** `tabby pack apply <name> --set …`, through the same renderPack/applyPack. */
async function pack(e: Env, name: string, set: Record<string, string> = {}): Promise<void> {
  const def = PACKS.find((p) => p.name === name);
  assert.ok(def, `pack ${name}`);
  const r = renderPack(def, set);
  assert.ok(r.ok, r.ok ? '' : r.error.join('\n'));
  await applyPack(e.client, r.value);
}

const pod = (ns: string, name: string, labels: Record<string, string>, tcp: readonly number[], nodeName?: string): unknown => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, labels },
  spec: { ...(nodeName !== undefined ? { nodeName } : {}), containers: [{ name: 'app', image: 'busybox', ports: tcp.map((p) => ({ containerPort: p })) }] },
});

async function podsUp(e: Env, pods: readonly unknown[]): Promise<void> {
  for (const p of pods) await e.client.apply(p);
  const keys = pods.map((p) => {
    const m = (p as { metadata: { namespace: string; name: string } }).metadata;
    return `${m.namespace}/${m.name}`;
  });
  await until(`pods ${keys.join(', ')}`, () => Promise.resolve(keys.every((k) => e.lab.pod(k) !== undefined)), 30_000);
}

type Want = 'allowed' | 'denied';
interface Case extends ProbeFlow {
  readonly want: Want;
}

const tcp = (from: string, toLabel: string, ip: string, port: number, want: Want): Case => ({ from, toLabel, ip, proto: 'tcp', port, want });
const udp = (from: string, toLabel: string, ip: string, port: number, want: Want): Case => ({ from, toLabel, ip, proto: 'udp', port, want });
const icmp = (from: string, toLabel: string, ip: string, want: Want): Case => ({ from, toLabel, ip, proto: 'icmp', port: 0, want });

/**
 * Probes every case with real packets next to the engine's verdict; fails on any disagreement
 * and on any outcome other than the one wanted, printing the whole table.
 */
async function expectFlows(e: Env, what: string, cases: readonly Case[]): Promise<ProbeRow[]> {
  const { snapshot } = await snapshotOf(e.c.datastore);
  const rows = await runProbe(e.lab, snapshot, cases, 400);
  const wrongAt = (r: ProbeRow, i: number): boolean => !r.agree || isAllowed(r.real) !== (cases[i]!.want === 'allowed');
  const traces = runVerdicts(snapshot, cases.filter((c, i) => wrongAt(rows[i]!, i)).map((c) => engineInput(e.lab, c)));
  const table = formatProbe(rows) + traces.map((v) => `engine trace for ${v.from} → ${v.to}:${v.port ?? ''}:\n${JSON.stringify(v.trace, null, 1)}\n`).join('');
  console.log(`${what}\n${table}`);
  const disagree = rows.filter((r) => !r.agree);
  assert.equal(disagree.length, 0, `${what}: the probe disagrees with the engine\n${table}`);
  const wrong = rows.filter((r, i) => isAllowed(r.real) !== (cases[i]!.want === 'allowed'));
  assert.equal(wrong.length, 0, `${what}: not as the seed says (${wrong.map((r) => `${r.flow.from} → ${r.flow.toLabel} ${r.flow.proto}/${r.flow.port}: ${r.real}`).join('; ')})\n${table}`);
  return rows;
}

/** TABBY_SCREENSHOTS=1: the lab's pages of the dashboard are written to docs/screenshots too. */
const SHOTS = process.env['TABBY_SCREENSHOTS'] === '1' ? resolve(import.meta.dirname, '..', '..', 'docs', 'screenshots') : undefined;

/**
 * The dashboard of the running `tabby up`, in Chromium, on the real lab: the Denied traffic page
 * lists the real calico-packet line with the engine's Deny, and the Enforcement page shows every
 * worker's agent current. Where Chromium or the bundle is missing: a failure under CI=true, else left out (the test is marked skipped).
 */
async function dashboardWithLab(t: TestContext, e: Env, want: { src: string; dst: string; node: string }): Promise<void> {
  const why = browserUnavailable();
  if (!requiredInTest(t, why === undefined ? undefined : `${why}: the dashboard check on the lab is left out`)) return;
  const token = (JSON.parse(readFileSync(join(e.dir, 'tokens'), 'utf8')) as { admin: string }).admin;
  const browser = await launchBrowser();
  try {
    const page = await browser.context.newPage();
    await page.goto(e.c.dashboardUrl);
    await page.getByTestId('token').fill(token);
    await page.getByTestId('login').click();
    await page.locator('[data-testid="policy-row"]').first().waitFor();
    await page.getByRole('link', { name: 'Denied traffic' }).click();
    const row = page.locator('[data-testid="denied-lines"] tbody tr', { hasText: `${want.src} → ${want.dst} TCP/80` }).first();
    await row.waitFor({ timeout: 10_000 });
    const text = await row.innerText();
    assert.match(text, new RegExp(`^${want.node.replace(/\./g, '\\.')}\\b`), text);
    assert.match(text, /\bDeny\b/, text);
    assert.match(text, /end of tier/, text);
    assert.match(text, /calico-packet: IN=/, text);
    if (SHOTS !== undefined) {
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: join(SHOTS, 'denied-lab.png') });
    }
    await page.getByRole('link', { name: 'Enforcement' }).click();
    const table = page.getByTestId('status-nodes');
    await table.waitFor();
    const deadline = Date.now() + 10_000;
    let rows: string[] = [];
    for (;;) {
      rows = await table.locator('tbody tr').allInnerTexts();
      const current = e.lab.plan.workers.every((w) => rows.some((r) => r.startsWith(w.name) && /\bcurrent\b/.test(r)));
      if (current || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const w of e.lab.plan.workers) assert.ok(rows.some((r) => r.startsWith(w.name) && /\bcurrent\b/.test(r)), `${w.name} current on the Enforcement page:\n${rows.join('\n')}`);
    if (SHOTS !== undefined) await page.screenshot({ path: join(SHOTS, 'status-lab.png') });
  } finally {
    await browser.close();
  }
}

const SVC_TYPE: ResourceType = { group: '', plural: 'services' };

/** `GET /ui/api/denied` from the running API server, as the dashboard asks it (the admin token of DATA_DIR/tokens, HTTPS with DATA_DIR's CA). */
async function deniedFeed(e: Env): Promise<DeniedResponse> {
  const token = (JSON.parse(readFileSync(join(e.dir, 'tokens'), 'utf8')) as { admin: string }).admin;
  const ca = readFileSync(join(e.dir, 'pki', 'ca.crt'), 'utf8');
  const url = new URL('/ui/api/denied', e.c.url);
  const body = await new Promise<string>((resolve, reject) => {
    const req = request(url, { ca, headers: { authorization: `Bearer ${token}` }, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`GET ${url.href}: ${res.statusCode}: ${text}`))));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url.href}: timed out`)));
    req.on('error', reject);
    req.end();
  });
  return JSON.parse(body) as DeniedResponse;
}

async function serviceOf(e: Env, ns: string, name: string): Promise<{ lbIP?: string; nodePort: number }> {
  let out: { lbIP?: string; nodePort: number } | undefined;
  await until(`service ${ns}/${name} allocated`, async () => {
    const s = (await e.c.datastore.get({ ...SVC_TYPE, namespace: ns, name })) as unknown as {
      spec: { type?: string; ports: { nodePort?: number }[] };
      status?: { loadBalancer?: { ingress?: { ip?: string }[] } };
    };
    const nodePort = s.spec.ports[0]?.nodePort;
    const lbIP = s.status?.loadBalancer?.ingress?.[0]?.ip;
    if (nodePort === undefined || (s.spec.type === 'LoadBalancer' && lbIP === undefined)) return false;
    out = { nodePort, ...(lbIP !== undefined ? { lbIP } : {}) };
    return true;
  });
  return out!;
}

// ---------------------------------------------------------------------------------------------

test('R6: deny-nodeports closes NodePorts, the LB IP answers; the NLB 1.0 and 2.0 whitelists admit only the client', { skip, timeout: 180_000 }, async () => {
  await withCluster(2, async (e) => {
    await podsUp(e, [pod('default', 'web', { app: 'web' }, [80])]);
    await e.client.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 80 }] } });
    const { lbIP, nodePort } = await serviceOf(e, 'default', 'web');
    assert.ok(lbIP);
    // A second internet client, outside the whitelisted CIDR.
    const other = await e.lab.addClient('other', 'public', '198.18.1.200');
    await settle(e);
    const [w1, w2] = e.lab.plan.workers as [NonNullable<(typeof e.lab.plan.workers)[0]>, NonNullable<(typeof e.lab.plan.workers)[0]>];
    const nodePorts = (want: Want): Case[] => [tcp('internet', `nodeport ${w1.name}`, w1.publicIp, nodePort, want), tcp('internet', `nodeport ${w2.name}`, w2.publicIp, nodePort, want)];
    const lb = (from: string, want: Want): Case => tcp(from, 'lb default/web', lbIP, 80, want);

    await expectFlows(e, 'R6 before: NodePorts and the LB IP answer everyone', [...nodePorts('allowed'), lb('internet', 'allowed'), lb('other', 'allowed')]);

    await pack(e, 'deny-nodeports');
    await settle(e);
    await expectFlows(e, 'R6 deny-nodeports: NodePorts closed from the internet, the LB IP still answers', [...nodePorts('denied'), lb('internet', 'allowed'), lb('other', 'allowed')]);

    await pack(e, 'nlb1-whitelist', { lbIP, client: `${e.lab.plan.internet.ip}/32` });
    await settle(e);
    await expectFlows(e, `R6 NLB 1.0 whitelist (preDNAT): only ${e.lab.plan.internet.ip} reaches ${lbIP}:80`, [...nodePorts('denied'), lb('internet', 'allowed'), lb('other', 'denied')]);

    // The whole public VLAN's /24 admits both clients; a CIDR, not only an address.
    await pack(e, 'nlb1-whitelist', { lbIP, client: '198.18.1.0/24' });
    await settle(e);
    await expectFlows(e, 'R6 NLB 1.0 whitelist for 198.18.1.0/24: both clients', [lb('internet', 'allowed'), lb('other', 'allowed')]);

    // NLB 2.0 (IPVS) terminates the load balancer address on the worker itself (keepalived holds
    // it, IPVS forwards from INPUT), which is why its policy is doNotTrack: the lab's stand-in is
    // a listener on worker 1, with the pack's lbIP = the address traffic arrives on. Applying it
    // replaces NLB 1.0's policies (same names). The admitted client gets through untracked, past
    // the public interface's normal policy (which opens no port 80); the other is dropped in raw.
    await e.lab.listenOnWorker(w1.name, 'nlb2', [80]);
    const vip = (from: string, want: Want): Case => tcp(from, `nlb2 on ${w1.name}`, w1.publicIp, 80, want);
    await expectFlows(e, 'R6 NLB 2.0 before: the public interface admits nobody on port 80', [vip('internet', 'denied'), vip('other', 'denied')]);
    await pack(e, 'nlb2-whitelist', { lbIP: w1.publicIp, client: `${other.ip}/32` });
    await settle(e);
    const rows = await expectFlows(e, `R6 NLB 2.0 whitelist (doNotTrack): only ${other.ip} reaches ${w1.publicIp}:80`, [
      vip('other', 'allowed'),
      vip('internet', 'denied'),
      ...nodePorts('denied'),
    ]);
    assert.equal(rows[0]!.real, 'open');
    const { snapshot } = await snapshotOf(e.c.datastore);
    const [admitted, dropped] = runVerdicts(snapshot, [engineInput(e.lab, vip('other', 'allowed')), engineInput(e.lab, vip('internet', 'denied'))]);
    assert.deepEqual(
      admitted!.trace.map((t) => `${t.stage} ${t.action}`).slice(0, 1),
      ['untracked Allow'],
      'the whitelist decides in the raw table (doNotTrack)',
    );
    assert.ok(dropped!.trace.some((t) => t.stage === 'untracked' && t.action === 'Deny' && JSON.stringify(t.decidedBy).includes('whitelist-deny-others')), JSON.stringify(dropped!.trace));
  });
});

test('R7: ibm-private-isolation: the private system reaches no worker and no pod; workers reach each other, DNS and the seed ports; a later worker is covered', { skip, timeout: 240_000 }, async () => {
  await withCluster(2, async (e) => {
    const [w1, w2] = e.lab.plan.workers as [NonNullable<(typeof e.lab.plan.workers)[0]>, NonNullable<(typeof e.lab.plan.workers)[0]>];
    await podsUp(e, [pod('default', 'a', { app: 'a' }, [80], w1.name), pod('default', 'b', { app: 'b' }, [80], w2.name)]);
    await e.client.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'a', namespace: 'default' }, spec: { type: 'NodePort', selector: { app: 'a' }, ports: [{ port: 80, targetPort: 80 }] } });
    const { nodePort } = await serviceOf(e, 'default', 'a');
    await settle(e);
    const sys = e.lab.plan.system.ip;
    const a = e.lab.pod('default/a')!;
    const b = e.lab.pod('default/b')!;
    // The system points the pod network at worker 1, as anyone on the VLAN could.
    await e.lab.routeOnHost('system', e.lab.plan.podSupernet, w1.privateIp);
    const fromSystem = (w: { name: string; privateIp: string }, want: Want): Case[] => [
      tcp('system', `node:${w.name}`, w.privateIp, 10250, want),
      tcp('system', `node:${w.name}`, w.privateIp, 52311, want),
      icmp('system', `node:${w.name}`, w.privateIp, want),
      tcp('system', `nodeport default/a ${w.name} (private)`, w.privateIp, nodePort, want),
    ];
    // Straight to the pod addresses, routed through worker 1's private interface: the engine
    // takes the interface from the source, which is on the workers' private subnet (the Calico
    // Node's bgp.ipv4Address carries its prefix), not the public one.
    const systemToPod = (p: { key: string; ip: string }, want: Want): Case => tcp('system', `${p.key} via ${w1.name} (private)`, p.ip, 80, want);
    await expectFlows(e, 'R7 before: the private system reaches the workers and, through a NodePort or the pod route, the pods', [
      ...fromSystem(w1, 'allowed'),
      ...fromSystem(w2, 'allowed'),
      systemToPod(a, 'allowed'),
      systemToPod(b, 'allowed'),
    ]);

    await pack(e, 'ibm-private-isolation', { podNetwork: e.lab.plan.podSupernet, privateNets: e.lab.plan.privateCidr });
    const privateHeps = async (n: number): Promise<boolean> => {
      const heps = (await e.c.datastore.list({ group: 'projectcalico.org', plural: 'hostendpoints' })).items.map((h) => h.metadata.name ?? '');
      return heps.filter((h) => h.endsWith('-worker-private')).length === n;
    };
    await until('a private host endpoint per worker', () => privateHeps(2));
    await settle(e);

    const workersAndDns = (x: { name: string; privateIp: string }, y: { name: string; privateIp: string }): Case[] => [
      tcp(`node:${x.name}`, `node:${y.name}`, y.privateIp, 10250, 'allowed'),
      tcp(`node:${x.name}`, `node:${y.name}`, y.privateIp, 52311, 'allowed'),
      icmp(`node:${x.name}`, `node:${y.name}`, y.privateIp, 'allowed'),
      udp(`node:${x.name}`, 'system (DNS)', sys, 53, 'allowed'),
      tcp(`node:${x.name}`, 'system (DNS)', sys, 53, 'allowed'),
      tcp(`node:${x.name}`, 'system (block storage)', sys, 443, 'allowed'),
      tcp(`node:${x.name}`, 'system (NFS)', sys, 2049, 'allowed'),
      tcp(`node:${x.name}`, 'system (block storage)', sys, 3260, 'allowed'),
      tcp(`node:${x.name}`, 'system', sys, 8080, 'denied'),
    ];
    await expectFlows(e, 'R7 after: the private system is cut off; workers, DNS and the seed ports still work', [
      ...fromSystem(w1, 'denied'),
      ...fromSystem(w2, 'denied'),
      ...workersAndDns(w1, w2),
      ...workersAndDns(w2, w1),
      tcp('default/a', 'default/b', b.ip, 80, 'allowed'),
      tcp('default/b', 'default/a', a.ip, 80, 'allowed'),
      tcp('default/a', 'system (DNS)', sys, 53, 'allowed'),
      tcp('default/a', 'system', sys, 8080, 'denied'),
      tcp('default/b', 'system', sys, 443, 'denied'),
      tcp('default/a', 'internet', e.lab.plan.internet.ip, 80, 'allowed'),
      systemToPod(a, 'denied'),
      systemToPod(b, 'denied'),
    ]);
    // Denied on a private host endpoint's forward chain (worker 1's for the pod on it), not passed
    // by the public one's.
    {
      const { snapshot } = await snapshotOf(e.c.datastore);
      const [va, vb] = runVerdicts(snapshot, [engineInput(e.lab, systemToPod(a, 'denied')), engineInput(e.lab, systemToPod(b, 'denied'))]);
      const denyAt = (v: typeof va): string | undefined => v!.trace.find((t) => t.action === 'Deny')?.endpoint;
      assert.equal(denyAt(va), `hep:${w1.name}-worker-private`, JSON.stringify(va!.trace));
      assert.match(denyAt(vb) ?? '', /^hep:.*-worker-private$/, JSON.stringify(vb!.trace));
      assert.ok(va!.trace.every((t) => !(t.endpoint ?? '').endsWith('-public')), JSON.stringify(va!.trace));
    }

    // A worker joins: the host endpoint controller gives it its private host endpoint from the
    // pack's template; nobody edits generic-privatehostendpoint.yaml.
    const w3 = await e.lab.addWorker();
    await until('the new worker\'s private host endpoint', () => privateHeps(3));
    const hep = (await e.c.datastore.get({ group: 'projectcalico.org', plural: 'hostendpoints', namespace: '', name: `${w3.name}-worker-private` })) as unknown as {
      metadata: { labels: Record<string, string> };
      spec: { node: string; interfaceName: string; expectedIPs: string[] };
    };
    assert.deepEqual([hep.spec.node, hep.spec.interfaceName, hep.spec.expectedIPs, hep.metadata.labels['ibm.role']], [w3.name, 'eth0', [w3.privateIp], 'worker_private']);
    await podsUp(e, [pod('default', 'c', { app: 'c' }, [80], w3.name)]);
    await settle(e);
    const c = e.lab.pod('default/c')!;
    await expectFlows(e, `R7 after ${w3.name} joined: it is isolated too, and reaches the others`, [
      ...fromSystem(w3, 'denied'),
      ...workersAndDns(w3, w1),
      ...workersAndDns(w1, w3).slice(0, 3),
      tcp('default/a', 'default/c', c.ip, 80, 'allowed'),
      tcp('default/c', 'default/b', b.ip, 80, 'allowed'),
      tcp('default/c', 'system', sys, 8080, 'denied'),
      systemToPod(c, 'denied'),
    ]);
  });
});

test('R8: frontend → backend → db, never back; finance reaches the accounts backend on 3111 only', { skip, timeout: 180_000 }, async () => {
  await withCluster(2, async (e) => {
    const srv1 = (ns: string, tier: string, ports: number[]): unknown => pod(ns, tier, { app: 'Srv1', tier }, ports);
    for (const ns of ['accounts', 'finance']) await e.client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await podsUp(e, [
      srv1('default', 'frontend', [80]),
      srv1('default', 'backend', [80]),
      srv1('default', 'db', [5432]),
      srv1('accounts', 'backend', [80, 3111]),
      pod('finance', 'srv2-frontend', { app: 'Srv2', tier: 'frontend' }, [80]),
    ]);
    await settle(e);
    const ip = (k: string): string => e.lab.pod(k)!.ip;
    const fe = 'default/frontend';
    const be = 'default/backend';
    const db = 'default/db';
    const acct = 'accounts/backend';
    const fin = 'finance/srv2-frontend';
    const cases = (after: boolean): Case[] => [
      tcp(fe, be, ip(be), 80, 'allowed'),
      tcp(be, db, ip(db), 5432, 'allowed'),
      tcp(db, be, ip(be), 80, after ? 'denied' : 'allowed'),
      tcp(fe, db, ip(db), 5432, after ? 'denied' : 'allowed'),
      tcp(fin, acct, ip(acct), 3111, 'allowed'),
      tcp(fin, acct, ip(acct), 80, after ? 'denied' : 'allowed'),
      tcp(fe, acct, ip(acct), 3111, after ? 'denied' : 'allowed'),
      tcp(be, acct, ip(acct), 3111, after ? 'denied' : 'allowed'),
    ];
    await expectFlows(e, 'R8 before: every pod reaches every pod', cases(false));
    // The namespaces exist already; the pack labels them usage: accounts / usage: finance.
    await pack(e, 'srv1');
    await settle(e);
    await expectFlows(e, 'R8 after the srv1 pack', cases(true));
  });
});

test('R9 through tabby up: run=access reaches nginx, another pod does not and is logged; kubectl shows Nodes Ready and pods 1/1 Running', { skip: skip || requireTool('kubectl'), timeout: 180_000 }, async (t) => {
  await withCluster(2, async (e) => {
    await podsUp(e, [pod('default', 'nginx', { run: 'nginx' }, [80]), pod('default', 'access', { run: 'access' }, []), pod('default', 'other', { run: 'other' }, [])]);
    await pack(e, 'log-denied');
    await settle(e);
    const nginx = e.lab.pod('default/nginx')!;
    const other = e.lab.pod('default/other')!;
    await expectFlows(e, 'R9: access-nginx and log-denied-packets', [tcp('default/access', 'default/nginx', nginx.ip, 80, 'allowed'), tcp('default/other', 'default/nginx', nginx.ip, 80, 'denied')]);

    // ulogd missing: a failure under CI=true, else the log checks are left out and the test marked skipped.
    if (toolInTest(t, 'ulogd', 'the Log line and denied-feed checks') !== undefined) {
      const file = e.lab.state().logFiles[nginx.node];
      assert.ok(file !== undefined, `ulogd is on PATH, so the lab writes ${nginx.node}'s Log lines to a file`);
      const seen = new Set(readFileSync(file, 'utf8').split('\n'));
      const t1 = performance.now();
      // A new source port for this attempt: the line must be this attempt's, not one of the probes above.
      assert.equal(await e.lab.probe('default/other', 'tcp', nginx.ip, 80, 300), 'timeout');
      let line: string | undefined;
      // A generous bound (the line usually lands within milliseconds): timings are not asserted in tests.
      while (line === undefined && performance.now() - t1 < 15_000) {
        line = readFileSync(file, 'utf8')
          .split('\n')
          .find((l) => !seen.has(l) && l.includes('calico-packet: IN=') && l.includes(`SRC=${other.ip} `) && l.includes(`DST=${nginx.ip} `) && l.includes('DPT=80 '));
        if (line === undefined) await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(line, `a calico-packet line for other → nginx in ${file}\n${readFileSync(file, 'utf8').slice(-2000)}`);
      assert.match(line, /calico-packet: IN=\S* OUT=\S* .*SRC=\S+ DST=\S+ LEN=\d+ .*PROTO=TCP SPT=\d+ DPT=80 .*SYN/);
      console.log(`# log line after ${(performance.now() - t1).toFixed(0)} ms: ${line}`);
      const accessLines = readFileSync(file, 'utf8').split('\n').filter((l) => l.includes(`SRC=${e.lab.pod('default/access')!.ip} `));
      assert.deepEqual(accessLines, [], 'allowed traffic is not logged');

      // The same line in the dashboard's denied-traffic feed of the running API server (it reads
      // DATA_DIR/lab, where tabby up's lab writes), linked as the page links it: the engine's
      // verdict for the line's flow, the stage that decided it, and the Log rule that wrote it.
      const t2 = performance.now();
      let feed: DeniedResponse | undefined;
      let entry: DeniedResponse['lines'][number] | undefined;
      while (entry === undefined && performance.now() - t2 < 20_000) {
        feed = await deniedFeed(e);
        entry = feed.lines.find((l) => l.line === line);
        if (entry === undefined) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(feed?.lab, 'the feed sees the lab');
      assert.ok(entry, `the line in the dashboard's denied feed\n${JSON.stringify(feed?.lines.slice(-5), null, 1)}`);
      assert.deepEqual([entry.node, entry.prefix, entry.fields['SRC'], entry.fields['DST'], entry.fields['PROTO'], entry.fields['DPT']], [nginx.node, 'calico-packet', other.ip, nginx.ip, 'TCP', '80']);
      assert.ok(feed!.nodes.includes(nginx.node), feed!.nodes.join(', '));
      const { snapshot } = await snapshotOf(e.c.datastore);
      const f = entry.fields;
      const v = evaluateFlow(snapshot, { from: f['SRC']!, to: f['DST']!, protocol: f['PROTO']!, port: Number(f['DPT']) });
      const decided = v.stages.filter((s) => s.action !== 'Continue').at(-1);
      assert.equal(v.action, 'Deny');
      assert.deepEqual([decided?.stage, decided?.endpoint, decided?.decidedBy], ['destinationIngress', 'default/nginx', { kind: 'endOfTier', tier: 'default', action: 'Deny' }]);
      assert.deepEqual(decided?.logged, [{ tier: 'default', policy: 'default/log-denied-packets', ruleIndex: 0, action: 'Log' }]);
      assert.equal(decided?.nearMiss?.policy, 'default/knp.default.access-nginx');
      console.log(`# in the dashboard's denied feed after ${(performance.now() - t2).toFixed(0)} ms: ${decided?.summary}`);
      await dashboardWithLab(t, e, { src: other.ip, dst: nginx.ip, node: nginx.node });
    }

    // The lab's Nodes and pods as kubectl shows them.
    const kubectl = async (...args: string[]): Promise<string> => (await run('kubectl', args, { env: { ...process.env, KUBECONFIG: e.c.kubeconfigPath }, timeout: 30_000 })).stdout;
    const nodes = await kubectl('get', 'nodes', '--no-headers');
    for (const w of e.lab.plan.workers) assert.match(nodes, new RegExp(`^${w.name}\\s+Ready\\s`, 'm'), nodes);
    const pods = await kubectl('get', 'pods', '-A', '--no-headers');
    for (const k of ['default/nginx', 'default/access', 'default/other', 'kube-system/kubernetes-dashboard-7b9c6d8f5-x2k4p']) {
      const [ns, name] = k.split('/') as [string, string];
      assert.match(pods, new RegExp(`^${ns}\\s+${name}\\s+1/1\\s+Running\\s`, 'm'), pods);
    }
    const wide = await kubectl('get', 'pods', 'nginx', '-o', 'wide', '--no-headers');
    assert.ok(wide.includes(nginx.ip) && wide.includes(nginx.node), wide);
  });
});
