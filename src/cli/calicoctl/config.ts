/**
 * @module The calicoctl configuration, found exactly as calicoctl finds it: the file named by
 * `-c/--config` (default `/etc/calico/calicoctl.cfg`) when it exists — a CalicoAPIConfig
 * resource in YAML or JSON, decoded strictly — and otherwise the environment (`DATASTORE_TYPE`,
 * `ETCD_ENDPOINTS`, `ETCD_KEY_FILE`, `ETCD_CERT_FILE`, `ETCD_CA_CERT_FILE`, `KUBECONFIG`, … each
 * also as `CALICO_<NAME>`). Tabby addition: when neither names a datastore, the cluster of the
 * data directory (`--data-dir`, else `TABBY_DATA_DIR`, else the default; see paths.ts): the
 * `calicoctl.cfg` of the `tabby up` running there, else its embedded datastore `tabby.db` when
 * that file exists (a stopped cluster). The fallback is reported (`note`) so the caller can say
 * on stderr which one it used; with neither, `missing` says where it looked, and a reading
 * command fails instead of creating an empty datastore.
 */
import type { Result } from '../../lib/result.js';
import { parseManifests } from '../../manifest/index.js';
import { CALICO_API_CONFIG_ENV, loadCalicoApiConfigEnv } from '../../model/calico/calico-api-config.js';
import type { CalicoAPIConfigSpec } from '../../model/calico/other-types.js';
import { formatLine } from '../../model/field/format.js';
import { describeIoError, type Io } from '../io.js';
import { clusterDir, noClusterMessage } from '../cluster-dir.js';
import { resolveDataDir } from '../paths.js';

export const DEFAULT_CONFIG_PATH = '/etc/calico/calicoctl.cfg';

/** Spec fields that choose a datastore; with none of them set, Tabby uses the embedded one. */
const SELECTING: readonly (keyof CalicoAPIConfigSpec)[] = ['datastoreType', 'etcdEndpoints', 'etcdDiscoverySrv', 'kubeconfig', 'kubeconfigInline', 'k8sAPIEndpoint', 'embeddedPath'];

export interface LoadedConfig {
  readonly spec: CalicoAPIConfigSpec;
  /** The config file used, or undefined when the environment was. */
  readonly file: string | undefined;
  /** Set when neither a file nor the environment chose the datastore: which cluster was used, for stderr. */
  readonly note?: string;
  /**
   * Set when nothing was found at all (no running cluster, no datastore in the data dir): the
   * one-line reason. The spec then names `<data dir>/tabby.db`, which only a write may create.
   */
  readonly missing?: string;
}

export interface LoadOptions {
  /** `--data-dir` (tabby commands); else TABBY_DATA_DIR, else the default. */
  readonly dataDir?: string | undefined;
}

async function _exists(io: Io, path: string): Promise<boolean> {
  try {
    return (await io.stat(path)).isFile;
  } catch {
    return false;
  }
}

async function _readFileSpec(io: Io, path: string): Promise<Result<CalicoAPIConfigSpec, string>> {
  let text: string;
  try {
    text = await io.readFile(path);
  } catch (e) {
    return { ok: false, error: `open ${path}: ${describeIoError(e)}` };
  }
  const parsed = parseManifests(text, path);
  if (parsed.errors.length > 0) return { ok: false, error: parsed.errors.map((e) => e.text).join('; ') };
  const docs = parsed.resources;
  if (docs.length !== 1 || docs[0]!.info.kind !== 'CalicoAPIConfig')
    return { ok: false, error: `${path}: expected one CalicoAPIConfig resource (apiVersion: projectcalico.org/v3, kind: CalicoAPIConfig)` };
  const spec = (docs[0]!.raw as { spec?: CalicoAPIConfigSpec }).spec ?? {};
  return { ok: true, value: spec };
}

const _set = (v: unknown): boolean => v !== undefined && v !== '';

/** Loads the effective config; the error is one line for `Failed to create Calico API client: …`. */
export async function loadCalicoctlConfig(io: Io, configPath: string | undefined, opts: LoadOptions = {}): Promise<Result<LoadedConfig, string>> {
  const path = configPath ?? DEFAULT_CONFIG_PATH;
  let fileSpec: CalicoAPIConfigSpec | undefined;
  let file: string | undefined;
  if (await _exists(io, path)) {
    const r = await _readFileSpec(io, path);
    if (!r.ok) return r;
    fileSpec = r.value;
    file = path;
  }
  const env = io.env;
  const envNames = Object.keys(CALICO_API_CONFIG_ENV).flatMap((n) => [n, `CALICO_${n}`]);
  const envSelects = envNames.some((n) => _set(env[n]) && SELECTING.includes(CALICO_API_CONFIG_ENV[n.replace(/^CALICO_/, '')]!));
  const selects = fileSpec !== undefined ? SELECTING.some((k) => _set(fileSpec[k])) : envSelects;
  if (!selects) {
    if (fileSpec !== undefined) return { ok: true, value: { spec: { ...fileSpec, datastoreType: 'embedded' }, file } };
    return _clusterFallback(io, opts);
  }
  const home = (env['HOME'] ?? '').replace(/\/+$/, '');
  const kubeDefault = home === '' ? undefined : `${home}/.kube/config`;
  const kubeDefaultExists = kubeDefault !== undefined && (await _exists(io, kubeDefault));
  const r = loadCalicoApiConfigEnv(env, fileSpec, { fileExists: (p) => p === kubeDefault && kubeDefaultExists });
  if (!r.ok) return { ok: false, error: `${file ?? 'environment'}: ${r.error.map(formatLine).join('; ')}` };
  return { ok: true, value: { spec: r.value, file } };
}

/** No --config, no /etc/calico/calicoctl.cfg, no datastore in the environment: the data dir's cluster. */
async function _clusterFallback(io: Io, opts: LoadOptions): Promise<Result<LoadedConfig, string>> {
  const c = clusterDir(resolveDataDir(opts.dataDir, io.env));
  const where = `no --config, no ${DEFAULT_CONFIG_PATH}, no datastore in the environment`;
  if (c.running && (await _exists(io, c.calicoctlCfg))) {
    const r = await _readFileSpec(io, c.calicoctlCfg);
    if (!r.ok) return r;
    return { ok: true, value: { spec: r.value, file: c.calicoctlCfg, note: `using ${c.calicoctlCfg}, the cluster tabby up runs on ${c.dir} (${where})` } };
  }
  const spec: CalicoAPIConfigSpec = { datastoreType: 'embedded', embeddedPath: c.datastore };
  if (await _exists(io, c.datastore))
    return { ok: true, value: { spec, file: undefined, note: `using the datastore ${c.datastore} of the stopped cluster in ${c.dir} (${where}; ${noClusterMessage(c).replace(/;.*$/, '')})` } };
  return { ok: true, value: { spec, file: undefined, missing: `${where}, and ${noClusterMessage(c)}` } };
}
