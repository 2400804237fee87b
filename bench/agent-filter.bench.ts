/**
 * @module Agent-side filtering (issue 19 item 3): an agent's CPU per cluster-wide change. One
 * cluster in a memory datastore — 100 nodes × 50 pods (5,000 endpoints), 10 namespaces, 200
 * policies whose rules select peers by `app` — and one real agent (syncer, loop, engine,
 * renderer) for node n0 programming a RecordingDriver. 200 changes of pods on other nodes are
 * written one at a time, each awaited until the agent has programmed its revision; the agent
 * process's CPU per change is measured (a) for label changes no selector reads (`version`), and
 * (b) for changes that move a pod in or out of a rule's peer set (`app`), each with the
 * filtering agent and with one that always recomputes (`filterChanges: false`), in the same run.
 */
import { openMemoryDatastore, type Datastore, type StoredObject } from '../src/datastore/index.js';
import { ResourceClient } from '../src/client/index.js';
import { runAgent } from '../src/agent/main.js';
import { RecordingDriver } from '../src/dataplane/record/driver.js';
import type { CommandRunner } from '../src/sys/index.js';
import type { BenchResult } from './run.js';

const NODES = 100;
const PODS_PER_NODE = 50;
const NAMESPACES = 10;
const POLICIES = 200;
const APPS = 40;
const CHANGES = 200;

const NO_COMMANDS: CommandRunner = { run: () => Promise.reject(new Error('the recording driver runs no command')) };

const podObj = (i: number, app: number, version: number): StoredObject =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p${i}`, namespace: `ns${i % NAMESPACES}`, labels: { app: `a${app}`, version: `v${version}` } },
    spec: { nodeName: `n${Math.floor(i / PODS_PER_NODE)}`, containers: [{ name: 'c' }] },
    status: { podIP: `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}` },
  }) as StoredObject;

async function cluster(): Promise<{ ds: Datastore; pods: StoredObject[] }> {
  const ds = await openMemoryDatastore();
  const client = new ResourceClient(ds);
  for (let n = 0; n < NAMESPACES; n++) await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `ns${n}` } });
  const pods: StoredObject[] = [];
  for (let i = 0; i < NODES * PODS_PER_NODE; i++) pods.push((await client.apply(podObj(i, i % APPS, 0))).object as StoredObject);
  for (let p = 0; p < POLICIES; p++)
    await client.apply({
      apiVersion: 'projectcalico.org/v3',
      kind: 'NetworkPolicy',
      metadata: { name: `pol-${p}`, namespace: `ns${p % NAMESPACES}` },
      spec: { selector: `app == 'a${p % APPS}'`, types: ['Ingress'], ingress: [{ action: 'Allow', protocol: 'TCP', source: { selector: `app == 'a${(p + 1) % (APPS / 2)}'` }, destination: { ports: [8000 + p] } }] },
    });
  return { ds, pods };
}

async function measure(filterChanges: boolean, relevant: boolean): Promise<{ cpuUsPerChange: number; applies: number; skipped: number }> {
  const { ds } = await cluster();
  const client = new ResourceClient(ds);
  const agent = runAgent({ node: 'n0', datastore: ds, runner: NO_COMMANDS, driver: new RecordingDriver(), publishStatus: false, driftCheckMs: 0, minApplyIntervalMs: 0, filterChanges });
  try {
    await agent.whenProgrammed((await ds.list({ group: '', plural: 'pods' })).revision, 120_000);
    const applies0 = agent.loop.applies;
    const skipped0 = agent.loop.skipped;
    const c0 = process.cpuUsage();
    for (let k = 0; k < CHANGES; k++) {
      // pods of nodes n1..n99 (never n0's own)
      const i = PODS_PER_NODE + ((k * 37) % ((NODES - 1) * PODS_PER_NODE));
      // relevant: the pod moves to the app its own namespace's policy pol-<ns> picks as peers
      // (a<ns+1>; namespaced rules pick peers of their namespace), or away to one no rule picks (a20..a39)
      const app = relevant ? (k % 2 === 1 ? ((i % NAMESPACES) + 1) % (APPS / 2) : APPS / 2 + (i % (APPS / 2))) : i % APPS;
      const w = await client.apply(podObj(i, app, k + 1));
      await agent.whenProgrammed(w.object.metadata.resourceVersion!, 120_000);
    }
    const c = process.cpuUsage(c0);
    return { cpuUsPerChange: (c.user + c.system) / CHANGES, applies: agent.loop.applies - applies0, skipped: agent.loop.skipped - skipped0 };
  } finally {
    await agent.stop();
    await ds.close();
  }
}

export async function run(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  for (const relevant of [false, true]) {
    const filtered = await measure(true, relevant);
    const always = await measure(false, relevant);
    const what = relevant ? 'remote pod changes that move a pod in or out of a rule peer set' : 'remote pod label changes no selector reads';
    out.push(
      { name: `agent CPU per cluster-wide change, 5,000 endpoints / 200 policies, ${what}: filtering agent`, value: Math.round(filtered.cpuUsPerChange), unit: 'µs', goal: 'informational' },
      { name: `agent CPU per cluster-wide change, ${what}: always recomputing agent`, value: Math.round(always.cpuUsPerChange), unit: 'µs', goal: 'informational' },
      { name: `agent CPU per cluster-wide change, ${what}: ratio always / filtering (same run)`, value: Number((always.cpuUsPerChange / filtered.cpuUsPerChange).toFixed(2)), unit: '×', goal: 'informational' },
      { name: `agent passes for ${CHANGES} changes, ${what}: filtering agent recomputed / skipped`, value: filtered.applies, unit: `applies (${filtered.skipped} skipped)`, goal: 'informational' },
    );
  }
  return out;
}
