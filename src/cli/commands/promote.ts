/**
 * @module `tabby promote NAME [-n NS] [--kind K] [--yes]`: a staged policy becomes the enforced
 * one, as Calico's staged semantics say (engine/diff.ts enforcedCounterpart):
 * StagedNetworkPolicy → NetworkPolicy, StagedGlobalNetworkPolicy → GlobalNetworkPolicy,
 * StagedKubernetesNetworkPolicy → networking.k8s.io NetworkPolicy; `stagedAction: Set` (the
 * default) creates or replaces it, `Delete` deletes it. The staged policy is then deleted.
 *
 * Before writing, the flows that would change are printed (the engine's diff over every pod pair
 * and declared container port, as `tabby diff`), and the user is asked unless `--yes`; without a
 * terminal to ask on, `--yes` is required. Writes go through the cluster's API (write-cluster.ts).
 * Exit: 0 promoted, 1 not confirmed or a write failed, 2 usage or input errors.
 */
import { Command, Option } from 'commander';
import { applyChanges, buildSnapshot, declaredPorts, diffVerdicts, enforcedCounterpart } from '../../engine/index.js';
import type { Resource } from '../../model/meta.js';
import { kindFor } from '../../model/kinds.js';
import { ResourceClient } from '../../client/index.js';
import { NotFoundError } from '../../datastore/index.js';
import { addInputOptions, inputOptions, loadEngineInput } from '../engine-input.js';
import { plural } from '../output/located.js';
import { EXIT, flag, stringOpt, type CommandContext } from './context.js';
import { openWriteDatastore, writtenName } from './write-cluster.js';

const STAGED_KINDS: Readonly<Record<string, string>> = {
  snp: 'StagedNetworkPolicy',
  stagednetworkpolicy: 'StagedNetworkPolicy',
  sknp: 'StagedKubernetesNetworkPolicy',
  stagedkubernetesnetworkpolicy: 'StagedKubernetesNetworkPolicy',
  sgnp: 'StagedGlobalNetworkPolicy',
  stagedglobalnetworkpolicy: 'StagedGlobalNetworkPolicy',
};

export function promoteCommand(ctx: CommandContext): Command {
  const cmd = new Command('promote')
    .description('turn a staged policy into the enforced one, after showing the flows that would change (asks unless --yes)')
    .argument('<name>', 'the staged policy: NAME, or KIND/NAME (snp, sknp, sgnp) when several staged kinds have that name')
    .option('-n, --namespace <ns>', 'namespace of a namespaced staged policy', 'default')
    .addOption(new Option('--kind <kind>', 'which staged kind').choices(Object.keys(STAGED_KINDS)))
    .option('-y, --yes', 'promote without asking', false)
    .option('--dry-run', 'show what would change; write nothing', false);
  addInputOptions(cmd);
  return cmd.action(async (name: string, opts: unknown) => ctx.exit(await runPromote(ctx, name, opts)));
}

const _meta = (r: Resource): Record<string, unknown> => {
  const m = r.metadata ?? {};
  return {
    name: m.name,
    ...(m.namespace !== undefined && m.namespace !== '' ? { namespace: m.namespace } : {}),
    ...(m.labels !== undefined ? { labels: m.labels } : {}),
    ...(m.annotations !== undefined ? { annotations: m.annotations } : {}),
  };
};

