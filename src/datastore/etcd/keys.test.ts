import { test } from 'node:test';
import assert from 'node:assert/strict';
import { etcdKeyFor, etcdPrefixFor, parseEtcdKey } from './keys.js';

const cases = [
  {
    name: 'Calico cluster-scoped kind: Calico layout',
    key: { group: 'projectcalico.org', plural: 'globalnetworkpolicies', namespace: '', name: 'default.deny' },
    want: '/calico/resources/v3/projectcalico.org/globalnetworkpolicies/default.deny',
  },
  {
    name: 'Calico namespaced kind: Calico layout',
    key: { group: 'projectcalico.org', plural: 'networkpolicies', namespace: 'prod', name: 'allow-web' },
    want: '/calico/resources/v3/projectcalico.org/networkpolicies/prod/allow-web',
  },
  {
    name: 'Kubernetes group kind: Tabby layout with the group',
    key: { group: 'networking.k8s.io', plural: 'networkpolicies', namespace: 'prod', name: 'allow-web' },
    want: '/calico/resources/v3/k8s/networking.k8s.io/networkpolicies/prod/allow-web',
  },
  {
    name: 'Kubernetes core group: "core"',
    key: { group: '', plural: 'namespaces', namespace: '', name: 'prod' },
    want: '/calico/resources/v3/k8s/core/namespaces/prod',
  },
];

for (const c of cases) {
  test(`etcd key: ${c.name}`, () => {
    assert.equal(etcdKeyFor(c.key), c.want);
    assert.deepEqual(parseEtcdKey(c.key, c.want), c.key);
    assert.ok(c.want.startsWith(etcdPrefixFor(c.key)));
    assert.ok(c.want.startsWith(etcdPrefixFor(c.key, c.key.namespace)));
  });
}

test('etcd key: prefixes end in "/" so one plural is not a prefix of another', () => {
  const np = { group: 'projectcalico.org', plural: 'networkpolicies' };
  assert.equal(etcdPrefixFor(np), '/calico/resources/v3/projectcalico.org/networkpolicies/');
  assert.equal(etcdPrefixFor(np, 'ns1'), '/calico/resources/v3/projectcalico.org/networkpolicies/ns1/');
  assert.equal(parseEtcdKey(np, '/calico/resources/v3/projectcalico.org/networkpoliciesx/a'), undefined);
  assert.equal(parseEtcdKey(np, '/calico/resources/v3/projectcalico.org/networkpolicies/a/b/c'), undefined);
  assert.equal(parseEtcdKey(np, '/calico/resources/v3/projectcalico.org/networkpolicies/'), undefined);
});
