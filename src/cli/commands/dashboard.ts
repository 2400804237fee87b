/**
 * @module `tabby dashboard --kubeconfig FILE [--context C] [--port N] [--host H]`: the web
 * dashboard on a live cluster, read-only. The cluster is read as the analysis commands read it
 * (discovery; Calico's resources from projectcalico.org/v3, else the crd.projectcalico.org/v1
 * CRDs translated; `tabby rbac`'s role) and then followed (list + watch, live/live.ts); a local
 * server (127.0.0.1 by default) serves the dashboard's bundle and answers its reads from that
 * live view (live/read-only-api.ts). Writes are refused (405) and the page hides its write
 * actions. Runs until Ctrl-C, or until the cluster is lost (then exits 1 saying why).
 */
import { Command } from 'commander';
import { runReadOnlyDashboard } from '../../apiserver/read-only-dashboard.js';
import { CALICO_V3, createReadOnlyApi, discover, KubeApi, LiveCluster, loadKubeconfig, qualifiedName, ReaderError } from '../live/index.js';
import { plural } from '../output/located.js';
import { EXIT, intOption, stringOpt, type CommandContext } from './context.js';

export function dashboardCommand(ctx: CommandContext): Command {
  return new Command('dashboard')
    .description('serve the web dashboard read-only on a live cluster (--kubeconfig): listed, then watched; prints its URL')
    .requiredOption('--kubeconfig <file>', 'the cluster to show (read with list and watch: `tabby rbac` prints the role)')
    .option('--context <name>', 'the kubeconfig context')
    .option('--port <n>', 'local port (default: a free one)', intOption(0, 65535))
    .option('--host <address>', 'local address to listen on', '127.0.0.1')
    .option('--chunk-size <n>', 'list this many objects per request (default 500, as kubectl)', intOption(1, 100_000))
    .option('--ui-dir <dir>', 'the built dashboard bundle (default: dist/ui of this package)')
    .action(async (opts: unknown) => ctx.exit(await runDashboard(ctx, opts)));
}

async function runDashboard(ctx: CommandContext, opts: unknown): Promise<number> {
  const { io } = ctx;
  const o = opts as { kubeconfig: string; port?: number; host: string; chunkSize?: number };
  const say = (line: string): void => io.stderr(`tabby dashboard: ${line}\n`);
  const cfg = await loadKubeconfig(io, o.kubeconfig, stringOpt(opts, 'context'));
  if (!cfg.ok) {
    say(cfg.error);
    return EXIT.failed;
  }
  let api: KubeApi;
  try {
    api = new KubeApi({ ...cfg.value, ...(o.chunkSize !== undefined ? { pageSize: o.chunkSize } : {}) });
  } catch (e) {
    say(`${o.kubeconfig}: ${e instanceof Error ? e.message : String(e)}`);
    return EXIT.failed;
  }
  let live: LiveCluster | undefined;
  try {
    const d = await discover(api);
    if (d.calicoApi === 'none') say('the cluster offers neither projectcalico.org/v3 nor crd.projectcalico.org/v1; showing its Kubernetes policies only');
    if (d.missing.length > 0) say(`the cluster does not serve ${d.missing.map(qualifiedName).join(', ')}; shown without them`);
    live = new LiveCluster(api, d, { log: (l) => say(l) });
    await live.start();
    const decoded = live.resources();
    for (const p of decoded.problems) say(p);
    if (decoded.invalid > 0) say(`left out ${plural(decoded.invalid, 'object')} that did not decode (the page lists them too)`);
    const origin = `cluster ${api.server} (${d.calicoApi === 'none' ? 'no Calico API' : d.calicoApi === CALICO_V3 ? 'projectcalico.org/v3' : 'crd.projectcalico.org/v1'})`;
    const server = await runReadOnlyDashboard({
      apiFetch: createReadOnlyApi(live, { origin }),
      origin,
      host: o.host,
      port: o.port ?? 0,
      uiDir: stringOpt(opts, 'uiDir'),
    });
    if (!/^(127\.\d+\.\d+\.\d+|::1|localhost)$/.test(o.host))
      say(`listening on ${o.host}: plain HTTP, so the page's token and the cluster's objects cross the network unencrypted; prefer 127.0.0.1 and an SSH tunnel`);
    io.stdout(
      `tabby dashboard: a read-only view of ${origin}: ${plural(decoded.resources.length, 'object')}, kept live (list + watch)\n` +
        `Open ${server.dashboardUrl}\n` +
        `Stop with Ctrl-C.\n`,
    );
    const why = await Promise.race([io.waitForShutdown().then((sig) => ({ sig })), live.failed.then((err) => ({ err }))]);
    await server.stop();
    if ('err' in why) {
      say(why.err.message);
      return EXIT.failed;
    }
    say(`${why.sig}: stopping`);
    return EXIT.ok;
  } catch (e) {
    say(e instanceof ReaderError ? e.message : e instanceof Error ? (e.message.split('\n')[0] ?? '') : String(e));
    return EXIT.failed;
  } finally {
    live?.close();
    api.close();
  }
}
