/**
 * @module `tabby pack list | show NAME [--set k=v]... | apply NAME [--set k=v]... [--dry-run] | remove NAME [--dry-run]`:
 * the seed's policy sets as packs with parameters (src/cluster/packs). `apply` writes through
 * the ResourceClient to the cluster of `-c calicoctl.cfg`, else the one `tabby up` runs on the
 * data dir (DIR/calicoctl.cfg), else the datastore a stopped cluster left there. Parameters
 * marked `fromCluster` default to the cluster's own values (pod network, private networks, LB
 * address); before writing, the engine checks that the pack cuts none of the cluster's own
 * open paths (pod to pod, worker to worker, the kubelet), and `apply` refuses unless `--force`.
 */
import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { ResourceClient } from '../../client/index.js';
import type { Datastore, StoredObject } from '../../datastore/index.js';
import type { CalicoAPIConfigSpec } from '../../model/calico/other-types.js';
import {
  DEFAULT_PROFILE,
  PACKS,
  applyPack,
  clusterDefaults,
  pathsCut,
  profileNamed,
  removePack,
  renderPack,
  type InterfaceConvention,
  type PackDefinition,
  type RenderedPack,
} from '../../cluster/index.js';
import { ALL_KINDS } from '../../model/kinds.js';
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

function _packNamed(ctx: CommandContext, name: string): PackDefinition | undefined {
  const pack = PACKS.find((p) => p.name === name);
  if (pack === undefined) {
    ctx.io.stderr(`tabby pack: unknown pack ${JSON.stringify(name)} (see tabby pack list)\n`);
    ctx.exit(EXIT.usage);
  }
  return pack;
}

function _render(ctx: CommandContext, pack: PackDefinition, opts: unknown, fromCluster: Readonly<Record<string, string>>): RenderedPack | undefined {
  const { values, errors } = _sets(opts);
  const r = renderPack(pack, values, fromCluster);
  const all = [...errors, ...(r.ok ? [] : r.error)];
  if (all.length > 0 || !r.ok) {
    ctx.io.stderr(`tabby pack ${pack.name}: ${all.length} problem${all.length === 1 ? '' : 's'}:\n${all.map((e) => `  ${e}\n`).join('')}`);
    ctx.exit(EXIT.usage);
    return undefined;
  }
  return r.value;
}

const _paramText = (p: PackDefinition): string =>
  p.params.length === 0
    ? '-'
    : p.params
        .map((x) => (x.fromCluster === true ? `${x.name}=<cluster>${x.default === undefined ? '' : `|${x.default}`}` : x.default === undefined ? `${x.name} (required)` : `${x.name}=${x.default}`))
        .join(', ');

function _list(ctx: CommandContext, opts: unknown): void {
  const output = stringOpt(opts, 'output') ?? 'table';
  if (output === 'json') {
    const out = PACKS.map((p) => ({
      name: p.name,
      description: p.description,
      seed: p.seed,
      parameters: p.params.map((x) => ({ name: x.name, description: x.description, kind: x.kind, ...(x.default === undefined ? { required: x.fromCluster !== true } : { default: x.default }), fromCluster: x.fromCluster === true })),
    }));
    ctx.io.stdout(`${JSON.stringify(out, null, 2)}\n`);
    return;
  }
  const rows = PACKS.map((p) => [p.name, _paramText(p), p.description]);
  const w0 = Math.max(4, ...rows.map((r) => r[0]!.length));
  const w1 = Math.max(10, ...rows.map((r) => r[1]!.length));
  const line = (r: readonly string[]): string => `${r[0]!.padEnd(w0)}   ${r[1]!.padEnd(w1)}   ${r[2]}\n`;
  ctx.io.stdout(
    line(['NAME', 'PARAMETERS', 'DESCRIPTION']) +
      rows.map(line).join('') +
      (PACKS.some((p) => p.params.some((x) => x.fromCluster === true)) ? '<cluster>: read from the cluster the pack is applied to (else the value after |)\n' : ''),
  );
}

