/**
 * @module `tabby server [--data-dir DIR] [--port N] [--bind ADDR] [--advertise-address ADDR]
 * [--tls-san NAME|IP …] [--etcd-endpoints URLS [--etcd-cafile F --etcd-certfile F --etcd-keyfile F]]
 * [-c calicoctl.cfg]`: the Kubernetes-compatible API server. It listens on `--bind` (default
 * 127.0.0.1; `--host` is its older name, still accepted) and tells clients to use
 * `--advertise-address`; the serving certificate names both, every `--tls-san`, 127.0.0.1, ::1
 * and localhost (pki.ts issues it again, by the same CA, when a name is added). Its datastore is
 * the embedded one in DIR (default: see paths.ts) unless `--etcd-endpoints` or a calicoctl
 * config names another: `--config FILE`, or the calicoctl environment
 * (`DATASTORE_TYPE`/`ETCD_ENDPOINTS`/`EMBEDDED_PATH`, also as `CALICO_<NAME>`). On etcd several
 * servers may run side by side and serve the same state. `kubernetes` is refused:
 * the server *is* the Kubernetes API, it cannot store into one. Writes DIR/admin.kubeconfig and
 * DIR/calicoctl.cfg, prints how to use them, and runs until SIGINT/SIGTERM.
 *
 * `KUBECONFIG` alone does not choose the datastore here (unlike calicoctl): the server tells its
 * users to export KUBECONFIG pointing at itself, and a restart must not then refuse to start.
 *
 * `--role fanout --upstream URL[,URL…]` runs the Typha-like fan-out tier instead (src/fanout):
 * one watch per agent kind on the upstream, the agents' lists and watches served from its cache.
 * It uses the cluster's data directory as it is (DIR/pki for its serving certificate, so agents
 * keep trusting the same CA; DIR/tokens' read-only token for its own upstream watches) and writes
 * DIR/fanout.kubeconfig and DIR/fanout-calicoctl.cfg pointing at itself for the agents.
 */
import { isIP } from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { calicoctlConfig, kubeconfig, runServer } from '../../apiserver/main.js';
import { ENGINE_KINDS } from '../../agent/syncer.js';
import { runFanout } from '../../fanout/server.js';
import type { CachedType } from '../../fanout/cache.js';
import { kindFor } from '../../model/kinds.js';
import { sanOf } from '../../apiserver/pki.js';
import { startWorkloadControllers } from '../../controllers/index.js';
import type { Datastore } from '../../datastore/index.js';
import { loadCalicoctlConfig } from '../calicoctl/config.js';
import { openDatastoreFromConfig } from '../datastore-config.js';
import type { Io } from '../io.js';
import { resolveDataDir } from '../paths.js';
import { EXIT, collect, intOption, stringList, stringOpt, type CommandContext } from './context.js';
import { DEFAULT_BOOKMARK_INTERVAL_MS } from '../../apiserver/app.js';

export function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
}

/** Environment variables that make the server use the calicoctl configuration. */
const _SELECTING_ENV = ['DATASTORE_TYPE', 'ETCD_ENDPOINTS', 'EMBEDDED_PATH'].flatMap((n) => [n, `CALICO_${n}`]);

/**
 * The datastore a calicoctl config names, or undefined for runServer's default (SQLite in the
 * data directory). Throws an Error with a one-line message when it cannot be used.
 */
export async function _serverDatastore(io: Io, configPath: string | undefined): Promise<Datastore | undefined> {
  if (configPath === undefined && !_SELECTING_ENV.some((n) => (io.env[n] ?? '') !== '')) return undefined;
  const cfg = await loadCalicoctlConfig(io, configPath);
  if (!cfg.ok) throw new Error(`invalid datastore configuration: ${cfg.error}`);
  const spec = cfg.value.spec;
  const type = spec.datastoreType ?? 'embedded';
  if (type === 'kubernetes') {
    throw new Error(
      `datastoreType kubernetes is not supported by tabby server (${cfg.value.file ?? 'environment'}): the server is itself a Kubernetes API; use etcdv3 or embedded`,
    );
  }
  if (type === 'embedded' && (spec.embeddedPath ?? '') === '') return undefined;
  return openDatastoreFromConfig(spec, { env: io.env });
}

/** `--etcd-*` flags: the etcd cluster to store into (calicoctl's etcdEndpoints and the three TLS files). */
export interface EtcdFlags {
  readonly endpoints?: string | undefined;
  readonly caFile?: string | undefined;
  readonly certFile?: string | undefined;
  readonly keyFile?: string | undefined;
}

