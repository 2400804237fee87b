/**
 * The single-machine fault lab shared by test/e2e/faults.test.ts and bench/faults.bench.ts
 * (root only): a lab of 3 workers (SQLite datastore) with its API server on 127.0.0.1 (a free
 * port), one server and one client pod pinned to each worker, a base policy (servers accept TCP
 * ALLOWED_PORT from clients; DENIED_PORT, on which they listen too, is denied), and the harness:
 * a PolicyWriter and a ConvergenceWatch through the Kubernetes API (the admin token), a Prober
 * over every client → server pair. The faults are injected with the real command,
 * `tabby lab fault … --state-dir DIR`, run in-process. `stop()` removes everything, also after
 * a failure.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab } from '../../src/lab/controller.js';
import { openSqliteDatastore } from '../../src/datastore/index.js';
import { openKubeDatastore, type KubeDatastore } from '../../src/datastore/kube/index.js';
import { runServer, type RunningServer } from '../../src/apiserver/main.js';
import { ConvergenceWatch, PolicyWriter, Prober, type FaultCase, type ProbePair } from '../../src/lab/faults/index.js';
import { main } from '../../src/cli/main.js';
import { fakeIo } from '../../src/cli/testdata/fake-io.js';

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
  /** The suite's cases on this lab: restart agent worker-1, partition worker-2 (+ heal). */
  cases(holdMs: number): FaultCase[];
  log: string[];
  stop(): Promise<void>;
}

export async function startFaultLab(): Promise<FaultLab> {
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
      await lab.ds.close();
      if (errors.length > 0) log.push(...errors);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    lab = await Lab.up({ stateDir: dir, workers: WORKERS, datastore: await openSqliteDatastore(join(dir, 'tabby.db')), datastorePath: join(dir, 'tabby.db'), log: (m) => log.push(m) });
    api = await runServer({ dataDir: dir, port: 0, datastore: lab.ds });
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
    const base = await l.client.apply({
      apiVersion: 'projectcalico.org/v3',
      kind: 'GlobalNetworkPolicy',
      metadata: { name: 'fault-base' },
      spec: { order: 100, selector: "tabby-fault == 'server'", types: ['Ingress'], ingress: [{ action: 'Allow', protocol: 'TCP', source: { selector: "tabby-fault == 'client'" }, destination: { ports: [ALLOWED_PORT] } }] },
    });
    await l.settle(base.object.metadata.resourceVersion, 60_000);
    const pairs: ProbePair[] = [];
    for (const c of l.plan.workers)
      for (const s of l.plan.workers) {
        const server = l.pod(`server-${s.index}`);
        assert.ok(server && l.pod(`client-${c.index}`), `pods on ${c.name} and ${s.name} placed`);
        assert.equal(server.node, s.name, 'server pinned to its worker');
        pairs.push({ from: `default/client-${c.index}`, fromNode: c.name, to: server.key, toNode: s.name, ip: server.ip });
      }
    kube = await openKubeDatastore({ server: api.url, token: api.adminToken, caPem: api.caPem });
    writer = new PolicyWriter({ datastore: kube, selector: "tabby-fault == 'server'", log: (m) => log.push(m) });
    prober = new Prober({ probe: (from, ip, port, t) => l.probe(from, 'tcp', ip, port, t), pairs, allowedPort: ALLOWED_PORT, deniedPort: DENIED_PORT, log: (m) => log.push(m) });
    watch = new ConvergenceWatch({ datastore: kube, nodes: l.plan.workers.map((w) => w.name), log: (m) => log.push(m) });
    const healDrops: number[] = [];
    const fault = async (...args: string[]): Promise<string> => {
      const io = fakeIo({}, '', { HOME: dir });
      const code = await main(['lab', 'fault', ...args, '--state-dir', dir], io);
      assert.equal(code, 0, `tabby lab fault ${args.join(' ')}: exit ${code}: ${io.err()}`);
      log.push(`tabby lab fault ${args.join(' ')}: ${io.out().trim()}`);
      return io.out();
    };
    const w1 = l.plan.workers[0]!.name;
    return {
      lab: l,
      dir,
      writer,
      prober,
      watch,
      fault,
      healDrops,
      log,
      cases: (holdMs) => [
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
    await stop();
    throw e;
  }
}
