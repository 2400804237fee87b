/**
 * End to end, issue 12: a Tabby API server on a real etcd (started here on loopback) answers an
 * object over etcd's request limit with 413 at once, and `/readyz` and `/healthz` say not ready
 * while every etcd member is down (`/livez` stays ok: the process is alive).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runServer, type RunningServer } from '../../src/apiserver/main.js';
import { openEtcdDatastore, type Datastore } from '../../src/datastore/index.js';
import { etcdSkipReason, startEtcd, type EtcdCluster } from '../support/etcd.js';
import { required } from '../support/tools.js';

const skip = required(etcdSkipReason());
const GNS = '/apis/projectcalico.org/v3/globalnetworksets';

describe('API server on etcd: size limit and health', { skip }, () => {
  let dir = '';
  let etcd: EtcdCluster | undefined;
  let ds: Datastore | undefined;
  let s: RunningServer | undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tabby-etcd-health-'));
    etcd = await startEtcd({ members: 1 });
    ds = await openEtcdDatastore({ endpoints: etcd.endpoints, timeoutMs: 1_500 });
    s = await runServer({ dataDir: dir, port: 0, datastore: ds, uiDir: join(dir, 'no-ui') });
  });
  after(async () => {
    await s?.stop();
    await ds?.close();
    await etcd?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const call = async (method: string, path: string, body?: string): Promise<{ status: number; text: string }> => {
    const { request } = await import('node:https');
    return new Promise((ok, fail) => {
      const req = request(
        { host: '127.0.0.1', port: s!.port, path, method, ca: s!.caPem, headers: { authorization: `Bearer ${s!.adminToken}`, 'content-type': 'application/json' }, timeout: 30_000 },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => ok({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', fail);
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 30 s`)));
      req.end(body);
    });
  };

  test('an object over etcd\'s 1.5 MiB request limit (under the 3 MiB body limit) is 413, and nothing is stored', async () => {
    // A valid object of about 2 MiB: a network set of 130,000 /32s.
    const nets = Array.from({ length: 130_000 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`);
    const big = JSON.stringify({ apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkSet', metadata: { name: 'big' }, spec: { nets } });
    assert.ok(big.length > 1.6 * 1024 * 1024 && big.length < 3 * 1024 * 1024);
    const r = await call('POST', GNS, big);
    assert.equal(r.status, 413, r.text);
    const st = JSON.parse(r.text) as { reason: string; message: string };
    assert.equal(st.reason, 'RequestEntityTooLarge');
    assert.match(st.message, /request is too large/);
    assert.equal((await call('GET', `${GNS}/big`)).status, 404);
  });

  test('/readyz and /healthz follow etcd: ok while it runs, 503 with [-]etcd while every member is down; /livez stays ok', { timeout: 60_000 }, async () => {
    const ready = await call('GET', '/readyz?verbose');
    assert.equal(ready.status, 200, ready.text);
    assert.equal(ready.text, '[+]ping ok\n[+]etcd ok\nreadyz check passed\n');
    for (const m of etcd!.members) await m.kill('SIGKILL');
    const down = await call('GET', '/readyz?verbose');
    assert.equal(down.status, 503, down.text);
    assert.equal(down.text, '[+]ping ok\n[-]etcd failed: reason withheld\nreadyz check failed\n');
    assert.equal((await call('GET', '/healthz')).status, 503);
    const live = await call('GET', '/livez');
    assert.equal(live.status, 200);
    assert.equal(live.text, 'ok');
  });
});
