/**
 * @module `calicoctl patch <KIND> <NAME> -p <PATCH> [-t strategic|merge|json]`: changes one
 * resource in place, re-validated, retried on concurrent updates.
 */
import { Command } from 'commander';
import { NotFoundError } from '../../../datastore/index.js';
import type { CalicoctlContext } from '../context.js';
import { describeError } from '../errors.js';
import { jsonPatch, mergePatch, PatchError, type Json } from '../../../lib/json-patch.js';
import { checkTree } from '../../../lib/json-safety.js';
import { calicoKind, withNamespace as applyNamespace } from '../resources.js';
import { bool, str, withConfig, withDryRun, withNamespace } from './_options.js';

type Opts = Record<string, unknown>;

export function patchCommand(ctx: CalicoctlContext): Command {
  return withDryRun(withNamespace(withConfig(new Command('patch'))))
    .description('Patch a preexisting resource in place.')
    .argument('<KIND>', 'resource type')
    .argument('<NAME>', 'resource name')
    .requiredOption('-p, --patch <PATCH>', 'spec to use to patch the resource (JSON)')
    .option('-t, --type <TYPE>', 'patch type: strategic (default), merge or json', 'strategic')
    .option('--force', 'change or delete a provider-managed resource (label tabby.dev/managed-by: provider) anyway', false)
    .action(async (kind: string, name: string, o: Opts) => {
      const { io } = ctx;
      const info = calicoKind(kind);
      if (!info) {
        io.stderr(`resource type '${kind}' is not supported\n`);
        return ctx.exit(1);
      }
      const type = str(o, 'type') ?? 'strategic';
      if (!['strategic', 'merge', 'json'].includes(type)) {
        io.stderr(`Hit error: unsupported patch type '${type}' (strategic, merge or json)\n`);
        return ctx.exit(1);
      }
      let patch: Json;
      try {
        patch = JSON.parse(str(o, 'patch') ?? '') as Json;
      } catch (e) {
        io.stderr(`Hit error: permorming strategic merge patch: ${e instanceof Error ? e.message : String(e)}\n`);
        return ctx.exit(1);
      }
      const problem = checkTree(patch);
      if (problem !== undefined) {
        io.stderr(`Hit error: the patch: ${problem.message}\n`);
        return ctx.exit(1);
      }
      const ns = applyNamespace({ info, obj: { metadata: { name } } }, { namespace: str(o, 'namespace'), allNamespaces: false });
      if (!ns.ok) {
        io.stderr(`Hit error: ${ns.error}\n`);
        return ctx.exit(1);
      }
      const namespace = info.namespaced ? ((ns.obj['metadata'] as { namespace?: string }).namespace ?? 'default') : undefined;
      const conn = await ctx.connect(str(o, 'config'), 'write');
      if (!conn) return ctx.exit(1);
      let patchError: string | undefined;
      try {
        await conn.client.modify(
          info,
          namespace,
          name,
          (cur) => {
            try {
              return (type === 'json' ? jsonPatch(cur as Json, patch) : mergePatch(cur as Json, patch)) as Record<string, unknown>;
            } catch (e) {
              if (!(e instanceof PatchError)) throw e;
              patchError = e.message;
              return cur;
            }
          },
          { dryRun: bool(o, 'dryRun'), force: bool(o, 'force') },
        );
      } catch (e) {
        const msg = describeError(e, info.kind, namespace, name, 'patch');
        io.stderr(`Hit error: ${e instanceof NotFoundError ? msg : `updating existing resource: ${msg}`}\n`);
        return ctx.exit(1);
      }
      if (patchError !== undefined) {
        io.stderr(`Hit error: applying the ${type === 'json' ? 'JSON' : 'merge'} patch: ${patchError}\n`);
        return ctx.exit(1);
      }
      io.stdout(`Successfully patched 1 '${info.kind}' resource${bool(o, 'dryRun') ? ' (dry run)' : ''}\n`);
      ctx.exit(0);
    });
}
