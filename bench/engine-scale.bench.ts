/**
 * @module Engine scale benchmarks (the targets bench/engine.bench.ts does not cover), one core:
 * - a 10,000-pod × 1,000-policy one-port matrix (`verdictMatrix` on a fresh snapshot);
 * - start of day: `buildSnapshot` for 100,000 endpoints × 2,000 policies;
 * - endpoint label updates/s through `LabelIndex` with 2,000 selectors, at 10,000 and at
 *   100,000 endpoints (the two figures should agree: an update tests only the candidate
 *   selectors the label-restriction index names, so its cost does not grow with endpoints);
 * - heap bytes per endpoint of a 100,000-endpoint snapshot, from process.memoryUsage() (heap
 *   plus array buffers) after full GCs (needs `node --expose-gc`; without it the figure
 *   includes garbage and says so).
 */
import { buildSnapshot, LabelIndex, verdictMatrix } from '../src/engine/index.js';
import type { Resource } from '../src/model/meta.js';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  goal: string;
}

const NODES = 100;

/** pods across namespaces (one per 100 pods), policies: per-namespace KNPs plus GNPs. */
export function cluster(pods: number, policies: number): Resource[] {
  const out: Resource[] = [];
  const namespaces = Math.max(1, Math.floor(pods / 100));
  const apps = ['web', 'api', 'db', 'cache', 'worker', 'batch', 'auth', 'search'];
  for (let s = 0; s < namespaces; s++) out.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `ns-${s}`, labels: { team: `t${s % 7}` } } } as Resource);
  for (let i = 0; i < pods; i++) {
    const app = apps[i % apps.length]!;
    out.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `${app}-${i}`, namespace: `ns-${i % namespaces}`, labels: { app, version: `v${i % 3}`, 'pod-template-hash': `h${i % 50}` } },
      spec: { nodeName: `node-${i % NODES}`, containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 8080 }] }] },
      status: { podIP: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` },
    } as Resource);
  }
  for (let p = 0; p < policies; p++) {
    const ns = `ns-${p % namespaces}`;
    const app = apps[p % apps.length]!;
    const peer = apps[(p + 1) % apps.length]!;
    if (p % 4 === 3)
      out.push({
        apiVersion: 'projectcalico.org/v3',
        kind: 'GlobalNetworkPolicy',
        metadata: { name: `g-${p}` },
        spec: { order: p, selector: `app == '${app}' && version == 'v${p % 3}'`, types: ['Ingress'], ingress: [{ action: 'Allow', protocol: 'TCP', source: { selector: `app == '${peer}'`, namespaceSelector: `team == 't${p % 7}'` }, destination: { ports: [8080] } }] },
      } as Resource);
    else
      out.push({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: `p-${p}`, namespace: ns },
        spec: { podSelector: { matchLabels: { app } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: peer } } }, { namespaceSelector: { matchLabels: { team: `t${p % 7}` } } }], ports: [{ port: 'http' }] }] },
      } as Resource);
  }
  return out;
}

const gc = (globalThis as { gc?: () => void }).gc;

/**
 * Heap in use (plus typed-array backing stores, which live outside the JS heap) after full
 * collections. Waits between them: V8 sweeps concurrently, and pages not yet swept still count
 * as used, so a figure taken right after gc() includes garbage of earlier builds.
 */
async function _heap(): Promise<number> {
  for (let i = 0; i < 3 && gc; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function _labelUpdates(endpoints: number, selectors: number): number {
  const idx = new LabelIndex();
  for (let s = 0; s < selectors; s++) idx.updateSelector(`s${s}`, `app == 'a${s % 50}' && version == 'v${s % 3}'`);
  for (let e = 0; e < endpoints; e++) idx.updateEndpoint(`e${e}`, { app: `a${e % 50}`, version: `v${e % 3}` });
  const N = 20_000;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) idx.updateEndpoint(`e${(i * 7919) % endpoints}`, { app: `a${(i * 13) % 50}`, version: `v${i % 3}` });
  return Math.round((N / (performance.now() - t0)) * 1000);
}

/** Best of three builds. In its own frame, so no snapshot outlives it (see _bytesPerEndpoint). */
function _startOfDay(resources: readonly Resource[]): number {
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    const t0 = performance.now();
    const s = buildSnapshot(resources);
    best = Math.min(best, performance.now() - t0);
    if (s.workloads.length !== 100_000) throw new Error('bad cluster');
  }
  return best;
}

/** Heap growth from one snapshot, measured with no earlier snapshot alive (see _heap). */
async function _bytesPerEndpoint(resources: readonly Resource[]): Promise<number> {
  const before = await _heap();
  const kept = buildSnapshot(resources);
  const after = await _heap();
  return Math.round((after - before) / kept.workloads.length);
}

export async function run(): Promise<BenchResult[]> {
  // 10k × 1k matrix
  const m = cluster(10_000, 1_000);
  let matrixMs = Infinity;
  let classes = 0;
  for (let round = 0; round < 3; round++) {
    const snap = buildSnapshot(m);
    const t0 = performance.now();
    const vm = verdictMatrix(snap, { protocol: 'TCP', port: 8080 });
    matrixMs = Math.min(matrixMs, performance.now() - t0);
    classes = vm.classes;
  }

  // start of day: 100k endpoints × 2k policies
  const big = cluster(100_000, 2_000);
  const buildMs = _startOfDay(big);
  const perEndpoint = await _bytesPerEndpoint(big);

  const small = _labelUpdates(10_000, 2_000);
  const large = _labelUpdates(100_000, 2_000);
  await Promise.resolve();
  return [
    { name: `engine 10,000 pods × 1,000 policies matrix, one port (${classes} classes)`, value: Math.round(matrixMs), unit: 'ms', goal: '< 1000' },
    { name: 'engine start of day: snapshot of 100,000 endpoints × 2,000 policies', value: Math.round(buildMs), unit: 'ms', goal: '< 1000' },
    { name: 'engine label updates, 2,000 selectors, 10,000 endpoints', value: small, unit: 'updates/s', goal: '>= 10000' },
    { name: 'engine label updates, 2,000 selectors, 100,000 endpoints', value: large, unit: 'updates/s', goal: '>= 10000' },
    {
      name: `engine heap per endpoint, 100,000-endpoint snapshot${gc ? '' : ' (no --expose-gc: includes garbage)'}`,
      value: perEndpoint,
      unit: 'bytes',
      goal: '<= 300',
    },
  ];
}
