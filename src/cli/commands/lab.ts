/**
 * @module `tabby lab up|down|status|exec|probe|verify|add-worker|fault` (root only, but `status`): the
 * network-namespace cluster of src/lab. The lab of a cluster is the one `tabby up` runs in
 * `<data dir>/lab` (`--data-dir`, else TABBY_DATA_DIR, else the default); `--state-dir` names a
 * stand-alone lab instead. `up` starts a stand-alone daemon (`lab up --foreground`, detached,
 * logging to `<state-dir>/lab.log`) that holds the agents, responders and controller; the other
 * commands read the lab's `lab.json` and the datastore it records (`<data dir>/tabby.db` under
 * `tabby up`, `<state-dir>/tabby.db` stand-alone). `verify` brings up a lab of its own, runs the
 * differential test and removes the lab; its last line is `<agreeing>/<total> flows agree`.
 */
import { spawn } from 'node:child_process';
import { existsSync, openSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { Lab, STATE_FILE, snapshotOf, type LabState } from '../../lab/controller.js';
import { downFromState, readLabState } from '../../lab/state.js';
import { isMemberProcess, readMembers } from '../../lab/distributed/members.js';
import { PodProcess } from '../../lab/pod-process.js';
import { formatProbe, matrixFlows, runProbe } from '../../lab/probe.js';
import { runVerify } from '../../lab/verify.js';
import { openMemoryDatastore, openSqliteDatastore, type Datastore } from '../../datastore/index.js';
import { openKubeDatastore } from '../../datastore/kube/index.js';
import { createCa } from '../../apiserver/pki.js';
import type { DistributedLabOptions } from '../../lab/lab-context.js';
import { kubeOptionsFor } from '../datastore-config.js';
import { readNodeStatus } from '../../agent/status.js';
import { isAlive, nodeRunner } from '../../sys/index.js';
import { runServer } from '../../apiserver/main.js';
import { DATA_DIR_DOC, resolveDataDir } from '../paths.js';
import { locateCluster, noClusterMessage } from '../cluster-dir.js';
import { EXIT, dataplaneOption, flag, intOption, stringOpt, type CommandContext } from './context.js';
import { faultCommand } from './fault.js';

/** `--state-dir` (a stand-alone lab), else the lab of the cluster in the data dir. */
export function labStateDir(ctx: CommandContext, opts: unknown): string {
  const s = stringOpt(opts, 'stateDir');
  return s !== undefined ? resolve(s) : locateCluster(stringOpt(opts, 'dataDir'), ctx.io.env).labDir;
}

/** The SQLite file of a lab's datastore. */
export function labDatastorePath(st: LabState): string {
  return st.datastorePath ?? join(st.stateDir, 'tabby.db');
}

/**
 * The lab's datastore: a distributed lab's API servers (through its admin kubeconfig, the
 * host's relayed port), else the SQLite file; undefined when the file is missing.
 */
export async function openLabDatastore(st: LabState): Promise<Datastore | undefined> {
  if (st.distributed !== undefined) return openKubeDatastore(kubeOptionsFor({ kubeconfig: st.distributed.kubeconfig }));
  const p = labDatastorePath(st);
  return existsSync(p) ? openSqliteDatastore(p) : undefined;
}

/** `--distributed`: how this process runs Tabby's CLI for the lab's API servers and agents, and the CA maker. */
export function distributedOptions(etcd: number, apiservers: number): DistributedLabOptions {
  return { etcd, apiservers, tabbyArgv: selfArgv(), newCa: (cn) => createCa(cn, 30) };
}

/**
 * How to run this CLI again from any directory: node, its options with `--import`/`--require`
 * of a package (tsx under development) resolved to a file, and the script's absolute path.
 */
export function selfArgv(): string[] {
  const req = createRequire(join(process.cwd(), 'noop.js'));
  const out: string[] = [process.execPath];
  const a = process.execArgv;
  for (let i = 0; i < a.length; i++) {
    const flagName = a[i]!;
    const m = /^(--import|--require|--loader|-r)(?:=(.*))?$/.exec(flagName);
    const value = m === null ? undefined : (m[2] ?? a[i + 1]);
    if (m === null || value === undefined) {
      out.push(flagName);
      continue;
    }
    if (m[2] === undefined) i++;
    let resolved = value;
    if (!/^(\.|\/|file:|data:|node:)/.test(value)) {
      try {
        resolved = pathToFileURL(req.resolve(value)).href;
      } catch {
        resolved = value;
      }
    } else if (value.startsWith('.')) resolved = pathToFileURL(resolve(value)).href;
    out.push(m[1]!, resolved);
  }
  out.push(resolve(process.argv[1] ?? ''));
  return out;
}

/**
 * The running lab the options name, or undefined after saying on stderr why there is none and
 * where it looked (no cluster, a cluster without a lab, a lab whose process is gone).
 */
export function runningLab(ctx: CommandContext, opts: unknown): LabState | undefined {
  const dir = labStateDir(ctx, opts);
  const st = readLabState(dir);
  const fail = (why: string): undefined => {
    ctx.io.stderr(`${why}\n`);
    ctx.exit(EXIT.failed);
    return undefined;
  };
  if (stringOpt(opts, 'stateDir') === undefined) {
    const c = locateCluster(stringOpt(opts, 'dataDir'), ctx.io.env);
    if (!c.running) return fail(noClusterMessage(c));
    if (c.up?.lab !== true) return fail(`the cluster in ${c.dir} runs without a lab (no enforcement: ${c.up === undefined ? 'unknown' : 'see tabby up\'s output'}), so there is no lab to look at`);
  }
  if (st === undefined) return fail(`no lab in ${dir} (no lab.json there)`);
  if (st.daemonPid === undefined || !isAlive(st.daemonPid)) return fail(`the lab ${st.prefix} in ${dir} is not running (its process ${st.daemonPid ?? '-'} is gone); remove it with: tabby lab down --state-dir ${dir}`);
  if (!st.ready) return fail(`the lab ${st.prefix} in ${dir} is still coming up`);
  return st;
}

export { readLabState };

function _notRoot(ctx: CommandContext): boolean {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    ctx.io.stderr('tabby lab needs root: it creates network namespaces\n');
    ctx.exit(EXIT.failed);
    return true;
  }
  return false;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Removes a lab from its state file (see src/lab/state.ts); the errors, empty when all went. */
export async function labDown(dir: string, log: (s: string) => void): Promise<string[]> {
  return [...(await downFromState(dir, log)).errors];
}

function _netnsOf(st: LabState, target: string): string | undefined {
  if (target === 'internet') return st.plan.internet.netns;
  if (target === 'system') return st.plan.system.netns;
  const w = st.plan.workers.find((x) => x.name === target || `node:${x.name}` === target);
  if (w) return w.netns;
  const key = target.includes('/') ? target : `default/${target}`;
  return st.pods.find((p) => p.key === key)?.netns;
}

export function labCommand(ctx: CommandContext): Command {
  const lab = new Command('lab').description('a cluster of network namespaces with real agents, pods and services (root only)');
  const dirOpt = (c: Command): Command =>
    c
      .option('--data-dir <dir>', `the cluster whose lab this is (tabby up's; default ${DATA_DIR_DOC})`)
      .option('--state-dir <dir>', 'a stand-alone lab (tabby lab up) instead: where it keeps its state, datastore and logs');

  dirOpt(lab.command('up'))
    .description('create the lab and start its daemon (agents, responders, controller)')
    .option('--workers <n>', 'number of workers', intOption(1, 20), 2)
    .option('--host-endpoints', 'register a HostEndpoint (ibm.role: worker_public) for each worker public interface')
    .option('--api', 'also serve the Kubernetes API on 127.0.0.1 (kubeconfig in the state dir)')
    .option('--foreground', 'run the lab in this process until SIGINT/SIGTERM')
    .option('--dataplane <kind>', 'the agents\' dataplane: iptables (iptables + ipset) or nft (native nftables)', dataplaneOption, 'iptables')
    .option('--node-names <pattern>', 'worker node names, {i} for the index (e.g. kube-dal10-crc21191ee3997497ca90c8173bbdaf560-w{i}.cloud.ibm, the ibm-classic profile\'s)', 'worker{i}')
    .option('--distributed', 'a distributed control plane: etcd members, API servers and each worker\'s agent as separate processes in their own namespaces, joined with tokens over TLS')
    .option('--etcd-members <n>', 'with --distributed: etcd members', intOption(1, 7), 3)
    .option('--apiservers <n>', 'with --distributed: API servers', intOption(1, 5), 2)
    .addHelpText(
      'after',
      `
A distributed lab (--distributed) stores through its API servers; the host reaches them through
127.0.0.1 (a relay, no lab address on the host), with the kubeconfig in the state directory:
  tabby lab up --distributed --state-dir /tmp/tabby-dlab --workers 3
  kubectl --kubeconfig /tmp/tabby-dlab/admin.kubeconfig get nodes
  tabby lab down --state-dir /tmp/tabby-dlab
`,
    )
    .action(async (opts: unknown) => {
      if (_notRoot(ctx)) return;
      const dir = labStateDir(ctx, opts);
      const o = opts as { workers: number; dataplane: 'iptables' | 'nft'; etcdMembers: number; apiservers: number };
      const distributed = flag(opts, 'distributed');
      if (distributed && flag(opts, 'api')) {
        ctx.io.stderr('error: --api and --distributed: a distributed lab serves the API from its own API servers\n');
        ctx.exit(EXIT.usage);
        return;
      }
      const st = readLabState(dir);
      if (st !== undefined && (isAlive(st.daemonPid) || st.namespaces.length > 0) && st.daemonPid !== process.pid) {
        ctx.io.stderr(`a lab (${st.prefix}) is already recorded in ${dir}; run tabby lab down first\n`);
        ctx.exit(EXIT.failed);
        return;
      }
      if (!flag(opts, 'foreground')) {
        const { mkdirSync } = await import('node:fs');
        mkdirSync(dir, { recursive: true });
        rmSync(join(dir, STATE_FILE), { force: true });
        const out = openSync(join(dir, 'lab.log'), 'a');
        const args = [...process.execArgv, process.argv[1] ?? '', 'lab', 'up', '--foreground', '--state-dir', dir, '--workers', String(o.workers), '--dataplane', o.dataplane];
        if (flag(opts, 'hostEndpoints')) args.push('--host-endpoints');
        if (flag(opts, 'api')) args.push('--api');
        args.push('--node-names', stringOpt(opts, 'nodeNames') ?? 'worker{i}');
        if (distributed) args.push('--distributed', '--etcd-members', String(o.etcdMembers), '--apiservers', String(o.apiservers));
        const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', out, out] });
        child.unref();
        // A distributed lab starts etcd, API servers and an agent process per worker: allow more.
        for (let i = 0, n = distributed ? 3000 : 1200; i < n; i++) {
          const s = readLabState(dir);
          if (s?.ready === true) {
            ctx.io.stdout(`lab ${s.prefix} is up: ${s.plan.workers.length} workers, state in ${dir}\n`);
            if (s.distributed !== undefined)
              ctx.io.stdout(
                `control plane: ${s.plan.controlPlane?.etcd.length ?? 0} etcd members (${s.distributed.etcdEndpoints.join(', ')}), API servers ${s.distributed.apiservers.join(', ')}\n` +
                  `members: ${s.distributed.membersFile}\n` +
                  `kubectl --kubeconfig ${s.distributed.kubeconfig} get nodes\n` +
                  `tabby lab down --state-dir ${dir}\n`,
              );
            ctx.exit(EXIT.ok);
            return;
          }
          if (child.exitCode !== null) break;
          await sleep(100);
        }
        ctx.io.stderr(`the lab did not come up; see ${join(dir, 'lab.log')}\n`);
        await labDown(dir, (m) => ctx.io.stderr(`${m}\n`));
        ctx.exit(EXIT.failed);
        return;
      }
      const l = await Lab.up({
        stateDir: dir,
        workers: o.workers,
        nodeNames: stringOpt(opts, 'nodeNames') ?? 'worker{i}',
        ...(distributed ? { distributed: distributedOptions(o.etcdMembers, o.apiservers) } : { datastore: await openSqliteDatastore(join(dir, 'tabby.db')) }),
        hostEndpoints: flag(opts, 'hostEndpoints'),
        dataplane: o.dataplane,
        log: (m) => ctx.io.stderr(`${new Date().toISOString()} ${m}\n`),
      });
      const api = flag(opts, 'api') ? await runServer({ dataDir: dir, port: 0, datastore: l.ds }) : undefined;
      if (api) ctx.io.stderr(`API server ${api.url}; kubeconfig ${api.kubeconfigPath}; calicoctl config ${api.calicoctlCfgPath}\n`);
      ctx.io.stderr(`lab ${l.plan.prefix} up (${l.plan.workers.length} workers)\n`);
      const sig = await ctx.io.waitForShutdown();
      ctx.io.stderr(`${sig}: removing the lab\n`);
      await api?.stop();
      const errors = await l.down();
      await l.ds.close();
      for (const e of errors) ctx.io.stderr(`${e}\n`);
      if (errors.length === 0) rmSync(join(dir, STATE_FILE), { force: true });
      ctx.exit(errors.length === 0 ? EXIT.ok : EXIT.failed);
    });

  dirOpt(lab.command('down'))
    .description('remove exactly what up created (namespaces, processes)')
    .action(async (opts: unknown) => {
      if (_notRoot(ctx)) return;
      const errors = await labDown(labStateDir(ctx, opts), (m) => ctx.io.stderr(`${m}\n`));
      for (const e of errors) ctx.io.stderr(`${e}\n`);
      ctx.exit(errors.length === 0 ? EXIT.ok : EXIT.failed);
    });

  dirOpt(lab.command('status'))
    .description('workers, clients, pods and what each agent has programmed')
    .action(async (opts: unknown) => {
      const st = runningLab(ctx, opts);
      if (st === undefined) return;
      const dir = st.stateDir;
      const lines = [`lab ${st.prefix} (process ${st.daemonPid ?? '-'} running), state ${dir}, datastore ${st.distributed === undefined ? labDatastorePath(st) : `the API servers (kubeconfig ${st.distributed.kubeconfig})`}`];
      const ds = await openLabDatastore(st);
      const members = st.distributed === undefined ? undefined : readMembers(dir);
      for (const m of members?.members ?? []) lines.push(`member ${m.name}  netns ${m.netns}  pid ${m.pid ?? '-'}${m.pid !== undefined && isMemberProcess(m, m.pid) ? '' : ' (not running)'}  ${m.url}`);
      for (const w of st.plan.workers) {
        const s = ds ? await readNodeStatus(ds, w.name) : undefined;
        lines.push(`node ${w.name}  netns ${w.netns}  eth0 ${w.privateIp}  eth1 ${w.publicIp}  pods ${w.podCidr}  programmed-revision ${s?.revision ?? '-'}  policies ${s?.policyCount ?? '-'}${st.logFiles[w.name] ? `  log ${st.logFiles[w.name]}` : ''}`);
      }
      lines.push(`client internet  netns ${st.plan.internet.netns}  ${st.plan.internet.ip}`, `client system  netns ${st.plan.system.netns}  ${st.plan.system.ip}`);
      for (const p of st.pods) lines.push(`pod ${p.key}  node ${p.node}  ip ${p.ip}  netns ${p.netns}  tcp ${p.tcp.join(',') || '-'}  udp ${p.udp.join(',') || '-'}`);
      await ds?.close();
      ctx.io.stdout(`${lines.join('\n')}\n`);
      ctx.exit(EXIT.ok);
    });

  dirOpt(lab.command('exec'))
    .description('run a command inside a worker, pod (ns/name), internet or system namespace')
    .argument('<target>')
    .argument('<command...>')
    .allowUnknownOption()
    .option('--timeout <ms>', 'kill the command after this long', intOption(1, 3_600_000), 300_000)
    .action(async (target: string, command: string[], opts: unknown) => {
      if (_notRoot(ctx)) return;
      const st = runningLab(ctx, opts);
      if (st === undefined) return;
      const ns = _netnsOf(st, target);
      if (ns === undefined) {
        ctx.io.stderr(`unknown lab target ${JSON.stringify(target)} (a worker, ns/pod, internet or system)\n`);
        ctx.exit(EXIT.failed);
        return;
      }
      const r = await nodeRunner.run({ argv: ['ip', 'netns', 'exec', ns, ...command], timeoutMs: (opts as { timeout: number }).timeout });
      ctx.io.stdout(r.stdout);
      ctx.io.stderr(r.stderr);
      ctx.exit(r.code);
    });

  dirOpt(lab.command('probe'))
    .description('real connectivity matrix (TCP, UDP, ICMP) next to the engine verdicts; !! marks disagreements')
    .option('--timeout <ms>', 'per-probe timeout', intOption(10, 10_000), 300)
    .option('--pairs <n>', 'probe at most this many flows, spread evenly over the matrix (default: all)', intOption(1, 1_000_000))
    .option('-o, --output <format>', 'table or json', 'table')
    .action(async (opts: unknown) => {
      if (_notRoot(ctx)) return;
      const st = runningLab(ctx, opts);
      if (st === undefined) return;
      const ds = await openLabDatastore(st);
      if (ds === undefined) {
        ctx.io.stderr(`the lab's datastore ${labDatastorePath(st)} is missing\n`);
        return ctx.exit(EXIT.failed);
      }
      const procs = new Map<string, PodProcess>();
      try {
        const { snapshot } = await snapshotOf(ds);
        const sources: [string, string][] = [
          ...st.pods.map((p): [string, string] => [p.key, p.netns]),
          ...st.plan.workers.map((w): [string, string] => [`node:${w.name}`, w.netns]),
          ['internet', st.plan.internet.netns],
          ['system', st.plan.system.netns],
        ];
        for (const [k, ns] of sources) procs.set(k, new PodProcess(ns, { name: `probe ${k}`, tcp: [], udp: [], maxLifetimeMs: 600_000 }));
        await Promise.all([...procs.values()].map((p) => p.ready()));
        const view = { plan: st.plan, probe: (from: string, proto: 'tcp' | 'udp' | 'icmp', ip: string, port: number, t: number) => procs.get(from)?.probe(proto, ip, port, t) ?? Promise.resolve('error' as const) };
        const all = matrixFlows(view, st.pods, snapshot, { nodePorts: [10250, 52311] });
        const rows = await runProbe(view, snapshot, samplePairs(all, (opts as { pairs?: number }).pairs), (opts as { timeout: number }).timeout);
        if (stringOpt(opts, 'output') === 'json') ctx.io.stdout(`${JSON.stringify(rows, null, 2)}\n${rows.filter((r) => r.agree).length}/${rows.length} flows agree\n`);
        else ctx.io.stdout(formatProbe(rows));
        ctx.exit(rows.every((r) => r.agree) ? EXIT.ok : EXIT.failed);
      } finally {
        await Promise.all([...procs.values()].map((p) => p.stop()));
        await ds.close();
      }
    });

  lab
    .command('add-worker')
    .description('a worker joins the lab of the running tabby up (namespaces, Node, agent): its host endpoints come from the templates')
    .option('--data-dir <dir>', `the data directory tabby up uses (default ${DATA_DIR_DOC})`)
    .option('--timeout <ms>', 'how long to wait for the worker to be programmed', intOption(1000, 600_000), 90_000)
    .action(async (opts: unknown) => {
      if (_notRoot(ctx)) return;
      const c = locateCluster(stringOpt(opts, 'dataDir'), ctx.io.env);
      const dataDir = c.dir;
      const up = c.up;
      if (up === undefined || !c.running) {
        ctx.io.stderr(`${noClusterMessage(c)}\n`);
        return ctx.exit(EXIT.failed);
      }
      if (!up.lab) {
        ctx.io.stderr(`the tabby up on ${dataDir} runs without a lab (no enforcement): there is nothing to add a worker to\n`);
        return ctx.exit(EXIT.failed);
      }
      const ds = await openSqliteDatastore(join(dataDir, 'tabby.db'));
      try {
        const nodes = async (): Promise<string[]> => (await ds.list({ group: '', plural: 'nodes' })).items.map((n) => n.metadata.name ?? '');
        const before = new Set(await nodes());
        process.kill(up.pid, 'SIGUSR2');
        const deadline = Date.now() + (opts as { timeout: number }).timeout;
        for (;;) {
          const added = (await nodes()).find((n) => !before.has(n));
          const status = added === undefined ? undefined : await readNodeStatus(ds, added);
          if (added !== undefined && status !== undefined) {
            ctx.io.stdout(`worker ${added} joined: its agent programmed revision ${status.revision} (${status.policyCount} policies)\n`);
            return ctx.exit(EXIT.ok);
          }
          if (Date.now() > deadline) {
            ctx.io.stderr(`no new worker was programmed within ${Math.round((opts as { timeout: number }).timeout / 1000)} s (see tabby up's output)\n`);
            return ctx.exit(EXIT.failed);
          }
          await new Promise((r) => setTimeout(r, 200));
        }
      } finally {
        await ds.close();
      }
    });

  lab
    .command('verify')
    .description('differential test: seeded random clusters and policies, real probes vs engine verdicts (creates and removes its own lab)')
    .option('--cases <n>', 'number of random cases', intOption(1, 1_000_000), 200)
    .option('--seed <s>', 'random seed', intOption(0, 2 ** 31 - 1), 1)
    .option('--workers <n>', 'workers of the lab', intOption(1, 8), 2)
    .option('--timeout <ms>', 'per-probe timeout', intOption(10, 10_000), 300)
    .option('--no-host-local', 'leave out worker → pods on the same worker')
    .option('--state-dir <dir>', 'state directory of the verify lab (default: a fresh one under the data dir)')
    .option('--data-dir <dir>', `where the fresh state directory goes (default ${DATA_DIR_DOC})`)
    .option('--dataplane <kind>', 'the agents\' dataplane: iptables (iptables + ipset) or nft (native nftables)', dataplaneOption, 'iptables')
    .option('--ip-family <f>', 'which flows: 4 (IPv4), 6 (IPv6) or dual (both); 6 and dual bring up a dual-stack lab (IPv6 from 2001:db8::/32)', ipFamilyOption, 4)
    .option('--iptables-backend <b>', 'with --dataplane iptables, which iptables: default (the system\'s iptables, iptables-nft on Debian), nft or legacy', iptablesBackendOption, 'default')
    .option('--many-policies', '10-16 Calico policies per case (instead of 1-4), mostly port-bounded over many ports: exercises the class dispatch (nft verdict maps, iptables class trees)')
    .option('--distributed', 'verify on a distributed lab (etcd members, API servers and agents as processes in their own namespaces; see tabby lab up --help)')
    .option('--etcd-members <n>', 'with --distributed: etcd members', intOption(1, 7), 3)
    .option('--apiservers <n>', 'with --distributed: API servers', intOption(1, 5), 2)
    .action(async (opts: unknown) => {
      if (_notRoot(ctx)) return;
      const o = opts as { cases: number; seed: number; workers: number; timeout: number; dataplane: 'iptables' | 'nft'; ipFamily: 4 | 6 | 'dual'; iptablesBackend: 'default' | 'nft' | 'legacy'; etcdMembers: number; apiservers: number };
      if (o.dataplane === 'nft' && o.iptablesBackend !== 'default') {
        ctx.io.stderr('error: --iptables-backend applies to --dataplane iptables only\n');
        ctx.exit(EXIT.usage);
        return;
      }
      const distributed = flag(opts, 'distributed');
      if (distributed && (o.iptablesBackend !== 'default' || o.ipFamily !== 4)) {
        ctx.io.stderr('error: --distributed runs agents as `tabby agent` processes: IPv4 and the default iptables only (no --ip-family 6/dual, no --iptables-backend)\n');
        ctx.exit(EXIT.usage);
        return;
      }
      const dir = stringOpt(opts, 'stateDir') ?? join(resolveDataDir(stringOpt(opts, 'dataDir'), ctx.io.env), `lab-verify-${process.pid}`);
      const dualStack = o.ipFamily !== 4;
      ctx.io.stderr(`verify: bringing up a ${dualStack ? 'dual-stack ' : ''}${distributed ? 'distributed ' : ''}lab of ${o.workers} workers in ${dir}\n`);
      const l = distributed
        ? await Lab.up({ stateDir: dir, workers: o.workers, distributed: distributedOptions(o.etcdMembers, o.apiservers), dataplane: o.dataplane, log: (line) => ctx.io.stderr(`${line}\n`) })
        : await Lab.up({ stateDir: dir, workers: o.workers, datastore: await openMemoryDatastore(), dataplane: o.dataplane, iptablesBackend: o.iptablesBackend, dualStack });
      let code: number = EXIT.failed;
      try {
        const r = await runVerify(l, { cases: o.cases, seed: o.seed, timeoutMs: o.timeout, ipFamily: o.ipFamily, manyPolicies: flag(opts, 'manyPolicies'), includeHostLocal: (opts as { hostLocal?: boolean }).hostLocal !== false, log: (line) => ctx.io.stdout(`${line}\n`), progress: (line) => ctx.io.stderr(`${line}\n`) });
        if (r.classDispatch !== undefined) ctx.io.stderr(`verify: class dispatch in ${r.classDispatch.cases} of ${r.cases} cases (${r.classDispatch.chains} endpoint chains)\n`);
        ctx.io.stdout(`${r.cases} cases, seed ${o.seed}, ${(r.ms / 1000).toFixed(1)} s\n${r.agree}/${r.total} flows agree\n`);
        code = r.agree === r.total ? EXIT.ok : EXIT.failed;
      } finally {
        const errors = await l.down();
        for (const e of errors) ctx.io.stderr(`${e}\n`);
        // A failed run keeps its logs (the lab itself is gone): the agents' and members' logs say why.
        if (errors.length === 0 && code === EXIT.ok) rmSync(dir, { recursive: true, force: true });
        else if (errors.length === 0) ctx.io.stderr(`verify: the lab is down; its logs are kept in ${dir}\n`);
      }
      ctx.exit(code);
    });
  lab.addCommand(faultCommand(ctx));
  return lab;
}

/** `--iptables-backend`: default, nft or legacy. */
export function iptablesBackendOption(v: string): 'default' | 'nft' | 'legacy' {
  if (v === 'default' || v === 'nft' || v === 'legacy') return v;
  throw new InvalidArgumentError('must be default, nft or legacy');
}

/** `--ip-family`: 4, 6 or dual. */
export function ipFamilyOption(v: string): 4 | 6 | 'dual' {
  if (v === '4' || v === '6') return Number(v) as 4 | 6;
  if (v === 'dual') return 'dual';
  throw new InvalidArgumentError('must be 4, 6 or dual');
}

/** At most `n` flows, spread evenly over `flows` (all of them without `n`). */
export function samplePairs<T>(flows: readonly T[], n: number | undefined): T[] {
  if (n === undefined || n >= flows.length) return [...flows];
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(flows[Math.floor((i * flows.length) / n)]!);
  return out;
}
