/**
 * One address plan: the cluster has the same nodes, addresses and labels with or without the
 * lab. The lab's topology realizes each profile's workers (also a worker added later), and the
 * lab's Node carries the profile's labels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PROFILES, nodeManifest } from '../cluster/index.js';
import { planLab, planWithWorker } from '../lab/topology.js';
import { Lab } from '../lab/controller.js';

for (const profile of PROFILES)
  test(`profile ${profile.name}: the lab's workers are the profile's, addresses and labels`, () => {
    for (let n = 1; n <= 5; n++) {
      const plan = planLab({ prefix: 'tbyplan', workers: n, nodeNames: profile.workerNames, nodeLabels: profile.workerLabels });
      const declared = profile.workers(n);
      assert.deepEqual(
        plan.workers.map((w) => ({ name: w.name, internalIP: w.privateIp, externalIP: w.publicIp, podCIDR: w.podCidr })),
        declared.map((w) => ({ name: w.name, internalIP: w.internalIP, externalIP: w.externalIP, podCIDR: w.podCIDR })),
      );
      const added = planWithWorker(plan).worker;
      const next = profile.workers(n + 1)[n]!;
      assert.deepEqual([added.name, added.privateIp, added.publicIp, added.podCidr], [next.name, next.internalIP, next.externalIP, next.podCIDR]);
      for (const [i, w] of plan.workers.entries()) {
        const labNode = Lab.nodeManifest(plan, w) as { metadata: { labels: Record<string, string> }; status: { addresses: unknown[] } };
        const profileNode = nodeManifest(declared[i]!) as { metadata: { labels: Record<string, string> }; status: { addresses: unknown[] } };
        assert.deepEqual(labNode.metadata.labels, profileNode.metadata.labels);
        assert.deepEqual(labNode.status.addresses, profileNode.status.addresses);
      }
    }
  });
