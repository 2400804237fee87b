/**
 * Decode + defaults + validation tables for the core/v1 kinds Tabby reads: Namespace, Pod, Node,
 * Service, ServiceAccount. Strict where Tabby reads fields, open elsewhere, metadata always strict.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeResource, validateResource } from '../validate-resource.js';
import { kindByAlias, kindFor } from '../kinds.js';
import { formatLine } from '../field/format.js';
import type { FieldErrorType } from '../field/errors.js';
import type { Pod, Service } from './types.js';

type Want = readonly (readonly [FieldErrorType, string])[];
const got = (raw: unknown): Want => validateResource(raw).map((e) => [e.type, e.path] as const);

const pod = (spec: Record<string, unknown> = {}, status: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-1', namespace: 'shop', labels: { app: 'web' }, ...metadata },
  spec: {
    nodeName: 'worker-1',
    serviceAccountName: 'web',
    containers: [
      {
        name: 'web',
        image: 'nginx:1.27',
        resources: { limits: { cpu: '500m' } },
        ports: [{ name: 'http', containerPort: 80 }],
      },
    ],
    ...spec,
  },
  status: { phase: 'Running', podIP: '10.0.0.5', podIPs: [{ ip: '10.0.0.5' }, { ip: 'fd00::5' }], conditions: [], ...status },
});

const service = (spec: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'shop' },
  spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }], ...spec },
  ...extra,
});

const node = (spec: Record<string, unknown> = {}, status: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'worker-1', labels: { 'ibm.role': 'worker_public' } },
  spec: { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24', 'fd00:244:1::/64'], taints: [], ...spec },
  status: {
    addresses: [
      { type: 'InternalIP', address: '10.1.0.11' },
      { type: 'Hostname', address: 'worker-1' },
    ],
    capacity: { cpu: '4' },
    ...status,
  },
});

const cases: { name: string; raw: unknown; want: Want }[] = [
  // Namespace
  { name: 'namespace', raw: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'finance', labels: { usage: 'finance' } } }, want: [] },
  {
    name: 'namespace name must be a DNS label',
    raw: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team.finance' } },
    want: [['Invalid', 'metadata.name']],
  },
  {
    name: 'namespace is cluster-scoped',
    raw: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'finance', namespace: 'default' } },
    want: [['Invalid', 'metadata.namespace']],
  },
  {
    name: 'namespace with status and finalizers',
    raw: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a' }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } },
    want: [],
  },
  // Pod
  { name: 'pod, realistic manifest with fields Tabby ignores', raw: pod(), want: [] },
  { name: 'pod without containers (observed state)', raw: pod({ containers: undefined }), want: [] },
  { name: 'pod metadata is strict', raw: pod({}, {}, { Labels: { a: 'b' } }), want: [['Unknown', 'metadata.Labels']] },
  { name: 'pod hostNetwork must be a boolean', raw: pod({ hostNetwork: 'yes' }), want: [['TypeInvalid', 'spec.hostNetwork']] },
  {
    name: 'container port is strict',
    raw: pod({ containers: [{ name: 'c', ports: [{ containerPort: 80, targetPort: 80 }] }] }),
    want: [['Unknown', 'spec.containers[0].ports[0].targetPort']],
  },
  {
    name: 'container port number and protocol',
    raw: pod({ containers: [{ name: 'c', ports: [{ containerPort: 0 }, { containerPort: 70000, protocol: 'ICMP', hostPort: -1 }] }] }),
    want: [
      ['Required', 'spec.containers[0].ports[0].containerPort'],
      ['Invalid', 'spec.containers[0].ports[1].containerPort'],
      ['Invalid', 'spec.containers[0].ports[1].hostPort'],
      ['NotSupported', 'spec.containers[0].ports[1].protocol'],
    ],
  },
  {
    name: 'port names unique across containers, IANA_SVC_NAME',
    raw: pod({
      containers: [
        { name: 'a', ports: [{ name: 'http', containerPort: 80 }] },
        { name: 'b', ports: [{ name: 'http', containerPort: 81 }, { name: 'HTTP_ALT', containerPort: 82 }] },
      ],
    }),
    want: [
      ['Duplicate', 'spec.containers[1].ports[0].name'],
      ['Invalid', 'spec.containers[1].ports[1].name'],
      ['Invalid', 'spec.containers[1].ports[1].name'],
    ],
  },
  {
    name: 'pod IPs',
    raw: pod({}, { podIP: '10.0.0.256', podIPs: [{ ip: 'nope' }, {}] }),
    want: [
      ['Invalid', 'status.podIP'],
      ['Invalid', 'status.podIPs[0].ip'],
      ['Required', 'status.podIPs[1].ip'],
    ],
  },
  { name: 'podIPs entry is strict', raw: pod({}, { podIPs: [{ address: '10.0.0.1' }] }), want: [['Unknown', 'status.podIPs[0].address']] },
  // Node
  { name: 'node', raw: node(), want: [] },
  {
    name: 'node CIDRs',
    raw: node({ podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24', '10.244.2.0/24'] }),
    want: [['Invalid', 'spec.podCIDRs']],
  },
  { name: 'node podCIDR', raw: node({ podCIDR: '10.244.1.0', podCIDRs: undefined }), want: [['Invalid', 'spec.podCIDR']] },
  {
    name: 'node addresses',
    raw: node({}, { addresses: [{ type: 'InternalIP', address: 'worker-1' }, { type: 'Private', address: '10.0.0.1' }, { type: 'Hostname' }] }),
    want: [
      ['Invalid', 'status.addresses[0].address'],
      ['NotSupported', 'status.addresses[1].type'],
      ['Required', 'status.addresses[2].address'],
    ],
  },
  { name: 'node address is strict', raw: node({}, { addresses: [{ kind: 'InternalIP' }] }), want: [['Unknown', 'status.addresses[0].kind']] },
  // Service
  { name: 'service ClusterIP', raw: service({ clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], sessionAffinity: 'None' }), want: [] },
  {
    name: 'service NodePort',
    raw: service({ type: 'NodePort', externalTrafficPolicy: 'Local', ports: [{ name: 'http', port: 80, nodePort: 30080 }, { name: 'dns', port: 53, protocol: 'UDP', nodePort: 30053 }] }),
    want: [],
  },
  {
    name: 'service LoadBalancer with status',
    raw: service({ type: 'LoadBalancer', loadBalancerIP: '169.45.1.2' }, { status: { loadBalancer: { ingress: [{ ip: '169.45.1.2', ipMode: 'VIP' }] } } }),
    want: [],
  },
  { name: 'headless service without ports', raw: service({ clusterIP: 'None', ports: undefined }), want: [] },
  { name: 'ExternalName service', raw: service({ type: 'ExternalName', externalName: 'db.example.com', ports: undefined }), want: [] },
  { name: 'ports required', raw: service({ ports: undefined }), want: [['Required', 'spec.ports']] },
  {
    name: 'nodePort out of range',
    raw: service({ type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] }),
    want: [['Invalid', 'spec.ports[0].nodePort']],
  },
  {
    name: 'nodePort on a ClusterIP service',
    raw: service({ ports: [{ port: 80, nodePort: 30080 }] }),
    want: [['Forbidden', 'spec.ports[0].nodePort']],
  },
  {
    name: 'port names required with several ports, unique, DNS labels',
    raw: service({ ports: [{ port: 80 }, { name: 'b', port: 81 }, { name: 'b', port: 82 }, { name: 'B_x', port: 83 }] }),
    want: [
      ['Required', 'spec.ports[0].name'],
      ['Duplicate', 'spec.ports[2].name'],
      ['Invalid', 'spec.ports[3].name'],
    ],
  },
  {
    name: 'port numbers and protocol',
    raw: service({ ports: [{ name: 'a', port: 0 }, { name: 'b', port: 70000, protocol: 'ICMP', targetPort: 'HTTP' }] }),
    want: [
      ['Invalid', 'spec.ports[0].port'],
      // targetPort defaults to port (0), which is invalid too, as in Kubernetes
      ['Invalid', 'spec.ports[0].targetPort'],
      ['Invalid', 'spec.ports[1].port'],
      ['NotSupported', 'spec.ports[1].protocol'],
      // upper case: bad charset, and no lower-case letter
      ['Invalid', 'spec.ports[1].targetPort'],
      ['Invalid', 'spec.ports[1].targetPort'],
    ],
  },
  {
    name: 'duplicate (protocol, port)',
    raw: service({ ports: [{ name: 'a', port: 80 }, { name: 'b', port: 80 }, { name: 'c', port: 80, protocol: 'UDP' }] }),
    want: [['Duplicate', 'spec.ports[1]']],
  },
  { name: 'unknown service type', raw: service({ type: 'Ingress' }), want: [['NotSupported', 'spec.type']] },
  {
    name: 'externalTrafficPolicy',
    raw: service({ externalTrafficPolicy: 'Local' }),
    want: [['Invalid', 'spec.externalTrafficPolicy']],
  },
  {
    name: 'externalTrafficPolicy value',
    raw: service({ type: 'LoadBalancer', externalTrafficPolicy: 'local' }),
    want: [['NotSupported', 'spec.externalTrafficPolicy']],
  },
  { name: 'clusterIP', raw: service({ clusterIP: '10.96.0' }), want: [['Invalid', 'spec.clusterIP']] },
  {
    name: 'clusterIPs must start with clusterIP',
    raw: service({ clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.11'] }),
    want: [['Invalid', 'spec.clusterIPs[0]']],
  },
  { name: 'headless NodePort', raw: service({ type: 'NodePort', clusterIP: 'None' }), want: [['Invalid', 'spec.clusterIP']] },
  { name: 'ExternalName needs externalName', raw: service({ type: 'ExternalName', ports: undefined }), want: [['Required', 'spec.externalName']] },
  {
    name: 'load balancer ingress',
    raw: service({ type: 'LoadBalancer' }, { status: { loadBalancer: { ingress: [{ ip: 'lb' }, { hostname: '10.0.0.1' }] } } }),
    want: [
      ['Invalid', 'status.loadBalancer.ingress[0].ip'],
      ['Invalid', 'status.loadBalancer.ingress[1].hostname'],
    ],
  },
  { name: 'service port is strict', raw: service({ ports: [{ port: 80, target: 8080 }] }), want: [['Unknown', 'spec.ports[0].target']] },
  { name: 'service selector labels', raw: service({ selector: { app: 'a b' } }), want: [['Invalid', 'spec.selector[app]']] },
  {
    name: 'service name must be a DNS-1035 label',
    raw: { ...service({}), metadata: { name: '1web', namespace: 'shop' } },
    want: [['Invalid', 'metadata.name']],
  },
  // ServiceAccount
  {
    name: 'service account',
    raw: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'web', namespace: 'shop', labels: { team: 'a' } }, secrets: [{ name: 'x' }], automountServiceAccountToken: false },
    want: [],
  },
  {
    name: 'service account has no spec',
    raw: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'web' }, spec: {} },
    want: [['Unknown', 'spec']],
  },
];

for (const c of cases) {
  void test(`core: ${c.name}`, () => assert.deepEqual(got(c.raw), c.want));
}

void test('core: nodePort message', () => {
  assert.deepEqual(validateResource(service({ type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] })).map(formatLine), [
    'spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767',
  ]);
});

void test('core: Service defaults', () => {
  const ok = decodeResource(service({ type: 'NodePort', ports: [{ name: 'a', port: 80 }, { name: 'b', port: 81, targetPort: 'http', protocol: 'UDP' }] }));
  assert.ok(ok.ok);
  const spec = (ok.value.resource as Service).spec;
  assert.deepEqual(spec?.ports, [
    { name: 'a', port: 80, protocol: 'TCP', targetPort: 80 },
    { name: 'b', port: 81, targetPort: 'http', protocol: 'UDP' },
  ]);
  assert.equal(spec?.externalTrafficPolicy, 'Cluster');
  const cluster = decodeResource(service({}));
  assert.ok(cluster.ok);
  assert.equal((cluster.value.resource as Service).spec?.type, 'ClusterIP');
  assert.equal((cluster.value.resource as Service).spec?.externalTrafficPolicy, undefined);
});

void test('core: Pod defaults keep unmodelled fields', () => {
  const r = decodeResource(pod());
  assert.ok(r.ok);
  const p = r.value.resource as Pod & { spec: { containers: { image?: string }[] } };
  assert.equal(p.spec.containers[0]?.image, 'nginx:1.27');
  assert.deepEqual(p.spec.containers[0] && (p.spec.containers[0] as { ports?: unknown }).ports, [{ name: 'http', containerPort: 80, protocol: 'TCP' }]);
});

const aliases: [string, string, string][] = [
  ['ns', '', 'Namespace'],
  ['po', '', 'Pod'],
  ['pods', '', 'Pod'],
  ['no', '', 'Node'],
  ['svc', '', 'Service'],
  ['sa', '', 'ServiceAccount'],
  ['serviceaccounts', '', 'ServiceAccount'],
];
for (const [alias, group, kind] of aliases) {
  void test(`core: alias ${alias}`, () => assert.equal(kindByAlias(alias, group)?.kind, kind));
}

void test('core: namespaced flags', () => {
  assert.equal(kindFor('v1', 'Namespace')?.namespaced, false);
  assert.equal(kindFor('v1', 'Node')?.namespaced, false);
  assert.equal(kindFor('v1', 'Pod')?.namespaced, true);
  assert.equal(kindFor('v1', 'Service')?.namespaced, true);
  assert.equal(kindFor('v1', 'ServiceAccount')?.namespaced, true);
});