function _show(ctx: CommandContext, r: RenderedPack, fromCluster: Readonly<Record<string, string>>): void {
  const p = r.pack;
  let out = `# Pack ${p.name}: ${p.description}\n# From the seed: "${p.seed}"\n`;
  for (const x of p.params) out += `# --set ${x.name}=${r.values[x.name] ?? ''}   ${x.description}${x.fromCluster === true && fromCluster[x.name] !== undefined && fromCluster[x.name] === r.values[x.name] ? ' (from the cluster)' : ''}\n`;
  for (const t of p.hostEndpointTemplates ?? [])
    out += `# Adds the host endpoint template ${t.generateName ?? ''} (interface ${t.interfacePattern ?? ''}, labels ${Object.entries(t.labels ?? {}).map(([k, v]) => `${k}: ${v}`).join(', ')}) to KubeControllersConfiguration default: one HostEndpoint per worker, kept current as workers join\n`;
  out += r.manifests.map((m) => toCalicoYaml(m)).join('---\n');
  ctx.io.stdout(out);
}

interface _Cluster {
  readonly ds: Datastore;
  readonly objects: readonly StoredObject[];
  readonly defaults: Readonly<Record<string, string>>;
  readonly convention: InterfaceConvention;
}

/**
 * The cluster a pack command works on: `-c`, else the running tabby up of the data dir (its
 * calicoctl.cfg), else the datastore a stopped cluster left there. With none: undefined, and
 * (when `required`) it says so and where it looked.
 */
