/**
 * @module A CalicoAPIConfig spec → an open Datastore: `embedded` → SQLite at `embeddedPath`
 * (default below), `etcdv3` → etcd at `etcdEndpoints` with the client certificate files, and
 * `kubernetes` → the Kubernetes REST API of a Tabby API server, reached through the kubeconfig.
 * Every failure is an UnavailableError (or Error) whose message is one line naming the endpoint.
 *
 * An `embedded` config without `embeddedPath` means `<data dir>/tabby.db` of the default data
 * directory (paths.ts): the file `tabby server` and `tabby up` keep there.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { DATASTORE_FILE, defaultEmbeddedPath } from './paths.js';
import { parse as parseYaml } from 'yaml';
import { openEtcdDatastore, openSqliteDatastore, UnavailableError, type Datastore } from '../datastore/index.js';
import { kubeconfigToOptions, openKubeDatastore, type KubeDatastoreOptions } from '../datastore/kube/index.js';
import type { CalicoAPIConfigSpec } from '../model/calico/other-types.js';

type Env = Readonly<Record<string, string | undefined>>;

export { defaultDataDir, defaultEmbeddedPath } from './paths.js';

/** The SQLite file of the default data directory. */
export const EMBEDDED_DB_NAME = DATASTORE_FILE;

/** How the documentation names the default, for help texts. */
export const DEFAULT_EMBEDDED_PATH_DOC = '${TABBY_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/tabby}/tabby.db';

export interface OpenOptions {
  readonly env: Env;
  /** Bound on connecting and on each call (etcd, kubernetes); default 5,000 ms. */
  readonly timeoutMs?: number;
  /** More options for a kubernetes datastore (the agent's dead-watch detection). */
  readonly kube?: Pick<KubeDatastoreOptions, 'watchIdleTimeoutMs' | 'log'>;
}

const _set = (v: string | undefined): v is string => v !== undefined && v !== '';

function _readPem(path: string, what: string, endpoint: string, system: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new UnavailableError(system, endpoint, `cannot read ${what} ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The kube options from `kubeconfig` (first existing file of a `:` list) or the k8s* fields. */
export function kubeOptionsFor(spec: CalicoAPIConfigSpec, timeoutMs?: number): KubeDatastoreOptions {
  const extra = timeoutMs === undefined ? {} : { timeoutMs };
  if (_set(spec.kubeconfig) || _set(spec.kubeconfigInline)) {
    let text: string;
    let where: string;
    if (_set(spec.kubeconfigInline)) {
      text = spec.kubeconfigInline;
      where = 'inline kubeconfig';
    } else {
      const paths = (spec.kubeconfig ?? '').split(':').filter((p) => p !== '');
      let found: string | undefined;
      let lastErr = '';
      text = '';
      for (const p of paths) {
        try {
          text = readFileSync(p, 'utf8');
          found = p;
          break;
        } catch (e) {
          lastErr = e instanceof Error ? e.message : String(e);
        }
      }
      if (found === undefined) throw new UnavailableError('kubernetes', spec.kubeconfig ?? '', `cannot read kubeconfig: ${lastErr}`, `cannot read kubeconfig ${spec.kubeconfig ?? ''}: ${lastErr}`);
      where = found;
    }
    let parsed: unknown;
    try {
      parsed = parseYaml(text);
    } catch (e) {
      throw new UnavailableError('kubernetes', where, `invalid kubeconfig: ${e instanceof Error ? e.message : String(e)}`, `invalid kubeconfig ${where}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const r = kubeconfigToOptions(parsed, { context: spec.k8sCurrentContext, baseDir: _set(spec.kubeconfig) ? dirname(where) : '.' });
    if (!r.ok) throw new UnavailableError('kubernetes', where, r.error, `invalid kubeconfig ${where}: ${r.error}`);
    const o = r.value;
    return {
      ...o,
      ...(_set(spec.k8sAPIEndpoint) ? { server: spec.k8sAPIEndpoint.split(',')[0]!.trim(), servers: spec.k8sAPIEndpoint.split(',').slice(1).map((s) => s.trim()).filter((s) => s !== '') } : {}),
      ...(_set(spec.k8sAPIToken) ? { token: spec.k8sAPIToken } : {}),
      ...(spec.k8sInsecureSkipTLSVerify === true ? { insecureSkipTlsVerify: true } : {}),
      ...extra,
    };
  }
  if (!_set(spec.k8sAPIEndpoint))
    throw new UnavailableError('kubernetes', '(none)', 'no kubeconfig or k8sAPIEndpoint configured', 'cannot reach kubernetes: no kubeconfig or k8sAPIEndpoint configured (set KUBECONFIG, or DATASTORE_TYPE=etcdv3 with ETCD_ENDPOINTS)');
  // several servers of one cluster, comma-separated: failed over in order (kube-datastore.ts)
  const [server = '', ...more] = spec.k8sAPIEndpoint.split(',').map((s) => s.trim()).filter((s) => s !== '');
  return {
    server,
    ...(more.length > 0 ? { servers: more } : {}),
    ...(_set(spec.k8sAPIToken) ? { token: spec.k8sAPIToken } : {}),
    ...(_set(spec.k8sCAFile) ? { caPem: _readPem(spec.k8sCAFile, 'k8sCAFile', server, 'kubernetes').toString() } : {}),
    ...(_set(spec.k8sCertFile) ? { certPem: _readPem(spec.k8sCertFile, 'k8sCertFile', server, 'kubernetes').toString() } : {}),
    ...(_set(spec.k8sKeyFile) ? { keyPem: _readPem(spec.k8sKeyFile, 'k8sKeyFile', server, 'kubernetes').toString() } : {}),
    ...(spec.k8sInsecureSkipTLSVerify === true ? { insecureSkipTlsVerify: true } : {}),
    ...extra,
  };
}

