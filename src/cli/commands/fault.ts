/**
 * @module `tabby lab fault kill|partition|heal|restart|status` (root only, but `status`): faults
 * injected into the running lab the data dir's (or `--state-dir`'s) lab state describes, inside
 * the lab only (src/lab/faults). `partition` drops every packet between a worker's namespace and
 * the rest of the lab (an nftables table in the lab's fabric namespace, recorded in
 * `<state dir>/faults.json`); `heal` removes exactly what faults.json records. `restart agent`
 * restarts one worker's agent. `kill` needs the distributed lab (etcd members and API servers in
 * namespaces of their own); the single-machine lab's datastore and API server live inside its
 * daemon, so there is nothing separate to kill and the command says so.
 */
import { Command } from 'commander';
import { nodeRunner } from '../../sys/index.js';
import { healPartitions, partitionWorker, readFaults, restartLabAgent } from '../../lab/faults/index.js';
import type { LabState } from '../../lab/controller.js';
import { DATA_DIR_DOC } from '../paths.js';
import { runningLab } from './lab.js';
import { EXIT, intOption, type CommandContext } from './context.js';

const HELP = `
Faults stay until healed: \`tabby lab fault heal\` removes every partition this command
recorded (<state dir>/faults.json) and nothing else. A restarted agent comes back at once
(fail-closed rules first, then a fresh list of the datastore).

Examples:
  sudo tabby lab fault partition worker-2
  sudo tabby lab fault heal
  sudo tabby lab fault restart agent worker-1
  tabby lab fault status
`;

function _notRoot(ctx: CommandContext): boolean {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    ctx.io.stderr('tabby lab fault needs root: it changes rules inside the lab\'s network namespaces\n');
    ctx.exit(EXIT.failed);
    return true;
  }
  return false;
}

const _dirOpts = (c: Command): Command =>
  c
    .option('--data-dir <dir>', `the cluster whose lab this is (tabby up's; default ${DATA_DIR_DOC})`)
    .option('--state-dir <dir>', 'a stand-alone lab (tabby lab up) instead: where it keeps its state');

/** Runs `f` on the running lab, turning an error into one line on stderr and exit 1. */
async function _onLab(ctx: CommandContext, opts: unknown, root: boolean, f: (st: LabState) => Promise<string>): Promise<void> {
  if (root && _notRoot(ctx)) return;
  const st = runningLab(ctx, opts);
  if (st === undefined) return;
  try {
    ctx.io.stdout(`${await f(st)}\n`);
    ctx.exit(EXIT.ok);
  } catch (e) {
    ctx.io.stderr(`tabby lab fault: ${e instanceof Error ? e.message : String(e)}\n`);
    ctx.exit(EXIT.failed);
  }
}

export function faultCommand(ctx: CommandContext): Command {
  const fault = new Command('fault').description('inject faults into the running lab: kill a member, partition a worker, heal, restart an agent (root only)').addHelpText('after', HELP);

  _dirOpts(fault.command('partition'))
    .description('drop every packet between a worker\'s namespace and the rest of the lab (until heal)')
    .argument('<worker>', 'a worker\'s node name, or worker-N')
    .action(async (worker: string, opts: unknown) =>
      _onLab(ctx, opts, true, async (st) => {
        const p = await partitionWorker(nodeRunner, st, worker);
        return `worker ${p.worker} partitioned: its links ${p.ports.join(', ')} in ${p.fabricNetns} drop every packet (until tabby lab fault heal)`;
      }),
    );

  _dirOpts(fault.command('heal'))
    .description('remove every partition tabby lab fault installed (as recorded in faults.json)')
    .action(async (opts: unknown) =>
      _onLab(ctx, opts, true, async (st) => {
        const r = await healPartitions(nodeRunner, st);
        if (r.partitions.length === 0) return 'nothing to heal';
        return r.partitions.map((p) => `worker ${p.worker} healed (the partition dropped ${p.dropped ?? '?'} packets)`).join('\n');
      }),
    );

  _dirOpts(fault.command('restart'))
    .description('restart a worker\'s agent (it comes back at once: fail-closed first, then a fresh list)')
    .argument('<what>', 'agent')
    .argument('<worker>', 'a worker\'s node name, or worker-N')
    .option('--timeout <ms>', 'how long to wait for the lab to restart it', intOption(1000, 600_000), 30_000)
    .action(async (what: string, worker: string, opts: unknown) => {
      if (what !== 'agent') {
        ctx.io.stderr(`tabby lab fault restart: unknown ${JSON.stringify(what)} (supported: agent)\n`);
        return ctx.exit(EXIT.usage);
      }
      return _onLab(ctx, opts, true, async (st) => restartLabAgent(st, worker, (opts as { timeout: number }).timeout));
    });

  _dirOpts(fault.command('kill'))
    .description('kill an etcd member or API server of the distributed lab (heal starts it again)')
    .argument('<member>', 'etcd-N or apiserver-N')
    .action(async (member: string, opts: unknown) =>
      _onLab(ctx, opts, true, async (st) => {
        throw new Error(
          `kill ${member}: the lab ${st.prefix} in ${st.stateDir} is a single-machine lab, whose datastore and API server run inside the lab daemon; killing an etcd member or API server needs the distributed lab`,
        );
      }),
    );

  _dirOpts(fault.command('status'))
    .description('the faults in force')
    .action(async (opts: unknown) =>
      _onLab(ctx, opts, false, async (st) => {
        const f = readFaults(st.stateDir);
        if (f.partitions.length === 0) return 'no faults in force';
        return f.partitions.map((p) => `partition ${p.worker} since ${p.since} (links ${p.ports.join(', ')} in ${p.fabricNetns}, table bridge ${p.table})`).join('\n');
      }),
    );
  return fault;
}
