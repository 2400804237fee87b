/**
 * @module Child entry: one Tabby API server for the simulation — `runServer` (the code of
 * `tabby server`) on a free loopback port, on the embedded SQLite datastore in its data directory
 * or on the etcd endpoints given, with one bearer token per simulated node (RBAC rules from the
 * users file, as a ClusterRoleBinding would grant them). Reports `{type:'ready', url, caPem,
 * adminToken}` over IPC and stops on a `stop` message.
 *
 *   server-proc <dataDir> <usersFile> [etcd-endpoint,…]
 */
import { readFile } from 'node:fs/promises';
import { runServer } from '../apiserver/main.js';
import type { TokenUser } from '../apiserver/auth.js';
import { openEtcdDatastore, type Datastore } from '../datastore/index.js';

async function main(): Promise<void> {
  const [dataDir, usersFile, etcd] = process.argv.slice(2);
  if (dataDir === undefined || usersFile === undefined) throw new Error('usage: server-proc <dataDir> <usersFile> [etcd-endpoints]');
  const users = JSON.parse(await readFile(usersFile, 'utf8')) as TokenUser[];
  let datastore: Datastore | undefined;
  if (etcd !== undefined && etcd !== '') datastore = await openEtcdDatastore({ endpoints: etcd.split(','), timeoutMs: 30_000 });
  const s = await runServer({
    dataDir,
    port: 0,
    users,
    maxRequestBytes: 64 * 1024 * 1024,
    ...(datastore !== undefined ? { datastore } : {}),
    log: (l) => process.stderr.write(`${l}\n`),
  });
  process.send?.({ type: 'ready', url: s.url, caPem: s.caPem, adminToken: s.adminToken, pid: process.pid });
  await new Promise<void>((ok) => {
    process.on('message', (m: unknown) => {
      if (typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'stop') ok();
    });
    process.once('SIGTERM', () => ok());
    process.once('disconnect', () => ok());
  });
  await s.stop();
  await datastore?.close();
  process.exit(0);
}

main().catch((e: unknown) => {
  process.stderr.write(`sim server: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
