/**
 * @module `tabby up [--data-dir DIR] [--profile ibm-classic|none] [--workers N] [--port N]
 * [--no-lab]`: a whole cluster in one command (the README's first step, `npm start`).
 *
 * 1. the API server on the embedded datastore in DIR (as `tabby server`): DIR/admin.kubeconfig
 *    and DIR/calicoctl.cfg, and the two lines to use them;
 * 2. the cluster profile (default `ibm-classic`): created where missing, kept where present, so
 *    a restart keeps the datastore and the operator's edits;
 * 3. the host endpoint controller (automatic HostEndpoints from Nodes) and the workload
 *    controllers (Deployments, ReplicaSets, EndpointSlices: src/controllers);
 * 4. the lab (src/lab: workers in network namespaces with an agent each, so policy is enforced
 *    on real packets) when this machine can run it; otherwise it says why, creates the
 *    profile's workers as Nodes, and runs without enforcement.
 *
 * Runs until SIGINT/SIGTERM (`tabby down` sends SIGTERM, finding the process through
 * DIR/tabby-up.json), then stops what it started, in reverse order, and removes the pid file.
 */
import * as lab from '../../lab/index.js';
import { Command, InvalidArgumentError } from 'commander';
import { accessSync, constants as fsConstants, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { portHolder } from '../port-holder.js';
import { runServer } from '../../apiserver/main.js';
import type { PodRuntime } from '../../apiserver/pod-runtime.js';
import { startWorkloadControllers } from '../../controllers/index.js';
import { ResourceClient } from '../../client/index.js';
import { openSqliteDatastore, type Datastore } from '../../datastore/index.js';
import {
  DEFAULT_PROFILE,
  PROFILES,
  loadProfile,
  profileNamed,
  startHostEndpointController,
  startStaticScheduler,
  type ClusterProfile,
  type HostEndpointController,
  type WorkerSpec,
} from '../../cluster/index.js';
import { DATA_DIR_DOC, LAB_DIR, UP_STATE_FILE, resolveDataDir } from '../paths.js';
import { readUpState, type UpState } from '../cluster-dir.js';
import { parsePort } from './server.js';
import { EXIT, dataplaneOption, flag, stringOpt, type CommandContext } from './context.js';
import { isAlive } from '../../sys/index.js';

export { LAB_DIR, UP_STATE_FILE, readUpState, type UpState };

// ------------------------------------------------------------------ the lab hook

/**
 * What `tabby up` needs from the lab (src/lab). The one place the lab plugs in: set
 * LAB_DRIVER to an adapter over src/lab/index.ts.
 */
export interface LabDriver {
  /** Why the lab cannot run here (not root, a kernel tool missing), or undefined when it can. */
  unavailable(): Promise<string | undefined>;
  /** Brings up `workers` workers with an agent each, registering them as Nodes in `datastore`. */
  up(o: { readonly stateDir: string; readonly workers: number; readonly nodeNames?: string; readonly nodeLabels?: Readonly<Record<string, string>>; readonly dataplane?: 'iptables' | 'nft'; readonly datastore: Datastore; readonly datastorePath?: string; readonly log: (line: string) => void }): Promise<RunningLab>;
  /** Removes what a `tabby up` that died left of the lab (from the state in stateDir); what it removed. */
  cleanup(stateDir: string): Promise<readonly string[]>;
}

export interface RunningLab {
  /** The workers as the lab registered them (names, addresses, pod CIDRs). */
  readonly workers: readonly WorkerSpec[];
  /** A worker joins the running lab (namespace, wiring, Node, agent); resolves once it is programmed. */
  addWorker(): Promise<WorkerSpec>;
  /** Runs the lab's pods for kubectl logs/exec/attach. */
  readonly runtime?: PodRuntime;
  down(): Promise<void>;
}

/**
 * The parts of src/lab that `tabby up` uses, structurally, so the adapter below compiles before
 * the lab module's public surface (src/lab/index.ts) exists.
 */
export interface LabModule {
  readonly Lab: {
    up(o: {
      readonly stateDir: string;
      readonly workers: number;
      readonly nodeNames?: string;
      readonly nodeLabels?: Readonly<Record<string, string>>;
      readonly dataplane?: 'iptables' | 'nft';
      readonly datastore: Datastore;
      readonly datastorePath?: string;
      readonly hostEndpoints: boolean;
      readonly events?: boolean;
      readonly log: (line: string) => void;
    }): Promise<{
      readonly plan: { readonly workers: readonly { readonly name: string; readonly privateIp: string; readonly publicIp: string; readonly podCidr: string }[] };
      addWorker(): Promise<{ readonly name: string; readonly privateIp: string; readonly publicIp: string; readonly podCidr: string }>;
      runtime?(): PodRuntime;
      down(): Promise<readonly string[]>;
    }>;
  };
  /** Removes a lab from its state directory (another process's, or a dead one's). */
  readonly downFromState?: (stateDir: string) => Promise<readonly string[]>;
}

/**
 * The LabDriver over the lab module. Host endpoints are the controller's job (the profile's
 * templates), so the lab registers none; the lab's eth0 is private and eth1 public, the
 * ibm-classic convention.
 */
export function labDriverFrom(lab: LabModule): LabDriver {
  return {
    unavailable: () => Promise.resolve(undefined),
    async up(o) {
      const running = await lab.Lab.up({
        stateDir: o.stateDir,
        workers: o.workers,
        ...(o.nodeNames === undefined ? {} : { nodeNames: o.nodeNames }),
        ...(o.nodeLabels === undefined ? {} : { nodeLabels: o.nodeLabels }),
        ...(o.dataplane === undefined ? {} : { dataplane: o.dataplane }),
        datastore: o.datastore,
        ...(o.datastorePath === undefined ? {} : { datastorePath: o.datastorePath }),
        hostEndpoints: false,
        events: true,
        log: o.log,
      });
      const spec = (w: { readonly name: string; readonly privateIp: string; readonly publicIp: string; readonly podCidr: string }): WorkerSpec => ({
        name: w.name,
        internalIP: w.privateIp,
        externalIP: w.publicIp,
        podCIDR: w.podCidr,
        labels: { ...(o.nodeLabels ?? {}) },
      });
      return {
        workers: running.plan.workers.map(spec),
        addWorker: async () => spec(await running.addWorker()),
        ...(running.runtime === undefined ? {} : { runtime: running.runtime() }),
        async down() {
          const errors = await running.down();
          if (errors.length > 0) throw new Error(`lab down: ${errors.join('; ')}`);
        },
      };
    },
    cleanup: (stateDir) => (lab.downFromState ? lab.downFromState(stateDir) : Promise.resolve([])),
  };
}

/** The lab that `tabby up` brings up as root (src/lab). */
export const LAB_DRIVER: LabDriver | undefined = labDriverFrom({
  Lab: lab.Lab,
  downFromState: async (dir) => {
    const r = await lab.downFromState(dir);
    if (r.errors.length > 0 && !(r.errors.length === 1 && r.errors[0]!.startsWith('no lab state'))) throw new Error(`lab down: ${r.errors.join('; ')}`);
    return r.errors.length === 0 ? r.namespaces : [];
  },
});

const LAB_MISSING = 'this build of Tabby has no lab (src/lab/index.ts)';

// ------------------------------------------------------------------ running

export interface UpOptions {
  readonly dataDir: string;
  readonly profile: ClusterProfile;
  readonly workers: number;
  readonly port: number;
  readonly host: string;
  /** false: never start the lab (`--no-lab`). */
  readonly lab: boolean;
  /** The lab agents' dataplane (default iptables + ipset). */
  readonly dataplane?: 'iptables' | 'nft';
  readonly labDriver?: LabDriver | undefined;
  readonly log: (line: string) => void;
}

export interface RunningCluster {
  readonly url: string;
  readonly dashboardUrl: string;
  readonly kubeconfigPath: string;
  readonly calicoctlCfgPath: string;
  readonly workers: readonly WorkerSpec[];
  readonly created: number;
  readonly kept: number;
  /** Why policies are not enforced, or undefined when the lab enforces them. */
  readonly noEnforcement: string | undefined;
  readonly controller: HostEndpointController;
  readonly datastore: Datastore;
  /** Adds a worker to the lab (undefined without a lab: there is nothing to run it). */
  readonly addWorker: (() => Promise<WorkerSpec>) | undefined;
  stop(): Promise<void>;
}

function _onPath(tool: string, env: Readonly<Record<string, string | undefined>>): boolean {
  for (const dir of (env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    try {
      accessSync(join(dir, tool), fsConstants.X_OK);
      return true;
    } catch {
      // next
    }
  }
  return false;
}

/** The machine-level reasons the lab cannot run, before asking the lab itself. */
export function labPrerequisites(env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'not running as root (the lab creates network namespaces)';
  const missing = ['ip', 'iptables-restore', 'iptables-save', 'ipset'].filter((t) => !_onPath(t, env));
  if (missing.length > 0) return `kernel tools missing: ${missing.join(', ')}`;
  return undefined;
}

/** Starts everything; on failure stops what it started and rethrows. */
export async function startCluster(o: UpOptions): Promise<RunningCluster> {
  const dataDir = resolve(o.dataDir);
  const prior = readUpState(dataDir);
  if (prior !== undefined && prior.pid !== process.pid && isAlive(prior.pid))
    throw new Error(`tabby up is already running on ${dataDir} (pid ${prior.pid}, ${prior.url}); stop it with: tabby down --data-dir ${dataDir}`);
  // A taken port is found before anything is written, and named with what holds it.
  if (o.port !== 0) {
    const held = await portHolder(o.host, o.port);
    if (held !== undefined) throw new Error(held);
  }
  // A failed start leaves the data directory as it was.
  const existed = existsSync(dataDir);
  const before = new Set(existed ? readdirSync(dataDir) : []);
  const restoreDir = (): void => {
    try {
      if (!existed) return rmSync(dataDir, { recursive: true, force: true });
      for (const f of readdirSync(dataDir)) if (!before.has(f)) rmSync(join(dataDir, f), { recursive: true, force: true });
    } catch (e) {
      o.log(`cleaning up ${dataDir}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const undo: (() => Promise<void>)[] = [];
  const unwind = async (): Promise<void> => {
    for (const u of undo.reverse()) await u().catch((e: unknown) => o.log(`stopping: ${e instanceof Error ? e.message : String(e)}`));
    undo.length = 0;
  };
  try {
    // One datastore for the server, the controller and the lab.
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const ds = await openSqliteDatastore(join(dataDir, 'tabby.db'));
    undo.push(() => ds.close());
    // The lab starts after the server: pods/log, exec and attach reach it through this delegate.
    let labRuntime: PodRuntime | undefined;
    const noLab = (): Promise<{ refused: true; code: number; reason: string; message: string }> =>
      Promise.resolve({ refused: true, code: 503, reason: 'ServiceUnavailable', message: `no lab runs pods here (${noEnforcement ?? 'the lab is starting'})` });
    const podRuntime: PodRuntime = {
      readLog: (p, c, off) => (labRuntime ? labRuntime.readLog(p, c, off) : noLab()),
      exec: (p, c, argv, tty) => (labRuntime ? labRuntime.exec(p, c, argv, tty) : noLab()),
      attach: (p, c, tty) => (labRuntime ? labRuntime.attach(p, c, tty) : noLab()),
    };
    let noEnforcement: string | undefined;
    const server = await runServer({ dataDir, port: o.port, host: o.host, datastore: ds, log: o.log, podRuntime });
    undo.push(() => server.stop());
    const client = new ResourceClient(ds);

    let lab: RunningLab | undefined;
    if (!o.lab) noEnforcement = 'the lab was turned off (--no-lab)';
    else if (o.labDriver === undefined) noEnforcement = LAB_MISSING;
    else noEnforcement = labPrerequisites(process.env) ?? (await o.labDriver.unavailable());
    if (noEnforcement === undefined && o.labDriver !== undefined) {
      // The lab's workers carry the provider's names, as the seed's `calicoctl get nodes` shows them.
      lab = await o.labDriver.up({
        stateDir: join(dataDir, LAB_DIR),
        workers: o.workers,
        nodeNames: o.profile.workerNames,
        nodeLabels: o.profile.workerLabels,
        ...(o.dataplane === undefined ? {} : { dataplane: o.dataplane }),
        datastore: ds,
        datastorePath: join(dataDir, 'tabby.db'),
        log: o.log,
      });
      const running = lab;
      labRuntime = running.runtime;
      undo.push(() => running.down());
    }
    const declared = o.profile.workers(o.workers);
    // One address plan: the lab realizes the profile's workers, or the cluster does not start.
    if (lab !== undefined) {
      const differs = lab.workers.find((w, i) => {
        const d = declared[i];
        return d === undefined || d.name !== w.name || d.internalIP !== w.internalIP || d.externalIP !== w.externalIP || d.podCIDR !== w.podCIDR;
      });
      if (differs !== undefined || lab.workers.length !== declared.length)
        throw new Error(`the lab's worker ${differs?.name ?? ''} (${differs?.internalIP ?? ''}, ${differs?.externalIP ?? ''}, pods ${differs?.podCIDR ?? ''}) is not the profile ${o.profile.name}'s; the lab must realize the profile's address plan`);
    }
    const workers = lab?.workers ?? declared;
    // Pods are placed the same way with or without the lab (the lab, else the static scheduler).
    const report = await loadProfile(client, o.profile, { workers, scheduler: 'lab', createNodes: lab === undefined });
    if (lab === undefined) {
      const scheduler = startStaticScheduler(ds, workers, { onPlaced: (l) => o.log(`pod ${l} (no lab: not running)`), onError: (e) => o.log(`static scheduler: ${e instanceof Error ? e.message : String(e)}`) });
      undo.push(() => scheduler.stop());
      await scheduler.ready;
    }
    const controller = startHostEndpointController(ds, {
      convention: o.profile.interfaces,
      onChange: (r) => {
        for (const n of r.created) o.log(`host endpoint created: ${n}`);
        for (const n of r.updated) o.log(`host endpoint updated: ${n}`);
        for (const n of r.deleted) o.log(`host endpoint deleted: ${n}`);
      },
      onError: (e) => o.log(`host endpoint controller: ${e instanceof Error ? e.message : String(e)}`),
    });
    undo.push(() => controller.stop());
    await controller.ready;
    const workloads = startWorkloadControllers(ds, { onError: (e) => o.log(`workload controllers: ${e instanceof Error ? e.message : String(e)}`) });
    undo.push(() => workloads.stop());

    const state: UpState = {
      pid: process.pid,
      url: server.url,
      profile: o.profile.name,
      workers: workers.map((w) => w.name),
      lab: lab !== undefined,
      startedAt: new Date().toISOString(),
    };
    const stateFile = join(dataDir, UP_STATE_FILE);
    writeFileSync(stateFile, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    undo.push(async () => rmSync(stateFile, { force: true }));

    let stopping: Promise<void> | undefined;
    return {
      url: server.url,
      dashboardUrl: server.dashboardUrl,
      kubeconfigPath: server.kubeconfigPath,
      calicoctlCfgPath: server.calicoctlCfgPath,
      workers,
      created: report.created.length,
      kept: report.kept.length,
      noEnforcement,
      controller,
      datastore: ds,
      addWorker: lab === undefined ? undefined : () => lab.addWorker(),
      stop: () => (stopping ??= unwind()),
    };
  } catch (e) {
    await unwind();
    restoreDir();
    throw e;
  }
}

function _parseWorkers(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 50) throw new InvalidArgumentError('must be a number of workers (1-50)');
  return n;
}

export function upCommand(ctx: CommandContext): Command {
  return new Command('up')
    .description('start a cluster: API server, cluster profile, host endpoint controller and (as root) a lab that enforces policy')
    .option('--data-dir <dir>', `where the datastore, certificates, tokens and configs live (default ${DATA_DIR_DOC})`)
    .option('--profile <name>', `cluster profile: ${PROFILES.map((p) => p.name).join(', ')}`, DEFAULT_PROFILE)
    .option('--workers <n>', 'number of workers', _parseWorkers, 3)
    .option('--port <n>', 'HTTPS port of the API server (0 picks a free one)', parsePort, 6443)
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--no-lab', 'never start the lab (no enforcement, no root needed)')
    .option('--dataplane <kind>', 'the lab agents\' dataplane: iptables (iptables + ipset) or nft (native nftables)', dataplaneOption, 'iptables')
    .action(async (opts: unknown) => {
      const io = ctx.io;
      const dataDir = resolveDataDir(stringOpt(opts, 'dataDir'), io.env);
      const profileName = stringOpt(opts, 'profile') ?? DEFAULT_PROFILE;
      const profile = profileNamed(profileName);
      if (profile === undefined) {
        io.stderr(`tabby up: unknown profile ${JSON.stringify(profileName)} (known: ${PROFILES.map((p) => p.name).join(', ')})\n`);
        return ctx.exit(EXIT.usage);
      }
      const o = opts as { workers: number; port: number; lab: boolean; dataplane: 'iptables' | 'nft' };
      let c: RunningCluster;
      try {
        c = await startCluster({
          dataDir,
          profile,
          workers: o.workers,
          port: o.port,
          host: stringOpt(opts, 'host') ?? '127.0.0.1',
          lab: flag(opts, 'lab'),
          dataplane: o.dataplane,
          labDriver: LAB_DRIVER,
          log: (line) => io.stderr(`${line}\n`),
        });
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        // A port taken between the check and the listen: the same one line.
        const held = /EADDRINUSE/.test(msg) ? await portHolder(stringOpt(opts, 'host') ?? '127.0.0.1', o.port) : undefined;
        io.stderr(`tabby up: ${held ?? msg.split('\n')[0]}\n`);
        return ctx.exit(EXIT.failed);
      }
      // Started by `npm start`, the bins are not on PATH: say how to reach them from there.
      const npx = process.env['npm_lifecycle_event'] === undefined ? '' : 'npx ';
      io.stdout(
        `Tabby cluster is up: API server ${c.url}, profile ${profile.name}, ${c.workers.length} worker${c.workers.length === 1 ? '' : 's'} (data in ${dataDir})\n` +
          `  export KUBECONFIG=${c.kubeconfigPath}\n` +
          `  ${npx}calicoctl get nodes --config=${c.calicoctlCfgPath}\n` +
          `  dashboard: ${c.dashboardUrl} (log in with the admin token in ${dataDir}/tokens)\n` +
          `profile ${profile.name}: ${c.created} object${c.created === 1 ? '' : 's'} created, ${c.kept} already present and kept\n` +
          (c.noEnforcement === undefined
            ? `enforcement: on (lab: one agent per worker)\n`
            : `enforcement: off: ${c.noEnforcement}; policies are stored, validated and analysed (tabby verdict, matrix, lint), not enforced\n`) +
          `Stop with Ctrl-C or: ${npx}tabby down --data-dir ${dataDir}\n`,
      );
      // `tabby lab add-worker` asks for another worker with SIGUSR2 (one at a time).
      let adding: Promise<void> = Promise.resolve();
      const onAdd = (): void => {
        const add = c.addWorker;
        if (add === undefined) return void io.stderr('add-worker: no lab is running (no enforcement), so there is nothing to add a worker to\n');
        adding = adding.then(async () => {
          try {
            const w = await add();
            io.stderr(`worker ${w.name} added (${w.internalIP}, ${w.externalIP ?? '-'}, pods ${w.podCIDR ?? '-'})\n`);
          } catch (e) {
            io.stderr(`add-worker: ${e instanceof Error ? e.message : String(e)}\n`);
          }
        });
      };
      process.on('SIGUSR2', onAdd);
      const sig = await io.waitForShutdown();
      process.off('SIGUSR2', onAdd);
      io.stderr(`${sig}: stopping\n`);
      await adding;
      await c.stop();
      io.stderr('tabby up: stopped\n');
      ctx.exit(EXIT.ok);
    });
}
