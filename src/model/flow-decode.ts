/**
 * @module decodeFlowEventBatch: a batch of FlowEvents from an agent, decoded and validated at the
 * door (the API server's flow ingestion). Untrusted input: own properties only, every string and
 * list bounded, every number checked; every problem is a FieldError with its path
 * (`events[3].source.ip`), all of them collected. Pure.
 */
import type { Result } from '../lib/result.js';
import { FieldPath, invalid, notSupported, required, tooLong, tooMany, typeInvalid, unknownField, type FieldError } from './field/index.js';
import type { FlowEndpoint, FlowEndpointKind, FlowEvent, FlowHitAction, FlowPolicyHit } from './flows.js';

export const MAX_FLOW_EVENTS_PER_BATCH = 10_000;
const MAX_HITS = 64;
const MAX_LABELS = 64;
const MAX_STRING = 253;
const MAX_LABEL_VALUE = 1024;
/** Counters up to 2^53: conntrack's u64 never gets near in a window. */
const MAX_COUNT = Number.MAX_SAFE_INTEGER;

export interface FlowEventBatch {
  readonly events: readonly FlowEvent[];
  /** Kernel-side losses the agent saw since its last batch (NFLOG overflows). */
  readonly kernelDropped: number;
}

type Obj = Record<string, unknown>;
const _own = (o: Obj, k: string): unknown => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);
const _isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const ENDPOINT_KINDS: readonly FlowEndpointKind[] = ['wep', 'hep', 'globalnetworkset', 'networkset', 'net'];
const HIT_ACTIONS: readonly FlowHitAction[] = ['allow', 'deny', 'pass', 'end-of-tier-deny', 'profile-allow', 'profile-deny'];
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9a-fA-F:.]{2,45}$/;

class _Reader {
  readonly errors: FieldError[] = [];
  constructor(readonly o: Obj, readonly path: FieldPath, allowed: readonly string[]) {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) this.errors.push(unknownField(path.child(k)));
  }
  str(k: string, opts: { optional?: boolean; max?: number; allowEmpty?: boolean } = {}): string {
    const v = _own(this.o, k);
    const p = this.path.child(k);
    if (v === undefined) {
      if (opts.optional !== true) this.errors.push(required(p));
      return '';
    }
    if (typeof v !== 'string') {
      this.errors.push(typeInvalid(p, v, 'a string'));
      return '';
    }
    if (v.length > (opts.max ?? MAX_STRING)) this.errors.push(tooLong(p, `${v.slice(0, 40)}…`, opts.max ?? MAX_STRING));
    else if (v === '' && opts.allowEmpty === false) this.errors.push(required(p));
    return v;
  }
  oneOf<T extends string>(k: string, values: readonly T[]): T {
    const v = this.str(k);
    if (v !== '' && !values.includes(v as T)) this.errors.push(notSupported(this.path.child(k), v, values));
    return v as T;
  }
  int(k: string, min: number, max: number, optional = false): number {
    const v = _own(this.o, k);
    const p = this.path.child(k);
    if (v === undefined) {
      if (!optional) this.errors.push(required(p));
      return 0;
    }
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      this.errors.push(typeInvalid(p, v, 'an integer'));
      return 0;
    }
    if (v < min || v > max) {
      this.errors.push(invalid(p, v, `must be between ${min} and ${max}, inclusive`));
      return 0;
    }
    return v;
  }
}

function _ip(r: _Reader, k: string, allowEmpty: boolean): string {
  const v = r.str(k, { max: 45 });
  if (v === '' && allowEmpty) return v;
  if (!IPV4.test(v) && !(v.includes(':') && IPV6.test(v))) r.errors.push(invalid(r.path.child(k), v, 'must be an IPv4 or IPv6 address'));
  return v;
}

function _labels(r: _Reader, k: string): Record<string, string> {
  const v = _own(r.o, k);
  const p = r.path.child(k);
  if (v === undefined) {
    r.errors.push(required(p));
    return {};
  }
  if (!_isObj(v)) {
    r.errors.push(typeInvalid(p, v, 'a map of strings'));
    return {};
  }
  const keys = Object.keys(v);
  if (keys.length > MAX_LABELS) {
    r.errors.push(tooMany(p, keys.length, MAX_LABELS));
    return {};
  }
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const key of keys) {
    const x = v[key];
    if (key.length > MAX_STRING) r.errors.push(tooLong(p.key(key.slice(0, 40)), key.slice(0, 40), MAX_STRING));
    else if (typeof x !== 'string') r.errors.push(typeInvalid(p.key(key), x, 'a string'));
    else if (x.length > MAX_LABEL_VALUE) r.errors.push(tooLong(p.key(key), `${x.slice(0, 40)}…`, MAX_LABEL_VALUE));
    else out[key] = x;
  }
  return { ...out };
}

