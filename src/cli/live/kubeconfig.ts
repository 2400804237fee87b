/**
 * @module `--kubeconfig FILE [--context C]` → how to reach the API server (server URL, CA,
 * client certificate and key, bearer token, `insecure-skip-tls-verify`), as kubectl reads a
 * kubeconfig: `current-context` unless `--context`, inline `*-data` or files relative to the
 * kubeconfig's folder. The field reading is the datastore's kubeconfig reader; this adds the
 * file, the YAML and the messages. Credential plugins (`exec`, `auth-provider`) are not run: a
 * user with only those is an error that says so.
 */
import { parse as parseYaml } from 'yaml';
import { kubeconfigToOptions } from '../../datastore/kube/index.js';
import type { Result } from '../../lib/result.js';
import { describeIoError, type Io } from '../io.js';
import type { ApiOptions } from './api.js';

type Obj = Record<string, unknown>;
const _obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});

/** Bound on a kubeconfig file (kubectl's are a few kB; a larger one is not a kubeconfig). */
const MAX_KUBECONFIG_BYTES = 4 * 1024 * 1024;

function _dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '.' : i === 0 ? '/' : path.slice(0, i);
}

export async function loadKubeconfig(io: Io, file: string, context: string | undefined): Promise<Result<ApiOptions, string>> {
  let text: string;
  try {
    text = await io.readFile(file);
  } catch (e) {
    return { ok: false, error: `${file}: ${describeIoError(e)}` };
  }
  if (text.length > MAX_KUBECONFIG_BYTES) return { ok: false, error: `${file}: larger than ${MAX_KUBECONFIG_BYTES} bytes; not a kubeconfig` };
  let raw: unknown;
  try {
    raw = parseYaml(text, { maxAliasCount: 100 });
  } catch (e) {
    return { ok: false, error: `${file}: not valid YAML: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}` };
  }
  const c = _obj(raw);
  if (c['kind'] !== undefined && c['kind'] !== 'Config') return { ok: false, error: `${file}: kind: expected Config, got ${JSON.stringify(c['kind'])}` };
  const r = kubeconfigToOptions(c, { context, baseDir: _dirOf(file.startsWith('/') ? file : `${io.cwd()}/${file}`) });
  if (!r.ok) return { ok: false, error: `${file}: ${r.error}` };
  const o = r.value;
  if (o.token === undefined && o.certPem === undefined) {
    const ctxName = context ?? String(c['current-context'] ?? '');
    const ctx = _obj((Array.isArray(c['contexts']) ? (c['contexts'] as unknown[]) : []).map(_obj).find((x) => x['name'] === ctxName)?.['context']);
    const userName = String(ctx['user'] ?? '');
    const user = _obj((Array.isArray(c['users']) ? (c['users'] as unknown[]) : []).map(_obj).find((x) => x['name'] === userName)?.['user']);
    const plugin = user['exec'] !== undefined ? 'an exec credential plugin' : user['auth-provider'] !== undefined ? 'an auth-provider' : user['username'] !== undefined ? 'basic auth' : undefined;
    if (plugin !== undefined)
      return { ok: false, error: `${file}: user "${userName}" authenticates with ${plugin}, which tabby does not run; give a kubeconfig with a token or a client certificate (e.g. a ServiceAccount token bound to \`tabby rbac\`'s role)` };
  }
  if (o.certPem !== undefined && o.keyPem === undefined) return { ok: false, error: `${file}: the user has a client certificate but no client key` };
  return { ok: true, value: o };
}
