/**
 * @module CalicoAPIConfig: the calicoctl config file (`/etc/calico/calicoctl.cfg`), decoded
 * strictly like every resource (upstream uses yaml.UnmarshalStrict), plus the environment
 * loading rules of libcalico-go/lib/apiconfig and calicoctl's clientmgr.
 *
 * Loading precedence (upstream): when a config file exists it is used alone and the environment
 * is ignored; otherwise the whole config comes from environment variables. Each variable is read
 * as `CALICO_<NAME>` first, then `<NAME>` (envconfig with prefix `calico`). Then the datastore
 * type is defaulted: `etcdv3` when etcd endpoints are given, otherwise `kubernetes` (Tabby:
 * `embedded` when only `embeddedPath` is given). `embedded`/`embeddedPath`/`EMBEDDED_PATH` are
 * Tabby additions. Pure: the environment and the file-existence probe are parameters.
 */
import { FieldPath } from '../field/path.js';
import { forbidden, invalid, notSupported, required, type FieldError } from '../field/errors.js';
import { bool, num, obj, str, type Decoder } from '../decode/decoder.js';
import { defineFragment, defineKind, resourceDecoder, type FragmentInfo, type KindInfo } from '../kind-info.js';
import { isDNS1123Subdomain } from '../validate/names.js';
import type { Result } from '../../lib/result.js';
import type { CalicoAPIConfig, CalicoAPIConfigSpec } from './other-types.js';

export const DATASTORE_TYPES = ['etcdv3', 'kubernetes', 'embedded'] as const;

export const calicoAPIConfigSpecDecoder: Decoder<CalicoAPIConfigSpec> = obj({
  datastoreType: str,
  etcdEndpoints: str,
  etcdDiscoverySrv: str,
  etcdUsername: str,
  etcdPassword: str,
  etcdKeyFile: str,
  etcdCertFile: str,
  etcdCACertFile: str,
  etcdKey: str,
  etcdCert: str,
  etcdCACert: str,
  kubeconfig: str,
  k8sAPIEndpoint: str,
  k8sKeyFile: str,
  k8sCertFile: str,
  k8sCAFile: str,
  k8sAPIToken: str,
  k8sInsecureSkipTLSVerify: bool,
  k8sDisableNodePoll: bool,
  usePodCIDR: bool,
  kubeconfigInline: str,
  k8sClientQPS: num,
  k8sCurrentContext: str,
  calicoAPIGroup: str,
  embeddedPath: str,
});

// ---------------------------------------------------------------------------------------------
// Validation

function urlErrors(v: string, path: FieldPath, what: string): FieldError[] {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return [invalid(path, v, `must be an absolute ${what} URL such as \`https://10.0.0.1:2379\``)];
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    return [invalid(path, v, `${what} URL scheme must be \`http\` or \`https\``)];
  if (u.hostname === '') return [invalid(path, v, `${what} URL must name a host`)];
  return [];
}

const set = (v: string | undefined): boolean => v !== undefined && v !== '';

