/**
 * pods/exec and pods/attach over WebSocket against a real server socket (runServer on a free
 * loopback port, memory datastore) with a fake PodRuntime: channel framing, stdin and the v5
 * close frame, the exit code as a NonZeroExitCode Status, and the refusals before the upgrade.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { openMemoryDatastore } from '../datastore/index.js';
import { ResourceClient } from '../client/index.js';
import { runServer } from './main.js';
import type { PodRuntime, PodSession } from './pod-runtime.js';

/** A session that echoes stdin upper-cased to stdout and exits with the number it reads. */
function echoSession(): PodSession {
  const out: ((d: Uint8Array) => void)[] = [];
  let done: (v: { code: number }) => void = () => undefined;
  let text = '';
  return {
    writeStdin: (d) => {
      text += Buffer.from(d).toString();
      // the last word read is the exit code
      for (const f of out) f(Buffer.from(Buffer.from(d).toString().toUpperCase()));
    },
    closeStdin: () => done({ code: Number(text.trim().split(/\s+/).pop()) || 0 }),
    resize: () => undefined,
    onStdout: (cb) => void out.push(cb),
    onStderr: () => undefined,
    exit: new Promise((r) => (done = r)),
    kill: () => done({ code: 137 }),
  };
}

async function withServer(fn: (url: string, token: string, readOnly: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tabby-execws-'));
  const ds = await openMemoryDatastore();
  const rt: PodRuntime = {
    readLog: () => Promise.resolve({ data: new Uint8Array(0), next: 0, running: false }),
    exec: () => Promise.resolve(echoSession()),
    attach: () => Promise.resolve({ refused: true, code: 400, reason: 'BadRequest', message: 'container c in pod p runs no attachable process' }),
  };
  const s = await runServer({ dataDir: dir, port: 0, datastore: ds, podRuntime: rt });
  try {
    const c = new ResourceClient(ds);
    await c.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { nodeName: 'w1', containers: [{ name: 'c', image: 'busybox' }] } });
    await c.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pending', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    await fn(s.url.replace('https:', 'wss:'), s.adminToken, s.readOnlyToken);
  } finally {
    await s.stop();
    await ds.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function open(url: string, token: string, protocols = ['v5.channel.k8s.io', 'v4.channel.k8s.io']): Promise<{ ws: WebSocket; frames: Buffer[]; closed: Promise<void> } | { status: number; body: string }> {
  return new Promise((ok, fail) => {
    const ws = new WebSocket(url, protocols, { headers: { authorization: `Bearer ${token}` }, rejectUnauthorized: false });
    const frames: Buffer[] = [];
    const closed = new Promise<void>((r) => ws.on('close', () => r()));
    const t = setTimeout(() => fail(new Error('no answer in 10 s')), 10_000);
    ws.on('message', (d: Buffer) => frames.push(d));
    ws.on('open', () => (clearTimeout(t), ok({ ws, frames, closed })));
    ws.on('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        clearTimeout(t);
        req.destroy();
        ok({ status: res.statusCode ?? 0, body });
      });
    });
    ws.on('error', () => undefined);
  });
}

const EXEC = '/api/v1/namespaces/default/pods/p/exec?command=cat&stdin=true&stdout=true&stderr=true';

test('exec over WebSocket: stdin to the command, stdout back on channel 1, the exit code as a Status on channel 3', async () => {
  await withServer(async (url, token) => {
    const c = await open(url + EXEC, token);
    assert.ok('ws' in c, JSON.stringify(c));
    assert.equal(c.ws.protocol, 'v5.channel.k8s.io');
    c.ws.send(Buffer.from([0, ...Buffer.from('hi 3')]));
    c.ws.send(Buffer.from([255, 0])); // v5: stdin closed
    await Promise.race([c.closed, new Promise((_, rej) => setTimeout(() => rej(new Error('session did not end')), 10_000))]);
    const byChannel = (ch: number) => c.frames.filter((f) => f[0] === ch).map((f) => f.subarray(1).toString()).join('');
    assert.equal(byChannel(1), 'HI 3');
    assert.deepEqual(JSON.parse(byChannel(3)), {
      metadata: {},
      status: 'Failure',
      message: 'command terminated with non-zero exit code: error executing command [cat], exit code 3',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
  });
});

test('refusals come before the upgrade as HTTP Status answers', async () => {
  await withServer(async (url, token, readOnly) => {
    const cases: [string, string, string, number, RegExp][] = [
      ['unscheduled pod', '/api/v1/namespaces/default/pods/pending/exec?command=ls', token, 400, /pod pending does not have a host assigned/],
      ['missing pod', '/api/v1/namespaces/default/pods/nope/exec?command=ls', token, 404, /pods \\"nope\\" not found/],
      ['no command', '/api/v1/namespaces/default/pods/p/exec', token, 400, /you must specify at least 1 command/],
      ['read-only token', EXEC, readOnly, 403, /cannot create resource \\"pods\/exec\\"/],
      ['bad token', EXEC, 'nope', 401, /Unauthorized/],
      ['nothing to attach to', '/api/v1/namespaces/default/pods/p/attach?stdout=true', token, 400, /runs no attachable process/],
    ];
    for (const [name, path, tok, code, re] of cases) {
      const r = await open(url + path, tok);
      assert.ok('status' in r, name);
      assert.equal(r.status, code, name);
      assert.match(r.body, re, name);
    }
    const old = await open(url + EXEC, token, ['channel.k8s.io']);
    assert.ok('status' in old);
    assert.match(old.body, /this server speaks v5\.channel\.k8s\.io, v4\.channel\.k8s\.io/);
  });
});
