/**
 * @module `create`, `apply`, `replace` and `delete`: read the resources (`-f`, or `<KIND>
 * <NAME>...` for delete), open the datastore, run the action on each, and print calicoctl's
 * summary. `--dry-run` (a Tabby addition) validates and checks against the datastore but
 * writes nothing.
 */
import { Command } from 'commander';
import type { StoredObject } from '../../../datastore/index.js';
import { NotFoundError, AlreadyExistsError } from '../../../datastore/index.js';
import { existingKey, type ResourceClient } from '../../../client/index.js';
import type { KindInfo } from '../../../model/kind-info.js';
import type { CalicoctlContext } from '../context.js';
import { describeError } from '../errors.js';
import { execute, reportContinuing, reportDelete, reportTerminating, type Results } from '../execute.js';
import { loadFromArgs, loadFromFiles, nameOf, namespaceOf, type Loaded, type Target } from '../resources.js';
import { bool, list, str, withConfig, withDryRun, withFiles, withNamespace } from './_options.js';

type Obj = Record<string, unknown>;
type Opts = Record<string, unknown>;

const _asObj = (o: StoredObject): Obj => o as unknown as Obj;

async function _load(ctx: CalicoctlContext, o: Opts): Promise<Loaded | undefined> {
  const files = list(o, 'filename');
  const loaded = await loadFromFiles(ctx.io, files, bool(o, 'recursive'), bool(o, 'skipEmpty'));
  if (loaded.fileInvalid !== undefined) {
    ctx.io.stderr(`Failed to execute command: ${loaded.fileInvalid}\n`);
    return undefined;
  }
  if (loaded.err !== undefined) {
    ctx.io.stderr(`${loaded.err}\n`);
    return undefined;
  }
  return loaded;
}

/** Writes in flight at once: hides etcd and API-server round trips (SQLite runs them in turn anyway). */
const WRITE_CONCURRENCY = 64;

/**
 * From this many resources of one kind on, apply lists that kind once up front instead of
 * reading each object before writing it.
 */
const BATCH_LIST_MIN = 100;

/** The stored objects of each kind with at least BATCH_LIST_MIN file-read resources in the batch. */
async function _existing(client: ResourceClient, loaded: Loaded): Promise<Map<KindInfo, Map<string, StoredObject>>> {
  const counts = new Map<KindInfo, number>();
  for (const item of loaded.items) if (item.ok && item.target.decoded !== undefined) counts.set(item.target.info, (counts.get(item.target.info) ?? 0) + 1);
  const out = new Map<KindInfo, Map<string, StoredObject>>();
  for (const [info, n] of counts) if (n >= BATCH_LIST_MIN) out.set(info, await client.existing(info));
  return out;
}

const _nsFlags = (o: Opts) => ({ namespace: str(o, 'namespace'), allNamespaces: false });

type WriteAction = 'create' | 'apply' | 'replace';

async function _runWrite(ctx: CalicoctlContext, action: WriteAction, o: Opts): Promise<number> {
  const loaded = await _load(ctx, o);
  if (!loaded) return 1;
  if (loaded.items.length === 0) {
    ctx.io.stdout('No resources specified\n');
    return 0;
  }
  const conn = await ctx.connect(str(o, 'config'), 'write');
  if (!conn) return 1;
  const dryRun = bool(o, 'dryRun');
  const force = bool(o, 'force');
  const skipExists = bool(o, 'skipExists');
  const op = action === 'create' ? 'create or apply' : 'apply or replace';
  const existing = action === 'apply' ? await _existing(conn.client, loaded) : new Map<KindInfo, Map<string, StoredObject>>();
  const r: Results = await execute(loaded, { ..._nsFlags(o), stopOnError: action === 'replace', concurrency: WRITE_CONCURRENCY }, async (t: Target, obj: Obj) => {
    const ns = namespaceOf(obj);
    const wo = { dryRun, force, ...(ns === undefined ? {} : { defaultNamespace: ns }) };
    try {
      // Read from a file and not re-namespaced (withNamespace returns the object itself): the
      // resource validated while reading is the one to write.
      const d = obj === t.obj ? t.decoded : undefined;
      let res;
      if (d !== undefined && action === 'apply') {
        const known = existing.get(t.info);
        res = await conn.client.applyDecoded(d, known === undefined ? wo : { ...wo, current: known.get(existingKey(ns, nameOf(obj))) ?? null });
      } else if (d !== undefined && action === 'create') res = await conn.client.createDecoded(d, wo);
      else res = await conn.client[action](obj, wo);
      return _asObj(res.object);
    } catch (e) {
      if (skipExists && e instanceof AlreadyExistsError) return obj;
      throw new Error(describeError(e, t.info.kind, ns, nameOf(obj), op), { cause: e });
    }
  });
  const suffix = dryRun ? ' (dry run)' : '';
  switch (action) {
    case 'create':
      return reportContinuing(ctx.io, { verb: 'create', past: 'created', hit: 'Hit error' }, r, suffix);
    case 'apply':
      return reportContinuing(ctx.io, { verb: 'apply', past: 'applied', hit: 'Hit error(s)' }, r, suffix);
    case 'replace':
      return reportTerminating(ctx.io, { verb: 'replace', past: 'replaced', hit: 'Hit error' }, r, suffix);
  }
}

