/**
 * The Kubernetes network-policy tutorial (the seed's access-nginx example) against a real
 * `tabby up` with its lab, as root, with the real kubectl and real packets:
 *
 *   kubectl create deployment nginx --image=nginx
 *   kubectl expose deployment nginx --port=80
 *   kubectl run access --rm -ti --image busybox -- wget --spider --timeout=1 nginx   → reaches nginx
 *   kubectl apply -f access-nginx.yaml                                                → only access=true
 *   kubectl run access --rm -ti --restart=Never --image busybox -- wget …             → exit 1 (timed out)
 *   kubectl run access --rm -ti --labels=access=true --image busybox -- wget …        → exit 0
 *
 * The one departure, and why: for the denied run the test adds `--restart=Never`. With kubectl's
 * default for `run -i` (OnFailure), a failing command makes kubectl wait for the pod to succeed
 * until --pod-running-timeout (1 min; in a real cluster the kubelet restarts it meanwhile), so
 * the exit code would be a timeout, not wget's answer. `nginx` resolves through the pod's own
 * /etc/hosts (src/lab/hosts.ts); `wget` is the lab's busybox applet (src/lab/busybox.ts); the
 * packets go pod namespace → worker (kube-proxy DNAT, the agent's policy chains) → nginx pod,
 * whose access log `kubectl logs` shows. Also `kubectl exec`, `kubectl logs`, `kubectl get
 * events`, scaling, and full cleanup (the lab's namespaces and /etc/netns entries are gone
 * after `tabby down`). Every wait is bounded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { netnsSkipReason } from '../../src/sys/index.js';
import { startLabUp, until } from '../support/lab-up.js';
import { required, requireTool } from '../support/tools.js';

// Root, network namespaces and kubectl: a skip on a developer's machine, a failure under CI=true.
const skip = required(await netnsSkipReason()) || requireTool('kubectl');

const ACCESS_NGINX = `kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata:
  name: access-nginx
spec:
  podSelector:
    matchLabels:
      app: nginx
  ingress:
    - from:
      - podSelector:
          matchLabels:
            access: "true"
`;

interface Run {
  code: number | null;
  out: string;
}

function kubectl(kubeconfig: string, args: readonly string[], timeoutMs = 60_000): Run {
  const r = spawnSync('kubectl', [...args], { encoding: 'utf8', timeout: timeoutMs, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', KUBECONFIG: kubeconfig, HOME: tmpdir() } });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}


const WGET = ['--image', 'busybox', '--', 'wget', '--spider', '--timeout=1', 'nginx'];

test('the Kubernetes tutorial: create deployment, expose, run busybox wget, access-nginx policy, with real packets', { skip, timeout: 300_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tabby-tutorial-'));
  const kc = join(dir, 'admin.kubeconfig');
  let up: ChildProcess | undefined;
  let logOf = (): string => '';
  let prefix: string | undefined;
  try {
    const lab = await startLabUp(dir, 2);
    up = lab.process;
    logOf = lab.log;
    prefix = lab.prefix;

    // 1. the deployment and its service
    let r = kubectl(kc, ['create', 'deployment', 'nginx', '--image=nginx']);
    assert.deepEqual([r.code, r.out.trim()], [0, 'deployment.apps/nginx created']);
    r = kubectl(kc, ['expose', 'deployment', 'nginx', '--port=80']);
    assert.deepEqual([r.code, r.out.trim()], [0, 'service/nginx exposed']);
    await until('the deployment is ready', 60_000, () => /^nginx\s+1\/1\s+1\s+1\s/m.test(kubectl(kc, ['get', 'deployment', 'nginx', '--no-headers']).out));
    const pods = kubectl(kc, ['get', 'pods', '-l', 'app=nginx', '-o', 'jsonpath={.items[*].metadata.name} {.items[*].status.podIP}']).out.trim().split(' ');
    const [nginxPod, nginxIp] = pods as [string, string];
    assert.match(nginxPod, /^nginx-[bcdfghjklmnpqrstvwxz2456789]+-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    await until('the EndpointSlice lists the nginx pod', 30_000, () => kubectl(kc, ['get', 'endpointslices', '-l', 'kubernetes.io/service-name=nginx', '-o', 'jsonpath={.items[0].endpoints[*].addresses[0]}']).out.trim() === nginxIp);
    const events = kubectl(kc, ['get', 'events']).out;
    for (const reason of ['ScalingReplicaSet', 'SuccessfulCreate', 'Scheduled', 'Created', 'Started']) assert.match(events, new RegExp(`\\b${reason}\\b`), events);

    // 2. before the policy: every pod reaches nginx, by name, through the Service
    r = kubectl(kc, ['run', 'access', '--rm', '-ti', ...WGET], 90_000);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /pod "access" deleted/);
    const access = kubectl(kc, ['logs', nginxPod]).out;
    assert.match(access, /^198\.\d+\.\d+\.\d+ - - \[[^\]]+\] "HEAD \/ HTTP\/1\.1" 200 0 "-" "Wget" "-"$/m, access);

    // kubectl exec into the nginx pod: its own /etc/hosts names the Service; the exit code comes back
    r = kubectl(kc, ['exec', nginxPod, '--', 'cat', '/etc/hosts']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /\snginx nginx\.default nginx\.default\.svc nginx\.default\.svc\.cluster\.local$/m);
    r = kubectl(kc, ['exec', nginxPod, '--', 'sh', '-c', 'exit 3']);
    assert.equal(r.code, 3, r.out);
    r = kubectl(kc, ['exec', nginxPod, '--', 'ls']);
    assert.equal(r.code, 127, r.out);
    assert.match(r.out, /executable file not found in \$PATH/);

    // 3. the access-nginx policy: only access=true pods reach nginx
    const policy = join(dir, 'access-nginx.yaml');
    writeFileSync(policy, ACCESS_NGINX);
    r = kubectl(kc, ['apply', '-f', policy]);
    assert.deepEqual([r.code, r.out.trim()], [0, 'networkpolicy.networking.k8s.io/access-nginx created']);
    // the agents program it (bounded): poll with a labelled-less pod until it is refused
    r = kubectl(kc, ['run', 'access', '--rm', '-ti', '--restart=Never', ...WGET], 90_000);
    for (let i = 0; i < 5 && r.code === 0; i++) {
      await new Promise((ok) => setTimeout(ok, 1000));
      r = kubectl(kc, ['run', 'access', '--rm', '-ti', '--restart=Never', ...WGET], 90_000);
    }
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /wget: download timed out/);
    r = kubectl(kc, ['run', 'access', '--rm', '-ti', '--labels=access=true', ...WGET], 90_000);
    assert.equal(r.code, 0, r.out);

    // scaling: the new pods are lab pods the policy protects as well
    r = kubectl(kc, ['scale', 'deployment', 'nginx', '--replicas=2']);
    assert.deepEqual([r.code, r.out.trim()], [0, 'deployment.apps/nginx scaled']);
    await until('two ready replicas', 60_000, () => /^nginx\s+2\/2\s+2\s+2\s/m.test(kubectl(kc, ['get', 'deployment', 'nginx', '--no-headers']).out));
    r = kubectl(kc, ['auth', 'can-i', 'create', 'networkpolicies']);
    assert.deepEqual([r.code, r.out.trim()], [0, 'yes']);
  } finally {
    if (up !== undefined && up.exitCode === null) {
      up.kill('SIGTERM');
      const t0 = Date.now();
      while (up.exitCode === null && Date.now() - t0 < 60_000) await new Promise((ok) => setTimeout(ok, 200));
      if (up.exitCode === null) up.kill('SIGKILL');
    }
    if (prefix !== undefined) {
      const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith(`${prefix}-`));
      const etc = existsSync('/etc/netns') ? spawnSync('ls', ['/etc/netns'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith(`${prefix}-`)) : [];
      for (const ns of left) spawnSync('ip', ['netns', 'delete', ns.split(' ')[0]!]);
      for (const e of etc) await rm(join('/etc/netns', e), { recursive: true, force: true });
      await rm(dir, { recursive: true, force: true });
      assert.deepEqual([left, etc], [[], []], `the lab left namespaces or /etc/netns entries:\n${logOf()}`);
    } else await rm(dir, { recursive: true, force: true });
  }
});
