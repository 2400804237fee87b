/**
 * @module `tabby snapshot --kubeconfig FILE -o cluster.yaml`: everything the engine read from a
 * cluster (or from `-f`, or the datastore), written as one self-contained `kind: List` for
 * offline use and CI: `tabby verdict -f cluster.yaml …` then gives the same verdicts.
 *
 * Invariants:
 * - The items are the decoded resources themselves (Calico's in `projectcalico.org/v3` form,
 *   whatever API the cluster offered), sorted by kind, namespace and name, so two snapshots of
 *   the same cluster differ only where the cluster did.
 * - The file is written whole or not at all (a temporary file renamed into place).
 * - `-o json` or a `.json` name writes JSON; otherwise YAML. `-o -` writes to standard output.
 */
import { rename, writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { stringify } from 'yaml';
import type { Resource } from '../../model/meta.js';
import { addInputOptions, inputOptions, loadEngineInput } from '../engine-input.js';
import { plural } from '../output/located.js';
import { EXIT, stringOpt, type CommandContext } from './context.js';

export function snapshotCommand(ctx: CommandContext): Command {
  const cmd = new Command('snapshot')
    .description('write what the engine reads (from --kubeconfig, -f or the datastore) as one self-contained file, for -f later (offline, CI)')
    .requiredOption('-o, --output <file>', 'the file to write (.json for JSON, else YAML), or - for standard output')
    .addOption(new Option('--format <format>', 'yaml or json (default: from the file name)').choices(['yaml', 'json']));
  addInputOptions(cmd);
  return cmd.action(async (opts: unknown) => ctx.exit(await runSnapshot(ctx, opts)));
}

const _key = (r: Resource): string => `${r.kind}\u0000${r.apiVersion}\u0000${r.metadata?.namespace ?? ''}\u0000${r.metadata?.name ?? ''}`;

/** The snapshot document: a v1 List of the resources, sorted. */
export function snapshotDocument(resources: readonly Resource[]): { apiVersion: 'v1'; kind: 'List'; items: Resource[] } {
  const items = [...resources].sort((a, b) => {
    const ka = _key(a);
    const kb = _key(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  return { apiVersion: 'v1', kind: 'List', items };
}

async function runSnapshot(ctx: CommandContext, opts: unknown): Promise<number> {
  const { io } = ctx;
  const out = stringOpt(opts, 'output') ?? '-';
  const format = stringOpt(opts, 'format') ?? (out.endsWith('.json') ? 'json' : 'yaml');
  const input = await loadEngineInput(io, inputOptions(opts, 'snapshot'));
  if (input === undefined) return EXIT.failed;
  const doc = snapshotDocument(input.resources);
  const header = `# tabby snapshot of ${input.origin}: ${plural(doc.items.length, 'object')}; read it back with -f\n`;
  const text = format === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : `${header}${stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false })}`;
  if (out === '-') io.stdout(text);
  else {
    const tmp = `${out}.tmp-${process.pid}`;
    try {
      await writeFile(tmp, text, { mode: 0o600 });
      await rename(tmp, out);
    } catch (e) {
      io.stderr(`tabby snapshot: cannot write ${out}: ${e instanceof Error ? e.message : String(e)}\n`);
      return EXIT.failed;
    }
    io.stderr(`tabby snapshot: wrote ${plural(doc.items.length, 'object')} from ${input.origin} to ${out}\n`);
  }
  return input.errors > 0 ? EXIT.failed : EXIT.ok;
}
