/**
 * End to end, issue 15 item 2: nodes join like kubeadm nodes, and a node's credential is held to
 * the Node authorizer. Two API servers on one real etcd share a CA (the second's data dir is given
 * the first's ca.crt/ca.key, as kubeadm's control-plane members share theirs).
 *
 * - `tabby token create --node w1` prints a kubeadm-format token and the CA's SPKI hash;
 * - a wrong `--ca-cert-hash` makes `tabby agent` refuse to connect (exit 1, nothing written);
 * - an expired token, and a token used for another node, are refused with 401;
 * - the joined node's certificate (CN=system:node:w1, O=system:nodes) reads policies, writes
 *   its own Node's status and tabby.dev/ annotations, and gets 403 naming system:node:w1 for any
 *   policy write, for another node's status, for its own spec (the real kubectl too);
 * - the node's watch fails over: server A is stopped mid-stream and every event arrives, once,
 *   in order, from B; the agent's Syncer on the same datastore ends with every object;
 * - as root: the real `tabby agent --server A,B --token … --ca-cert-hash …` joins, programs an
 *   empty network namespace and publishes its status on its own Node.
 * Everything listens on 127.0.0.1 with free ports and temporary directories; every wait is bounded.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runServer, type RunningServer } from '../../src/apiserver/main.js';
import { caCertHash } from '../../src/apiserver/pki.js';
import { createBootstrapToken } from '../../src/apiserver/bootstrap-tokens.js';
import { main } from '../../src/cli/main.js';
import { fakeIo } from '../../src/cli/testdata/fake-io.js';
import { joinCluster } from '../../src/cli/join.js';
import { kubeOptionsFor } from '../../src/cli/datastore-config.js';
import { openEtcdDatastore, type Datastore, type StoredObject, type WatchEvent } from '../../src/datastore/index.js';
import { KubeDatastore, openKubeDatastore } from '../../src/datastore/kube/index.js';
import { Syncer } from '../../src/agent/syncer.js';
import { createNetns, deleteNetns, netnsSkipReason } from '../../src/sys/index.js';
import { etcdSkipReason, startEtcd, type EtcdCluster } from '../support/etcd.js';
import { required, toolPath } from '../support/tools.js';

const KUBECTL = toolPath('kubectl');
const NETNS_SKIP = required(await netnsSkipReason());
const GNP = { group: 'projectcalico.org', plural: 'globalnetworkpolicies' } as const;
const CALICO_NODES = { group: 'projectcalico.org', plural: 'nodes' } as const;

const gnp = (name: string, order = 10): StoredObject =>
  ({ apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name }, spec: { order, selector: "role == 'db'", types: ['Ingress'], ingress: [{ action: 'Allow' }] } }) as unknown as StoredObject;

interface Reply {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** One HTTPS request with a client certificate or a bearer token. */
function call(url: string, method: string, ca: string, auth: { cert: string; key: string } | { token: string }, body?: unknown, contentType = 'application/json'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { accept: 'application/json', ...(payload !== undefined ? { 'content-type': contentType } : {}) };
    if ('token' in auth) headers['authorization'] = `Bearer ${auth.token}`;
    const req = request(url, { method, ca, headers, timeout: 10_000, ...('cert' in auth ? { cert: auth.cert, key: auth.key } : {}) }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(payload);
  });
}

