/**
 * The Node authorizer and NodeRestriction, table-driven: what a node's credential may read and
 * write, and what a write to its own Node may change.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authorize, type User } from './auth.js';
import { nodeAdmission, nodeAllows, nodeOfSubject } from './node-auth.js';
import { StatusError } from './status.js';

const w1: User = { name: 'system:node:w1', readOnly: false, node: 'w1' };
const t = (group: string, plural: string, name?: string, namespace?: string) => ({ group, plural, name, namespace });

test('a node reads what Felix reads and nothing else', () => {
  for (const [g, p] of [
    ['', 'pods'],
    ['', 'namespaces'],
    ['', 'services'],
    ['', 'serviceaccounts'],
    ['discovery.k8s.io', 'endpointslices'],
    ['networking.k8s.io', 'networkpolicies'],
    ['projectcalico.org', 'globalnetworkpolicies'],
    ['projectcalico.org', 'tiers'],
    ['projectcalico.org', 'felixconfigurations'],
    ['projectcalico.org', 'ippools'],
    ['crd.projectcalico.org', 'hostendpoints'],
    ['policy.networking.k8s.io', 'adminnetworkpolicies'],
  ] as const)
    for (const verb of ['get', 'list', 'watch']) assert.equal(nodeAllows('w1', verb, t(g, p)), true, `${verb} ${p}.${g}`);
  assert.equal(nodeAllows('w1', 'get', t('', 'secrets')), false);
  assert.equal(nodeAllows('w1', 'get', t('', 'pods/log', 'p', 'default')), false);
  assert.equal(nodeAllows('w1', 'list', t('tabby.dev', 'flows')), false);
  assert.equal(nodeAllows('w1', 'create', t('tabby.dev', 'flowevents')), true);
});

test('a node writes only its own Node; never deletes; never a policy', () => {
  assert.equal(nodeAllows('w1', 'update', t('', 'nodes', 'w1')), true);
  assert.equal(nodeAllows('w1', 'patch', t('projectcalico.org', 'nodes', 'w1')), true);
  assert.equal(nodeAllows('w1', 'create', t('projectcalico.org', 'nodes')), true);
  assert.equal(nodeAllows('w1', 'update', t('', 'nodes', 'w2')), false);
  assert.equal(nodeAllows('w1', 'delete', t('', 'nodes', 'w1')), false);
  for (const verb of ['create', 'update', 'patch', 'delete', 'deletecollection']) assert.equal(nodeAllows('w1', verb, t('projectcalico.org', 'globalnetworkpolicies', 'x')), false, verb);
  const denied = authorize(w1, 'patch', t('', 'nodes', 'w2'));
  assert.equal(denied?.code, 403);
  assert.equal(denied?.message, 'nodes "w2" is forbidden: User "system:node:w1" cannot patch resource "nodes" in API group "" at the cluster scope: a node may only write its own Node ("w1")');
});

test('NodeRestriction: status and prefixed labels/annotations change; spec, other labels, another name do not', () => {
  const cur = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'w1', resourceVersion: '5', labels: { role: 'db' }, annotations: {} }, spec: { podCIDR: '198.18.1.0/24' }, status: {} };
  // null: a create (no stored object)
  const ok = (next: object, current: object | null = cur): void => nodeAdmission('w1', (current ?? undefined) as never, next as never);
  const refused = (next: object, re: RegExp, current: object | null = cur): void =>
    assert.throws(() => ok(next, current), (e: unknown) => e instanceof StatusError && e.status.code === 403 && re.test(e.status.message));
  ok({ ...cur, metadata: { ...cur.metadata, resourceVersion: '6', annotations: { 'tabby.dev/programmed-revision': '9' }, labels: { role: 'db', 'projectcalico.org/zone': 'a' } }, status: { x: 1 } });
  refused({ ...cur, spec: { podCIDR: '198.18.2.0/24' } }, /not allowed to change its spec/);
  refused({ ...cur, metadata: { ...cur.metadata, labels: { role: 'web' } } }, /not allowed to change metadata/);
  refused({ ...cur, metadata: { ...cur.metadata, name: 'w2' } }, /not allowed to modify node "w2"/);
  ok({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'w1', annotations: { 'tabby.dev/x': '1' } } }, null);
  refused({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'w1', labels: { role: 'db' } } }, /not allowed to set labels "role"/, null);
  refused({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'w2' } }, /not allowed to modify node "w2"/, null);
});

test('only CN=system:node:<name> with O=system:nodes is a node', () => {
  assert.equal(nodeOfSubject('system:node:w1', ['system:nodes']), 'w1');
  assert.equal(nodeOfSubject('system:node:w1', []), undefined);
  assert.equal(nodeOfSubject('system:node:', ['system:nodes']), undefined);
  assert.equal(nodeOfSubject('admin', ['system:nodes']), undefined);
});
