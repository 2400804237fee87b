/**
 * @module `calicoctl get ( <KIND> [<NAME>...] | -f <FILE> ) [-o ps|wide|yaml|json|
 * custom-columns=...] [-n <NS>|-A] [--export]`: a list without names, one result per name.
 * Names that do not exist are reported after the output, and the exit code is 1.
 */
import { Command } from 'commander';
import { NotFoundError, type StoredObject } from '../../../datastore/index.js';
import type { ResourceClient } from '../../../client/index.js';
import type { KindInfo } from '../../../model/kind-info.js';
import type { CalicoctlContext } from '../context.js';
import { describeError } from '../errors.js';
import { execute } from '../execute.js';
import { EXTRA_SOURCES } from '../extra-sources.js';
import { checkHeadings, parseCustomColumns } from '../output/custom-columns.js';
import { listObject, renderResults, type OutputFormat } from '../output/printer.js';
import { loadFromArgs, loadFromFiles, nameOf, namespaceOf, type Loaded } from '../resources.js';
import { bool, list, str, withConfig, withFiles, withNamespace } from './_options.js';

type Obj = Record<string, unknown>;
type Opts = Record<string, unknown>;

/** Metadata `--export` removes (cluster-specific). */
const EXPORT_STRIP = ['namespace', 'uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'managedFields'];

export function exportObject(o: Obj): Obj {
  const meta: Obj = { ...(o['metadata'] as Obj) };
  for (const k of EXPORT_STRIP) delete meta[k];
  return { ...o, metadata: meta };
}

function _format(output: string, printNamespace: boolean): OutputFormat | string {
  switch (output) {
    case 'yaml':
    case 'yml':
      return { type: 'yaml' };
    case 'json':
      return { type: 'json' };
    case 'ps':
      return { type: 'table', wide: false, printNamespace };
    case 'wide':
      return { type: 'table', wide: true, printNamespace };
  }
  const headings = parseCustomColumns(output);
  if (headings !== undefined) return headings.length === 0 ? 'need to specify at least one column' : { type: 'custom-columns', headings };
  const key = output.split('=')[0] ?? '';
  if (key === 'go-template' || key === 'go-template-file') return `output format '${key}' is not supported by this calicoctl; use -o yaml, json, ps, wide or custom-columns=...`;
  return `unrecognized output format '${output}'`;
}

async function _getOne(client: ResourceClient, info: KindInfo, ns: string | undefined, name: string): Promise<StoredObject> {
  try {
    return await client.get(info, ns, name);
  } catch (e) {
    const extra = EXTRA_SOURCES[info.kind];
    if (!(e instanceof NotFoundError) || !extra) throw e;
    try {
      return extra.convert(await client.ds.get({ ...extra.type, namespace: '', name })) as unknown as StoredObject;
    } catch {
      throw e;
    }
  }
}

async function _list(client: ResourceClient, info: KindInfo, ns: string | undefined): Promise<Obj> {
  const own = await client.list(info, ns === undefined ? {} : { namespace: ns });
  let items = own.items as unknown as Obj[];
  let revision = own.revision;
  const extra = EXTRA_SOURCES[info.kind];
  if (extra) {
    const more = await client.ds.list({ ...extra.type });
    const names = new Set(items.map(nameOf));
    items = [...items, ...more.items.filter((o) => !names.has(o.metadata.name ?? '')).map((o) => extra.convert(o))].sort((a, b) =>
      nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : 0,
    );
    if (BigInt(more.revision) > BigInt(revision)) revision = more.revision;
  }
  return listObject(info.kind, `${info.group}/${info.version}`, items, revision);
}

export function getCommand(ctx: CalicoctlContext): Command {
  return withNamespace(withConfig(withFiles(new Command('get'), 'get')))
    .description('Get a resource identified by file, directory, stdin or resource type and name.')
    .argument('[KIND]', 'resource type (case-insensitive, may be pluralized or abbreviated)')
    .argument('[NAME...]', 'resource names; all resources of the type when omitted')
    .option('-o, --output <OUTPUT>', 'output format: one of yaml, json, ps, wide, custom-columns=...', 'ps')
    .option('-A, --all-namespaces', 'list the requested object(s) across all namespaces', false)
    .option('--export', 'return the requested object(s) stripped of cluster-specific information (ignored without <NAME>)', false)
    .action(async (kind: string | undefined, names: string[], o: Opts) => {
      const { io } = ctx;
      const files = list(o, 'filename');
      if ((files.length === 0) === (kind === undefined) || (files.length > 0 && names.length > 0)) {
        io.stderr(`Invalid option: 'calicoctl get'. Use flag '--help' to read about a specific subcommand.\n`);
        return ctx.exit(1);
      }
      const allNs = bool(o, 'allNamespaces');
      const cliNs = str(o, 'namespace');
      const format = _format(str(o, 'output') ?? 'ps', allNs || (cliNs ?? '') !== '');
      if (typeof format === 'string') {
        io.stderr(`${format}\n`);
        return ctx.exit(1);
      }
      let loaded: Loaded;
      if (kind !== undefined) loaded = loadFromArgs(kind, names);
      else loaded = await loadFromFiles(io, files, bool(o, 'recursive'), bool(o, 'skipEmpty'));
      if (loaded.fileInvalid !== undefined) {
        io.stderr(`Failed to execute command: ${loaded.fileInvalid}\n`);
        return ctx.exit(1);
      }
      if (loaded.err !== undefined) {
        io.stderr(`Failed to get resources: ${loaded.err}\n`);
        return ctx.exit(1);
      }
      if (format.type === 'custom-columns') {
        for (const k of new Set(loaded.items.map((i) => i.kind).filter((x) => x !== ''))) {
          const c = checkHeadings(k, format.headings);
          if (!c.ok) {
            io.stderr(`${c.error}\n`);
            return ctx.exit(1);
          }
        }
      }
      const conn = await ctx.connect(str(o, 'config'));
      if (!conn) return ctx.exit(1);
      const exportFlag = bool(o, 'export');
      const r = await execute(loaded, { namespace: cliNs, allNamespaces: allNs }, async (t, obj) => {
        const name = nameOf(obj);
        const ns = namespaceOf(obj);
        try {
          if (name === '') return await _list(conn.client, t.info, t.info.namespaced ? ns : undefined);
          if (t.info.namespaced && ns === undefined) throw new Error('cannot use --all-namespace flag for getting a single resource');
          const got = (await _getOne(conn.client, t.info, ns, name)) as unknown as Obj;
          return exportFlag ? exportObject(got) : got;
        } catch (e) {
          throw new Error(describeError(e, t.info.kind, ns, name, 'get'), { cause: e });
        }
      });
      io.stdout(renderResults(format, r.resources));
      if (r.resErrs.length > 0) {
        io.stderr(`${r.resErrs.join('\n')}\n`);
        return ctx.exit(1);
      }
      ctx.exit(0);
    });
}
