/**
 * @module `calicoctl diff -f <FILE>` (a Tabby addition, like `kubectl diff`): for each resource
 * in the files, the unified diff between what the datastore holds and what `apply` would
 * store (defaults filled in, cluster metadata left out). Exit 0: no change; 1: changes;
 * 2 or more: an error.
 */
import { Command } from 'commander';
import { FILE_HEADERS_ONLY, formatPatch, structuredPatch } from 'diff';
import { NotFoundError } from '../../../datastore/index.js';
import type { CalicoctlContext } from '../context.js';
import { describeError } from '../errors.js';
import { toCalicoYaml } from '../output/yaml.js';
import { loadFromFiles, nameOf, namespaceOf, withNamespace as applyNamespace } from '../resources.js';
import { exportObject } from './get.js';
import { bool, list, str, withConfig, withFiles, withNamespace } from './_options.js';

type Opts = Record<string, unknown>;
type Obj = Record<string, unknown>;

export const DIFF_EXIT = { same: 0, changed: 1, error: 2 } as const;

/** The unified diff (`---`/`+++` headers, hunks with 3 lines of context), or '' when equal. */
export function unifiedDiff(before: string, after: string, fromName: string, toName: string): string {
  const patch = structuredPatch(fromName, toName, before, after, undefined, undefined, { context: 3 });
  return patch.hunks.length === 0 ? '' : formatPatch(patch, FILE_HEADERS_ONLY);
}

const _comparable = (o: Obj): string => {
  const e = exportObject(o);
  const meta = { ...(e['metadata'] as Obj) };
  const ns = (o['metadata'] as Obj | undefined)?.['namespace'];
  if (typeof ns === 'string' && ns !== '') meta['namespace'] = ns;
  return toCalicoYaml({ ...e, metadata: meta });
};

export function diffCommand(ctx: CalicoctlContext): Command {
  return withNamespace(withConfig(withFiles(new Command('diff'), 'diff')))
    .description('Show what apply would change: a unified diff per resource (exit 0 no change, 1 changes, >1 error).')
    .action(async (o: Opts) => {
      const { io } = ctx;
      const files = list(o, 'filename');
      if (files.length === 0) {
        io.stderr(`Invalid option: 'calicoctl diff'. Use flag '--help' to read about a specific subcommand.\n`);
        return ctx.exit(DIFF_EXIT.error);
      }
      const loaded = await loadFromFiles(io, files, bool(o, 'recursive'), bool(o, 'skipEmpty'));
      if (loaded.fileInvalid !== undefined || loaded.err !== undefined) {
        io.stderr(`${loaded.fileInvalid !== undefined ? `Failed to execute command: ${loaded.fileInvalid}` : loaded.err!}\n`);
        return ctx.exit(DIFF_EXIT.error);
      }
      const conn = await ctx.connect(str(o, 'config'));
      if (!conn) return ctx.exit(DIFF_EXIT.error);
      let changed = false;
      let failed = false;
      for (const item of loaded.items) {
        if (!item.ok) {
          io.stderr(`${item.error}\n`);
          failed = true;
          continue;
        }
        const ns = applyNamespace(item.target, { namespace: str(o, 'namespace'), allNamespaces: false });
        if (!ns.ok) {
          io.stderr(`${ns.error}\n`);
          failed = true;
          continue;
        }
        const namespace = namespaceOf(ns.obj);
        const name = nameOf(ns.obj);
        const kind = item.target.info.kind;
        try {
          let live = '';
          try {
            live = _comparable((await conn.client.get(item.target.info, namespace, name)) as unknown as Obj);
          } catch (e) {
            if (!(e instanceof NotFoundError)) throw e;
          }
          const res = await conn.client.apply(ns.obj, { dryRun: true, ...(namespace === undefined ? {} : { defaultNamespace: namespace }) });
          const next = res.outcome === 'unchanged' ? live : _comparable(res.object as unknown as Obj);
          const id = namespace === undefined ? `${kind}/${name}` : `${kind}/${namespace}/${name}`;
          const d = unifiedDiff(live, next, `${id} (live)`, `${id} (file)`);
          if (d !== '') {
            changed = true;
            io.stdout(d);
          }
        } catch (e) {
          io.stderr(`${describeError(e, kind, namespace, name, 'apply')}\n`);
          failed = true;
        }
      }
      ctx.exit(failed ? DIFF_EXIT.error : changed ? DIFF_EXIT.changed : DIFF_EXIT.same);
    });
}
