/**
 * Real-kernel differential test (root only; skipped otherwise): the same desired state is
 * programmed once with the iptables backend (iptables-nft + ipset, IptablesTable/IpsetApplier)
 * and once with the native nft backend (NftApplier), each into its own fresh topology of
 * network namespaces, and the same real TCP/UDP/ICMP packets must get the same allow/deny
 * outcome in both — and the outcome Calico's semantics give (asserted too, so a test where
 * both backends dropped everything could not pass).
 *
 * Topology (per backend; every name carries a unique per-run suffix, every address is in
 * 198.18.0.0/15, nothing is created in the root namespace: veths are created inside the node
 * namespace with their peer directly in the other one):
 *
 *   client (198.18.10.2) ─ cali… ┐                 ┌ eth1 198.18.20.1 ─ ext (198.18.20.2)
 *   web    (198.18.11.2) ─ cali… ┴─ node (router) ─┘   (a host endpoint with policy)
 *
 * Flows cover allow, deny, a Deny in a higher tier beating a later Allow, Pass to the next
 * tier, end-of-tier drop, selector / network-set / named-port sets, the host endpoint's policy,
 * its default deny and its failsafe port, and DefaultEndpointToHostAction. Namespaces and the
 * server processes are removed in `finally`, whatever happens; every wait is bounded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { computeDesiredState, loadSnapshot, type DesiredState } from '../../engine/index.js';
import { workloadInterfaceName } from '../../engine/names.js';
import { render } from '../render/index.js';
import { IptablesTable } from '../iptables/table.js';
import { IpsetApplier } from '../ipset/ipset-applier.js';
import { createNetns, deleteNetns, inNetns, netnsSkipReason, nodeRunner, type CommandRunner } from '../../sys/index.js';
import { required } from '../../../test/support/tools.js';
import { NftApplier } from './applier.js';
import { renderNft } from './render.js';

const skip = required(await netnsSkipReason());

const CLIENT_IF = workloadInterfaceName('prod', 'client');
const WEB_IF = workloadInterfaceName('prod', 'web');

const RESOURCES = `
apiVersion: v1
kind: Namespace
metadata: {name: prod}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: prod, labels: {app: client}}
spec: {nodeName: node1, containers: [{name: c}]}
status: {podIP: 198.18.10.2}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: prod, labels: {app: web}}
spec: {nodeName: node1, containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]}
status: {podIP: 198.18.11.2}
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: node1-eth1, labels: {hep: public}}
spec: {node: node1, interfaceName: eth1, expectedIPs: [198.18.20.1]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata: {name: ext, labels: {role: ext}}
spec: {nets: [198.18.20.0/24]}
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
spec: {order: 100}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: security.gate}
spec:
  tier: security
  order: 10
  selector: has(app)
  types: [Ingress]
  ingress:
  - action: Deny
    protocol: TCP
    source: {nets: [198.18.20.0/24]}
    destination: {ports: [7001]}
  - action: Pass
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: allow-web, namespace: prod}
spec:
  selector: app == 'web'
  types: [Ingress]
  ingress:
  - action: Allow
    protocol: TCP
    source: {selector: app == 'client'}
    destination: {ports: [http]}
  - action: Allow
    protocol: ICMP
    source: {selector: app == 'client'}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: from-ext}
spec:
  order: 100
  selector: app == 'web'
  types: [Ingress]
  ingress:
  - action: Allow
    protocol: TCP
    source: {selector: role == 'ext'}
    destination: {ports: [7001, 7002]}
  - action: Allow
    protocol: UDP
    source: {selector: role == 'ext'}
    destination: {ports: [5353]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: host-in}
spec:
  order: 100
  selector: hep == 'public'
  types: [Ingress]
  ingress:
  - action: Allow
    protocol: TCP
    destination: {ports: [7100]}
`;

/** The desired state; `withoutFromExt` drops the `from-ext` policy (an earlier generation). */
function desired(withoutFromExt = false): DesiredState {
  const docs = parseAllDocuments(RESOURCES)
    .map((d) => d.toJS() as unknown)
    .filter((x) => x !== null && x !== undefined)
    .filter((x) => !withoutFromExt || (x as { metadata?: { name?: string } }).metadata?.name !== 'from-ext');
  const { snapshot } = loadSnapshot(docs);
  return computeDesiredState(snapshot, 'node1');
}

