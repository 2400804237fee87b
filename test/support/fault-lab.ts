/**
 * The fault lab shared by test/e2e/faults.test.ts and bench/faults.bench.ts (root only): a lab
 * of 3 workers, one server and one client pod pinned to each worker, a base policy (servers
 * accept TCP ALLOWED_PORT from clients; DENIED_PORT, on which they listen too, is denied), and
 * the harness: a PolicyWriter and a ConvergenceWatch through the Kubernetes API (the admin
 * token), a Prober over every client → server pair. The faults are injected with the real
 * command, `tabby lab fault … --state-dir DIR`, run in-process. `stop()` removes everything,
 * also after a failure.
 *
 * - single-machine (default): SQLite datastore, the API server on 127.0.0.1 (a free port) in
 *   this process, the agents inside the lab (this process). Faults: restart agent, partition.
 * - distributed: `tabby lab up --distributed`'s shape (3 etcd members, 2 API servers, each agent
 *   a joined process in its worker's namespace); the API through the lab's host relay. Faults:
 *   kill etcd-2, kill apiserver-1, partition worker-2, restart agent worker-1.
 *
 * Either way startFaultLab returns once the base policy holds on every pair (real probes: each
 * allowed connection opens, each denied one does not), so the suite's figures mean something.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { nodeRunner } from '../../src/sys/index.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab } from '../../src/lab/controller.js';
import { POD_TYPE } from '../../src/lab/lab-context.js';
import { openSqliteDatastore } from '../../src/datastore/index.js';
import { openKubeDatastore, type KubeDatastore } from '../../src/datastore/kube/index.js';
import { runServer, type RunningServer } from '../../src/apiserver/main.js';
import { ConvergenceWatch, PolicyWriter, Prober, type FaultCase, type ProbePair } from '../../src/lab/faults/index.js';
import { main } from '../../src/cli/main.js';
import { fakeIo } from '../../src/cli/testdata/fake-io.js';
import { kubeOptionsFor } from '../../src/cli/datastore-config.js';
import { createCa } from '../../src/apiserver/pki.js';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');
/**
 * How the distributed lab's members run Tabby's CLI: this checkout's bin/tabby.ts under tsx, or,
 * compiled (`npm run bench` runs dist/), the compiled dist/bin/tabby.js beside this file's copy.
 */
