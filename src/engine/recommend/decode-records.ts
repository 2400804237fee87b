/**
 * @module decodeFlowRecords: untrusted JSON/YAML (a flows file, an API answer) → FlowRecord[],
 * or every problem with its field path. Pure.
 *
 * Accepts an array of records, or an object whose `items` (a Kubernetes-style list) or `records`
 * is that array. Own properties only; unknown fields are ignored (a newer aggregator may add
 * some). Bounds: at most MAX_RECORDS records, MAX_LABELS labels per endpoint, strings of at most
 * 253 characters (label values 63); counts are non-negative safe integers.
 */
import { FieldPath } from '../../model/field/path.js';
import { invalid, notSupported, required, tooMany, typeInvalid, type FieldError } from '../../model/field/errors.js';
import { isQualifiedName, isValidLabelValue } from '../../model/validate/names.js';
import type { FlowAction, FlowEndpoint, FlowEndpointKind, FlowPolicyHit, FlowRecord } from '../../model/flows.js';
import { ipFromText } from '../ip.js';

export const MAX_RECORDS = 1_000_000;
export const MAX_LABELS = 64;
const MAX_STRING = 253;

type Obj = Record<string, unknown>;
const _isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const _get = (o: Obj, k: string): unknown => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);

const ENDPOINT_KINDS: readonly FlowEndpointKind[] = ['wep', 'hep', 'globalnetworkset', 'networkset', 'net'];

class _Reader {
  readonly errs: FieldError[] = [];

  str(o: Obj, k: string, p: FieldPath, opt = false): string {
    const v = _get(o, k);
    if (v === undefined && opt) return '';
    if (typeof v !== 'string') {
      this.errs.push(v === undefined ? required(p.child(k)) : typeInvalid(p.child(k), v, 'string'));
      return '';
    }
    if (v.length > MAX_STRING) this.errs.push(invalid(p.child(k), `${v.slice(0, 20)}…`, `must be no more than ${MAX_STRING} characters`));
    return v;
  }

