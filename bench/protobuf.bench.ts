/**
 * @module Protobuf request bodies: decoding kubectl's `create deployment` body (Go-style: every
 * non-pointer field written, `k8s\0` + runtime.Unknown) to the JSON object the server handles,
 * against JSON.parse of the same object's JSON text (what a JSON client costs). Best of a few
 * rounds after a warm-up; the ratio is the figure to read on a shared machine.
 */
import protobuf from 'protobufjs';
import { cpuNow } from './cpu-clock.js';
import { decodeProtobufObject } from '../src/apiserver/protobuf.js';
import { PROTO_ROOT } from '../src/apiserver/protobuf-schema.js';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  goal: string;
}

const ITERATIONS = 20_000;
const ROUNDS = 5;

function _encode(typeName: string, value: Record<string, unknown>): Uint8Array {
  const t: protobuf.Type = PROTO_ROOT.lookupType(typeName);
  return t.encode(t.fromObject(value)).finish();
}

function _body(): Uint8Array {
  const raw = _encode('k8s.io.api.apps.v1.Deployment', {
    metadata: { name: 'nginx', generateName: '', namespace: '', uid: '', resourceVersion: '', generation: 0, creationTimestamp: {}, labels: { app: 'nginx' } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'nginx' } },
      template: {
        metadata: { labels: { app: 'nginx' }, creationTimestamp: {} },
        spec: { containers: [{ name: 'nginx', image: 'nginx', ports: [{ containerPort: 80, protocol: 'TCP' }], resources: {}, terminationMessagePath: '', imagePullPolicy: '' }], restartPolicy: '', dnsPolicy: '' },
      },
      strategy: {},
    },
    status: {},
  });
  const env = _encode('k8s.io.apimachinery.pkg.runtime.Unknown', { typeMeta: { apiVersion: 'apps/v1', kind: 'Deployment' }, raw, contentEncoding: '', contentType: '' });
  const out = new Uint8Array(4 + env.length);
  out.set([0x6b, 0x38, 0x73, 0x00]);
  out.set(env, 4);
  return out;
}

let _sink = 0;

function _best(round: () => number): number {
  round();
  let best = Infinity;
  for (let i = 0; i < ROUNDS; i++) best = Math.min(best, round());
  return best;
}

export async function run(): Promise<BenchResult[]> {
  const body = _body();
  const text = JSON.stringify(decodeProtobufObject(body));
  const pb = _best(() => {
    const t0 = cpuNow();
    for (let i = 0; i < ITERATIONS; i++) _sink += Object.keys(decodeProtobufObject(body)).length;
    return cpuNow() - t0;
  });
  const js = _best(() => {
    const t0 = cpuNow();
    for (let i = 0; i < ITERATIONS; i++) _sink += Object.keys(JSON.parse(text) as object).length;
    return cpuNow() - t0;
  });
  if (_sink === -1) console.log(_sink);
  const perSec = (ms: number): number => Math.round((ITERATIONS / ms) * 1000);
  return [
    { name: `protobuf body → JSON object (Deployment, ${body.length} bytes)`, value: perSec(pb), unit: 'decodes/s', goal: 'informational' },
    { name: 'JSON.parse of the same object', value: perSec(js), unit: 'parses/s', goal: 'informational' },
    { name: 'protobuf decode time ÷ JSON.parse time', value: Math.round((pb / js) * 100) / 100, unit: 'ratio', goal: 'informational' },
  ];
}
