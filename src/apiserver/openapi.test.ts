/**
 * OpenAPI model names: the schemas carry the names kube-apiserver gives them (clients and
 * tools look schemas up by these names), and every `$ref` resolves inside its document.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { groupVersionDocument, schemaName } from './openapi.js';
import { kindsOf, SERVED_KINDS } from './discovery.js';
import { defineKind } from '../model/kind-info.js';
import { NAMESPACE_KIND } from '../model/k8s/kinds.js';

type Json = Record<string, unknown>;

describe('OpenAPI model names', () => {
  const byKind = (group: string, kind: string): string => schemaName(SERVED_KINDS.find((k) => k.group === group && k.kind === kind)!);

  test('built-in kinds are named after their Go packages, as kube-apiserver names them', () => {
    assert.equal(byKind('networking.k8s.io', 'NetworkPolicy'), 'io.k8s.api.networking.v1.NetworkPolicy');
    assert.equal(byKind('', 'Pod'), 'io.k8s.api.core.v1.Pod');
    assert.equal(byKind('', 'Namespace'), 'io.k8s.api.core.v1.Namespace');
    const as = (group: string, version: string, kind: string) => schemaName(defineKind({ ...NAMESPACE_KIND, group, version, kind }));
    assert.equal(as('apps', 'v1', 'Deployment'), 'io.k8s.api.apps.v1.Deployment');
    assert.equal(as('discovery.k8s.io', 'v1', 'EndpointSlice'), 'io.k8s.api.discovery.v1.EndpointSlice');
    assert.equal(as('events.k8s.io', 'v1', 'Event'), 'io.k8s.api.events.v1.Event');
    assert.equal(as('authorization.k8s.io', 'v1', 'SelfSubjectAccessReview'), 'io.k8s.api.authorization.v1.SelfSubjectAccessReview');
    assert.equal(as('rbac.authorization.k8s.io', 'v1', 'Role'), 'io.k8s.api.rbac.v1.Role');
  });

  test('metadata and label selectors refer to the apimachinery schemas, and every $ref resolves', () => {
    for (const [group, version] of [['', 'v1'], ['networking.k8s.io', 'v1'], ['projectcalico.org', 'v3']] as const) {
      const doc = groupVersionDocument(kindsOf(group, version));
      const schemas = (doc['components'] as Json)['schemas'] as Record<string, Json>;
      assert.ok(schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'], `${group}/${version} ObjectMeta`);
      const text = JSON.stringify(doc);
      const refs = [...text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
      assert.ok(refs.length > 0);
      for (const r of refs) assert.ok(schemas[r] !== undefined, `${group}/${version}: dangling $ref ${r}`);
      assert.ok(!/"io\.k8s\.networking\./.test(text), 'no io.k8s.networking.* names');
    }
    const np = groupVersionDocument(kindsOf('networking.k8s.io', 'v1'));
    const schemas = (np['components'] as Json)['schemas'] as Record<string, Json>;
    const meta = ((schemas['io.k8s.api.networking.v1.NetworkPolicy']!['properties'] as Json)['metadata'] as Json)['allOf'];
    assert.deepEqual(meta, [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }]);
  });
});
