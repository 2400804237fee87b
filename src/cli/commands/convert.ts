/**
 * @module `tabby convert -f k8s-policy.yaml [-o yaml|json]`: prints the Calico policy each
 * Kubernetes policy becomes, as Calico enforces it: a NetworkPolicy → NetworkPolicy
 * `knp.default.<name>`; an AdminNetworkPolicy / BaselineAdminNetworkPolicy → GlobalNetworkPolicy
 * `kanp.adminnetworkpolicy.<name>` / `kbanp.baselineadminnetworkpolicy.<name>` (egress `nodes`
 * peers resolve against the Nodes in the same input).
 */
import { Command, Option } from 'commander';
import { stringify } from 'yaml';
import {
  adminPolicyNodes,
  convertAdminNetworkPolicy,
  convertBaselineAdminNetworkPolicy,
  convertKubernetesNetworkPolicy,
  type AdminConversionContext,
} from '../../model/convert/index.js';
import type { FieldError } from '../../model/field/errors.js';
import { formatLine } from '../../model/field/format.js';
import { readManifests } from '../input/read-manifests.js';
import { printErrors } from '../output/located.js';
import { collect, EXIT, flag, stringList, stringOpt, type CommandContext } from './context.js';

type Converter = (raw: unknown, ctx: AdminConversionContext) => { readonly policy: unknown; readonly errors: readonly FieldError[] };

/** The Kubernetes policy kinds Calico converts, by `group/Kind`. */
const CONVERTERS: ReadonlyMap<string, Converter> = new Map<string, Converter>([
  ['networking.k8s.io/NetworkPolicy', (raw) => convertKubernetesNetworkPolicy(raw)],
  ['policy.networking.k8s.io/AdminNetworkPolicy', convertAdminNetworkPolicy],
  ['policy.networking.k8s.io/BaselineAdminNetworkPolicy', convertBaselineAdminNetworkPolicy],
]);

export function convertCommand(ctx: CommandContext): Command {
  return new Command('convert')
    .description('print the Calico policy each Kubernetes NetworkPolicy, AdminNetworkPolicy and BaselineAdminNetworkPolicy converts to')
    .option('-f, --filename <path>', 'a file, a folder, or - for standard input (repeatable)', collect)
    .option('-R, --recursive', 'also read the subfolders of folders given with -f', false)
    .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
    .action(async (opts: unknown) => {
      const files = stringList(opts, 'filename');
      if (files.length === 0) {
        ctx.io.stderr('tabby convert: at least one -f <file|dir|-> is required\n');
        ctx.exit(EXIT.usage);
        return;
      }
      ctx.exit(await runConvert(ctx, files, flag(opts, 'recursive'), stringOpt(opts, 'output') ?? 'yaml'));
    });
}

async function runConvert(ctx: CommandContext, args: readonly string[], recursive: boolean, output: string): Promise<number> {
  const { io } = ctx;
  const read = await readManifests(io, args, recursive);
  for (const p of read.problems) io.stderr(`tabby: ${p}\n`);
  let failed = read.problems.length > 0;
  const out: unknown[] = [];
  const context: AdminConversionContext = { nodes: adminPolicyNodes(read.files.flatMap((f) => f.result.resources.map((r) => r.raw as Parameters<typeof adminPolicyNodes>[0][number]))) };
  for (const f of read.files) {
    printErrors(io, f.result.errors);
    if (f.result.errors.length > 0) failed = true;
    for (const r of f.result.resources) {
      const where = `${r.location.file}:${r.location.line}:${r.location.col}`;
      const convert = CONVERTERS.get(`${r.info.group}/${r.info.kind}`);
      if (convert === undefined) {
        io.stderr(`${where}: skipped: ${r.info.kind} is not a Kubernetes NetworkPolicy, AdminNetworkPolicy or BaselineAdminNetworkPolicy\n`);
        continue;
      }
      let conv: ReturnType<Converter>;
      try {
        conv = convert(r.raw, context);
      } catch (e) {
        io.stderr(`${where}: cannot convert: ${e instanceof Error ? e.message : String(e)}\n`);
        failed = true;
        continue;
      }
      for (const e of conv.errors) io.stderr(`${where}: ${conv.policy ? 'warning: ' : ''}${formatLine(e)}\n`);
      if (conv.policy === undefined) failed = true;
      else out.push(conv.policy);
    }
  }
  if (output === 'json') {
    const body = out.length === 1 ? out[0] : { apiVersion: 'v1', kind: 'List', items: out };
    if (out.length > 0) io.stdout(`${JSON.stringify(body, null, 2)}\n`);
  } else {
    io.stdout(out.map((p) => stringify(p, { lineWidth: 0, indentSeq: false })).join('---\n'));
  }
  return failed ? EXIT.failed : EXIT.ok;
}
