/**
 * End to end: the real kubectl's `create` sub-commands, which send built-in kinds as
 * `application/vnd.kubernetes.protobuf` (client-go's generated clients), against a Tabby API
 * server on 127.0.0.1 (a free port, a temporary data directory). Each object created over
 * protobuf must equal the one the same command creates over JSON (`--dry-run=client -o json |
 * kubectl create -f -`). kubectl missing is a failure under CI=true, a skip elsewhere.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runServer, type RunningServer } from '../../src/apiserver/main.js';
import { requireTool, toolPath } from '../support/tools.js';

const KUBECTL = toolPath('kubectl') ?? 'kubectl';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('kubectl create over protobuf', { skip: requireTool('kubectl') }, () => {
  let dir = '';
  let server: RunningServer | undefined;

  const kubectl = (args: readonly string[], stdin?: string): Promise<Run> =>
    new Promise((done) => {
      const child = execFile(
        KUBECTL,
        ['--cache-dir', join(dir, 'cache'), '--request-timeout=20s', ...args],
        { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, KUBECONFIG: server!.kubeconfigPath }, timeout: 30_000 },
        (err, stdout, stderr) => done({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr }),
      );
      child.stdin?.end(stdin ?? '');
    });

  const ok = async (args: readonly string[], stdin?: string): Promise<string> => {
    const r = await kubectl(args, stdin);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };

  /** The stored object without what differs between any two creates. */
  const stored = async (kind: string, name: string, ns?: string): Promise<unknown> => {
    const o = JSON.parse(await ok(['get', kind, name, ...(ns ? ['-n', ns] : []), '-o', 'json'])) as { metadata: Record<string, unknown>; status?: unknown };
    for (const k of ['name', 'uid', 'resourceVersion', 'creationTimestamp', 'managedFields']) delete o.metadata[k];
    // what the server allocates per object (a Service's cluster IPs and node ports)
    if (kind === 'service') {
      const spec = (o as { spec?: { clusterIP?: unknown; clusterIPs?: unknown; ports?: { nodePort?: unknown }[] } }).spec ?? {};
      delete spec.clusterIP;
      delete spec.clusterIPs;
      for (const p of spec.ports ?? []) delete p.nodePort;
    }
    // what controllers write after the create (a Deployment's status and revision annotation)
    if (kind === 'deployment') {
      delete o.status;
      delete o.metadata['annotations'];
      delete o.metadata['generation'];
    }
    const labels = o.metadata['labels'] as Record<string, string> | undefined;
    if (labels) delete labels['kubernetes.io/metadata.name'];
    return o;
  };

  /** `kubectl create <args>` over protobuf, then the same command's JSON form under name2; both stored alike. */
  const sameAsJson = async (kind: string, args: (name: string) => string[], name: string, ns?: string, printed?: RegExp) => {
    const nsArgs = ns ? ['-n', ns] : [];
    const out = await ok(['create', ...args(name), ...nsArgs, '-v=8']);
    if (printed) assert.match(out, printed);
    const json = await ok(['create', ...args(`${name}2`), ...nsArgs, '--dry-run=client', '-o', 'json']);
    await ok(['create', '-f', '-', ...nsArgs], json);
    // the generators put the name into labels and selectors too
    const viaJson = JSON.parse(JSON.stringify(await stored(kind, `${name}2`, ns)).replaceAll(`"${name}2"`, `"${name}"`)) as unknown;
    assert.deepEqual(await stored(kind, name, ns), viaJson, `${kind} ${name}: protobuf and JSON creates differ`);
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tabby-pb-'));
    server = await runServer({ dataDir: join(dir, 'data'), port: 0 });
  });

  after(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('kubectl really sends protobuf for create namespace', async () => {
    const r = await kubectl(['create', 'namespace', 'accounts', '-v=8']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Content-Type: application\/vnd\.kubernetes\.protobuf/);
    assert.equal(r.stdout, 'namespace/accounts created\n');
    assert.equal(await ok(['get', 'ns', 'accounts', '-o', 'jsonpath={.status.phase}']), 'Active');
  });

  test('create namespace, serviceaccount, services (clusterip, nodeport, loadbalancer, externalname), and deployment store what the JSON form stores', async () => {
    await sameAsJson('namespace', (n) => ['namespace', n], 'shop');
    await sameAsJson('serviceaccount', (n) => ['serviceaccount', n], 'bob', 'accounts');
    await sameAsJson('service', (n) => ['service', 'clusterip', n, '--tcp=80:8080', '--tcp=443:https'], 'web', 'accounts');
    await sameAsJson('service', (n) => ['service', 'nodeport', n, '--tcp=80'], 'np', 'accounts');
    await sameAsJson('service', (n) => ['service', 'loadbalancer', n, '--tcp=443:8443'], 'lb', 'accounts');
    await sameAsJson('service', (n) => ['service', 'externalname', n, '--external-name=example.com'], 'ext', 'accounts');
    await sameAsJson('deployment', (n) => ['deployment', n, '--image=nginx', '--port=80', '--replicas=0'], 'nginx', 'accounts');
    const svc = JSON.parse(await ok(['get', 'svc', 'web', '-n', 'accounts', '-o', 'json'])) as { spec: { ports: unknown[] } };
    assert.deepEqual(svc.spec.ports, [
      { name: '80-8080', port: 80, protocol: 'TCP', targetPort: 8080 },
      { name: '443-https', port: 443, protocol: 'TCP', targetPort: 'https' },
    ]);
  });

  test('run creates a Pending pod with its image, port, env and labels', async () => {
    assert.equal(await ok(['run', 'p', '--image=nginx', '--port=80', '--env=A=b', '-l', 'app=p', '-n', 'accounts']), 'pod/p created\n');
    const pod = JSON.parse(await ok(['get', 'pod', 'p', '-n', 'accounts', '-o', 'json'])) as { metadata: { labels: unknown }; spec: { containers: unknown[] }; status: { phase: string } };
    assert.deepEqual(pod.metadata.labels, { app: 'p' });
    assert.deepEqual(pod.spec.containers, [{ name: 'p', image: 'nginx', env: [{ name: 'A', value: 'b' }], ports: [{ containerPort: 80, protocol: 'TCP' }], resources: {} }]);
    assert.equal(pod.status.phase, 'Pending');
  });
});
