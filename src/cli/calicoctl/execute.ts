/**
 * @module calicoctl's ExecuteConfigCommand: runs one action on each resource in order and
 * collects per-resource results — the handled count, the results to print, and the errors —
 * then the summary each command prints from them (`Successfully applied N '<Kind>'
 * resource(s)`, `Partial success: ...`, `Hit error(s): [...]`).
 */
import type { Io } from '../io.js';
import { goErrList } from './errors.js';
import { nameOf, namespaceOf, singleKind, withNamespace, type Loaded, type NamespaceFlags, type Target } from './resources.js';

type Obj = Record<string, unknown>;

export interface Results {
  readonly numResources: number;
  readonly numHandled: number;
  readonly singleKind: string;
  readonly resources: readonly Obj[];
  readonly resErrs: readonly string[];
}

export interface ExecuteOptions extends NamespaceFlags {
  /** Stop at the first error (replace and patch treat errors as terminating). */
  readonly stopOnError?: boolean;
  /**
   * Resources in flight at once (default 1). Results and errors keep input order, and two
   * resources with the same kind, namespace and name never run at the same time, so the last
   * one in the input still wins. Ignored with stopOnError.
   */
  readonly concurrency?: number;
}

/** `action` returns the result to record, or throws an Error whose message is already calicoctl's. */
export async function execute(loaded: Loaded, opts: ExecuteOptions, action: (t: Target, obj: Obj) => Promise<Obj>): Promise<Results> {
  type Outcome = { ok: true; value: Obj } | { ok: false; error: string };
  const run = async (item: Loaded['items'][number]): Promise<Outcome> => {
    if (!item.ok) return { ok: false, error: item.error };
    const ns = withNamespace(item.target, opts);
    if (!ns.ok) return { ok: false, error: ns.error };
    try {
      return { ok: true, value: await action(item.target, ns.obj) };
    } catch (e) {
      return { ok: false, error: e instanceof Error ? e.message : String(e) };
    }
  };
  const limit = opts.stopOnError ? 1 : Math.max(1, opts.concurrency ?? 1);
  const outcomes: Outcome[] = [];
  if (limit === 1) {
    for (const item of loaded.items) {
      const o = await run(item);
      outcomes.push(o);
      if (!o.ok && opts.stopOnError) break;
    }
  } else {
    const pending = new Map<string, Promise<unknown>>();
    const window = new Set<Promise<unknown>>();
    const all: Promise<Outcome>[] = [];
    for (const item of loaded.items) {
      while (window.size >= limit) await Promise.race(window);
      const key = item.ok ? `${item.kind}/${namespaceOf(item.target.obj) ?? ''}/${nameOf(item.target.obj)}` : '';
      const before = key === '' ? undefined : pending.get(key);
      const p = (before ?? Promise.resolve()).then(() => run(item));
      all.push(p);
      const tracked = p.finally(() => {
        window.delete(tracked);
        if (key !== '' && pending.get(key) === tracked) pending.delete(key);
      });
      window.add(tracked);
      if (key !== '') pending.set(key, tracked);
    }
    outcomes.push(...(await Promise.all(all)));
  }
  const resources: Obj[] = [];
  const resErrs: string[] = [];
  for (const o of outcomes) {
    if (o.ok) resources.push(o.value);
    else resErrs.push(o.error);
  }
  return { numResources: loaded.items.length, numHandled: resources.length, singleKind: singleKind(loaded), resources, resErrs };
}

export interface Verb {
  /** `apply` */
  readonly verb: string;
  /** `applied` */
  readonly past: string;
  /** validate words its failures in lower case. */
  readonly lower?: boolean;
  /** `Hit error(s)` (apply, validate) or `Hit error` (create). */
  readonly hit: string;
}

/** apply, create and validate: the summary of a run that continues past errors. Returns the exit code. */
export function reportContinuing(io: Io, v: Verb, r: Results, suffix = ''): number {
  const K = r.singleKind;
  const failed = v.lower ? 'failed' : 'Failed';
  if (r.numResources === 0) {
    io.stdout('No resources specified\n');
    return 0;
  }
  if (r.numHandled === 0) {
    const errs = goErrList(r.resErrs);
    if (r.numResources === 1) io.stderr(`${failed} to ${v.verb} '${K}' resource: ${errs}\n`);
    else if (K !== '') io.stderr(`${failed} to ${v.verb} any '${K}' resources: ${errs}\n`);
    else io.stderr(`${failed} to ${v.verb} any resources: ${errs}\n`);
    return 1;
  }
  if (r.resErrs.length === 0) {
    io.stdout(K !== '' ? `Successfully ${v.past} ${r.numHandled} '${K}' resource(s)${suffix}\n` : `Successfully ${v.past} ${r.numHandled} resource(s)${suffix}\n`);
    return 0;
  }
  if (r.numHandled - r.resErrs.length > 0)
    io.stdout(
      K !== ''
        ? `Partial success: ${v.past} the first ${r.numHandled} out of ${r.numResources} '${K}' resources:\n`
        : `Partial success: ${v.past} the first ${r.numHandled} out of ${r.numResources} resources:\n`,
    );
  io.stderr(`${v.lower ? v.hit.toLowerCase() : v.hit}: ${goErrList(r.resErrs)}\n`);
  return 1;
}

/** replace: the first error ends the run. */
export function reportTerminating(io: Io, v: Verb, r: Results, suffix = ''): number {
  const K = r.singleKind;
  const err = r.resErrs[0];
  if (r.numResources === 0) {
    io.stdout('No resources specified\n');
    return 0;
  }
  if (r.numHandled === 0 && err !== undefined) {
    if (r.numResources === 1) io.stderr(`Failed to ${v.verb} '${K}' resource: ${err}\n`);
    else if (K !== '') io.stderr(`Failed to ${v.verb} any '${K}' resources: ${err}\n`);
    else io.stderr(`Failed to ${v.verb} any resources: ${err}\n`);
    return 1;
  }
  if (err === undefined) {
    io.stdout(K !== '' ? `Successfully ${v.past} ${r.numHandled} '${K}' resource(s)${suffix}\n` : `Successfully ${v.past} ${r.numHandled} resource(s)${suffix}\n`);
    return 0;
  }
  io.stdout(
    K !== ''
      ? `Partial success: ${v.past} the first ${r.numHandled} out of ${r.numResources} '${K}' resources:\n`
      : `Partial success: ${v.past} the first ${r.numHandled} out of ${r.numResources} resources:\n`,
  );
  io.stderr(`Hit error: ${err}\n`);
  return 1;
}

/** delete: a success line for what was deleted, then one line per failure. */
export function reportDelete(io: Io, r: Results, suffix = ''): number {
  const K = r.singleKind;
  if (r.numResources === 0) {
    io.stdout('No resources specified\n');
    return 0;
  }
  if (r.numHandled > 0)
    io.stdout(K !== '' ? `Successfully deleted ${r.numHandled} '${K}' resource(s)${suffix}\n` : `Successfully deleted ${r.numHandled} resource(s)${suffix}\n`);
  if (r.resErrs.length === 0) return 0;
  io.stderr(`${r.resErrs.map((e) => (K !== '' ? `Failed to delete '${K}' resource: ${e}\n` : `Failed to delete resource: ${e}\n`)).join('')}\n`);
  return 1;
}
