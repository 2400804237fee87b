/**
 * End to end: the `calicoctl` executable (bin/calicoctl.ts under tsx) run as a process against
 * both backends — the embedded SQLite datastore and a real etcd this test starts on free
 * loopback ports (skipped without etcd-server) — with the seed's commands verbatim, configured
 * both by a calicoctl.cfg given with --config and by the environment. Every process has a
 * bounded wait.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { etcdSkipReason, startEtcd, type EtcdCluster } from '../support/etcd.js';
import { required } from '../support/tools.js';
import { runServer, type RunningServer } from '../../src/apiserver/main.js';
import { openSqliteDatastore, type Datastore } from '../../src/datastore/index.js';
import { ResourceClient } from '../../src/client/index.js';

let server: RunningServer | undefined;
let serverDs: Datastore | undefined;

const ROOT = resolve(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'calicoctl.ts');
/** tsx resolved from this repository, so the child runs from any working directory. */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function calicoctl(args: readonly string[], env: Record<string, string>, cwd: string, stdin?: string): Promise<Run> {
  return new Promise((ok) => {
    const child = execFile(
      process.execPath,
      ['--import', TSX, BIN, ...args],
      { cwd, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: cwd, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => ok({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr }),
    );
    if (stdin !== undefined) child.stdin?.end(stdin);
    else child.stdin?.end();
  });
}

const POLICY = `apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: deny-nodeports
spec:
  applyOnForward: true
  preDNAT: true
  ingress:
  - action: Deny
    destination:
      ports:
      - 30000:32767
    protocol: TCP
    source: {}
  - action: Deny
    destination:
      ports:
      - 30000:32767
    protocol: UDP
    source: {}
  selector: ibm.role=='worker_public'
  order: 1100
  types:
  - Ingress
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: log-denied-packets
  namespace: shop
spec:
  types:
  - Ingress
  ingress:
  - action: Log
    destination: {}
    source: {}
  selector: projectcalico.org/orchestrator == 'k8s' && run == 'nginx'
  order: 3000
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: backend-allow
spec:
  selector: app == 'Srv1' && tier == 'backend'
  ingress:
  - action: Allow
    source:
      selector: app == 'Srv1' && tier == 'frontend'
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata:
  name: worker-1-public
  labels:
    ibm.role: worker_public
spec:
  node: worker-1
  interfaceName: eth1
  expectedIPs: ["169.61.1.10"]
---
apiVersion: projectcalico.org/v3
kind: Node
metadata:
  name: worker-1
spec:
  bgp:
    ipv4Address: 10.0.0.1/24
`;

interface Backend {
  readonly name: string;
  readonly skip: string | false;
  /** Writes calicoctl.cfg and returns the environment that selects the same datastore. */
  setup(dir: string): Promise<{ cfg: string; env: Record<string, string> }>;
  teardown(): Promise<void>;
}

let etcd: EtcdCluster | undefined;

const backends: Backend[] = [
  {
    name: 'embedded',
    skip: false,
    async setup(dir) {
      const db = join(dir, 'tabby.db');
      const cfg = join(dir, 'calicoctl.cfg');
      await writeFile(cfg, `apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nmetadata: {}\nspec:\n  datastoreType: embedded\n  embeddedPath: ${db}\n`);
      // With nothing configured, calicoctl uses the embedded datastore at its default path.
      return { cfg, env: { XDG_DATA_HOME: dir, TABBY_E2E_DEFAULT_DB: join(dir, 'tabby', 'tabby.db') }, db };
    },
    async teardown() {},
  },
  {
    name: 'etcd',
    skip: required(etcdSkipReason()),
    async setup(dir) {
      etcd = await startEtcd();
      const cfg = join(dir, 'calicoctl.cfg');
      await writeFile(cfg, `apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nmetadata: {}\nspec:\n  datastoreType: etcdv3\n  etcdEndpoints: ${etcd.endpoints.join(',')}\n`);
      return { cfg, env: { DATASTORE_TYPE: 'etcdv3', ETCD_ENDPOINTS: etcd.endpoints.join(',') } };
    },
    async teardown() {
      await etcd?.stop();
    },
  },
  {
    // calicoctl's `datastoreType: kubernetes`, through Tabby's API server and the calicoctl.cfg
    // (with its kubeconfig) that `tabby server` writes.
    name: 'kubernetes',
    skip: false,
    async setup(dir) {
      const ds = await openSqliteDatastore(join(dir, 'server.db'));
      // As in a real cluster, namespaced objects need their namespace.
      await new ResourceClient(ds).apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
      server = await runServer({ dataDir: join(dir, 'server'), port: 0, datastore: ds, log: () => undefined });
      serverDs = ds;
      return { cfg: server.calicoctlCfgPath, env: { DATASTORE_TYPE: 'kubernetes', KUBECONFIG: server.kubeconfigPath } };
    },
    async teardown() {
      await server?.stop();
      await serverDs?.close();
    },
  },
];

for (const b of backends) {
  describe(`calicoctl e2e (${b.name})`, { skip: b.skip }, () => {
    let dir = '';
    let cfg = '';
    let env: Record<string, string> = {};
    const ok = async (args: string[], useEnv = false, stdin?: string): Promise<string> => {
      const r = await calicoctl(args, useEnv ? env : { XDG_DATA_HOME: join(dir, 'unused') }, dir, stdin);
      assert.equal(r.code, 0, `calicoctl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
      return r.stdout;
    };

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), `tabby-calicoctl-${b.name}-`));
      const s = await b.setup(dir);
      cfg = s.cfg;
      env = s.env;
      await writeFile(join(dir, 'policy.yaml'), POLICY);
    });
    after(async () => {
      await b.teardown();
      await rm(dir, { recursive: true, force: true });
    });

    test('apply -f policy.yaml --config=... then the seed\'s get commands verbatim', async () => {
      assert.equal(await ok(['apply', '-f', 'policy.yaml', `--config=${cfg}`]), 'Successfully applied 5 resource(s)\n');
      assert.equal(await ok(['get', 'nodes', `--config=${cfg}`]), 'NAME       \nworker-1   \n\n');
      assert.match(await ok(['get', 'hostendpoint', '-o', 'yaml', '-c', cfg]), /^kind: HostEndpointList$/m);
      const wide = await ok(['get', 'NetworkPolicy', '--all-namespaces', '-o', 'wide', '--config', cfg]);
      assert.match(wide, /^NAMESPACE +NAME +TIER +ORDER +SELECTOR +\n/);
      assert.match(wide, /^shop +log-denied-packets +default +3000 +projectcalico.org\/orchestrator == 'k8s' && run == 'nginx' +$/m);
      assert.match(await ok(['get', 'GlobalNetworkPolicy', '-o', 'wide', `--config=${cfg}`]), /^deny-nodeports +default +1100 +ibm.role=='worker_public' +$/m);
      assert.match(await ok(['get', 'GlobalNetworkPolicy', '-o', 'yaml', `--config=${cfg}`]), /^kind: GlobalNetworkPolicyList$/m);
      assert.match(await ok(['get', 'NetworkPolicy', '-o', 'yaml', 'log-denied-packets', '--namespace', 'shop', `--config=${cfg}`]), /^ {2}name: log-denied-packets$/m);
      assert.match(await ok(['get', 'policy', '-o', 'yaml', 'backend-allow', `--config=${cfg}`]), /^ {2}namespace: default$/m);
    });

    test('the same commands configured by the environment (no --config)', async () => {
      if (b.name === 'embedded') assert.equal(await ok(['apply', '-f', 'policy.yaml'], true), 'Successfully applied 5 resource(s)\n');
      assert.equal(await ok(['get', 'nodes'], true), 'NAME       \nworker-1   \n\n');
      assert.match(await ok(['get', 'GlobalNetworkPolicy', '-o', 'wide'], true), /^deny-nodeports /m);
      assert.match(await ok(['version'], true), /^Cluster Type: +tabby,/m);
    });

    test('get -o yaml round-trips into apply; two processes applying at once both succeed', async () => {
      const yaml = await ok(['get', 'gnp', '-o', 'yaml', `--config=${cfg}`]);
      await writeFile(join(dir, 'roundtrip.yaml'), yaml);
      const [a, c] = await Promise.all([
        calicoctl(['apply', '-f', 'roundtrip.yaml', `--config=${cfg}`], {}, dir),
        calicoctl(['apply', '-f', 'policy.yaml', `--config=${cfg}`], {}, dir),
      ]);
      assert.equal(a.code, 0, a.stderr);
      assert.equal(c.code, 0, c.stderr);
      assert.equal(await ok(['get', 'gnp', '-o', 'yaml', `--config=${cfg}`]), yaml);
    });

    test('a bad document is located; a missing name exits 1 with calicoctl\'s message', async () => {
      await writeFile(join(dir, 'bad.yaml'), POLICY.split('---\n')[0]!.replace('30000:32767\n    protocol: TCP', '70000\n    protocol: TCP'));
      const bad = await calicoctl(['apply', '-f', 'bad.yaml', `--config=${cfg}`], {}, dir);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /^Failed to apply 'GlobalNetworkPolicy' resource: \[bad\.yaml:12:9: spec\.ingress\[0\]\.destination\.ports\[0\]: /);
      const missing = await calicoctl(['get', 'gnp', 'nope', `--config=${cfg}`], {}, dir);
      assert.equal(missing.code, 1);
      // As calicoctl: the etcd backend has no underlying error (<nil>); the Kubernetes datastore
      // reports the API server's NotFound.
      if (b.name === 'kubernetes')
        assert.match(missing.stderr, /^resource does not exist: GlobalNetworkPolicy\(nope\) with error: globalnetworkpolicies\.projectcalico\.org "nope" not found\n$/);
      else assert.equal(missing.stderr, 'resource does not exist: GlobalNetworkPolicy(nope) with error: <nil>\n');
    });
  });
}

describe('calicoctl e2e: unreachable datastore', () => {
  test('one line naming the endpoint, exit 1, no stack trace', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tabby-calicoctl-down-'));
    try {
      const r = await calicoctl(['get', 'nodes'], { ETCD_ENDPOINTS: 'http://127.0.0.1:1' }, dir);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^Failed to create Calico API client: cannot reach etcd at http:\/\/127\.0\.0\.1:1: connection refused\n$/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
