/** @module Options shared by calicoctl commands, with calicoctl's names, and readers for them. */
import { Command } from 'commander';
import { collect } from '../../commands/context.js';
import { DEFAULT_CONFIG_PATH } from '../config.js';
import { DATA_DIR_DOC } from '../../paths.js';

type Opts = Record<string, unknown>;

export function withConfig(cmd: Command): Command {
  return cmd
    .option(
      '-c, --config <CONFIG>',
      `path to the file containing connection configuration in YAML or JSON format (default: ${DEFAULT_CONFIG_PATH} if it exists, else the environment (DATASTORE_TYPE, KUBECONFIG, ETCD_ENDPOINTS, ...), else the calicoctl.cfg of the tabby up running on ${DATA_DIR_DOC})`,
    )
    .option('--context <context>', 'the name of the kubeconfig context to use')
    .option('--allow-version-mismatch', 'allow client and cluster versions mismatch', false);
}

export function withFiles(cmd: Command, what: string): Command {
  return cmd
    .option('-f, --filename <FILENAME>', `filename to use to ${what} the resource; "-" loads from stdin; a directory loads every .json, .yaml and .yml file in it`, collect)
    .option('-R, --recursive', 'process the filename specified in -f or --filename recursively', false)
    .option('--skip-empty', 'do not error if any files or directory specified using -f or --filename contain no data', false);
}

export function withNamespace(cmd: Command): Command {
  return cmd.option('-n, --namespace <NS>', 'namespace of the resource (NetworkPolicy, StagedNetworkPolicy, NetworkSet, WorkloadEndpoint); uses the default namespace if not specified');
}

export function withDryRun(cmd: Command): Command {
  return cmd.option('--dry-run', 'validate and report what would change, but write nothing', false);
}

export const str = (o: Opts, k: string): string | undefined => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
export const bool = (o: Opts, k: string): boolean => o[k] === true;
export const list = (o: Opts, k: string): string[] => (Array.isArray(o[k]) ? (o[k] as unknown[]).filter((x): x is string => typeof x === 'string') : []);

/** The `--context` flag sets the kubeconfig context, as calicoctl does through K8S_CURRENT_CONTEXT. */
export function contextEnv(o: Opts, env: Readonly<Record<string, string | undefined>>): Readonly<Record<string, string | undefined>> {
  const c = str(o, 'context');
  return c === undefined ? env : { ...env, K8S_CURRENT_CONTEXT: c };
}
