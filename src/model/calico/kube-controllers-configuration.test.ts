// KubeControllersConfiguration through validateResource and validateFragment. Cases marked
// [calico] are replayed from libcalico-go validator/v3 validator_test.go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateFragment, validateResource } from '../validate-resource.js';
import { kindByAlias } from '../kinds.js';
import { DEFAULT_KUBE_CONTROLLERS_SPEC } from './kube-controllers-configuration.js';

interface Want {
  readonly type: string;
  readonly path: string;
}
interface Case {
  readonly name: string;
  readonly via: string;
  readonly value: unknown;
  readonly want: readonly Want[];
}

const e = (type: string, path: string): Want => ({ type, path });
const uniq = (ws: readonly Want[]): string[] => [...new Set(ws.map((w) => `${w.type} ${w.path}`))].sort();

const kcc = (spec: unknown, name = 'default', extra: Record<string, unknown> = {}): unknown => ({
  apiVersion: 'projectcalico.org/v3',
  kind: 'KubeControllersConfiguration',
  metadata: { name },
  spec,
  ...extra,
});
const c = (name: string, via: string, value: unknown, want: readonly Want[] = []): Case => ({ name, via, value, want });
const SPEC = 'KubeControllersConfigurationSpec';
const NODE = 'NodeControllerConfig';
const tmpl = (t: Record<string, unknown>): unknown => ({ controllers: { node: { hostEndpoint: { autoCreate: 'Enabled', templates: [t] } } } });
const TP = 'controllers.node.hostEndpoint.templates[0]';

