/**
 * @module A parsed kubeconfig (the caller parses the YAML) → how to reach the API server:
 * the current (or named) context's cluster `server`, its CA (`certificate-authority-data` or
 * a file), and the user's bearer token (`token` or `tokenFile`) or client certificate.
 * Relative file paths are taken from the kubeconfig's folder, as kubectl does.
 *
 * Several API servers of one cluster (for failover, kube-datastore.ts): the cluster's
 * `extensions` entry named `tabby.dev/servers` whose `extension.servers` lists them (kubectl
 * ignores extensions and uses `server`):
 *
 *     clusters:
 *     - name: tabby
 *       cluster:
 *         server: https://198.18.0.1:6443
 *         extensions:
 *         - name: tabby.dev/servers
 *           extension: {servers: [https://198.18.0.1:6443, https://198.18.0.2:6443]}
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Result } from '../../lib/result.js';
import type { KubeDatastoreOptions } from './kube-datastore.js';

type Obj = Record<string, unknown>;
const _obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const _arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const _str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function _named(list: unknown, name: string, field: string): Obj | undefined {
  const e = _arr(list).map(_obj).find((x) => x['name'] === name);
  return e === undefined ? undefined : _obj(e[field]);
}

export interface KubeconfigOptions {
  /** The context to use instead of `current-context`. */
  readonly context?: string | undefined;
  /** Folder that relative paths in the kubeconfig are relative to. */
  readonly baseDir: string;
}

export const SERVERS_EXTENSION = 'tabby.dev/servers';

/** The `tabby.dev/servers` extension's list (URLs only), or []. */
function _servers(cluster: Obj): string[] {
  const ext = _arr(cluster['extensions']).map(_obj).find((e) => e['name'] === SERVERS_EXTENSION);
  return _arr(_obj(ext?.['extension'])['servers']).filter((v): v is string => typeof v === 'string' && /^https?:\/\//.test(v));
}

export function kubeconfigToOptions(config: unknown, opts: KubeconfigOptions): Result<KubeDatastoreOptions, string> {
  const c = _obj(config);
  const ctxName = opts.context ?? _str(c['current-context']);
  if (ctxName === undefined) return { ok: false, error: 'no current-context is set' };
  const ctx = _named(c['contexts'], ctxName, 'context');
  if (ctx === undefined) return { ok: false, error: `context "${ctxName}" not found` };
  const clusterName = _str(ctx['cluster']) ?? '';
  const cluster = _named(c['clusters'], clusterName, 'cluster');
  if (cluster === undefined) return { ok: false, error: `cluster "${clusterName}" of context "${ctxName}" not found` };
  const server = _str(cluster['server']);
  if (server === undefined) return { ok: false, error: `cluster "${clusterName}" has no server` };
  const user = _named(c['users'], _str(ctx['user']) ?? '', 'user') ?? {};
  const more = _servers(cluster).filter((u) => u !== server);
  const file = (p: string): string => readFileSync(isAbsolute(p) ? p : join(opts.baseDir, p), 'utf8');
  const b64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');
  try {
    const caData = _str(cluster['certificate-authority-data']);
    const caFile = _str(cluster['certificate-authority']);
    const certData = _str(user['client-certificate-data']);
    const certFile = _str(user['client-certificate']);
    const keyData = _str(user['client-key-data']);
    const keyFile = _str(user['client-key']);
    const token = _str(user['token']);
    const tokenFile = _str(user['tokenFile']);
    const ns = _str(ctx['namespace']);
    return {
      ok: true,
      value: {
        server,
        ...(more.length > 0 ? { servers: more } : {}),
        ...(caData !== undefined ? { caPem: b64(caData) } : caFile !== undefined ? { caPem: file(caFile) } : {}),
        ...(certData !== undefined ? { certPem: b64(certData) } : certFile !== undefined ? { certPem: file(certFile) } : {}),
        ...(keyData !== undefined ? { keyPem: b64(keyData) } : keyFile !== undefined ? { keyPem: file(keyFile) } : {}),
        ...(token !== undefined ? { token } : tokenFile !== undefined ? { token: file(tokenFile).trim() } : {}),
        ...(cluster['insecure-skip-tls-verify'] === true ? { insecureSkipTlsVerify: true } : {}),
        ...(ns !== undefined ? { namespace: ns } : {}),
      },
    };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}
