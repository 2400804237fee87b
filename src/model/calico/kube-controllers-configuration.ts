/**
 * @module KubeControllersConfiguration (projectcalico.org/v3, cluster-scoped, always named
 * `default`): decode, default, validate.
 *
 * Like FelixConfiguration, the resource is stored as written; kube-controllers fills in its own
 * defaults, exported here as `DEFAULT_KUBE_CONTROLLERS_SPEC` (values from the API field docs).
 * Auto host endpoint templates are checked as their field tags describe (generateName a name,
 * interfaceCIDRs CIDRs, interfacePattern a regular expression, labels valid labels, nodeSelector
 * a selector). The API docs say a template should set at least one of `interfaceCIDRs` or
 * `interfacePattern`, but Calico's validator does not enforce it (its table accepts a template with
 * only `generateName`, only `nodeSelector`, or `interfaceCIDRs: []`), so neither does Tabby.
 */
import type { FieldPath } from '../field/path.js';
import { invalid, notSupported, type FieldError } from '../field/errors.js';
import { arr, int, obj, record, str, type Decoder } from '../decode/decoder.js';
import { defineFragment, defineKind, resourceDecoder, type FragmentInfo, type KindInfo } from '../kind-info.js';
import { isDNS1123Subdomain, validateLabels } from '../validate/names.js';
import { cidrOrIpErrors } from './network-set.js';
import { durationErrors, regexpErrors } from './felix-configuration.js';
import { validateSelector } from './rule.js';
import type {
  AutoHostEndpointConfig,
  AutoHostEndpointTemplate,
  ControllersConfig,
  KubeControllersConfiguration,
  KubeControllersConfigurationSpec,
  KubeControllersConfigurationStatus,
  NodeControllerConfig,
  ReconcilerControllerConfig,
} from './other-types.js';

export const KUBE_CONTROLLERS_LOG_LEVELS = ['None', 'Trace', 'Debug', 'Info', 'Warning', 'Error', 'Fatal', 'Panic'] as const;
const ENABLED_DISABLED = ['Enabled', 'Disabled'] as const;

/** What kube-controllers runs with when the `default` resource leaves a setting out. */
export const DEFAULT_KUBE_CONTROLLERS_SPEC: Readonly<KubeControllersConfigurationSpec> = {
  logSeverityScreen: 'Info',
  healthChecks: 'Enabled',
  etcdV3CompactionPeriod: '10m',
  prometheusMetricsPort: 9094,
  controllers: {
    node: { reconcilerPeriod: '5m', syncLabels: 'Enabled', hostEndpoint: { autoCreate: 'Disabled' }, leakGracePeriod: '15m' },
    policy: { reconcilerPeriod: '5m' },
    workloadEndpoint: { reconcilerPeriod: '5m' },
    serviceAccount: { reconcilerPeriod: '5m' },
    namespace: { reconcilerPeriod: '5m' },
    loadBalancer: { assignIPs: 'AllServices' },
  },
};

// ---------------------------------------------------------------------------------------------
// Decoders

const reconcilerDecoder: Decoder<ReconcilerControllerConfig> = obj({ reconcilerPeriod: str });

export const autoHostEndpointTemplateDecoder: Decoder<AutoHostEndpointTemplate> = obj({
  generateName: str,
  interfaceCIDRs: arr(str),
  interfacePattern: str,
  labels: record(str),
  nodeSelector: str,
});

export const autoHostEndpointConfigDecoder: Decoder<AutoHostEndpointConfig> = obj({
  autoCreate: str,
  createDefaultHostEndpoint: str,
  templates: arr(autoHostEndpointTemplateDecoder),
});

export const nodeControllerConfigDecoder: Decoder<NodeControllerConfig> = obj({
  reconcilerPeriod: str,
  syncLabels: str,
  hostEndpoint: autoHostEndpointConfigDecoder,
  leakGracePeriod: str,
});

export const controllersConfigDecoder: Decoder<ControllersConfig> = obj({
  node: nodeControllerConfigDecoder,
  policy: reconcilerDecoder,
  workloadEndpoint: reconcilerDecoder,
  serviceAccount: reconcilerDecoder,
  namespace: reconcilerDecoder,
  loadBalancer: obj({ assignIPs: str }),
  policyMigration: obj({ enabled: str }),
});

export const kubeControllersConfigurationSpecDecoder: Decoder<KubeControllersConfigurationSpec> = obj({
  logSeverityScreen: str,
  healthChecks: str,
  etcdV3CompactionPeriod: str,
  prometheusMetricsPort: int,
  controllers: controllersConfigDecoder,
  debugProfilePort: int,
});

const statusDecoder: Decoder<KubeControllersConfigurationStatus> = obj({
  runningConfig: kubeControllersConfigurationSpecDecoder,
  environmentVars: record(str),
});

// ---------------------------------------------------------------------------------------------
// Validation

function enumErrors(v: string | undefined, path: FieldPath, values: readonly string[]): FieldError[] {
  return v === undefined || v === '' || values.includes(v) ? [] : [notSupported(path, v, values)];
}

function portErrors(v: number | undefined, path: FieldPath): FieldError[] {
  return v === undefined || (v >= 0 && v <= 65535) ? [] : [invalid(path, v, 'must be between 0 and 65535, inclusive')];
}

function optionalDuration(v: string | undefined, path: FieldPath): FieldError[] {
  return v === undefined ? [] : durationErrors(v, path);
}