async function until(what: string, ms: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out after ${ms} ms waiting for ${what}`);
}

describe('nodes join with bootstrap tokens; the Node authorizer holds their credentials', { skip: required(etcdSkipReason()) }, () => {
  let dir = '';
  let etcd: EtcdCluster | undefined;
  let dsA: Datastore | undefined;
  let dsB: Datastore | undefined;
  let a: RunningServer | undefined;
  let b: RunningServer | undefined;
  let etcdFlags: string[] = [];
  let hash = '';
  const admin = (): { token: string } => ({ token: a!.adminToken });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tabby-join-'));
    etcd = await startEtcd();
    etcdFlags = ['--etcd-endpoints', etcd.endpoints.join(',')];
    dsA = await openEtcdDatastore({ endpoints: etcd.endpoints });
    a = await runServer({ dataDir: join(dir, 'a'), port: 0, datastore: dsA });
    // B shares A's CA (kubeadm copies the CA to every control-plane member)
    await mkdir(join(dir, 'b', 'pki'), { recursive: true });
    for (const f of ['ca.crt', 'ca.key']) await copyFile(join(dir, 'a', 'pki', f), join(dir, 'b', 'pki', f));
    dsB = await openEtcdDatastore({ endpoints: etcd.endpoints });
    b = await runServer({ dataDir: join(dir, 'b'), port: 0, datastore: dsB });
    assert.equal(b.caPem, a.caPem);
    hash = caCertHash(a.caPem);
  });

  after(async () => {
    await a?.stop();
    await b?.stop();
    await dsA?.close();
    await dsB?.close();
    await etcd?.stop();
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  const tokenFor = async (node: string): Promise<{ token: string; out: string }> => {
    const io = fakeIo({});
    assert.equal(await main(['token', 'create', '--node', node, '--data-dir', join(dir, 'a'), ...etcdFlags], io), 0, io.err());
    const token = /^token: (\S+)$/m.exec(io.out())?.[1] ?? '';
    return { token, out: io.out() };
  };

  test('tabby token create prints a kubeadm token, the CA hash and the join command; list and delete', async () => {
    const { token, out } = await tokenFor('w1');
    assert.match(token, /^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    assert.match(out, new RegExp(`^ca-cert-hash: ${hash}$`, 'm'));
    assert.match(out, new RegExp(`^join: tabby agent --node w1 --server ${a!.url.replace(/\./g, '\\.')} --token ${token} --ca-cert-hash ${hash}$`, 'm'));
    const list = fakeIo({});
    assert.equal(await main(['token', 'list', '--data-dir', join(dir, 'a'), ...etcdFlags], list), 0, list.err());
    assert.match(list.out(), new RegExp(`^${token.split('.')[0]}\\s+w1\\s+\\S+\\s+valid`, 'm'));
    assert.doesNotMatch(list.out(), new RegExp(token.split('.')[1]!), 'the secret is not shown (it is stored hashed)');
    const stored = await dsA!.get({ group: 'tabby.dev', plural: 'bootstraptokens', namespace: '', name: token.split('.')[0]! });
    assert.doesNotMatch(JSON.stringify(stored), new RegExp(token.split('.')[1]!), 'the datastore holds only the hash');
    const del = fakeIo({});
    assert.equal(await main(['token', 'delete', token.split('.')[0]!, '--data-dir', join(dir, 'a'), ...etcdFlags], del), 0, del.err());
    assert.equal(del.out(), `bootstrap token "${token.split('.')[0]}" deleted\n`);
    const bad = fakeIo({});
    assert.equal(await main(['token', 'create', '--node', 'W_1', '--data-dir', join(dir, 'a'), ...etcdFlags], bad), 2);
    assert.match(bad.err(), /--node "W_1" is not a valid node name/);
  });

  test('an agent given a wrong CA hash refuses to connect and writes nothing', async () => {
    const { token } = await tokenFor('w1');
    const state = join(dir, 'state-wrong');
    const wrong = `sha256:${'0'.repeat(64)}`;
    const io = fakeIo({});
    const code = await main(['agent', '--node', 'w1', '--server', a!.url, '--token', token, '--ca-cert-hash', wrong, '--state-dir', state], io);
    assert.equal(code, 1);
    assert.equal(io.err(), `tabby agent: refusing to join: the CA served by ${a!.url} has public key hash ${hash}, which does not match --ca-cert-hash ${wrong} (a different cluster, or someone in between)\n`);
    await assert.rejects(stat(state), /ENOENT/);
  });

  test('an expired token, a token used for another node, and a wrong secret are refused with 401', async () => {
    const { token } = await tokenFor('w1');
    const expired = await createBootstrapToken(dsA!, 'w9', 60_000, new Date(Date.now() - 3_600_000));
    const url = `${a!.url}/bootstrap/v1/node-credential`;
    const csr = '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n';
    const r1 = await call(url, 'POST', a!.caPem, { token: expired.token }, { node: 'w9', csr });
    assert.equal(r1.status, 401);
    assert.match(String(r1.body['message']), /^Unauthorized: bootstrap token "[a-z0-9]{6}" expired at /);
    const r2 = await call(url, 'POST', a!.caPem, { token }, { node: 'w2', csr });
    assert.equal(r2.status, 401);
    assert.match(String(r2.body['message']), /was made for node "w1", not "w2"/);
    const r3 = await call(url, 'POST', a!.caPem, { token: `${token.split('.')[0]}.0123456789abcdef` }, { node: 'w1', csr });
    assert.equal(r3.status, 401);
    assert.match(String(r3.body['message']), /wrong secret/);
    // a valid token with a broken CSR: 400, not 500
    const r4 = await call(url, 'POST', a!.caPem, { token }, { node: 'w1', csr });
    assert.equal(r4.status, 400);
    assert.match(String(r4.body['message']), /^csr: Invalid value: not a PEM PKCS#10 certificate signing request/);
    // and the agent says so in one line
    const io = fakeIo({});
    assert.equal(await main(['agent', '--node', 'w2', '--server', a!.url, '--token', token, '--ca-cert-hash', hash, '--state-dir', join(dir, 'state-w2')], io), 1);
    assert.match(io.err(), /^tabby agent: https:\/\/127\.0\.0\.1:\d+ refused the bootstrap token \(HTTP 401\): Unauthorized: bootstrap token "[a-z0-9]{6}" was made for node "w1", not "w2"\n$/);
  });

  describe('a joined node', () => {
    let state = '';
    let cred: { cert: string; key: string } = { cert: '', key: '' };
    before(async () => {
      const { token } = await tokenFor('w1');
      state = join(dir, 'state-w1');
      await joinCluster({ servers: [a!.url, b!.url], node: 'w1', token, caCertHashes: [hash], stateDir: state });
      cred = { cert: await readFile(join(state, 'node.crt'), 'utf8'), key: await readFile(join(state, 'node.key'), 'utf8') };
      // objects the node will try to touch
      await call(`${a!.url}/apis/projectcalico.org/v3/globalnetworkpolicies`, 'POST', a!.caPem, admin(), gnp('admin-made'));
      for (const n of ['w1', 'w2']) {
        assert.equal((await call(`${a!.url}/api/v1/nodes`, 'POST', a!.caPem, admin(), { apiVersion: 'v1', kind: 'Node', metadata: { name: n } })).status, 201);
        assert.equal((await call(`${a!.url}/apis/projectcalico.org/v3/nodes`, 'POST', a!.caPem, admin(), { apiVersion: 'projectcalico.org/v3', kind: 'Node', metadata: { name: n }, spec: {} })).status, 201);
      }
    });

    test('its credential is its own key and a certificate for system:node:w1 in system:nodes; the state is private', async () => {
      const c = new X509Certificate(cred.cert);
      assert.equal(c.subject, 'CN=system:node:w1\nO=system:nodes');
      assert.ok(c.verify(new X509Certificate(a!.caPem).publicKey));
      assert.deepEqual(c.keyUsage, ['1.3.6.1.5.5.7.3.2']);
      assert.equal((await stat(join(state, 'node.key'))).mode & 0o777, 0o600);
      assert.equal((await stat(join(state, 'kubeconfig'))).mode & 0o777, 0o600);
      assert.match(await readFile(join(state, 'kubeconfig'), 'utf8'), new RegExp(`extension: \\{servers: \\["${a!.url}", "${b!.url}"\\]\\}`));
    });

    test('it reads what Felix reads, and writes its own status and tabby.dev/ annotations', async () => {
      for (const path of ['/apis/projectcalico.org/v3/globalnetworkpolicies', '/api/v1/pods', '/api/v1/namespaces', '/apis/projectcalico.org/v3/felixconfigurations', '/apis/networking.k8s.io/v1/networkpolicies', '/apis/discovery.k8s.io/v1/endpointslices'])
        assert.equal((await call(`${b!.url}${path}`, 'GET', a!.caPem, cred)).status, 200, path);
      const st = await call(`${a!.url}/api/v1/nodes/w1/status`, 'PATCH', a!.caPem, cred, { status: { conditions: [{ type: 'Ready', status: 'True' }] } }, 'application/merge-patch+json');
      assert.equal(st.status, 200, JSON.stringify(st.body));
      const ann = await call(`${a!.url}/apis/projectcalico.org/v3/nodes/w1`, 'PATCH', a!.caPem, cred, { metadata: { annotations: { 'tabby.dev/programmed-revision': '7' }, labels: { 'projectcalico.org/zone': 'a' } } }, 'application/merge-patch+json');
      assert.equal(ann.status, 200, JSON.stringify(ann.body));
    });

    test('403 naming system:node:w1 for policy writes, another node, its own spec, other labels, deletes', async () => {
      const cases: [string, string, string, unknown, string?][] = [
        ['create a policy', 'POST', '/apis/projectcalico.org/v3/globalnetworkpolicies', gnp('node-made')],
        ['update a policy', 'PUT', '/apis/projectcalico.org/v3/globalnetworkpolicies/admin-made', gnp('admin-made', 1)],
        ['delete a policy', 'DELETE', '/apis/projectcalico.org/v3/globalnetworkpolicies/admin-made', undefined],
        ['create a k8s policy', 'POST', '/apis/networking.k8s.io/v1/namespaces/default/networkpolicies', { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'x' }, spec: { podSelector: {} } }],
        ["another node's status", 'PATCH', '/api/v1/nodes/w2/status', { status: { conditions: [{ type: 'Ready', status: 'False' }] } }, 'application/merge-patch+json'],
        ["another node's annotations", 'PATCH', '/apis/projectcalico.org/v3/nodes/w2', { metadata: { annotations: { 'tabby.dev/programmed-revision': '1' } } }, 'application/merge-patch+json'],
        ['delete its own node', 'DELETE', '/api/v1/nodes/w1', undefined],
      ];
      for (const [what, method, path, body, ct] of cases) {
        const r = await call(`${a!.url}${path}`, method, a!.caPem, cred, body, ct);
        assert.equal(r.status, 403, `${what}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body['reason'], 'Forbidden', what);
        assert.match(String(r.body['message']), /User "system:node:w1" cannot/, what);
      }
      const admission: [string, string, unknown][] = [
        ['its own spec', '/apis/projectcalico.org/v3/nodes/w1', { spec: { bgp: { ipv4Address: '198.18.0.9/24' } } }],
        ['an unprefixed label', '/apis/projectcalico.org/v3/nodes/w1', { metadata: { labels: { role: 'db' } } }],
      ];
      for (const [what, path, body] of admission) {
        const r = await call(`${a!.url}${path}`, 'PATCH', a!.caPem, cred, body, 'application/merge-patch+json');
        assert.equal(r.status, 403, `${what}: ${JSON.stringify(r.body)}`);
        assert.match(String(r.body['message']), /^node "w1" is not allowed to change /, what);
      }
      const w2 = await call(`${a!.url}/api/v1/nodes/w2`, 'GET', a!.caPem, admin());
      assert.equal(JSON.stringify((w2.body['status'] as Record<string, unknown> | undefined)?.['conditions'] ?? null).includes('False'), false, "w2's status is unchanged");
      const pol = await call(`${a!.url}/apis/projectcalico.org/v3/globalnetworkpolicies/admin-made`, 'GET', a!.caPem, admin());
      assert.equal((pol.body['spec'] as Record<string, unknown>)['order'], 10, 'the policy is unchanged');
    });

    test('the real kubectl with the node kubeconfig: get works, apply is Forbidden', { skip: required(KUBECTL === undefined && 'kubectl is not on PATH') }, async () => {
      const kc = join(state, 'kubeconfig');
      const run = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
        new Promise((ok) =>
          execFile(KUBECTL!, ['--kubeconfig', kc, '--cache-dir', join(dir, 'kcache'), '--request-timeout=20s', ...args], { timeout: 30_000, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir } }, (err, stdout, stderr) =>
            ok({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr }),
          ),
        );
      const got = await run(['get', 'globalnetworkpolicies.projectcalico.org', '-o', 'name']);
      assert.equal(got.code, 0, got.stderr);
      assert.match(got.stdout, /globalnetworkpolicy\.projectcalico\.org\/admin-made/);
      const file = join(dir, 'np.yaml');
      await writeFile(file, 'apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: from-node\nspec:\n  selector: all()\n');
      const applied = await run(['apply', '-f', file]);
      assert.equal(applied.code, 1);
      assert.match(applied.stderr, /Forbidden.*User "system:node:w1" cannot (get|create|patch) resource "globalnetworkpolicies"/);
    });

    test('its watch fails over: A stops mid-stream, every event arrives once and in order from B; the Syncer has every object', async () => {
      const ds = await openKubeDatastore({ ...kubeOptionsFor({ kubeconfig: join(state, 'kubeconfig') }) });
      assert.ok(ds instanceof KubeDatastore);
      assert.deepEqual(ds.servers, [a!.url, b!.url]);
      const writer = await openKubeDatastore({ server: b!.url, token: b!.adminToken, caPem: b!.caPem });
      const ac = new AbortController();
      const syncer = new Syncer({ datastore: ds, types: [GNP] });
      const syncing = syncer.run(ac.signal);
      try {
        const start = (await ds.list(GNP)).revision;
        const events: WatchEvent[] = [];
        const watching = (async () => {
          for await (const ev of ds.watch(GNP, start, ac.signal)) events.push(ev);
        })();
        const names = Array.from({ length: 20 }, (_, i) => `fo-${String(i).padStart(2, '0')}`);
        for (const n of names.slice(0, 10)) await writer.create(GNP, gnp(n));
        await until('the first 10 events', 15_000, () => events.length >= 10);
        await a!.stop(); // server A goes away under the open watch
        for (const n of names.slice(10)) await writer.create(GNP, gnp(n));
        await until('all 20 events', 20_000, () => events.length >= 20);
        assert.deepEqual(
          events.map((e) => `${e.type} ${e.object.metadata.name}`),
          names.map((n) => `ADDED ${n}`),
        );
        const revs = events.map((e) => BigInt(e.revision));
        assert.ok(revs.every((r, i) => i === 0 || r > revs[i - 1]!), 'revisions strictly increase');
        await until('the syncer to hold all 20', 20_000, () => names.every((n) => syncer.resources().some((r) => r.metadata?.name === n)));
        ac.abort();
        await watching;
      } finally {
        ac.abort();
        await syncing;
        await ds.close();
        await writer.close();
      }
    });
  });

  test('as root: tabby agent joins with a token over A,B (A down: B answers), programs its namespace, and publishes its status', { skip: NETNS_SKIP }, async () => {
    const { token } = await tokenFor('w4');
    const ns = await createNetns('tbyjoin');
    const io = fakeIo({});
    let running: Promise<number> | undefined;
    try {
      // A was stopped by the failover test when it ran; either way B is in the list
      running = main(['agent', '--node', 'w4', '--server', `${a!.url},${b!.url}`, '--token', token, '--ca-cert-hash', hash, '--state-dir', join(dir, 'state-w4'), '--netns', ns], io);
      const admin = await openKubeDatastore({ server: b!.url, token: b!.adminToken, caPem: b!.caPem });
      try {
        await until('w4 to publish its programmed revision', 60_000, async () => {
          try {
            const n = await admin.get({ ...CALICO_NODES, namespace: '', name: 'w4' });
            return (n.metadata.annotations ?? {})['tabby.dev/programmed-revision'] !== undefined;
          } catch {
            return false;
          }
        });
      } finally {
        await admin.close();
      }
      assert.match(io.err(), /tabby agent for node w4 \(netns tbyjoin\S*\) on kubernetes at /);
      io.shutdown('SIGTERM');
      assert.equal(await running, 0, io.err());
    } finally {
      io.shutdown('SIGTERM');
      await running;
      await deleteNetns(ns);
    }
  });
});
