/**
 * The ibm-classic profile gives the outcomes R2 lists (engine verdicts, no packets): from the
 * internet to a worker's public IP, ICMP and TCP 52311 are allowed, other ports denied except
 * Calico's failsafe ports; NodePort traffic reaches its pods; pod-to-pod traffic is unaffected;
 * the dashboard is reachable only from namespaces labelled kubernetes-dashboard-policy: allow.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runVerdicts, type FlowInput } from '../engine/index.js';
import { decodeResource } from '../model/validate-resource.js';
import type { Resource } from '../model/meta.js';
import { desiredHostEndpoints, nodeManifest, profileNamed, type Manifest } from './index.js';
import type { KubeControllersConfigurationSpec } from '../model/calico/other-types.js';
import type { StoredObject } from '../datastore/index.js';

const ibm = profileNamed('ibm-classic')!;
const workers = ibm.workers(3);
const w1 = workers[0]!;

const ns = (name: string, labels: Record<string, string> = {}): Manifest => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } } });
const pod = (namespace: string, name: string, ip: string, labels: Record<string, string>, node = w1.name): Manifest => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels },
  spec: { nodeName: node, containers: [{ name: 'c', image: 'nginx' }] },
  status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
});

function resources(): Resource[] {
  const profile = ibm.resources({ workers, scheduler: 'static' });
  const nodes = workers.map(nodeManifest);
  const kcc = profile.find((m) => m['kind'] === 'KubeControllersConfiguration')!;
  const heps = desiredHostEndpoints((kcc['spec'] as KubeControllersConfigurationSpec), nodes as unknown as StoredObject[], ibm.interfaces);
  const all: Manifest[] = [
    ns('default'),
    ns('kube-system'),
    ns('trusted', { 'kubernetes-dashboard-policy': 'allow' }),
    ...nodes,
    ...profile,
    ...heps,
    pod('default', 'web', '172.30.2.20', { app: 'web' }, workers[1]!.name),
    pod('default', 'client', '172.30.3.30', { app: 'client' }, workers[2]!.name),
    pod('trusted', 'admin', '172.30.3.31', { app: 'admin' }, workers[2]!.name),
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { type: 'NodePort', selector: { app: 'web' }, clusterIP: '172.21.0.10', ports: [{ port: 80, targetPort: 80, nodePort: 30080, protocol: 'TCP' }] },
    },
  ];
  return all.map((m) => {
    const r = decodeResource(m);
    assert.ok(r.ok, `${String(m['kind'])}: ${r.ok ? '' : JSON.stringify(r.error)}`);
    return r.value.resource;
  });
}

const INTERNET = '203.0.113.5';
const cases: { name: string; flow: FlowInput; want: 'Allow' | 'Deny' }[] = [
  { name: 'ping from the internet to a public IP', flow: { from: INTERNET, to: w1.externalIP!, protocol: 'ICMP' }, want: 'Allow' },
  { name: 'BigFix TCP 52311 from the internet', flow: { from: INTERNET, to: w1.externalIP!, port: 52311 }, want: 'Allow' },
  { name: 'another port from the internet is denied', flow: { from: INTERNET, to: w1.externalIP!, port: 8080 }, want: 'Deny' },
  { name: 'UDP from the internet is denied', flow: { from: INTERNET, to: w1.externalIP!, port: 161, protocol: 'UDP' }, want: 'Deny' },
  { name: 'SSH stays open: a Calico failsafe port', flow: { from: INTERNET, to: w1.externalIP!, port: 22 }, want: 'Allow' },
  { name: 'VRRP from the internet', flow: { from: INTERNET, to: w1.externalIP!, protocol: 112 }, want: 'Allow' },
  { name: 'the management network reaches any port', flow: { from: '198.18.200.7', to: w1.externalIP!, port: 8080 }, want: 'Allow' },
  { name: 'NodePort traffic reaches the pods behind it', flow: { from: INTERNET, to: w1.externalIP!, port: 30080 }, want: 'Allow' },
  { name: 'pod to pod is unaffected', flow: { from: 'default/client', to: 'default/web', port: 80 }, want: 'Allow' },
  { name: 'a pod cannot reach the dashboard', flow: { from: 'default/client', to: 'kube-system/kubernetes-dashboard-7b9c6d8f5-x2k4p', port: 8443 }, want: 'Deny' },
  { name: 'a pod of a namespace labelled kubernetes-dashboard-policy: allow can', flow: { from: 'trusted/admin', to: 'kube-system/kubernetes-dashboard-7b9c6d8f5-x2k4p', port: 8443 }, want: 'Allow' },
];

const snapResources = resources();
for (const c of cases)
  test(c.name, () => {
    const [v] = runVerdicts(snapResources, [c.flow]);
    assert.equal(v!.error, undefined);
    assert.equal(v!.action, c.want, JSON.stringify(v!.trace.map((s) => `${s.stage}: ${s.summary}`)));
  });
