/**
 * @module Kubernetes protobuf request bodies (`Content-Type: application/vnd.kubernetes.protobuf`)
 * decoded to the JSON object the rest of the server handles.
 *
 * The wire format: the 4-byte magic `k8s\0`, then a `runtime.Unknown` message whose `typeMeta`
 * names apiVersion and kind and whose `raw` holds the kind's own message (protobuf-schema.ts).
 *
 * Decision (issue 12): client-go's generated clients send built-in kinds as protobuf
 * (`Request.UseProtobufAsDefault`: `Content-Type: application/vnd.kubernetes.protobuf`,
 * `Accept: application/vnd.kubernetes.protobuf,application/json`) and only fall back to JSON
 * after a 415 for CBOR, never for protobuf ("built-in kube resources are forced to protobuf, so
 * those will not degrade to JSON", client-go rest/client.go). No negotiation makes kubectl's
 * `create namespace|serviceaccount|service|configmap|secret|deployment` send JSON, so the server
 * decodes protobuf. Responses stay JSON: those clients accept it and decode by the response's
 * Content-Type.
 *
 * Hostile input: every read is bounds-checked (protobufjs' Reader throws on truncated varints and
 * lengths past the end), nesting is bounded by the schema and by MAX_DEPTH, a wire type that does
 * not match the field's type, an unknown field with a non-zero value, a field Tabby does not
 * decode (`.tabby.NotServed`), an int64 beyond 2^53, invalid UTF-8 and embedded JSON that is not
 * JSON are all a 400 naming the message and field. Nothing here can throw anything else.
 */
import protobuf from 'protobufjs';
import { DELETE_OPTIONS, MESSAGE_OF_KIND, PROTO_ROOT, UNKNOWN } from './protobuf-schema.js';
import { badRequest } from './status.js';

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';
const MAGIC = [0x6b, 0x38, 0x73, 0x00];
/** Deeper than any served kind's schema (Deployment → template → spec → containers → … ≈ 10). */
const MAX_DEPTH = 32;
/** Nesting allowed inside JSON carried in bytes fields (managedFields' fieldsV1, RawExtension). */
const MAX_EMBEDDED_JSON_DEPTH = 64;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

/** A body that is not a valid protobuf object of a served kind; the server answers 400. */
export class ProtobufDecodeError extends Error {
  override get name(): string {
    return 'ProtobufDecodeError';
  }
}

/** `application/vnd.kubernetes.protobuf` (parameters ignored), case-insensitively. */
export function isProtobuf(contentType: string): boolean {
  return contentType.split(';')[0]!.trim().toLowerCase() === PROTOBUF_MEDIA_TYPE;
}

/**
 * The API server's one hook: a protobuf request body (POST, PUT, DELETE) as JSON text, or a 400
 * Status naming what is wrong with it.
 */
