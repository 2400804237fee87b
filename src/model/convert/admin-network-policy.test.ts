/**
 * AdminNetworkPolicy / BaselineAdminNetworkPolicy → Calico GlobalNetworkPolicy, checked against the
 * cases of Calico v3.31.7's libcalico-go/lib/backend/k8s/conversion/adminnetworkpolicy_test.go
 * (same inputs, same expected GNPs), plus Tabby's named-port and nodes-peer conversions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convertAdminNetworkPolicy, convertBaselineAdminNetworkPolicy } from './index.js';

const V = 'policy.networking.k8s.io/v1alpha1';
const UID = '30316465-6365-4463-ad63-3564622d3638';
const ORCH = "projectcalico.org/orchestrator == 'k8s'";
const anp = (spec: Record<string, unknown>, name = 'test.policy') => ({ apiVersion: V, kind: 'AdminNetworkPolicy', metadata: { name, uid: UID }, spec });

test('basic ANP: name, tier, order = priority, selectors, TCP default, rule name annotation', () => {
  const c = convertAdminNetworkPolicy(
    anp({
      priority: 100,
      subject: { namespaces: { matchLabels: { label: 'value', label2: 'value2' } } },
      ingress: [{ name: 'The first ingress rule', action: 'Allow', ports: [{ portNumber: { port: 80 } }], from: [{ namespaces: { matchLabels: { k: 'v', k2: 'v2' } } }] }],
    }),
  );
  assert.deepEqual(c.errors, []);
  assert.deepEqual(c.policy, {
    apiVersion: 'projectcalico.org/v3',
    kind: 'GlobalNetworkPolicy',
    metadata: { name: 'kanp.adminnetworkpolicy.test.policy', uid: '0c8c26a6-c6a6-44c6-adc6-ac2646b46c1c' },
    spec: {
      tier: 'adminnetworkpolicy',
      order: 100,
      ingress: [
        {
          metadata: { annotations: { name: 'The first ingress rule' } },
          action: 'Allow',
          protocol: 'TCP',
          source: { namespaceSelector: "k == 'v' && k2 == 'v2'" },
          destination: { ports: [80] },
        },
      ],
      selector: ORCH,
      types: ['Ingress'],
      namespaceSelector: "label == 'value' && label2 == 'value2'",
    },
  });
});

test('multiple peers and ports: one rule per (protocol, peer), protocols sorted', () => {
  const ports = [{ portNumber: { port: 80 } }, { portRange: { start: 20, end: 30, protocol: 'UDP' } }];
  const c = convertAdminNetworkPolicy(
    anp({
      priority: 600,
      subject: { namespaces: { matchLabels: { label: 'value' } } },
      ingress: [{ name: 'in', action: 'Pass', ports, from: [{ namespaces: { matchLabels: { k: 'v' } } }, { pods: { namespaceSelector: {}, podSelector: { matchLabels: { k2: 'v2' } } } }] }],
      egress: [
        { name: 'out', action: 'Deny', ports, to: [{ namespaces: { matchLabels: { k3: 'v3' } } }, { pods: { namespaceSelector: { matchLabels: { k4: 'v4' } }, podSelector: { matchLabels: { k5: 'v5' } } } }] },
      ],
    }),
  );
  assert.deepEqual(c.errors, []);
  const spec = c.policy!.spec!;
  assert.deepEqual(
    spec.ingress!.map((r) => [r.action, r.protocol, r.source, r.destination]),
    [
      ['Pass', 'TCP', { namespaceSelector: "k == 'v'" }, { ports: [80] }],
      ['Pass', 'TCP', { selector: `${ORCH} && k2 == 'v2'`, namespaceSelector: 'all()' }, { ports: [80] }],
      ['Pass', 'UDP', { namespaceSelector: "k == 'v'" }, { ports: ['20:30'] }],
      ['Pass', 'UDP', { selector: `${ORCH} && k2 == 'v2'`, namespaceSelector: 'all()' }, { ports: ['20:30'] }],
    ],
  );
  assert.deepEqual(
    spec.egress!.map((r) => [r.action, r.protocol, r.source, r.destination]),
    [
      ['Deny', 'TCP', {}, { namespaceSelector: "k3 == 'v3'", ports: [80] }],
      ['Deny', 'TCP', {}, { selector: `${ORCH} && k5 == 'v5'`, namespaceSelector: "k4 == 'v4'", ports: [80] }],
      ['Deny', 'UDP', {}, { namespaceSelector: "k3 == 'v3'", ports: ['20:30'] }],
      ['Deny', 'UDP', {}, { selector: `${ORCH} && k5 == 'v5'`, namespaceSelector: "k4 == 'v4'", ports: ['20:30'] }],
    ],
  );
  assert.deepEqual(spec.types, ['Ingress', 'Egress']);
});

test('no ports: no protocol, no ports; no rules: no types', () => {
  const c = convertAdminNetworkPolicy(anp({ priority: 1, subject: { namespaces: {} }, ingress: [{ action: 'Deny', from: [{ namespaces: {} }] }] }));
  assert.deepEqual(c.policy!.spec!.ingress, [{ action: 'Deny', source: { namespaceSelector: 'all()' }, destination: {} }]);
  const empty = convertAdminNetworkPolicy(anp({ priority: 1, subject: { namespaces: {} } }));
  assert.deepEqual(empty.policy!.spec, { tier: 'adminnetworkpolicy', order: 1, selector: ORCH, namespaceSelector: 'all()' });
});

test('subject pods: both selectors; DoesNotExist expression', () => {
  const c = convertAdminNetworkPolicy(
    anp({ priority: 1, subject: { pods: { namespaceSelector: { matchExpressions: [{ key: 'k', operator: 'DoesNotExist' }] }, podSelector: { matchLabels: { app: 'a' } } } } }),
  );
  assert.equal(c.policy!.spec!.selector, `${ORCH} && app == 'a'`);
  assert.equal(c.policy!.spec!.namespaceSelector, '! has(k)');
});

test('networks peer: masked CIDRs as nets; with ports', () => {
  const c = convertAdminNetworkPolicy(
    anp({ priority: 200, subject: { namespaces: {} }, egress: [{ action: 'Deny', to: [{ networks: ['0.0.0.0/0', '::/0', '10.1.2.3/8'] }], ports: [{ portNumber: { protocol: 'UDP', port: 53 } }] }] }),
  );
  assert.deepEqual(c.policy!.spec!.egress, [{ action: 'Deny', protocol: 'UDP', source: {}, destination: { nets: ['0.0.0.0/0', '::/0', '10.0.0.0/8'], ports: [53] } }]);
});

test('a rule that cannot be converted fails closed: Deny and Pass become a bare Deny, Allow is dropped', () => {
  const bad = [{ portRange: { start: 40, end: 20, protocol: 'UDP' } }];
  const c = convertAdminNetworkPolicy(
    anp({
      priority: 600,
      subject: { namespaces: {} },
      ingress: [
        { name: 'A random ingress rule', action: 'Pass', ports: bad, from: [{ namespaces: { matchLabels: { k: 'v' } } }] },
        { name: 'A random ingress rule 2', action: 'Allow', ports: bad, from: [{ namespaces: { matchLabels: { k: 'v' } } }] },
      ],
      egress: [
        { name: 'A random egress rule', action: 'Deny', ports: bad, to: [{ namespaces: { matchLabels: { k3: 'v3' } } }] },
        { name: 'A random egress rule 2', action: 'Deny', ports: [{ portNumber: { port: 80 } }], to: [{ namespaces: { matchLabels: { k4: 'v4' } } }] },
      ],
    }),
  );
  assert.deepEqual(
    c.errors.map((e) => `${e.path}: ${e.detail}`),
    ['spec.ingress[0]', 'spec.ingress[1]', 'spec.egress[0]'].map(
      (p) => `${p}: k8s rule couldn't be converted: failed to parse k8s port: minimum port number (40) is greater than maximum port number (20) in port range`,
    ),
  );
  const spec = c.policy!.spec!;
  assert.deepEqual(spec.ingress, [{ action: 'Deny' }]);
  assert.deepEqual(spec.egress!.length, 2);
  assert.deepEqual(spec.egress![0], { action: 'Deny' });
  assert.deepEqual(spec.egress![1]!.destination, { namespaceSelector: "k4 == 'v4'", ports: [80] });
  assert.deepEqual(spec.types, ['Ingress', 'Egress']);
});

test('named port: a Calico named port with no protocol (as Calico 3.32 converts ClusterNetworkPolicy)', () => {
  const c = convertAdminNetworkPolicy(
    anp({ priority: 1, subject: { namespaces: {} }, ingress: [{ action: 'Allow', from: [{ namespaces: {} }], ports: [{ namedPort: 'web' }, { portNumber: { port: 80 } }] }] }),
  );
  assert.deepEqual(
    c.policy!.spec!.ingress!.map((r) => [r.protocol, r.destination]),
    [
      [undefined, { ports: ['web'] }],
      ['TCP', { ports: [80] }],
    ],
  );
});

test('nodes peer: the selected Nodes addresses as nets; none selected: the peer matches nothing', () => {
  const nodes = [
    { labels: { role: 'cp' }, addresses: ['198.18.0.2', '2001:db8::2'] },
    { labels: { role: 'worker' }, addresses: ['198.18.0.3'] },
  ];
  const spec = (sel: Record<string, unknown>) =>
    anp({ priority: 1, subject: { namespaces: {} }, egress: [{ action: 'Deny', to: [{ nodes: sel }, { namespaces: { matchLabels: { a: 'b' } } }] }] });
  const c = convertAdminNetworkPolicy(spec({ matchLabels: { role: 'cp' } }), { nodes });
  assert.deepEqual(
    c.policy!.spec!.egress!.map((r) => r.destination),
    [{ nets: ['198.18.0.2/32', '2001:db8::2/128'] }, { namespaceSelector: "a == 'b'" }],
  );
  const none = convertAdminNetworkPolicy(spec({ matchLabels: { role: 'gpu' } }), { nodes });
  assert.deepEqual(none.policy!.spec!.egress!.map((r) => r.destination), [{ namespaceSelector: "a == 'b'" }]);
  assert.deepEqual(none.errors, []);
});

test('BANP: kbanp.baselineadminnetworkpolicy.<name>, tier baselineadminnetworkpolicy, order 1000', () => {
  const c = convertBaselineAdminNetworkPolicy({
    apiVersion: V,
    kind: 'BaselineAdminNetworkPolicy',
    metadata: { name: 'default', resourceVersion: '7', creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { subject: { namespaces: {} }, egress: [{ name: 'deny-all', action: 'Deny', to: [{ networks: ['0.0.0.0/0'] }] }, { action: 'Pass', to: [{ namespaces: {} }] }] },
  });
  assert.equal(c.policy!.metadata!.name, 'kbanp.baselineadminnetworkpolicy.default');
  assert.deepEqual(c.policy!.metadata, { name: 'kbanp.baselineadminnetworkpolicy.default', resourceVersion: '7', creationTimestamp: '2026-01-01T00:00:00Z' });
  assert.equal(c.policy!.spec!.tier, 'baselineadminnetworkpolicy');
  assert.equal(c.policy!.spec!.order, 1000);
  // Pass is no BANP action: that rule is dropped (it does not fail closed: only Deny does).
  assert.deepEqual(c.policy!.spec!.egress, [{ metadata: { annotations: { name: 'deny-all' } }, action: 'Deny', source: {}, destination: { nets: ['0.0.0.0/0'] } }]);
  assert.deepEqual(c.errors.map((e) => `${e.path}: ${e.detail}`), ["spec.egress[1]: k8s rule couldn't be converted: unsupported admin network policy action Pass"]);
});

test('not an ANP: decode errors, no policy', () => {
  const c = convertAdminNetworkPolicy({ apiVersion: 'policy.networking.k8s.io/v1alpha2', kind: 'AdminNetworkPolicy', metadata: { name: 'x' }, spec: {} });
  assert.equal(c.policy, undefined);
  assert.deepEqual(c.errors.map((e) => e.path), ['apiVersion']);
  const d = convertAdminNetworkPolicy({ apiVersion: V, kind: 'AdminNetworkPolicy', metadata: { name: 'x' }, spec: { priority: 'high' } });
  assert.deepEqual(d.errors.map((e) => e.path), ['spec.priority']);
});
