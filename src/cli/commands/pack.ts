/**
 * @module `tabby pack list | show NAME [--set k=v]... | apply NAME [--set k=v]... [--dry-run] | remove NAME [--dry-run]`:
 * the seed's policy sets as packs with parameters (src/cluster/packs). `apply` writes through
 * the ResourceClient to the cluster of `-c calicoctl.cfg`, else the one `tabby up` runs on the
 * data dir (DIR/calicoctl.cfg), else the embedded datastore of the data dir.
 */
import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { ResourceClient } from '../../client/index.js';
import type { Datastore } from '../../datastore/index.js';
import type { CalicoAPIConfigSpec } from '../../model/calico/other-types.js';
import { PACKS, applyPack, removePack, renderPack, type PackDefinition, type RenderedPack } from '../../cluster/index.js';
import { loadCalicoctlConfig } from '../calicoctl/config.js';
import { describeError } from '../calicoctl/errors.js';
import { toCalicoYaml } from '../calicoctl/output/yaml.js';
import { openDatastoreFromConfig } from '../datastore-config.js';
import { DATA_DIR_DOC } from '../paths.js';
import { hasDatastore, locateCluster, noClusterMessage } from '../cluster-dir.js';
import { EXIT, collect, flag, stringList, stringOpt, type CommandContext } from './context.js';

function _sets(opts: unknown): { values: Record<string, string>; errors: string[] } {
  const values: Record<string, string> = {};
  const errors: string[] = [];
  for (const s of stringList(opts, 'set')) {
    const i = s.indexOf('=');
    if (i <= 0) errors.push(`--set ${s}: want name=value`);
    else values[s.slice(0, i)] = s.slice(i + 1);
  }
  return { values, errors };
}

function _render(ctx: CommandContext, name: string, opts: unknown): RenderedPack | undefined {
  const pack = PACKS.find((p) => p.name === name);
  if (pack === undefined) {
    ctx.io.stderr(`tabby pack: unknown pack ${JSON.stringify(name)} (see tabby pack list)\n`);
    ctx.exit(EXIT.usage);
    return undefined;
  }
  const { values, errors } = _sets(opts);
  const r = renderPack(pack, values);
  const all = [...errors, ...(r.ok ? [] : r.error)];
  if (all.length > 0 || !r.ok) {
    ctx.io.stderr(`tabby pack ${name}: ${all.length} problem${all.length === 1 ? '' : 's'}:\n${all.map((e) => `  ${e}\n`).join('')}`);
    ctx.exit(EXIT.usage);
    return undefined;
  }
  return r.value;
}

const _paramText = (p: PackDefinition): string =>
  p.params.length === 0 ? '-' : p.params.map((x) => (x.default === undefined ? `${x.name} (required)` : `${x.name}=${x.default}`)).join(', ');

function _list(ctx: CommandContext): void {
  const rows = PACKS.map((p) => [p.name, _paramText(p), p.description]);
  const w0 = Math.max(4, ...rows.map((r) => r[0]!.length));
  const w1 = Math.max(10, ...rows.map((r) => r[1]!.length));
  const line = (r: readonly string[]): string => `${r[0]!.padEnd(w0)}   ${r[1]!.padEnd(w1)}   ${r[2]}\n`;
  ctx.io.stdout(line(['NAME', 'PARAMETERS', 'DESCRIPTION']) + rows.map(line).join(''));
}

function _show(ctx: CommandContext, r: RenderedPack): void {
  const p = r.pack;
  let out = `# Pack ${p.name}: ${p.description}\n# From the seed: "${p.seed}"\n`;
  for (const x of p.params) out += `# --set ${x.name}=${r.values[x.name] ?? ''}   ${x.description}\n`;
  for (const t of p.hostEndpointTemplates ?? [])
    out += `# Adds the host endpoint template ${t.generateName ?? ''} (interface ${t.interfacePattern ?? ''}, labels ${Object.entries(t.labels ?? {}).map(([k, v]) => `${k}: ${v}`).join(', ')}) to KubeControllersConfiguration default: one HostEndpoint per worker, kept current as workers join\n`;
  out += r.manifests.map((m) => toCalicoYaml(m)).join('---\n');
  ctx.io.stdout(out);
}

/**
 * The cluster a pack command writes to: `-c`, else the running tabby up of the data dir (its
 * calicoctl.cfg), else the datastore a stopped cluster left there; with none, it says so.
 */
