/**
 * @module `tabby agent --node <name> [--netns NS] [--config calicoctl.cfg] [--nflog-group N]`:
 * runs the per-node agent (see agent/main.ts) against the datastore the calicoctl config names
 * (embedded SQLite, etcd, or the Kubernetes API of a Tabby server), until SIGINT/SIGTERM.
 *
 * `tabby agent --node N --server URL[,URL…] --token T --ca-cert-hash sha256:…` joins a cluster
 * over the network instead (cli/join.ts: CA pinned by hash, the node's own client certificate
 * in `--state-dir`), registers the node's projectcalico.org Node, and then reads the API servers
 * with that credential, failing over between them in order. Later starts need only `--server`
 * (or nothing but the state directory's kubeconfig). `--token-file F` reads the token from a file
 * (a mounted Secret) instead of the command line, only when a join is needed.
 */
import { Command } from 'commander';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { runAgent } from '../../agent/main.js';
import { nodeRunner } from '../../sys/index.js';
import { loadCalicoctlConfig } from '../calicoctl/config.js';
import { openDatastoreFromConfig } from '../datastore-config.js';
import { DATA_DIR_DOC, resolveDataDir } from '../paths.js';
import { EXIT, collect, dataplaneOption, intOption, stringList, stringOpt, type CommandContext } from './context.js';
import { JoinError, joinCluster, joinedKubeconfig } from '../join.js';
import { kubeOptionsFor } from '../datastore-config.js';
import { AlreadyExistsError, type Datastore, type StoredObject } from '../../datastore/index.js';
import { DEFAULT_WATCH_IDLE_TIMEOUT_MS, openKubeDatastore, type KubeDatastoreOptions } from '../../datastore/kube/index.js';
import { isNodeName } from '../../apiserver/bootstrap-tokens.js';

/** Joins when STATEDIR holds no credential yet, then opens the API servers with the node's certificate and registers its Node. */
async function _joinedDatastore(
  node: string,
  servers: readonly string[],
  stateDir: string,
  readToken: () => Promise<string | undefined>,
  hashes: readonly string[],
  kube: Pick<KubeDatastoreOptions, 'watchIdleTimeoutMs' | 'log'>,
): Promise<Datastore> {
  let kc = await joinedKubeconfig(stateDir);
  if (kc === undefined) {
    if (servers.length === 0) throw new JoinError(`${stateDir} holds no credential: give --server, --token and --ca-cert-hash to join`);
    const token = await readToken();
    if (token === undefined || hashes.length === 0) throw new JoinError(`${stateDir} holds no credential yet: the first start needs --token and --ca-cert-hash (from tabby token create)`);
    kc = await joinCluster({ servers, node, token, caCertHashes: hashes, stateDir });
  }
  const o = { ...kubeOptionsFor({ kubeconfig: kc }), ...kube };
  const ds = await openKubeDatastore(servers.length > 0 ? { ...o, server: servers[0]!, servers: servers.slice(1) } : o);
  // register: the node's projectcalico.org Node (the agent's status reports update it later)
  try {
    await ds.create({ group: 'projectcalico.org', plural: 'nodes' }, { apiVersion: 'projectcalico.org/v3', kind: 'Node', metadata: { name: node }, spec: {} } as StoredObject);
  } catch (e) {
    if (!(e instanceof AlreadyExistsError)) {
      await ds.close();
      throw e;
    }
  }
  return ds;
}

/** The token in FILE: its first line, trimmed (a mounted Secret key, or a file made with tabby token create). Read only at the first join. */
async function _readTokenFile(file: string): Promise<string> {
  let text: string;
  try {
    const st = await stat(file);
    if (!st.isFile() || st.size > 4096) throw new JoinError(`--token-file ${file}: expected a small file holding one bootstrap token`);
    text = await readFile(file, 'utf8');
  } catch (e) {
    if (e instanceof JoinError) throw e;
    throw new JoinError(`--token-file ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : e instanceof Error ? e.message : String(e)}`);
  }
  const token = (text.split('\n')[0] ?? '').trim();
  if (token === '') throw new JoinError(`--token-file ${file} is empty`);
  return token;
}

