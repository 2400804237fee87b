import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authenticate, authorize, ruleAllows, type PolicyRule } from './auth.js';

const cases: { name: string; rule: PolicyRule; verb: string; group: string; resource: string; resourceName?: string; want: boolean }[] = [
  { name: 'exact match', rule: { apiGroups: [''], resources: ['pods'], verbs: ['list'] }, verb: 'list', group: '', resource: 'pods', want: true },
  { name: 'other verb', rule: { apiGroups: [''], resources: ['pods'], verbs: ['list'] }, verb: 'watch', group: '', resource: 'pods', want: false },
  { name: 'other group', rule: { apiGroups: [''], resources: ['networkpolicies'], verbs: ['list'] }, verb: 'list', group: 'networking.k8s.io', resource: 'networkpolicies', want: false },
  { name: 'other resource', rule: { apiGroups: ['projectcalico.org'], resources: ['tiers'], verbs: ['list'] }, verb: 'list', group: 'projectcalico.org', resource: 'networkpolicies', want: false },
  { name: 'wildcards', rule: { apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, verb: 'delete', group: 'apps', resource: 'deployments', want: true },
  { name: 'subresource needs its own entry', rule: { apiGroups: [''], resources: ['pods'], verbs: ['create'] }, verb: 'create', group: '', resource: 'pods/exec', want: false },
  { name: '*/subresource', rule: { apiGroups: [''], resources: ['*/exec'], verbs: ['create'] }, verb: 'create', group: '', resource: 'pods/exec', want: true },
  { name: 'resourceNames limit to named objects', rule: { apiGroups: [''], resources: ['pods'], verbs: ['get'], resourceNames: ['a'] }, verb: 'get', group: '', resource: 'pods', resourceName: 'b', want: false },
  { name: 'resourceNames never allow a list', rule: { apiGroups: [''], resources: ['pods'], verbs: ['list'], resourceNames: ['a'] }, verb: 'list', group: '', resource: 'pods', want: false },
];
for (const c of cases) test(`ruleAllows: ${c.name}`, () => assert.equal(ruleAllows(c.rule, c.verb, c.group, c.resource, c.resourceName), c.want));

test('a token bound to rules may do what they allow; anything else is Forbidden naming the resource', () => {
  const tokens = { admin: 'a'.repeat(20), readOnly: 'r'.repeat(20), users: [{ token: 'u'.repeat(20), name: 'reader', rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] }] }] };
  const u = authenticate(`Bearer ${'u'.repeat(20)}`, tokens);
  assert.equal(u?.name, 'reader');
  assert.equal(authorize(u!, 'list', { group: '', plural: 'pods', namespace: undefined, name: undefined }), undefined);
  const denied = authorize(u!, 'list', { group: 'projectcalico.org', plural: 'tiers', namespace: undefined, name: undefined });
  assert.equal(denied?.code, 403);
  assert.equal(denied?.message, 'tiers.projectcalico.org is forbidden: User "reader" cannot list resource "tiers" in API group "projectcalico.org" at the cluster scope');
  assert.equal(authenticate(`Bearer ${'x'.repeat(20)}`, tokens), undefined);
});
