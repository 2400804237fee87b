/**
 * @module Query parameters parsed as kube-apiserver parses them (apimachinery's
 * `runtime.Convert_Slice_string_To_*` conversions and `ValidateListOptions`). Pure.
 *
 * - Booleans (`watch`, `allowWatchBookmarks`, `sendInitialEvents`, `force`, ...): absent is
 *   false; `0` and `false` in any letter case are false; every other value is true (so Python's
 *   `watch=True` and client-go's `watch=1` both watch). This is apimachinery's rule for query
 *   parameters; it never fails.
 * - Integers (`limit`, `timeoutSeconds`): Go's `strconv.ParseInt(s, 10, 64)`; anything else is a
 *   400 BadRequest naming the parameter.
 * - `resourceVersion` must be a decimal revision (or empty); `abc` is a 400.
 * - `resourceVersionMatch` and `sendInitialEvents` are checked together with `watch`,
 *   `continue` and `allowWatchBookmarks` exactly as ValidateListOptions does: a 422 Invalid
 *   `ListOptions.meta.k8s.io` Status with one cause per problem.
 */
import { badRequest, status, StatusError } from './status.js';

/** apimachinery's query-parameter boolean. */
export function queryBool(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  if (v === null) return false;
  return !(v === '0' || v.toLowerCase() === 'false');
}

/** Tri-state: undefined when absent. */
export function queryOptionalBool(q: URLSearchParams, name: string): boolean | undefined {
  return q.has(name) ? queryBool(q, name) : undefined;
}

const INT64 = /^[+-]?\d+$/;

/** `strconv.ParseInt(s, 10, 64)`; undefined when absent. */
export function queryInt(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (!INT64.test(v)) throw badRequest(`invalid value for query parameter ${JSON.stringify(name)}: strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw badRequest(`invalid value for query parameter ${JSON.stringify(name)}: strconv.ParseInt: parsing ${JSON.stringify(v)}: value out of range`);
  return n;
}

/** A resourceVersion from a query or a body: '' (unset) or a decimal revision. */
export function parseResourceVersion(v: string | null | undefined): string {
  if (v === null || v === undefined || v === '') return '';
  if (!/^\d{1,15}$/.test(v)) throw badRequest(`invalid resource version ${JSON.stringify(v)}: it must be a decimal number`);
  return String(Number(v));
}

export type ResourceVersionMatch = '' | 'NotOlderThan' | 'Exact';

export interface ListOptions {
  readonly watch: boolean;
  readonly resourceVersion: string;
  readonly resourceVersionMatch: ResourceVersionMatch;
  readonly limit: number;
  readonly continue: string;
  readonly allowWatchBookmarks: boolean;
  /** undefined when the parameter is absent. */
  readonly sendInitialEvents: boolean | undefined;
  /** undefined when absent. */
  readonly timeoutSeconds: number | undefined;
}

interface Cause {
  readonly field: string;
  readonly type: 'Forbidden' | 'NotSupported';
  readonly message: string;
}

function _invalid(causes: readonly Cause[]): StatusError {
  const lines = causes.map((c) => `${c.field}: ${c.type === 'Forbidden' ? 'Forbidden' : 'Unsupported value'}: ${c.message}`);
  const agg = lines.length === 1 ? lines[0]! : `[${lines.join(', ')}]`;
  return new StatusError(
    status(422, 'Invalid', `ListOptions.meta.k8s.io "" is invalid: ${agg}`, {
      group: 'meta.k8s.io',
      kind: 'ListOptions',
      causes: causes.map((c) => ({ reason: c.type === 'Forbidden' ? 'FieldValueForbidden' : 'FieldValueNotSupported', message: `${c.type === 'Forbidden' ? 'Forbidden' : 'Unsupported value'}: ${c.message}`, field: c.field })),
    }),
  );
}

/** The list/watch options of a request, parsed and validated; throws the 400 or 422 StatusError. */
export function listOptions(q: URLSearchParams, watch: boolean): ListOptions {
  const resourceVersion = parseResourceVersion(q.get('resourceVersion'));
  const match = q.get('resourceVersionMatch') ?? '';
  const cont = q.get('continue') ?? '';
  const limit = queryInt(q, 'limit') ?? 0;
  const timeoutSeconds = queryInt(q, 'timeoutSeconds');
  const allowWatchBookmarks = queryBool(q, 'allowWatchBookmarks');
  const sendInitialEvents = queryOptionalBool(q, 'sendInitialEvents');
  const causes: Cause[] = [];
  const unsupported = (supported: string[]): Cause => ({
    field: 'resourceVersionMatch',
    type: 'NotSupported',
    message: `${JSON.stringify(match)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`,
  });
  if (watch) {
    if (sendInitialEvents !== undefined) {
      if (match !== 'NotOlderThan')
        causes.push({ field: 'resourceVersionMatch', type: 'Forbidden', message: 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan' });
      if (!allowWatchBookmarks) causes.push({ field: 'allowWatchBookmarks', type: 'Forbidden', message: 'sendInitialEvents requires setting allowWatchBookmarks to true' });
    }
    if (match !== '') {
      if (sendInitialEvents === undefined)
        causes.push({ field: 'resourceVersionMatch', type: 'Forbidden', message: 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided' });
      if (match !== 'NotOlderThan') causes.push(unsupported(['NotOlderThan']));
      if (cont !== '') causes.push({ field: 'resourceVersionMatch', type: 'Forbidden', message: 'resourceVersionMatch is forbidden when continue is provided' });
    }
  } else {
    if (match !== '') {
      if (resourceVersion === '' && q.get('resourceVersion') === null)
        causes.push({ field: 'resourceVersionMatch', type: 'Forbidden', message: 'resourceVersionMatch is forbidden unless resourceVersion is provided' });
      if (cont !== '') causes.push({ field: 'resourceVersionMatch', type: 'Forbidden', message: 'resourceVersionMatch is forbidden when continue is provided' });
      if (match !== 'Exact' && match !== 'NotOlderThan') causes.push(unsupported(['Exact', 'NotOlderThan', '']));
      if (match === 'Exact' && resourceVersion === '0')
        causes.push({ field: 'resourceVersionMatch', type: 'Forbidden', message: 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"' });
    }
    if (sendInitialEvents !== undefined) causes.push({ field: 'sendInitialEvents', type: 'Forbidden', message: 'sendInitialEvents is forbidden for list' });
  }
  if (causes.length > 0) throw _invalid(causes);
  return {
    watch,
    resourceVersion,
    resourceVersionMatch: match as ResourceVersionMatch,
    limit,
    continue: cont,
    allowWatchBookmarks,
    sendInitialEvents,
    timeoutSeconds,
  };
}