type Host = 'client' | 'web' | 'ext' | 'node';
interface Flow {
  readonly name: string;
  readonly from: Host;
  readonly to: Host;
  readonly proto: 'tcp' | 'udp' | 'icmp';
  readonly port: number;
  readonly want: 'allow' | 'deny';
}

const ADDR: Readonly<Record<Host, string>> = { client: '198.18.10.2', web: '198.18.11.2', ext: '198.18.20.2', node: '198.18.20.1' };

const FLOWS: readonly Flow[] = [
  { name: 'client → web tcp/8080 (named port, selector set, after Pass)', from: 'client', to: 'web', proto: 'tcp', port: 8080, want: 'allow' },
  { name: 'client → web tcp/9090 (end of tier drop)', from: 'client', to: 'web', proto: 'tcp', port: 9090, want: 'deny' },
  { name: 'client → web icmp (allowed)', from: 'client', to: 'web', proto: 'icmp', port: 0, want: 'allow' },
  { name: 'ext → web icmp (not in the client set)', from: 'ext', to: 'web', proto: 'icmp', port: 0, want: 'deny' },
  { name: 'ext → web tcp/7001 (security tier Deny beats the default tier Allow)', from: 'ext', to: 'web', proto: 'tcp', port: 7001, want: 'deny' },
  { name: 'ext → web tcp/7002 (network set, after Pass)', from: 'ext', to: 'web', proto: 'tcp', port: 7002, want: 'allow' },
  { name: 'ext → web tcp/8080 (ext is not a client)', from: 'ext', to: 'web', proto: 'tcp', port: 8080, want: 'deny' },
  { name: 'ext → web udp/5353 (network set)', from: 'ext', to: 'web', proto: 'udp', port: 5353, want: 'allow' },
  { name: 'ext → web udp/5354 (end of tier drop)', from: 'ext', to: 'web', proto: 'udp', port: 5354, want: 'deny' },
  { name: 'web → client tcp/8080 (Pass, then the namespace profile)', from: 'web', to: 'client', proto: 'tcp', port: 8080, want: 'allow' },
  { name: 'ext → node tcp/22 (host endpoint failsafe)', from: 'ext', to: 'node', proto: 'tcp', port: 22, want: 'allow' },
  { name: 'ext → node tcp/7100 (host endpoint policy)', from: 'ext', to: 'node', proto: 'tcp', port: 7100, want: 'allow' },
  { name: 'ext → node tcp/7200 (host endpoint default deny)', from: 'ext', to: 'node', proto: 'tcp', port: 7200, want: 'deny' },
  { name: 'client → node tcp/7300 (DefaultEndpointToHostAction Drop)', from: 'client', to: 'node', proto: 'tcp', port: 7300, want: 'deny' },
];

const SERVER_JS = `const net=require('net'),dgram=require('dgram');const [tcp,udp]=JSON.parse(process.argv[1]);let n=0;const all=tcp.length+udp.length;
const up=()=>{if(++n===all)process.stdout.write('ready\\n')};
for(const p of tcp)net.createServer((s)=>{s.on('error',()=>{});s.end('ok')}).listen(p,'0.0.0.0',up);
for(const p of udp){const s=dgram.createSocket('udp4');s.on('message',(m,r)=>s.send('ok',r.port,r.address));s.bind(p,'0.0.0.0',up);}
setTimeout(()=>process.exit(0),120000);`;

