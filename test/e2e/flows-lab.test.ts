/**
 * Flow records end to end on real packets (issue 17 items 2-4), root only, once per driver: a
 * two-worker lab with host endpoints (its agents mark verdicts with NFLOG and write FlowEvents to
 * `flows-<worker>.jsonl`), a real API server over the lab's datastore whose collector tails those
 * files (2 s windows, 4 s grace: the agents emit a connection once conntrack has its counts), and
 * the real `tabby flows -o json`. The prober opens allowed and denied connections across
 * namespaces, to the outside and to a host endpoint (test/support/flow-lab.ts); the records must be
 * exactly those, with the right action, endpoints and reporting node, one connection each, counts
 * matching what the prober sent and the deciding policy. The real kubectl lists the same records
 * (`kubectl get flows -n default`, `-A -o wide`, `-o json`, `get flow NAME`; `delete` is refused). Then a staged
 * policy that would deny a live flow: the next connection's record is still `allow`, pending
 * `deny` naming the staged policy, within one window; `tabby promote` then makes the next real
 * connection fail and its record show `deny` with the promoted policy in the enforced trace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab } from '../../src/lab/controller.js';
import { openMemoryDatastore } from '../../src/datastore/index.js';
import { runServer, type RunningServer } from '../../src/apiserver/main.js';
import { netnsSkipReason } from '../../src/sys/index.js';
import { main } from '../../src/cli/main.js';
import { fakeIo } from '../../src/cli/testdata/fake-io.js';
import type { FlowRecord } from '../../src/model/flows.js';
import { required, requireTool, toolPath } from '../support/tools.js';
import { checkProbeCounts, expectedFlows, hitText, probeFlowLab, setupFlowLab, type ExpectedFlow } from '../support/flow-lab.js';

const skip = required(await netnsSkipReason()) || requireTool('ulogd', 'conntrack', 'nft', 'kubectl');
const KUBECTL = toolPath('kubectl') ?? 'kubectl';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The real kubectl, bounded at 30 s. */
function kubectl(kubeconfig: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(KUBECTL, ['--kubeconfig', kubeconfig, ...args], { timeout: 30_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
  });
}

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
      const pods = await setupFlowLab(lab);
      await probeFlowLab(lab, pods);
      const { a, b, c: cc, w1 } = pods;
      const expects = expectedFlows(lab, pods);
      const ours = new Set([a.ip, b.ip, cc.ip, lab.plan.internet.ip]);
      const find = (items: FlowRecord[], e: ExpectedFlow): FlowRecord[] => items.filter((x) => x.reporter === e.reporter && x.source.ip === e.src && x.dest.ip === e.dst && x.destPort === e.port && x.protocol === 'tcp');
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
        assert.deepEqual(r.nodes, [e.node], `${e.what}: reported by its node`);
        for (const [k, v] of Object.entries(e.source)) assert.equal((r.source as unknown as Record<string, unknown>)[k], v, `${e.what}: source.${k}`);
        for (const [k, v] of Object.entries(e.dest)) assert.equal((r.dest as unknown as Record<string, unknown>)[k], v, `${e.what}: dest.${k}`);
        checkProbeCounts(e.what, e, r);
        assert.deepEqual(r.pending, [], `${e.what}: no staged policies yet`);
      }
      // exactly those: no other record from or to the probed endpoints
      const others = items.filter((x) => (ours.has(x.source.ip) || ours.has(x.dest.ip)) && !expects.some((e) => find([x], e).length === 1));
      assert.deepEqual(others.map((x) => `${x.reporter} ${x.source.ip}→${x.dest.ip}:${x.destPort}`), [], dump());
      assert.equal((await flows('--action', 'deny')).filter((x) => ours.has(x.source.ip)).length, expects.filter((e) => e.action === 'deny').length);

      // the same records through the real kubectl: discovery, the Table columns, -n, -A -o wide, -o json, get by name; no deleting
      const k = (...args: string[]) => kubectl(kc, ...args);
      const res = await k('api-resources', '--api-group=tabby.dev');
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /^flows\s+tabby\.dev\/v1\s+true\s+Flow$/m);
      assert.match(res.stdout, /^flowevents\s+tabby\.dev\/v1\s+false\s+FlowEventBatch$/m);
      const inDefault = await k('get', 'flows', '-n', 'default');
      assert.equal(inDefault.code, 0, inDefault.stderr);
      assert.match(inDefault.stdout, /^NAME\s+REPORTER\s+SOURCE\s+DESTINATION\s+PORT\s+ACTION\s+CONNECTIONS\s+POLICY\s+PENDING\s+AGE\n/);
      assert.match(inDefault.stdout, /^\d+-\d+\s+src\s+default\/a\s+gns:outside\s+tcp\/8080\s+deny\s+1\s+default\|default\/a-egress:1 deny\s+<none>\s+\S+$/m, inDefault.stdout);
      assert.match(inDefault.stdout, /^\d+-\d+\s+dst\s+other\/c\s+default\/b\s+tcp\/80\s+allow\s+1\s+default\|default\/b-from-other:0 allow\s+<none>\s+\S+$/m, inDefault.stdout);
      const all = await k('get', 'flows', '-A', '-o', 'wide');
      assert.equal(all.code, 0, all.stderr);
      assert.match(all.stdout, /^NAMESPACE\s+NAME\s+REPORTER\s+SOURCE\s+DESTINATION\s+PORT\s+ACTION\s+CONNECTIONS\s+POLICY\s+PENDING\s+AGE\s+NODES\s+PACKETS\s+BYTES\s+ENFORCED\n/);
      assert.match(all.stdout, new RegExp(`\\s${lab.plan.internet.ip.replace(/\./g, '\\.')}\\s+hep:${w1.name}-public\\s+tcp/10250\\s+allow\\s+1\\s+default\\|kubelet:0 allow\\s+<none>\\s+\\S+\\s+${w1.name}\\s`), all.stdout);
      const asJson = await k('get', 'flows', '-n', 'default', '-o', 'json');
      assert.equal(asJson.code, 0, asJson.stderr);
      const kItems = (JSON.parse(asJson.stdout) as { items: (FlowRecord & { kind: string; metadata: { name: string } })[] }).items;
      const ourDefault = await flows('--namespace', 'default');
      assert.deepEqual(kItems.map((x) => x.metadata.name).sort(), ourDefault.map((x) => (x as unknown as { metadata: { name: string } }).metadata.name).sort(), 'kubectl -o json lists what tabby flows lists');
      const denied8080 = kItems.find((x) => x.destPort === 8080)!;
      assert.deepEqual([denied8080.kind, denied8080.action, denied8080.enforced.at(-1)?.name], ['Flow', 'deny', 'a-egress']);
      const one = await k('get', 'flow', denied8080.metadata.name, '-n', 'default', '-o', 'jsonpath={.action} {.destPort} {.dest.name}');
      assert.deepEqual([one.code, one.stdout], [0, 'deny 8080 outside'], one.stderr);
      const del = await k('delete', 'flow', denied8080.metadata.name, '-n', 'default');
      assert.notEqual(del.code, 0);
      assert.match(del.stderr, /MethodNotAllowed|does not allow this method/, del.stderr);

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