async function _openCluster(ctx: CommandContext, verb: string, opts: unknown, required: boolean): Promise<_Cluster | undefined> {
  const io = ctx.io;
  const c = locateCluster(stringOpt(opts, 'dataDir'), io.env);
  const cfgPath = stringOpt(opts, 'config') ?? (c.running && existsSync(c.calicoctlCfg) ? c.calicoctlCfg : undefined);
  if (cfgPath === undefined && !hasDatastore(c)) {
    if (required) {
      io.stderr(`tabby pack ${verb}: ${noClusterMessage(c)}\n`);
      ctx.exit(EXIT.failed);
    }
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
  let ds: Datastore;
  try {
    ds = await openDatastoreFromConfig(spec, { env: io.env });
  } catch (e) {
    io.stderr(`tabby pack ${verb}: ${e instanceof Error ? e.message : String(e)}\n`);
    ctx.exit(EXIT.failed);
    return undefined;
  }
  try {
    const objects: StoredObject[] = [];
    const seen = new Set<string>();
    for (const info of ALL_KINDS) {
      const t = `${info.group}/${info.plural}`;
      if (seen.has(t) || info.kind === 'CalicoAPIConfig' || info.neverStored === true) continue;
      seen.add(t);
      objects.push(...(await ds.list({ group: info.group, plural: info.plural })).items);
    }
    const profile = profileNamed(c.up?.profile ?? DEFAULT_PROFILE) ?? profileNamed(DEFAULT_PROFILE);
    return { ds, objects, defaults: clusterDefaults(objects), convention: profile?.interfaces ?? {} };
  } catch (e) {
    await ds.close();
    io.stderr(`tabby pack ${verb}: cannot read the cluster: ${e instanceof Error ? e.message : String(e)}\n`);
    ctx.exit(EXIT.failed);
    return undefined;
  }
}

async function _remove(ctx: CommandContext, name: string, opts: unknown): Promise<void> {
  const io = ctx.io;
  const pack = _packNamed(ctx, name);
  if (pack === undefined) return;
  const c = await _openCluster(ctx, 'remove', opts, true);
  if (c === undefined) return;
  const dryRun = flag(opts, 'dryRun');
  try {
    const results = await removePack(new ResourceClient(c.ds), pack, { dryRun });
    for (const x of results) io.stdout(`${x.id}: ${x.outcome}${x.why === undefined ? '' : ` (${x.why})`}${dryRun ? ' (dry run)' : ''}\n`);
    const n = results.filter((x) => x.outcome === 'deleted').length;
    io.stdout(`Pack ${pack.name} removed${dryRun ? ' (dry run)' : ''}: ${n} object${n === 1 ? '' : 's'} deleted\n`);
    ctx.exit(EXIT.ok);
  } catch (e) {
    io.stderr(`tabby pack remove ${pack.name}: ${describeError(e, 'resource', undefined, '', 'delete')}\n`);
    ctx.exit(EXIT.failed);
  } finally {
    await c.ds.close();
  }
}

/** At most this many cut flows are listed; the rest are counted. */
const CUT_SHOWN = 12;

async function _apply(ctx: CommandContext, name: string, opts: unknown): Promise<void> {
  const io = ctx.io;
  const pack = _packNamed(ctx, name);
  if (pack === undefined) return;
  const c = await _openCluster(ctx, 'apply', opts, true);
  if (c === undefined) return;
  const dryRun = flag(opts, 'dryRun');
  const force = flag(opts, 'force');
  try {
    const r = _render(ctx, pack, opts, c.defaults);
    if (r === undefined) return;
    // The engine judges the change before anything is written.
    const cut = pathsCut(c.objects, r, c.convention);
    if (cut.length > 0) {
      const list = cut.slice(0, CUT_SHOWN).map((x) => `  ${x.label}: Allow → Deny (${x.decidedBy})\n`).join('') + (cut.length > CUT_SHOWN ? `  ... and ${cut.length - CUT_SHOWN} more\n` : '');
      const params = r.pack.params.map((x) => `${x.name}=${r.values[x.name] ?? ''}`).join(', ');
      if (!force) {
        io.stderr(`tabby pack apply ${pack.name}: refused: it would cut ${cut.length} of the cluster's own path${cut.length === 1 ? '' : 's'} that are open now${params === '' ? '' : ` (with ${params})`}:\n${list}Fix the parameters (--set), or apply anyway with --force\n`);
        return ctx.exit(EXIT.failed);
      }
      io.stderr(`tabby pack apply ${pack.name}: --force: applying although it cuts ${cut.length} of the cluster's own path${cut.length === 1 ? '' : 's'}:\n${list}`);
    }
    const results = await applyPack(new ResourceClient(c.ds), r, { dryRun });
    for (const x of results) io.stdout(`${x.id}: ${x.outcome}${dryRun ? ' (dry run)' : ''}\n`);
    io.stdout(`Pack ${r.pack.name} applied${dryRun ? ' (dry run)' : ''}: ${results.length} object${results.length === 1 ? '' : 's'}\n`);
    ctx.exit(EXIT.ok);
  } catch (e) {
    io.stderr(`tabby pack apply ${pack.name}: ${describeError(e, 'resource', undefined, '', 'apply')}\n`);
    ctx.exit(EXIT.failed);
  } finally {
    await c.ds.close();
  }
}

export function packCommand(ctx: CommandContext): Command {
  const pack = new Command('pack').description("policy packs: the seed's policy sets, with parameters");
  pack
    .command('list')
    .description('list the packs')
    .option('-o, --output <format>', 'table or json', 'table')
    .action((opts: unknown) => {
      const o = stringOpt(opts, 'output') ?? 'table';
      if (o !== 'table' && o !== 'json') {
        ctx.io.stderr(`tabby pack list: unknown output format ${JSON.stringify(o)} (table or json)\n`);
        return ctx.exit(EXIT.usage);
      }
      _list(ctx, opts);
    });
  pack
    .command('show')
    .description('print the resources a pack would write (parameters from the cluster when one is found)')
    .argument('<name>')
    .option('--set <name=value>', 'a parameter (repeatable)', collect)
    .option('-c, --config <file>', 'calicoctl.cfg of the cluster to read defaults from')
    .option('--data-dir <dir>', `the cluster to read defaults from (default ${DATA_DIR_DOC})`)
    .action(async (name: string, opts: unknown) => {
      const pack = _packNamed(ctx, name);
      if (pack === undefined) return;
      const c = await _openCluster(ctx, 'show', opts, false);
      await c?.ds.close();
      const defaults = c?.defaults ?? {};
      const r = _render(ctx, pack, opts, defaults);
      if (r !== undefined) _show(ctx, r, defaults);
    });
  pack
    .command('apply')
    .description('validate and write a pack (calicoctl apply semantics)')
    .argument('<name>')
    .option('--set <name=value>', 'a parameter (repeatable)', collect)
    .option('--dry-run', 'validate against the cluster and report, write nothing', false)
    .option('--force', "apply even when the engine says it would cut the cluster's own paths (pod to pod, worker to worker, the kubelet)", false)
    .option('-c, --config <file>', 'calicoctl.cfg of the cluster (default: DIR/calicoctl.cfg of a running tabby up, else the embedded datastore in DIR)')
    .option('--data-dir <dir>', `the cluster: the data directory tabby up uses (default ${DATA_DIR_DOC})`)
    .action(async (name: string, opts: unknown) => _apply(ctx, name, opts));
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
