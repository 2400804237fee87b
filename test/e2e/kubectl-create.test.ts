/**
 * End to end: the real kubectl's imperative commands against a real `tabby server` process this
 * suite starts on 127.0.0.1 (free port, temporary data directory): every `kubectl create
 * <sub-command>` for a kind the server serves (namespace, serviceaccount, service clusterip|
 * nodeport|loadbalancer|externalname, deployment), `kubectl run`, `expose` and `auth can-i`.
 * kubectl sends these objects as protobuf (`application/vnd.kubernetes.protobuf`), unlike
 * `apply -f`/`create -f`, which send JSON. Also the everyday edits of an object (label,
 * annotate, patch, wait, replace, delete --wait). Each command's output and the stored object
 * are asserted; every call has a bounded wait. Without kubectl on PATH the suite is skipped,
 * except under CI=true.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTabbyServer, type TabbyServer } from '../support/clients/server.js';
import { requireTool, toolPath } from '../support/tools.js';

const KUBECTL = toolPath('kubectl') ?? 'kubectl';
const skip = requireTool('kubectl');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('kubectl create, run, expose and auth can-i against tabby server', { skip }, () => {
  let server: TabbyServer | undefined;

  const kubectl = (args: readonly string[], kubeconfig = server!.kubeconfigPath): Promise<Run> =>
    new Promise((ok) => {
      execFile(
        KUBECTL,
        ['--cache-dir', join(server!.dir, 'cache'), '--request-timeout=20s', ...args],
        { env: { PATH: '/usr/bin:/bin', HOME: server!.dir, KUBECONFIG: kubeconfig }, timeout: 30_000 },
        (err, stdout, stderr) => ok({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr }),
      );
    });
  const ok = async (args: readonly string[]): Promise<string> => {
    const r = await kubectl(args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    server = await startTabbyServer('tabby-kubectl-create-');
  });
  after(async () => {
    await server?.stop();
  });

  test('discovery: kubectl reads /api and /apis as aggregated discovery (apidiscovery.k8s.io/v2), no per-group requests', async () => {
    const r = await kubectl(['--cache-dir', join(server!.dir, 'fresh-cache'), 'api-resources', '-v=6']);
    assert.equal(r.code, 0, r.stderr);
    const gets = [...r.stderr.matchAll(/GET https:\/\/[^/]+(\/\S*?)(?:\?\S*)? 200 OK/g)].map((m) => m[1]);
    assert.deepEqual(gets, ['/api', '/apis']);
    assert.match(r.stdout, /^globalnetworkpolicies\s+gnp,cgnp,calicoglobalnetworkpolicies\s+projectcalico.org\/v3\s+false\s+GlobalNetworkPolicy$/m);
    assert.match(r.stdout, /^pods\s+po\s+v1\s+true\s+Pod$/m);
  });

  test('create namespace; a second time is AlreadyExists; --dry-run=server stores nothing', async () => {
    assert.equal(await ok(['create', 'namespace', 'accounts']), 'namespace/accounts created\n');
    assert.equal(await ok(['get', 'ns', 'accounts', '-o', 'jsonpath={.status.phase} {.metadata.labels.kubernetes\\.io/metadata\\.name}']), 'Active accounts');
    const again = await kubectl(['create', 'namespace', 'accounts']);
    assert.equal(again.code, 1);
    assert.equal(again.stderr.trim(), 'Error from server (AlreadyExists): namespaces "accounts" already exists');
    assert.equal(await ok(['create', 'namespace', 'dry', '--dry-run=server']), 'namespace/dry created (server dry run)\n');
    assert.equal((await kubectl(['get', 'ns', 'dry'])).stderr.trim(), 'Error from server (NotFound): namespaces "dry" not found');
  });

  test('create serviceaccount', async () => {
    assert.equal(await ok(['create', 'serviceaccount', 'builder', '-n', 'accounts']), 'serviceaccount/builder created\n');
    assert.equal(await ok(['get', 'sa', '-n', 'accounts', '-o', 'name']), 'serviceaccount/builder\n');
  });

  test('create service clusterip, nodeport, loadbalancer and externalname', async () => {
    assert.equal(await ok(['create', 'service', 'clusterip', 'web', '--tcp=80:8080', '-n', 'accounts']), 'service/web created\n');
    assert.equal(await ok(['get', 'svc', 'web', '-n', 'accounts', '-o', 'jsonpath={.spec.type} {.spec.ports[0].port} {.spec.ports[0].targetPort} {.spec.selector.app}']), 'ClusterIP 80 8080 web');
    assert.equal(await ok(['create', 'service', 'nodeport', 'np', '--tcp=80:8080', '--node-port=30080', '-n', 'accounts']), 'service/np created\n');
    assert.equal(await ok(['get', 'svc', 'np', '-n', 'accounts', '-o', 'jsonpath={.spec.type} {.spec.ports[0].nodePort}']), 'NodePort 30080');
    assert.equal(await ok(['create', 'service', 'loadbalancer', 'lb', '--tcp=443', '-n', 'accounts']), 'service/lb created\n');
    assert.equal(await ok(['get', 'svc', 'lb', '-n', 'accounts', '-o', 'jsonpath={.spec.type} {.spec.ports[0].port}']), 'LoadBalancer 443');
    assert.equal(await ok(['create', 'service', 'externalname', 'ext', '--external-name=db.example.org', '-n', 'accounts']), 'service/ext created\n');
    assert.equal(await ok(['get', 'svc', 'ext', '-n', 'accounts', '-o', 'jsonpath={.spec.type} {.spec.externalName}']), 'ExternalName db.example.org');
    assert.equal(await ok(['get', 'svc', '-n', 'accounts', '-o', 'name']), 'service/ext\nservice/lb\nservice/np\nservice/web\n');
  });

  test('run creates a Pod with the image, labels and port', async () => {
    assert.equal(await ok(['run', 'web', '--image=nginx:1.27', '--labels=app=web,tier=front', '--port=80', '-n', 'accounts']), 'pod/web created\n');
    assert.equal(
      await ok(['get', 'pod', 'web', '-n', 'accounts', '-o', 'jsonpath={.spec.containers[0].name} {.spec.containers[0].image} {.spec.containers[0].ports[0].containerPort} {.metadata.labels.tier}']),
      'web nginx:1.27 80 front',
    );
    assert.equal(await ok(['get', 'pods', '-n', 'accounts', '-l', 'app=web', '-o', 'name']), 'pod/web\n');
  });

  test('label, annotate, patch (strategic, merge, json), wait, replace and delete --wait on the pod', async () => {
    assert.equal(await ok(['label', 'pod', 'web', '-n', 'accounts', 'owner=ops']), 'pod/web labeled\n');
    assert.equal(await ok(['annotate', 'pod', 'web', '-n', 'accounts', 'note=hello']), 'pod/web annotated\n');
    assert.equal(await ok(['label', 'pod', 'web', '-n', 'accounts', 'owner-']), 'pod/web unlabeled\n');
    assert.equal(await ok(['patch', 'pod', 'web', '-n', 'accounts', '-p', '{"metadata":{"labels":{"s":"1"}}}']), 'pod/web patched\n');
    assert.equal(await ok(['patch', 'pod', 'web', '-n', 'accounts', '--type=merge', '-p', '{"metadata":{"labels":{"m":"2"}}}']), 'pod/web patched\n');
    assert.equal(await ok(['patch', 'pod', 'web', '-n', 'accounts', '--type=json', '-p', '[{"op":"add","path":"/metadata/labels/j","value":"3"}]']), 'pod/web patched\n');
    const failed = await kubectl(['patch', 'pod', 'web', '-n', 'accounts', '--type=json', '-p', '[{"op":"test","path":"/metadata/labels/j","value":"4"}]']);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /^The request is invalid/);
    assert.equal(
      await ok(['get', 'pod', 'web', '-n', 'accounts', '-o', 'jsonpath={.metadata.labels} {.metadata.annotations.note}']),
      '{"app":"web","j":"3","m":"2","s":"1","tier":"front"} hello',
    );
    assert.equal(await ok(['wait', '--for=jsonpath={.metadata.labels.j}=3', 'pod/web', '-n', 'accounts', '--timeout=10s']), 'pod/web condition met\n');
    const yaml = await ok(['get', 'pod', 'web', '-n', 'accounts', '-o', 'yaml']);
    const file = join(server!.dir, 'web.yaml');
    await writeFile(file, yaml.replace('note: hello', 'note: replaced'));
    assert.equal(await ok(['replace', '-f', file]), 'pod/web replaced\n');
    const stale = await kubectl(['replace', '-f', file]);
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /Operation cannot be fulfilled on pods "web": the object has been modified/);
    assert.equal(await ok(['get', 'pod', 'web', '-n', 'accounts', '-o', 'jsonpath={.metadata.annotations.note}']), 'replaced');
    assert.equal(await ok(['delete', 'pod', 'web', '-n', 'accounts', '--wait=true']), 'pod "web" deleted\n');
    assert.equal((await kubectl(['get', 'pod', 'web', '-n', 'accounts'])).stderr.trim(), 'Error from server (NotFound): pods "web" not found');
  });

  test('auth can-i: the admin may, the read-only token may read but not write', async () => {
    assert.equal(await ok(['auth', 'can-i', 'create', 'pods']), 'yes\n');
    assert.equal(await ok(['auth', 'can-i', 'delete', 'globalnetworkpolicies.projectcalico.org']), 'yes\n');
    const ro = server!.readOnlyKubeconfigPath;
    const read = await kubectl(['auth', 'can-i', 'list', 'networkpolicies'], ro);
    assert.equal(read.stdout, 'yes\n', read.stderr);
    const write = await kubectl(['auth', 'can-i', 'create', 'networkpolicies'], ro);
    assert.equal(write.code, 1);
    assert.equal(write.stdout, 'no - Tabby: the read-only token (tabby:read-only) may only get, list and watch\n');
  });

  test('create deployment, expose it, scale it; describe and get events show what the controllers did', async () => {
    assert.equal(await ok(['create', 'deployment', 'nginx', '--image=nginx:1.27', '--replicas=2', '-n', 'accounts']), 'deployment.apps/nginx created\n');
    assert.equal(await ok(['get', 'deployment', 'nginx', '-n', 'accounts', '-o', 'jsonpath={.spec.replicas} {.spec.selector.matchLabels.app}']), '2 nginx');
    assert.equal(await ok(['expose', 'deployment', 'nginx', '--port=80', '-n', 'accounts']), 'service/nginx exposed\n');
    assert.equal(await ok(['get', 'svc', 'nginx', '-n', 'accounts', '-o', 'jsonpath={.spec.selector.app} {.spec.ports[0].port}']), 'nginx 80');
    assert.equal(await ok(['wait', '--for=jsonpath={.status.replicas}=2', 'deployment/nginx', '-n', 'accounts', '--timeout=20s']), 'deployment.apps/nginx condition met\n');
    assert.equal(await ok(['scale', 'deployment', 'nginx', '--replicas=3', '-n', 'accounts']), 'deployment.apps/nginx scaled\n');
    assert.equal(await ok(['wait', '--for=jsonpath={.status.replicas}=3', 'deployment/nginx', '-n', 'accounts', '--timeout=20s']), 'deployment.apps/nginx condition met\n');
    assert.equal((await ok(['get', 'pods', '-n', 'accounts', '-l', 'app=nginx', '-o', 'name'])).trim().split('\n').length, 3);
    // describe reads the Deployment's events with an involvedObject field selector
    const described = await ok(['describe', 'deployment', 'nginx', '-n', 'accounts']);
    assert.match(described, /^ {2}Normal {2}ScalingReplicaSet .* Scaled up replica set nginx-[a-z0-9]+ from 0 to 2$/m);
    assert.match(described, /^ {2}Normal {2}ScalingReplicaSet .* Scaled up replica set nginx-[a-z0-9]+ from 2 to 3$/m);
    assert.match(await ok(['get', 'events', '-n', 'accounts']), /SuccessfulCreate\s+replicaset\/nginx-[a-z0-9]+\s+Created pod: nginx-/);
  });
});
