/**
 * @module Child entry: one fan-out server (`tabby server --role fanout`, src/fanout) in front of
 * a simulation's API server, using that server's data directory (its CA, serving certificate and
 * read-only token, as the fan-out role reads them) and caching the kinds the agents read.
 * Reports `{type:'ready', url, pid}` over IPC; stops on a `stop` message.
 *
 *   fanout-proc <serverDataDir> <upstreamUrl>
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ENGINE_KINDS } from '../agent/syncer.js';
import { runFanout } from '../fanout/server.js';
import type { CachedType } from '../fanout/cache.js';
import { kindFor } from '../model/kinds.js';

async function main(): Promise<void> {
  const [dataDir, upstream] = process.argv.slice(2);
  if (dataDir === undefined || upstream === undefined) throw new Error('usage: fanout-proc <serverDataDir> <upstreamUrl>');
  const read = (name: string): Promise<string> => readFile(join(dataDir, name), 'utf8');
  const [caPem, certPem, keyPem, tokens] = await Promise.all([read('pki/ca.crt'), read('pki/server.crt'), read('pki/server.key'), read('tokens')]);
  const types: CachedType[] = [];
  for (const [apiVersion, kind] of ENGINE_KINDS) {
    const k = kindFor(apiVersion, kind);
    if (k !== undefined) types.push({ group: k.group, version: k.version, plural: k.plural, namespaced: k.namespaced });
  }
  const f = await runFanout({
    urls: [upstream],
    token: (JSON.parse(tokens) as { readOnly: string }).readOnly,
    caPem,
    certPem,
    keyPem,
    port: 0,
    types,
    log: (l) => process.stderr.write(`${l}\n`),
  });
  await f.ready;
  process.send?.({ type: 'ready', url: f.url, pid: process.pid });
  await new Promise<void>((ok) => {
    process.on('message', (m: unknown) => {
      if (typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'stop') ok();
    });
    process.once('SIGTERM', () => ok());
    process.once('disconnect', () => ok());
  });
  await f.stop();
  process.exit(0);
}

main().catch((e: unknown) => {
  process.stderr.write(`sim fanout: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
