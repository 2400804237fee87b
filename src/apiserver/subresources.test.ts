/**
 * In-process tests of the workload subresources and SelfSubjectAccessReview (no lab: pods/log,
 * exec and attach answer the Status a pod nobody runs gets).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openMemoryDatastore } from '../datastore/index.js';
import { createApp } from './app.js';
import type { PodRuntime } from './pod-runtime.js';

const TOKENS = { admin: 'admin-token', readOnly: 'ro-token' };
type Json = Record<string, unknown>;

async function setup(podRuntime?: PodRuntime) {
  const ds = await openMemoryDatastore();
  const app = createApp({ datastore: ds, tokens: TOKENS, ...(podRuntime ? { podRuntime } : {}) });
  const call = async (method: string, path: string, body?: unknown, token = TOKENS.admin, ct = 'application/json') => {
    const res = await app.request(path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': ct }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    let parsed: Json;
    try {
      parsed = JSON.parse(text) as Json;
    } catch {
      parsed = { text };
    }
    return { status: res.status, body: parsed };
  };
  await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  return { ds, call };
}

const SSAR = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';
const review = (verb: string, resource: string, group = 'networking.k8s.io') => ({
  apiVersion: 'authorization.k8s.io/v1',
  kind: 'SelfSubjectAccessReview',
  spec: { resourceAttributes: { namespace: 'default', verb, group, resource } },
});

test('SelfSubjectAccessReview: admin may create networkpolicies, read-only may only read', async () => {
  const { call } = await setup();
  const cases: [string, string, string, boolean][] = [
    ['admin', TOKENS.admin, 'create', true],
    ['read-only', TOKENS.readOnly, 'create', false],
    ['read-only', TOKENS.readOnly, 'list', true],
    ['read-only', TOKENS.readOnly, 'delete', false],
  ];
  for (const [who, token, verb, want] of cases) {
    const r = await call('POST', SSAR, review(verb, 'networkpolicies'), token);
    assert.equal(r.status, 201, `${who} ${verb}`);
    assert.equal((r.body['status'] as Json)['allowed'], want, `${who} ${verb}`);
  }
  const bad = await call('POST', SSAR, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: {} });
  assert.equal(bad.status, 422);
  assert.match(String(bad.body['message']), /spec\.resourceAttributes: Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified/);
  assert.equal((await call('GET', SSAR)).status, 405);
});

test('discovery: the authorization group, create-only reviews, the scale and pod subresources', async () => {
  const { call } = await setup();
  const authz = (await call('GET', '/apis/authorization.k8s.io/v1')).body['resources'] as Json[];
  assert.deepEqual(authz.map((r) => [r['name'], r['verbs']]), [['selfsubjectaccessreviews', ['create']]]);
  const apps = ((await call('GET', '/apis/apps/v1')).body['resources'] as Json[]).map((r) => r['name']);
  assert.deepEqual(apps, ['deployments', 'deployments/scale', 'replicasets', 'replicasets/scale', 'daemonsets']);
  const core = ((await call('GET', '/api/v1')).body['resources'] as Json[]).map((r) => r['name']);
  for (const n of ['pods/log', 'pods/exec', 'pods/attach', 'events']) assert.ok(core.includes(n), n);
});

test('deployments/scale: get, merge patch, 422 for a negative count, read-only forbidden', async () => {
  const { call } = await setup();
  const d = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } } },
  };
  assert.equal((await call('POST', '/apis/apps/v1/namespaces/default/deployments', d)).status, 201);
  const path = '/apis/apps/v1/namespaces/default/deployments/web/scale';
  const g = await call('GET', path);
  assert.deepEqual([g.body['kind'], g.body['apiVersion'], (g.body['spec'] as Json)['replicas'], (g.body['status'] as Json)['selector']], ['Scale', 'autoscaling/v1', 2, 'app=web']);
  const p = await call('PATCH', path, { spec: { replicas: 5 } }, TOKENS.admin, 'application/merge-patch+json');
  assert.equal(p.status, 200);
  const after = await call('GET', '/apis/apps/v1/namespaces/default/deployments/web');
  assert.equal((after.body['spec'] as Json)['replicas'], 5);
  const neg = await call('PATCH', path, { spec: { replicas: -1 } }, TOKENS.admin, 'application/merge-patch+json');
  assert.equal(neg.status, 422);
  assert.match(String(neg.body['message']), /spec\.replicas: Invalid value: -1: must be greater than or equal to 0/);
  assert.equal((await call('PATCH', path, { spec: { replicas: 1 } }, TOKENS.readOnly, 'application/merge-patch+json')).status, 403);
  assert.equal((await call('GET', '/apis/apps/v1/namespaces/default/deployments/nope/scale')).status, 404);
});

test('pods/log, exec, attach without a lab: a Status naming why, never a hang', async () => {
  const { call } = await setup();
  const pod = (name: string, nodeName?: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'nginx' }] } });
  await call('POST', '/api/v1/namespaces/default/pods', pod('pending'));
  await call('POST', '/api/v1/namespaces/default/pods', pod('placed', 'worker1'));
  const pending = await call('GET', '/api/v1/namespaces/default/pods/pending/log');
  assert.deepEqual([pending.status, pending.body['message']], [400, 'pod pending does not have a host assigned']);
  const placed = await call('GET', '/api/v1/namespaces/default/pods/placed/log');
  assert.equal(placed.status, 503);
  assert.match(String(placed.body['message']), /no lab is attached/);
  assert.deepEqual([(await call('GET', '/api/v1/namespaces/default/pods/placed/log?container=x')).body['message']], ['container x is not valid for pod placed']);
  assert.equal((await call('GET', '/api/v1/namespaces/default/pods/missing/log')).status, 404);
  const exec = await call('POST', '/api/v1/namespaces/default/pods/placed/exec?command=ls&stdout=true');
  assert.deepEqual([exec.status, exec.body['message']], [400, 'Upgrade request required']);
  assert.equal((await call('POST', '/api/v1/namespaces/default/pods/placed/exec?command=ls', undefined, TOKENS.readOnly)).status, 403);
});

test('pods/log through a runtime: tailLines and limitBytes as the kubelet applies them', async () => {
  const text = new TextEncoder().encode('one\ntwo\nthree\n');
  const rt: PodRuntime = {
    readLog: (_p, _c, offset) => Promise.resolve({ data: text.subarray(offset), next: text.length, running: false }),
    exec: () => Promise.resolve({ refused: true, code: 400, reason: 'BadRequest', message: 'no' }),
    attach: () => Promise.resolve({ refused: true, code: 400, reason: 'BadRequest', message: 'no' }),
  };
  const { call } = await setup(rt);
  await call('POST', '/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { nodeName: 'w', containers: [{ name: 'c', image: 'nginx' }] } });
  assert.equal((await call('GET', '/api/v1/namespaces/default/pods/p/log')).body['text'], 'one\ntwo\nthree\n');
  assert.equal((await call('GET', '/api/v1/namespaces/default/pods/p/log?tailLines=2')).body['text'], 'two\nthree\n');
  assert.equal((await call('GET', '/api/v1/namespaces/default/pods/p/log?limitBytes=5')).body['text'], 'one\nt');
  assert.equal((await call('GET', '/api/v1/namespaces/default/pods/p/log?tailLines=x')).status, 400);
});

test('Service: a PUT or merge patch without spec.clusterIP keeps the allocated cluster IP and node ports', async () => {
  const { call } = await setup();
  const base = '/api/v1/namespaces/default/services';
  const created = await call('POST', base, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] } });
  assert.equal(created.status, 201);
  const spec = created.body['spec'] as { clusterIP: string; ports: { nodePort: number }[] };
  const put = await call('PUT', `${base}/web`, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { type: 'NodePort', selector: { app: 'web2' }, ports: [{ name: 'http', port: 80 }] } });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  const after = put.body['spec'] as { clusterIP: string; ports: { nodePort: number }[]; selector: unknown };
  assert.deepEqual([after.clusterIP, after.ports[0]!.nodePort, after.selector], [spec.clusterIP, spec.ports[0]!.nodePort, { app: 'web2' }]);
  const other = await call('POST', base, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'other' }, spec: { ports: [{ port: 80 }] } });
  assert.notEqual((other.body['spec'] as { clusterIP: string }).clusterIP, spec.clusterIP, 'the kept address is still taken');
});
