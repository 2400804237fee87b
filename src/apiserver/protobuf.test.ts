/**
 * The protobuf body decoder: kinds round-trip to the JSON the server would get from a JSON
 * client, Go's zero-value habits are undone, and hostile bytes (truncated, oversized lengths,
 * wrong wire types, unknown fields, deep embedded JSON, random corruption) are a
 * ProtobufDecodeError — a 400 — and never anything else. Inputs are encoded with protobufjs from
 * the same message definitions, plus hand-written bytes for what an encoder would not produce.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import { decodeProtobufObject, isProtobuf, ProtobufDecodeError } from './protobuf.js';
import { PROTO_ROOT } from './protobuf-schema.js';
import { openMemoryDatastore } from '../datastore/index.js';
import { createApp } from './app.js';

const MAGIC = Uint8Array.from([0x6b, 0x38, 0x73, 0x00]);

function encode(typeName: string, value: Record<string, unknown>): Uint8Array {
  const t = PROTO_ROOT.lookupType(typeName);
  return t.encode(t.fromObject(value)).finish();
}

function envelope(apiVersion: string, kind: string, raw: Uint8Array, extra: Record<string, unknown> = {}): Uint8Array {
  const body = encode('k8s.io.apimachinery.pkg.runtime.Unknown', { typeMeta: { apiVersion, kind }, raw, ...extra });
  const out = new Uint8Array(MAGIC.length + body.length);
  out.set(MAGIC);
  out.set(body, MAGIC.length);
  return out;
}

const cat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));

/** A Service as Go's encoder writes it: every non-pointer scalar present, even when zero. */
const SERVICE = envelope(
  'v1',
  'Service',
  encode('k8s.io.api.core.v1.Service', {
    metadata: { name: 'web', generateName: '', namespace: '', uid: '', resourceVersion: '', generation: 0, creationTimestamp: { seconds: 0, nanos: 0 }, labels: { app: 'web' } },
    spec: {
      ports: [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: { type: 0, intVal: 8080 }, nodePort: 0 }, { name: 'named', port: 8443, targetPort: { type: 1, strVal: 'https' } }],
      selector: { app: 'web' },
      clusterIP: '',
      type: 'ClusterIP',
      publishNotReadyAddresses: false,
      healthCheckNodePort: 0,
    },
    status: { loadBalancer: {} },
  }),
);

const isDecodeError = { name: 'ProtobufDecodeError' };

