/**
 * @module `tabby server [--data-dir DIR] [--port N] [--host H]`: the Kubernetes-compatible API
 * server on the embedded datastore in DIR (default: see paths.ts). Writes DIR/admin.kubeconfig
 * and DIR/calicoctl.cfg, prints how to use them, and runs until SIGINT/SIGTERM.
 */
import { Command, InvalidArgumentError } from 'commander';
import { runServer } from '../../apiserver/main.js';
import { defaultDataDir } from '../paths.js';
import { EXIT, stringOpt, type CommandContext } from './context.js';

export function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
}

export function serverCommand(ctx: CommandContext): Command {
  return new Command('server')
    .description('run the Kubernetes-compatible API server (kubectl and calicoctl talk to it)')
    .option('--data-dir <dir>', 'where the datastore, certificates, tokens and configs live')
    .option('--port <n>', 'HTTPS port (0 picks a free one)', parsePort, 6443)
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .action(async (opts: unknown) => {
      const dataDir = stringOpt(opts, 'dataDir') ?? defaultDataDir(ctx.io.env);
      const o = opts as { port: number };
      const s = await runServer({
        dataDir,
        port: o.port,
        host: stringOpt(opts, 'host') ?? '127.0.0.1',
        log: (line) => ctx.io.stderr(`${line}\n`),
      });
      ctx.io.stdout(
        `Tabby API server listening on ${s.url} (data in ${dataDir})\n` +
          `  export KUBECONFIG=${s.kubeconfigPath}\n` +
          `  calicoctl --config=${s.calicoctlCfgPath} get nodes\n`,
      );
      const sig = await ctx.io.waitForShutdown();
      ctx.io.stderr(`${sig}: stopping\n`);
      await s.stop();
      ctx.exit(EXIT.ok);
    });
}
