/**
 * Issue 17's acceptance for recommendations, end to end on real packets (root only), both
 * dataplanes: a lab namespace `shop` with three workloads (web, two api replicas, db), plus a
 * scraper in `mon` and the lab's private `system` host outside the cluster, talk in a known
 * pattern with the lab prober (real TCP connections): web → api 8080, api → db 5432,
 * mon/scraper → api 9090, api → system 443. The agents read those connections from the kernel
 * (flow-log NFLOG marks + conntrack) into `<stateDir>/flows-<worker>.jsonl`; the lab's API server
 * tails them, aggregates them (1 s windows) and serves the flows API. `tabby recommend` reads the
 * flows API, proves and applies the staged proposals through the API server (the calicoctl.cfg
 * of `runServer`: the Kubernetes API, as kubectl writes); while staged, every flow still
 * connects; `tabby promote --yes` enforces each. Then every observed flow still connects on real
 * packets, and flows never observed (web → db, db → web, the scraper → db, api → system 8080,
 * web → system 443, the scraper → api 8080) are dropped, each agreeing with the engine. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab, snapshotOf } from '../../src/lab/controller.js';
import { formatProbe, isAllowed, runProbe, type ProbeFlow } from '../../src/lab/probe.js';
import { openMemoryDatastore } from '../../src/datastore/index.js';
import { runServer } from '../../src/apiserver/main.js';
import { netnsSkipReason } from '../../src/sys/index.js';
import { main } from '../../src/cli/main.js';
import { nodeIo } from '../../src/cli/node-io.js';
import type { Io } from '../../src/cli/io.js';
import type { FlowRecord } from '../../src/model/flows.js';
import { fetchClusterFlows } from '../../src/cli/commands/cluster-flows.js';
import { required } from '../support/tools.js';

const skip = required(await netnsSkipReason());

interface PodSpec {
  readonly ns: string;
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly ports: readonly number[];
  readonly node: number;
}

const PODS: readonly PodSpec[] = [
  { ns: 'shop', name: 'web-6f7c9-x1', labels: { app: 'web', 'pod-template-hash': '6f7c9' }, ports: [80], node: 1 },
  { ns: 'shop', name: 'api-5d8b4-a1', labels: { app: 'api', 'pod-template-hash': '5d8b4' }, ports: [8080, 9090], node: 1 },
  { ns: 'shop', name: 'api-5d8b4-b2', labels: { app: 'api', 'pod-template-hash': '5d8b4' }, ports: [8080, 9090], node: 2 },
  { ns: 'shop', name: 'db-0', labels: { app: 'db', 'statefulset.kubernetes.io/pod-name': 'db-0' }, ports: [5432], node: 2 },
  { ns: 'mon', name: 'scraper-0', labels: { app: 'scraper', 'statefulset.kubernetes.io/pod-name': 'scraper-0' }, ports: [], node: 2 },
];

const key = (p: PodSpec): string => `${p.ns}/${p.name}`;
const byName = (name: string): PodSpec => PODS.find((p) => p.name === name)!;

/** Polls `ok` every 250 ms; fails naming `what` after `ms`. */
async function until(what: () => string, ms: number, ok: () => Promise<boolean>): Promise<void> {
  const t0 = Date.now();
  while (!(await ok())) {
    if (Date.now() - t0 > ms) assert.fail(`not within ${ms} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** An Io on the real file system that captures what the command prints. */
function capture(): Io & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { ...nodeIo, stdout: (s) => void (out += s), stderr: (s) => void (err += s), out: () => out, err: () => err };
}

async function runOn(dataplane: 'iptables' | 'nft'): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `tabby-recommend-${dataplane}-`));
  let lab: Lab | undefined;
  let api: Awaited<ReturnType<typeof runServer>> | undefined;
  try {
    lab = await Lab.up({ stateDir: dir, workers: 2, dataplane, datastore: await openMemoryDatastore(), logs: false });
        api = await runServer({ dataDir: join(dir, 'api'), port: 0, datastore: lab.ds, flowLogDir: dir, flows: { windowMs: 1000, graceMs: 5000 } });
    const cfg = api.calicoctlCfgPath;
    let rev = '0';
    for (const ns of ['shop', 'mon']) rev = (await lab.client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })).object.metadata.resourceVersion ?? rev;
    for (const p of PODS)
      rev =
        (
          await lab.client.apply({
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name: p.name, namespace: p.ns, labels: p.labels },
            spec: { nodeName: lab.plan.workers[p.node - 1]!.name, containers: [{ name: 'c', image: 'responder', ports: p.ports.map((containerPort) => ({ containerPort })) }] },
          })
        ).object.metadata.resourceVersion ?? rev;
    await lab.settle(rev, 90_000);
    const l = lab;
    const ip = (name: string): string => {
      const rec = l.pod(key(byName(name)));
      assert.ok(rec !== undefined, `${name} runs in the lab`);
      return rec.ip;
    };
    const system = lab.plan.system.ip;
    const flow = (from: string, to: string, port: number): ProbeFlow =>
      to === 'system' ? { from: key(byName(from)), toLabel: 'system', ip: system, proto: 'tcp', port } : { from: key(byName(from)), toLabel: key(byName(to)), ip: ip(to), proto: 'tcp', port };

    // The known pattern, on real packets, before any policy: every connection succeeds.
    const pattern: ProbeFlow[] = [
      flow('web-6f7c9-x1', 'api-5d8b4-a1', 8080),
      flow('web-6f7c9-x1', 'api-5d8b4-b2', 8080),
      flow('api-5d8b4-a1', 'db-0', 5432),
      flow('api-5d8b4-b2', 'db-0', 5432),
      flow('scraper-0', 'api-5d8b4-a1', 9090),
      flow('api-5d8b4-a1', 'system', 443),
    ];
    const never: ProbeFlow[] = [
      flow('web-6f7c9-x1', 'db-0', 5432),
      flow('db-0', 'web-6f7c9-x1', 80),
      flow('scraper-0', 'db-0', 5432),
      flow('api-5d8b4-b2', 'system', 8080),
      flow('web-6f7c9-x1', 'system', 443),
      flow('scraper-0', 'api-5d8b4-b2', 8080),
    ];
    let { snapshot } = await snapshotOf(lab.ds);
    const seen = await runProbe(lab, snapshot, pattern, 1000);
    assert.ok(
      seen.every((r) => r.agree && r.real === 'open'),
      `before any policy the pattern connects:\n${formatProbe(seen)}`,
    );

    // The agents read those connections from the kernel (flow-log NFLOG + conntrack) into
    // <stateDir>/flows-<worker>.jsonl; the API server tails them and serves the flows API.
    const input = { files: [], recursive: false, config: cfg, command: 'recommend' };
    const wanted = pattern.map((f) => `${f.from}|${f.toLabel === 'system' ? system : f.toLabel}|${f.port}`);
    let got: FlowRecord[] = [];
    let why = '';
    const have = (): Set<string> =>
      new Set(got.filter((r) => r.action === 'allow').map((r) => `${r.source.namespace}/${r.source.name}|${r.dest.kind === 'wep' ? `${r.dest.namespace}/${r.dest.name}` : r.dest.ip}|${r.destPort}`));
    await until(() => `the flows API serves the pattern's connections: missing ${wanted.filter((w) => !have().has(w)).join(', ')}${why}`, 60_000, async () => {
      const r = await fetchClusterFlows(nodeIo, input, { since: 3_600_000, namespace: 'shop', action: 'allow' });
      got = r.ok ? r.records : [];
      why = r.ok ? '' : `: ${r.error}`;
      return wanted.every((w) => have().has(w));
    });

    // recommend (reading the flows API) → apply (staged) through the lab's API server
    const io = capture();
    const code = await main(['recommend', '-c', cfg, '--since', '1h', '-n', 'shop', '--apply'], io);
    assert.equal(code, 0, `${io.out()}\n${io.err()}`);
    assert.match(io.out(), /observed flows kept: 6\/6\n/);
    assert.match(io.out(), /extra admitted classes: none/);
    for (const w of ['api', 'db', 'web']) assert.match(io.err(), new RegExp(`stagednetworkpolicy\\.projectcalico\\.org/recommended-${w} created in shop`));
    console.log(`# ${dataplane}: tabby recommend printed\n${io.out()}`);

    // staged: nothing changed on real packets yet
    ({ snapshot } = await snapshotOf(lab.ds));
    const staged = await runProbe(lab, snapshot, [...pattern, ...never], 1000);
    assert.ok(staged.every((r) => r.agree && isAllowed(r.real)), `staged policies enforce nothing: every flow connects:\n${formatProbe(staged)}`);

    // promote each
    for (const w of ['api', 'db', 'web']) {
      const pio = capture();
      assert.equal(await main(['promote', `recommended-${w}`, '-n', 'shop', '-c', cfg, '--yes'], pio), 0, pio.err());
      assert.match(pio.out(), new RegExp(`networkpolicy\\.projectcalico\\.org/recommended-${w} created`));
    }
    const last = await lab.ds.list({ group: 'projectcalico.org', plural: 'networkpolicies' });
    assert.deepEqual(last.items.map((o) => o.metadata.name).sort(), ['recommended-api', 'recommended-db', 'recommended-web']);
    // the agents watch enforced kinds only: settle on the last enforced write, not the staged deletes after it
    const enforcedRev = last.items.map((o) => BigInt(o.metadata.resourceVersion ?? '0')).reduce((a, b) => (a > b ? a : b), 0n);
    await lab.settle(String(enforcedRev), 90_000);
    await lab.flushConntrack();

    // every observed flow still connects; every never-observed one is dropped; the engine agrees
    ({ snapshot } = await snapshotOf(lab.ds));
    const after = await runProbe(lab, snapshot, [...pattern, ...never], 1000);
    const table = formatProbe(after);
    console.log(`# ${dataplane}: promoted\n${table}`);
    assert.ok(after.every((r) => r.agree), `the kernel agrees with the engine:\n${table}`);
    after.slice(0, pattern.length).forEach((r) => assert.equal(r.real, 'open', `observed ${r.flow.from} → ${r.flow.toLabel}:${r.flow.port} still connects\n${table}`));
    after.slice(pattern.length).forEach((r) => assert.equal(r.real, 'timeout', `never observed ${r.flow.from} → ${r.flow.toLabel}:${r.flow.port} is dropped\n${table}`));

    await api.stop();
    api = undefined;
    const errors = await lab.down();
    lab = undefined;
    assert.deepEqual(errors, []);
  } finally {
    await api?.stop();
    if (lab) await lab.down();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('recommend → apply → promote keeps every observed flow and drops the rest on real packets: iptables', { skip, timeout: 600_000 }, async () => {
  await runOn('iptables');
});

test('recommend → apply → promote keeps every observed flow and drops the rest on real packets: nft', { skip, timeout: 600_000 }, async () => {
  await runOn('nft');
});