describe('protobuf request bodies', () => {
  test('media type detection ignores parameters and case', () => {
    assert.ok(isProtobuf('application/vnd.kubernetes.protobuf'));
    assert.ok(isProtobuf('Application/Vnd.Kubernetes.Protobuf; charset=binary'));
    assert.ok(!isProtobuf('application/json'));
  });

  test('a Service decodes to its JSON form: Go zero values dropped, ports and IntOrString kept', () => {
    assert.deepEqual(decodeProtobufObject(SERVICE), {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', creationTimestamp: null, labels: { app: 'web' } },
      spec: {
        ports: [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 }, { name: 'named', port: 8443, targetPort: 'https' }],
        selector: { app: 'web' },
        type: 'ClusterIP',
      },
      status: { loadBalancer: {} },
    });
  });

  test('a Deployment with a pod template, env from a ConfigMap (inlined name), probes, quantities and times', () => {
    const raw = encode('k8s.io.api.apps.v1.Deployment', {
      metadata: { name: 'nginx', labels: { app: 'nginx' }, creationTimestamp: { seconds: 1_700_000_000 }, deletionGracePeriodSeconds: 0 },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'nginx' }, matchExpressions: [{ key: 'tier', operator: 'Exists' }] },
        template: {
          metadata: { labels: { app: 'nginx' } },
          spec: {
            containers: [
              {
                name: 'nginx',
                image: 'nginx',
                ports: [{ containerPort: 80, protocol: 'TCP' }],
                env: [{ name: 'A', value: '' }, { name: 'B', valueFrom: { configMapKeyRef: { localObjectReference: { name: 'cm' }, key: 'k' } } }],
                resources: { limits: { cpu: { string: '500m' } } },
                readinessProbe: { handler: { httpGet: { path: '/', port: { type: 0, intVal: 80 } } }, periodSeconds: 5 },
                stdin: false,
              },
            ],
            automountServiceAccountToken: false,
          },
        },
        strategy: {},
        progressDeadlineSeconds: 600,
      },
      status: {},
    });
    assert.deepEqual(decodeProtobufObject(envelope('apps/v1', 'Deployment', raw)), {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'nginx', labels: { app: 'nginx' }, creationTimestamp: '2023-11-14T22:13:20Z', deletionGracePeriodSeconds: 0 },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'nginx' }, matchExpressions: [{ key: 'tier', operator: 'Exists' }] },
        template: {
          metadata: { labels: { app: 'nginx' } },
          spec: {
            containers: [
              {
                name: 'nginx',
                image: 'nginx',
                ports: [{ containerPort: 80, protocol: 'TCP' }],
                env: [{ name: 'A' }, { name: 'B', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } }],
                resources: { limits: { cpu: '500m' } },
                readinessProbe: { httpGet: { path: '/', port: 80 }, periodSeconds: 5 },
              },
            ],
            automountServiceAccountToken: false,
          },
        },
        strategy: {},
        progressDeadlineSeconds: 600,
      },
      status: {},
    });
  });

  test('Secret data (bytes) is base64 as in JSON; DeleteOptions decode under any group-version', () => {
    const secret = encode('k8s.io.api.core.v1.Secret', { metadata: { name: 's' }, data: { k: Buffer.from('hunter2') }, type: 'Opaque' });
    assert.deepEqual(decodeProtobufObject(envelope('v1', 'Secret', secret)), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { k: 'aHVudGVyMg==' }, type: 'Opaque' });
    const del = encode('k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions', { gracePeriodSeconds: 0, propagationPolicy: 'Background', dryRun: ['All'] });
    assert.deepEqual(decodeProtobufObject(envelope('meta.k8s.io/v1', 'DeleteOptions', del)), { apiVersion: 'meta.k8s.io/v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, propagationPolicy: 'Background', dryRun: ['All'] });
  });

  test('events (MicroTime with microseconds) and EndpointSlices (pointer fields kept when zero)', () => {
    const ev = encode('k8s.io.api.events.v1.Event', {
      metadata: { name: 'e1', namespace: 'shop' },
      eventTime: { seconds: 1_700_000_000, nanos: 123_456_789 },
      reportingController: 'tabby/deployment',
      reason: 'ScalingReplicaSet',
      regarding: { kind: 'Deployment', name: 'nginx', namespace: 'shop' },
      note: 'Scaled up',
      type: 'Normal',
      deprecatedCount: 0,
    });
    assert.deepEqual(decodeProtobufObject(envelope('events.k8s.io/v1', 'Event', ev)), {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'e1', namespace: 'shop' },
      eventTime: '2023-11-14T22:13:20.123456Z',
      reportingController: 'tabby/deployment',
      reason: 'ScalingReplicaSet',
      regarding: { kind: 'Deployment', name: 'nginx', namespace: 'shop' },
      note: 'Scaled up',
      type: 'Normal',
    });
    const slice = encode('k8s.io.api.discovery.v1.EndpointSlice', {
      metadata: { name: 'nginx-abc', namespace: 'shop' },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['198.18.0.5'], conditions: { ready: false, serving: true }, nodeName: 'worker-1' }],
      ports: [{ name: '', protocol: 'TCP', port: 80 }],
    });
    assert.deepEqual(decodeProtobufObject(envelope('discovery.k8s.io/v1', 'EndpointSlice', slice)), {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'nginx-abc', namespace: 'shop' },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['198.18.0.5'], conditions: { ready: false, serving: true }, nodeName: 'worker-1' }],
      ports: [{ name: '', protocol: 'TCP', port: 80 }],
    });
  });

  test('an unknown field holding a zero value is skipped (a newer client\'s empty field); a non-zero one is refused by number', () => {
    const ns = encode('k8s.io.api.core.v1.Namespace', { metadata: { name: 'a' } });
    const zeroVarint = Uint8Array.from([(99 << 3) & 0x7f | 0x80, 99 >> 4, 0x00]); // field 99, varint 0
    const emptyLen = Uint8Array.from([((98 << 3) | 2) & 0x7f | 0x80, 98 >> 4, 0x00]); // field 98, length 0
    assert.deepEqual(decodeProtobufObject(envelope('v1', 'Namespace', cat(ns, zeroVarint, emptyLen))), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a' } });
    const oneVarint = Uint8Array.from([(99 << 3) & 0x7f | 0x80, 99 >> 4, 0x01]);
    assert.throws(() => decodeProtobufObject(envelope('v1', 'Namespace', cat(ns, oneVarint))), { ...isDecodeError, message: /field number 99 of k8s\.io\.api\.core\.v1\.Namespace/ });
  });

  test('a field the server does not decode is refused by name, not dropped', () => {
    const pod = encode('k8s.io.api.core.v1.Pod', { metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] } });
    // PodSpec.affinity (18) with one byte of content
    const spec = cat(Uint8Array.from([0x12]), Uint8Array.from([4]), Uint8Array.from([0x92, 0x01, 1, 0]));
    assert.throws(() => decodeProtobufObject(envelope('v1', 'Pod', cat(pod, spec))), { ...isDecodeError, message: /Pod\.spec\.affinity is not supported/ });
  });

  test('bad envelopes: no magic, no type, unserved kind, content encodings', () => {
    assert.throws(() => decodeProtobufObject(new TextEncoder().encode('{"kind":"Namespace"}')), { ...isDecodeError, message: /magic/ });
    assert.throws(() => decodeProtobufObject(MAGIC), { ...isDecodeError, message: /no apiVersion and kind/ });
    assert.throws(() => decodeProtobufObject(envelope('v1', 'Widget', new Uint8Array(0))), { ...isDecodeError, message: /no kind "Widget" is registered for version "v1"/ });
    assert.throws(() => decodeProtobufObject(envelope('v1', 'Namespace', new Uint8Array(0), { contentEncoding: 'gzip' })), { ...isDecodeError, message: /contentEncoding "gzip"/ });
  });

  test('hostile bytes: truncated varints, huge lengths, wrong wire types, bad UTF-8, int64 overflow', () => {
    const cases: [string, Uint8Array, RegExp][] = [
      ['truncated varint tag', cat(MAGIC, Uint8Array.from([0xff, 0xff])), /malformed protobuf/],
      ['length past the end', cat(MAGIC, Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])), /malformed protobuf|runs past the end/],
      ['wrong wire type for a message', envelope('v1', 'Namespace', Uint8Array.from([0x08, 0x01])), /unexpected wire type 0/],
      ['group wire type', envelope('v1', 'Namespace', Uint8Array.from([0x0b])), /wire type 3/],
      ['field number 0', envelope('v1', 'Namespace', Uint8Array.from([0x02, 0x00])), /field number 0/],
      ['invalid UTF-8 name', envelope('v1', 'Namespace', Uint8Array.from([0x0a, 0x03, 0x0a, 0x01, 0xff])), /not valid UTF-8/],
      ['int64 beyond 2^53', envelope('v1', 'Namespace', Uint8Array.from([0x0a, 0x0a, 0x38, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])), /out of range/],
      ['inner length overruns its parent', envelope('v1', 'Namespace', Uint8Array.from([0x0a, 0x02, 0x0a, 0x05, 0x61])), /malformed protobuf/],
    ];
    for (const [name, bytes, re] of cases) assert.throws(() => decodeProtobufObject(bytes), { ...isDecodeError, message: re }, name);
  });

  test('deeply nested JSON inside managedFields.fieldsV1 is refused before parsing', () => {
    const deep = '{"f:a":'.repeat(100_000) + '{}' + '}'.repeat(100_000);
    const raw = encode('k8s.io.api.core.v1.Namespace', { metadata: { name: 'a', managedFields: [{ manager: 'x', fieldsV1: { Raw: Buffer.from(deep) } }] } });
    assert.throws(() => decodeProtobufObject(envelope('v1', 'Namespace', raw)), { ...isDecodeError, message: /nested deeper than 64/ });
    const fine = encode('k8s.io.api.core.v1.Namespace', { metadata: { name: 'a', managedFields: [{ manager: 'x', fieldsV1: { Raw: Buffer.from('{"f:metadata":{}}') } }] } });
    assert.deepEqual((decodeProtobufObject(envelope('v1', 'Namespace', fine))['metadata'] as { managedFields: unknown[] }).managedFields, [{ manager: 'x', fieldsV1: { 'f:metadata': {} } }]);
  });

  test('__proto__ as a label key stays an own property and pollutes nothing', () => {
    const raw = encode('k8s.io.api.core.v1.Namespace', { metadata: { name: 'a', labels: { ['__proto__']: 'x', constructor: 'y' } } });
    const obj = decodeProtobufObject(envelope('v1', 'Namespace', raw));
    const labels = (obj['metadata'] as { labels: Record<string, string> }).labels;
    assert.deepEqual(Object.keys(labels).sort(), ['__proto__', 'constructor']);
    assert.equal(({} as Record<string, unknown>)['x'], undefined);
    assert.equal(JSON.parse(JSON.stringify(obj)).metadata.labels.constructor, 'y');
  });

  test('every prefix and 1,000 seeded corruptions of a valid body decode or throw ProtobufDecodeError, nothing else', () => {
    for (let n = 0; n < SERVICE.length; n++) {
      try {
        decodeProtobufObject(SERVICE.subarray(0, n));
      } catch (e) {
        assert.ok(e instanceof ProtobufDecodeError, `prefix ${n}: ${String(e)}`);
      }
    }
    let seed = 12345;
    const rand = (k: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % k;
    };
    for (let i = 0; i < 1000; i++) {
      const b = Uint8Array.from(SERVICE);
      for (let j = 0; j < 1 + rand(4); j++) b[MAGIC.length + rand(b.length - MAGIC.length)] = rand(256);
      try {
        decodeProtobufObject(b);
      } catch (e) {
        assert.ok(e instanceof ProtobufDecodeError, `corruption ${i}: ${String(e)}`);
      }
    }
  });

  test('the API server answers a protobuf create like the JSON one, and bad protobuf with a 400 Status', async () => {
    const ds = await openMemoryDatastore();
    const app = createApp({ datastore: ds, tokens: { admin: 'a', readOnly: 'r' } });
    try {
      const post = (path: string, body: Uint8Array) =>
        app.request(path, { method: 'POST', body, headers: { authorization: 'Bearer a', 'content-type': 'application/vnd.kubernetes.protobuf', accept: 'application/vnd.kubernetes.protobuf,application/json' } });
      const ns = await post('/api/v1/namespaces', envelope('v1', 'Namespace', encode('k8s.io.api.core.v1.Namespace', { metadata: { name: 'accounts' }, spec: {}, status: {} })));
      assert.equal(ns.status, 201);
      const created = (await ns.json()) as { metadata: { name: string }; status: { phase: string } };
      assert.equal(created.metadata.name, 'accounts');
      assert.equal(created.status.phase, 'Active');
      const svc = await post('/api/v1/namespaces/accounts/services', SERVICE);
      assert.equal(svc.status, 201);
      assert.deepEqual(((await svc.json()) as { spec: { ports: unknown[] } }).spec.ports[0], { name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 });
      for (const bad of [SERVICE.subarray(0, 20), cat(MAGIC, Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])), new Uint8Array(0)]) {
        const r = await post('/api/v1/namespaces/accounts/services', bad);
        assert.equal(r.status, 400);
        const st = (await r.json()) as { kind: string; reason: string; message: string };
        assert.equal(st.kind, 'Status');
        assert.equal(st.reason, 'BadRequest');
        assert.match(st.message, /protobuf request body is not valid/);
      }
      // the server is fine afterwards
      assert.equal((await app.request('/api/v1/namespaces/accounts/services/web', { headers: { authorization: 'Bearer a' } })).status, 200);
    } finally {
      await ds.close();
    }
  });

  test('the message definitions use only the field types the decoder reads', () => {
    const types: protobuf.Type[] = [];
    const walk = (ns: protobuf.NamespaceBase): void => {
      for (const x of ns.nestedArray) {
        if (x instanceof protobuf.Type) types.push(x);
        if (x instanceof protobuf.Namespace || x instanceof protobuf.Type) walk(x);
      }
    };
    walk(PROTO_ROOT);
    assert.ok(types.length > 50);
    for (const t of types)
      for (const f of t.fieldsArray) assert.ok(['string', 'bytes', 'bool', 'int32', 'int64'].includes(f.type) || f.resolvedType instanceof protobuf.Type, `${t.fullName}.${f.name}: ${f.type}`);
  });
});