const CLIENT_JS = `const [proto,host,port]=process.argv.slice(1);const done=(r)=>{process.stdout.write(r);process.exit(0)};setTimeout(()=>done('deny'),1200);
if(proto==='tcp'){const s=require('net').connect(Number(port),host);s.on('data',()=>done('allow'));s.on('error',()=>done('deny'));}
else{const s=require('dgram').createSocket('udp4');s.on('message',()=>done('allow'));s.send('x',Number(port),host);}`;

const SERVES: Readonly<Record<Host, { tcp: number[]; udp: number[] }>> = {
  client: { tcp: [8080], udp: [] },
  web: { tcp: [8080, 9090, 7001, 7002], udp: [5353, 5354] },
  node: { tcp: [22, 7100, 7200, 7300], udp: [] },
  ext: { tcp: [], udp: [] },
};

async function must(runner: CommandRunner, ...argv: string[]): Promise<string> {
  const r = await runner.run({ argv, timeoutMs: 20_000 });
  assert.equal(r.code, 0, `${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

interface Topology {
  readonly ns: Readonly<Record<Host, string>>;
  readonly servers: ChildProcess[];
}

async function buildTopology(created: string[]): Promise<Topology> {
  const ns = {} as Record<Host, string>;
  for (const h of ['node', 'client', 'web', 'ext'] as const) {
    ns[h] = await createNetns(`tby-nftd-${h.slice(0, 3)}`);
    created.push(ns[h]);
  }
  const r = nodeRunner;
  const link = async (peer: Host, nodeIf: string, nodeAddr: string, peerAddr: string): Promise<void> => {
    await must(r, 'ip', '-n', ns.node, 'link', 'add', nodeIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns[peer]);
    await must(r, 'ip', '-n', ns.node, 'addr', 'add', nodeAddr, 'dev', nodeIf);
    await must(r, 'ip', '-n', ns.node, 'link', 'set', nodeIf, 'up');
    await must(r, 'ip', '-n', ns[peer], 'addr', 'add', peerAddr, 'dev', 'eth0');
    await must(r, 'ip', '-n', ns[peer], 'link', 'set', 'eth0', 'up');
    await must(r, 'ip', '-n', ns[peer], 'route', 'add', 'default', 'via', nodeAddr.split('/')[0]!);
  };
  await link('client', CLIENT_IF, '198.18.10.1/24', '198.18.10.2/24');
  await link('web', WEB_IF, '198.18.11.1/24', '198.18.11.2/24');
  await link('ext', 'eth1', '198.18.20.1/24', '198.18.20.2/24');
  await must(inNetns(r, ns.node), 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
  return { ns, servers: [] };
}

async function startServer(t: Topology, h: Host): Promise<void> {
  const { tcp, udp } = SERVES[h];
  if (tcp.length + udp.length === 0) return;
  const child = spawn('ip', ['netns', 'exec', t.ns[h], process.execPath, '-e', SERVER_JS, JSON.stringify([tcp, udp])], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.servers.push(child);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server in ${h} not ready in 10 s`)), 10_000);
    let out = '';
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server in ${h} exited (${String(code)})`));
    });
  });
}

async function probe(t: Topology, f: Flow): Promise<'allow' | 'deny'> {
  const runner = inNetns(nodeRunner, t.ns[f.from]);
  if (f.proto === 'icmp') {
    const r = await runner.run({ argv: ['ping', '-n', '-q', '-c', '1', '-W', '1', ADDR[f.to]], timeoutMs: 5000 });
    return r.code === 0 ? 'allow' : 'deny';
  }
  const r = await runner.run({ argv: [process.execPath, '-e', CLIENT_JS, f.proto, ADDR[f.to], String(f.port)], timeoutMs: 10_000 });
  assert.equal(r.code, 0, `probe ${f.name}: ${r.stderr}`);
  assert.ok(r.stdout === 'allow' || r.stdout === 'deny', r.stdout);
  return r.stdout;
}

async function programIptables(runner: CommandRunner, d: DesiredState): Promise<void> {
  const r = render(d);
  const ipsets = new IpsetApplier({ runner });
  try {
    ipsets.setIpSets(r.ipSets);
    await ipsets.applyAdds();
    for (const t of [r.raw, r.mangle, r.filter]) {
      const table = new IptablesTable({ table: t.table, runner });
      table.setChains(t.chains);
      table.setHooks(t.hooks);
      await table.apply();
    }
    await ipsets.applyRemovals();
  } finally {
    await ipsets.close();
  }
}

/**
 * Programs an earlier generation (without `from-ext`) first, then the desired state as an
 * incremental transaction, so the packets test what incremental updates leave behind; checks
 * the patched fingerprint against a full read-back and repairs real drift on the way.
 */
async function programNft(runner: CommandRunner, d: DesiredState): Promise<void> {
  const applier = new NftApplier({ runner });
  applier.setRuleset(renderNft(desired(true)));
  const first = await applier.apply();
  assert.deepEqual({ changed: first.changed, full: first.full }, { changed: true, full: true });
  assert.equal((await applier.refresh()).changed, false, 'read back: no drift right after programming');
  applier.setRuleset(renderNft(d));
  const inc = await applier.apply();
  assert.deepEqual({ changed: inc.changed, full: inc.full }, { changed: true, full: false }, 'the change is incremental');
  assert.ok((applier.lastPlan?.chains.length ?? 0) > 0 && (applier.lastPlan?.sets.length ?? 0) > 0, 'chains and sets were written');
  assert.equal((await applier.refresh()).changed, false, 'the patched fingerprint equals a full read-back');
  await must(runner, 'nft', 'flush', 'chain', 'ip', 'tabby', 'filter-cali-failsafe-in');
  const fixed = await applier.refresh();
  assert.deepEqual({ changed: fixed.changed, reason: fixed.reason }, { changed: true, reason: 'drift' }, 'drift repaired');
  assert.equal((await applier.refresh()).changed, false);
}

async function runBackend(backend: 'iptables' | 'nft', d: DesiredState): Promise<Map<string, string>> {
  const created: string[] = [];
  let t: Topology | undefined;
  try {
    t = await buildTopology(created);
    const node = inNetns(nodeRunner, t.ns.node);
    if (backend === 'iptables') await programIptables(node, d);
    else await programNft(node, d);
    // The backends never mix: the nft node has only our table, the iptables node none of it.
    const tables = await must(node, 'nft', 'list', 'tables');
    if (backend === 'nft') assert.equal(tables.trim(), 'table ip tabby');
    else assert.doesNotMatch(tables, /tabby/);
    for (const h of ['client', 'web', 'node'] as const) await startServer(t, h);
    const out = new Map<string, string>();
    for (const f of FLOWS) out.set(f.name, await probe(t, f));
    return out;
  } finally {
    for (const s of t?.servers ?? []) s.kill('SIGKILL');
    for (const n of created) await deleteNetns(n);
  }
}

test('nft vs iptables: the same real packets get the same verdicts', { skip, timeout: 240_000 }, async () => {
  const d = desired();
  assert.deepEqual(d.workloads.map((w) => w.iface).sort(), [CLIENT_IF, WEB_IF].sort());
  assert.deepEqual(d.hostEndpoints.map((h) => h.iface), ['eth1']);
  const rootTablesBefore = await must(nodeRunner, 'nft', 'list', 'tables');
  const ipt = await runBackend('iptables', d);
  const nft = await runBackend('nft', d);
  const want = new Map(FLOWS.map((f) => [f.name, f.want]));
  assert.deepEqual(nft, ipt, 'nft and iptables agree on every flow');
  assert.deepEqual(ipt, want, 'and both give Calico’s verdicts');
  assert.equal(await must(nodeRunner, 'nft', 'list', 'tables'), rootTablesBefore, 'the root namespace was not touched');
  const left = await must(nodeRunner, 'ip', 'netns', 'list');
  assert.doesNotMatch(left, new RegExp(`tby-nftd-\\w+-${process.pid}-`), 'no namespace left behind');
});
