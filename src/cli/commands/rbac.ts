/**
 * @module `tabby rbac`: the ClusterRole the live-cluster reader needs (exactly the types and
 * verbs it uses, from the same table it reads by) and a ClusterRoleBinding example, ready for
 * `kubectl apply -f -`. The Calico API group is the cluster's (`--kubeconfig`, by discovery)
 * or `--calico-api`; default `projectcalico.org` (the Calico API server).
 */
import { Command, Option } from 'commander';
import { stringify } from 'yaml';
import { CALICO_CRD, CALICO_V3, discover, KubeApi, loadKubeconfig, readerRole, type CalicoApi } from '../live/index.js';
import { EXIT, stringOpt, type CommandContext } from './context.js';

export function rbacCommand(ctx: CommandContext): Command {
  return new Command('rbac')
    .description('print the ClusterRole (and a binding) with exactly what `--kubeconfig` reading needs: list and watch on the types the engine reads')
    .addOption(new Option('--calico-api <group>', 'the Calico API the cluster offers (default: projectcalico.org, or what --kubeconfig discovery shows)').choices([CALICO_V3, CALICO_CRD, 'none']))
    .option('--kubeconfig <file>', 'ask this cluster which Calico API it offers (discovery only)')
    .option('--context <name>', 'the kubeconfig context')
    .option('--service-account <namespace/name>', 'the subject of the example binding', 'tabby/tabby-reader')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
    .action(async (opts: unknown) => ctx.exit(await runRbac(ctx, opts)));
}

async function runRbac(ctx: CommandContext, opts: unknown): Promise<number> {
  const { io } = ctx;
  const sa = stringOpt(opts, 'serviceAccount') ?? 'tabby/tabby-reader';
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$/.exec(sa);
  if (m === null) {
    io.stderr(`tabby rbac: --service-account must be namespace/name (DNS labels), got ${JSON.stringify(sa)}\n`);
    return EXIT.usage;
  }
  let api = stringOpt(opts, 'calicoApi') as CalicoApi | undefined;
  const kubeconfig = stringOpt(opts, 'kubeconfig');
  if (kubeconfig !== undefined) {
    if (api !== undefined) {
      io.stderr('tabby rbac: give either --calico-api or --kubeconfig, not both\n');
      return EXIT.usage;
    }
    const cfg = await loadKubeconfig(io, kubeconfig, stringOpt(opts, 'context'));
    if (!cfg.ok) {
      io.stderr(`tabby rbac: ${cfg.error}\n`);
      return EXIT.failed;
    }
    const client = new KubeApi(cfg.value);
    try {
      api = (await discover(client)).calicoApi;
    } catch (e) {
      io.stderr(`tabby rbac: ${e instanceof Error ? e.message : String(e)}\n`);
      return EXIT.failed;
    } finally {
      client.close();
    }
  }
  const { role, binding } = readerRole(api ?? CALICO_V3, { namespace: m[1]!, serviceAccount: m[3]! });
  if (stringOpt(opts, 'output') === 'json') {
    io.stdout(`${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [role, binding] }, null, 2)}\n`);
    return EXIT.ok;
  }
  io.stdout(
    `# What \`tabby … --kubeconfig\` reads (list, paged; \`tabby dashboard\` also watches), nothing else.\n` +
      `# Discovery (/api, /apis) needs no rule: Kubernetes' system:discovery role allows it to every authenticated user.\n` +
      stringify(role, { lineWidth: 0 }) +
      `---\n# An example binding: a ServiceAccount for tabby (create it first: kubectl -n ${m[1]!} create serviceaccount ${m[3]!}).\n` +
      stringify(binding, { lineWidth: 0 }),
  );
  return EXIT.ok;
}