function _writeCommand(ctx: CalicoctlContext, action: WriteAction, description: string): Command {
  const cmd = withDryRun(withNamespace(withConfig(withFiles(new Command(action).description(description), action))));
  if (action === 'create') cmd.option('--skip-exists', 'skip over and treat as successful any attempts to create an entry that already exists', false);
  else cmd.option('--force', 'change or delete a provider-managed resource (label tabby.dev/managed-by: provider) anyway', false);
  return cmd.action(async (o: Opts) => {
    if (list(o, 'filename').length === 0) {
      ctx.io.stderr(`Invalid option: 'calicoctl ${action}'. Use flag '--help' to read about a specific subcommand.\n`);
      ctx.exit(1);
      return;
    }
    ctx.exit(await _runWrite(ctx, action, o));
  });
}

export const createCommand = (ctx: CalicoctlContext): Command => _writeCommand(ctx, 'create', 'Create a resource by file, directory or stdin.');
export const applyCommand = (ctx: CalicoctlContext): Command =>
  _writeCommand(ctx, 'apply', 'Apply a resource by file, directory or stdin.  This creates a resource if it does not exist, and replaces a resource if it does exists.');
export const replaceCommand = (ctx: CalicoctlContext): Command => _writeCommand(ctx, 'replace', 'Replace a resource by file, directory or stdin.');

export function deleteCommand(ctx: CalicoctlContext): Command {
  return withDryRun(withNamespace(withConfig(withFiles(new Command('delete'), 'delete'))))
    .description('Delete a resource identified by file, directory, stdin or resource type and name.')
    .argument('[KIND]', 'resource type (case-insensitive, may be pluralized or abbreviated)')
    .argument('[NAME...]', 'resource names')
    .option('-s, --skip-not-exists', "skip over and treat as successful, resources that don't exist", false)
    .option('--force', 'change or delete a provider-managed resource (label tabby.dev/managed-by: provider) anyway', false)
    .action(async (kind: string | undefined, names: string[], o: Opts) => {
      const files = list(o, 'filename');
      if ((files.length === 0) === (kind === undefined) || (files.length > 0 && names.length > 0)) {
        ctx.io.stderr(`Invalid option: 'calicoctl delete'. Use flag '--help' to read about a specific subcommand.\n`);
        ctx.exit(1);
        return;
      }
      let loaded: Loaded | undefined;
      if (kind !== undefined) {
        if (names.length === 0) {
          ctx.io.stderr(`Invalid option: 'calicoctl delete ${kind}'. Use flag '--help' to read about a specific subcommand.\n`);
          ctx.exit(1);
          return;
        }
        loaded = loadFromArgs(kind, names);
        if (loaded.err !== undefined) {
          ctx.io.stderr(`${loaded.err}\n`);
          ctx.exit(1);
          return;
        }
      } else loaded = await _load(ctx, o);
      if (!loaded) return ctx.exit(1);
      const conn = await ctx.connect(str(o, 'config'));
      if (!conn) return ctx.exit(1);
      const dryRun = bool(o, 'dryRun');
      const skip = bool(o, 'skipNotExists');
      const r = await execute(loaded, { ..._nsFlags(o), concurrency: WRITE_CONCURRENCY }, async (t, obj) => {
        const ns = namespaceOf(obj);
        const name = nameOf(obj);
        try {
          return _asObj(await conn.client.delete(t.info, ns, name, { dryRun, force: bool(o, 'force') }));
        } catch (e) {
          if (skip && e instanceof NotFoundError) return obj;
          throw new Error(describeError(e, t.info.kind, ns, name, 'delete'), { cause: e });
        }
      });
      ctx.exit(reportDelete(ctx.io, r, dryRun ? ' (dry run)' : ''));
    });
}