export async function protobufBodyAsJson(bytes: Promise<ArrayBuffer>): Promise<string> {
  try {
    return JSON.stringify(decodeProtobufObject(new Uint8Array(await bytes)));
  } catch (e) {
    if (e instanceof ProtobufDecodeError) throw badRequest(`the protobuf request body is not valid: ${e.message}`);
    throw e;
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes a Kubernetes protobuf body (`k8s\0` + runtime.Unknown) to the object's JSON form,
 * with `apiVersion` and `kind`. Throws ProtobufDecodeError, and nothing else, on bad input.
 */
export function decodeProtobufObject(body: Uint8Array): JsonObject {
  if (body.length < MAGIC.length || MAGIC.some((b, i) => body[i] !== b))
    throw new ProtobufDecodeError('the protobuf body does not start with the Kubernetes magic "k8s\\x00"');
  const envelope = _decode(body.subarray(MAGIC.length), _type(UNKNOWN), 'runtime.Unknown');
  const tm = (envelope['typeMeta'] ?? {}) as JsonObject;
  const apiVersion = typeof tm['apiVersion'] === 'string' ? tm['apiVersion'] : '';
  const kind = typeof tm['kind'] === 'string' ? tm['kind'] : '';
  if (apiVersion === '' || kind === '') throw new ProtobufDecodeError('the protobuf body names no apiVersion and kind (runtime.Unknown.typeMeta)');
  const encoding = envelope['contentEncoding'];
  if (typeof encoding === 'string' && encoding !== '') throw new ProtobufDecodeError(`unsupported protobuf contentEncoding ${JSON.stringify(encoding)}`);
  const messageName = kind === 'DeleteOptions' ? DELETE_OPTIONS : MESSAGE_OF_KIND.get(`${apiVersion}/${kind}`);
  if (messageName === undefined) throw new ProtobufDecodeError(`no kind "${kind}" is registered for version "${apiVersion}" in protobuf bodies; send it as JSON`);
  const raw = Buffer.from(typeof envelope['raw'] === 'string' ? envelope['raw'] : '', 'base64');
  return { apiVersion, kind, ..._decode(raw, _type(messageName), kind) };
}

const TYPES = new Map<string, protobuf.Type>();

function _type(name: string): protobuf.Type {
  let t = TYPES.get(name);
  if (t === undefined) TYPES.set(name, (t = PROTO_ROOT.lookupType(name)));
  return t;
}

function _decode(bytes: Uint8Array, type: protobuf.Type, path: string): JsonObject {
  try {
    const r = protobuf.Reader.create(bytes);
    return _message(r, r.len, type, path, 0);
  } catch (e) {
    if (e instanceof ProtobufDecodeError) throw e;
    // protobufjs' Reader: "index out of range: 6 + 4294967295 > 6", invalid wire types
    throw new ProtobufDecodeError(`malformed protobuf in ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

const WIRE_VARINT = 0;
const WIRE_LEN = 2;

const VARINT_TYPES = new Set(['int32', 'int64', 'bool']);

type Special = '' | 'time' | 'microtime' | 'intstr' | 'quantity' | 'fields' | 'raw';

const SPECIALS: ReadonlyMap<string, Special> = new Map<string, Special>([
  ['.k8s.io.apimachinery.pkg.apis.meta.v1.Time', 'time'],
  ['.k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime', 'microtime'],
  ['.k8s.io.apimachinery.pkg.util.intstr.IntOrString', 'intstr'],
  ['.k8s.io.apimachinery.pkg.api.resource.Quantity', 'quantity'],
  ['.k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1', 'fields'],
  ['.k8s.io.apimachinery.pkg.runtime.RawExtension', 'raw'],
]);

/** A message's fields as the decoder reads them (protobufjs' reflection getters are slow in a hot loop). */
interface Plan {
  readonly name: string;
  readonly special: Special;
  readonly byId: Map<number, FieldPlan>;
}

interface FieldPlan {
  readonly name: string;
  /** 'string' | 'bytes' | 'bool' | 'int32' | 'int64', or a message type name. */
  readonly type: string;
  readonly map: boolean;
  readonly repeated: boolean;
  readonly keep: boolean;
  readonly inline: boolean;
  readonly notServed: boolean;
  readonly varint: boolean;
  /** The message plan of a message-typed field (or map value). */
  readonly msg: Plan | undefined;
}

const PLANS = new Map<protobuf.Type, Plan>();

function _plan(t: protobuf.Type): Plan {
  let plan = PLANS.get(t);
  if (plan !== undefined) return plan;
  const fullName = t.fullName;
  plan = { name: fullName.slice(1), special: SPECIALS.get(fullName) ?? '', byId: new Map() };
  PLANS.set(t, plan); // before the fields: recursive types resolve to this plan
  for (const f of t.fieldsArray) {
    const rt = f.resolvedType;
    const msgType = rt instanceof protobuf.Type ? rt : undefined;
    plan.byId.set(f.id, {
      name: f.name,
      type: f.type,
      map: f.map,
      repeated: f.repeated,
      keep: f.options?.['(keep)'] === true,
      inline: f.options?.['(inline)'] === true,
      notServed: msgType?.fullName === '.tabby.NotServed',
      varint: VARINT_TYPES.has(f.type),
      msg: msgType === undefined ? undefined : _plan(msgType),
    });
  }
  return plan;
}

const _isZero = (v: Json | undefined): boolean => v === '' || v === 0 || v === false;

function _message(r: protobuf.Reader, end: number, type: protobuf.Type, path: string, depth: number): JsonObject {
  return _decodePlan(r, end, _plan(type), path, depth);
}

function _decodePlan(r: protobuf.Reader, end: number, plan: Plan, path: string, depth: number): JsonObject {
  if (depth > MAX_DEPTH) throw new ProtobufDecodeError(`protobuf nesting deeper than ${MAX_DEPTH} at ${path}`);
  if (end > r.len) throw new ProtobufDecodeError(`malformed protobuf in ${path}: a length runs past the end of the body`);
  // keys are the schema's field names (never __proto__); maps (user keys) are prototype-less
  const out: JsonObject = {};
  let maps: string[] | undefined;
  while (r.pos < end) {
    const tag = r.uint32();
    const id = tag >>> 3;
    const wire = tag & 7;
    if (id === 0) throw new ProtobufDecodeError(`malformed protobuf in ${path}: field number 0`);
    const field = plan.byId.get(id);
    if (field === undefined) {
      _skipUnknown(r, wire, `${path} (field number ${id} of ${plan.name})`);
      continue;
    }
    if (field.notServed) {
      if (wire !== WIRE_LEN) throw _wireError(`${path}.${field.name}`, wire);
      const len = r.uint32();
      if (len === 0) continue;
      throw new ProtobufDecodeError(`${path}.${field.name} is not supported in protobuf request bodies by this server; send the object as JSON`);
    }
    if (field.map) {
      const fpath = `${path}.${field.name}`;
      if (wire !== WIRE_LEN) throw _wireError(fpath, wire);
      const entryEnd = _end(r, fpath);
      let key = '';
      let value: Json | undefined;
      while (r.pos < entryEnd) {
        const t = r.uint32();
        if (t >>> 3 === 1 && (t & 7) === WIRE_LEN) key = _string(r, `${fpath} key`);
        else if (t >>> 3 === 2) value = _value(r, t & 7, field, `${fpath}[${JSON.stringify(key)}]`, depth);
        else _skipUnknown(r, t & 7, `${fpath} map entry`);
      }
      if (r.pos !== entryEnd) throw new ProtobufDecodeError(`malformed protobuf in ${fpath}: a map entry overruns its length`);
      let map = out[field.name] as JsonObject | undefined;
      if (map === undefined) {
        map = Object.create(null) as JsonObject;
        out[field.name] = map;
        (maps ??= []).push(field.name);
      }
      map[key] = value ?? _zero(field);
      continue;
    }
    if (field.repeated) {
      let list = out[field.name] as Json[] | undefined;
      if (list === undefined) out[field.name] = list = [];
      if (wire === WIRE_LEN && field.varint) {
        // packed
        const fpath = `${path}.${field.name}`;
        const packedEnd = _end(r, fpath);
        while (r.pos < packedEnd) list.push(_value(r, WIRE_VARINT, field, fpath, depth) as Json);
        if (r.pos !== packedEnd) throw new ProtobufDecodeError(`malformed protobuf in ${fpath}: a packed list overruns its length`);
      } else {
        const v = _value(r, wire, field, `${path}.${field.name}[${list.length}]`, depth);
        list.push(v === undefined ? null : v);
      }
      continue;
    }
    const v = _value(r, wire, field, `${path}.${field.name}`, depth);
    if (field.inline && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const k of Object.keys(v)) out[k] = v[k]!;
      continue;
    }
    // zero scalars Go's JSON encoder omits (Go's protobuf encoder writes them)
    if (v === undefined || (!field.keep && _isZero(v))) {
      if (field.name in out) delete out[field.name];
      continue;
    }
    out[field.name] = v;
  }
  if (r.pos !== end) throw new ProtobufDecodeError(`malformed protobuf in ${path}: a field overruns the message's length`);
  if (maps !== undefined) for (const m of maps) out[m] = { ...(out[m] as JsonObject) };
  return out;
}

/** The value of one (non-map-entry) field. */
function _value(r: protobuf.Reader, wire: number, field: FieldPlan, path: string, depth: number): Json | undefined {
  switch (field.type) {
    case 'string':
      if (wire !== WIRE_LEN) throw _wireError(path, wire);
      return _string(r, path);
    case 'bytes':
      if (wire !== WIRE_LEN) throw _wireError(path, wire);
      return Buffer.from(r.bytes()).toString('base64');
    case 'bool':
      if (wire !== WIRE_VARINT) throw _wireError(path, wire);
      return r.bool();
    case 'int32':
      if (wire !== WIRE_VARINT) throw _wireError(path, wire);
      return r.int32();
    case 'int64': {
      if (wire !== WIRE_VARINT) throw _wireError(path, wire);
      return _int64(r, path);
    }
    default: {
      const plan = field.msg;
      if (plan === undefined) throw new ProtobufDecodeError(`${path}: field type ${field.type} is not decodable`);
      if (wire !== WIRE_LEN) throw _wireError(path, wire);
      const end = _end(r, path);
      return _special(r, end, plan, path, depth + 1);
    }
  }
}

/** Messages whose JSON form is not an object: Time, IntOrString, Quantity, embedded JSON. */
function _special(r: protobuf.Reader, end: number, plan: Plan, path: string, depth: number): Json | undefined {
  const m = _decodePlan(r, end, plan, path, depth);
  switch (plan.special) {
    case 'time':
    case 'microtime':
      return _time(m, plan.special === 'microtime', path);
    case 'intstr':
      // type 0 is the int (the Go zero value); 1 the string
      return m['type'] === 1 ? ((m['strVal'] as string | undefined) ?? '') : ((m['intVal'] as number | undefined) ?? 0);
    case 'quantity':
      return (m['string'] as string | undefined) ?? '0';
    case 'fields':
      return m['Raw'] === undefined ? {} : _embeddedJson(m['Raw'] as string, path);
    case 'raw':
      return m['raw'] === undefined ? null : _embeddedJson(m['raw'] as string, path);
    default:
      return m;
  }
}

function _time(m: JsonObject, micro: boolean, path: string): Json | undefined {
  const seconds = (m['seconds'] as number | undefined) ?? 0;
  const nanos = (m['nanos'] as number | undefined) ?? 0;
  // Go's zero time.Time: JSON null (a pod template's `creationTimestamp: null`, as kube-apiserver keeps it)
  if (seconds === 0 && nanos === 0) return null;
  const ms = seconds * 1000 + (micro ? Math.floor(nanos / 1e6) : 0);
  const d = new Date(ms);
  if (!Number.isFinite(d.getTime()) || nanos < 0 || nanos > 999_999_999) throw new ProtobufDecodeError(`${path}: invalid time (seconds ${seconds}, nanos ${nanos})`);
  const iso = d.toISOString();
  if (!micro) return iso.replace(/\.\d+Z$/, 'Z');
  return `${iso.slice(0, 19)}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z`;
}

/** JSON carried in a bytes field (base64 here), with a nesting bound checked before parsing. */
function _embeddedJson(b64: string, path: string): Json {
  const text = _utf8(Buffer.from(b64, 'base64'), path);
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (++depth > MAX_EMBEDDED_JSON_DEPTH) throw new ProtobufDecodeError(`${path}: embedded JSON nested deeper than ${MAX_EMBEDDED_JSON_DEPTH}`);
    } else if (c === '}' || c === ']') depth--;
  }
  try {
    return JSON.parse(text) as Json;
  } catch (e) {
    throw new ProtobufDecodeError(`${path}: embedded JSON is not valid: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function _string(r: protobuf.Reader, path: string): string {
  return _utf8(r.bytes(), path);
}

function _utf8(bytes: Uint8Array, path: string): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new ProtobufDecodeError(`${path}: a string is not valid UTF-8`);
  }
}

function _int64(r: protobuf.Reader, path: string): number {
  const v: unknown = r.int64();
  const n = typeof v === 'number' ? v : Number((v as { toString(): string }).toString());
  if (!Number.isSafeInteger(n)) throw new ProtobufDecodeError(`${path}: integer out of range`);
  return n;
}

/** Reads a length prefix and returns where that part ends, refusing lengths past the body. */
function _end(r: protobuf.Reader, path: string): number {
  const len = r.uint32();
  const end = r.pos + len;
  if (len > r.len - r.pos) throw new ProtobufDecodeError(`malformed protobuf in ${path}: a length of ${len} bytes runs past the end of the body`);
  return end;
}

/**
 * A field number this server does not know: Go's encoder writes zero-valued scalars and empty
 * structs of fields newer than these definitions, so a zero value is skipped; anything else would
 * be silently lost, so it is refused.
 */
function _skipUnknown(r: protobuf.Reader, wire: number, where: string): void {
  if (wire === WIRE_VARINT) {
    if (Number((r.uint64() as unknown as { toString(): string }).toString()) === 0) return;
  } else if (wire === WIRE_LEN) {
    if (r.uint32() === 0) return;
  } else throw _wireError(where, wire);
  throw new ProtobufDecodeError(`unknown field in protobuf body: ${where}; this server does not decode it (send the object as JSON)`);
}

function _zero(field: FieldPlan): Json {
  switch (field.type) {
    case 'string':
    case 'bytes':
      return '';
    case 'bool':
      return false;
    case 'int32':
    case 'int64':
      return 0;
    default:
      return field.msg?.special === 'quantity' ? '0' : {};
  }
}

function _wireError(path: string, wire: number): ProtobufDecodeError {
  return new ProtobufDecodeError(`malformed protobuf in ${path}: unexpected wire type ${wire}`);
}