export function validateCalicoAPIConfigSpec(spec: CalicoAPIConfigSpec, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const dt = spec.datastoreType ?? '';
  if (dt !== '' && !(DATASTORE_TYPES as readonly string[]).includes(dt))
    errs.push(notSupported(path.child('datastoreType'), dt, DATASTORE_TYPES));

  if (set(spec.etcdEndpoints)) {
    const p = path.child('etcdEndpoints');
    const items = (spec.etcdEndpoints ?? '').split(',').map((s) => s.trim());
    if (items.every((s) => s === '')) errs.push(invalid(p, spec.etcdEndpoints, 'must list at least one endpoint'));
    for (const item of items) if (item !== '') errs.push(...urlErrors(item, p, 'etcd endpoint'));
  }
  if (set(spec.etcdDiscoverySrv)) {
    const d = spec.etcdDiscoverySrv ?? '';
    errs.push(...isDNS1123Subdomain(d.toLowerCase()).map((m) => invalid(path.child('etcdDiscoverySrv'), d, `must be a DNS domain: ${m}`)));
  }
  if (set(spec.k8sAPIEndpoint)) errs.push(...urlErrors(spec.k8sAPIEndpoint ?? '', path.child('k8sAPIEndpoint'), 'Kubernetes API'));

  // etcd TLS: a client key needs its certificate and vice versa; inline PEM and files do not mix.
  const pairs = [
    ['etcdKeyFile', 'etcdCertFile'],
    ['etcdKey', 'etcdCert'],
    ['k8sKeyFile', 'k8sCertFile'],
  ] as const;
  for (const [a, b] of pairs) {
    if (set(spec[a]) && !set(spec[b])) errs.push(required(path.child(b), `\`${b}\` is required when \`${a}\` is set`));
    if (set(spec[b]) && !set(spec[a])) errs.push(required(path.child(a), `\`${a}\` is required when \`${b}\` is set`));
  }
  const inline = (['etcdKey', 'etcdCert', 'etcdCACert'] as const).filter((k) => set(spec[k]));
  const files = ['etcdKeyFile', 'etcdCertFile', 'etcdCACertFile'] as const;
  if (inline.length > 0 && files.some((k) => set(spec[k])))
    for (const k of inline)
      errs.push(forbidden(path.child(k), 'inline etcd certificates and keys cannot be combined with `etcdKeyFile`, `etcdCertFile` or `etcdCACertFile`'));

  if (spec.k8sClientQPS !== undefined && spec.k8sClientQPS < 0)
    errs.push(invalid(path.child('k8sClientQPS'), spec.k8sClientQPS, 'must be greater than or equal to 0'));
  return errs;
}

// ---------------------------------------------------------------------------------------------
// Defaults and environment loading

/** Upstream applyConfigDefaults, minus the kubeconfig probe: detects the datastore type. */
export function applyCalicoAPIConfigDefaults(spec: CalicoAPIConfigSpec): CalicoAPIConfigSpec {
  if (set(spec.datastoreType)) return spec;
  const datastoreType = set(spec.etcdEndpoints) ? 'etcdv3' : set(spec.embeddedPath) ? 'embedded' : 'kubernetes';
  return { ...spec, datastoreType };
}

type StringField = { [K in keyof CalicoAPIConfigSpec]-?: CalicoAPIConfigSpec[K] extends string | undefined ? K : never }[keyof CalicoAPIConfigSpec];
type BoolField = { [K in keyof CalicoAPIConfigSpec]-?: CalicoAPIConfigSpec[K] extends boolean | undefined ? K : never }[keyof CalicoAPIConfigSpec];

/** Environment variable names (envconfig tags); each is also read with a `CALICO_` prefix, first. */
export const CALICO_API_CONFIG_ENV: Readonly<Record<string, StringField | BoolField | 'k8sClientQPS'>> = {
  DATASTORE_TYPE: 'datastoreType',
  ETCD_ENDPOINTS: 'etcdEndpoints',
  ETCD_DISCOVERY_SRV: 'etcdDiscoverySrv',
  ETCD_USERNAME: 'etcdUsername',
  ETCD_PASSWORD: 'etcdPassword',
  ETCD_KEY_FILE: 'etcdKeyFile',
  ETCD_CERT_FILE: 'etcdCertFile',
  ETCD_CA_CERT_FILE: 'etcdCACertFile',
  KUBECONFIG: 'kubeconfig',
  K8S_API_ENDPOINT: 'k8sAPIEndpoint',
  K8S_KEY_FILE: 'k8sKeyFile',
  K8S_CERT_FILE: 'k8sCertFile',
  K8S_CA_FILE: 'k8sCAFile',
  K8S_INSECURE_SKIP_TLS_VERIFY: 'k8sInsecureSkipTLSVerify',
  K8S_DISABLE_NODE_POLL: 'k8sDisableNodePoll',
  USE_POD_CIDR: 'usePodCIDR',
  K8S_CURRENT_CONTEXT: 'k8sCurrentContext',
  CALICO_API_GROUP: 'calicoAPIGroup',
  // Untagged upstream fields get envconfig's default key, prefix only.
  K8SAPITOKEN: 'k8sAPIToken',
  K8SCLIENTQPS: 'k8sClientQPS',
  // Tabby addition.
  EMBEDDED_PATH: 'embeddedPath',
};

