import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSnapshot } from '../index.js';
import { loadSnapshot } from '../snapshot.js';
import { pendingAction, pendingTrace } from './index.js';
import type { FlowEndpoint } from '../../model/flows.js';

const ns = (name: string): unknown => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: {} } });
const pod = (namespace: string, name: string, ip: string, labels: Record<string, string>): unknown => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels },
  spec: { nodeName: 'n1', containers: [{ name: 'c' }] },
  status: { podIP: ip },
});
const allowWeb = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'allow-web', namespace: 'shop' },
  spec: { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ ports: [{ port: 80 }] }] },
};
const base = [ns('shop'), pod('shop', 'web', '198.18.0.3', { app: 'web' }), pod('shop', 'client', '198.18.0.2', { app: 'client' }), allowWeb];
const ep = (name: string, ip: string): FlowEndpoint => ({ kind: 'wep', namespace: 'shop', name, ip, labels: { app: name } });
const flow = { source: ep('client', '198.18.0.2'), dest: ep('web', '198.18.0.3'), destPort: 80, sourcePort: 41000, protocol: 'tcp', reporter: 'dst' as const };

const snap = (extra: unknown[]): ReturnType<typeof buildSnapshot> => {
  const r = loadSnapshot([...base, ...extra]);
  assert.deepEqual(r.invalid, []);
  return r.snapshot;
};

test('no staged policies: the pending trace is empty', () => {
  assert.deepEqual(pendingTrace(snap([]), flow), []);
});

test('a StagedGlobalNetworkPolicy that would deny an allowed flow makes it pending-deny', () => {
  const s = snap([
    { apiVersion: 'projectcalico.org/v3', kind: 'StagedGlobalNetworkPolicy', metadata: { name: 'lockdown' }, spec: { selector: "app == 'web'", order: 1, types: ['Ingress'], ingress: [{ action: 'Deny' }] } },
  ]);
  const hits = pendingTrace(s, flow);
  assert.deepEqual(hits, [{ tier: 'default', kind: 'StagedGlobalNetworkPolicy', namespace: '', name: 'lockdown', ruleIndex: 0, direction: 'ingress', action: 'deny' }]);
  assert.equal(pendingAction(hits), 'deny');
  assert.deepEqual(pendingTrace(s, { ...flow, reporter: 'src' }), [], 'the source side is not touched by an ingress policy on web');
});

test('a StagedKubernetesNetworkPolicy replacing the enforced one: named as written, its verdict', () => {
  const s = snap([
    {
      apiVersion: 'projectcalico.org/v3',
      kind: 'StagedKubernetesNetworkPolicy',
      metadata: { name: 'allow-web', namespace: 'shop' },
      spec: { stagedAction: 'Set', podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'], ingress: [{ ports: [{ port: 443 }] }] },
    },
  ]);
  const hits = pendingTrace(s, flow);
  assert.equal(pendingAction(hits), 'deny', JSON.stringify(hits));
  assert.ok(hits.every((h) => h.direction === 'ingress'));
  const allowed = pendingTrace(s, { ...flow, destPort: 443 });
  assert.deepEqual(allowed, [{ tier: 'default', kind: 'StagedKubernetesNetworkPolicy', namespace: 'shop', name: 'allow-web', ruleIndex: 0, direction: 'ingress', action: 'allow' }]);
});

test('a staged Delete of the only allowing policy leaves the pod unselected: pending follows the profile', () => {
  const s = snap([
    { apiVersion: 'projectcalico.org/v3', kind: 'StagedKubernetesNetworkPolicy', metadata: { name: 'allow-web', namespace: 'shop' }, spec: { stagedAction: 'Delete', podSelector: {} } },
  ]);
  const hits = pendingTrace(s, flow);
  assert.equal(hits.length, 1, JSON.stringify(hits));
  assert.equal(hits[0]!.kind, 'Profile');
  assert.equal(pendingAction(hits), 'allow');
});

test('unresolvable addresses give an empty trace, never a throw', () => {
  const s = snap([{ apiVersion: 'projectcalico.org/v3', kind: 'StagedGlobalNetworkPolicy', metadata: { name: 'x' }, spec: { selector: 'all()', ingress: [{ action: 'Deny' }] } }]);
  assert.deepEqual(pendingTrace(s, { ...flow, source: { ...flow.source, ip: 'not-an-ip' } }), []);
  assert.deepEqual(pendingTrace(s, { ...flow, source: { ...flow.source, ip: '2001:db8::1' } }), []);
});
