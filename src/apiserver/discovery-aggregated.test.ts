import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregatedDiscovery, wantsAggregatedDiscovery } from './discovery-aggregated.js';
import { apiResourceList, discoveryGroups } from './discovery.js';

interface Res {
  resource: string;
  scope: string;
  singularResource: string;
  responseKind: { group: string; version: string; kind: string };
  verbs: string[];
  shortNames?: string[];
}
interface Doc {
  kind: string;
  apiVersion: string;
  items: { metadata: { name: string }; versions: { version: string; freshness: string; resources: Res[] }[] }[];
}

test('Accept negotiation: the v2 APIGroupDiscoveryList type, parameters in any order; v2beta1 or plain JSON is legacy', () => {
  const cases: [string, boolean][] = [
    ['application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json', true],
    ['application/json; as=APIGroupDiscoveryList; v=v2; g=apidiscovery.k8s.io', true],
    ['application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json', false],
    ['application/json, */*', false],
    ['', false],
  ];
  for (const [accept, want] of cases) assert.equal(wantsAggregatedDiscovery(accept), want, accept);
});

test('/api and /apis aggregated documents list exactly the legacy resources, with scope, kind and short names', () => {
  const core = aggregatedDiscovery(true) as Doc;
  const named = aggregatedDiscovery(false) as Doc;
  assert.equal(core.kind, 'APIGroupDiscoveryList');
  assert.equal(core.apiVersion, 'apidiscovery.k8s.io/v2');
  assert.deepEqual(core.items.map((i) => i.metadata.name), ['']);
  assert.deepEqual(named.items.map((i) => i.metadata.name), discoveryGroups().map((g) => g.name));
  for (const item of [...core.items, ...named.items]) {
    for (const v of item.versions) {
      assert.equal(v.freshness, 'Current');
      const legacy = apiResourceList(item.metadata.name, v.version) as { resources: { name: string; namespaced: boolean; kind: string }[] };
      assert.deepEqual(
        v.resources.map((r) => [r.resource, r.scope, r.responseKind.kind]),
        legacy.resources.filter((r) => !r.name.includes('/')).map((r) => [r.name, r.namespaced ? 'Namespaced' : 'Cluster', r.kind]),
      );
    }
  }
  const pods = core.items[0]!.versions[0]!.resources.find((r) => r.resource === 'pods')!;
  assert.deepEqual(pods.responseKind, { group: '', version: 'v1', kind: 'Pod' });
  assert.equal(pods.singularResource, 'pod');
  assert.deepEqual(pods.shortNames, ['po']);
  const gnp = named.items.find((i) => i.metadata.name === 'projectcalico.org')!.versions[0]!.resources.find((r) => r.resource === 'globalnetworkpolicies')!;
  assert.deepEqual([gnp.scope, gnp.shortNames], ['Cluster', ['gnp', 'cgnp', 'calicoglobalnetworkpolicies']]);
  // Tabby's own group last: flows read-only and namespaced, flowevents create only
  const tabby = named.items.at(-1)!;
  assert.equal(tabby.metadata.name, 'tabby.dev');
  assert.deepEqual(
    tabby.versions[0]!.resources.map((r) => [r.resource, r.scope, r.responseKind.kind, r.verbs]),
    [
      ['flowevents', 'Cluster', 'FlowEventBatch', ['create']],
      ['flows', 'Namespaced', 'Flow', ['get', 'list', 'watch']],
    ],
  );
});
