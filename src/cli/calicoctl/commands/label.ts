/**
 * @module `calicoctl label <KIND> <NAME> ( <key>=<value> [--overwrite] | <key> --remove )`,
 * with calicoctl's messages; the update is re-validated and retried on concurrent updates.
 */
import { Command } from 'commander';
import type { CalicoctlContext } from '../context.js';
import { ProviderManagedError } from '../../../client/index.js';
import { KubeApiError } from '../../../datastore/kube/index.js';
import { calicoKind, withNamespace as applyNamespace } from '../resources.js';
import { bool, str, withConfig, withDryRun, withNamespace } from './_options.js';

type Opts = Record<string, unknown>;
type Obj = Record<string, unknown>;

const _labels = (o: Obj): Record<string, string> => ({ ...(((o['metadata'] as Obj | undefined)?.['labels'] as Record<string, string> | undefined) ?? {}) });

export function labelCommand(ctx: CalicoctlContext): Command {
  return withDryRun(withNamespace(withConfig(new Command('label'))))
    .description('Add or update labels of resources.')
    .argument('<KIND>', 'resource type')
    .argument('<NAME>', 'resource name')
    .argument('<label>', '<key>=<value>, or <key> with --remove')
    .option('--overwrite', 'overwrite the value when the key is already present in labels', false)
    .option('--remove', 'remove the specified key in labels of the resource', false)
    .option('--force', 'change or delete a provider-managed resource (label tabby.dev/managed-by: provider) anyway', false)
    .action(async (kind: string, name: string, label: string, o: Opts) => {
      const { io } = ctx;
      const remove = bool(o, 'remove');
      const overwrite = bool(o, 'overwrite');
      if (remove && overwrite) {
        io.stderr(`Invalid option: 'calicoctl label ${kind} ${name} ${label} --overwrite --remove'. Use flag '--help' to read about a specific subcommand.\n`);
        return ctx.exit(1);
      }
      let key = label;
      let value = '';
      if (!remove) {
        const kv = label.split('=');
        if (kv.length !== 2) {
          io.stderr(`invalid label ${label}\n`);
          return ctx.exit(1);
        }
        [key, value] = kv as [string, string];
      }
      const info = calicoKind(kind);
      if (!info) {
        io.stderr(`failed to get ${kind} ${name}, error resource type '${kind}' is not supported\n`);
        return ctx.exit(1);
      }
      const ns = applyNamespace({ info, obj: { metadata: { name } } }, { namespace: str(o, 'namespace'), allNamespaces: false });
      if (!ns.ok) {
        io.stderr(`${kind} ${name} not found\n`);
        return ctx.exit(1);
      }
      const namespace = info.namespaced ? ((ns.obj['metadata'] as { namespace?: string }).namespace ?? 'default') : undefined;
      const conn = await ctx.connect(str(o, 'config'), 'write');
      if (!conn) return ctx.exit(1);
      let current: Obj;
      try {
        current = (await conn.client.get(info, namespace, name)) as unknown as Obj;
      } catch {
        io.stderr(`${kind} ${name} not found\n`);
        return ctx.exit(1);
      }
      const before = _labels(current);
      let overwritten = false;
      if (remove) {
        if (!(key in before)) {
          io.stderr(`cannot remove label of ${kind} ${name}, key ${key} does not exist\n`);
          return ctx.exit(1);
        }
      } else if (key in before) {
        if (!overwrite && before[key] !== value) {
          io.stderr(`failed to update label of ${kind} ${name}, key ${key} is already present. please use '--overwrite' to set a new value.\n`);
          return ctx.exit(1);
        }
        overwritten = true;
      }
      try {
        await conn.client.modify(
          info,
          namespace,
          name,
          (cur) => {
            const labels = _labels(cur);
            if (remove) delete labels[key];
            else labels[key] = value;
            const meta: Obj = { ...(cur['metadata'] as Obj) };
            if (Object.keys(labels).length === 0) delete meta['labels'];
            else meta['labels'] = labels;
            return { ...cur, metadata: meta };
          },
          { dryRun: bool(o, 'dryRun'), force: bool(o, 'force') },
        );
      } catch (e) {
        const managed = e instanceof ProviderManagedError || (e instanceof KubeApiError && e.code === 403);
        io.stderr(`failed to update ${kind} ${name}, label not changed${managed ? `: ${e.message}` : ''}\n`);
        return ctx.exit(1);
      }
      if (remove) io.stdout(`Successfully removed label ${key} from ${kind} ${name}\n`);
      else if (overwritten) io.stdout(`Successfully updated label ${key} on ${kind} ${name}\n`);
      else io.stdout(`Successfully set label ${key} on ${kind} ${name}\n`);
      ctx.exit(0);
    });
}
