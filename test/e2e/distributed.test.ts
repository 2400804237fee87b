/**
 * Issue 15 item 3's acceptance: the distributed lab (root only; etcd and kubectl needed — under
 * CI=true anything missing is a failure, not a skip).
 *
 * 1. `tabby lab up --distributed --workers 3` (the CLI, as its banner prints it): 3 etcd
 *    members, 2 API servers and 3 workers' agents, each a process in its own namespace:
 *    checked by comparing `/proc/<pid>/ns/net` with `/run/netns/<netns>` for every member,
 *    and no two members share one. The host's root namespace has no lab address or route.
 * 2. The banner's `kubectl --kubeconfig … get nodes` runs as printed and lists the 3 workers.
 * 3. The agents joined with tokens: each ran `tabby agent --server <both servers> --token …
 *    --ca-cert-hash sha256:…` and holds its own node certificate (CN system:node:<name>); its
 *    connections to the API servers (`ss -tnp` in the worker's namespace, the agent's pid) go from
 *    the worker's fabric address to an API server's fabric address on 6443 — none over loopback;
 *    the API servers' connections to etcd likewise go over the fabric to port 2379.
 * 4. The seed's corrected policies (examples/seed: the pod policies, deny-nodeports and the
 *    default Calico policies; not the reconstructed host endpoints,
 *    examples/seed/defaults/public-hostendpoints.yaml: interfaceName eth1 but expectedIPs
 *    198.18.10.x, while the cluster's address plan, which every lab shape realizes, puts the
 *    workers' eth1 at 198.18.1.1x. The agent programs a host endpoint on its named interface,
 *    as Felix does, so eth1 is policed; the engine places a host endpoint by its expectedIPs
 *    (it knows no node's interface names) and finds none for eth1, so it says "host traffic not
 *    policed: Allow" — e.g. `tabby verdict` for 198.18.1.250 → 198.18.1.11 TCP/9999 says Allow
 *    with the seed's file and Deny with expectedIPs 198.18.1.11. Not particular to this lab; an
 *    engine gap) and the walkthrough's pods, applied with the real kubectl through
 *    the lab's kubeconfig; `tabby lab probe -o json` (real packets vs the engine) agrees on
 *    every flow, and access → nginx:80 is open while other → nginx:80 is not.
 * 5. apiserver-1 killed (stopMember, SIGKILL): kubectl still answers (relay failover) and a
 *    new policy reaches every agent (their programmed revision on their Node), through
 *    apiserver-2; startMember brings apiserver-1 back from its recorded command.
 * 6. `tabby lab down` removes every member process, namespace, data directory and socket.
 * 7. `tabby lab verify --distributed --workers 3 --cases 50` agrees on every flow.
 *
 * Cleanup runs even on failure (downFromState on the state dir); every wait is bounded.
 * Known gap, as in lab.test.ts: worker → pod on the same worker is not policed by the
 * dataplane (like Felix), so those flows are left out of step 4's assertion.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { downFromState, readLabState } from '../../src/lab/state.js';
import { readMembers, startMember, stopMember, type MemberRecord } from '../../src/lab/distributed/index.js';
import type { LabState } from '../../src/lab/controller.js';
import { isAlive, netnsSkipReason, nodeRunner } from '../../src/sys/index.js';
import { required, requireTool, toolPath } from '../support/tools.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const KUBECTL = toolPath('kubectl') ?? 'kubectl';
const skip = required(await netnsSkipReason()) || requireTool('etcd', 'kubectl', 'ss', 'iptables-save', 'ipset');

/** The ibm-classic profile's node names, which the walkthrough's pods are pinned to. */
const NODE_NAMES = 'kube-dal10-crc21191ee3997497ca90c8173bbdaf560-w{i}.cloud.ibm';
const node = (i: number): string => NODE_NAMES.replace('{i}', String(i));

