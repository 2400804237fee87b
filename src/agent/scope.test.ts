/**
 * Pod scope (scope.ts): an agent that keeps only its own Pods and the remote Pods its IP sets can
 * need programs exactly what an agent keeping every Pod programs, through random changes —
 * Pods created, relabelled, moved between nodes and deleted in several namespaces, a namespace
 * relabelled, a new policy in a namespace not yet kept, a policy of a namespace where the node has
 * no endpoint (stored, not computed, until a local pod appears there), and a global policy with an unbounded
 * selector (which widens to selector matching and, on a Namespace change, re-lists). Both run
 * the real syncer and loop against one datastore, programming RecordingDrivers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openMemoryDatastore } from '../datastore/index.js';
import { ResourceClient } from '../client/index.js';
import { RecordingDriver } from '../dataplane/record/driver.js';
import type { CommandRunner } from '../sys/index.js';
import { runAgent, type AgentHandle } from './main.js';
import { mulberry32 } from '../lib/prng.js';

const WAIT_MS = 20_000;
const NO_COMMANDS: CommandRunner = { run: (c) => Promise.reject(new Error(`no commands in this test (asked for ${c.argv.join(' ')})`)) };

const rng = mulberry32;

const NAMESPACES = ['shop', 'bank', 'blog', 'mail'];
const APPS = ['web', 'db', 'cache', 'edge'];
const NODES = ['n1', 'n2', 'n3'];

function pod(r: () => number, i: number, ns?: string): Record<string, unknown> {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p${i}`, namespace: ns ?? pick(NAMESPACES), labels: { app: pick(APPS), ...(r() < 0.3 ? { tier: 'back' } : {}) } },
    spec: { nodeName: pick(NODES), containers: [{ name: 'c', ...(r() < 0.3 ? { ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] } : {}) }] },
    status: { podIP: `198.18.${i >> 8}.${(i & 255) + 1}` },
  };
}

test('agent scope: a scoped agent programs exactly what an agent keeping every pod programs, and keeps fewer pods', async () => {
  const ds = await openMemoryDatastore();
  const client = new ResourceClient(ds);
  const r = rng(42);
  for (const ns of NAMESPACES) await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { team: ns } } });
  await client.apply({
    apiVersion: 'projectcalico.org/v3',
    kind: 'NetworkPolicy',
    metadata: { name: 'db-from-web', namespace: 'shop' },
    spec: { selector: "app == 'db'", types: ['Ingress'], ingress: [{ action: 'Allow', protocol: 'TCP', source: { selector: "app == 'web'" }, destination: { ports: [5432] } }] },
  });
  let n = 0;
  for (; n < 60; n++) await client.apply(pod(r, n));
  // n1 has a db pod in shop, so shop is kept from the start
  await client.apply({ ...pod(r, n++, 'shop'), metadata: { name: 'db-local', namespace: 'shop', labels: { app: 'db' } }, spec: { nodeName: 'n1', containers: [{ name: 'c' }] } });
  const agents: { agent: AgentHandle; driver: RecordingDriver }[] = [];
  for (const scopePods of [true, false]) {
    const driver = new RecordingDriver();
    agents.push({ driver, agent: runAgent({ node: 'n1', datastore: ds, runner: NO_COMMANDS, driver, publishStatus: false, scopePods, driftCheckMs: 0 }) });
  }
  const [scoped, full] = agents as [(typeof agents)[0], (typeof agents)[0]];
  const latest = async (): Promise<string> => (await ds.list({ group: '', plural: 'pods' })).revision;
  const same = async (what: string): Promise<void> => {
    const rev = await latest();
    await Promise.all(agents.map((a) => a.agent.whenProgrammed(rev, WAIT_MS)));
    assert.equal(scoped.driver.dataplane.view(), full.driver.dataplane.view(), `after ${what}: the scoped agent programs what the full one does`);
  };
  const podCount = (a: AgentHandle): number => a.syncer.resources().filter((x) => x.kind === 'Pod').length;
  try {
    await same('start');
    assert.ok(podCount(scoped.agent) < podCount(full.agent), `scoped keeps ${podCount(scoped.agent)} pods, full ${podCount(full.agent)}`);
    const randomChanges = async (label: string, count: number): Promise<void> => {
      for (let i = 0; i < count; i++) {
        const roll = r();
        const k = Math.floor(r() * n);
        if (roll < 0.2) await ds.delete({ group: '', plural: 'pods', namespace: 'shop', name: `p${k}` }).catch(() => undefined);
        else if (roll < 0.4) await client.apply(pod(r, n++));
        else {
          const got = (await ds.list({ group: '', plural: 'pods' })).items.find((o) => o.metadata.name === `p${k}`);
          if (got !== undefined) await client.apply({ ...pod(r, k, got.metadata.namespace), metadata: { ...pod(r, k, got.metadata.namespace)['metadata'] as object, name: `p${k}` } });
        }
      }
      await same(label);
    };
    await randomChanges('random pod changes', 40);
    // a policy of a namespace where n1 has no endpoint: stored, not computed (a lookup, not a recompute)
    await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'lone', labels: { team: 'lone' } } });
    await same('a new namespace');
    const appliesBefore = scoped.agent.loop.applies;
    await client.apply({
      apiVersion: 'projectcalico.org/v3',
      kind: 'NetworkPolicy',
      metadata: { name: 'lone-web', namespace: 'lone' },
      spec: { selector: "app == 'web'", types: ['Ingress'], ingress: [{ action: 'Allow', source: { selector: "app == 'db'" } }] },
    });
    await same('a policy of a namespace without local endpoints');
    assert.equal(scoped.agent.loop.applies, appliesBefore, 'a policy of a namespace without local endpoints costs no computation');
    assert.ok(!scoped.agent.syncer.resources().some((x) => x.metadata?.name === 'lone-web'), 'the policy is stored but not compiled');
    // a local pod appears there: the policy applies to it from the next computation on
    await client.apply({ ...pod(r, n++, 'lone'), metadata: { name: 'web-lone', namespace: 'lone', labels: { app: 'web' } }, spec: { nodeName: 'n1', containers: [{ name: 'c' }] } });
    await same('a local pod in the namespace of that policy');
    assert.ok(scoped.agent.syncer.resources().some((x) => x.metadata?.name === 'lone-web'), 'the policy is compiled once a local endpoint is in its namespace');
    // a policy in a namespace n1 has no pod in, selecting a local pod there: that namespace is fetched
    await client.apply({ ...pod(r, n++, 'blog'), metadata: { name: 'web-local', namespace: 'blog', labels: { app: 'web' } }, spec: { nodeName: 'n1', containers: [{ name: 'c' }] } });
    await client.apply({
      apiVersion: 'projectcalico.org/v3',
      kind: 'NetworkPolicy',
      metadata: { name: 'web-from-cache', namespace: 'blog' },
      spec: { selector: "app == 'web'", types: ['Ingress'], ingress: [{ action: 'Allow', source: { selector: "app == 'cache'" } }] },
    });
    await same('a policy in a new namespace');
    assert.ok(scoped.agent.syncer.scopeLists.namespaced >= 2, `namespaced lists: ${JSON.stringify(scoped.agent.syncer.scopeLists)}`);
    // a global policy whose peer selector is not bounded to namespaces (namespaceSelector)
    await client.apply({
      apiVersion: 'projectcalico.org/v3',
      kind: 'GlobalNetworkPolicy',
      metadata: { name: 'edge-out' },
      spec: { selector: "app == 'db'", types: ['Egress'], egress: [{ action: 'Allow', protocol: 'TCP', destination: { namespaceSelector: "team == 'mail'", selector: "tier == 'back'", ports: ['http'] } }] },
    });
    await same('a global policy with a namespaceSelector');
    await randomChanges('random pod changes with an unbounded selector', 40);
    const fullLists = scoped.agent.syncer.scopeLists.full;
    // the namespace selector now matches another namespace's pods: they must be fetched again
    await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { team: 'mail' } } });
    await same('a namespace relabelled into the namespace selector');
    assert.ok(scoped.agent.syncer.scopeLists.full > fullLists, 'a Namespace change under an unbounded selector re-lists the pods');
    assert.ok(podCount(scoped.agent) < podCount(full.agent), `scoped keeps ${podCount(scoped.agent)} pods, full ${podCount(full.agent)}`);
  } finally {
    await Promise.all(agents.map((a) => a.agent.stop()));
    await ds.close();
  }
});
