/**
 * @module `tabby server`: the only file that listens. runServer() prepares DATA_DIR (TLS
 * material, tokens, the embedded SQLite datastore unless one is passed in, e.g. etcd), creates
 * the default namespaces, serves createApp() over HTTPS, and writes DATA_DIR/admin.kubeconfig
 * and DATA_DIR/calicoctl.cfg for the admin. Several servers may share one etcd datastore: all
 * state lives there.
 */
import { createServer, type Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { serve } from '@hono/node-server';
import { AlreadyExistsError, openSqliteDatastore, type Datastore } from '../datastore/index.js';
import { ResourceClient } from '../client/index.js';
import { createApp } from './app.js';
import { ensureCustomResourceDefinitions, type CalicoApiMode } from './crd-mode.js';
import type { PodRuntime } from './pod-runtime.js';
import { execUpgradeHandler } from './exec-ws.js';
import { badRequest } from './status.js';
import { ensurePki, ensureTokens, loadCa, sanOf, verifyCsr, type CertificateAuthority } from './pki.js';
import type { TokenUser, User } from './auth.js';
import { NODE_USER_PREFIX, nodeOfSubject } from './node-auth.js';
import { defaultUiDir } from '../web/index.js';
import { FlowCollector, type FlowCollectorOptions } from './flows.js';
import { FlowFileTailer } from './flow-files.js';

export interface RunServerOptions {
  readonly dataDir: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** The address to listen on (`--bind`); default 127.0.0.1. */
  readonly host?: string;
  /** The address clients are told to use (kubeconfig, `/api`); default the bind address (127.0.0.1 for a wildcard). */
  readonly advertiseAddress?: string;
  /** More names for the serving certificate (`IP:…`/`DNS:…`, see pki.ts sanOf). */
  readonly tlsSans?: readonly string[];
  /** Default: SQLite at DATA_DIR/tabby.db (closed on stop; a passed-in datastore is not). */
  readonly datastore?: Datastore;
  readonly log?: (line: string) => void;
  /** A watch with allowWatchBookmarks gets a BOOKMARK after this long with nothing sent (default 1 s: app.ts DEFAULT_BOOKMARK_INTERVAL_MS). */
  readonly bookmarkIntervalMs?: number;
  /** The dashboard bundle served at /ui (default: dist/ui of this package). */
  readonly uiDir?: string;
  /** Where a lab beside this server keeps its worker logs (default: DATA_DIR/lab, as `tabby up`). */
  readonly labDir?: string;
  /** Runs pods for pods/log, exec and attach (the lab); without it those answer 503. */
  readonly podRuntime?: PodRuntime;
  /** Largest request body (413 past it); default 3 MiB. */
  readonly maxRequestBytes?: number;
  /** `crd`: serve Calico's resources as crd.projectcalico.org/v1 custom resources (crd-mode.ts); default `v3`. */
  readonly calicoApi?: CalicoApiMode;
  /** Extra tokens, each bound to RBAC PolicyRules (auth.ts); none by default. */
  readonly users?: readonly TokenUser[];
  /** Where the agents' flow-log files are read from (flow-files.ts; default: the lab dir). */
  readonly flowLogDir?: string;
  /** Flow aggregation: window, grace, retention, byte bound (flows.ts; defaults 15 s, 5 s, 1 h, 128 MiB). */
  readonly flows?: Omit<FlowCollectorOptions, 'datastore' | 'shutdown'>;
  /** For benchmarks: how watches are fed (app.ts `watchDelivery`; default `push`). */
  readonly watchDelivery?: 'push' | 'iterate';
}

export interface RunningServer {
  readonly url: string;
  /** The web dashboard: `<url>/ui/`. */
  readonly dashboardUrl: string;
  readonly port: number;
  readonly adminToken: string;
  readonly readOnlyToken: string;
  readonly caPem: string;
  readonly kubeconfigPath: string;
  readonly calicoctlCfgPath: string;
  /** The datastore it serves (for controllers that run beside it). */
  readonly datastore: Datastore;
  stop(): Promise<void>;
}

const DEFAULT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** A kubeconfig for one token (YAML; written by hand so this module needs no YAML library). */
export function kubeconfig(server: string, caPem: string, user: string, token: string): string {
  const ca = Buffer.from(caPem).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: tabby',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority-data: ${ca}`,
    'users:',
    `- name: ${user}`,
    '  user:',
    `    token: ${token}`,
    'contexts:',
    `- name: ${user}@tabby`,
    '  context:',
    '    cluster: tabby',
    `    user: ${user}`,
    '    namespace: default',
    `current-context: ${user}@tabby`,
    'preferences: {}',
    '',
  ].join('\n');
}

