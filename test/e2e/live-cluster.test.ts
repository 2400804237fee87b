/**
 * Issue 16's acceptance for the live-cluster reader: Tabby's own API server (127.0.0.1, a free
 * port, a temporary data dir, HTTPS with its CA) populated with the real kubectl — the seed's
 * corrected policies (examples/seed), the walkthrough's pods (docs/walkthrough.md, section 9)
 * and the example cluster of examples/flows — then:
 * - `tabby verdict --kubeconfig … --flows examples/flows/flows.json -o json` equals the engine's
 *   verdicts on the server's datastore read directly, traces included, for every flow;
 * - `tabby snapshot --kubeconfig … -o cluster.yaml`, read back with `-f`, gives the same again;
 * - `tabby test --kubeconfig … --expect … -o junit` is well-formed XML (parsed by Python's
 *   expat) and exits 0, and 1 with a failing expectation;
 * - `tabby diff --kubeconfig … --apply examples/flows/change.yaml -o junit` names the flipped flow;
 * - a wrong context, an unreachable server and a bad token are one clear line each;
 * - `tabby rbac`'s role is enough and needed: a token bound to exactly its rules reads the
 *   cluster; with one resource taken out the read fails naming that resource (the server's
 *   RBAC rule matcher, src/apiserver/auth.ts, binds tokens to rules; it has no ClusterRole
 *   objects, so the binding is the server's `users` option, not a ClusterRoleBinding).
 * Skipped without kubectl (a failure under CI=true). Every kubectl call is bounded.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { kubeconfig, runServer, type RunningServer } from '../../src/apiserver/main.js';
import { startCluster, type RunningCluster } from '../../src/cli/commands/up.js';
import { CALICO_CRD, CALICO_V3, readerRules } from '../../src/cli/live/index.js';
import { parseManifests } from '../../src/manifest/index.js';
import { v3ToKdd } from '../../src/model/convert/index.js';
import type { Resource } from '../../src/model/meta.js';
import { stringify } from 'yaml';
import { profileNamed } from '../../src/cluster/index.js';
import { main } from '../../src/cli/main.js';
import { nodeIo } from '../../src/cli/node-io.js';
import type { Io } from '../../src/cli/io.js';
import { loadFromDatastore } from '../../src/cli/engine-input.js';
import { decodeFlows, runVerdicts } from '../../src/engine/index.js';
import { requireTool, toolPath } from '../support/tools.js';

const run = promisify(execFile);
const KUBECTL = toolPath('kubectl') ?? 'kubectl';
const PYTHON = '/usr/bin/python3';
const skip = requireTool('kubectl');

/**
 * The seed's corrected policies (the `.as-printed` copies are the seed's broken originals);
 * examples/seed/defaults is what the ibm-classic profile already loaded (provider-managed).
 */
const SEED = [
  'examples/seed/access-nginx.yaml',
  'examples/seed/access-nginx-calico.yaml',
  'examples/seed/accounts-allow.yaml',
  'examples/seed/backend-allow.yaml',
  'examples/seed/db-allow.yaml',
  'examples/seed/deny-nodeports.yaml',
  'examples/seed/log-denied-packets.yaml',
  'examples/seed/whitelist-nlb1.yaml',
  'examples/seed/whitelist-nlb2.yaml',
  'examples/seed/private-network-isolation',
];

/** The walkthrough's pods (section 9), as printed there. */
const WALKTHROUGH_PODS = `apiVersion: v1
kind: Pod
metadata:
  name: nginx
  labels: {run: nginx}
spec:
  nodeName: kube-dal10-crc21191ee3997497ca90c8173bbdaf560-w1.cloud.ibm
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
  nodeName: kube-dal10-crc21191ee3997497ca90c8173bbdaf560-w2.cloud.ibm
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
  nodeName: kube-dal10-crc21191ee3997497ca90c8173bbdaf560-w3.cloud.ibm
  containers:
  - name: other
    image: busybox
`;