async function runPromote(ctx: CommandContext, nameArg: string, opts: unknown): Promise<number> {
  const { io } = ctx;
  const input = inputOptions(opts, 'promote');
  if (input.files.length > 0) {
    io.stderr('tabby promote: promote writes to a cluster: leave out -f\n');
    return EXIT.usage;
  }
  let kindOpt = stringOpt(opts, 'kind');
  let name = nameArg;
  const slash = nameArg.indexOf('/');
  if (slash > 0) {
    kindOpt = nameArg.slice(0, slash).toLowerCase();
    name = nameArg.slice(slash + 1);
    if (STAGED_KINDS[kindOpt] === undefined) {
      io.stderr(`tabby promote: ${JSON.stringify(nameArg.slice(0, slash))} is not a staged policy kind (${Object.keys(STAGED_KINDS).join(', ')})\n`);
      return EXIT.usage;
    }
  }
  const namespace = stringOpt(opts, 'namespace') ?? 'default';
  const engine = await loadEngineInput(io, input);
  if (engine === undefined || engine.errors > 0) return EXIT.usage;
  const wanted = kindOpt === undefined ? Object.values(STAGED_KINDS) : [STAGED_KINDS[kindOpt]!];
  const found = engine.resources.filter((r) => {
    if (!wanted.includes(r.kind) || r.metadata?.name !== name) return false;
    const global = r.kind === 'StagedGlobalNetworkPolicy';
    return global || (r.metadata?.namespace ?? 'default') === namespace;
  });
  if (found.length === 0) {
    io.stderr(`tabby promote: no staged policy ${name} in namespace ${namespace} (nor a StagedGlobalNetworkPolicy ${name}) in ${engine.origin}\n`);
    return EXIT.failed;
  }
  if (found.length > 1) {
    io.stderr(`tabby promote: ${name} names ${found.map((r) => r.kind).join(' and ')}: say which, e.g. tabby promote sknp/${name} -n ${namespace}\n`);
    return EXIT.usage;
  }
  const staged = found[0]!;
  const c = enforcedCounterpart(staged);
  const where = staged.metadata?.namespace !== undefined && staged.kind !== 'StagedGlobalNetworkPolicy' ? `${staged.metadata.namespace}/` : '';
  if (c === undefined) {
    const action = (staged as { spec?: { stagedAction?: string } }).spec?.stagedAction;
    io.stderr(`tabby promote: ${staged.kind} ${where}${name} has stagedAction ${action ?? '?'}: only Set and Delete change enforced policy\n`);
    return EXIT.failed;
  }
  const enforced = { ...c.resource, metadata: _meta(c.resource) } as Resource;
  const after = applyChanges(engine.resources, { apply: c.action === 'Set' ? [enforced] : [], remove: c.action === 'Delete' ? [enforced, staged] : [staged] });
  const ports = declaredPorts(after);
  const flips = diffVerdicts(engine.snapshot, buildSnapshot(after), ports);
  const what = `${c.action === 'Set' ? 'set' : 'delete'} ${enforced.kind} ${where}${name} (from ${staged.kind} ${where}${name})`;
  let out = `promote: ${what}\n`;
  if (ports.length === 0) out += '  the pods declare no container ports: no pod → pod flow compared\n';
  else if (flips.length === 0) out += `  no flow changes (every pod pair over ${plural(ports.length, 'declared port')})\n`;
  else {
    out += `  ${plural(flips.length, 'flow')} would change:\n`;
    for (const f of flips) out += `    ${f.from} → ${f.to} ${f.protocol}/${f.port}: ${f.before} → ${f.after}\n`;
  }
  io.stdout(out);
  if (flag(opts, 'dryRun')) return EXIT.ok;
  if (!flag(opts, 'yes')) {
    const answer = io.confirm === undefined ? undefined : await io.confirm(`${c.action === 'Set' ? 'Enforce' : 'Delete'} ${enforced.kind} ${where}${name}?`);
    if (answer === undefined) {
      io.stderr('tabby promote: no terminal to ask on: give --yes to promote without asking\n');
      return EXIT.failed;
    }
    if (!answer) {
      io.stderr('tabby promote: not promoted\n');
      return EXIT.failed;
    }
  }
  const ds = await openWriteDatastore(io, input);
  if (ds === undefined) return EXIT.failed;
  const client = new ResourceClient(ds);
  try {
    if (c.action === 'Set') {
      const r = await client.apply(enforced);
      io.stdout(`${writtenName(enforced)} ${r.outcome}\n`);
    } else {
      const info = kindFor(enforced.apiVersion, enforced.kind);
      if (info === undefined) throw new Error(`unknown kind ${enforced.kind}`);
      try {
        await client.delete(info, enforced.metadata?.namespace, name);
        io.stdout(`${writtenName(enforced)} deleted\n`);
      } catch (e) {
        if (!(e instanceof NotFoundError)) throw e;
        io.stdout(`${writtenName(enforced)} was already absent\n`);
      }
    }
    const sinfo = kindFor(staged.apiVersion, staged.kind);
    if (sinfo === undefined) throw new Error(`unknown kind ${staged.kind}`);
    await client.delete(sinfo, staged.kind === 'StagedGlobalNetworkPolicy' ? undefined : staged.metadata?.namespace, name);
    io.stdout(`${writtenName(staged)} deleted\n`);
    return EXIT.ok;
  } catch (e) {
    io.stderr(`tabby promote: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}\n`);
    return EXIT.failed;
  } finally {
    await ds.close();
  }
}
