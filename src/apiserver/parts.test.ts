/**
 * Table-driven tests of the API server's pure parts: patches, selectors, ages, the watch hub.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { jsonPatch, mergePatch, strategicMergePatch, type Json } from './patch.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { formatLabelSelector, humanDuration } from './tables.js';
import { leaves, pathString, toFieldsV1 } from './managed-fields.js';
import { WatchHub } from './watch-hub.js';
import { openMemoryDatastore, type WatchEvent } from '../datastore/index.js';

describe('patches', () => {
  const cases: { name: string; run: () => Json; want: Json }[] = [
    { name: 'merge: null deletes, maps merge, lists replace', run: () => mergePatch({ a: 1, b: { c: 2, d: 3 }, l: [1, 2] }, { a: null, b: { c: 9 }, l: [3] }), want: { b: { c: 9, d: 3 }, l: [3] } },
    { name: 'json patch: add to list end, replace, remove', run: () => jsonPatch({ l: [1], x: 1, y: 2 }, [{ op: 'add', path: '/l/-', value: 2 }, { op: 'replace', path: '/x', value: 5 }, { op: 'remove', path: '/y' }]), want: { l: [1, 2], x: 5 } },
    { name: 'json patch: escaped keys', run: () => jsonPatch({ m: { 'a/b': 1 } }, [{ op: 'replace', path: '/m/a~1b', value: 2 }]), want: { m: { 'a/b': 2 } } },
    {
      name: 'smp: service ports merge by port; $setElementOrder reorders',
      run: () => strategicMergePatch({ spec: { ports: [{ port: 80, name: 'a' }, { port: 443, name: 'b' }] } }, { spec: { ports: [{ port: 443, name: 'tls' }], '$setElementOrder/ports': [{ port: 443 }, { port: 80 }] } }, { group: '', kind: 'Service' }),
      want: { spec: { ports: [{ port: 443, name: 'tls' }, { port: 80, name: 'a' }] } },
    },
    {
      name: 'smp: lists without a merge key are replaced; $patch: replace on a map',
      run: () => strategicMergePatch({ spec: { policyTypes: ['Ingress'], podSelector: { matchLabels: { a: '1' } } } }, { spec: { policyTypes: ['Egress'], podSelector: { $patch: 'replace', matchLabels: { b: '2' } } } }, { group: 'networking.k8s.io', kind: 'NetworkPolicy' }),
      want: { spec: { policyTypes: ['Egress'], podSelector: { matchLabels: { b: '2' } } } },
    },
    {
      name: 'smp: $deleteFromPrimitiveList and $retainKeys',
      run: () => strategicMergePatch({ metadata: { finalizers: ['a', 'b'] }, spec: { x: 1, y: 2 } }, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] }, spec: { $retainKeys: ['x'], x: 3 } }, { group: '', kind: 'Pod' }),
      want: { metadata: { finalizers: ['b'] }, spec: { x: 3 } },
    },
  ];
  for (const c of cases) test(c.name, () => assert.deepEqual(c.run(), c.want));

  test('json patch: a failed test op and a missing path are 400s', () => {
    assert.throws(() => jsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }]), /test failed/);
    assert.throws(() => jsonPatch({ a: 1 }, [{ op: 'remove', path: '/b' }]), /missing path/);
  });
});

describe('selectors', () => {
  const cases: { sel: string; yes: Record<string, string>[]; no: Record<string, string>[] }[] = [
    { sel: 'app=web', yes: [{ app: 'web' }], no: [{}, { app: 'db' }] },
    { sel: 'app!=web', yes: [{}, { app: 'db' }], no: [{ app: 'web' }] },
    { sel: 'tier in (a, b),!legacy', yes: [{ tier: 'a' }], no: [{ tier: 'c' }, { tier: 'a', legacy: '' }] },
    { sel: 'tier notin (a),env', yes: [{ env: 'x' }, { env: 'x', tier: 'b' }], no: [{ env: 'x', tier: 'a' }, {}] },
  ];
  for (const c of cases)
    test(`labels: ${c.sel}`, () => {
      const m = parseLabelSelector(c.sel)!;
      for (const l of c.yes) assert.ok(m(l), JSON.stringify(l));
      for (const l of c.no) assert.ok(!m(l), JSON.stringify(l));
    });
  test('labels: syntax errors', () => assert.throws(() => parseLabelSelector('a in (b'), /unable to parse/));
  test('fields: metadata.name and nested paths', () => {
    const m = parseFieldSelector('metadata.name=web,status.phase!=Failed')!;
    assert.ok(m({ metadata: { name: 'web' }, status: { phase: 'Running' } }));
    assert.ok(!m({ metadata: { name: 'web' }, status: { phase: 'Failed' } }));
  });
});

describe('tables', () => {
  const ages: [number, string][] = [[5_000, '5s'], [119_000, '119s'], [200_000, '3m20s'], [3_600_000, '60m'], [5 * 3_600_000, '5h'], [30 * 3_600_000, '30h'], [3 * 86_400_000, '3d'], [400 * 86_400_000, '400d'], [800 * 86_400_000, '2y70d']];
  for (const [ms, want] of ages) test(`humanDuration(${ms}) = ${want}`, () => assert.equal(humanDuration(ms), want));
  test('formatLabelSelector', () => {
    assert.equal(formatLabelSelector({}), '<none>');
    assert.equal(formatLabelSelector({ matchLabels: { b: '2', a: '1' }, matchExpressions: [{ key: 'k', operator: 'In', values: ['x', 'y'] }, { key: 'z', operator: 'DoesNotExist' }] }), 'a=1,b=2,k in (x,y),!z');
  });
});

describe('managed fields', () => {
  test('keyed lists get k: segments and a "." leaf; atomic lists are leaves', () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x', labels: { a: '1' } }, spec: { containers: [{ name: 'c', image: 'i' }], tolerations: [{ key: 't' }] } };
    const f = toFieldsV1(leaves(pod, { group: '', kind: 'Pod', apiVersion: 'v1' }).values());
    assert.deepEqual(f, { 'f:metadata': { 'f:labels': { 'f:a': {} } }, 'f:spec': { 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:name': {}, 'f:image': {} } }, 'f:tolerations': {} } });
    assert.equal(pathString(['f:spec', 'f:containers', 'k:{"name":"c"}', 'f:image']), '.spec.containers[name="c"].image');
  });
});

describe('watch hub', () => {
  test('watchers share one feed; a late watcher replays from its revision; abort ends iteration', async () => {
    const ds = await openMemoryDatastore();
    const hub = new WatchHub(ds);
    const type = { group: 'projectcalico.org', plural: 'globalnetworksets' };
    const abort = new AbortController();
    try {
      const start = (await ds.list(type)).revision;
      const collect = async (from: string, n: number): Promise<string[]> => {
        const out: string[] = [];
        for await (const ev of hub.watch(type, from, abort.signal) as AsyncIterable<WatchEvent>) {
          out.push(`${ev.type} ${ev.object.metadata.name ?? ''}`);
          if (out.length === n) break;
        }
        return out;
      };
      const first = collect(start, 2);
      await new Promise((r) => setTimeout(r, 10));
      const a = await ds.create(type, { apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkSet', metadata: { name: 'a' } });
      const late = collect(start, 2);
      await ds.create(type, { apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkSet', metadata: { name: 'b' } });
      assert.deepEqual(await first, ['ADDED a', 'ADDED b']);
      assert.deepEqual(await late, ['ADDED a', 'ADDED b']);
      assert.ok(a.metadata.resourceVersion);
    } finally {
      abort.abort();
      await ds.close();
    }
  });
});
