/**
 * PartialObjectMetadata negotiation, in-process (`app.request()` on the memory datastore): the
 * Accept headers client-go's metadata client sends, for get, list and watch.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openMemoryDatastore, type Datastore } from '../datastore/index.js';
import { createApp } from './app.js';
import { partialMetadataRequest } from './partial-metadata.js';

const TOKENS = { admin: 'admin-token', readOnly: 'ro-token' };
/** What client-go's metadata client sends for a list (protobuf first, then JSON). */
const LIST = 'application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
const ONE = 'application/vnd.kubernetes.protobuf;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

type Json = Record<string, unknown>;

test('Accept: the first range this server can produce decides', () => {
  const cases: [string, string | undefined][] = [
    [LIST, 'meta.k8s.io/v1'],
    [ONE, 'meta.k8s.io/v1'],
    ['application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1beta1', 'meta.k8s.io/v1beta1'],
    ['application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1', undefined],
    ['application/json,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1', undefined],
    ['application/json;as=PartialObjectMetadata;g=other.io;v=v1', undefined],
    ['', undefined],
  ];
  for (const [accept, want] of cases) assert.equal(partialMetadataRequest(accept)?.apiVersion, want, accept);
});

describe('PartialObjectMetadata responses', () => {
  let ds: Datastore;
  let app: ReturnType<typeof createApp>;
  const shutdown = new AbortController();
  const call = (method: string, path: string, accept: string, body?: unknown): Promise<Response> =>
    Promise.resolve(
      app.request(path, {
        method,
        headers: { authorization: `Bearer ${TOKENS.admin}`, accept, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    );

  before(async () => {
    ds = await openMemoryDatastore();
    app = createApp({ datastore: ds, tokens: TOKENS, shutdown: shutdown.signal });
    for (const name of ['a', 'b']) {
      const r = await call('POST', '/api/v1/namespaces', 'application/json', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { team: name } } });
      assert.equal(r.status, 201);
    }
  });
  after(async () => {
    shutdown.abort();
    await ds.close();
  });

  test('get: kind PartialObjectMetadata with the metadata only, and the negotiated content type', async () => {
    const r = await call('GET', '/api/v1/namespaces/a', ONE);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1');
    const body = (await r.json()) as Json;
    assert.deepEqual(Object.keys(body).sort(), ['apiVersion', 'kind', 'metadata']);
    assert.equal(body['kind'], 'PartialObjectMetadata');
    assert.equal(body['apiVersion'], 'meta.k8s.io/v1');
    assert.equal((body['metadata'] as Json)['name'], 'a');
    assert.deepEqual((body['metadata'] as Json)['labels'], { team: 'a', 'kubernetes.io/metadata.name': 'a' });
  });

  test('list: PartialObjectMetadataList keeps the list metadata (resourceVersion, continue)', async () => {
    const r = await call('GET', '/api/v1/namespaces?labelSelector=team&limit=1', LIST);
    assert.equal(r.headers.get('content-type'), 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1');
    const body = (await r.json()) as { kind: string; metadata: Json; items: Json[] };
    assert.equal(body.kind, 'PartialObjectMetadataList');
    assert.equal(typeof body.metadata['resourceVersion'], 'string');
    assert.equal(typeof body.metadata['continue'], 'string');
    assert.deepEqual(body.items.map((i) => [i['kind'], (i['metadata'] as Json)['name'], 'spec' in i || 'status' in i]), [['PartialObjectMetadata', 'a', false]]);
  });

  test('errors stay a Status', async () => {
    const r = await call('GET', '/api/v1/namespaces/nope', ONE);
    assert.equal(r.status, 404);
    assert.equal(((await r.json()) as Json)['kind'], 'Status');
  });

  test('watch: every event carries a PartialObjectMetadata', async () => {
    const r = await call('GET', '/api/v1/namespaces?watch=true&resourceVersion=0&labelSelector=team', ONE);
    assert.equal(r.headers.get('content-type'), 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1');
    const reader = r.body!.getReader();
    let text = '';
    const deadline = Date.now() + 10_000;
    while ((text.match(/\n/g) ?? []).length < 2 && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    await reader.cancel();
    const events = text.trim().split('\n').map((l) => JSON.parse(l) as { type: string; object: Json });
    assert.deepEqual(events.map((e) => [e.type, e.object['kind'], (e.object['metadata'] as Json)['name'], Object.keys(e.object).length]), [
      ['ADDED', 'PartialObjectMetadata', 'a', 3],
      ['ADDED', 'PartialObjectMetadata', 'b', 3],
    ]);
  });
});
