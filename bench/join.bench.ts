/**
 * @module Joining and failover (issue 15 items 1-2), on a real etcd with two `runServer`s that
 * share a CA:
 * - join: `joinCluster` (cluster-info, CA pin, CSR, node certificate) — median of 5 nodes;
 * - failover: a node's watch over [A, B] while a writer creates one GlobalNetworkSet every 10 ms
 *   through B; A is stopped mid-stream. Per round (3 rounds, a fresh A each): the time from A's
 *   stop until the watch delivers the next event (from B), and the events lost (goal 0: every
 *   write must arrive exactly once, in order).
 */
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runServer, type RunningServer } from '../src/apiserver/main.js';
import { caCertHash } from '../src/apiserver/pki.js';
import { createBootstrapToken } from '../src/apiserver/bootstrap-tokens.js';
import { joinCluster } from '../src/cli/join.js';
import { kubeOptionsFor } from '../src/cli/datastore-config.js';
import { openEtcdDatastore, type StoredObject, type WatchEvent } from '../src/datastore/index.js';
import { openKubeDatastore } from '../src/datastore/kube/index.js';
import { startEtcd } from '../test/support/etcd.js';
import type { BenchResult } from './run.js';

const SETS = { group: 'projectcalico.org', plural: 'globalnetworksets' } as const;
const set = (name: string): StoredObject => ({ apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkSet', metadata: { name }, spec: { nets: ['198.18.0.0/24'] } }) as unknown as StoredObject;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function run(): Promise<BenchResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'tabby-bench-join-'));
  const etcd = await startEtcd();
  const stores = [await openEtcdDatastore({ endpoints: etcd.endpoints }), await openEtcdDatastore({ endpoints: etcd.endpoints })];
  const servers: RunningServer[] = [];
  const newServer = async (name: string, ds: (typeof stores)[number]): Promise<RunningServer> => {
    if (name !== 'a0') {
      await mkdir(join(dir, name, 'pki'), { recursive: true });
      for (const f of ['ca.crt', 'ca.key']) await copyFile(join(dir, 'a0', 'pki', f), join(dir, name, 'pki', f));
    }
    const s = await runServer({ dataDir: join(dir, name), port: 0, datastore: ds, uiDir: join(dir, 'no-ui') });
    servers.push(s);
    return s;
  };
  try {
    let a = await newServer('a0', stores[0]!);
    const b = await newServer('b', stores[1]!);
    const hash = caCertHash(a.caPem);
    const joins: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { token } = await createBootstrapToken(stores[0]!, `n${i}`, 3_600_000);
      const t0 = performance.now();
      await joinCluster({ servers: [a.url, b.url], node: `n${i}`, token, caCertHashes: [hash], stateDir: join(dir, `n${i}`) });
      joins.push(performance.now() - t0);
    }
    const writer = await openKubeDatastore({ server: b.url, token: b.adminToken, caPem: b.caPem });
    const gaps: number[] = [];
    let lost = 0;
    try {
      for (let round = 0; round < 3; round++) {
        if (round > 0) a = await newServer(`a${round}`, stores[0]!);
        const o = kubeOptionsFor({ kubeconfig: join(dir, 'n0', 'kubeconfig') });
        const ds = await openKubeDatastore({ ...o, server: a.url, servers: [b.url] });
        const ac = new AbortController();
        const got: { name: string; at: number }[] = [];
        const from = (await ds.list(SETS)).revision;
        const watching = (async () => {
          for await (const ev of ds.watch(SETS, from, ac.signal) as AsyncIterable<WatchEvent>) got.push({ name: ev.object.metadata.name ?? '', at: performance.now() });
        })();
        const names: string[] = [];
        let stoppedAt = 0;
        for (let i = 0; i < 100; i++) {
          const name = `r${round}-${String(i).padStart(3, '0')}`;
          await writer.create(SETS, set(name));
          names.push(name);
          if (i === 50) {
            await a.stop();
            stoppedAt = performance.now();
          }
          await new Promise((r) => setTimeout(r, 10));
        }
        const deadline = Date.now() + 20_000;
        while (got.length < names.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        ac.abort();
        await watching;
        await ds.close();
        const seen = got.map((g) => g.name);
        lost += names.filter((n) => !seen.includes(n)).length + Math.max(0, seen.length - new Set(seen).size);
        if (seen.join() !== names.join()) lost += seen.length === names.length ? 1 : 0; // out of order counts as a loss
        const next = got.find((g) => g.at > stoppedAt);
        gaps.push(next === undefined ? Number.NaN : next.at - stoppedAt);
      }
    } finally {
      await writer.close();
    }
    return [
      { name: 'join: cluster-info + CA pin + CSR → node certificate, median of 5 nodes', value: Number(median(joins).toFixed(1)), unit: 'ms', goal: 'informational' },
      { name: 'failover: API server A stopped under a node watch → next event delivered from B, worst of 3 rounds', value: Number(Math.max(...gaps).toFixed(1)), unit: 'ms', goal: '<= 5000' },
      { name: 'failover: events lost or repeated across 3 rounds × 100 writes (A stopped after 51)', value: lost, unit: 'events', goal: '<= 0' },
    ];
  } finally {
    for (const s of servers) await s.stop();
    for (const s of stores) await s.close();
    await etcd.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