/** The walkthrough's own verdict checks, beside examples/flows/flows.json. */
const WALKTHROUGH_FLOWS = [
  { from: 'default/access', to: 'default/nginx', port: 80, protocol: 'TCP' },
  { from: 'default/other', to: 'default/nginx', port: 80, protocol: 'TCP' },
  { from: '203.0.113.5', to: '198.18.1.11', protocol: 'ICMP' },
  { from: '203.0.113.5', to: '198.18.1.11', port: 52311, protocol: 'TCP' },
  { from: '203.0.113.5', to: '198.18.1.11', port: 8080, protocol: 'TCP' },
  { from: '203.0.113.5', to: '198.18.1.11', port: 30080, protocol: 'TCP' },
];

interface Captured {
  code: number;
  out: string;
  err: string;
}

async function tabby(args: readonly string[]): Promise<Captured> {
  let out = '';
  let err = '';
  const io: Io = { ...nodeIo, stdout: (s) => void (out += s), stderr: (s) => void (err += s) };
  const code = await main(args, io);
  return { code, out, err };
}

/** Well-formedness by a real XML parser (expat), and the suite's counts. */
async function parseJunit(xml: string, dir: string): Promise<{ tests: number; failures: number; errors: number }> {
  const f = join(dir, `junit-${Math.random().toString(36).slice(2)}.xml`);
  await writeFile(f, xml);
  const py = 'import sys, xml.etree.ElementTree as E\nr=E.parse(sys.argv[1]).getroot()\ns=r.find("testsuite")\nprint(s.get("tests"), s.get("failures"), s.get("errors"), len(s.findall("testcase")))';
  const { stdout } = await run(PYTHON, ['-c', py, f], { timeout: 20_000 });
  const [tests, failures, errors, cases] = stdout.trim().split(' ').map(Number);
  assert.equal(tests, cases, 'tests= counts the testcase elements');
  return { tests: tests!, failures: failures!, errors: errors! };
}

