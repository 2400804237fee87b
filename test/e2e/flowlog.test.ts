/**
 * Flow logs from real packets (issue 17, item 1), root only, once per driver (iptables + ipset,
 * native nft): the scripted flow lab of test/support/flow-lab.ts — a two-worker lab with host
 * endpoints, pods in two namespaces, a Kubernetes NetworkPolicy, a Calico NetworkPolicy with
 * Allow/Deny egress rules, a GlobalNetworkPolicy on the workers' public host endpoints and a
 * GlobalNetworkSet for an outside system. The prober opens allowed and denied connections (across
 * namespaces, to the outside, to a host endpoint); then the agents' `flows-<worker>.jsonl` must
 * hold, for each, the event of every enforcing side with the right action, endpoints, enforced
 * verdicts naming the right policy and rule, and counts matching what the prober sent
 * (conntrack's for allowed connections: packets both ways).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab } from '../../src/lab/controller.js';
import { openMemoryDatastore } from '../../src/datastore/index.js';
import { netnsSkipReason } from '../../src/sys/index.js';
import type { FlowEvent } from '../../src/model/flows.js';
import { flowFileName } from '../../src/agent/flows/index.js';
import { required, requireTool } from '../support/tools.js';
import { checkProbeCounts, expectedFlows, hitText, probeFlowLab, setupFlowLab, type ExpectedFlow } from '../support/flow-lab.js';

const skip = required(await netnsSkipReason()) || requireTool('ulogd', 'conntrack', 'nft');

function readEvents(dir: string, node: string): FlowEvent[] {
  const f = join(dir, flowFileName(node));
  const out: FlowEvent[] = [];
  for (const file of [`${f}.1`, f])
    if (existsSync(file))
      for (const l of readFileSync(file, 'utf8').split('\n'))
        if (l !== '') out.push(JSON.parse(l) as FlowEvent);
  return out;
}

for (const dataplane of ['iptables', 'nft'] as const) {
  test(`flow logs (${dataplane}): real connections → FlowEvents with action, endpoints, verdicts and conntrack counts`, { skip, timeout: 180_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tabby-flowlog-'));
    const logs: string[] = [];
    let lab: Lab | undefined;
    try {
      lab = await Lab.up({ stateDir: dir, workers: 2, dataplane, hostEndpoints: true, datastore: await openMemoryDatastore(), log: (m) => logs.push(m) });
      const pods = await setupFlowLab(lab);
      await probeFlowLab(lab, pods);
      const { w1, bNode } = pods;
      const expects = expectedFlows(lab, pods);
      const find = (e: ExpectedFlow): FlowEvent[] => readEvents(dir, e.node).filter((x) => x.reporter === e.reporter && x.source.ip === e.src && x.dest.ip === e.dst && x.destPort === e.port && x.protocol === 'tcp');
      const t0 = Date.now();
      while (expects.some((e) => find(e).length === 0) && Date.now() - t0 < 15_000) await new Promise((r) => setTimeout(r, 250));
      const all = [...readEvents(dir, w1.name), ...readEvents(dir, bNode)];
      const dump = (): string => all.map((x) => `${x.node} ${x.reporter} ${x.source.ip}→${x.dest.ip}:${x.destPort} ${x.action} [${x.enforced.map(hitText).join(', ')}] p=${x.packetsOut}/${x.packetsIn}`).join('\n');
      for (const e of expects) {
        const got = find(e);
        assert.equal(got.length, 1, `${e.what}: exactly one event\n${dump()}\n${logs.filter((l) => /flow/.test(l)).join('\n')}`);
        const ev = got[0]!;
        assert.equal(ev.action, e.action, `${e.what}: action\n${dump()}`);
        assert.equal(ev.node, e.node);
        for (const [k, v] of Object.entries(e.source)) assert.equal((ev.source as unknown as Record<string, unknown>)[k], v, `${e.what}: source.${k}`);
        for (const [k, v] of Object.entries(e.dest)) assert.equal((ev.dest as unknown as Record<string, unknown>)[k], v, `${e.what}: dest.${k}`);
        const decisive = ev.enforced.at(-1)!;
        for (const [k, v] of Object.entries(e.hit)) assert.equal((decisive as unknown as Record<string, unknown>)[k], v, `${e.what}: decisive hit .${k} (${ev.enforced.map(hitText).join(', ')})`);
        checkProbeCounts(e.what, e, ev);
        assert.ok(Math.abs(ev.time - Date.now()) < 120_000, `${e.what}: time is the packet's`);
      }
      // The pods' own labels are carried.
      assert.deepEqual(find(expects[1]!)[0]!.dest.labels, { app: 'b' });
      const stats = JSON.parse(readFileSync(join(dir, flowFileName(w1.name).replace(/\.jsonl$/, '.stats.json')), 'utf8')) as { conntrackJoined: number; rejected: number; kernelDropped: number };
      assert.ok(stats.conntrackJoined > 0, JSON.stringify(stats));
      assert.equal(stats.kernelDropped, 0);
      // The R9 Log line is untouched by flow logs: no flow-log prefix reached the syslog file.
      const syslog = join(dir, `${w1.name}.syslog`);
      if (existsSync(syslog)) assert.doesNotMatch(readFileSync(syslog, 'utf8'), /API\d|DPI|DRE/);
    } finally {
      if (lab !== undefined) await lab.down();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
