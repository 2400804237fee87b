/**
 * End to end, issue 12: hostile requests against a running Tabby API server (runServer over
 * HTTPS on 127.0.0.1, a free port, its own temporary data dir and SQLite datastore).
 *
 * Every case sends real HTTP; after each one the suite checks that
 * - the answer is a 4xx (never a 500) and carries no stack trace (`    at ` lines);
 * - `Object.prototype` is clean (the server runs in this process, so pollution would show here);
 * - the next normal requests (GET, a create with a body, a merge patch) answer correctly.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request, Agent } from 'node:https';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runServer, type RunningServer } from '../../src/apiserver/main.js';

interface Reply {
  readonly status: number;
  readonly text: string;
}

const GNP = '/apis/projectcalico.org/v3/globalnetworkpolicies';
const NP = '/apis/networking.k8s.io/v1/namespaces/default/networkpolicies';
const PODS = '/api/v1/namespaces/default/pods';

const gnp = (name: string): string =>
  JSON.stringify({ apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name }, spec: { order: 10, selector: "role == 'db'", types: ['Ingress'] } });

describe('hostile input against a running server', () => {
  let dir = '';
  let s: RunningServer;
  let agent: Agent;
  let counter = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tabby-hostile-'));
    s = await runServer({ dataDir: dir, port: 0, uiDir: join(dir, 'no-ui') });
    agent = new Agent({ keepAlive: true, maxSockets: 4 });
    const base = await call('POST', GNP, gnp('base'));
    assert.equal(base.status, 201, base.text);
    const np = await call('POST', NP, JSON.stringify({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'np' }, spec: { podSelector: {} } }));
    assert.equal(np.status, 201, np.text);
    const pod = await call('POST', PODS, JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }));
    assert.equal(pod.status, 201, pod.text);
  });

  after(async () => {
    agent?.destroy();
    await s?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** One request; `body` may be bytes, a string, or a chunk generator (sent chunked, without content-length). */
  function call(method: string, path: string, body?: string | Uint8Array | (() => Iterable<Uint8Array>), headers: Record<string, string> = {}): Promise<Reply> {
    return new Promise((ok, fail) => {
      const hdrs: Record<string, string | number> = { authorization: `Bearer ${s.adminToken}`, 'content-type': 'application/json', ...headers };
      if (typeof body === 'string' || body instanceof Uint8Array) hdrs['content-length'] = Buffer.byteLength(body);
      let answered = false;
      const req = request({ host: '127.0.0.1', port: s.port, path, method, agent, ca: s.caPem, headers: hdrs, timeout: 60_000 }, (res) => {
        answered = true;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => ok({ status: res.statusCode ?? 0, text }));
        res.on('error', fail);
      });
      // The server may answer (413) and close while we are still sending: only fail without an answer.
      req.on('error', (e) => {
        if (!answered) fail(e);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 60 s`)));
      if (typeof body === 'function') {
        (async () => {
          for (const chunk of body()) {
            if (req.destroyed) return;
            if (!req.write(chunk)) await new Promise<void>((r) => req.once('drain', r).once('close', r));
          }
          req.end();
        })().catch(() => undefined);
      } else req.end(body);
    });
  }

  /** The checks after every hostile request. */
  async function stillHealthy(r: Reply, want: number | ((status: number) => boolean)): Promise<void> {
    if (typeof want === 'number') assert.equal(r.status, want, r.text.slice(0, 500));
    else assert.ok(want(r.status), `unexpected status ${r.status}: ${r.text.slice(0, 500)}`);
    assert.ok(r.status < 500, `a 5xx: ${r.status} ${r.text.slice(0, 500)}`);
    assert.doesNotMatch(r.text, /^\s{4}at /m, 'a stack trace reached the client');
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined, 'Object.prototype.polluted is set');
    assert.deepEqual(
      Object.getOwnPropertyNames(Object.prototype).filter((k) => !['constructor', '__defineGetter__', '__defineSetter__', 'hasOwnProperty', '__lookupGetter__', '__lookupSetter__', 'isPrototypeOf', 'propertyIsEnumerable', 'toString', 'valueOf', '__proto__', 'toLocaleString'].includes(k)),
      [],
      'Object.prototype gained properties',
    );
    const get = await call('GET', `${GNP}/base`);
    assert.equal(get.status, 200, get.text);
    assert.equal((JSON.parse(get.text) as { metadata: { name: string } }).metadata.name, 'base');
    const name = `after-${++counter}`;
    const created = await call('POST', GNP, gnp(name));
    assert.equal(created.status, 201, created.text);
    const patched = await call('PATCH', `${GNP}/${name}`, JSON.stringify({ spec: { order: 20 } }), { 'content-type': 'application/merge-patch+json' });
    assert.equal(patched.status, 200, patched.text);
    assert.equal((JSON.parse(patched.text) as { spec: { order: number } }).spec.order, 20);
  }

  const is4xx = (st: number): boolean => st >= 400 && st < 500;

  describe('__proto__, constructor and prototype', () => {
    const jsonPatches: [string, string][] = [
      ['/__proto__/polluted', '1'],
      ['/constructor/prototype/polluted', '1'],
      ['/metadata/__proto__', '{"polluted":1}'],
      ['/spec/prototype', '{"polluted":1}'],
      ['/metadata/labels/constructor', '"x"'],
    ];
    for (const [path, value] of jsonPatches)
      test(`JSON patch add ${path}`, async () => {
        const r = await call('PATCH', `${GNP}/base`, `[{"op":"add","path":"${path}","value":${value}}]`, { 'content-type': 'application/json-patch+json' });
        await stillHealthy(r, 400);
        assert.match(r.text, /not allowed|refused/);
      });
    test('JSON patch copy and move from __proto__', async () => {
      await stillHealthy(await call('PATCH', `${GNP}/base`, '[{"op":"copy","from":"/__proto__","path":"/spec/x"}]', { 'content-type': 'application/json-patch+json' }), 400);
      await stillHealthy(await call('PATCH', `${GNP}/base`, '[{"op":"move","from":"/constructor","path":"/spec/x"}]', { 'content-type': 'application/json-patch+json' }), 400);
    });
    const objects = ['{"__proto__":{"polluted":1}}', '{"metadata":{"labels":{"constructor":{"prototype":{"polluted":1}}}}}', '{"spec":{"prototype":{"polluted":1}}}'];
    for (const body of objects) {
      test(`merge patch ${body}`, async () => {
        await stillHealthy(await call('PATCH', `${GNP}/base`, body, { 'content-type': 'application/merge-patch+json' }), 400);
      });
      test(`strategic merge patch ${body} (networking.k8s.io and a Pod)`, async () => {
        await stillHealthy(await call('PATCH', `${NP}/np`, body, { 'content-type': 'application/strategic-merge-patch+json' }), 400);
        await stillHealthy(await call('PATCH', `${PODS}/p`, body, { 'content-type': 'application/strategic-merge-patch+json' }), 400);
      });
      test(`server-side apply (JSON) ${body}`, async () => {
        const applied = `{"apiVersion":"projectcalico.org/v3","kind":"GlobalNetworkPolicy","metadata":{"name":"base"},${body.slice(1)}`;
        await stillHealthy(await call('PATCH', `${GNP}/base?fieldManager=evil`, applied, { 'content-type': 'application/apply-patch+yaml' }), 400);
      });
      test(`create (JSON) with ${body}`, async () => {
        const created = `{"apiVersion":"projectcalico.org/v3","kind":"GlobalNetworkPolicy","metadata":{"name":"evil"},${body.slice(1)}`;
        await stillHealthy(await call('POST', GNP, created), 400);
      });
    }
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const yaml = `apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: evil-yaml\n  labels:\n    ${key}:\n      polluted: "1"\nspec:\n  selector: all()\n`;
      test(`server-side apply (YAML) with ${key}`, async () => {
        await stillHealthy(await call('PATCH', `${GNP}/evil-yaml?fieldManager=evil`, yaml, { 'content-type': 'application/apply-patch+yaml' }), 400);
      });
      test(`create (YAML) with ${key}`, async () => {
        await stillHealthy(await call('POST', GNP, yaml, { 'content-type': 'application/yaml' }), 400);
      });
    }
    test('DeleteOptions with __proto__', async () => {
      await stillHealthy(await call('DELETE', `${GNP}/base`, '{"__proto__":{"polluted":1}}'), 400);
    });
  });

  describe('size and depth', () => {
    const eightMiB = 8 * 1024 * 1024;
    test('an 8 MiB body with content-length is 413 before it is read', async () => {
      const body = Buffer.alloc(eightMiB, 0x20);
      const r = await call('POST', GNP, body);
      await stillHealthy(r, 413);
      assert.match(r.text, /RequestEntityTooLarge/);
    });
    test('an 8 MiB chunked body (no content-length) is cut off at the limit with 413', async () => {
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const r = await call('POST', GNP, function* () {
        for (let i = 0; i < eightMiB / chunk.length; i++) yield chunk;
      });
      await stillHealthy(r, 413);
    });
    test('JSON nested 100,000 deep (create, merge patch, JSON patch value)', async () => {
      const deep = '['.repeat(100_000) + ']'.repeat(100_000);
      await stillHealthy(await call('POST', GNP, `{"apiVersion":"projectcalico.org/v3","kind":"GlobalNetworkPolicy","metadata":{"name":"deep"},"spec":{"x":${deep}}}`), 400);
      await stillHealthy(await call('PATCH', `${GNP}/base`, `{"spec":{"x":${deep}}}`, { 'content-type': 'application/merge-patch+json' }), 400);
      await stillHealthy(await call('PATCH', `${GNP}/base`, `[{"op":"add","path":"/spec/x","value":${deep}}]`, { 'content-type': 'application/json-patch+json' }), 400);
      const objs = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
      await stillHealthy(await call('POST', GNP, objs), 400);
    });
    test('YAML nested deep: flow 100,000 and block 2,000 levels (the YAML parser never sees them)', async () => {
      const flow = `apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: deep\nspec:\n  x: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`;
      await stillHealthy(await call('PATCH', `${GNP}/deep?fieldManager=evil`, flow, { 'content-type': 'application/apply-patch+yaml' }), 400);
      let block = 'apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: deep\nspec:\n';
      for (let i = 1; i < 1500; i++) block += `${' '.repeat(i)}a:\n`;
      await stillHealthy(await call('POST', GNP, block, { 'content-type': 'application/yaml' }), 400);
    });
  });

  describe('encodings and media types', () => {
    test('invalid UTF-8 is 400', async () => {
      const bytes = Buffer.concat([Buffer.from('{"apiVersion":"projectcalico.org/v3","kind":"GlobalNetworkPolicy","metadata":{"name":"x'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}}')]);
      await stillHealthy(await call('POST', GNP, bytes), 400);
      await stillHealthy(await call('PATCH', `${GNP}/base`, bytes, { 'content-type': 'application/merge-patch+json' }), 400);
    });
    test('a wrong content type is 415', async () => {
      await stillHealthy(await call('POST', GNP, gnp('ct'), { 'content-type': 'text/plain' }), 415);
      await stillHealthy(await call('PATCH', `${GNP}/base`, '{}', { 'content-type': 'text/html' }), 415);
    });
    test('not JSON at all, and JSON that is not an object', async () => {
      await stillHealthy(await call('POST', GNP, 'not json'), 400);
      await stillHealthy(await call('POST', GNP, '[1,2,3]'), 400);
      await stillHealthy(await call('PATCH', `${GNP}/base`, '"x"', { 'content-type': 'application/json-patch+json' }), 400);
      await stillHealthy(await call('PATCH', `${GNP}/base`, '[{"op":"add"}]', { 'content-type': 'application/json-patch+json' }), 400);
    });
    test('a bad content-length is 400', async () => {
      const r = await new Promise<Reply>((ok, fail) => {
        const req = request({ host: '127.0.0.1', port: s.port, path: GNP, method: 'POST', ca: s.caPem, headers: { authorization: `Bearer ${s.adminToken}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => ok({ status: res.statusCode ?? 0, text }));
        });
        req.on('error', fail);
        req.end('{');
      });
      await stillHealthy(r, 400);
    });
  });

  describe('odd paths and names', () => {
    const paths = [
      `${GNP}/%ZZ`,
      `${GNP}/a%2Fb`,
      `${GNP}/%2E%2E`,
      `${GNP}/%00`,
      `/api/v1/namespaces/a%2Fb/pods`,
      `/api/v1/namespaces/a%2Fb/pods/x`,
      `/api/v1/namespaces/%E0%A4%A/pods`,
      `${GNP}/${'x'.repeat(10_000)}`,
      `${GNP}/%F0%9F%90%88`,
      `${GNP}/base/status`,
      `${GNP}/base/evil`,
      `/apis/%2F/v1/things`,
      `/api/v1/namespaces/default/pods/p/status/extra`,
    ];
    for (const p of paths)
      test(`GET ${p.slice(0, 80)}`, async () => {
        await stillHealthy(await call('GET', p), is4xx);
        await stillHealthy(await call('DELETE', p), is4xx);
        await stillHealthy(await call('PUT', p, gnp('x')), is4xx);
      });
    test('a create whose name is odd is 4xx', async () => {
      for (const name of ['a/b', '..', '', 'UPPER', 'x'.repeat(300), 'ü', ' lead']) await stillHealthy(await call('POST', GNP, gnp(name)), is4xx);
    });
  });

  describe('query parameters', () => {
    const queries = [
      '?labelSelector=a%20in%20(b',
      '?labelSelector=!!!',
      '?labelSelector=a=b=c',
      '?fieldSelector=spec.foo%3Dbar',
      '?fieldSelector=x',
      '?resourceVersion=abc',
      '?resourceVersion=-1',
      '?resourceVersion=1e9',
      '?resourceVersion=1&resourceVersionMatch=Bogus',
      '?resourceVersionMatch=Exact',
      '?limit=abc',
      '?limit=1.5',
      '?timeoutSeconds=x&watch=1',
      '?watch=1&resourceVersion=abc',
      '?watch=True&resourceVersion=%00',
      '?continue=!!!',
      `?continue=${encodeURIComponent(btoa('{"__proto__":{"polluted":1}}'))}`,
      `?continue=${encodeURIComponent(btoa('not json'))}`,
      `?continue=${encodeURIComponent(btoa('{"rv":"abc","after":"x"}'))}`,
      '?sendInitialEvents=true',
      '?watch=1&sendInitialEvents=true',
    ];
    for (const q of queries)
      test(`list ${q}`, async () => {
        await stillHealthy(await call('GET', `${GNP}${q}`), is4xx);
      });
  });
});
