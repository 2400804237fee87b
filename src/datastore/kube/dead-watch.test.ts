/**
 * Dead-watch detection (kube-datastore.ts `watchIdleTimeoutMs`) against a real Tabby API server
 * (in-process, HTTPS on a free loopback port) reached through a TCP proxy in this process that
 * can cut the path. A cut stalls every connection open at the time for good — their bytes are
 * held, never delivered: what a partition leaves behind once TCP's retransmission backoff has
 * grown past the partition's length — and holds the bytes of connections made during it until
 * the heal. The watch must notice the silence (the server sends bookmarks when idle), drop its
 * connection and resume on a fresh one from its last revision: the change made during the cut
 * arrives after the heal, with no event lost or repeated — straight to the server, and through the
 * fan-out tier. Without the option the watch stays on its dead connection and the change never
 * arrives (the first two tests then fail).
 *
 * Then a server on its way out (an API server killed under the agents): it ends its watches
 * cleanly and still accepts connections it never answers. A resilient watch resumes on the next
 * server after a clean end (not on the same one), and gives up on a server that accepted but sends
 * no response headers within WATCH_HEADER_TIMEOUT_MS (1.5 s), not the request timeout (5 s).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type ServerResponse } from 'node:http';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runServer, type RunningServer } from '../../apiserver/main.js';
import type { WatchEvent } from '../datastore.js';
import { KubeDatastore } from './kube-datastore.js';
import { runFanout } from '../../fanout/server.js';
import { fanoutTypes } from '../../cli/commands/server.js';

const GNP = { group: 'projectcalico.org', plural: 'globalnetworkpolicies' };
const gnp = (name: string) => ({ apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name }, spec: { order: 1, selector: 'all()' } });

/** A TCP proxy to `port` whose path can be cut (`cut()`) and healed (`heal()`). */
async function cuttableProxy(port: number): Promise<{ url: string; cut(): void; heal(): void; connections: () => number; close(): Promise<void> }> {
  interface Conn {
    readonly a: Socket;
    readonly b: Socket;
    /** dead: cut while open, stalled for good; held: made during a cut, its bytes wait for the heal. */
    state: 'live' | 'dead' | 'held';
    readonly held: [Socket, Buffer][];
  }
  const conns = new Set<Conn>();
  let cutNow = false;
  let made = 0;
  const server: Server = createServer((a) => {
    made++;
    const b = createConnection({ port, host: '127.0.0.1' });
    const c: Conn = { a, b, state: cutNow ? 'held' : 'live', held: [] };
    conns.add(c);
    const pipe = (from: Socket, to: Socket): void => {
      from.on('data', (d: Buffer) => {
        if (c.state === 'live') to.write(d);
        else if (c.state === 'held') c.held.push([to, d]);
      });
      from.on('error', () => undefined);
      from.on('close', () => {
        conns.delete(c);
        to.destroy();
      });
    };
    pipe(a, b);
    pipe(b, a);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cut: () => {
      cutNow = true;
      for (const c of conns) c.state = 'dead';
    },
    heal: () => {
      cutNow = false;
      for (const c of conns)
        if (c.state === 'held') {
          c.state = 'live';
          for (const [to, d] of c.held.splice(0)) to.write(d);
        }
    },
    connections: () => made,
    close: () =>
      new Promise<void>((ok) => {
        for (const c of conns) {
          c.a.destroy();
          c.b.destroy();
        }
        server.close(() => ok());
      }),
  };
}

async function until(what: string, ms: number, ok: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('a watch on a dead connection', () => {
  let dir = '';
  let server: RunningServer | undefined;
  let direct: KubeDatastore | undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tabby-dead-watch-'));
    server = await runServer({ dataDir: join(dir, 'data'), port: 0, bookmarkIntervalMs: 100 });
    direct = new KubeDatastore({ server: server.url, token: server.adminToken, caPem: server.caPem });
  });
  after(async () => {
    await direct?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Watches through a cuttable proxy in front of `target`; cuts, changes, heals, and checks what arrived. */
  const cutAndHeal = async (target: string): Promise<void> => {
    const proxy = await cuttableProxy(Number(new URL(target).port));
    const ds = new KubeDatastore({ server: proxy.url, token: server!.adminToken, caPem: server!.caPem, timeoutMs: 1_000, watchIdleTimeoutMs: 500 });
    const ac = new AbortController();
    const seen: WatchEvent[] = [];
    const names = ['before-cut', 'during-cut', 'after-heal'].map((n) => `${n}-${new URL(target).port}`);
    try {
      const { revision } = await ds.list(GNP);
      const watching = (async () => {
        for await (const ev of ds.watch(GNP, revision, ac.signal)) seen.push(ev);
      })();
      await direct!.create(GNP, gnp(names[0]!));
      await until('the first change', 5_000, () => seen.length === 1);
      // a bookmark has shown the server heartbeats (100 ms idle interval)
      await new Promise((r) => setTimeout(r, 300));
      proxy.cut();
      await direct!.create(GNP, gnp(names[1]!));
      await new Promise((r) => setTimeout(r, 1_000));
      assert.equal(seen.length, 1, 'nothing arrives while the path is cut');
      assert.ok(ds.watchStats.idle >= 1, 'the silent connection was dropped during the cut');
      proxy.heal();
      await until('the change made during the cut, after the heal', 5_000, () => seen.length >= 2);
      await direct!.create(GNP, gnp(names[2]!));
      await until('a later change', 5_000, () => seen.length >= 3);
      assert.deepEqual(
        seen.map((e) => `${e.type} ${e.object.metadata.name}`),
        names.map((n) => `ADDED ${n}`),
        'resumed from the last revision: nothing lost, nothing repeated',
      );
      ac.abort();
      await watching;
    } finally {
      ac.abort();
      await ds.close();
      await proxy.close();
      for (const n of names) await direct!.delete({ ...GNP, namespace: '', name: n }).catch(() => undefined);
    }
  };

  test('is dropped once silent, and resumes from its last revision on a fresh connection after the heal', () => cutAndHeal(server!.url));

  test('the same through the fan-out tier, which sends bookmarks too', async () => {
    const pki = join(dir, 'data', 'pki');
    const fan = await runFanout({
      urls: [server!.url],
      token: server!.readOnlyToken,
      caPem: server!.caPem,
      certPem: await readFile(join(pki, 'server.crt'), 'utf8'),
      keyPem: await readFile(join(pki, 'server.key'), 'utf8'),
      port: 0,
      types: fanoutTypes(),
      bookmarkIntervalMs: 100,
    });
    try {
      await fan.ready;
      await cutAndHeal(fan.url);
    } finally {
      await fan.stop();
    }
  });

  /** An HTTP server that never answers (accepts, reads, holds): counts the requests it got. */
  async function exitingServer(first?: (res: ServerResponse) => void): Promise<{ url: string; requests: () => number; close(): Promise<void> }> {
    let n = 0;
    const held: ServerResponse[] = [];
    const srv = createHttpServer((_req, res) => {
      n++;
      if (n === 1 && first !== undefined) first(res);
      else held.push(res);
    });
    await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
    return {
      url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`,
      requests: () => n,
      close: () =>
        new Promise<void>((ok) => {
          for (const r of held) r.destroy();
          srv.closeAllConnections();
          srv.close(() => ok());
        }),
    };
  }

  test('after a server ends a watch cleanly, the watch resumes on the next server, not the same one', async () => {
    const created = await direct!.create(GNP, gnp('exit-a'));
    // the exiting server delivers that event (same object, same revision) and ends the watch cleanly
    const exiting = await exitingServer((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`${JSON.stringify({ type: 'ADDED', object: created })}\n`);
      setTimeout(() => res.end(), 50);
    });
    const ds = new KubeDatastore({ server: exiting.url, servers: [server!.url], token: server!.adminToken, caPem: server!.caPem, watchIdleTimeoutMs: 500 });
    const ac = new AbortController();
    const seen: string[] = [];
    try {
      const from = String(BigInt(created.metadata.resourceVersion!) - 1n);
      const watching = (async () => {
        for await (const ev of ds.watch(GNP, from, ac.signal)) seen.push(`${ev.type} ${ev.object.metadata.name}`);
      })();
      await until('the exiting server\'s event', 5_000, () => seen.length === 1);
      await direct!.create(GNP, gnp('exit-b'));
      await until('the next change, from the other server', 5_000, () => seen.length >= 2);
      assert.deepEqual(seen, ['ADDED exit-a', 'ADDED exit-b'], 'resumed from the last revision: nothing lost, nothing repeated');
      assert.equal(exiting.requests(), 1, 'no second watch request to the server that ended the watch');
      ac.abort();
      await watching;
    } finally {
      ac.abort();
      await ds.close();
      await exiting.close();
      for (const n of ['exit-a', 'exit-b']) await direct!.delete({ ...GNP, namespace: '', name: n }).catch(() => undefined);
    }
  });

  test('a server that accepts a watch and never answers is left after the header bound, not the request timeout', async () => {
    const silent = await exitingServer();
    const lines: string[] = [];
    const ds = new KubeDatastore({ server: silent.url, servers: [server!.url], token: server!.adminToken, caPem: server!.caPem, watchIdleTimeoutMs: 500, log: (l) => lines.push(l) });
    const ac = new AbortController();
    const seen: string[] = [];
    try {
      const { revision } = await direct!.list(GNP);
      const watching = (async () => {
        for await (const ev of ds.watch(GNP, revision, ac.signal)) seen.push(`${ev.type} ${ev.object.metadata.name}`);
      })();
      await direct!.create(GNP, gnp('silent-a'));
      // the default request timeout is 5 s; the header bound is 1.5 s
      await until('the change, from the server that answers', 4_000, () => seen.length >= 1);
      assert.deepEqual(seen, ['ADDED silent-a']);
      assert.equal(silent.requests(), 1);
      assert.ok(lines.some((l) => l.includes(`${silent.url}: no response headers within 1.5s`)), lines.join('\n'));
      ac.abort();
      await watching;
    } finally {
      ac.abort();
      await ds.close();
      await silent.close();
      await direct!.delete({ ...GNP, namespace: '', name: 'silent-a' }).catch(() => undefined);
    }
  });

  test('a server that sends no bookmarks in time is never held to the idle timeout', async () => {
    const quiet = await runServer({ dataDir: join(dir, 'quiet'), port: 0, bookmarkIntervalMs: 60_000 });
    const ds = new KubeDatastore({ server: quiet.url, token: quiet.adminToken, caPem: quiet.caPem, watchIdleTimeoutMs: 200 });
    const ac = new AbortController();
    try {
      const { revision } = await ds.list(GNP);
      const watching = (async () => {
        for await (const _ of ds.watch(GNP, revision, ac.signal)) void _;
      })();
      await new Promise((r) => setTimeout(r, 1_000));
      assert.equal(ds.watchStats.idle, 0, 'a quiet watch on a server without frequent bookmarks is left open');
      assert.equal(ds.watchStats.resumed, 0);
      ac.abort();
      await watching;
    } finally {
      ac.abort();
      await ds.close();
      await quiet.stop();
    }
  });
});