/** The etcd datastore the `--etcd-*` flags name, or undefined without `--etcd-endpoints`; throws an Error with one line when they cannot be used. */
export async function _etcdFlagsDatastore(io: Io, f: EtcdFlags): Promise<Datastore | undefined> {
  if (f.endpoints === undefined) {
    const stray = [f.caFile && '--etcd-cafile', f.certFile && '--etcd-certfile', f.keyFile && '--etcd-keyfile'].filter((x) => typeof x === 'string' && x !== '');
    if (stray.length > 0) throw new Error(`${stray.join(', ')} need --etcd-endpoints`);
    return undefined;
  }
  if ((f.certFile === undefined) !== (f.keyFile === undefined)) throw new Error('--etcd-certfile and --etcd-keyfile must be given together');
  return openDatastoreFromConfig(
    {
      datastoreType: 'etcdv3',
      etcdEndpoints: f.endpoints,
      ...(f.caFile !== undefined ? { etcdCACertFile: f.caFile } : {}),
      ...(f.certFile !== undefined ? { etcdCertFile: f.certFile } : {}),
      ...(f.keyFile !== undefined ? { etcdKeyFile: f.keyFile } : {}),
    },
    { env: io.env },
  );
}

/** `--advertise-address`: an IP address, as kube-apiserver's. */
export function parseAdvertiseAddress(v: string): string {
  if (isIP(v) === 0) throw new InvalidArgumentError('must be an IP address');
  return v;
}

/** `--tls-san`: one or more IP addresses or DNS names, comma-separated, repeatable. */
export function parseTlsSan(v: string, previous: string[] | undefined): string[] {
  let out = previous ?? [];
  for (const part of v.split(',').map((x) => x.trim()).filter((x) => x !== '')) {
    try {
      out = collect(sanOf(part), out);
    } catch (e) {
      throw new InvalidArgumentError(e instanceof Error ? e.message : String(e));
    }
  }
  return out;
}

/** `--max-request-bytes`: a positive whole number of bytes (at least 1 KiB, at most 1 GiB). */
export function parseByteLimit(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1024 || n > 1024 ** 3) throw new InvalidArgumentError('must be a number of bytes between 1024 and 1073741824');
  return n;
}

/** The kinds the agents list and watch, as the fan-out caches them. */
export function fanoutTypes(): CachedType[] {
  const out: CachedType[] = [];
  for (const [apiVersion, kind] of ENGINE_KINDS) {
    const k = kindFor(apiVersion, kind);
    if (k !== undefined) out.push({ group: k.group, version: k.version, plural: k.plural, namespaced: k.namespaced });
  }
  return out;
}

