/**
 * End to end, with the lab (root): `kubectl exec`/`logs` and the same through python3-kubernetes
 * (`kubernetes.stream.stream` over pods/exec, WebSocket v4.channel.k8s.io, and
 * `read_namespaced_pod_log`) and @kubernetes/client-node (`Exec` over v5.channel.k8s.io, with
 * stdout, stderr and the exit Status, and `readNamespacedPodLog`) against a real `tabby up` with
 * one worker. Every wait is bounded; the lab's namespaces are gone afterwards (checked).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { CoreV1Api, Exec, KubeConfig, type V1Status } from '@kubernetes/client-node';
import { netnsSkipReason } from '../../src/sys/index.js';
import { startLabUp, until } from '../support/lab-up.js';
import { required, toolMissing } from '../support/tools.js';

const PYTHON = '/usr/bin/python3';
const DRIVER = resolve(import.meta.dirname, '..', 'support', 'clients', 'python_client.py');

function _pythonMissing(): string | undefined {
  try {
    execFileSync(PYTHON, ['-c', 'import kubernetes.stream'], { stdio: 'ignore', timeout: 30_000 });
    return undefined;
  } catch {
    return `python3-kubernetes is not installed (${PYTHON} -c 'import kubernetes.stream' failed)`;
  }
}
const skip = required((await netnsSkipReason()) ?? toolMissing('kubectl') ?? _pythonMissing());

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}


/** Collects what a stream writes. */
function sink(): { stream: Writable; text: () => string } {
  let text = '';
  return { stream: new Writable({ write: (c: Buffer, _e, cb) => void ((text += c.toString()), cb()) }), text: () => text };
}

describe('exec and logs: kubectl, python3-kubernetes and client-node against tabby up with a lab', { skip, timeout: 300_000 }, () => {
  let dir = '';
  let up: ChildProcess | undefined;
  let logOf = (): string => '';
  let prefix: string | undefined;
  let nginxPod = '';
  const kc = (): string => join(dir, 'admin.kubeconfig');
  const kubectl = (args: readonly string[], input?: string): Run => {
    const r = spawnSync('kubectl', ['--cache-dir', join(dir, 'kcache'), ...args], {
      encoding: 'utf8',
      timeout: 90_000,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', KUBECONFIG: kc(), HOME: dir },
      ...(input === undefined ? {} : { input }),
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tabby-exec-'));
    const lab = await startLabUp(dir, 1);
    up = lab.process;
    logOf = lab.log;
    prefix = lab.prefix;
    assert.equal(kubectl(['create', 'deployment', 'nginx', '--image=nginx']).code, 0);
    await until('the deployment is ready', 60_000, () => /^nginx\s+1\/1\s/m.test(kubectl(['get', 'deployment', 'nginx', '--no-headers']).stdout));
    nginxPod = kubectl(['get', 'pods', '-l', 'app=nginx', '-o', 'jsonpath={.items[0].metadata.name}']).stdout.trim();
    const hello = kubectl(['run', 'hello', '--restart=Never', '--image=busybox', '--', 'echo', 'hello from the lab']);
    assert.equal(hello.code, 0, hello.stderr);
    await until('the hello pod has run', 60_000, () => kubectl(['get', 'pod', 'hello', '-o', 'jsonpath={.status.phase}']).stdout === 'Succeeded');
  });

  after(async () => {
    if (up !== undefined && up.exitCode === null) {
      up.kill('SIGTERM');
      const t0 = Date.now();
      while (up.exitCode === null && Date.now() - t0 < 60_000) await new Promise((ok) => setTimeout(ok, 200));
      if (up.exitCode === null) up.kill('SIGKILL');
    }
    if (prefix !== undefined) {
      const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith(`${prefix}-`));
      const etc = existsSync('/etc/netns') ? readdirSync('/etc/netns').filter((e) => e.startsWith(`${prefix}-`)) : [];
      for (const ns of left) spawnSync('ip', ['netns', 'delete', ns.split(' ')[0]!]);
      for (const e of etc) await rm(join('/etc/netns', e), { recursive: true, force: true });
      assert.deepEqual([left, etc], [[], []], `the lab left namespaces or /etc/netns entries:\n${logOf()}`);
    }
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  test('kubectl logs prints a pod command\'s output; kubectl exec passes stdin, stdout and the exit code', () => {
    assert.deepEqual(kubectl(['logs', 'hello']), { code: 0, stdout: 'hello from the lab\n', stderr: '' });
    const sh = kubectl(['exec', '-i', nginxPod, '--', 'sh'], 'echo from-stdin\n');
    assert.equal(sh.code, 0, sh.stderr);
    assert.equal(sh.stdout, 'from-stdin\n');
    const exit = kubectl(['exec', nginxPod, '--', 'sh', '-c', 'echo out; exit 3']);
    assert.deepEqual([exit.code, exit.stdout], [3, 'out\n']);
    const missing = kubectl(['exec', 'nope', '--', 'true']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.trim(), 'Error from server (NotFound): pods "nope" not found');
  });

  test('python3-kubernetes: stream() over pods/exec (output, exit code) and read_namespaced_pod_log', async () => {
    const r = await new Promise<Record<string, unknown>>((ok, fail) =>
      execFile(PYTHON, [DRIVER, kc(), 'exec_logs', 'default', nginxPod, 'hello'], { timeout: 120_000, env: { PATH: '/usr/bin:/bin', HOME: dir } }, (err, stdout, stderr) =>
        err ? fail(new Error(`python exec_logs failed: ${stderr}`)) : ok(JSON.parse(stdout) as Record<string, unknown>),
      ),
    );
    assert.match(String(r['hosts']), new RegExp(`^198\\.19\\.\\d+\\.\\d+\\t${nginxPod}$`, 'm'));
    assert.deepEqual(r['exit'], { returncode: 3, stdout: 'out\n' });
    assert.equal(r['log'], 'hello from the lab\n');
  });

  test('client-node: Exec with stdout, stderr and the exit Status; readNamespacedPodLog', async () => {
    const config = new KubeConfig();
    config.loadFromFile(kc());
    const out = sink();
    const err = sink();
    const status = await new Promise<V1Status>((ok, fail) => {
      void new Exec(config).exec('default', nginxPod, 'nginx', ['sh', '-c', 'echo out; cat /nope; exit 3'], out.stream, err.stream, null, false, ok).catch(fail);
      setTimeout(() => fail(new Error('no exit status within 30 s')), 30_000).unref();
    });
    assert.equal(out.text(), 'out\n');
    assert.equal(err.text(), "cat: can't open '/nope': No such file or directory\n");
    assert.equal(status.status, 'Failure');
    assert.equal(status.reason, 'NonZeroExitCode');
    assert.deepEqual(status.details?.causes, [{ reason: 'ExitCode', message: '3' }]);
    const ok = await new Promise<V1Status>((resolveOk, fail) => {
      void new Exec(config).exec('default', nginxPod, 'nginx', ['true'], null, null, null, false, resolveOk).catch(fail);
      setTimeout(() => fail(new Error('no exit status within 30 s')), 30_000).unref();
    });
    assert.equal(ok.status, 'Success');
    const core = config.makeApiClient(CoreV1Api);
    assert.equal(await core.readNamespacedPodLog({ name: 'hello', namespace: 'default' }), 'hello from the lab\n');
  });
});