/**
 * Whether any endpoint accepts a TCP connection: etcd's client waits its whole dial timeout on
 * a refused connection, so a refusal from every endpoint is reported at once instead.
 */
async function _probeTcp(endpoints: readonly string[], timeoutMs: number): Promise<string | undefined> {
  const tries = endpoints.map(
    (e) =>
      new Promise<string | undefined>((resolve) => {
        let url: URL;
        try {
          url = new URL(e);
        } catch {
          resolve(undefined);
          return;
        }
        const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
        const sock = connect({ host: url.hostname.replace(/^\[|\]$/g, ''), port });
        const done = (r: string | undefined): void => {
          sock.destroy();
          resolve(r);
        };
        sock.setTimeout(timeoutMs, () => done(undefined));
        sock.once('connect', () => done(undefined));
        sock.once('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED' ? 'connection refused' : undefined));
      }),
  );
  const results = await Promise.all(tries);
  return results.length > 0 && results.every((r) => r !== undefined) ? results[0] : undefined;
}

/** Opens the datastore the (defaulted, validated) config names. */
export async function openDatastoreFromConfig(spec: CalicoAPIConfigSpec, opts: OpenOptions): Promise<Datastore> {
  const type = spec.datastoreType ?? 'embedded';
  switch (type) {
    case 'embedded': {
      const path = _set(spec.embeddedPath) ? spec.embeddedPath : defaultEmbeddedPath(opts.env);
      if (!_set(spec.embeddedPath)) {
        try {
          mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
        } catch (e) {
          throw new UnavailableError('sqlite', path, e instanceof Error ? e.message : String(e), `cannot open sqlite datastore at ${path}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      return openSqliteDatastore(path);
    }
    case 'etcdv3': {
      const endpoints = (spec.etcdEndpoints ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
      if ([spec.etcdKey, spec.etcdCert, spec.etcdCACert].some(_set))
        throw new UnavailableError('etcd', endpoints.join(', '), 'inline etcdKey/etcdCert/etcdCACert are not supported; use etcdKeyFile, etcdCertFile and etcdCACertFile');
      const refused = await _probeTcp(endpoints, opts.timeoutMs ?? 5_000);
      if (refused !== undefined) throw new UnavailableError('etcd', endpoints.join(', '), refused);
      return openEtcdDatastore({
        endpoints,
        ...(_set(spec.etcdKeyFile) ? { keyFile: spec.etcdKeyFile } : {}),
        ...(_set(spec.etcdCertFile) ? { certFile: spec.etcdCertFile } : {}),
        ...(_set(spec.etcdCACertFile) ? { caFile: spec.etcdCACertFile } : {}),
        ...(_set(spec.etcdUsername) ? { username: spec.etcdUsername } : {}),
        ...(_set(spec.etcdPassword) ? { password: spec.etcdPassword } : {}),
        ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
      });
    }
    case 'kubernetes':
      return openKubeDatastore({ ...kubeOptionsFor(spec, opts.timeoutMs), ...opts.kube });
    default:
      throw new UnavailableError(type, '(config)', `unsupported datastoreType "${type}" (supported: embedded, etcdv3, kubernetes)`, `unsupported datastoreType "${type}" (supported: embedded, etcdv3, kubernetes)`);
  }
}