const cases: readonly Case[] = [
  // [calico]
  c('rejects invalid HealthChecks [calico]', SPEC, { healthChecks: 'invalid', controllers: {} }, [e('NotSupported', 'healthChecks')]),
  c('accepts valid HealthChecks [calico]', SPEC, { healthChecks: 'Enabled', controllers: {} }),
  c('rejects an invalid log severity [calico]', SPEC, { logSeverityScreen: 'invalid', controllers: {} }, [e('NotSupported', 'logSeverityScreen')]),
  c('accepts a valid log severity [calico]', SPEC, { logSeverityScreen: 'Error', controllers: {} }),
  c('accepts a valid compaction period [calico]', SPEC, { etcdV3CompactionPeriod: '12m0s', controllers: {} }),
  c('accepts ControllersConfig with no values [calico]', SPEC, { controllers: {} }),
  c('accepts ControllersConfig with empty values [calico]', SPEC, {
    controllers: { node: {}, policy: {}, workloadEndpoint: {}, serviceAccount: {}, namespace: {} },
  }),
  c('accepts a node reconciliation period [calico]', NODE, { reconcilerPeriod: '5m0s' }),
  c('rejects invalid sync labels [calico]', NODE, { syncLabels: 'yes' }, [e('NotSupported', 'syncLabels')]),
  c('accepts valid sync labels [calico]', NODE, { syncLabels: 'Disabled' }),
  c('rejects an invalid host endpoint auto create [calico]', NODE, { hostEndpoint: { autoCreate: 'Totally' } }, [e('NotSupported', 'hostEndpoint.autoCreate')]),
  c('accepts a valid host endpoint auto create [calico]', NODE, { hostEndpoint: { autoCreate: 'Enabled' } }),
  c('accepts an empty host endpoint config [calico]', NODE, { hostEndpoint: {} }),
  c('accepts a policy reconciliation period [calico]', 'PolicyControllerConfig', { reconcilerPeriod: '5m30s' }),
  c('accepts a workload endpoint reconciliation period [calico]', 'WorkloadEndpointControllerConfig', { reconcilerPeriod: '5m30s' }),
  c('accepts a service account reconciliation period [calico]', 'ServiceAccountControllerConfig', { reconcilerPeriod: '5m30s' }),
  c('accepts a namespace reconciliation period [calico]', 'NamespaceControllerConfig', { reconcilerPeriod: '5m30s' }),

  // Field rules
  c('accepts the kube-controllers defaults', SPEC, DEFAULT_KUBE_CONTROLLERS_SPEC),
  c('accepts log severity Panic', SPEC, { logSeverityScreen: 'Panic' }),
  c('accepts log severity None', SPEC, { logSeverityScreen: 'None' }),
  c('rejects a malformed reconciler period', NODE, { reconcilerPeriod: '5 minutes' }, [e('Invalid', 'reconcilerPeriod')]),
  c('rejects a malformed leak grace period', NODE, { leakGracePeriod: '15' }, [e('Invalid', 'leakGracePeriod')]),
  c('rejects a metrics port above 65535', SPEC, { prometheusMetricsPort: 70000 }, [e('Invalid', 'prometheusMetricsPort')]),
  c('accepts metrics port 0 (disabled)', SPEC, { prometheusMetricsPort: 0, debugProfilePort: 6060 }),
  c('rejects a bad createDefaultHostEndpoint', NODE, { hostEndpoint: { createDefaultHostEndpoint: 'Yes' } }, [e('NotSupported', 'hostEndpoint.createDefaultHostEndpoint')]),
  c('rejects a bad assignIPs', SPEC, { controllers: { loadBalancer: { assignIPs: 'Some' } } }, [e('NotSupported', 'controllers.loadBalancer.assignIPs')]),
  c('accepts policy migration settings', SPEC, { controllers: { loadBalancer: { assignIPs: 'RequestedServicesOnly' }, policyMigration: { enabled: 'Disabled' } } }),

  // Auto host endpoint templates
  c('accepts a template', SPEC, tmpl({ generateName: 'internal', interfaceCIDRs: ['10.0.0.0/8', '192.168.1.5'], labels: { 'hep-type': 'internal' }, nodeSelector: "role == 'worker'" })),
  c('accepts a template with only an interface pattern', SPEC, tmpl({ interfacePattern: '^eth[0-9]+$' })),
  // [calico] validator_test.go: Template{GenerateName: "validname"} is valid (the "at least one of
  // interfaceCIDRs/interfacePattern" in the API docs is not enforced by the validator).
  c('accepts a template with neither CIDRs nor pattern', SPEC, tmpl({ generateName: 'x' })),
  c('rejects a bad generateName', SPEC, tmpl({ generateName: 'Not_OK', interfaceCIDRs: ['10.0.0.0/8'] }), [e('Invalid', `${TP}.generateName`)]),
  c('rejects a bad template CIDR', SPEC, tmpl({ interfaceCIDRs: ['10.0.0.0/33'] }), [e('Invalid', `${TP}.interfaceCIDRs[0]`)]),
  c('rejects a bad interface pattern', SPEC, tmpl({ interfacePattern: '(eth' }), [e('Invalid', `${TP}.interfacePattern`)]),
  c('rejects bad template labels', SPEC, tmpl({ interfaceCIDRs: ['10.0.0.0/8'], labels: { 'a b': 'c' } }), [e('Invalid', `${TP}.labels`)]),
  c('rejects a bad node selector', SPEC, tmpl({ interfaceCIDRs: ['10.0.0.0/8'], nodeSelector: 'role ==' }), [e('Invalid', `${TP}.nodeSelector`)]),
  c('rejects global() in a node selector', SPEC, tmpl({ interfaceCIDRs: ['10.0.0.0/8'], nodeSelector: 'global()' }), [e('Invalid', `${TP}.nodeSelector`)]),
  c('rejects an unknown template field', SPEC, tmpl({ interfaceCIDRs: ['10.0.0.0/8'], name: 'x' }), [e('Unknown', `${TP}.name`)]),

  // Resource
  c('accepts the default resource', 'resource', kcc({ controllers: { node: { syncLabels: 'Enabled' } } })),
  c('rejects another name', 'resource', kcc({ controllers: {} }, 'kcc'), [e('Invalid', 'metadata.name')]),
  c('reports spec paths', 'resource', kcc({ healthChecks: 'On' }), [e('NotSupported', 'spec.healthChecks')]),
  c(
    'accepts and checks status',
    'resource',
    kcc({}, 'default', { status: { runningConfig: { healthChecks: 'Maybe' }, environmentVars: { LOG_LEVEL: 'info' } } }),
    [e('NotSupported', 'status.runningConfig.healthChecks')],
  ),
  c('rejects an unknown controller', 'resource', kcc({ controllers: { route: {} } }), [e('Unknown', 'spec.controllers.route')]),
];

for (const t of cases) {
  void test(`KubeControllersConfiguration: ${t.via === 'resource' ? '' : `${t.via}: `}${t.name}`, () => {
    const got = t.via === 'resource' ? validateResource(t.value) : validateFragment(t.via, t.value);
    assert.deepEqual(uniq(got), uniq(t.want), `errors were:\n${got.map((x) => `${x.type} ${x.path}: ${x.message}`).join('\n')}`);
  });
}

void test('KubeControllersConfiguration: calicoctl aliases resolve', () => {
  for (const alias of ['kubecontrollersconfiguration', 'kubecontrollersconfigurations', 'kubecontrollersconfig', 'kubecontrollersconfigs']) {
    assert.equal(kindByAlias(alias, 'projectcalico.org')?.kind, 'KubeControllersConfiguration', alias);
  }
});
