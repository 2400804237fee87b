import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateResource, decodeResource } from '../validate-resource.js';
import { formatLine } from '../field/format.js';

type J = Record<string, unknown>;

const deploy = (spec: J): J => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' }, spec });
const template = (labels: J, containers: J[] = [{ name: 'web', image: 'nginx' }], extra: J = {}): J => ({ metadata: { labels }, spec: { containers, ...extra } });
const lines = (o: J): string[] => validateResource(o).map(formatLine);

const cases: { name: string; obj: J; want: string[] }[] = [
  { name: 'kubectl create deployment is valid', obj: deploy({ replicas: 1, selector: { matchLabels: { app: 'web' } }, template: template({ app: 'web' }) }), want: [] },
  { name: 'selector required', obj: deploy({ template: template({ app: 'web' }) }), want: ['spec.selector: Required value'] },
  {
    name: 'selector must match the template labels',
    obj: deploy({ selector: { matchLabels: { app: 'web' } }, template: template({ app: 'db' }) }),
    want: ['spec.template.metadata.labels: Invalid value: {"app":"db"}: `selector` does not match template `labels`'],
  },
  {
    name: 'negative replicas, missing image, bad container name, restart policy',
    obj: deploy({ replicas: -1, selector: { matchLabels: { app: 'web' } }, template: template({ app: 'web' }, [{ name: 'Web_1' }], { restartPolicy: 'Never' }) }),
    want: [
      'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      "spec.template.spec.containers[0].name: Invalid value: \"Web_1\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
      'spec.template.spec.containers[0].image: Required value',
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ],
  },
  {
    name: 'strategy type and rolling-update percentages',
    obj: deploy({ selector: { matchLabels: { app: 'web' } }, template: template({ app: 'web' }), strategy: { type: 'Blue', rollingUpdate: { maxSurge: '120%', maxUnavailable: 0 } } }),
    want: ['spec.strategy.type: Unsupported value: "Blue": supported values: "Recreate", "RollingUpdate"', 'spec.strategy.rollingUpdate.maxSurge: Invalid value: "120%": must not be greater than 100%'],
  },
  {
    name: 'an unknown field in the spec is refused with its path',
    obj: deploy({ replica: 2, selector: { matchLabels: { app: 'web' } }, template: template({ app: 'web' }) }),
    want: ['spec.replica: Unknown field: unknown field; did you mean "replicas"?'],
  },
  {
    name: 'ReplicaSet: empty selector',
    obj: { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'r' }, spec: { selector: {}, template: template({ a: 'b' }) } },
    want: ['spec.selector: Invalid value: {}: empty selector is invalid for replicaset'],
  },
  {
    name: 'EndpointSlice: address type and addresses',
    obj: { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 's' }, addressType: 'IPv4', endpoints: [{ addresses: ['2001:db8::1'] }, { addresses: [] }], ports: [{ port: 80, protocol: 'TCP' }] },
    want: ['endpoints[0].addresses[0]: Invalid value: "2001:db8::1": must be a valid IPv4 address', 'endpoints[1].addresses: Required value: must contain at least 1 address'],
  },
  {
    name: 'core Event: the involved object must be in the event namespace',
    obj: { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e', namespace: 'a' }, involvedObject: { kind: 'Pod', namespace: 'b', name: 'p' }, reason: 'X', type: 'Normal' },
    want: ['involvedObject.namespace: Invalid value: "b": does not match event.namespace'],
  },
  {
    name: 'events.k8s.io Event: the reporting fields are required',
    obj: { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'e', namespace: 'a' }, type: 'Normal', reason: 'X' },
    want: ['eventTime: Required value', 'reportingController: Required value', 'reportingInstance: Required value', 'action: Required value'],
  },
];

for (const c of cases) test(c.name, () => assert.deepEqual(lines(c.obj), c.want));

test('defaults: replicas 1, RollingUpdate 25%/25%, restartPolicy Always', () => {
  const r = decodeResource(deploy({ selector: { matchLabels: { app: 'web' } }, template: template({ app: 'web' }) }));
  assert.ok(r.ok);
  const spec = (r.value.resource as unknown as { spec: J }).spec;
  assert.equal(spec['replicas'], 1);
  assert.deepEqual(spec['strategy'], { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
  assert.equal(((spec['template'] as J)['spec'] as J)['restartPolicy'], 'Always');
});
