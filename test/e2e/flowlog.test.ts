/**
 * Flow logs from real packets (issue 17, item 1), root only, once per driver (iptables + ipset,
 * native nft): a two-worker lab with host endpoints, pods in two namespaces, a Kubernetes
 * NetworkPolicy, a Calico NetworkPolicy with Allow/Deny egress rules, a GlobalNetworkPolicy on the
 * workers' public host endpoints and a GlobalNetworkSet for an outside system. The prober opens
 * allowed and denied connections (across namespaces, to the outside, to a host endpoint); then
 * the agents' `flows-<worker>.jsonl` must hold, for each, the event of every enforcing side with
 * the right action, endpoints, enforced verdicts naming the right policy and rule, and counts
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
import type { FlowEvent, FlowPolicyHit } from '../../src/model/flows.js';
import { flowFileName } from '../../src/agent/flows/index.js';
import { required, requireTool } from '../support/tools.js';

const skip = required(await netnsSkipReason()) || requireTool('ulogd', 'conntrack', 'nft');

const pod = (name: string, namespace: string, labels: Record<string, string>): unknown => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels },
  spec: { containers: [{ name: 'c', ports: [{ containerPort: 80 }] }] },
});

function readEvents(dir: string, node: string): FlowEvent[] {
  const f = join(dir, flowFileName(node));
  const out: FlowEvent[] = [];
  for (const file of [`${f}.1`, f])
    if (existsSync(file))
      for (const l of readFileSync(file, 'utf8').split('\n'))
        if (l !== '') out.push(JSON.parse(l) as FlowEvent);
  return out;
}

interface Expect {
  readonly what: string;
  readonly node: string;
  readonly reporter: 'src' | 'dst';
  readonly src: string;
  readonly dst: string;
  readonly port: number;
  readonly action: 'allow' | 'deny';
  readonly source: Partial<FlowEvent['source']>;
  readonly dest: Partial<FlowEvent['dest']>;
  /** The decisive verdict (the last enforced hit). */
  readonly hit: Partial<FlowPolicyHit>;
  /** The peer answered (conntrack saw reply packets). */
  readonly replied: boolean;
}

const hitText = (h: FlowPolicyHit): string => `${h.direction} ${h.tier}/${h.kind}/${h.namespace}/${h.name}#${h.ruleIndex} ${h.action}`;