const TABBY_ARGV = import.meta.url.endsWith('.js')
  ? [process.execPath, join(ROOT, 'bin', 'tabby.js')]
  : [process.execPath, '--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href, join(ROOT, 'bin', 'tabby.ts')];

export const ALLOWED_PORT = 7001;
export const DENIED_PORT = 7002;
const WORKERS = 3;

export interface FaultLab {
  readonly lab: Lab;
  readonly dir: string;
  readonly writer: PolicyWriter;
  readonly prober: Prober;
  readonly watch: ConvergenceWatch;
  /** `tabby lab fault <args…> --state-dir DIR`; fails the caller on a non-zero exit. Returns stdout. */
  fault(...args: string[]): Promise<string>;
  /** Packets each heal reported dropped by the partition. */
  readonly healDrops: number[];
  /** The suite's cases on this lab (see the module doc). */
  cases(holdMs: number): FaultCase[];
  readonly distributed: boolean;
  log: string[];
  stop(): Promise<void>;
}

export async function startFaultLab(o: { distributed?: boolean } = {}): Promise<FaultLab> {
  const distributed = o.distributed === true;
  const dir = mkdtempSync(join(tmpdir(), 'tabby-faults-'));
  const log: string[] = [];
  let lab: Lab | undefined;
  let api: RunningServer | undefined;
  let kube: KubeDatastore | undefined;
  let writer: PolicyWriter | undefined;
  let prober: Prober | undefined;
  let watch: ConvergenceWatch | undefined;
  const stop = async (): Promise<void> => {
    await writer?.stop().catch(() => undefined);
    await prober?.stop().catch(() => undefined);
    await watch?.stop().catch(() => undefined);
    await kube?.close().catch(() => undefined);
    await api?.stop().catch(() => undefined);
    if (lab !== undefined) {
      // A partition left by a failed run goes with the fabric namespace; heal first anyway.
      await main(['lab', 'fault', 'heal', '--state-dir', dir], fakeIo({}, '', { HOME: dir })).catch(() => undefined);
      const errors = await lab.down();
      if (!distributed) await lab.ds.close();
      if (errors.length > 0) log.push(...errors);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    if (distributed) {
      lab = await Lab.up({ stateDir: dir, workers: WORKERS, distributed: { etcd: 3, apiservers: 2, tabbyArgv: TABBY_ARGV, newCa: (cn) => createCa(cn, 30) }, log: (m) => log.push(m) });
    } else {
      lab = await Lab.up({ stateDir: dir, workers: WORKERS, datastore: await openSqliteDatastore(join(dir, 'tabby.db')), datastorePath: join(dir, 'tabby.db'), log: (m) => log.push(m) });
      api = await runServer({ dataDir: dir, port: 0, datastore: lab.ds });
    }
    const l = lab;
    const pod = (name: string, role: string, node: string): unknown => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default', labels: { 'tabby-fault': role } },
      spec: { nodeName: node, containers: [{ name: 'c', ports: [{ containerPort: ALLOWED_PORT }, { containerPort: DENIED_PORT }] }] },
    });
    for (const w of l.plan.workers) {
      await l.client.apply(pod(`server-${w.index}`, 'server', w.name));
      await l.client.apply(pod(`client-${w.index}`, 'client', w.name));
    }
    // Every pod placed (a responder on both ports) before the base policy, so the agents that
    // program the policy's revision have seen the pods' addresses too.
    // Placed means in the API too: the lab knows a pod's address (l.pod) before it writes the
    // pod's status, and an agent that programmed a later revision without the status would not
    // know the address yet (a distributed lab's writes take longer: there this was seen).
    const placed = Date.now() + 180_000;
    const names = l.plan.workers.flatMap((w) => [`server-${w.index}`, `client-${w.index}`]);
    const inApi = async (): Promise<boolean> => {
      for (const name of names) {
        const ip = l.pod(name)?.ip;
        if (!ip) return false;
        const o = (await l.ds.get({ ...POD_TYPE, namespace: 'default', name }).catch(() => undefined)) as { status?: { podIP?: string } } | undefined;
        if (o?.status?.podIP !== ip) return false;
      }
      return true;
    };
    while (!(await inApi())) {
      assert.ok(Date.now() < placed, `pods placed within 180 s (${l.pods().length} of ${2 * WORKERS}; last error: ${l.lastError ?? 'none'})`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const base = await l.client.apply({
      apiVersion: 'projectcalico.org/v3',
      kind: 'GlobalNetworkPolicy',
      metadata: { name: 'fault-base' },
      spec: { order: 100, selector: "tabby-fault == 'server'", types: ['Ingress'], ingress: [{ action: 'Allow', protocol: 'TCP', source: { selector: "tabby-fault == 'client'" }, destination: { ports: [ALLOWED_PORT] } }] },
    });
    const pairs: ProbePair[] = [];
    for (const c of l.plan.workers)
      for (const s of l.plan.workers) {
        const server = l.pod(`server-${s.index}`)!;
        assert.equal(server.node, s.name, 'server pinned to its worker');
        pairs.push({ from: `default/client-${c.index}`, fromNode: c.name, to: server.key, toNode: s.name, ip: server.ip });
      }
    const kubeconfig = l.state().distributed?.kubeconfig;
    kube = await openKubeDatastore(api !== undefined ? { server: api.url, token: api.adminToken, caPem: api.caPem } : kubeOptionsFor({ kubeconfig: kubeconfig! }));
    writer = new PolicyWriter({ datastore: kube, selector: "tabby-fault == 'server'", log: (m) => log.push(m) });
    prober = new Prober({ probe: (from, ip, port, t) => l.probe(from, 'tcp', ip, port, t), pairs, allowedPort: ALLOWED_PORT, deniedPort: DENIED_PORT, log: (m) => log.push(m) });
    watch = new ConvergenceWatch({ datastore: kube, nodes: l.plan.workers.map((w) => w.name), log: (m) => log.push(m) });
    // The base policy programmed everywhere (each agent's published revision), then the probes agree.
    watch.start();
    await watch.waitConverged(base.object.metadata.resourceVersion ?? '0', 120_000);
    const p0 = prober;
    const agreed = Date.now() + 60_000;
    for (;;) {
      const before = p0.events.length;
      await p0.round();
      const bad = p0.events.slice(before).filter((e) => (e.port === 'allowed') !== (e.result === 'open'));
      if (bad.length === 0) break;
      assert.ok(Date.now() < agreed, `the base policy holds on every pair within 60 s: ${bad.map((e) => `${e.pair.from}→${e.pair.to}:${e.port}=${e.result}`).join(', ')}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const healDrops: number[] = [];
    const fault = async (...args: string[]): Promise<string> => {
      const io = fakeIo({}, '', { HOME: dir });
      const code = await main(['lab', 'fault', ...args, '--state-dir', dir], io);
      assert.equal(code, 0, `tabby lab fault ${args.join(' ')}: exit ${code}: ${io.err()}`);
      log.push(`tabby lab fault ${args.join(' ')}: ${io.out().trim()}`);
      return io.out();
    };
    const w1 = l.plan.workers[0]!.name;
    const kill = (member: string, holdMs: number): FaultCase => ({
      name: `kill ${member}`,
      kind: 'kill',
      holdMs,
      inject: async () => void (await fault('kill', member)),
      heal: async () => void (await fault('heal')),
    });
    return {
      lab: l,
      dir,
      distributed,
      writer,
      prober,
      watch,
      fault,
      healDrops,
      log,
      cases: (holdMs) => [
        ...(distributed ? [kill('etcd-2', holdMs), kill('apiserver-1', holdMs)] : []),
        { name: `restart agent ${w1}`, kind: 'restart', inject: async () => void (await fault('restart', 'agent', 'worker-1')), restartsAgentsOf: [w1] },
        {
          name: `partition ${l.plan.workers[1]!.name}`,
          kind: 'partition',
          holdMs,
          inject: async () => void (await fault('partition', 'worker-2')),
          heal: async () => {
            const out = await fault('heal');
            const m = /dropped (\d+) packets/.exec(out);
            healDrops.push(m === null ? -1 : Number(m[1]));
          },
        },
      ],
      stop,
    };
  } catch (e) {
    let tail = log.slice(-30).join('\n');
    for (const w of lab?.plan.workers ?? []) {
      try {
        tail += `\nagent-${w.name}.log: ${readFileSync(join(dir, `agent-${w.name}.log`), 'utf8').trim().split('\n').slice(-8).join('\n  ')}`;
      } catch {
        // single-machine lab: the agents log into the lab's log
      }
    }
    if (process.env['TABBY_FAULTS_DEBUG'] === '1' && lab !== undefined) {
      const r = await nodeRunner.run({ argv: ['ip', 'netns', 'exec', lab.plan.workers[0]!.netns, 'iptables-save'], timeoutMs: 10_000 });
      const sets = await nodeRunner.run({ argv: ['ip', 'netns', 'exec', lab.plan.workers[0]!.netns, 'ipset', 'list'], timeoutMs: 10_000 });
      tail += `\n${r.stdout}\n${sets.stdout}`;
    }
    await stop();
    throw new Error(`fault lab: ${e instanceof Error ? e.message : String(e)}\nlast lab log lines:\n${tail}`, { cause: e });
  }
}