export function validateAutoHostEndpointTemplate(t: AutoHostEndpointTemplate, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if ((t.generateName ?? '') !== '')
    errs.push(...isDNS1123Subdomain(t.generateName ?? '').map((m) => invalid(path.child('generateName'), t.generateName, m)));
  const cidrs = t.interfaceCIDRs ?? [];
  cidrs.forEach((c, i) => errs.push(...cidrOrIpErrors(c, path.child('interfaceCIDRs').index(i))));
  if ((t.interfacePattern ?? '') !== '') errs.push(...regexpErrors(t.interfacePattern ?? '', path.child('interfacePattern')));
  errs.push(...validateLabels(t.labels, path.child('labels')));
  errs.push(...validateSelector(t.nodeSelector, path.child('nodeSelector'), 'forbid'));
  return errs;
}

export function validateAutoHostEndpointConfig(h: AutoHostEndpointConfig, path: FieldPath): FieldError[] {
  return [
    ...enumErrors(h.autoCreate, path.child('autoCreate'), ENABLED_DISABLED),
    ...enumErrors(h.createDefaultHostEndpoint, path.child('createDefaultHostEndpoint'), ENABLED_DISABLED),
    ...(h.templates ?? []).flatMap((t, i) => validateAutoHostEndpointTemplate(t, path.child('templates').index(i))),
  ];
}

export function validateNodeControllerConfig(n: NodeControllerConfig, path: FieldPath): FieldError[] {
  return [
    ...optionalDuration(n.reconcilerPeriod, path.child('reconcilerPeriod')),
    ...enumErrors(n.syncLabels, path.child('syncLabels'), ENABLED_DISABLED),
    ...(n.hostEndpoint ? validateAutoHostEndpointConfig(n.hostEndpoint, path.child('hostEndpoint')) : []),
    ...optionalDuration(n.leakGracePeriod, path.child('leakGracePeriod')),
  ];
}

function validateReconciler(r: ReconcilerControllerConfig, path: FieldPath): FieldError[] {
  return optionalDuration(r.reconcilerPeriod, path.child('reconcilerPeriod'));
}

export function validateControllersConfig(c: ControllersConfig, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (c.node) errs.push(...validateNodeControllerConfig(c.node, path.child('node')));
  for (const k of ['policy', 'workloadEndpoint', 'serviceAccount', 'namespace'] as const) {
    const r = c[k];
    if (r) errs.push(...validateReconciler(r, path.child(k)));
  }
  if (c.loadBalancer)
    errs.push(...enumErrors(c.loadBalancer.assignIPs, path.child('loadBalancer').child('assignIPs'), ['AllServices', 'RequestedServicesOnly']));
  if (c.policyMigration) errs.push(...enumErrors(c.policyMigration.enabled, path.child('policyMigration').child('enabled'), ENABLED_DISABLED));
  return errs;
}

export function validateKubeControllersConfigurationSpec(s: KubeControllersConfigurationSpec, path: FieldPath): FieldError[] {
  return [
    ...enumErrors(s.logSeverityScreen, path.child('logSeverityScreen'), KUBE_CONTROLLERS_LOG_LEVELS),
    ...enumErrors(s.healthChecks, path.child('healthChecks'), ENABLED_DISABLED),
    ...optionalDuration(s.etcdV3CompactionPeriod, path.child('etcdV3CompactionPeriod')),
    ...portErrors(s.prometheusMetricsPort, path.child('prometheusMetricsPort')),
    ...portErrors(s.debugProfilePort, path.child('debugProfilePort')),
    ...(s.controllers ? validateControllersConfig(s.controllers, path.child('controllers')) : []),
  ];
}

// ---------------------------------------------------------------------------------------------
// Registry rows

export const kubeControllersConfigurationKind: KindInfo = defineKind<KubeControllersConfiguration>({
  kind: 'KubeControllersConfiguration',
  group: 'projectcalico.org',
  version: 'v3',
  plural: 'kubecontrollersconfigurations',
  singular: 'kubecontrollersconfiguration',
  shortNames: ['kubecontrollersconfig', 'kubecontrollersconfigs'],
  namespaced: false,
  validateName: (n) => (n === 'default' ? [] : ['must be `default`: kube-controllers reads only the resource named `default`']),
  decode: resourceDecoder({ spec: kubeControllersConfigurationSpecDecoder, status: statusDecoder }) as Decoder<KubeControllersConfiguration>,
  applyDefaults: (o) => o,
  validate: (o, path) => [
    ...validateKubeControllersConfigurationSpec(o.spec ?? {}, path.child('spec')),
    ...(o.status?.runningConfig
      ? validateKubeControllersConfigurationSpec(o.status.runningConfig, path.child('status').child('runningConfig'))
      : []),
  ],
});

export const KUBE_CONTROLLERS_FRAGMENTS: readonly FragmentInfo[] = [
  defineFragment<KubeControllersConfigurationSpec>({
    name: 'KubeControllersConfigurationSpec',
    decode: kubeControllersConfigurationSpecDecoder,
    validate: validateKubeControllersConfigurationSpec,
  }),
  defineFragment<ControllersConfig>({ name: 'ControllersConfig', decode: controllersConfigDecoder, validate: validateControllersConfig }),
  defineFragment<NodeControllerConfig>({
    name: 'NodeControllerConfig',
    decode: nodeControllerConfigDecoder,
    validate: validateNodeControllerConfig,
  }),
  defineFragment<AutoHostEndpointConfig>({
    name: 'AutoHostEndpointConfig',
    decode: autoHostEndpointConfigDecoder,
    validate: validateAutoHostEndpointConfig,
  }),
  ...(['PolicyControllerConfig', 'WorkloadEndpointControllerConfig', 'ServiceAccountControllerConfig', 'NamespaceControllerConfig'] as const).map(
    (name) => defineFragment<ReconcilerControllerConfig>({ name, decode: reconcilerDecoder, validate: validateReconciler }),
  ),
];