export function calicoctlConfig(kubeconfigPath: string): string {
  return ['apiVersion: projectcalico.org/v3', 'kind: CalicoAPIConfig', 'metadata: {}', 'spec:', '  datastoreType: kubernetes', `  kubeconfig: ${kubeconfigPath}`, ''].join('\n');
}

async function _ensureNamespaces(ds: Datastore): Promise<void> {
  const client = new ResourceClient(ds);
  for (const name of DEFAULT_NAMESPACES) {
    try {
      await client.create({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
        status: { phase: 'Active' },
      });
    } catch (e) {
      if (!(e instanceof AlreadyExistsError)) throw e;
    }
  }
}

/** The node a verified client certificate names (CN=system:node:<name>, O=system:nodes), as a User. */
function _peerUser(socket: TLSSocket): User | undefined {
  if (socket.authorized !== true || typeof socket.getPeerCertificate !== 'function') return undefined;
  const subject = socket.getPeerCertificate().subject as unknown as Record<string, string | string[] | undefined> | undefined;
  const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const cn = list(subject?.['CN']);
  const node = cn.length === 1 ? nodeOfSubject(cn[0], list(subject?.['O'])) : undefined;
  return node === undefined ? undefined : { name: `${NODE_USER_PREFIX}${node}`, readOnly: false, node };
}

/** 400 for a raw request path with `.`/`..` segments (also %-escaped); undefined when the path is fine. */
export function rawPathRefusal(rawUrl: string | undefined): Response | undefined {
  const path = (rawUrl ?? '').split('?')[0]!;
  const bad = path.split('/').some((seg) => /^(?:\.|%2e){1,2}$/i.test(seg));
  if (!bad) return undefined;
  const st = badRequest('the request path may not contain "." or ".." segments');
  return new Response(JSON.stringify(st.status), { status: 400, headers: { 'content-type': 'application/json' } });
}