const SEED = [
  'examples/seed/access-nginx.yaml',
  'examples/seed/accounts-allow.yaml',
  'examples/seed/backend-allow.yaml',
  'examples/seed/db-allow.yaml',
  'examples/seed/deny-nodeports.yaml',
  'examples/seed/log-denied-packets.yaml',
  'examples/seed/defaults/default-calico-policies.yaml',
];

/** The walkthrough's pods (docs/walkthrough.md, section 9), as printed there. */
const WALKTHROUGH_PODS = `apiVersion: v1
kind: Pod
metadata:
  name: nginx
  labels: {run: nginx}
spec:
  nodeName: ${node(1)}
  containers:
  - name: nginx
    image: nginx
    ports: [{containerPort: 80}]
---
apiVersion: v1
kind: Pod
metadata:
  name: access
  labels: {run: access}
spec:
  nodeName: ${node(2)}
  containers:
  - name: access
    image: busybox
---
apiVersion: v1
kind: Pod
metadata:
  name: other
  labels: {run: other}
spec:
  nodeName: ${node(3)}
  containers:
  - name: other
    image: busybox
`;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function exec(file: string, args: readonly string[], timeoutMs: number, env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((ok) => {
    execFile(file, [...args], { cwd: ROOT, env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      ok({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
  });
}

/** `tabby ARGS` (bin/tabby.ts under tsx), bounded. */
const tabby = (args: readonly string[], timeoutMs: number): Promise<Run> => exec(process.execPath, ['--import', TSX, join(ROOT, 'bin', 'tabby.ts'), ...args], timeoutMs);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The namespace inode `/proc/<pid>/ns/net` points at (`net:[<inode>]`). */
const netnsOfPid = (pid: number): string => readlinkSync(`/proc/${pid}/ns/net`);
const netnsInode = (name: string): string => `net:[${statSync(`/run/netns/${name}`).ino}]`;

describe('the distributed lab: etcd, API servers and agents in their own namespaces, over the fabric with TLS', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tabby-dlab-'));
  const stateDir = join(dir, 'lab');
  let st: LabState | undefined;
  let members: readonly MemberRecord[] = [];
  let kubeconfig = '';
  let banner = '';
  let prefix = '';

  const kubectl = (args: readonly string[], timeoutMs = 60_000): Promise<Run> =>
    exec(KUBECTL, ['--kubeconfig', kubeconfig, '--request-timeout=30s', ...args], timeoutMs, { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir });
  const kubectlOk = async (args: readonly string[], input?: string): Promise<string> => {
    if (input !== undefined) {
      const f = join(dir, `in-${Date.now()}.yaml`);
      writeFileSync(f, input);
      args = args.map((a) => (a === '-' ? f : a));
    }
    const r = await kubectl(args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  const labNamespaces = async (): Promise<string[]> => (await nodeRunner.run({ argv: ['ip', 'netns', 'list'], timeoutMs: 10_000 })).stdout.split('\n').map((l) => l.split(' ')[0]!).filter((n) => prefix !== '' && n.startsWith(`${prefix}-`));

  before(async () => {
    const r = await tabby(['lab', 'up', '--distributed', '--state-dir', stateDir, '--workers', '3', '--node-names', NODE_NAMES], 420_000);
    banner = r.stdout;
    st = readLabState(stateDir);
    prefix = st?.prefix ?? '';
    const log = existsSync(join(stateDir, 'lab.log')) ? readFileSync(join(stateDir, 'lab.log'), 'utf8').slice(-4000) : '';
    assert.equal(r.code, 0, `tabby lab up --distributed failed:\n${r.stdout}${r.stderr}\n${log}`);
    members = readMembers(stateDir)?.members ?? [];
    kubeconfig = st?.distributed?.kubeconfig ?? '';
  }, { timeout: 480_000 });

  after(async () => {
    // Cleanup even on failure: the daemon, every member, every namespace of this run.
    for (const d of [stateDir, join(dir, 'verify')]) if (existsSync(join(d, 'lab.json'))) await downFromState(d).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }, { timeout: 180_000 });

  test('3 etcd members, 2 API servers and 3 agents, each a process in its own namespace; the host has no lab address', async () => {
    assert.ok(st?.distributed !== undefined, 'lab.json records the distributed control plane');
    const byRole = (role: string): MemberRecord[] => members.filter((m) => m.role === role);
    assert.deepEqual(byRole('etcd').map((m) => m.name), ['etcd-1', 'etcd-2', 'etcd-3']);
    assert.deepEqual(byRole('apiserver').map((m) => m.name), ['apiserver-1', 'apiserver-2']);
    assert.deepEqual(byRole('agent').map((m) => m.node).sort(), [node(1), node(2), node(3)]);
    const seen = new Map<string, string>();
    const hostNs = netnsOfPid(process.pid);
    for (const m of members) {
      assert.ok(m.pid !== undefined && isAlive(m.pid), `${m.name} runs (pid ${m.pid})`);
      const ns = netnsOfPid(m.pid);
      assert.equal(ns, netnsInode(m.netns), `${m.name} (pid ${m.pid}) runs in its namespace ${m.netns}`);
      assert.notEqual(ns, hostNs, `${m.name} is not in the host's namespace`);
      if (m.role !== 'agent') {
        assert.equal(seen.get(ns), undefined, `${m.name} shares a namespace with ${seen.get(ns)}`);
        seen.set(ns, m.name);
      }
      assert.match(m.address, /^198\.1[89]\./, `${m.name}'s address is in the lab range`);
    }
    // Each agent runs in its worker's namespace (with the worker's pods' plumbing), not a control-plane one.
    for (const a of byRole('agent')) assert.equal(a.netns, st.plan.workers.find((w) => w.name === a.node)?.netns);
    // The host's root namespace: no lab address, no lab route.
    const addrs = await nodeRunner.run({ argv: ['ip', '-o', 'addr'], timeoutMs: 10_000 });
    const routes = await nodeRunner.run({ argv: ['ip', 'route', 'show', 'table', 'all'], timeoutMs: 10_000 });
    assert.doesNotMatch(addrs.stdout, /198\.1[89]\./, 'no lab address in the root namespace');
    assert.doesNotMatch(routes.stdout, /198\.1[89]\./, 'no lab route in the root namespace');
  });

  test("the banner's commands run as printed: kubectl get nodes lists the 3 workers through the relay", async () => {
    const line = banner.split('\n').find((l) => l.startsWith('kubectl '));
    assert.ok(line !== undefined, `the banner prints a kubectl line:\n${banner}`);
    const argv = line.split(' ');
    const r = await exec(KUBECTL, argv.slice(1), 60_000, { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir });
    assert.equal(r.code, 0, r.stderr);
    for (let i = 1; i <= 3; i++) assert.match(r.stdout, new RegExp(`${node(i).replaceAll('.', '\\.')}\\s+Ready`));
    assert.match(kubeconfig, /admin\.kubeconfig$/);
    assert.match(readFileSync(kubeconfig, 'utf8'), /server: https:\/\/127\.0\.0\.1:\d+/);
    assert.ok(banner.includes(`tabby lab down --state-dir ${stateDir}`), banner);
  });

  test('agents joined with tokens and the CA hash, each with its own node certificate, and talk to the API servers over the fabric', async () => {
    const apis = members.filter((m) => m.role === 'apiserver');
    const apiIps = new Set(apis.map((m) => m.address));
    for (const a of members.filter((m) => m.role === 'agent')) {
      const argv = a.argv.join(' ');
      assert.match(argv, /--token [a-z0-9]{6}\.[a-z0-9]{16}/, `${a.name} joined with a bootstrap token`);
      assert.match(argv, /--ca-cert-hash sha256:[0-9a-f]{64}/, `${a.name} pinned the CA`);
      assert.ok(argv.includes(`--server ${apis.map((m) => m.url).join(',')}`), `${a.name} was given both API servers: ${argv}`);
      // its own credential: a client certificate for system:node:<name>, issued at the join
      const certs = readdirSync(join(a.dir, 'state')).filter((f) => f.endsWith('.crt') && f !== 'ca.crt');
      assert.ok(certs.length > 0, `${a.name} holds a node certificate`);
      const subject = new X509Certificate(readFileSync(join(a.dir, 'state', certs[0]!))).subject;
      assert.match(subject, new RegExp(`CN=system:node:${a.node!.replaceAll('.', '\\.')}`));
      // its connections: worker address → an API server address:6443, nothing on loopback
      const ss = await nodeRunner.run({ argv: ['ip', 'netns', 'exec', a.netns, 'ss', '-Htnp'], timeoutMs: 10_000 });
      const mine = ss.stdout.split('\n').filter((l) => l.includes(`pid=${a.pid},`));
      const toApi = mine.filter((l) => {
        const cols = l.trim().split(/\s+/);
        const [local, peer] = [cols[3] ?? '', cols[4] ?? ''];
        return local.startsWith(`${a.address}:`) && [...apiIps].some((ip) => peer === `${ip}:6443`);
      });
      assert.ok(toApi.length > 0, `${a.name}: a connection from ${a.address} to an API server on 6443:\n${ss.stdout}`);
      assert.ok(!mine.some((l) => /127\.0\.0\.1|\[::1\]/.test(l)), `${a.name} uses no loopback connection:\n${mine.join('\n')}`);
    }
    const etcdIps = new Set(members.filter((m) => m.role === 'etcd').map((m) => m.address));
    for (const a of apis) {
      const ss = await nodeRunner.run({ argv: ['ip', 'netns', 'exec', a.netns, 'ss', '-Htnp'], timeoutMs: 10_000 });
      const toEtcd = ss.stdout.split('\n').filter((l) => l.includes(`pid=${a.pid},`) && [...etcdIps].some((ip) => l.includes(` ${ip}:2379 `)));
      assert.ok(toEtcd.length > 0, `${a.name} talks to etcd over the fabric:\n${ss.stdout}`);
    }
  });

  test("the seed's policies and the walkthrough's pods: real packets agree with the engine on every flow", { timeout: 480_000 }, async () => {
    await kubectlOk(['create', 'namespace', 'accounts']); // accounts-allow.yaml's namespace
    for (const f of SEED) await kubectlOk(['apply', '-f', join(ROOT, f)]);
    await kubectlOk(['apply', '-f', '-'], WALKTHROUGH_PODS);
    await kubectlOk(['wait', '--for=condition=Ready', 'pod/nginx', 'pod/access', 'pod/other', '--timeout=90s'], undefined);
    const r = await tabby(['lab', 'probe', '--state-dir', stateDir, '-o', 'json', '--timeout', '500'], 300_000);
    const json = r.stdout.slice(0, r.stdout.lastIndexOf(']') + 1);
    const rows = JSON.parse(json) as { flow: { from: string; toLabel: string; proto: string; port: number }; engine: string; real: string; agree: boolean }[];
    const podNode = new Map([['default/nginx', node(1)], ['default/access', node(2)], ['default/other', node(3)]]);
    // Known gap (module doc): worker → a pod on that same worker.
    const considered = rows.filter((x) => !(x.flow.from.startsWith('node:') && podNode.get(x.flow.toLabel) === x.flow.from.slice(5)));
    const bad = considered.filter((x) => !x.agree);
    assert.equal(bad.length, 0, `probe disagrees with the engine:\n${JSON.stringify(bad, null, 1)}`);
    assert.ok(considered.length >= 20, `probed ${considered.length} flows`);
    const row = (from: string): (typeof rows)[number] | undefined => rows.find((x) => x.flow.from === from && x.flow.toLabel === 'default/nginx' && x.flow.proto === 'tcp' && x.flow.port === 80);
    assert.equal(row('default/access')?.engine, 'Allow');
    assert.match(row('default/access')?.real ?? '', /^(open|refused)$/);
    assert.equal(row('default/other')?.engine, 'Deny');
    assert.doesNotMatch(row('default/other')?.real ?? 'open', /^(open|refused)$/);
  });

  test('apiserver-1 killed: kubectl and every agent carry on through apiserver-2; startMember brings it back', { timeout: 180_000 }, async () => {
    const killed = await stopMember(stateDir, 'apiserver-1', 'SIGKILL');
    assert.ok(killed !== undefined && !isAlive(killed));
    const policy = `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: failover-probe
spec:
  order: 4000
  selector: run == 'nobody'
  types: [Ingress]
  ingress: [{action: Deny}]
`;
    const out = await kubectlOk(['apply', '-f', '-', '-o', 'jsonpath={.metadata.resourceVersion}'], policy);
    const rev = BigInt(out.trim());
    const deadline = Date.now() + 60_000;
    for (;;) {
      const nodes = JSON.parse(await kubectlOk(['get', 'nodes.projectcalico.org', '-o', 'json'])) as { items: { metadata: { name: string; annotations?: Record<string, string> } }[] };
      const behind = [1, 2, 3].map(node).filter((n) => {
        const a = nodes.items.find((x) => x.metadata.name === n)?.metadata.annotations?.['tabby.dev/programmed-revision'];
        return a === undefined || BigInt(a) < rev;
      });
      if (behind.length === 0) break;
      assert.ok(Date.now() < deadline, `agents still behind revision ${rev} 60 s after apiserver-1 was killed: ${behind.join(', ')}`);
      await sleep(250);
    }
    const back = await startMember(stateDir, 'apiserver-1');
    assert.ok(back.pid !== undefined && back.pid !== killed);
    // The pid is `ip netns exec`'s until it enters the namespace and execs the server.
    for (let i = 0; i < 100 && netnsOfPid(back.pid) !== netnsInode(back.netns); i++) await sleep(100);
    assert.equal(netnsOfPid(back.pid), netnsInode(back.netns));
    await kubectlOk(['delete', 'globalnetworkpolicies.projectcalico.org', 'failover-probe']);
  });

  test('tabby lab down removes every member, namespace, data directory and socket', async () => {
    const r = await tabby(['lab', 'down', '--state-dir', stateDir], 120_000);
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
    const now = readMembers(stateDir);
    for (const m of members) assert.ok(m.pid === undefined || !isAlive(m.pid) || !readFileSync(`/proc/${m.pid}/cmdline`, 'utf8').includes(m.netns), `${m.name} (pid ${m.pid}) is gone`);
    for (const m of now?.members ?? []) assert.ok(m.pid === undefined || !isAlive(m.pid), `${m.name} (pid ${m.pid}) is gone`);
    assert.deepEqual(await labNamespaces(), [], 'no namespace of this lab is left');
    assert.equal(existsSync(join(stateDir, 'members')), false, 'the members\' directories (etcd data, certificates) are removed');
    assert.equal(existsSync(st?.distributed?.socketDir ?? '/nonexistent'), false, 'the relay sockets are removed');
    assert.equal(existsSync(join(stateDir, 'lab.json')), false);
  });

  test('tabby lab verify --distributed --workers 3 --cases 50 agrees on every flow', { timeout: 1_560_000 }, async () => {
    const vdir = join(dir, 'verify');
    const r = await tabby(['lab', 'verify', '--distributed', '--workers', '3', '--cases', '50', '--seed', '15', '--state-dir', vdir], 1_500_000);
    const last = r.stdout.trim().split('\n').at(-1) ?? '';
    const m = /^(\d+)\/(\d+) flows agree$/.exec(last);
    assert.ok(m !== null, `tabby lab verify printed no summary:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
    assert.equal(m[1], m[2], `${last}\n${r.stdout.split('\n').filter((l) => l.includes('!!')).slice(0, 30).join('\n')}`);
    assert.ok(Number(m[2]) > 500, `50 cases probe many flows (${m[2]})`);
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    assert.equal(existsSync(vdir), false, 'verify removes its lab');
  });
});