/** `--upstream`: one or more https:// (or http://) URLs, comma-separated. */
export function parseUpstreams(v: string): string[] {
  const urls = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (urls.length === 0) throw new InvalidArgumentError('must name at least one API server URL, such as https://127.0.0.1:6443');
  for (const u of urls) {
    let url: URL;
    try {
      url = new URL(u);
    } catch {
      throw new InvalidArgumentError(`${JSON.stringify(u)} is not a URL (expected https://host:port)`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new InvalidArgumentError(`${JSON.stringify(u)}: the scheme must be https or http`);
    if (url.pathname !== '/' || url.search !== '' || url.username !== '') throw new InvalidArgumentError(`${JSON.stringify(u)}: give the server only (scheme, host and port)`);
  }
  return urls;
}

async function _readCluster(dataDir: string): Promise<{ caPem: string; certPem: string; keyPem: string; token: string; admin: string }> {
  const read = async (name: string): Promise<string> => {
    try {
      return await readFile(join(dataDir, name), 'utf8');
    } catch {
      throw new Error(`${join(dataDir, name)} is missing: --role fanout runs beside a cluster's data directory (start \`tabby server --data-dir ${dataDir}\` once, or copy its pki/ and tokens here)`);
    }
  };
  const [caPem, certPem, keyPem, tokensText] = await Promise.all([read('pki/ca.crt'), read('pki/server.crt'), read('pki/server.key'), read('tokens')]);
  let tokens: unknown;
  try {
    tokens = JSON.parse(tokensText);
  } catch {
    tokens = undefined;
  }
  const t = (typeof tokens === 'object' && tokens !== null ? tokens : {}) as Record<string, unknown>;
  if (typeof t['readOnly'] !== 'string' || typeof t['admin'] !== 'string') throw new Error(`${join(dataDir, 'tokens')}: expected {"admin": "...", "readOnly": "..."}`);
  return { caPem, certPem, keyPem, token: t['readOnly'], admin: t['admin'] };
}

async function _runFanoutRole(ctx: CommandContext, dataDir: string, host: string, port: number, upstream: readonly string[], bookmarkIntervalMs: number): Promise<void> {
  let cluster;
  try {
    cluster = await _readCluster(dataDir);
  } catch (e) {
    ctx.io.stderr(`tabby server --role fanout: ${e instanceof Error ? e.message : String(e)}\n`);
    ctx.exit(EXIT.failed);
    return;
  }
  const f = await runFanout({
    urls: upstream,
    token: cluster.token,
    caPem: cluster.caPem,
    certPem: cluster.certPem,
    keyPem: cluster.keyPem,
    // agents that joined with a bootstrap token present node certificates of the cluster CA
    clientCerts: { caPem: cluster.caPem, token: cluster.admin },
    host,
    port,
    types: fanoutTypes(),
    bookmarkIntervalMs,
    log: (line) => ctx.io.stderr(`${new Date().toISOString()} ${line}\n`),
  });
  const kubeconfigPath = join(dataDir, 'fanout.kubeconfig');
  const cfgPath = join(dataDir, 'fanout-calicoctl.cfg');
  await writeFile(kubeconfigPath, kubeconfig(f.url, cluster.caPem, 'tabby-admin', cluster.admin), { mode: 0o600 });
  await writeFile(cfgPath, calicoctlConfig(kubeconfigPath), { mode: 0o600 });
  ctx.io.stdout(
    `Tabby fan-out server listening on ${f.url} (upstream: ${upstream.join(', ')})\n` +
      `  agents: tabby agent --node <name> -c ${cfgPath}\n`,
  );
  const sig = await ctx.io.waitForShutdown();
  ctx.io.stderr(`${sig}: stopping\n`);
  await f.stop();
  ctx.exit(EXIT.ok);
}

export function serverCommand(ctx: CommandContext): Command {
  return new Command('server')
    .description('run the Kubernetes-compatible API server (kubectl and calicoctl talk to it)')
    .option('--data-dir <dir>', 'where the datastore, certificates, tokens and configs live')
    .option('--port <n>', 'HTTPS port (0 picks a free one)', parsePort, 6443)
    .option('--bind <addr>', 'address to listen on (0.0.0.0 for every IPv4 address)', '127.0.0.1')
    .addOption(new Option('--host <addr>', 'the older name of --bind').hideHelp())
    .option('--advertise-address <ip>', 'the address clients are given (kubeconfig, /api); default the --bind address, or 127.0.0.1 for 0.0.0.0', parseAdvertiseAddress)
    .option('--tls-san <name|ip>', 'another name or address for the serving certificate (repeatable, or comma-separated); 127.0.0.1, ::1, localhost, --bind and --advertise-address are always included', parseTlsSan)
    .option('--etcd-endpoints <urls>', 'store in this etcd cluster (comma-separated client URLs, https:// for TLS) instead of DIR/tabby.db')
    .option('--etcd-cafile <file>', 'CA bundle that signed the etcd servers\' certificates (PEM)')
    .option('--etcd-certfile <file>', 'client certificate for etcd (PEM)')
    .option('--etcd-keyfile <file>', 'client private key for etcd (PEM)')
    .option('-c, --config <file>', 'calicoctl config naming the datastore (etcdv3 or embedded; default: the environment, else DIR/tabby.db)')
    .option('--max-request-bytes <n>', 'largest request body accepted; larger ones get 413 (default 3145728, kube-apiserver\'s 3 MiB)', parseByteLimit)
    .addOption(
      new Option(
        '--calico-api <mode>',
        'how Calico resources are served: v3 (projectcalico.org/v3, as the Calico API server does) or crd (crd.projectcalico.org/v1 custom resources with their CustomResourceDefinitions, as a cluster running Calico with the Kubernetes datastore shows them; nothing enforces them in this mode)',
      )
        .choices(['v3', 'crd'])
        .default('v3'),
    )
    .addOption(
      new Option('--role <role>', 'server (the API server) or fanout (a Typha-like cache in front of --upstream that agents watch instead; default port 5473)')
        .choices(['server', 'fanout'])
        .default('server'),
    )
    .option('--upstream <urls>', 'with --role fanout: the API server(s) to watch, comma-separated (https://127.0.0.1:6443)', parseUpstreams)
    .option(
      '--watch-bookmark-interval <ms>',
      'a watch that asked for bookmarks (allowWatchBookmarks=true) gets a BOOKMARK whenever nothing else was sent for this long, so its client can tell a dead connection from a quiet one (agents: --watch-idle-timeout)',
      intOption(10, 600_000),
      DEFAULT_BOOKMARK_INTERVAL_MS,
    )
    .action(async (opts: unknown, cmd: Command) => {
      const dataDir = resolveDataDir(stringOpt(opts, 'dataDir'), ctx.io.env);
      const o = opts as { port: number; maxRequestBytes?: number; calicoApi: 'v3' | 'crd'; role: 'server' | 'fanout'; upstream?: string[]; watchBookmarkInterval: number };
      if (o.role === 'fanout' || o.upstream !== undefined) {
        if (o.role !== 'fanout' || o.upstream === undefined) {
          ctx.io.stderr(`tabby server: ${o.role === 'fanout' ? '--role fanout needs --upstream <url>' : '--upstream is only for --role fanout'}\n`);
          ctx.exit(EXIT.usage);
          return;
        }
        const port = cmd.getOptionValueSource('port') === 'default' ? 5473 : o.port;
        await _runFanoutRole(ctx, dataDir, stringOpt(opts, 'host') ?? stringOpt(opts, 'bind') ?? '127.0.0.1', port, o.upstream, o.watchBookmarkInterval);
        return;
      }
      const etcd: EtcdFlags = {
        endpoints: stringOpt(opts, 'etcdEndpoints'),
        caFile: stringOpt(opts, 'etcdCafile'),
        certFile: stringOpt(opts, 'etcdCertfile'),
        keyFile: stringOpt(opts, 'etcdKeyfile'),
      };
      const bind = stringOpt(opts, 'host') ?? stringOpt(opts, 'bind') ?? '127.0.0.1';
      const advertise = stringOpt(opts, 'advertiseAddress');
      let datastore: Datastore | undefined;
      try {
        if (etcd.endpoints !== undefined && stringOpt(opts, 'config') !== undefined) throw new Error('--etcd-endpoints and --config both name a datastore; give one');
        if (isIP(bind) === 0 && !/^[a-z0-9.-]+$/i.test(bind)) throw new Error(`--bind ${JSON.stringify(bind)}: expected an IP address or a host name`);
        datastore = (await _etcdFlagsDatastore(ctx.io, etcd)) ?? (await _serverDatastore(ctx.io, stringOpt(opts, 'config')));
      } catch (e) {
        ctx.io.stderr(`tabby server: ${e instanceof Error ? e.message : String(e)}\n`);
        ctx.exit(EXIT.failed);
        return;
      }
      let s;
      try {
        s = await runServer({
          dataDir,
          port: o.port,
          host: bind,
          ...(advertise !== undefined ? { advertiseAddress: advertise } : {}),
          tlsSans: stringList(opts, 'tlsSan'),
          ...(datastore !== undefined ? { datastore } : {}),
          ...(o.maxRequestBytes !== undefined ? { maxRequestBytes: o.maxRequestBytes } : {}),
          calicoApi: o.calicoApi,
          bookmarkIntervalMs: o.watchBookmarkInterval,
          log: (line) => ctx.io.stderr(`${line}\n`),
        });
      } catch (e) {
        await datastore?.close();
        throw e;
      }
      // Deployments, ReplicaSets, EndpointSlices: kube-controller-manager's part, beside the server.
      const controllers = startWorkloadControllers(s.datastore, { onError: (e) => ctx.io.stderr(`workload controllers: ${e instanceof Error ? e.message : String(e)}\n`) });
      const where = datastore !== undefined ? `datastore: ${datastore.description}` : `data in ${dataDir}`;
      ctx.io.stdout(
        `Tabby API server listening on ${s.url} (${where})\n` +
          `  dashboard: ${s.dashboardUrl} (log in with the admin token in ${dataDir}/tokens)\n` +
          `  export KUBECONFIG=${s.kubeconfigPath}\n` +
          (o.calicoApi === 'crd'
            ? `  Calico API: crd.projectcalico.org/v1 custom resources (kubectl get crds)\n  kubectl --kubeconfig=${s.kubeconfigPath} get globalnetworkpolicies.crd.projectcalico.org\n`
            : `  calicoctl get nodes --config=${s.calicoctlCfgPath}\n`),
      );
      const sig = await ctx.io.waitForShutdown();
      ctx.io.stderr(`${sig}: stopping\n`);
      await controllers.stop();
      await s.stop();
      await datastore?.close();
      ctx.exit(EXIT.ok);
    });
}
