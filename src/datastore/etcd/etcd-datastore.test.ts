/**
 * The conformance suite against real etcd servers started by the test (single member, TLS
 * member with client certificates, 3-member cluster), plus what only etcd has: the Calico key
 * layout, a member killed mid-run, unreachable endpoints. Skipped only when etcd-server is
 * not installed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { connect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { findLeader, freePorts, etcdSkipReason, startEtcd, type EtcdCluster } from '../../../test/support/etcd.js';
import { required } from '../../../test/support/tools.js';
import { runDatastoreConformance, type OpenHarness } from '../conformance.js';
import type { StoredObject } from '../datastore.js';
import { UnavailableError, AlreadyExistsError, UnknownOutcomeError, TooLargeError } from '../errors.js';
import { openEtcdDatastore, type EtcdDatastoreOptions } from './etcd-datastore.js';

const skip = required(etcdSkipReason());

/**
 * A TCP proxy in front of one etcd member. Armed with a marker, it forwards everything until a
 * request carrying the marker's bytes goes by (the write's value or key: gRPC sends protobuf
 * with the JSON inside as is), then swallows every reply for 500 ms and cuts every connection:
 * the write reaches etcd and commits, its reply never arrives (a connection lost after send).
 */
async function dropProxy(target: string): Promise<{ url: string; arm(marker: string): void; drops(): number; close(): Promise<void> }> {
  const u = new URL(target);
  const pairs = new Set<{ a: Socket; b: Socket }>();
  let armed = false;
  let marker: Buffer | undefined;
  let drops = 0;
  const cut = (): void => {
    armed = true;
    marker = undefined;
    setTimeout(() => {
      drops++;
      for (const p of pairs) {
        p.a.destroy();
        p.b.destroy();
      }
      armed = false;
    }, 500);
  };
  const server = createNetServer((client) => {
    const upstream = connect(Number(u.port), u.hostname);
    const pair = { a: client, b: upstream };
    pairs.add(pair);
    client.on('data', (d: Buffer) => {
      upstream.write(d);
      if (marker !== undefined && d.includes(marker)) cut();
    });
    upstream.on('data', (d: Buffer) => {
      if (!armed) client.write(d);
    });
    for (const sock of [client, upstream]) {
      sock.on('error', () => undefined);
      sock.on('close', () => {
        pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      });
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    arm: (m: string) => {
      marker = Buffer.from(m);
    },
    drops: () => drops,
    close: () =>
      new Promise<void>((ok) => {
        for (const p of pairs) {
          p.a.destroy();
          p.b.destroy();
        }
        server.close(() => ok());
      }),
  };
}

/** A conformance harness over a cluster that the enclosing describe() starts and stops. */
function harness(cluster: () => EtcdCluster, extra: () => Partial<EtcdDatastoreOptions> = () => ({})): OpenHarness {
  return async (opts) => {
    const ds = await openEtcdDatastore({ endpoints: cluster().endpoints, ...extra(), ...opts });
    return { ds, compact: () => ds.compact(), cleanup: () => ds.close() };
  };
}

function tlsFiles(c: EtcdCluster): Partial<EtcdDatastoreOptions> {
  const t = c.tls;
  if (t === undefined) throw new Error('cluster has no TLS');
  return { caFile: t.caFile, certFile: t.clientCertFile, keyFile: t.clientKeyFile };
}

describe('etcd: single member', { skip }, () => {
  let cluster: EtcdCluster | undefined;
  const c = (): EtcdCluster => {
    if (cluster === undefined) throw new Error('etcd not started');
    return cluster;
  };
  before(async () => {
    cluster = await startEtcd({ members: 1 });
  });
  after(async () => {
    await cluster?.stop();
  });

  runDatastoreConformance('etcd (1 member)', harness(c));

  test('an object over etcd\'s request limit is TooLargeError at once, and nothing is stored', async () => {
    const ds = await openEtcdDatastore({ endpoints: c().endpoints });
    const type = { group: 'projectcalico.org', plural: 'globalnetworksets' };
    try {
      const big = { apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkSet', metadata: { name: 'big', annotations: { blob: 'x'.repeat(2 * 1024 * 1024) } } };
      await assert.rejects(ds.create(type, big), (e: unknown) => e instanceof TooLargeError && e.reason === 'TooLarge' && /request is too large/.test(e.message));
      await assert.rejects(ds.get({ ...type, namespace: '', name: 'big' }), /not found/);
      const small = await ds.create(type, { apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkSet', metadata: { name: 'small' } });
      await assert.rejects(ds.update(type, { ...small, metadata: { ...small.metadata, annotations: { blob: 'x'.repeat(2 * 1024 * 1024) } } }), TooLargeError);
      // etcd's own refusal (a server with a smaller limit than we assume) is TooLargeError too, not a retry loop.
      const lax = await openEtcdDatastore({ endpoints: c().endpoints, maxRequestBytes: 64 * 1024 * 1024 });
      try {
        await assert.rejects(lax.create(type, big), TooLargeError);
      } finally {
        await lax.close();
      }
    } finally {
      await ds.close();
    }
  });

  test('a write whose reply is lost: create finds its own uid; update says the outcome is unknown, in kube-apiserver\'s words', { timeout: 60_000 }, async () => {
    const proxy = await dropProxy(c().endpoints[0]!);
    const ds = await openEtcdDatastore({ endpoints: [proxy.url], timeoutMs: 4_000 });
    const type = { group: 'projectcalico.org', plural: 'globalnetworksets' };
    try {
      proxy.arm('lost-reply');
      const made = await ds.create(type, { apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkSet', metadata: { name: 'lost-reply' } });
      assert.equal(made.metadata.name, 'lost-reply');
      assert.ok(proxy.drops() >= 1, 'the proxy dropped a reply');
      proxy.arm('"changed":"yes"');
      const before = proxy.drops();
      await assert.rejects(ds.update(type, { ...made, metadata: { ...made.metadata, labels: { changed: 'yes' } } }), (e: unknown) => {
        assert.ok(e instanceof UnknownOutcomeError, String(e));
        assert.equal(e.reason, 'Timeout');
        assert.match(e.message, /the server was unable to return a response in the time allotted, but may still be processing the request/);
        assert.match(e.message, /may have been applied/);
        assert.doesNotMatch(e.message, /cannot reach/);
        return true;
      });
      assert.ok(proxy.drops() > before);
      // It was applied: the reply was lost, not the write.
      const now = await ds.get({ ...type, namespace: '', name: 'lost-reply' });
      assert.deepEqual(now.metadata.labels, { changed: 'yes' });
    } finally {
      await ds.close();
      await proxy.close();
    }
  });

  test('stores Calico resources under Calico\'s keys, as JSON without resourceVersion', async () => {
    const ds = await openEtcdDatastore({ endpoints: c().endpoints });
    const raw = new Etcd3({ hosts: [...c().endpoints] });
    try {
      const created = await ds.create(
        { group: 'projectcalico.org', plural: 'networkpolicies' },
        { apiVersion: 'projectcalico.org/v3', kind: 'NetworkPolicy', metadata: { name: 'allow-web', namespace: 'prod' }, spec: { order: 10 } } as StoredObject,
      );
      await ds.create({ group: 'projectcalico.org', plural: 'globalnetworkpolicies' }, { apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name: 'deny' } });
      await ds.create({ group: 'networking.k8s.io', plural: 'networkpolicies' }, { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'k', namespace: 'prod' } });
      const kv = (await raw.get('/calico/resources/v3/projectcalico.org/networkpolicies/prod/allow-web').exec()).kvs[0];
      assert.ok(kv !== undefined);
      assert.equal(kv.mod_revision, created.metadata.resourceVersion);
      const stored = JSON.parse(kv.value.toString()) as { metadata: Record<string, unknown>; spec: unknown; kind: string };
      assert.equal(stored.kind, 'NetworkPolicy');
      assert.deepEqual(stored.spec, { order: 10 });
      assert.equal(stored.metadata['uid'], created.metadata.uid);
      assert.equal('resourceVersion' in stored.metadata, false);
      assert.equal(await raw.get('/calico/resources/v3/projectcalico.org/globalnetworkpolicies/deny').exists(), true);
      assert.equal(await raw.get('/calico/resources/v3/k8s/networking.k8s.io/networkpolicies/prod/k').exists(), true);
      // And what a Calico component writes, Tabby reads (resourceVersion from mod_revision).
      await raw.put('/calico/resources/v3/projectcalico.org/globalnetworksets/from-calico').value(
        JSON.stringify({ kind: 'GlobalNetworkSet', apiVersion: 'projectcalico.org/v3', metadata: { name: 'from-calico', uid: 'u-1', creationTimestamp: '2024-01-01T00:00:00Z' }, spec: { nets: ['10.0.0.0/8'] } }),
      );
      const got = await ds.get({ group: 'projectcalico.org', plural: 'globalnetworksets', namespace: '', name: 'from-calico' });
      assert.deepEqual((got as StoredObject & { spec: unknown }).spec, { nets: ['10.0.0.0/8'] });
      assert.match(got.metadata.resourceVersion ?? '', /^\d+$/);
    } finally {
      raw.close();
      await ds.close();
    }
  });

  test('lists more than gRPC\'s 4 MiB receive limit, page by page', { timeout: 60_000 }, async () => {
    const ds = await openEtcdDatastore({ endpoints: c().endpoints });
    const type = { group: 'projectcalico.org', plural: 'networkpolicies' };
    const big = 'x'.repeat(400 * 1024);
    const count = 14; // 14 × 400 KiB ≈ 5.5 MiB, like 10,000 policies
    try {
      for (let i = 0; i < count; i++) {
        await ds.create(type, {
          apiVersion: 'projectcalico.org/v3',
          kind: 'NetworkPolicy',
          metadata: { name: `p${String(i).padStart(2, '0')}`, namespace: 'big-list', annotations: { blob: big } },
        });
      }
      const { items, revision } = await ds.list({ ...type, namespace: 'big-list' });
      assert.equal(items.length, count);
      assert.deepEqual(items.map((o) => o.metadata.name), Array.from({ length: count }, (_, i) => `p${String(i).padStart(2, '0')}`));
      assert.ok(items.every((o) => o.metadata.annotations?.['blob'] === big));
      assert.match(revision, /^\d+$/);
    } finally {
      await ds.close();
    }
  });

  test('a paged list is one snapshot at its revision, even while others write', { timeout: 60_000 }, async () => {
    const ds = await openEtcdDatastore({ endpoints: c().endpoints, listPageSize: 1 });
    const writer = await openEtcdDatastore({ endpoints: c().endpoints });
    const raw = new Etcd3({ hosts: [...c().endpoints] });
    const type = { group: 'projectcalico.org', plural: 'networkpolicies' };
    const make = (name: string): StoredObject => ({ apiVersion: 'projectcalico.org/v3', kind: 'NetworkPolicy', metadata: { name, namespace: 'paged' } });
    try {
      for (let i = 0; i < 30; i++) await writer.create(type, make(`a${String(i).padStart(2, '0')}`));
      // Writes land before, between and after the list's pages, in the key range it reads.
      const writing = (async () => {
        for (let i = 0; i < 30; i++) await writer.create(type, make(`${i % 2 === 0 ? 'a' : 'z'}${String(i).padStart(2, '0')}x`));
      })();
      const { items, revision } = await ds.list({ ...type, namespace: 'paged' });
      await writing;
      const atRevision = await raw.getAll().prefix('/calico/resources/v3/projectcalico.org/networkpolicies/paged/').revision(revision).keys();
      assert.deepEqual(items.map((o) => o.metadata.name), atRevision.map((k) => k.split('/').pop()).sort());
      assert.ok(items.every((o) => Number(o.metadata.resourceVersion) <= Number(revision)));
      assert.equal((await ds.list({ ...type, namespace: 'paged' })).items.length, 60);
    } finally {
      raw.close();
      await writer.close();
      await ds.close();
    }
  });
});

describe('etcd: TLS with client certificates', { skip }, () => {
  let cluster: EtcdCluster | undefined;
  const c = (): EtcdCluster => {
    if (cluster === undefined) throw new Error('etcd not started');
    return cluster;
  };
  before(async () => {
    cluster = await startEtcd({ members: 1, tls: true });
  });
  after(async () => {
    await cluster?.stop();
  });

  runDatastoreConformance('etcd (TLS, client certificate)', harness(c, () => tlsFiles(c())));

  test('without a client certificate the server refuses: one clear error', async () => {
    const { caFile } = tlsFiles(c());
    await assert.rejects(openEtcdDatastore({ endpoints: c().endpoints, ...(caFile ? { caFile } : {}), timeoutMs: 2_000 }), (e: unknown) => {
      assert.ok(e instanceof UnavailableError, String(e));
      assert.ok(e.message.startsWith(`cannot reach etcd at ${c().endpoints[0] ?? ''}: TLS handshake failed`), e.message);
      assert.equal(e.message.includes('\n'), false);
      return true;
    });
  });

  test('a missing certificate file is named', async () => {
    await assert.rejects(
      openEtcdDatastore({ endpoints: c().endpoints, ...tlsFiles(c()), certFile: '/nonexistent/client.crt' }),
      /cannot read certFile \/nonexistent\/client\.crt/,
    );
  });
});

describe('etcd: 3-member cluster', { skip }, () => {
  let cluster: EtcdCluster | undefined;
  const c = (): EtcdCluster => {
    if (cluster === undefined) throw new Error('etcd not started');
    return cluster;
  };
  before(async () => {
    cluster = await startEtcd({ members: 3 });
  });
  after(async () => {
    await cluster?.stop();
  });

  runDatastoreConformance('etcd (3 members)', harness(c));

  // Runs last in this describe: it leaves one member dead.
  test('the leader SIGKILLed mid-run: writers carry on and no acknowledged write is lost', { timeout: 90_000 }, async (t) => {
    const endpoints = c().endpoints;
    const type = { group: 'projectcalico.org', plural: 'globalnetworksets' };
    const writers = 4;
    const perWriter = 60;
    const total = writers * perWriter;
    const acked = new Map<string, string>(); // name → resourceVersion the datastore acknowledged
    const landedUnacked = new Set<string>(); // outcome unknown, then AlreadyExists on retry: it had landed
    let unknownOutcomes = 0;
    const stores = await Promise.all(Array.from({ length: writers }, () => openEtcdDatastore({ endpoints, timeoutMs: 3_000 })));
    try {
      const run = async (w: number): Promise<void> => {
        const ds = stores[w];
        if (ds === undefined) throw new Error('no store');
        for (let i = 0; i < perWriter; i++) {
          const name = `w${w}-${i}`;
          const obj = { apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkSet', metadata: { name, labels: { w: String(w), i: String(i) } } };
          // The caller's bounded retry of a write whose outcome is unknown (UnavailableError).
          for (let attempt = 0; ; attempt++) {
            try {
              const made = await ds.create(type, obj);
              acked.set(name, made.metadata.resourceVersion ?? '');
              break;
            } catch (e) {
              if (e instanceof AlreadyExistsError && attempt > 0) {
                landedUnacked.add(name);
                break;
              }
              if (!(e instanceof UnavailableError || e instanceof UnknownOutcomeError) || attempt >= 50) throw e;
              unknownOutcomes++;
              await new Promise((r) => setTimeout(r, 50));
            }
          }
        }
      };
      const leader = await findLeader(c());
      const writing = Promise.all(Array.from({ length: writers }, (_, w) => run(w)));
      const t0 = Date.now();
      while (acked.size < total / 3 && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 2));
      await leader.kill('SIGKILL');
      assert.equal(leader.running, false);
      await writing;
      assert.equal(acked.size + landedUnacked.size, total, 'every write was eventually made');
      // Read back through the surviving members only: every acknowledged write is there, unchanged.
      const reader = await openEtcdDatastore({ endpoints: endpoints.filter((e) => e !== leader.clientUrl) });
      try {
        const { items } = await reader.list(type);
        const stored = new Map(items.map((o) => [o.metadata.name ?? '', o.metadata.resourceVersion ?? '']));
        for (const [name, rv] of acked) assert.equal(stored.get(name), rv, `acknowledged ${name}@${rv} is stored`);
        for (const name of landedUnacked) assert.ok(stored.has(name), `${name} is stored`);
        assert.equal(stored.size, total);
      } finally {
        await reader.close();
      }
      t.diagnostic(`leader killed after ${total / 3} acknowledged writes; ${unknownOutcomes} calls had an unknown outcome and were retried`);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});

describe('etcd: unreachable endpoints (no server needed)', () => {
  test('a closed port is one clear error naming the endpoint, quickly', async () => {
    const [port] = await freePorts(1);
    const endpoint = `http://127.0.0.1:${port ?? 1}`;
    const t0 = Date.now();
    await assert.rejects(openEtcdDatastore({ endpoints: [endpoint], timeoutMs: 2_000 }), (e: unknown) => {
      assert.ok(e instanceof UnavailableError, String(e));
      assert.equal(e.reason, 'Unavailable');
      assert.equal(e.message, `cannot reach etcd at ${endpoint}: connection refused`);
      assert.equal(e.message.includes('\n'), false);
      return true;
    });
    assert.ok(Date.now() - t0 < 5_000, `took ${Date.now() - t0} ms`);
  });

  test('a malformed endpoint is named', async () => {
    await assert.rejects(openEtcdDatastore({ endpoints: ['127.0.0.1:2379'] }), /cannot reach etcd at 127\.0\.0\.1:2379: endpoint must look like/);
    await assert.rejects(openEtcdDatastore({ endpoints: [] }), /no endpoints configured/);
  });
});