async function _openCluster(ctx: CommandContext, verb: string, opts: unknown): Promise<Datastore | undefined> {
  const io = ctx.io;
  const c = locateCluster(stringOpt(opts, 'dataDir'), io.env);
  const cfgPath = stringOpt(opts, 'config') ?? (c.running && existsSync(c.calicoctlCfg) ? c.calicoctlCfg : undefined);
  if (cfgPath === undefined && !hasDatastore(c)) {
    io.stderr(`tabby pack ${verb}: ${noClusterMessage(c)}\n`);
    ctx.exit(EXIT.failed);
    return undefined;
  }
  let spec: CalicoAPIConfigSpec = { datastoreType: 'embedded', embeddedPath: c.datastore };
  if (cfgPath !== undefined) {
    const loaded = await loadCalicoctlConfig(io, cfgPath);
    if (!loaded.ok) {
      io.stderr(`tabby pack ${verb}: ${loaded.error}\n`);
      ctx.exit(EXIT.failed);
      return undefined;
    }
    spec = loaded.value.spec;
  }
  try {
    return await openDatastoreFromConfig(spec, { env: io.env });
  } catch (e) {
    io.stderr(`tabby pack ${verb}: ${e instanceof Error ? e.message : String(e)}\n`);
    ctx.exit(EXIT.failed);
    return undefined;
  }
}

async function _remove(ctx: CommandContext, name: string, opts: unknown): Promise<void> {
  const io = ctx.io;
  const pack = PACKS.find((p) => p.name === name);
  if (pack === undefined) {
    io.stderr(`tabby pack: unknown pack ${JSON.stringify(name)} (see tabby pack list)\n`);
    return ctx.exit(EXIT.usage);
  }
  const ds = await _openCluster(ctx, 'remove', opts);
  if (ds === undefined) return;
  const dryRun = flag(opts, 'dryRun');
  try {
    const results = await removePack(new ResourceClient(ds), pack, { dryRun });
    for (const x of results) io.stdout(`${x.id}: ${x.outcome}${x.why === undefined ? '' : ` (${x.why})`}${dryRun ? ' (dry run)' : ''}\n`);
    const n = results.filter((x) => x.outcome === 'deleted').length;
    io.stdout(`Pack ${pack.name} removed${dryRun ? ' (dry run)' : ''}: ${n} object${n === 1 ? '' : 's'} deleted\n`);
    ctx.exit(EXIT.ok);
  } catch (e) {
    io.stderr(`tabby pack remove ${pack.name}: ${describeError(e, 'resource', undefined, '', 'delete')}\n`);
    ctx.exit(EXIT.failed);
  } finally {
    await ds.close();
  }
}

async function _apply(ctx: CommandContext, r: RenderedPack, opts: unknown): Promise<void> {
  const io = ctx.io;
  const ds = await _openCluster(ctx, 'apply', opts);
  if (ds === undefined) return;
  const dryRun = flag(opts, 'dryRun');
  try {
    const results = await applyPack(new ResourceClient(ds), r, { dryRun });
    for (const x of results) io.stdout(`${x.id}: ${x.outcome}${dryRun ? ' (dry run)' : ''}\n`);
    io.stdout(`Pack ${r.pack.name} applied${dryRun ? ' (dry run)' : ''}: ${results.length} object${results.length === 1 ? '' : 's'}\n`);
    ctx.exit(EXIT.ok);
  } catch (e) {
    io.stderr(`tabby pack apply ${r.pack.name}: ${describeError(e, 'resource', undefined, '', 'apply')}\n`);
    ctx.exit(EXIT.failed);
  } finally {
    await ds.close();
  }
}

export function packCommand(ctx: CommandContext): Command {
  const pack = new Command('pack').description("policy packs: the seed's policy sets, with parameters");
  pack.command('list').description('list the packs').action(() => _list(ctx));
  pack
    .command('show')
    .description('print the resources a pack would write')
    .argument('<name>')
    .option('--set <name=value>', 'a parameter (repeatable)', collect)
    .action((name: string, opts: unknown) => {
      const r = _render(ctx, name, opts);
      if (r !== undefined) _show(ctx, r);
    });
  pack
    .command('apply')
    .description('validate and write a pack (calicoctl apply semantics)')
    .argument('<name>')
    .option('--set <name=value>', 'a parameter (repeatable)', collect)
    .option('--dry-run', 'validate against the cluster and report, write nothing', false)
    .option('-c, --config <file>', 'calicoctl.cfg of the cluster (default: DIR/calicoctl.cfg of a running tabby up, else the embedded datastore in DIR)')
    .option('--data-dir <dir>', `the cluster: the data directory tabby up uses (default ${DATA_DIR_DOC})`)
    .action(async (name: string, opts: unknown) => {
      const r = _render(ctx, name, opts);
      if (r !== undefined) await _apply(ctx, r, opts);
    });
  pack
    .command('remove')
    .description('delete what a pack wrote (its labelled policies and sets, its host endpoint templates); namespaces are kept')
    .argument('<name>')
    .option('--dry-run', 'report what would be deleted, delete nothing', false)
    .option('-c, --config <file>', 'calicoctl.cfg of the cluster (default: DIR/calicoctl.cfg of a running tabby up, else the embedded datastore in DIR)')
    .option('--data-dir <dir>', `the cluster: the data directory tabby up uses (default ${DATA_DIR_DOC})`)
    .action(async (name: string, opts: unknown) => _remove(ctx, name, opts));
  return pack;
}