describe('tabby --kubeconfig against Tabby’s API server populated by kubectl', { skip }, () => {
  let dir = '';
  let server: RunningCluster | undefined;
  let kc = '';
  let flows: unknown[] = [];

  const kubectl = async (args: readonly string[]): Promise<string> => {
    const r = await run(KUBECTL, ['--cache-dir', join(dir, 'cache'), '--request-timeout=20s', ...args], {
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, KUBECONFIG: kc },
      timeout: 60_000,
    });
    return r.stdout;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tabby-live-'));
    // `tabby up --no-lab`: the ibm-classic profile (workers, host endpoints, default policies) and
    // the static scheduler that gives pods their worker's addresses, as the walkthrough's cluster.
    server = await startCluster({ dataDir: join(dir, 'data'), profile: profileNamed('ibm-classic')!, workers: 3, port: 0, host: '127.0.0.1', lab: false, log: () => undefined });
    kc = server.kubeconfigPath;
    await writeFile(join(dir, 'pods.yaml'), WALKTHROUGH_PODS);
    await kubectl(['apply', '-f', 'examples/flows/cluster/namespaces.yaml']);
    await kubectl(['apply', '-f', 'examples/flows/cluster']);
    for (const f of SEED) await kubectl(['apply', '-f', f]);
    await kubectl(['apply', '-f', join(dir, 'pods.yaml')]);
    // the static scheduler gives the walkthrough's pods their addresses (bounded wait)
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ips = await kubectl(['get', 'pods', 'nginx', 'access', 'other', '-o', 'jsonpath={.items[*].status.podIP}']);
      if (ips.trim().split(/\s+/).filter((x) => x !== '').length === 3) break;
      if (Date.now() > deadline) throw new Error(`the walkthrough's pods got no addresses within 30 s: ${ips}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    flows = [...(JSON.parse(await readFile('examples/flows/flows.json', 'utf8')) as unknown[]), ...WALKTHROUGH_FLOWS];
    await writeFile(join(dir, 'flows.json'), JSON.stringify(flows));
  });

  after(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** The verdicts, traces included, of the engine on the server's datastore read directly. */
  async function direct(): Promise<unknown[]> {
    const quiet: Io = { ...nodeIo, stdout: () => undefined, stderr: () => undefined };
    const input = await loadFromDatastore(quiet, server!.datastore, 'verdict', 'datastore');
    const d = decodeFlows(flows);
    assert.deepEqual(d.errors, []);
    const v = runVerdicts(input.snapshot, d.flows);
    return JSON.parse(JSON.stringify(v.map((r, i) => ({ ...(flows[i] as object), ...r })))) as unknown[];
  }

  test('verdict --kubeconfig: the same verdicts and traces as the datastore, for every flow', async () => {
    const want = await direct();
    const r = await tabby(['verdict', '--kubeconfig', kc, '--flows', join(dir, 'flows.json'), '-o', 'json']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    const got = JSON.parse(r.out) as { action: string; trace: unknown[] }[];
    assert.equal(got.length, flows.length);
    assert.deepEqual(got, want);
    // the cluster's policies are in play (so equality is not two empty clusters agreeing)
    assert.deepEqual(
      got.map((g) => g.action),
      // examples/flows/flows.json, then the walkthrough's: access/other → nginx, then the
      // internet → worker-1's public address on ICMP, 52311, 8080, 30080 (as docs/walkthrough.md)
      ['Allow', 'Allow', 'Deny', 'Deny', 'Allow', 'Deny', 'Deny', 'Allow', 'Deny', 'Allow', 'Deny', 'Allow', 'Allow', 'Deny', 'Deny'],
    );
    assert.match(JSON.stringify(got[9]), /access-nginx/);
  });

  test('snapshot --kubeconfig -o cluster.yaml, read back with -f: identical verdicts', async () => {
    const file = join(dir, 'cluster.yaml');
    const s = await tabby(['snapshot', '--kubeconfig', kc, '-o', file]);
    assert.equal(s.code, 0, s.err);
    assert.match(s.err, /wrote \d+ objects from cluster https:\/\/127\.0\.0\.1:\d+ \(projectcalico\.org\/v3\) to /);
    const text = await readFile(file, 'utf8');
    assert.match(text, /^kind: List$/m);
    assert.doesNotMatch(text, /managedFields|last-applied-configuration|knp\.default\.|tabby\.dev\/derived-from/);
    const live = await tabby(['verdict', '--kubeconfig', kc, '--flows', join(dir, 'flows.json'), '-o', 'json']);
    const offline = await tabby(['verdict', '-f', file, '--flows', join(dir, 'flows.json'), '-o', 'json']);
    assert.equal(offline.code, 0, offline.err);
    assert.deepEqual(JSON.parse(offline.out), JSON.parse(live.out));
  });

  test('test --kubeconfig --expect -o junit: valid JUnit XML; exit 0, and 1 on a violated expectation', async () => {
    const ok = await tabby(['test', '--kubeconfig', kc, '--expect', 'examples/flows/expectations.yaml', '-o', 'junit']);
    assert.equal(ok.code, 0, ok.err + ok.out);
    // 10 as with -f examples/flows/cluster, plus `default/*` now also covers the walkthrough's 3 pods
    assert.deepEqual(await parseJunit(ok.out, dir), { tests: 13, failures: 0, errors: 0 });
    await writeFile(join(dir, 'bad.yaml'), '- {from: default/frontend, to: default/db, port: 5432, expect: Allow}\n- {from: default/backend, to: default/db, port: 5432, expect: Allow}\n');
    const bad = await tabby(['test', '--kubeconfig', kc, '--expect', join(dir, 'bad.yaml'), '-o', 'junit']);
    assert.equal(bad.code, 1);
    assert.deepEqual(await parseJunit(bad.out, dir), { tests: 2, failures: 1, errors: 0 });
    assert.match(bad.out, /<failure message="expected Allow, got Deny">/);
  });

  test('diff --kubeconfig --apply change.yaml: the flipped flow, as text and as JUnit', async () => {
    const t = await tabby(['diff', '--kubeconfig', kc, '--apply', 'examples/flows/change.yaml', '--ports', '5432/TCP']);
    assert.equal(t.code, 1, t.err);
    assert.match(t.out, /default\/frontend → default\/db TCP\/5432: Deny → Allow/);
    const j = await tabby(['diff', '--kubeconfig', kc, '--apply', 'examples/flows/change.yaml', '--ports', '5432/TCP', '-o', 'junit']);
    assert.equal(j.code, 1);
    const counts = await parseJunit(j.out, dir);
    assert.ok(counts.failures >= 1 && counts.failures === counts.tests, j.out);
    assert.match(j.out, /name="default\/frontend → default\/db TCP\/5432"/);
  });

  test('a wrong context, an unreachable server and a bad token are one clear line each', async () => {
    const ctx = await tabby(['verdict', '--kubeconfig', kc, '--context', 'nope', '--from', 'default/access', '--to', 'default/nginx', '--port', '80']);
    assert.equal(ctx.code, 1);
    assert.equal(ctx.err, `tabby verdict: ${kc}: context "nope" not found\n`);
    const admin = await readFile(kc, 'utf8');
    const gone = join(dir, 'gone.kubeconfig');
    await writeFile(gone, admin.replace(/server: \S+/, 'server: https://127.0.0.1:1'));
    const g = await tabby(['matrix', '--kubeconfig', gone]);
    assert.equal(g.code, 1);
    assert.match(g.err, /^tabby matrix: cannot reach the API server: https:\/\/127\.0\.0\.1:1: connection refused\n$/);
    const badTok = join(dir, 'bad-token.kubeconfig');
    await writeFile(badTok, admin.replace(/token: \S+/, 'token: not-a-token'));
    const b = await tabby(['lint', '--kubeconfig', badTok]);
    assert.equal(b.code, 1);
    assert.match(b.err, /^tabby lint: cannot list the API groups \(discovery\): unauthorized \(HTTP 401\); check the kubeconfig's credentials\n$/);
  });
});

describe('tabby rbac: the reader needs exactly the printed role', () => {
  let dir = '';
  let server: RunningServer | undefined;
  const rules = readerRules(CALICO_V3);
  // the same role with one resource (Calico tiers) taken out
  const minusTiers = rules.map((r) => ({ ...r, resources: r.resources.filter((x) => !(r.apiGroups[0] === CALICO_V3 && x === 'tiers')) }));
  const READER = 'R'.repeat(43);
  const MINUS = 'M'.repeat(43);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tabby-live-rbac-'));
    server = await runServer({
      dataDir: join(dir, 'data'),
      port: 0,
      users: [
        { token: READER, name: 'system:serviceaccount:tabby:tabby-reader', rules },
        { token: MINUS, name: 'system:serviceaccount:tabby:minus-tiers', rules: minusTiers },
      ],
    });
    await writeFile(join(dir, 'reader.kubeconfig'), kubeconfig(server.url, server.caPem, 'reader', READER));
    await writeFile(join(dir, 'minus.kubeconfig'), kubeconfig(server.url, server.caPem, 'minus', MINUS));
  });

  after(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('tabby rbac prints these rules as a ClusterRole and a binding', async () => {
    const r = await tabby(['rbac', '-o', 'json']);
    assert.equal(r.code, 0, r.err);
    const [role, binding] = (JSON.parse(r.out) as { items: { kind: string; rules?: unknown }[] }).items;
    assert.equal(role!.kind, 'ClusterRole');
    assert.deepEqual(role!.rules, JSON.parse(JSON.stringify(rules)));
    assert.equal(binding!.kind, 'ClusterRoleBinding');
    // and the role is what discovery on this cluster selects
    const d = await tabby(['rbac', '--kubeconfig', join(dir, 'reader.kubeconfig'), '-o', 'json']);
    assert.equal(d.code, 0, d.err);
    assert.deepEqual((JSON.parse(d.out) as { items: { rules?: unknown }[] }).items[0]!.rules, role!.rules);
  });

  test('a token bound to exactly that role reads the cluster', async () => {
    const r = await tabby(['snapshot', '--kubeconfig', join(dir, 'reader.kubeconfig'), '-o', '-']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^kind: List$/m);
    assert.doesNotMatch(r.err, /forbidden/i);
  });

  test('with one resource removed from the role, the read fails naming it and tabby rbac', async () => {
    const r = await tabby(['snapshot', '--kubeconfig', join(dir, 'minus.kubeconfig'), '-o', '-']);
    assert.equal(r.code, 1);
    assert.equal(r.out, '');
    assert.equal(
      r.err,
      'tabby snapshot: cannot list tiers.projectcalico.org: forbidden (HTTP 403: tiers.projectcalico.org is forbidden: User "system:serviceaccount:tabby:minus-tiers" cannot list resource "tiers" in API group "projectcalico.org" at the cluster scope); the reader needs the ClusterRole that `tabby rbac` prints\n',
    );
  });
});

/**
 * The same against Tabby's server in CRD mode (`--calico-api crd`: Calico's kinds only as
 * crd.projectcalico.org/v1 custom resources, as a cluster with Calico's Kubernetes datastore):
 * kubectl applies the seed's policies (defaults included: no profile loads them here) in the
 * form Calico stores them (v3ToKdd), the example cluster and the walkthrough's pods (with the
 * addresses the walkthrough shows, since no scheduler runs beside a bare server).
 */
describe('tabby --kubeconfig against Tabby’s server in CRD mode, populated by kubectl', { skip }, () => {
  let dir = '';
  let server: RunningServer | undefined;
  let flows: unknown[] = [];
  const ADDRESSES: Record<string, string> = { nginx: '198.19.1.3', access: '198.19.2.2', other: '198.19.3.2' };

  const kubectl = async (args: readonly string[]): Promise<string> =>
    (
      await run(KUBECTL, ['--cache-dir', join(dir, 'cache'), '--request-timeout=20s', ...args], {
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, KUBECONFIG: server!.kubeconfigPath },
        timeout: 60_000,
      })
    ).stdout;

  /** A manifest as one applies it to a KDD cluster: Calico's objects as Calico stores them. */
  async function asStored(path: string): Promise<string> {
    const st = await stat(path);
    const files = st.isDirectory() ? (await readdir(path)).filter((f) => f.endsWith('.yaml')).map((f) => join(path, f)) : [path];
    const docs: string[] = [];
    for (const f of files) {
      const parsed = parseManifests(await readFile(f, 'utf8'), f);
      assert.deepEqual(parsed.errors, []);
      for (const r of parsed.resources) {
        const raw = r.raw as Resource;
        docs.push(stringify(raw.apiVersion === 'projectcalico.org/v3' ? v3ToKdd(raw) : raw));
      }
    }
    return docs.join('---\n');
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tabby-live-crd-'));
    server = await runServer({ dataDir: join(dir, 'data'), port: 0, calicoApi: 'crd' });
    await kubectl(['apply', '-f', 'examples/flows/cluster/namespaces.yaml']);
    await kubectl(['apply', '-f', 'examples/flows/cluster/pods.json']);
    let i = 0;
    for (const f of ['examples/flows/cluster/policies.yaml', ...SEED, 'examples/seed/defaults']) {
      const p = join(dir, `seed-${i++}.yaml`);
      await writeFile(p, await asStored(f));
      await kubectl(['apply', '-f', p]);
    }
    const pods = WALKTHROUGH_PODS.split('---\n').map((d) => {
      const name = /name: (\w+)/.exec(d)![1]!;
      return `${d}status:\n  podIP: ${ADDRESSES[name]}\n  podIPs: [{ip: ${ADDRESSES[name]}}]\n`;
    });
    await writeFile(join(dir, 'pods.yaml'), pods.join('---\n'));
    await kubectl(['apply', '-f', join(dir, 'pods.yaml')]);
    flows = [
      ...(JSON.parse(await readFile('examples/flows/flows.json', 'utf8')) as unknown[]),
      ...WALKTHROUGH_FLOWS.slice(0, 2),
      // the seed's public host endpoints (examples/seed/defaults) guard 198.18.10.x here
      ...[{ protocol: 'ICMP' }, { port: 52311, protocol: 'TCP' }, { port: 8080, protocol: 'TCP' }, { port: 30080, protocol: 'TCP' }].map((p) => ({ from: '203.0.113.5', to: '198.18.10.1', ...p })),
    ];
    await writeFile(join(dir, 'flows.json'), JSON.stringify(flows));
  });

  after(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('verdict --kubeconfig through the CRDs: the same verdicts and traces as the datastore, for every flow', async () => {
    const quiet: Io = { ...nodeIo, stdout: () => undefined, stderr: () => undefined };
    const input = await loadFromDatastore(quiet, server!.datastore, 'verdict', 'datastore');
    const d = decodeFlows(flows);
    assert.deepEqual(d.errors, []);
    const want = JSON.parse(JSON.stringify(runVerdicts(input.snapshot, d.flows).map((r, i) => ({ ...(flows[i] as object), ...r })))) as unknown[];
    const r = await tabby(['verdict', '--kubeconfig', server!.kubeconfigPath, '--flows', join(dir, 'flows.json'), '-o', 'json']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    const got = JSON.parse(r.out) as { action: string }[];
    assert.deepEqual(got, want);
    assert.deepEqual(
      got.map((g) => g.action),
      ['Allow', 'Allow', 'Deny', 'Deny', 'Allow', 'Deny', 'Deny', 'Allow', 'Deny', 'Allow', 'Deny', 'Allow', 'Allow', 'Deny', 'Deny'],
    );
  });

  test('rbac --kubeconfig discovers the CRDs; snapshot through them reads back with -f to the same verdicts', async () => {
    const role = await tabby(['rbac', '--kubeconfig', server!.kubeconfigPath, '-o', 'json']);
    assert.equal(role.code, 0, role.err);
    const rules = (JSON.parse(role.out) as { items: { rules: { apiGroups: string[] }[] }[] }).items[0]!.rules;
    assert.ok(rules.some((x) => x.apiGroups[0] === CALICO_CRD));
    assert.ok(!rules.some((x) => x.apiGroups[0] === CALICO_V3));
    const file = join(dir, 'cluster.yaml');
    const s = await tabby(['snapshot', '--kubeconfig', server!.kubeconfigPath, '-o', file]);
    assert.equal(s.code, 0, s.err);
    assert.match(s.err, /\(crd\.projectcalico\.org\/v1\)/);
    // Calico's objects in projectcalico.org/v3 form; kubectl's last-applied copy (the CRD form) left out
    assert.doesNotMatch(await readFile(file, 'utf8'), /apiVersion: crd\.projectcalico\.org|last-applied-configuration/);
    const live = await tabby(['verdict', '--kubeconfig', server!.kubeconfigPath, '--flows', join(dir, 'flows.json'), '-o', 'json']);
    const offline = await tabby(['verdict', '-f', file, '--flows', join(dir, 'flows.json'), '-o', 'json']);
    assert.equal(offline.code, 0, offline.err);
    assert.deepEqual(JSON.parse(offline.out), JSON.parse(live.out));
  });
});
