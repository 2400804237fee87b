/**
 * The flows API in-process: agents' batches in through POST flowevents, records out through GET
 * flows (filters, watch), pending traces from staged policies, RBAC, hostile input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openMemoryDatastore } from '../datastore/index.js';
import { ENGINE_KINDS } from '../agent/syncer.js';
import { createApp } from './app.js';
import { FLOW_ENGINE_KINDS, FlowCollector, flowsResponse, parseDuration } from './flows.js';
import type { FlowEvent } from '../model/flows.js';

const TOKENS = { admin: 'admin-token', readOnly: 'ro-token', users: [{ token: 'agent-token', name: 'node:n1', rules: [{ apiGroups: ['tabby.dev'], resources: ['flowevents'], verbs: ['create'] }] }] };
const W = 1000;
type Json = Record<string, unknown>;

async function setup() {
  const ds = await openMemoryDatastore();
  const shutdown = new AbortController();
  let clock = 1_000_000;
  const collector = new FlowCollector({ datastore: ds, now: () => clock, windowMs: W, graceMs: 0, snapshotMaxAgeMs: 0, tickMs: 60_000, shutdown: shutdown.signal });
  const app = createApp({ datastore: ds, tokens: TOKENS, shutdown: shutdown.signal, flows: collector });
  const call = async (method: string, path: string, body?: unknown, token = TOKENS.admin, accept?: string) => {
    const res = await app.request(path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(accept === undefined ? {} : { accept }) },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    let parsed: Json;
    try {
      parsed = JSON.parse(text) as Json;
    } catch {
      parsed = { text };
    }
    return { status: res.status, body: parsed };
  };
  for (const o of [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x' }] }, status: { podIP: '198.18.0.3', podIPs: [{ ip: '198.18.0.3' }] } },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'client', namespace: 'shop', labels: { app: 'client' } }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x' }] }, status: { podIP: '198.18.0.2', podIPs: [{ ip: '198.18.0.2' }] } },
  ]) {
    const path = o.kind === 'Namespace' ? '/api/v1/namespaces' : '/api/v1/namespaces/shop/pods';
    const r = await call('POST', path, o);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    if (o.kind === 'Pod') {
      const st = await call('PUT', `/api/v1/namespaces/shop/pods/${o.metadata.name}/status`, { ...o, metadata: { ...o.metadata, resourceVersion: (r.body['metadata'] as Json)['resourceVersion'] } });
      assert.equal(st.status, 200, JSON.stringify(st.body));
    }
  }
  return { collector, call, advance: (ms: number) => (clock += ms), now: () => clock, close: async () => (shutdown.abort(), await ds.close()) };
}

const event = (time: number, o: Partial<FlowEvent> = {}): FlowEvent => ({
  time,
  node: 'n1',
  reporter: 'dst',
  source: { kind: 'wep', namespace: 'shop', name: 'client', ip: '198.18.0.2', labels: { app: 'client' } },
  dest: { kind: 'wep', namespace: 'shop', name: 'web', ip: '198.18.0.3', labels: { app: 'web' } },
  protocol: 'tcp',
  sourcePort: 40001,
  destPort: 80,
  action: 'allow',
  enforced: [{ tier: 'default', kind: 'Profile', namespace: '', name: 'kns.shop', ruleIndex: 0, direction: 'ingress', action: 'profile-allow' }],
  pending: [],
  packetsOut: 5,
  bytesOut: 300,
  packetsIn: 4,
  bytesIn: 500,
  ...o,
});

test('the server lists the same kinds as the agents', () => {
  assert.deepEqual(FLOW_ENGINE_KINDS, ENGINE_KINDS);
});

test('parseDuration', () => {
  assert.equal(parseDuration('5m'), 300_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('90s'), 90_000);
  assert.equal(parseDuration(''), undefined);
  assert.equal(parseDuration('5 minutes'), undefined);
});

test('batches in, records out after the window closes; filters; drops reported', async () => {
  const t = await setup();
  try {
    const t0 = t.now();
    const post = await t.call('POST', '/apis/tabby.dev/v1/flowevents', { events: [event(t0), event(t0 + 1, { sourcePort: 40002 }), event(t0 + 2, { destPort: 81, action: 'deny', enforced: [] })], kernelDropped: 2 }, 'agent-token');
    assert.equal(post.status, 201, JSON.stringify(post.body));
    assert.equal(post.body['accepted'], 3);
    let list = await t.call('GET', '/apis/tabby.dev/v1/flows');
    assert.deepEqual(list.body['items'], [], 'the window is still open');
    t.advance(W);
    list = await t.call('GET', '/apis/tabby.dev/v1/flows');
    assert.equal(list.status, 200);
    assert.equal(list.body['kind'], 'FlowList');
    const items = list.body['items'] as Json[];
    assert.equal(items.length, 2);
    const allowed = items.find((i) => i['action'] === 'allow')!;
    assert.equal(allowed['connections'], 2);
    assert.equal(allowed['packetsOut'], 10);
    assert.equal(allowed['kind'], 'Flow');
    assert.deepEqual((list.body['drops'] as Json)['kernelDropped'], 2);
    assert.equal(((await t.call('GET', '/apis/tabby.dev/v1/flows?action=deny')).body['items'] as Json[]).length, 1);
    assert.equal(((await t.call('GET', '/apis/tabby.dev/v1/namespaces/shop/flows')).body['items'] as Json[]).length, 2);
    assert.equal(((await t.call('GET', '/apis/tabby.dev/v1/namespaces/other/flows')).body['items'] as Json[]).length, 0);
    assert.equal(((await t.call('GET', '/apis/tabby.dev/v1/flows?policy=kns.shop')).body['items'] as Json[]).length, 1);
    assert.equal(((await t.call('GET', '/apis/tabby.dev/v1/flows?limit=1', undefined, TOKENS.readOnly)).body['items'] as Json[]).length, 1);
    assert.equal(((await t.call('GET', '/apis/tabby.dev/v1/flows?since=1s')).body['items'] as Json[]).length, 2);
  } finally {
    await t.close();
  }
});

test('a staged policy that would deny an existing flow shows it pending-deny in the next window', async () => {
  const t = await setup();
  try {
    await t.call('POST', '/apis/tabby.dev/v1/flowevents', { events: [event(t.now())] });
    t.advance(W);
    const staged = await t.call('POST', '/apis/projectcalico.org/v3/stagedglobalnetworkpolicies', {
      apiVersion: 'projectcalico.org/v3',
      kind: 'StagedGlobalNetworkPolicy',
      metadata: { name: 'lockdown-web' },
      spec: { selector: "app == 'web'", types: ['Ingress'], ingress: [{ action: 'Deny' }] },
    });
    assert.equal(staged.status, 201, JSON.stringify(staged.body));
    await t.call('POST', '/apis/tabby.dev/v1/flowevents', { events: [event(t.now())] });
    t.advance(W);
    const items = (await t.call('GET', '/apis/tabby.dev/v1/flows')).body['items'] as Json[];
    assert.equal(items.length, 2);
    const [newer, older] = items;
    assert.deepEqual(older!['pending'], []);
    assert.deepEqual(newer!['pending'], [{ tier: 'default', kind: 'StagedGlobalNetworkPolicy', namespace: '', name: 'lockdown-web', ruleIndex: 0, direction: 'ingress', action: 'deny' }]);
    assert.equal(newer!['action'], 'allow', 'still allowed: the staged policy is not enforced');
    assert.equal(((await t.call('GET', '/apis/tabby.dev/v1/flows?policy=lockdown-web')).body['items'] as Json[]).length, 1);
  } finally {
    await t.close();
  }
});

test('watch: held records, then each record as its window closes; resourceVersion resumes; limit ends it', async () => {
  const t = await setup();
  try {
    await t.call('POST', '/apis/tabby.dev/v1/flowevents', { events: [event(t.now())] });
    t.advance(W);
    t.collector.tick();
    const ctl = new AbortController();
    // the handler behind GET flows?watch=1, read line by line
    const r = flowsResponse(t.collector, new URLSearchParams('watch=1&limit=2'), undefined, ctl.signal);
    const reader = r.body!.getReader();
    const dec = new TextDecoder();
    let buf = '';
    const next = async (): Promise<Json> => {
      for (let i = 0; i < 100; i++) {
        const nl = buf.indexOf('\n');
        if (nl >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          return JSON.parse(line) as Json;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('the watch ended');
        buf += dec.decode(value);
      }
      throw new Error('no event');
    };
    const first = await next();
    assert.equal(first['type'], 'ADDED');
    assert.equal(((first['object'] as Json)['metadata'] as Json)['resourceVersion'], '1');
    await t.call('POST', '/apis/tabby.dev/v1/flowevents', { events: [event(t.now(), { destPort: 8080 })] });
    t.advance(W);
    t.collector.tick();
    const second = await next();
    assert.equal((second['object'] as Json)['destPort'], 8080);
    const { done } = await reader.read();
    assert.equal(done, true, 'limit=2 reached: the stream ends');
    const resumed = flowsResponse(t.collector, new URLSearchParams('watch=1&resourceVersion=1&limit=1'), undefined, ctl.signal);
    const text = await resumed.text();
    assert.equal((JSON.parse(text.trim()) as { object: Json }).object['destPort'], 8080);
    ctl.abort();
  } finally {
    await t.close();
  }
});

test('RBAC: read-only may list but not post; the agent may post but not list; no token is 401', async () => {
  const t = await setup();
  try {
    assert.equal((await t.call('POST', '/apis/tabby.dev/v1/flowevents', { events: [] }, TOKENS.readOnly)).status, 403);
    assert.equal((await t.call('GET', '/apis/tabby.dev/v1/flows', undefined, 'agent-token')).status, 403);
    assert.equal((await t.call('GET', '/apis/tabby.dev/v1/flows', undefined, 'nobody')).status, 401);
    assert.equal((await t.call('DELETE', '/apis/tabby.dev/v1/flows')).status, 405);
    assert.equal((await t.call('GET', '/apis/tabby.dev/v1/flowevents')).status, 405);
  } finally {
    await t.close();
  }
});

test('hostile input: a 4xx Status naming the field or parameter, nothing folded', async () => {
  const t = await setup();
  try {
    const cases: { body: unknown; want: RegExp }[] = [
      { body: 'not json', want: /json parse error/ },
      { body: [], want: /expected a map/ },
      { body: { events: 'x' }, want: /events: Invalid value/ },
      { body: { events: [event(t.now(), { destPort: 70000 })] }, want: /events\[0\]\.destPort/ },
      { body: { events: [{ ...event(t.now()), source: { kind: 'wep', namespace: 'shop', name: 'c', ip: '999.1.1.1', labels: {} } }] }, want: /events\[0\]\.source\.ip/ },
      { body: { events: [{ ...event(t.now()), extra: 1 }] }, want: /events\[0\]\.extra: Unknown field/ },
      { body: JSON.parse('{"events":[],"__proto__":{"x":1}}') as unknown, want: /__proto__/ },
      { body: { events: [event(t.now() + 3_600_000)] }, want: /events\[0\]\.time/ },
      { body: { events: [{ ...event(t.now()), enforced: Array.from({ length: 65 }, () => event(0).enforced[0]) }] }, want: /events\[0\]\.enforced: Too many/ },
      { body: { events: Array.from({ length: 10_001 }, () => ({})) }, want: /events: Too many/ },
    ];
    for (const c of cases) {
      const r = await t.call('POST', '/apis/tabby.dev/v1/flowevents', c.body);
      assert.ok(r.status === 400 || r.status === 422 || r.status === 413, `${JSON.stringify(c.body).slice(0, 80)} → ${r.status}`);
      assert.equal(r.body['kind'], 'Status');
      assert.match(String(r.body['message']), c.want);
    }
    for (const [q, want] of [
      ['action=drop', /action/],
      ['limit=0', /limit/],
      ['since=yesterday', /since/],
      ['namespace=Bad_NS', /namespace/],
      ['watch=maybe', /watch/],
      ['fieldSelector=x', /unknown query parameter/],
    ] as const) {
      const r = await t.call('GET', `/apis/tabby.dev/v1/flows?${q}`);
      assert.equal(r.status, 400, q);
      assert.match(String(r.body['message']), want);
    }
    t.advance(W);
    assert.deepEqual((await t.call('GET', '/apis/tabby.dev/v1/flows')).body['items'], []);
  } finally {
    await t.close();
  }
});

const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

test('kubectl: tabby.dev/v1 in discovery; a Table for lists, one flow and watch events; get by name; every other method 405', async () => {
  const t = await setup();
  try {
    const groups = ((await t.call('GET', '/apis')).body['groups'] as Json[]).map((g) => g['name']);
    assert.equal(groups.at(-1), 'tabby.dev');
    assert.deepEqual((await t.call('GET', '/apis/tabby.dev')).body['preferredVersion'], { groupVersion: 'tabby.dev/v1', version: 'v1' });
    const res = (await t.call('GET', '/apis/tabby.dev/v1')).body['resources'] as Json[];
    assert.deepEqual(
      res.map((r) => [r['name'], r['namespaced'], r['kind'], r['verbs']]),
      [
        ['flowevents', false, 'FlowEventBatch', ['create']],
        ['flows', true, 'Flow', ['get', 'list', 'watch']],
      ],
    );
    const t0 = t.now();
    await t.call('POST', '/apis/tabby.dev/v1/flowevents', { events: [event(t0), event(t0 + 2, { destPort: 81, action: 'deny', enforced: [{ tier: 'default', kind: 'Tier', namespace: '', name: 'default', ruleIndex: -1, direction: 'ingress', action: 'end-of-tier-deny' }] })] }, 'agent-token');
    t.advance(W);
    const table = await t.call('GET', '/apis/tabby.dev/v1/namespaces/shop/flows?limit=500', undefined, TOKENS.admin, TABLE);
    assert.equal(table.status, 200, JSON.stringify(table.body));
    assert.equal(table.body['kind'], 'Table');
    const cols = (table.body['columnDefinitions'] as Json[]).map((c) => `${String(c['name'])}${c['priority'] === 1 ? '*' : ''}`);
    assert.deepEqual(cols, ['Name', 'Reporter', 'Source', 'Destination', 'Port', 'Action', 'Connections', 'Policy', 'Pending', 'Age', 'Nodes*', 'Packets*', 'Bytes*', 'Enforced*']);
    const rows = table.body['rows'] as { cells: unknown[]; object: Json }[];
    assert.equal(rows.length, 2);
    const deny = rows.find((r) => r.cells[5] === 'deny')!;
    assert.deepEqual(deny.cells.slice(1, 9), ['dst', 'shop/client', 'shop/web', 'tcp/81', 'deny', 1, 'default|default end-of-tier-deny', '<none>']);
    assert.deepEqual(deny.cells.slice(10), ['n1', '5/4', '300/500', 'default|default end-of-tier-deny']);
    assert.equal(deny.object['kind'], 'PartialObjectMetadata');
    const meta = deny.object['metadata'] as Json;
    assert.equal(meta['namespace'], 'shop');
    // get by name, as JSON and as a Table; in another namespace or gone: 404
    const name = String(meta['name']);
    const one = await t.call('GET', `/apis/tabby.dev/v1/namespaces/shop/flows/${name}`);
    assert.equal(one.status, 200, JSON.stringify(one.body));
    assert.deepEqual([one.body['kind'], one.body['action'], one.body['destPort']], ['Flow', 'deny', 81]);
    assert.equal(((await t.call('GET', `/apis/tabby.dev/v1/flows/${name}`, undefined, TOKENS.readOnly, TABLE)).body['rows'] as Json[]).length, 1);
    for (const p of [`/apis/tabby.dev/v1/namespaces/other/flows/${name}`, '/apis/tabby.dev/v1/flows/1-999', '/apis/tabby.dev/v1/flows/not-a-flow']) {
      const r = await t.call('GET', p);
      assert.equal(r.status, 404, p);
      assert.match(String(r.body['message']), /^flows\.tabby\.dev ".*" not found$/);
    }
    assert.equal((await t.call('GET', '/apis/tabby.dev/v1/flows/%E0%A4%A')).status, 400);
    assert.equal((await t.call('GET', `/apis/tabby.dev/v1/flows/${name}?watch=1`)).status, 400);
    assert.equal((await t.call('GET', '/apis/tabby.dev/v1/flows?includeObject=All', undefined, TOKENS.admin, TABLE)).status, 400);
    // mutating verbs: 405 MethodNotAllowed Status, never a 500
    for (const m of ['POST', 'PUT', 'PATCH', 'DELETE'])
      for (const p of ['/apis/tabby.dev/v1/flows', '/apis/tabby.dev/v1/namespaces/shop/flows', `/apis/tabby.dev/v1/namespaces/shop/flows/${name}`]) {
        const r = await t.call(m, p, {});
        assert.deepEqual([r.status, r.body['kind'], r.body['reason']], [405, 'Status', 'MethodNotAllowed'], `${m} ${p}`);
      }
    assert.equal((await t.call('POST', '/apis/tabby.dev/v1/flowevents/x', { events: [] }, 'agent-token')).status, 404);
  } finally {
    await t.close();
  }
});

test('kubectl get -w: each watch event is a one-row Table', async () => {
  const t = await setup();
  try {
    await t.collector.ingest({ events: [event(t.now())], kernelDropped: 0 });
    t.advance(W);
    const ac = new AbortController();
    const res = flowsResponse(t.collector, new URLSearchParams('watch=true&resourceVersion=0'), 'shop', ac.signal, TABLE);
    const reader = res.body!.getReader();
    const { value } = await reader.read();
    ac.abort();
    const ev = JSON.parse(new TextDecoder().decode(value).split('\n')[0]!) as { type: string; object: { kind: string; rows: { cells: unknown[] }[] } };
    assert.equal(ev.type, 'ADDED');
    assert.equal(ev.object.kind, 'Table');
    assert.deepEqual(ev.object.rows.map((r) => r.cells.slice(1, 7)), [['dst', 'shop/client', 'shop/web', 'tcp/80', 'allow', 1]]);
  } finally {
    await t.close();
  }
});