export function agentCommand(ctx: CommandContext): Command {
  return new Command('agent')
    .description('program one node: watch the datastore and keep iptables and IP sets in line with policy')
    .requiredOption('--node <name>', 'the node this agent programs (its workloads and host endpoints)')
    .option('--netns <name>', 'run iptables and ipset inside this network namespace')
    .option('-c, --config <file>', 'calicoctl config naming the datastore (default /etc/calico/calicoctl.cfg, else the environment, else the running cluster of --data-dir)')
    .option('--data-dir <dir>', `the cluster to join without -c (default ${DATA_DIR_DOC})`)
    .option('--nflog-group <n>', 'log Log-rule packets with NFLOG to this group instead of LOG', intOption(0, 65535))
    .option('--flow-log-dir <dir>', 'flow logs: read the flow-log NFLOG groups 1/2 (ulogd2) and write FlowEvents to <dir>/flows-<node>.jsonl; the marks are rendered when FelixConfiguration sets flowLogsLocalReporter: Enabled')
    .option('--min-apply-interval <ms>', 'at least this long between applies', intOption(0, 60_000), 50)
    .option('--dataplane <kind>', 'iptables (iptables + ipset) or nft (native nftables, table ip tabby)', dataplaneOption, 'iptables')
    .option('--server <urls>', 'join and read the cluster through these API servers (comma-separated https:// URLs, failed over in order) instead of -c')
    .option('--token <token>', 'bootstrap token for the first join (tabby token create --node <name>)')
    .option('--token-file <file>', 'read the bootstrap token from this file instead (a mounted Secret; first line, surrounding blanks ignored)')
    .option('--ca-cert-hash <sha256:hex>', "the cluster CA's public key hash to pin at the first join (repeatable)", collect)
    .option('--state-dir <dir>', 'where the node keeps its key, certificate and kubeconfig (default <data dir>/agent/<node>)')
    .option(
      '--watch-idle-timeout <ms>',
      `Kubernetes datastore: a watch on a server that sends bookmarks (tabby server --watch-bookmark-interval) and that receives nothing for this long is a dead connection (a partition): it is dropped and resumed from its last revision on a fresh connection (default 0: off; ${DEFAULT_WATCH_IDLE_TIMEOUT_MS} suits the server's default bookmark interval)`,
      intOption(0, 3_600_000),
      0,
    )
    .action(async (opts: unknown) => {
      const o = opts as { nflogGroup?: number; minApplyInterval: number; dataplane: 'iptables' | 'nft'; watchIdleTimeout: number };
      const kube = {
        ...(o.watchIdleTimeout > 0 ? { watchIdleTimeoutMs: o.watchIdleTimeout } : {}),
        log: (line: string) => ctx.io.stderr(`${new Date().toISOString()} ${line}\n`),
      };
      const node = stringOpt(opts, 'node') ?? '';
      const servers = (stringOpt(opts, 'server') ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '');
      const stateDir = stringOpt(opts, 'stateDir');
      const tokenFile = stringOpt(opts, 'tokenFile');
      if (tokenFile !== undefined && stringOpt(opts, 'token') !== undefined) {
        ctx.io.stderr('tabby agent: give --token or --token-file, not both\n');
        ctx.exit(EXIT.usage);
        return;
      }
      if (servers.length > 0 || stateDir !== undefined || stringOpt(opts, 'token') !== undefined || tokenFile !== undefined) {
        if (!isNodeName(node)) {
          ctx.io.stderr(`tabby agent: --node ${JSON.stringify(node)} is not a valid node name (a DNS-1123 subdomain)\n`);
          ctx.exit(EXIT.usage);
          return;
        }
        let datastore: Datastore;
        try {
          const dir = stateDir ?? join(resolveDataDir(stringOpt(opts, 'dataDir'), ctx.io.env), 'agent', node);
          const token = tokenFile !== undefined ? () => _readTokenFile(tokenFile) : async () => stringOpt(opts, 'token');
          datastore = await _joinedDatastore(node, servers, dir, token, stringList(opts, 'caCertHash'), kube);
        } catch (e) {
          ctx.io.stderr(`tabby agent: ${e instanceof Error ? e.message : String(e)}\n`);
          ctx.exit(EXIT.failed);
          return;
        }
        await _run(ctx, opts, o, node, datastore);
        return;
      }
      const cfg = await loadCalicoctlConfig(ctx.io, stringOpt(opts, 'config'), { dataDir: stringOpt(opts, 'dataDir') });
      if (!cfg.ok || cfg.value.missing !== undefined) {
        ctx.io.stderr(`Failed to create Calico API client: ${cfg.ok ? cfg.value.missing : cfg.error}\n`);
        ctx.exit(EXIT.failed);
        return;
      }
      if (cfg.value.note !== undefined) ctx.io.stderr(`tabby agent: ${cfg.value.note}\n`);
      let datastore;
      try {
        datastore = await openDatastoreFromConfig(cfg.value.spec, { env: ctx.io.env, kube });
      } catch (e) {
        ctx.io.stderr(`${e instanceof Error ? e.message : String(e)}\n`);
        ctx.exit(EXIT.failed);
        return;
      }
      await _run(ctx, opts, o, node, datastore);
    });
}

async function _run(ctx: CommandContext, opts: unknown, o: { nflogGroup?: number; minApplyInterval: number; dataplane: 'iptables' | 'nft' }, node: string, datastore: Datastore): Promise<void> {
  const netns = stringOpt(opts, 'netns');
  const agent = runAgent({
    node,
    datastore,
    runner: nodeRunner,
    ...(netns !== undefined ? { netns } : {}),
    ...(o.nflogGroup !== undefined ? { nflogGroup: o.nflogGroup } : {}),
    ...(stringOpt(opts, 'flowLogDir') !== undefined ? { flowLogDir: stringOpt(opts, 'flowLogDir')! } : {}),
    minApplyIntervalMs: o.minApplyInterval,
    dataplane: o.dataplane,
    log: (line) => ctx.io.stderr(`${new Date().toISOString()} ${line}\n`),
  });
  ctx.io.stderr(`tabby agent for node ${node}${netns !== undefined ? ` (netns ${netns})` : ''} on ${datastore.description}\n`);
  const sig = await ctx.io.waitForShutdown();
  ctx.io.stderr(`${sig}: stopping\n`);
  await agent.stop();
  await datastore.close();
  ctx.exit(EXIT.ok);
}
