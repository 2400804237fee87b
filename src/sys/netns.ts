/**
 * @module Network namespaces: a runner that executes every command inside one
 * (`ip netns exec <ns> …`), and create/delete helpers for tests, benchmarks and the lab.
 *
 * Invariants: names are unique per run (`<prefix>-<pid>-<random>`); `deleteNetns` only deletes
 * namespaces this process created, and any still alive when the process exits are deleted by a
 * synchronous exit hook, so an aborted test never leaves one behind. Nothing here touches the
 * root namespace's rules.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { nodeRunner, prefixedRunner, type CommandRunner } from './exec.js';
import { findOnPath } from './which.js';

/** A runner whose commands run inside network namespace `ns`. */
export function inNetns(runner: CommandRunner, ns: string): CommandRunner {
  return prefixedRunner(runner, ['ip', 'netns', 'exec', ns]);
}

const _created = new Set<string>();
let _hooked = false;

function _exitHook(): void {
  for (const name of _created) {
    try {
      execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore', timeout: 5000 });
    } catch {
      // best effort at exit
    }
  }
  _created.clear();
}

/** `<prefix>-<pid>-<6 hex>`; at most 40 characters for a short prefix. */
export function uniqueNetnsName(prefix = 'tby'): string {
  if (!/^[a-z][a-z0-9-]{0,15}$/.test(prefix)) throw new Error(`invalid netns prefix ${JSON.stringify(prefix)}`);
  return `${prefix}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** Creates a fresh namespace (with `lo` up) and returns its name. Throws if `ip` fails. */
export async function createNetns(prefix = 'tby', runner: CommandRunner = nodeRunner): Promise<string> {
  const name = uniqueNetnsName(prefix);
  const add = await runner.run({ argv: ['ip', 'netns', 'add', name], timeoutMs: 10_000 });
  if (add.code !== 0) throw new Error(`ip netns add ${name} failed (${add.code}): ${add.stderr.trim()}`);
  _created.add(name);
  if (!_hooked) {
    _hooked = true;
    process.on('exit', _exitHook);
  }
  const lo = await runner.run({ argv: ['ip', '-n', name, 'link', 'set', 'lo', 'up'], timeoutMs: 10_000 });
  if (lo.code !== 0) {
    await deleteNetns(name, runner);
    throw new Error(`ip -n ${name} link set lo up failed (${lo.code}): ${lo.stderr.trim()}`);
  }
  return name;
}

/** Deletes a namespace created by `createNetns`. Refuses names this process did not create. */
export async function deleteNetns(name: string, runner: CommandRunner = nodeRunner): Promise<void> {
  if (!_created.has(name)) throw new Error(`refusing to delete netns ${name}: not created by this process`);
  const r = await runner.run({ argv: ['ip', 'netns', 'del', name], timeoutMs: 10_000 });
  if (r.code !== 0) throw new Error(`ip netns del ${name} failed (${r.code}): ${r.stderr.trim()}`);
  _created.delete(name);
}

/** What `ip netns add` says when the kernel refuses it for lack of privilege (EPERM / EACCES). */
const NOT_PERMITTED = /Operation not permitted|Permission denied|\bEPERM\b|\bEACCES\b/;

/**
 * Why namespace tests cannot run here, or undefined when they can. Only a missing privilege or
 * tool is a reason: not root (`uid`), `ip` not on PATH, or `ip netns add` refused as not
 * permitted (EPERM/EACCES, e.g. an unprivileged container). Any other failure of the probe
 * throws: it is a bug or a broken machine, never a reason to skip. (Under CI=true the tests turn
 * every reason into a failure too: test/support/tools.ts `required`.)
 */
export async function netnsSkipReason(runner: CommandRunner = nodeRunner, uid: number | undefined = process.getuid?.()): Promise<string | undefined> {
  if (uid !== undefined && uid !== 0) return 'needs root (creates network namespaces)';
  if (runner === nodeRunner && findOnPath('ip') === undefined) return 'ip (iproute2) is not on PATH';
  let ns: string;
  try {
    ns = await createNetns('tby-probe', runner);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (NOT_PERMITTED.test(msg)) return `network namespaces are not permitted here: ${msg}`;
    throw new Error(`the network namespace probe failed (not a permission problem, so not a reason to skip): ${msg}`, { cause: e });
  }
  await deleteNetns(ns, runner);
  return undefined;
}

/** Runs `fn` with a fresh namespace and a runner inside it; deletes the namespace afterwards. */
export async function withNetns<T>(prefix: string, fn: (ns: string, runner: CommandRunner) => Promise<T>): Promise<T> {
  const ns = await createNetns(prefix);
  try {
    return await fn(ns, inNetns(nodeRunner, ns));
  } finally {
    await deleteNetns(ns);
  }
}
