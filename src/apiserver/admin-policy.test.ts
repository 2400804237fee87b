/**
 * In-process API server tests for AdminNetworkPolicy and BaselineAdminNetworkPolicy
 * (`policy.networking.k8s.io/v1alpha1`): discovery, create/get/list, the table with PRIORITY and
 * AGE (the CRDs' printer columns), the 422 Status with the field path, and the OpenAPI schema
 * kubectl explain reads.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openMemoryDatastore } from '../datastore/index.js';
import { createApp } from './app.js';

const TOKENS = { admin: 'admin-token', readOnly: 'ro-token' };
const NOW = new Date('2025-01-01T00:10:00Z');
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';
const BASE = '/apis/policy.networking.k8s.io/v1alpha1';
type Json = Record<string, unknown>;

const ANP = {
  apiVersion: 'policy.networking.k8s.io/v1alpha1',
  kind: 'AdminNetworkPolicy',
  metadata: { name: 'isolate' },
  spec: { priority: 7, subject: { namespaces: {} }, ingress: [{ action: 'Deny', from: [{ namespaces: { matchLabels: { env: 'dev' } } }], ports: [{ portNumber: { port: 80 } }] }] },
};
const BANP = { apiVersion: 'policy.networking.k8s.io/v1alpha1', kind: 'BaselineAdminNetworkPolicy', metadata: { name: 'default' }, spec: { subject: { namespaces: {} } } };

let call: (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<{ status: number; body: Json }>;
let close: () => Promise<void>;

before(async () => {
  const ds = await openMemoryDatastore({ now: () => new Date('2025-01-01T00:00:00Z') });
  const shutdown = new AbortController();
  const app = createApp({ datastore: ds, tokens: TOKENS, now: () => NOW, shutdown: shutdown.signal, bookmarkIntervalMs: 20, randomSuffix: () => 'abcde' });
  call = async (method, path, body, headers = {}) => {
    const res = await app.request(path, {
      method,
      headers: { authorization: `Bearer ${TOKENS.admin}`, 'content-type': 'application/json', 'user-agent': 'test/1.0', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: JSON.parse(await res.text()) as Json };
  };
  close = async () => {
    shutdown.abort();
    await ds.close();
  };
});
after(async () => close());

test('discovery: both kinds, cluster-scoped, short names anp/banp', async () => {
  const r = await call('GET', BASE);
  assert.equal(r.status, 200);
  const resources = (r.body['resources'] as Json[]).filter((x) => !String(x['name']).includes('/'));
  assert.deepEqual(
    resources.map((x) => [x['name'], x['kind'], x['namespaced'], x['shortNames']]),
    [
      ['adminnetworkpolicies', 'AdminNetworkPolicy', false, ['anp']],
      ['baselineadminnetworkpolicies', 'BaselineAdminNetworkPolicy', false, ['banp']],
    ],
  );
});

test('create (defaults applied), get, list as a table with Priority and Age', async () => {
  const c = await call('POST', `${BASE}/adminnetworkpolicies`, ANP);
  assert.equal(c.status, 201, JSON.stringify(c.body));
  const ports = ((c.body['spec'] as Json)['ingress'] as Json[])[0]!['ports'];
  assert.deepEqual(ports, [{ portNumber: { port: 80, protocol: 'TCP' } }]);
  assert.equal((await call('POST', `${BASE}/baselineadminnetworkpolicies`, BANP)).status, 201);
  const t = await call('GET', `${BASE}/adminnetworkpolicies`, undefined, { accept: TABLE });
  assert.deepEqual(
    (t.body['columnDefinitions'] as Json[]).map((d) => [d['name'], d['type']]),
    [
      ['Name', 'string'],
      ['Priority', 'string'],
      ['Age', 'date'],
    ],
  );
  assert.deepEqual((t.body['rows'] as Json[]).map((row) => row['cells']), [['isolate', '7', '10m']]);
  const b = await call('GET', `${BASE}/baselineadminnetworkpolicies`, undefined, { accept: TABLE });
  assert.deepEqual((b.body['rows'] as Json[]).map((row) => row['cells']), [['default', '10m']]);
});

test('422 Status with the field path: priority out of range', async () => {
  const r = await call('POST', `${BASE}/adminnetworkpolicies`, { ...ANP, metadata: { name: 'bad' }, spec: { ...ANP.spec, priority: -1 } });
  assert.equal(r.status, 422);
  assert.equal(r.body['reason'], 'Invalid');
  const details = r.body['details'] as Json;
  assert.equal(details['kind'], 'AdminNetworkPolicy');
  assert.equal(details['group'], 'policy.networking.k8s.io');
  assert.deepEqual(details['causes'], [
    { reason: 'FieldValueInvalid', message: 'Invalid value: -1: spec.priority in body should be greater than or equal to 0', field: 'spec.priority' },
  ]);
  assert.equal((await call('GET', `${BASE}/adminnetworkpolicies/bad`)).status, 404);
});

test('a namespaced URL for a cluster-scoped kind is not found', async () => {
  assert.equal((await call('GET', `${BASE}/namespaces/default/adminnetworkpolicies`)).status, 404);
});

test('OpenAPI v3: the CRD-shaped schema (required fields, enum, range) for kubectl explain', async () => {
  const r = await call('GET', '/openapi/v3/apis/policy.networking.k8s.io/v1alpha1');
  assert.equal(r.status, 200);
  const schemas = (r.body['components'] as Json)['schemas'] as Record<string, Json>;
  const anp = schemas['io.k8s.networking.policy.v1alpha1.AdminNetworkPolicy']!;
  const spec = (anp['properties'] as Record<string, Json>)['spec']!;
  assert.deepEqual(spec['required'], ['priority', 'subject']);
  const props = spec['properties'] as Record<string, Json>;
  assert.equal(props['priority']!['maximum'], 1000);
  const ingress = props['ingress']!['items'] as Json;
  assert.deepEqual(ingress['required'], ['action', 'from']);
  assert.deepEqual((ingress['properties'] as Record<string, Json>)['action']!['enum'], ['Allow', 'Deny', 'Pass']);
  const banp = schemas['io.k8s.networking.policy.v1alpha1.BaselineAdminNetworkPolicy']!;
  const banpIngress = ((banp['properties'] as Record<string, Json>)['spec']!['properties'] as Record<string, Json>)['ingress']!['items'] as Json;
  assert.deepEqual((banpIngress['properties'] as Record<string, Json>)['action']!['enum'], ['Allow', 'Deny']);
});

test('status subresource (the CRD declares one): PUT of the object leaves status alone; /status sets it', async () => {
  const cur = await call('GET', `${BASE}/baselineadminnetworkpolicies/default`);
  const status = { conditions: [{ type: 'Ready', status: 'True', reason: 'Programmed', message: 'ok', lastTransitionTime: '2025-01-01T00:00:00Z' }] };
  const put = await call('PUT', `${BASE}/baselineadminnetworkpolicies/default`, { ...cur.body, status });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  assert.equal(put.body['status'], undefined);
  const st = await call('PUT', `${BASE}/baselineadminnetworkpolicies/default/status`, { ...put.body, status });
  assert.equal(st.status, 200, JSON.stringify(st.body));
  assert.deepEqual(st.body['status'], status);
});

test('delete answers with the deleted object, as for custom resources', async () => {
  const r = await call('DELETE', `${BASE}/adminnetworkpolicies/isolate`);
  assert.equal(r.status, 200);
  assert.equal(r.body['kind'], 'AdminNetworkPolicy');
});
