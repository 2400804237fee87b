/**
 * @module `tabby agent --node <name> [--netns NS] [--config calicoctl.cfg] [--nflog-group N]`:
 * runs the per-node agent (see agent/main.ts) against the datastore the calicoctl config names
 * (embedded SQLite, etcd, or the Kubernetes API of a Tabby server), until SIGINT/SIGTERM.
 */
import { Command } from 'commander';
import { runAgent } from '../../agent/main.js';
import { nodeRunner } from '../../sys/index.js';
import { loadCalicoctlConfig } from '../calicoctl/config.js';
import { openDatastoreFromConfig } from '../datastore-config.js';
import { DATA_DIR_DOC } from '../paths.js';
import { EXIT, dataplaneOption, intOption, stringOpt, type CommandContext } from './context.js';

export function agentCommand(ctx: CommandContext): Command {
  return new Command('agent')
    .description('program one node: watch the datastore and keep iptables and IP sets in line with policy')
    .requiredOption('--node <name>', 'the node this agent programs (its workloads and host endpoints)')
    .option('--netns <name>', 'run iptables and ipset inside this network namespace')
    .option('-c, --config <file>', 'calicoctl config naming the datastore (default /etc/calico/calicoctl.cfg, else the environment, else the running cluster of --data-dir)')
    .option('--data-dir <dir>', `the cluster to join without -c (default ${DATA_DIR_DOC})`)
    .option('--nflog-group <n>', 'log Log-rule packets with NFLOG to this group instead of LOG', intOption(0, 65535))
    .option('--min-apply-interval <ms>', 'at least this long between applies', intOption(0, 60_000), 50)
    .option('--dataplane <kind>', 'iptables (iptables + ipset) or nft (native nftables, table ip tabby)', dataplaneOption, 'iptables')
    .action(async (opts: unknown) => {
      const o = opts as { nflogGroup?: number; minApplyInterval: number; dataplane: 'iptables' | 'nft' };
      const node = stringOpt(opts, 'node') ?? '';
      const cfg = await loadCalicoctlConfig(ctx.io, stringOpt(opts, 'config'), { dataDir: stringOpt(opts, 'dataDir') });
      if (!cfg.ok || cfg.value.missing !== undefined) {
        ctx.io.stderr(`Failed to create Calico API client: ${cfg.ok ? cfg.value.missing : cfg.error}\n`);
        ctx.exit(EXIT.failed);
        return;
      }
      if (cfg.value.note !== undefined) ctx.io.stderr(`tabby agent: ${cfg.value.note}\n`);
      let datastore;
      try {
        datastore = await openDatastoreFromConfig(cfg.value.spec, { env: ctx.io.env });
      } catch (e) {
        ctx.io.stderr(`${e instanceof Error ? e.message : String(e)}\n`);
        ctx.exit(EXIT.failed);
        return;
      }
      const netns = stringOpt(opts, 'netns');
      const agent = runAgent({
        node,
        datastore,
        runner: nodeRunner,
        ...(netns !== undefined ? { netns } : {}),
        ...(o.nflogGroup !== undefined ? { nflogGroup: o.nflogGroup } : {}),
        minApplyIntervalMs: o.minApplyInterval,
        dataplane: o.dataplane,
        log: (line) => ctx.io.stderr(`${new Date().toISOString()} ${line}\n`),
      });
      ctx.io.stderr(`tabby agent for node ${node}${netns !== undefined ? ` (netns ${netns})` : ''} on ${datastore.description}\n`);
      const sig = await ctx.io.waitForShutdown();
      ctx.io.stderr(`${sig}: stopping\n`);
      await agent.stop();
      await datastore.close();
      ctx.exit(EXIT.ok);
    });
}
