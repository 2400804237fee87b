/**
 * End to end: the real kubectl (on PATH) against a Tabby API server this test starts
 * on 127.0.0.1 (a free port, a temporary data directory, the embedded SQLite datastore).
 * Skipped when kubectl is not on PATH (a failure under CI=true). Every kubectl call and watch has a bounded wait.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runServer, type RunningServer } from '../../src/apiserver/main.js';
import { requireTool, toolPath } from '../support/tools.js';

const KUBECTL = toolPath('kubectl') ?? 'kubectl';
const skip = requireTool('kubectl');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const NP = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-web
  namespace: shop
  labels: {team: web}
spec:
  podSelector:
    matchLabels:
      app: web
  ingress:
  - from:
    - podSelector:
        matchLabels:
          role: client
    ports:
    - protocol: TCP
      port: 80
`;

const GNP = `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: deny-nodeports
spec:
  order: 1100
  preDNAT: true
  applyOnForward: true
  selector: ibm.role == 'worker_public'
  types: [Ingress]
  ingress:
  - action: Deny
    protocol: TCP
    destination:
      ports: ["30000:32767"]
`;

const NS_AND_POD = `apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
  labels: {app: web}
spec:
  nodeName: worker-1
  containers:
  - name: nginx
    image: nginx:1.27
    ports:
    - containerPort: 80
`;

const BAD_NP = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: bad
  namespace: shop
spec:
  podSelector: {}
  ingress:
  - ports:
    - port: 70000
`;

describe('kubectl against tabby server', { skip }, () => {
  let dir = '';
  let server: RunningServer | undefined;

  const file = async (name: string, text: string): Promise<string> => {
    const p = join(dir, name);
    await writeFile(p, text);
    return p;
  };

  const kubectl = (args: readonly string[], opts: { kubeconfig?: string } = {}): Promise<Run> =>
    new Promise((ok) => {
      execFile(
        KUBECTL,
        ['--cache-dir', join(dir, 'cache'), '--request-timeout=20s', ...args],
        {
          env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, KUBECONFIG: opts.kubeconfig ?? server!.kubeconfigPath, KUBECTL_EXTERNAL_DIFF: 'diff -u' },
          timeout: 30_000,
        },
        (err, stdout, stderr) => {
          const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
          ok({ code, stdout, stderr });
        },
      );
    });

  const ok = async (args: readonly string[]): Promise<string> => {
    const r = await kubectl(args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tabby-e2e-'));
    server = await runServer({ dataDir: join(dir, 'data'), port: 0 });
  });

  after(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('writes admin.kubeconfig and calicoctl.cfg; api-resources lists every served group', async () => {
    const cfg = await readFile(server!.calicoctlCfgPath, 'utf8');
    assert.match(cfg, /kind: CalicoAPIConfig/);
    assert.match(cfg, new RegExp(`kubeconfig: ${server!.kubeconfigPath}`));
    const out = await ok(['api-resources']);
    assert.match(out, /^globalnetworkpolicies\s+gnp,cgnp,calicoglobalnetworkpolicies\s+projectcalico.org\/v3\s+false\s+GlobalNetworkPolicy$/m);
    assert.match(out, /^networkpolicies\s+netpol\s+networking.k8s.io\/v1\s+true\s+NetworkPolicy$/m);
    assert.match(out, /^pods\s+po\s+v1\s+true\s+Pod$/m);
  });

  test('apply creates a Namespace, a Pod, a Kubernetes NetworkPolicy and a Calico GlobalNetworkPolicy', async () => {
    assert.equal(await ok(['apply', '-f', await file('ns-pod.yaml', NS_AND_POD)]), 'namespace/shop created\npod/web created\n');
    assert.equal(await ok(['apply', '-f', await file('np.yaml', NP)]), 'networkpolicy.networking.k8s.io/allow-web created\n');
    assert.equal(await ok(['apply', '-f', await file('gnp.yaml', GNP)]), 'globalnetworkpolicy.projectcalico.org/deny-nodeports created\n');
    assert.equal(await ok(['apply', '-f', join(dir, 'gnp.yaml')]), 'globalnetworkpolicy.projectcalico.org/deny-nodeports unchanged\n');
  });

  test('get: table columns, -o wide, -A, -l, -o yaml|json|jsonpath|name', async () => {
    const wide = await ok(['get', 'gnp', '-o', 'wide']);
    assert.match(wide, /^NAME\s+TIER\s+ORDER\s+SELECTOR\s+AGE\s+TYPES\n/);
    assert.match(wide, /^deny-nodeports\s+default\s+1100\s+ibm.role == 'worker_public'\s+\S+\s+Ingress$/m);
    const np = await ok(['get', 'netpol', '-n', 'shop']);
    assert.match(np, /^NAME\s+POD-SELECTOR\s+AGE\nallow-web\s+app=web\s+\S+\n$/);
    const pods = await ok(['get', 'pods', '-A', '-o', 'wide']);
    assert.match(pods, /^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE/);
    assert.match(pods, /^shop\s+web\s+0\/1\s+Pending\s+0\s+\S+\s+<none>\s+worker-1/m);
    assert.equal(await ok(['get', 'netpol', '-A', '-l', 'team=web', '-o', 'name']), 'networkpolicy.networking.k8s.io/allow-web\n');
    assert.equal(await ok(['get', 'netpol', '-A', '-l', 'team=nobody', '-o', 'name']), '');
    assert.match(await ok(['get', 'gnp', 'deny-nodeports', '-o', 'yaml']), /^ {2}selector: ibm.role == 'worker_public'$/m);
    const obj = JSON.parse(await ok(['get', 'ns', 'shop', '-o', 'json'])) as { metadata: { labels: Record<string, string> } };
    assert.equal(obj.metadata.labels['kubernetes.io/metadata.name'], 'shop');
    assert.equal(await ok(['get', 'netpol', 'allow-web', '-n', 'shop', '-o', 'jsonpath={.spec.ingress[0].ports[0].port}']), '80');
    assert.match(await ok(['get', 'cnp', '-n', 'shop']), /knp\.default\.allow-web/);
  });

  test('diff, --dry-run=server, then apply a change', async () => {
    const changed = await file('gnp2.yaml', GNP.replace('order: 1100', 'order: 1200'));
    const d = await kubectl(['diff', '-f', changed]);
    assert.equal(d.code, 1, d.stderr);
    assert.match(d.stdout, /^-\s+order: 1100$/m);
    assert.match(d.stdout, /^\+\s+order: 1200$/m);
    assert.equal(await ok(['apply', '-f', changed, '--dry-run=server']), 'globalnetworkpolicy.projectcalico.org/deny-nodeports configured (server dry run)\n');
    assert.equal(await ok(['get', 'gnp', 'deny-nodeports', '-o', 'jsonpath={.spec.order}']), '1100');
    assert.equal(await ok(['apply', '-f', changed]), 'globalnetworkpolicy.projectcalico.org/deny-nodeports configured\n');
    assert.equal(await ok(['get', 'gnp', 'deny-nodeports', '-o', 'jsonpath={.spec.order}']), '1200');
    assert.equal((await kubectl(['diff', '-f', changed])).code, 0);
    const np2 = await file('np2.yaml', NP.replace('port: 80', 'port: 8080'));
    assert.equal(await ok(['apply', '-f', np2]), 'networkpolicy.networking.k8s.io/allow-web configured\n');
    assert.equal(await ok(['get', 'netpol', 'allow-web', '-n', 'shop', '-o', 'jsonpath={.spec.ingress[0].ports[0].port}']), '8080');
  });

  test('server-side apply: conflict with the client-side manager, then --force-conflicts', async () => {
    const ssa = await file('gnp3.yaml', GNP.replace('order: 1100', 'order: 1300'));
    const c = await kubectl(['apply', '--server-side', '-f', ssa]);
    assert.equal(c.code, 1);
    assert.match(c.stderr, /Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using projectcalico.org\/v3: \.spec\.order/);
    assert.match(c.stderr, /--force-conflicts/);
    assert.equal(await ok(['apply', '--server-side', '--force-conflicts', '-f', ssa]), 'globalnetworkpolicy.projectcalico.org/deny-nodeports serverside-applied\n');
    const mf = await ok(['get', 'gnp', 'deny-nodeports', '--show-managed-fields', '-o', 'jsonpath={.metadata.managedFields[*].manager}']);
    assert.ok(mf.split(' ').includes('kubectl'), mf);
    const pod = await file('pod-ssa.yaml', NS_AND_POD.split('---\n')[1]!.replace('nginx:1.27', 'nginx:1.28'));
    const pc = await kubectl(['apply', '--server-side', '-f', pod]);
    assert.match(pc.stderr, /conflict with "kubectl-client-side-apply" using v1: \.spec\.containers\[name="nginx"\]\.image/);
    assert.equal(await ok(['apply', '--server-side', '--force-conflicts', '-f', pod]), 'pod/web serverside-applied\n');
    assert.equal(await ok(['get', 'pod', 'web', '-n', 'shop', '-o', 'jsonpath={.spec.containers[0].image}']), 'nginx:1.28');
  });

  test('explain reads the OpenAPI v3 schema', async () => {
    const out = await ok(['explain', 'globalnetworkpolicies.spec']);
    assert.match(out, /KIND:\s+GlobalNetworkPolicy/);
    assert.match(out, /preDNAT\s+<boolean>/);
    assert.match(await ok(['explain', 'networkpolicies.networking.k8s.io.spec.podSelector']), /matchLabels\s+<map\[string\]string>/);
  });

  test('invalid input: kubectl prints the usual field error; unknown fields are rejected (strict)', async () => {
    const r = await kubectl(['apply', '-f', await file('bad.yaml', BAD_NP)]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim(), 'The NetworkPolicy "bad" is invalid: spec.ingress[0].ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive');
    const u = await kubectl(['create', '-f', await file('unknown.yaml', GNP.replace('  order: 1100', '  oder: 1100').replace('deny-nodeports', 'typo'))]);
    assert.equal(u.code, 1);
    assert.match(u.stderr, /strict decoding error: unknown field "spec.oder"/);
    assert.equal((await kubectl(['get', 'gnp', 'typo'])).stderr.trim(), 'Error from server (NotFound): globalnetworkpolicies.projectcalico.org "typo" not found');
  });

  test('get -w prints the change (bounded wait)', async () => {
    const child = spawn(KUBECTL, ['--cache-dir', join(dir, 'cache'), 'get', 'gnp', '-w', '--request-timeout=20s'], {
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, KUBECONFIG: server!.kubeconfigPath },
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const waitFor = async (re: RegExp, ms: number): Promise<void> => {
      const deadline = Date.now() + ms;
      while (!re.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.match(out, re);
    };
    try {
      await waitFor(/deny-nodeports/, 10_000);
      await ok(['apply', '-f', await file('watched.yaml', GNP.replace('deny-nodeports', 'watched'))]);
      await waitFor(/^watched\s+default\s+1100/m, 10_000);
    } finally {
      child.kill('SIGTERM');
    }
  });

  test('no token or a wrong token: Unauthorized, and nothing changes', async () => {
    const server0 = server!;
    const noUser = await file('nouser.kubeconfig', (await readFile(server0.kubeconfigPath, 'utf8')).replace(/token: .*/, 'username: nobody\n    password: nothing'));
    const r = await kubectl(['delete', 'gnp', 'deny-nodeports'], { kubeconfig: noUser });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error: You must be logged in to the server/);
    const wrong = await file('wrong.kubeconfig', (await readFile(server0.kubeconfigPath, 'utf8')).replace(/token: .*/, 'token: not-the-token'));
    const w = await kubectl(['delete', 'gnp', 'deny-nodeports'], { kubeconfig: wrong });
    assert.equal(w.code, 1);
    assert.match(w.stderr, /error: You must be logged in to the server \(Unauthorized\)/);
    assert.equal(await ok(['get', 'gnp', 'deny-nodeports', '-o', 'name']), 'globalnetworkpolicy.projectcalico.org/deny-nodeports\n');
  });

  test('read-only token reads but is Forbidden to write', async () => {
    const ro = await file('ro.kubeconfig', (await readFile(server!.kubeconfigPath, 'utf8')).replace(/token: .*/, `token: ${server!.readOnlyToken}`));
    const g = await kubectl(['get', 'gnp', '-o', 'name'], { kubeconfig: ro });
    assert.equal(g.code, 0, g.stderr);
    const d = await kubectl(['delete', 'gnp', 'deny-nodeports'], { kubeconfig: ro });
    assert.equal(d.code, 1);
    assert.match(d.stderr, /Error from server \(Forbidden\): globalnetworkpolicies.projectcalico.org "deny-nodeports" is forbidden: User "tabby:read-only" cannot delete/);
  });

  test('delete', async () => {
    assert.equal(await ok(['delete', '-f', join(dir, 'np.yaml')]), 'networkpolicy.networking.k8s.io "allow-web" deleted\n');
    assert.equal(await ok(['delete', 'gnp', 'deny-nodeports', 'watched']), 'globalnetworkpolicy.projectcalico.org "deny-nodeports" deleted\nglobalnetworkpolicy.projectcalico.org "watched" deleted\n');
    assert.equal(await ok(['delete', 'pod', 'web', '-n', 'shop']), 'pod "web" deleted\n');
    assert.match((await kubectl(['get', 'gnp'])).stderr, /No resources found/);
  });

  test('restart on the same data directory reuses the CA, tokens and data', async () => {
    const before = server!;
    await before.stop();
    server = await runServer({ dataDir: join(dir, 'data'), port: 0 });
    assert.equal(server.caPem, before.caPem);
    assert.equal(server.adminToken, before.adminToken);
    assert.match(await ok(['get', 'ns']), /^shop\s+Active/m);
  });
});
