/**
 * Flow records end to end on real packets (issue 17 items 2-4), root only, once per driver: a
 * two-worker lab with host endpoints (its agents mark verdicts with NFLOG and write FlowEvents to
 * `flows-<worker>.jsonl`), a real API server over the lab's datastore whose collector tails those
 * files (2 s windows, 4 s grace: the agents emit a connection once conntrack has its counts), and
 * the real `tabby flows -o json`. The prober opens allowed and denied connections across
 * namespaces, to the outside and to a host endpoint; the records must be exactly those, with the
 * right action, one connection each, conntrack's counts and the deciding policy. Then a staged
 * policy that would deny a live flow: the next connection's record is still `allow`, pending
 * `deny` naming the staged policy, within one window; `tabby promote` then makes the next real
 * connection fail and its record show `deny` with the promoted policy in the enforced trace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab } from '../../src/lab/controller.js';
import { openMemoryDatastore } from '../../src/datastore/index.js';
import { runServer, type RunningServer } from '../../src/apiserver/main.js';
import { netnsSkipReason } from '../../src/sys/index.js';
import { main } from '../../src/cli/main.js';
import { fakeIo } from '../../src/cli/testdata/fake-io.js';
import type { FlowPolicyHit, FlowRecord } from '../../src/model/flows.js';
import { required, requireTool } from '../support/tools.js';

const skip = required(await netnsSkipReason()) || requireTool('ulogd', 'conntrack', 'nft');

const pod = (name: string, namespace: string, labels: Record<string, string>): unknown => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels },
  spec: { containers: [{ name: 'c', ports: [{ containerPort: 80 }] }] },
});

interface Expect {
  readonly what: string;
  readonly reporter: 'src' | 'dst';
  readonly src: string;
  readonly dst: string;
  readonly port: number;
  readonly action: 'allow' | 'deny';
  readonly hit: Partial<FlowPolicyHit>;
  readonly replied: boolean;
}

const hitText = (h: FlowPolicyHit): string => `${h.direction} ${h.tier}/${h.kind}/${h.namespace}/${h.name}#${h.ruleIndex} ${h.action}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

for (const dataplane of ['iptables', 'nft'] as const) {
  test(`tabby flows (${dataplane}): exactly the prober's connections, with actions, counts, traces, a pending deny, then promote → deny`, { skip, timeout: 240_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tabby-flows-lab-'));
    const logs: string[] = [];
    let lab: Lab | undefined;
    let server: RunningServer | undefined;
    try {
      const ds = await openMemoryDatastore();
      lab = await Lab.up({ stateDir: join(dir, 'lab'), workers: 2, dataplane, hostEndpoints: true, datastore: ds, log: (m) => logs.push(m) });
      server = await runServer({ dataDir: join(dir, 'server'), port: 0, datastore: ds, flowLogDir: join(dir, 'lab'), flows: { windowMs: 2000, graceMs: 4000, tickMs: 200 } });
      const kc = server.kubeconfigPath;
      const flows = async (...args: string[]): Promise<FlowRecord[]> => {
        const io = fakeIo({ [kc]: readFileSync(kc, 'utf8') });
        const code = await main(['flows', '--kubeconfig', kc, '-o', 'json', ...args], io);
        assert.equal(code, 0, io.err());
        return (JSON.parse(io.out()) as { items: FlowRecord[] }).items;
      };
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
      const w1 = lab.plan.workers[0]!;
      await lab.flushConntrack();

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
        { what: 'c → b egress', reporter: 'src', src: cc.ip, dst: b.ip, port: 80, action: 'allow', hit: { kind: 'Profile', name: 'kns.other', action: 'profile-allow' }, replied: true },
        { what: 'c → b ingress', reporter: 'dst', src: cc.ip, dst: b.ip, port: 80, action: 'allow', hit: { kind: 'KubernetesNetworkPolicy', namespace: 'default', name: 'b-from-other', ruleIndex: 0, action: 'allow' }, replied: true },
        { what: 'a → b egress', reporter: 'src', src: a.ip, dst: b.ip, port: 80, action: 'allow', hit: { kind: 'NetworkPolicy', name: 'a-egress', ruleIndex: 2, action: 'allow' }, replied: false },
        { what: 'a → b ingress (denied)', reporter: 'dst', src: a.ip, dst: b.ip, port: 80, action: 'deny', hit: { action: 'end-of-tier-deny' }, replied: false },
        { what: 'a → outside:443', reporter: 'src', src: a.ip, dst: lab.plan.system.ip, port: 443, action: 'allow', hit: { kind: 'NetworkPolicy', name: 'a-egress', ruleIndex: 0, action: 'allow' }, replied: true },
        { what: 'a → outside:8080 (denied)', reporter: 'src', src: a.ip, dst: lab.plan.system.ip, port: 8080, action: 'deny', hit: { kind: 'NetworkPolicy', name: 'a-egress', ruleIndex: 1, action: 'deny' }, replied: false },
        { what: 'internet → host endpoint:10250', reporter: 'dst', src: lab.plan.internet.ip, dst: w1.publicIp, port: 10250, action: 'allow', hit: { kind: 'GlobalNetworkPolicy', name: 'kubelet', ruleIndex: 0, action: 'allow' }, replied: true },
        { what: 'internet → host endpoint:52311 (denied)', reporter: 'dst', src: lab.plan.internet.ip, dst: w1.publicIp, port: 52311, action: 'deny', hit: { action: 'end-of-tier-deny' }, replied: false },
      ];
      const ours = new Set([a.ip, b.ip, cc.ip, lab.plan.internet.ip]);
      const find = (items: FlowRecord[], e: Expect): FlowRecord[] => items.filter((x) => x.reporter === e.reporter && x.source.ip === e.src && x.dest.ip === e.dst && x.destPort === e.port && x.protocol === 'tcp');
      let items: FlowRecord[] = [];
      for (let i = 0; i < 120 && expects.some((e) => find(items, e).length === 0); i++) {
        await sleep(250);
        items = await flows();
      }
      const dump = (): string => items.map((x) => `${x.reporter} ${x.source.ip}→${x.dest.ip}:${x.destPort} ${x.action} ×${x.connections} [${x.enforced.map(hitText).join(', ')}] p=${x.packetsOut}/${x.packetsIn}`).join('\n');
      for (const e of expects) {
        const got = find(items, e);
        assert.equal(got.length, 1, `${e.what}: exactly one record\n${dump()}\n${logs.filter((l) => /flow/.test(l)).join('\n')}`);
        const r = got[0]!;
        assert.equal(r.action, e.action, `${e.what}: action\n${dump()}`);
        assert.equal(r.connections, 1, `${e.what}: one connection`);
        const decisive = r.enforced.at(-1)!;
        for (const [k, v] of Object.entries(e.hit)) assert.equal((decisive as unknown as Record<string, unknown>)[k], v, `${e.what}: decisive hit .${k} (${r.enforced.map(hitText).join(', ')})`);
        assert.ok(r.packetsOut > 0 && r.bytesOut > 0, `${e.what}: counts`);
        if (e.replied) assert.ok(r.packetsIn > 0 && r.bytesIn > 0, `${e.what}: reply counts`);
        else assert.equal(r.packetsIn, 0, `${e.what}: no reply`);
        assert.deepEqual(r.pending, [], `${e.what}: no staged policies yet`);
      }
      // exactly those: no other record from or to the probed endpoints
      const others = items.filter((x) => (ours.has(x.source.ip) || ours.has(x.dest.ip)) && !expects.some((e) => find([x], e).length === 1));
      assert.deepEqual(others.map((x) => `${x.reporter} ${x.source.ip}→${x.dest.ip}:${x.destPort}`), [], dump());
      assert.equal((await flows('--action', 'deny')).filter((x) => ours.has(x.source.ip)).length, expects.filter((e) => e.action === 'deny').length);

      // a staged policy that would deny a live flow: the next connection shows pending deny
      await c.apply({
        apiVersion: 'projectcalico.org/v3',
        kind: 'StagedNetworkPolicy',
        metadata: { name: 'a-lockdown', namespace: 'default' },
        spec: { stagedAction: 'Set', order: 1, selector: "app == 'a'", types: ['Egress'], egress: [{ action: 'Deny' }] },
      });
      await sleep(1200); // the collector's snapshot is at most 1 s old
      const staged = Date.now();
      assert.equal(await lab.probe('default/a', 'tcp', lab.plan.system.ip, 443, 1500), 'open', 'staged: still enforced as before');
      let pend: FlowRecord[] = [];
      for (let i = 0; i < 80 && pend.length === 0; i++) {
        await sleep(250);
        pend = (await flows('--policy', 'default/a-lockdown')).filter((x) => x.reporter === 'src' && x.dest.ip === lab!.plan.system.ip && x.destPort === 443);
      }
      assert.equal(pend.length, 1, `a pending record for the staged policy\n${dump()}`);
      const r = pend[0]!;
      assert.equal(r.action, 'allow');
      assert.deepEqual(r.pending.at(-1), { tier: 'default', kind: 'StagedNetworkPolicy', namespace: 'default', name: 'a-lockdown', ruleIndex: 0, direction: 'egress', action: 'deny' });
      assert.ok(r.endTime <= staged + 2 * 2000, 'in the window of the connection (one window after staging)');

      // promoting it: the next real connection fails and its flow shows deny, named after the policy
      // (its first SYN is judged by the new rules while the agent's apply is still running: on nft
      // the driver reads its write back first; the reader decodes it through the applying state).
      const pio = fakeIo({ [server.calicoctlCfgPath]: readFileSync(server.calicoctlCfgPath, 'utf8') });
      assert.equal(await main(['promote', 'snp/a-lockdown', '-n', 'default', '-c', server.calicoctlCfgPath, '--yes'], pio), 0, pio.err());
      let denied = false;
      for (let i = 0; i < 40 && !denied; i++) {
        denied = (await lab.probe('default/a', 'tcp', lab.plan.system.ip, 443, 1000)) !== 'open';
        if (!denied) await sleep(250);
      }
      assert.ok(denied, 'after promote, the connection is refused on real packets');
      const promoted = Date.now();
      let deny: FlowRecord[] = [];
      for (let i = 0; i < 80 && deny.length === 0; i++) {
        await sleep(250);
        deny = (await flows('--action', 'deny', '--policy', 'default/a-lockdown')).filter((x) => x.reporter === 'src' && x.dest.ip === lab!.plan.system.ip && x.destPort === 443 && x.endTime >= promoted - 2000);
      }
      if (deny.length === 0) items = await flows();
      assert.ok(deny.length >= 1, `a deny record naming the promoted policy\n${dump()}\n${logs.filter((l) => /flow|a-lockdown/.test(l)).slice(-20).join('\n')}`);
      assert.deepEqual(
        { ...deny[0]!.enforced.at(-1)! },
        { tier: 'default', kind: 'NetworkPolicy', namespace: 'default', name: 'a-lockdown', ruleIndex: 0, direction: 'egress', action: 'deny' },
        'the enforced trace names the promoted policy',
      );
      assert.deepEqual(deny[0]!.pending, [], 'nothing staged is left');
    } finally {
      await server?.stop();
      if (lab !== undefined) await lab.down();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
