/**
 * @module Applies topology steps through a CommandRunner and tears them down again.
 *
 * Invariants: every namespace a step creates is reported to `onCreated` before the next step
 * runs, so the state file always lists everything that exists; `deleteNamespaces` deletes only
 * names that start with the lab's prefix; every command is bounded by a timeout.
 */
import type { CommandRunner } from '../sys/index.js';
import { podNeighSteps, podSteps, type PodPlumbing, type Step } from './topology.js';

export class StepError extends Error {}

export async function runSteps(runner: CommandRunner, steps: readonly Step[], onCreated: (ns: string) => void = () => undefined): Promise<void> {
  for (const s of steps) {
    const r = await runner.run({ argv: s.argv, timeoutMs: 15_000 });
    if (r.code !== 0) throw new StepError(`${s.argv.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
    if (s.createsNetns !== undefined) onCreated(s.createsNetns);
  }
}

export async function macOf(runner: CommandRunner, ns: string, dev: string): Promise<string> {
  const r = await runner.run({ argv: ['ip', '-n', ns, '-o', 'link', 'show', dev], timeoutMs: 10_000 });
  const m = /link\/ether ([0-9a-f:]{17})/.exec(r.stdout);
  if (r.code !== 0 || !m) throw new StepError(`no MAC for ${dev} in ${ns}: ${r.stderr.trim()}`);
  return m[1]!;
}

/** Creates a pod namespace and wires it to its worker (namespace reported before wiring). */
export async function plumbPod(runner: CommandRunner, p: PodPlumbing, onCreated: (ns: string) => void): Promise<void> {
  await runSteps(runner, podSteps(p), onCreated);
  await runSteps(runner, podNeighSteps(p, await macOf(runner, p.worker.netns, p.iface), await macOf(runner, p.netns, 'eth0')));
}

/** Namespaces that exist now (`ip netns list`). */
export async function listNamespaces(runner: CommandRunner): Promise<Set<string>> {
  const r = await runner.run({ argv: ['ip', 'netns', 'list'], timeoutMs: 10_000 });
  return new Set(
    r.stdout
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0] ?? '')
      .filter((x) => x !== ''),
  );
}

/** Deletes the given namespaces that exist and carry `prefix-`; returns the failures. */
export async function deleteNamespaces(runner: CommandRunner, prefix: string, names: readonly string[]): Promise<string[]> {
  const existing = await listNamespaces(runner);
  const errors: string[] = [];
  for (const ns of names) {
    if (!ns.startsWith(`${prefix}-`)) {
      errors.push(`refusing to delete ${ns}: not a lab namespace`);
      continue;
    }
    if (!existing.has(ns)) continue;
    const r = await runner.run({ argv: ['ip', 'netns', 'del', ns], timeoutMs: 10_000 });
    if (r.code !== 0) errors.push(`ip netns del ${ns}: ${r.stderr.trim()}`);
  }
  return errors;
}
