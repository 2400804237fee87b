/**
 * @module The policy linter: pure checks over decoded resources and their snapshot, returning
 * findings with the resource identity and field path (the CLI turns them into `file:line:col`).
 * Findings are sorted by resource, then path, then code, so output is deterministic.
 */
import type { Resource } from '../../model/meta.js';
import type { Snapshot } from '../snapshot.js';
import { lintSelectors } from './selectors.js';
import { lintRules } from './rules.js';
import { lintDns, lintHostPaths } from './paths.js';
import type { LintFinding } from './types.js';

export type { LintCode, LintFinding, LintResourceRef } from './types.js';
export { ruleCovers, isCatchAll } from './rules.js';
export { matchLabelSelector } from './selectors.js';

export function lint(resources: readonly Resource[], snap: Snapshot): LintFinding[] {
  const all = [...lintSelectors(resources, snap), ...lintRules(snap), ...lintHostPaths(snap), ...lintDns(snap)];
  const key = (f: LintFinding): string => `${f.resource.kind}|${f.resource.namespace}|${f.resource.name}|${f.path.toString()}|${f.code}`;
  return all.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