  count(o: Obj, k: string, p: FieldPath, opt: boolean, max = Number.MAX_SAFE_INTEGER): number {
    const v = _get(o, k);
    if (v === undefined && opt) return 0;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) {
      this.errs.push(v === undefined ? required(p.child(k)) : invalid(p.child(k), v, `must be an integer between 0 and ${max}`));
      return 0;
    }
    return v;
  }

  endpoint(raw: unknown, p: FieldPath): FlowEndpoint {
    const bad: FlowEndpoint = { kind: 'net', namespace: '', name: '', ip: '', labels: {} };
    if (!_isObj(raw)) {
      this.errs.push(raw === undefined ? required(p) : typeInvalid(p, raw, 'object'));
      return bad;
    }
    const kind = _get(raw, 'kind');
    if (typeof kind !== 'string' || !(ENDPOINT_KINDS as readonly string[]).includes(kind)) this.errs.push(notSupported(p.child('kind'), kind, ENDPOINT_KINDS));
    const namespace = this.str(raw, 'namespace', p, true);
    const name = this.str(raw, 'name', p, true);
    const ip = this.str(raw, 'ip', p, true);
    if (ip !== '' && ipFromText(ip) === undefined) this.errs.push(invalid(p.child('ip'), ip, 'must be an IPv4 or IPv6 address'));
    if (kind === 'wep' && (namespace === '' || name === '')) this.errs.push(required(p.child(namespace === '' ? 'namespace' : 'name'), 'a pod endpoint names its namespace and pod'));
    const labels: Record<string, string> = {};
    const rawLabels = _get(raw, 'labels');
    if (rawLabels !== undefined) {
      const lp = p.child('labels');
      if (!_isObj(rawLabels)) this.errs.push(typeInvalid(lp, rawLabels, 'object'));
      else {
        const keys = Object.keys(rawLabels);
        if (keys.length > MAX_LABELS) this.errs.push(tooMany(lp, keys.length, MAX_LABELS));
        else
          for (const k of keys) {
            const v = rawLabels[k];
            if (typeof v !== 'string') {
              this.errs.push(typeInvalid(lp.key(k), v, 'string'));
              continue;
            }
            const problems = [...isQualifiedName(k).map((m) => invalid(lp, k, m)), ...isValidLabelValue(v).map((m) => invalid(lp.key(k), v, m))];
            if (problems.length > 0) this.errs.push(...problems);
            else labels[k] = v;
          }
      }
    }
    const serviceAccount = _get(raw, 'serviceAccount');
    return {
      kind: (ENDPOINT_KINDS as readonly string[]).includes(String(kind)) ? (kind as FlowEndpointKind) : 'net',
      namespace,
      name,
      ip,
      labels,
      ...(typeof serviceAccount === 'string' ? { serviceAccount } : {}),
    };
  }

  hits(o: Obj, k: string, p: FieldPath): FlowPolicyHit[] {
    const v = _get(o, k);
    if (v === undefined) return [];
    if (!Array.isArray(v)) {
      this.errs.push(typeInvalid(p.child(k), v, 'array'));
      return [];
    }
    if (v.length > 1000) this.errs.push(tooMany(p.child(k), v.length, 1000));
    // Not read by the recommender: kept as given when they are objects.
    return v.filter(_isObj) as unknown as FlowPolicyHit[];
  }

  record(raw: unknown, p: FieldPath): FlowRecord | undefined {
    if (!_isObj(raw)) {
      this.errs.push(typeInvalid(p, raw, 'object'));
      return undefined;
    }
    const before = this.errs.length;
    const reporter = _get(raw, 'reporter');
    if (reporter !== 'src' && reporter !== 'dst') this.errs.push(notSupported(p.child('reporter'), reporter, ['src', 'dst']));
    const action = _get(raw, 'action');
    if (action !== 'allow' && action !== 'deny') this.errs.push(notSupported(p.child('action'), action, ['allow', 'deny']));
    const nodesRaw = _get(raw, 'nodes');
    const nodes: string[] = [];
    if (nodesRaw !== undefined) {
      if (!Array.isArray(nodesRaw) || nodesRaw.some((n) => typeof n !== 'string')) this.errs.push(typeInvalid(p.child('nodes'), nodesRaw, 'array of strings'));
      else if (nodesRaw.length > 10_000) this.errs.push(tooMany(p.child('nodes'), nodesRaw.length, 10_000));
      else nodes.push(...(nodesRaw as string[]));
    }
    const rec: FlowRecord = {
      startTime: this.count(raw, 'startTime', p, true),
      endTime: this.count(raw, 'endTime', p, true),
      reporter: reporter === 'src' ? 'src' : 'dst',
      nodes,
      source: this.endpoint(_get(raw, 'source'), p.child('source')),
      dest: this.endpoint(_get(raw, 'dest'), p.child('dest')),
      protocol: this.str(raw, 'protocol', p).toLowerCase(),
      destPort: this.count(raw, 'destPort', p, true, 65535),
      action: action === 'deny' ? 'deny' : ('allow' as FlowAction),
      enforced: this.hits(raw, 'enforced', p),
      pending: this.hits(raw, 'pending', p),
      connections: this.count(raw, 'connections', p, true),
      packetsOut: this.count(raw, 'packetsOut', p, true),
      bytesOut: this.count(raw, 'bytesOut', p, true),
      packetsIn: this.count(raw, 'packetsIn', p, true),
      bytesIn: this.count(raw, 'bytesIn', p, true),
    };
    return this.errs.length === before ? rec : undefined;
  }
}

/** The records of a flows document, or every problem found (with field paths from the document root). */
export function decodeFlowRecords(raw: unknown): { ok: true; records: FlowRecord[] } | { ok: false; errors: FieldError[] } {
  let list: unknown = raw;
  let root = FieldPath.root();
  if (_isObj(raw)) {
    const key = _get(raw, 'items') !== undefined ? 'items' : _get(raw, 'records') !== undefined ? 'records' : undefined;
    if (key === undefined) return { ok: false, errors: [required(FieldPath.root('items'), 'a list of flow records (an array, or an object with `items`)')] };
    list = _get(raw, key);
    root = FieldPath.root(key);
  }
  if (!Array.isArray(list)) return { ok: false, errors: [typeInvalid(root, list, 'array of flow records')] };
  if (list.length > MAX_RECORDS) return { ok: false, errors: [tooMany(root, list.length, MAX_RECORDS)] };
  const r = new _Reader();
  const records: FlowRecord[] = [];
  for (let i = 0; i < list.length && r.errs.length < 100; i++) {
    const rec = r.record(list[i], root.index(i));
    if (rec !== undefined) records.push(rec);
  }
  return r.errs.length > 0 ? { ok: false, errors: r.errs } : { ok: true, records };
}