const BOOL_FIELDS: ReadonlySet<string> = new Set(['k8sInsecureSkipTLSVerify', 'k8sDisableNodePoll', 'usePodCIDR']);
/** Untagged fields have no un-prefixed alternative name. */
const PREFIX_ONLY: ReadonlySet<string> = new Set(['K8SAPITOKEN', 'K8SCLIENTQPS']);

/** Go strconv.ParseBool. */
function parseGoBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

export interface LoadCalicoApiConfigOptions {
  /** Probe for `$HOME/.kube/config`; without it the kubeconfig path is not defaulted. */
  readonly fileExists?: (path: string) => boolean;
}

/**
 * The effective calicoctl datastore config. With `fileSpec` (the decoded config file's spec, when
 * the file exists) the environment is ignored, as upstream does; without it every setting comes
 * from `env`. Then the datastore type and (for `kubernetes`, when `opts.fileExists` says it
 * exists) the `$HOME/.kube/config` kubeconfig are defaulted, and the result is validated.
 * Errors name `env[VAR]` for unparsable variables and `spec.<field>` for invalid settings.
 */
export function loadCalicoApiConfigEnv(
  env: Readonly<Record<string, string | undefined>>,
  fileSpec?: CalicoAPIConfigSpec,
  opts: LoadCalicoApiConfigOptions = {},
): Result<CalicoAPIConfigSpec, FieldError[]> {
  const errs: FieldError[] = [];
  let spec: CalicoAPIConfigSpec;
  if (fileSpec !== undefined) spec = { ...fileSpec };
  else {
    const out: Record<string, string | number | boolean> = {};
    const envPath = FieldPath.root('env');
    for (const [name, field] of Object.entries(CALICO_API_CONFIG_ENV)) {
      let key = `CALICO_${name}`;
      let value = env[key];
      if (value === undefined && !PREFIX_ONLY.has(name)) {
        key = name;
        value = env[key];
      }
      if (value === undefined) continue;
      if (BOOL_FIELDS.has(field)) {
        const b = parseGoBool(value);
        if (b === undefined) errs.push(invalid(envPath.key(key), value, 'must be a boolean (`true`, `false`, `1`, `0`, `t`, `f`)'));
        else out[field] = b;
      } else if (field === 'k8sClientQPS') {
        const n = Number(value);
        if (value.trim() === '' || !Number.isFinite(n)) errs.push(invalid(envPath.key(key), value, 'must be a number'));
        else out[field] = n;
      } else out[field] = value;
    }
    spec = out as CalicoAPIConfigSpec;
  }
  spec = applyCalicoAPIConfigDefaults(spec);
  const home = env['HOME'];
  if (spec.datastoreType === 'kubernetes' && !set(spec.kubeconfig) && !set(spec.k8sAPIEndpoint) && set(home) && opts.fileExists) {
    const candidate = `${(home ?? '').replace(/\/+$/, '')}/.kube/config`;
    if (opts.fileExists(candidate)) spec = { ...spec, kubeconfig: candidate };
  }
  errs.push(...validateCalicoAPIConfigSpec(spec, FieldPath.root('spec')));
  return errs.length > 0 ? { ok: false, error: errs } : { ok: true, value: spec };
}

// ---------------------------------------------------------------------------------------------
// Registry rows

export const calicoAPIConfigKind: KindInfo = defineKind<CalicoAPIConfig>({
  kind: 'CalicoAPIConfig',
  group: 'projectcalico.org',
  version: 'v3',
  plural: 'calicoapiconfigs',
  singular: 'calicoapiconfig',
  shortNames: [],
  namespaced: false,
  nameOptional: true,
  decode: resourceDecoder({ spec: calicoAPIConfigSpecDecoder }) as Decoder<CalicoAPIConfig>,
  applyDefaults: (o) => ({ ...o, spec: applyCalicoAPIConfigDefaults(o.spec ?? {}) }),
  validate: (o, path) => validateCalicoAPIConfigSpec(o.spec ?? {}, path.child('spec')),
});

export const CALICO_API_CONFIG_FRAGMENTS: readonly FragmentInfo[] = [
  defineFragment<CalicoAPIConfigSpec>({
    name: 'CalicoAPIConfigSpec',
    decode: calicoAPIConfigSpecDecoder,
    validate: validateCalicoAPIConfigSpec,
  }),
];