function _endpoint(v: unknown, p: FieldPath, errors: FieldError[]): FlowEndpoint {
  if (!_isObj(v)) {
    errors.push(v === undefined ? required(p) : typeInvalid(p, v, 'a map'));
    return { kind: 'net', namespace: '', name: '', ip: '', labels: {} };
  }
  const r = new _Reader(v, p, ['kind', 'namespace', 'name', 'ip', 'labels', 'serviceAccount']);
  const kind = r.oneOf('kind', ENDPOINT_KINDS);
  const e: FlowEndpoint = {
    kind,
    namespace: r.str('namespace', { optional: true }),
    name: r.str('name', { optional: true }),
    ip: _ip(r, 'ip', kind !== 'net'),
    labels: _labels(r, 'labels'),
    ...(_own(v, 'serviceAccount') !== undefined ? { serviceAccount: r.str('serviceAccount') } : {}),
  };
  if ((kind === 'wep' || kind === 'networkset') && e.namespace === '') errors.push(required(p.child('namespace'), `a ${kind} endpoint is namespaced`));
  errors.push(...r.errors);
  return e;
}

function _hits(v: unknown, p: FieldPath, errors: FieldError[]): FlowPolicyHit[] {
  if (v === undefined) {
    errors.push(required(p));
    return [];
  }
  if (!Array.isArray(v)) {
    errors.push(typeInvalid(p, v, 'a list'));
    return [];
  }
  if (v.length > MAX_HITS) {
    errors.push(tooMany(p, v.length, MAX_HITS));
    return [];
  }
  return v.map((h, i) => {
    const hp = p.index(i);
    if (!_isObj(h)) {
      errors.push(typeInvalid(hp, h, 'a map'));
      return { tier: '', kind: '', namespace: '', name: '', ruleIndex: -1, direction: 'ingress', action: 'deny' };
    }
    const r = new _Reader(h, hp, ['tier', 'kind', 'namespace', 'name', 'ruleIndex', 'direction', 'action']);
    const hit: FlowPolicyHit = {
      tier: r.str('tier'),
      kind: r.str('kind'),
      namespace: r.str('namespace', { optional: true }),
      name: r.str('name', { allowEmpty: true }),
      ruleIndex: r.int('ruleIndex', -1, 100_000),
      direction: r.oneOf('direction', ['ingress', 'egress'] as const),
      action: r.oneOf('action', HIT_ACTIONS),
    };
    errors.push(...r.errors);
    return hit;
  });
}

/** One event; `now` bounds its time (no more than a minute ahead of the server). */
export function decodeFlowEvent(v: unknown, p: FieldPath, now: number): Result<FlowEvent, FieldError[]> {
  if (!_isObj(v)) return { ok: false, error: [typeInvalid(p, v, 'a map')] };
  const r = new _Reader(v, p, ['time', 'node', 'reporter', 'source', 'dest', 'protocol', 'sourcePort', 'destPort', 'action', 'enforced', 'pending', 'packetsOut', 'bytesOut', 'packetsIn', 'bytesIn']);
  const errors = r.errors;
  const ev: FlowEvent = {
    time: r.int('time', 0, now + 60_000),
    node: r.str('node', { allowEmpty: false }),
    reporter: r.oneOf('reporter', ['src', 'dst'] as const),
    source: _endpoint(_own(v, 'source'), p.child('source'), errors),
    dest: _endpoint(_own(v, 'dest'), p.child('dest'), errors),
    protocol: r.str('protocol', { max: 16, allowEmpty: false }).toLowerCase(),
    sourcePort: r.int('sourcePort', 0, 65535),
    destPort: r.int('destPort', 0, 65535),
    action: r.oneOf('action', ['allow', 'deny'] as const),
    enforced: _hits(_own(v, 'enforced'), p.child('enforced'), errors),
    pending: _own(v, 'pending') === undefined ? [] : _hits(_own(v, 'pending'), p.child('pending'), errors),
    packetsOut: r.int('packetsOut', 0, MAX_COUNT),
    bytesOut: r.int('bytesOut', 0, MAX_COUNT),
    packetsIn: r.int('packetsIn', 0, MAX_COUNT),
    bytesIn: r.int('bytesIn', 0, MAX_COUNT),
  };
  return errors.length > 0 ? { ok: false, error: errors } : { ok: true, value: ev };
}

/** `{ events: [...], kernelDropped?: n }`: every event valid, or every problem. */
export function decodeFlowEventBatch(v: unknown, now: number): Result<FlowEventBatch, FieldError[]> {
  const root = FieldPath.root();
  if (!_isObj(v)) return { ok: false, error: [typeInvalid(root, v, 'a map with `events`')] };
  const r = new _Reader(v, root, ['apiVersion', 'kind', 'events', 'kernelDropped']);
  const errors = r.errors;
  const kernelDropped = r.int('kernelDropped', 0, MAX_COUNT, true);
  const list = _own(v, 'events');
  const events: FlowEvent[] = [];
  if (list === undefined) errors.push(required(root.child('events')));
  else if (!Array.isArray(list)) errors.push(typeInvalid(root.child('events'), list, 'a list'));
  else if (list.length > MAX_FLOW_EVENTS_PER_BATCH) errors.push(tooMany(root.child('events'), list.length, MAX_FLOW_EVENTS_PER_BATCH));
  else
    list.forEach((x, i) => {
      if (errors.length >= 100) return; // enough to fix; the rest after
      const d = decodeFlowEvent(x, root.child('events').index(i), now);
      if (d.ok) events.push(d.value);
      else errors.push(...d.error);
    });
  return errors.length > 0 ? { ok: false, error: errors } : { ok: true, value: { events, kernelDropped } };
}