export async function runServer(opts: RunServerOptions): Promise<RunningServer> {
  const dataDir = resolve(opts.dataDir);
  const host = opts.host ?? '127.0.0.1';
  const log = opts.log ?? (() => undefined);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const wildcard = host === '0.0.0.0' || host === '::';
  const advertise = opts.advertiseAddress ?? (wildcard ? '127.0.0.1' : host);
  const sans = [...new Set([...(wildcard ? [] : [sanOf(host)]), sanOf(advertise), ...(opts.tlsSans ?? [])])];
  const pki = await ensurePki(join(dataDir, 'pki'), sans);
  const tokens = { ...(await ensureTokens(join(dataDir, 'tokens'))), ...(opts.users !== undefined ? { users: opts.users } : {}) };
  const ownDatastore = opts.datastore === undefined;
  const ds = opts.datastore ?? (await openSqliteDatastore(join(dataDir, 'tabby.db')));
  try {
    await _ensureNamespaces(ds);
    if (opts.calicoApi === 'crd') await ensureCustomResourceDefinitions(ds, new Date());
  } catch (e) {
    if (ownDatastore) await ds.close();
    throw e;
  }
  const shutdown = new AbortController();
  // Node credentials: a client certificate the CA signed (TLS verifies it; main.ts reads the subject).
  const peers = new WeakMap<Request, User>();
  let ca: Promise<CertificateAuthority> | undefined;
  const signClientCsr = async (csrPem: string, commonName: string, organization: string): Promise<string> => {
    const req = await verifyCsr(csrPem);
    ca ??= readFile(join(dataDir, 'pki', 'ca.key'), 'utf8').then((key) => loadCa(pki.caPem, key));
    return (await (await ca).issue({ commonName, organization: [organization], clientAuth: true, days: 365 }, req.publicKey)).certPem;
  };
  const urlHost = advertise.includes(':') ? `[${advertise}]` : advertise;
  let serverAddress = `${urlHost}:${opts.port}`;
  let url = `https://${urlHost}:${opts.port}`;
  const labDir = opts.labDir ?? join(dataDir, 'lab');
  const flows = new FlowCollector({ ...opts.flows, datastore: ds, shutdown: shutdown.signal });
  new FlowFileTailer({ dir: opts.flowLogDir ?? labDir, sink: flows, log }).start(shutdown.signal);
  const app = createApp({
    datastore: ds,
    tokens,
    shutdown: shutdown.signal,
    get serverAddress() {
      return serverAddress;
    },
    ...(opts.bookmarkIntervalMs === undefined ? {} : { bookmarkIntervalMs: opts.bookmarkIntervalMs }),
    uiDir: opts.uiDir ?? defaultUiDir(),
    labDir,
    flows,
    podRuntime: opts.podRuntime,
    maxRequestBytes: opts.maxRequestBytes,
    calicoApi: opts.calicoApi,
    peerUser: (req) => peers.get(req),
    bootstrap: { caPem: pki.caPem, serverUrl: () => url, signClientCsr },
    watchDelivery: opts.watchDelivery,
  });
  const server = await new Promise<Server>((ok, fail) => {
    const s = serve(
      {
        // The WHATWG URL in a Request has its dot segments resolved (`/pods/x/%2E%2E` → `/pods`),
        // which would turn a DELETE of one object into a DELETE of the collection: refuse them raw.
        fetch: (req, bindings) => {
          const refused = rawPathRefusal(bindings.incoming.url);
          if (refused !== undefined) return refused;
          const peer = _peerUser(bindings.incoming.socket as TLSSocket);
          if (peer !== undefined) peers.set(req, peer);
          return app.fetch(req, bindings);
        },
        port: opts.port,
        hostname: host,
        createServer,
        // A client certificate is asked for, never required: kubectl and the dashboard use tokens.
        serverOptions: { key: pki.keyPem, cert: pki.certPem, ca: pki.caPem, requestCert: true, rejectUnauthorized: false },
      },
      () => ok(s as Server),
    ) as Server;
    s.once('error', fail);
  });
  // kubectl exec/attach: WebSocket upgrades (exec-ws.ts).
  server.on('upgrade', execUpgradeHandler({ datastore: ds, tokens, podRuntime: opts.podRuntime, shutdown: shutdown.signal }));
  const port = (server.address() as AddressInfo).port;
  serverAddress = `${urlHost}:${port}`;
  url = `https://${urlHost}:${port}`;
  const kubeconfigPath = join(dataDir, 'admin.kubeconfig');
  const calicoctlCfgPath = join(dataDir, 'calicoctl.cfg');
  await writeFile(kubeconfigPath, kubeconfig(url, pki.caPem, 'tabby-admin', tokens.admin), { mode: 0o600 });
  await writeFile(calicoctlCfgPath, calicoctlConfig(kubeconfigPath), { mode: 0o600 });
  log(`tabby API server listening on ${url} (datastore: ${ds.description}); kubeconfig: ${kubeconfigPath}; dashboard: ${url}/ui/`);

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      shutdown.abort();
      await new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      });
      if (ownDatastore) await ds.close();
      log('tabby API server stopped');
    })());
  return { url, dashboardUrl: `${url}/ui/`, port, adminToken: tokens.admin, readOnlyToken: tokens.readOnly, caPem: pki.caPem, kubeconfigPath, calicoctlCfgPath, datastore: ds, stop };
}