for (const dataplane of ['iptables', 'nft'] as const) {
  test(`flow logs (${dataplane}): real connections → FlowEvents with action, endpoints, verdicts and conntrack counts`, { skip, timeout: 180_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tabby-flowlog-'));
    const logs: string[] = [];
    let lab: Lab | undefined;
    try {
      lab = await Lab.up({ stateDir: dir, workers: 2, dataplane, hostEndpoints: true, datastore: await openMemoryDatastore(), log: (m) => logs.push(m) });
      const c = lab.client;
      await c.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other', labels: { team: 'other' } } });
      await c.apply(pod('a', 'default', { app: 'a' }));
      await c.apply(pod('b', 'default', { app: 'b' }));
      await c.apply(pod('c', 'other', { app: 'c' }));
      await c.apply({ apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkSet', metadata: { name: 'outside', labels: { zone: 'outside' } }, spec: { nets: [`${lab.plan.system.ip}/32`] } });
      await c.apply({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'b-from-other', namespace: 'default' },
        spec: { podSelector: { matchLabels: { app: 'b' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'other' } } }], ports: [{ port: 80 }] }] },
      });
      await c.apply({
        apiVersion: 'projectcalico.org/v3',
        kind: 'NetworkPolicy',
        metadata: { name: 'a-egress', namespace: 'default' },
        spec: {
          selector: "app == 'a'",
          types: ['Egress'],
          egress: [
            { action: 'Allow', protocol: 'TCP', destination: { selector: "zone == 'outside'", namespaceSelector: 'global()', ports: [443] } },
            { action: 'Deny', protocol: 'TCP', destination: { ports: [8080] } },
            { action: 'Allow', protocol: 'TCP', destination: { ports: [80] } },
          ],
        },
      });
      const last = await c.apply({
        apiVersion: 'projectcalico.org/v3',
        kind: 'GlobalNetworkPolicy',
        metadata: { name: 'kubelet' },
        spec: { selector: "ibm.role == 'worker_public'", types: ['Ingress'], ingress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: [10250] } }] },
      });
      await lab.settle(last.object.metadata.resourceVersion);
      const a = lab.pod('a')!;
      const b = lab.pod('b')!;
      const cc = lab.pod('other/c')!;
      assert.ok(a && b && cc, 'pods placed');
      const w1 = lab.plan.workers[0]!;
      assert.equal(a.node, w1.name);
      assert.equal(cc.node, w1.name);
      const w2name = b.node;
      await lab.flushConntrack();

      // The scripted connections (and what the prober saw).
      const seen = {
        cToB: await lab.probe('other/c', 'tcp', b.ip, 80, 1500),
        aToB: await lab.probe('default/a', 'tcp', b.ip, 80, 1500),
        aToOutside: await lab.probe('default/a', 'tcp', lab.plan.system.ip, 443, 1500),
        aToOutsideDenied: await lab.probe('default/a', 'tcp', lab.plan.system.ip, 8080, 1500),
        toHep: await lab.probe('internet', 'tcp', w1.publicIp, 10250, 1500),
        toHepDenied: await lab.probe('internet', 'tcp', w1.publicIp, 52311, 1500),
      };
      assert.deepEqual(seen, { cToB: 'open', aToB: 'timeout', aToOutside: 'open', aToOutsideDenied: 'timeout', toHep: 'open', toHepDenied: 'timeout' }, 'what the prober saw');

      const expects: Expect[] = [
        { what: 'c → b (other → default) egress', node: w1.name, reporter: 'src', src: cc.ip, dst: b.ip, port: 80, action: 'allow', source: { kind: 'wep', namespace: 'other', name: 'c' }, dest: { kind: 'wep', namespace: 'default', name: 'b' }, hit: { kind: 'Profile', name: 'kns.other', action: 'profile-allow', direction: 'egress' }, replied: true },
        { what: 'c → b ingress', node: w2name, reporter: 'dst', src: cc.ip, dst: b.ip, port: 80, action: 'allow', source: { kind: 'wep', name: 'c' }, dest: { kind: 'wep', name: 'b' }, hit: { kind: 'KubernetesNetworkPolicy', namespace: 'default', name: 'b-from-other', ruleIndex: 0, action: 'allow', direction: 'ingress' }, replied: true },
        { what: 'a → b egress', node: w1.name, reporter: 'src', src: a.ip, dst: b.ip, port: 80, action: 'allow', source: { kind: 'wep', name: 'a' }, dest: { kind: 'wep', name: 'b' }, hit: { kind: 'NetworkPolicy', namespace: 'default', name: 'a-egress', ruleIndex: 2, action: 'allow', direction: 'egress' }, replied: false },
        { what: 'a → b ingress (denied)', node: w2name, reporter: 'dst', src: a.ip, dst: b.ip, port: 80, action: 'deny', source: { kind: 'wep', name: 'a' }, dest: { kind: 'wep', name: 'b' }, hit: { tier: 'default', action: 'end-of-tier-deny', direction: 'ingress' }, replied: false },
        { what: 'a → outside:443', node: w1.name, reporter: 'src', src: a.ip, dst: lab.plan.system.ip, port: 443, action: 'allow', source: { kind: 'wep', name: 'a' }, dest: { kind: 'globalnetworkset', name: 'outside' }, hit: { kind: 'NetworkPolicy', name: 'a-egress', ruleIndex: 0, action: 'allow' }, replied: true },
        { what: 'a → outside:8080 (denied)', node: w1.name, reporter: 'src', src: a.ip, dst: lab.plan.system.ip, port: 8080, action: 'deny', source: { kind: 'wep', name: 'a' }, dest: { kind: 'globalnetworkset', name: 'outside' }, hit: { kind: 'NetworkPolicy', name: 'a-egress', ruleIndex: 1, action: 'deny' }, replied: false },
        { what: 'internet → host endpoint:10250', node: w1.name, reporter: 'dst', src: lab.plan.internet.ip, dst: w1.publicIp, port: 10250, action: 'allow', source: { kind: 'net' }, dest: { kind: 'hep', name: `${w1.name}-public` }, hit: { kind: 'GlobalNetworkPolicy', name: 'kubelet', ruleIndex: 0, action: 'allow', direction: 'ingress' }, replied: true },
        { what: 'internet → host endpoint:52311 (denied)', node: w1.name, reporter: 'dst', src: lab.plan.internet.ip, dst: w1.publicIp, port: 52311, action: 'deny', source: { kind: 'net' }, dest: { kind: 'hep' }, hit: { tier: 'default', action: 'end-of-tier-deny' }, replied: false },
      ];
      const find = (e: Expect): FlowEvent[] => readEvents(dir, e.node).filter((x) => x.reporter === e.reporter && x.source.ip === e.src && x.dest.ip === e.dst && x.destPort === e.port && x.protocol === 'tcp');
      const t0 = Date.now();
      while (expects.some((e) => find(e).length === 0) && Date.now() - t0 < 15_000) await new Promise((r) => setTimeout(r, 250));
      const all = [...readEvents(dir, w1.name), ...readEvents(dir, w2name)];
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
        assert.ok(ev.packetsOut > 0 && ev.bytesOut > 0, `${e.what}: counts ${ev.packetsOut}/${ev.bytesOut}`);
        if (e.replied) assert.ok(ev.packetsIn > 0 && ev.bytesIn > 0, `${e.what}: reply counts from conntrack ${ev.packetsIn}/${ev.bytesIn}`);
        else assert.equal(ev.packetsIn, 0, `${e.what}: a dropped connection has no reply`);
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
