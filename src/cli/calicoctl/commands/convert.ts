/**
 * @module `calicoctl convert -f <FILE> [-o yaml|json]`: prints the Calico NetworkPolicy each
 * Kubernetes NetworkPolicy becomes (as Calico enforces it: `knp.default.<name>`, order 1000),
 * without cluster-specific metadata. Nothing is read from or written to a datastore.
 */
import { Command } from 'commander';
import { convertKubernetesNetworkPolicy } from '../../../model/convert/index.js';
import { formatLine } from '../../../model/field/format.js';
import { readManifests } from '../../input/read-manifests.js';
import type { CalicoctlContext } from '../context.js';
import { renderResults } from '../output/printer.js';
import { exportObject } from './get.js';
import { bool, list, str } from './_options.js';
import { collect } from '../../commands/context.js';

type Opts = Record<string, unknown>;
type Obj = Record<string, unknown>;

export function convertCommand(ctx: CalicoctlContext): Command {
  return new Command('convert')
    .description('Convert a Kubernetes NetworkPolicy manifest to the Calico NetworkPolicy it becomes.')
    .option('-f, --filename <FILENAME>', 'filename to convert; "-" loads from stdin', collect)
    .option('-R, --recursive', 'process the filename specified in -f recursively', false)
    .option('-o, --output <OUTPUT>', 'output format: yaml or json', 'yaml')
    .option('--ignore-validation', 'print the converted resources even when they fail validation', false)
    .action(async (o: Opts) => {
      const { io } = ctx;
      const files = list(o, 'filename');
      if (files.length === 0) {
        io.stderr(`Invalid option: 'calicoctl convert'. Use flag '--help' to read about a specific subcommand.\n`);
        return ctx.exit(1);
      }
      const output = str(o, 'output') ?? 'yaml';
      if (!['yaml', 'yml', 'json'].includes(output)) {
        io.stderr(`unrecognized output format '${output}'\n`);
        return ctx.exit(1);
      }
      const read = await readManifests(io, files, bool(o, 'recursive'));
      if (read.problems.length > 0) {
        io.stderr(`Failed to execute command: open ${read.problems[0]!}\n`);
        return ctx.exit(1);
      }
      const out: Obj[] = [];
      for (const f of read.files) {
        if (f.result.errors.length > 0) {
          io.stderr(`Failed to execute command: ${f.result.errors.map((e) => e.text).join('; ')}\n`);
          return ctx.exit(1);
        }
        for (const r of f.result.resources) {
          if (r.info.group !== 'networking.k8s.io' || r.info.kind !== 'NetworkPolicy') {
            io.stderr(`Failed to execute command: conversion for the resource type '${r.info.kind}' is not supported\n`);
            return ctx.exit(1);
          }
          const conv = convertKubernetesNetworkPolicy(r.raw);
          if (conv.policy === undefined || (conv.errors.length > 0 && !bool(o, 'ignoreValidation'))) {
            io.stderr(`Converted manifest resource(s) failed validation: ${conv.errors.map(formatLine).join(', ')}Re-run the command with '--ignore-validation' flag to see the converted output.\n`);
            return ctx.exit(1);
          }
          const policy = exportObject(conv.policy as unknown as Obj);
          const ns = (r.raw as { metadata?: { namespace?: string } }).metadata?.namespace;
          out.push({ ...policy, metadata: { ...(policy['metadata'] as Obj), ...(ns ? { namespace: ns } : {}) } });
        }
      }
      io.stdout(renderResults(output === 'json' ? { type: 'json' } : { type: 'yaml' }, out));
      ctx.exit(0);
    });
}
