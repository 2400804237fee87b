/**
 * @module `tabby token create --node N [--ttl 24h] [--description TEXT]`, `tabby token list`,
 * `tabby token delete ID`: bootstrap tokens for nodes joining the cluster (kubeadm's
 * `kubeadm token`; apiserver/bootstrap-tokens.ts). They live in the cluster's datastore, found
 * as `tabby server` finds it: `--etcd-endpoints` (with the TLS files), `-c calicoctl.cfg`, the
 * calicoctl environment, else DIR/tabby.db. `create` prints the token, the CA's public key
 * hash to pin (`sha256:…` of DIR/pki/ca.crt) and the `tabby agent` command that joins.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { createBootstrapToken, deleteBootstrapToken, isNodeName, listBootstrapTokens, parseDuration } from '../../apiserver/bootstrap-tokens.js';
import { caCertHash } from '../../apiserver/pki.js';
import { openSqliteDatastore, type Datastore } from '../../datastore/index.js';
import type { Io } from '../io.js';
import { resolveDataDir } from '../paths.js';
import { EXIT, stringOpt, type CommandContext } from './context.js';
import { _etcdFlagsDatastore, _serverDatastore } from './server.js';

function _ttl(v: string): number {
  const ms = parseDuration(v);
  if (ms === undefined) throw new InvalidArgumentError('must be a duration such as 24h, 90m or 1h30m');
  if (ms > 365 * 86_400_000) throw new InvalidArgumentError('may be at most a year (8760h)');
  return ms;
}

function _withDatastoreOptions(c: Command): Command {
  return c
    .option('--data-dir <dir>', "the cluster's data directory (its CA, and its datastore unless one is named below)")
    .option('--etcd-endpoints <urls>', 'the etcd cluster the servers store into (comma-separated client URLs)')
    .option('--etcd-cafile <file>', 'CA bundle of the etcd servers (PEM)')
    .option('--etcd-certfile <file>', 'client certificate for etcd (PEM)')
    .option('--etcd-keyfile <file>', 'client private key for etcd (PEM)')
    .option('-c, --config <file>', 'calicoctl config naming the datastore (etcdv3 or embedded)');
}

async function _open(io: Io, opts: unknown, dataDir: string): Promise<Datastore> {
  const etcd = await _etcdFlagsDatastore(io, {
    endpoints: stringOpt(opts, 'etcdEndpoints'),
    caFile: stringOpt(opts, 'etcdCafile'),
    certFile: stringOpt(opts, 'etcdCertfile'),
    keyFile: stringOpt(opts, 'etcdKeyfile'),
  });
  return etcd ?? (await _serverDatastore(io, stringOpt(opts, 'config'))) ?? (await openSqliteDatastore(join(dataDir, 'tabby.db')));
}

/** Runs FN with the datastore; one line on stderr and exit 1 for any failure. */
async function _with(ctx: CommandContext, opts: unknown, fn: (ds: Datastore, dataDir: string) => Promise<number>): Promise<void> {
  const dataDir = resolveDataDir(stringOpt(opts, 'dataDir'), ctx.io.env);
  let ds: Datastore | undefined;
  try {
    ds = await _open(ctx.io, opts, dataDir);
    ctx.exit(await fn(ds, dataDir));
  } catch (e) {
    ctx.io.stderr(`tabby token: ${e instanceof Error ? e.message : String(e)}\n`);
    ctx.exit(EXIT.failed);
  } finally {
    await ds?.close();
  }
}

export function tokenCommand(ctx: CommandContext): Command {
  const create = _withDatastoreOptions(
    new Command('create')
      .description('make a bootstrap token for one node; prints it, the CA hash to pin and the join command')
      .requiredOption('--node <name>', 'the only node that may join with it')
      .option('--ttl <duration>', 'how long it may be used (24h, 90m, 1h30m)', _ttl, 86_400_000)
      .option('--description <text>', 'a note shown by tabby token list'),
  ).action(async (opts: unknown) => {
    const node = stringOpt(opts, 'node') ?? '';
    if (!isNodeName(node)) {
      ctx.io.stderr(`tabby token: --node ${JSON.stringify(node)} is not a valid node name (a DNS-1123 subdomain)\n`);
      ctx.exit(EXIT.usage);
      return;
    }
    await _with(ctx, opts, async (ds, dataDir) => {
      let caPem: string;
      try {
        caPem = await readFile(join(dataDir, 'pki', 'ca.crt'), 'utf8');
      } catch {
        throw new Error(`${join(dataDir, 'pki', 'ca.crt')} is missing: start tabby server --data-dir ${dataDir} once first`);
      }
      const hash = caCertHash(caPem);
      const { token, info } = await createBootstrapToken(ds, node, (opts as { ttl: number }).ttl, new Date(), stringOpt(opts, 'description') ?? '');
      let server: string | undefined;
      try {
        server = /^\s*server: (\S+)$/m.exec(await readFile(join(dataDir, 'admin.kubeconfig'), 'utf8'))?.[1];
      } catch {
        server = undefined;
      }
      ctx.io.stdout(`token: ${token}\nnode: ${node}\nexpires: ${info.expires.toISOString()}\nca-cert-hash: ${hash}\n`);
      if (server !== undefined) ctx.io.stdout(`join: tabby agent --node ${node} --server ${server} --token ${token} --ca-cert-hash ${hash}\n`);
      return EXIT.ok;
    });
  });
  const list = _withDatastoreOptions(new Command('list').description('list bootstrap tokens (ids only: secrets are stored hashed)')).action(async (opts: unknown) => {
    await _with(ctx, opts, async (ds) => {
      const now = Date.now();
      const rows = (await listBootstrapTokens(ds)).map((t) => [t.id, t.node, t.expires.toISOString(), t.expires.getTime() > now ? 'valid' : 'expired', t.description]);
      const all = [['ID', 'NODE', 'EXPIRES', 'STATE', 'DESCRIPTION'], ...rows];
      const widths = all[0]!.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
      for (const r of all) ctx.io.stdout(`${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('').trimEnd()}\n`);
      return EXIT.ok;
    });
  });
  const del = _withDatastoreOptions(new Command('delete').description('delete a bootstrap token (by id or whole token)').argument('<id>', 'the token id (the part before the dot) or the token')).action(
    async (id: string, opts: unknown) => {
      await _with(ctx, opts, async (ds) => {
        if (await deleteBootstrapToken(ds, id)) {
          ctx.io.stdout(`bootstrap token "${id.split('.')[0]}" deleted\n`);
          return EXIT.ok;
        }
        ctx.io.stderr(`tabby token: bootstrap token "${id.split('.')[0]}" not found\n`);
        return EXIT.failed;
      });
    },
  );
  return new Command('token').description('bootstrap tokens for nodes joining the cluster (create, list, delete)').addCommand(create).addCommand(list).addCommand(del);
}
