/**
 * @module The small value types inside a Calico v3 Rule: protocols, ports, ICMP fields, HTTP
 * matches, ProtoPort, and selector fields. Decoders accept Calico's JSON forms
 * (numorstring.Protocol / numorstring.Port); validators return every problem with its path.
 *
 * Semantics follow libcalico-go `validator/v3` at v3.31 (reason texts reused where it has one),
 * with the CRD limits (MaxItems/MaxLength) the digest lists. Pure: no I/O.
 */
import type { FieldPath } from '../field/path.js';
import {
  duplicate,
  invalid,
  notSupported,
  required,
  tooLong,
  tooMany,
  typeInvalid,
  type FieldError,
} from '../field/errors.js';
import { arr, int, obj, str, withFastPath, type Decoder } from '../decode/decoder.js';
import { checkSelectorSyntax, scanSelector, SelectorParseError } from '../../selector/index.js';
import { parseCidrOrIp } from '../../lib/net.js';
import type { HTTPMatch, HTTPPath, ICMPFields, Port, ProtoPort, Protocol } from './types.js';

// ---------------------------------------------------------------------------------------------
// Protocol

/** Protocol names Calico accepts, case-sensitive (validator protocolRegex). */
export const PROTOCOL_NAMES = ['TCP', 'UDP', 'ICMP', 'ICMPv6', 'SCTP', 'UDPLite'] as const;
export type ProtocolName = (typeof PROTOCOL_NAMES)[number];

const PROTOCOL_NUMBERS: Readonly<Record<ProtocolName, number>> = {
  TCP: 6,
  UDP: 17,
  ICMP: 1,
  ICMPv6: 58,
  SCTP: 132,
  UDPLite: 136,
};

/** `^\d+$` as a char loop (hot path): one or more ASCII digits. */
function allDigits(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * numorstring.Protocol: an integer, or a string. A string of digits that fits in a uint8 is the
 * number (Calico's Uint8OrString.UnmarshalJSON does the same), so `"6"` decodes as `6`.
 */
export const protocolDecoder: Decoder<Protocol> = withFastPath<Protocol>(
  (raw, path, errs) => {
    if (typeof raw === 'number' && Number.isInteger(raw)) return raw;
    if (typeof raw === 'string') return allDigits(raw) && Number(raw) <= 255 ? Number(raw) : raw;
    errs.push(typeInvalid(path, raw, 'an integer or a string'));
    return undefined;
  },
  (raw) => {
    if (typeof raw === 'number' && Number.isInteger(raw)) return raw;
    if (typeof raw === 'string') return allDigits(raw) && Number(raw) <= 255 ? Number(raw) : raw;
    return undefined;
  },
);

/** The IP protocol number of a valid protocol value, or undefined for an unknown name. */
export function protocolNumber(p: Protocol): number | undefined {
  if (typeof p === 'number') return p;
  if (allDigits(p)) return Number(p);
  return (PROTOCOL_NUMBERS as Readonly<Record<string, number>>)[p];
}

/** TCP, UDP and SCTP (6, 17, 132) carry ports (numorstring Protocol.SupportsPorts). */
export function protocolSupportsPorts(p: Protocol | undefined): boolean {
  if (p === undefined) return false;
  const n = protocolNumber(p);
  return n === 6 || n === 17 || n === 132;
}

export const isProtocol = (p: Protocol | undefined, num: number): boolean =>
  p !== undefined && protocolNumber(p) === num;

/** A protocol is a name from PROTOCOL_NAMES (case-sensitive) or a number 1–255. */
export function validateProtocol(p: Protocol, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  validateProtocolInto(errs, p, path, undefined);
  return errs;
}

/**
 * validateProtocol pushing onto `errs`; the error path is `parent.child(key)` (or `parent` when
 * `key` is undefined), built only when there is an error.
 */
export function validateProtocolInto(errs: FieldError[], p: Protocol, parent: FieldPath, key: string | undefined): void {
  const r = _protocolProblem(p);
  if (r !== undefined) errs.push(invalid(key === undefined ? parent : parent.child(key), p, r));
}

const PROTOCOL_NAME_MSG = `protocol name invalid: must be one of ${PROTOCOL_NAMES.map((x) => `"${x}"`).join(', ')} (case-sensitive) or a number between 1 and 255`;

function _protocolProblem(p: Protocol): string | undefined {
  const n = typeof p === 'number' ? p : allDigits(p) ? Number(p) : undefined;
  if (n !== undefined) return n >= 1 && n <= 255 ? undefined : 'protocol number invalid: must be between 1 and 255, inclusive';
  if ((PROTOCOL_NAMES as readonly string[]).includes(p as string)) return undefined;
  return PROTOCOL_NAME_MSG;
}

// ---------------------------------------------------------------------------------------------
// Port

/**
 * numorstring.Port: an integer, or a string — a number (`"80"` is 80, as PortFromString), a
 * range `"min:max"`, or a named port.
 */
export const portDecoder: Decoder<Port> = withFastPath<Port>(
  (raw, path, errs) => {
    if (typeof raw === 'number' && Number.isInteger(raw)) return raw;
    if (typeof raw === 'string') return allDigits(raw) ? Number(raw) : raw;
    errs.push(typeInvalid(path, raw, 'an integer or a string'));
    return undefined;
  },
  (raw) => {
    if (typeof raw === 'number' && Number.isInteger(raw)) return raw;
    if (typeof raw === 'string') return allDigits(raw) ? Number(raw) : raw;
    return undefined;
  },
);

export type ParsedPort =
  | { readonly kind: 'range'; readonly min: number; readonly max: number }
  | { readonly kind: 'named'; readonly name: string };

const PORT_NAME = /^[a-zA-Z0-9_.-]{1,128}$/;

/** Reads a port value; numbers and `"min:max"` are ranges, anything else is a name. */
export function parsePort(p: Port): ParsedPort {
  if (typeof p === 'number') return { kind: 'range', min: p, max: p };
  if (allDigits(p)) return { kind: 'range', min: Number(p), max: Number(p) };
  const colon = _rangeColon(p);
  if (colon >= 0) return { kind: 'range', min: Number(p.slice(0, colon)), max: Number(p.slice(colon + 1)) };
  return { kind: 'named', name: p };
}

/** Number(p.slice(from, to)) for an all-digit span, without the slice when the value is exact. */
function _digitsValue(p: string, from: number, to: number): number {
  if (to - from > 15) return Number(p.slice(from, to));
  let v = 0;
  for (let i = from; i < to; i++) v = v * 10 + (p.charCodeAt(i) - 48);
  return v;
}

/** `^(\d+):(\d+)$` as a char loop: the colon's index, or -1 when `p` is not a `min:max` range. */
function _rangeColon(p: string): number {
  const n = p.length;
  let colon = -1;
  for (let i = 0; i < n; i++) {
    const c = p.charCodeAt(i);
    if (c === 58 /* : */) {
      if (colon >= 0) return -1;
      colon = i;
    } else if (c < 48 || c > 57) return -1;
  }
  return colon > 0 && colon < n - 1 ? colon : -1;
}

export const PORT_RANGE_MSG = 'port range invalid, port number must be between 1 and 65535';

/** Kubernetes IsValidPortName (IANA service name), which Calico applies to named ports. */
export function portNameProblems(name: string): string[] {
  const out: string[] = [];
  if (name.length > 15) out.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(name)) out.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (name.includes('--')) out.push('must not contain consecutive hyphens');
  if (!/[a-z]/.test(name)) out.push('must contain at least one letter (a-z)');
  if (name.startsWith('-') || name.endsWith('-')) out.push('must not begin or end with a hyphen');
  return out;
}

export function validatePort(p: Port, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  _validatePortInto(errs, p, path, -1);
  return errs;
}

const _inRange = (n: number): boolean => n >= 1 && n <= 65535;

/** validatePort pushing onto `errs`; the path is `parent.index(i)` (`parent` when i < 0), built only on error. */
function _validatePortInto(errs: FieldError[], p: Port, parent: FieldPath, i: number): void {
  let min: number;
  let max: number;
  if (typeof p === 'number') min = max = p;
  else if (allDigits(p)) min = max = Number(p);
  else {
    const colon = _rangeColon(p);
    if (colon < 0) {
      const path = i < 0 ? parent : parent.index(i);
      if (!PORT_NAME.test(p)) {
        errs.push(invalid(path, p, 'invalid name for named port: must match ^[a-zA-Z0-9_.-]{1,128}$, or be a number or a "min:max" range'));
        return;
      }
      for (const m of portNameProblems(p)) errs.push(invalid(path, p, `invalid named port: ${m}`));
      return;
    }
    min = _digitsValue(p, 0, colon);
    max = _digitsValue(p, colon + 1, p.length);
  }
  if (!_inRange(min) || !_inRange(max)) errs.push(invalid(i < 0 ? parent : parent.index(i), p, PORT_RANGE_MSG));
  else if (min > max)
    errs.push(
      invalid(
        i < 0 ? parent : parent.index(i),
        p,
        `port range invalid, minimum port number (${min}) is greater than maximum port number (${max})`,
      ),
    );
}

export const MAX_PORTS = 50;

export function validatePorts(ports: readonly Port[] | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  validatePortsInto(errs, ports, path, undefined);
  return errs;
}

/** validatePorts pushing onto `errs`, at `parent.child(key)` (`parent` when key is undefined); paths built only on error. */
export function validatePortsInto(
  errs: FieldError[],
  ports: readonly Port[] | undefined,
  parent: FieldPath,
  key: string | undefined,
): void {
  if (ports === undefined) return;
  const n = ports.length;
  let path: FieldPath | undefined = key === undefined ? parent : undefined;
  if (n > MAX_PORTS) errs.push(tooMany((path ??= parent.child(key!)), n, MAX_PORTS));
  for (let i = 0; i < n; i++) {
    const p = ports[i]!;
    // Fast path for the common valid cases: no path is built unless something is wrong.
    if (typeof p === 'number' && p >= 1 && p <= 65535) continue;
    _validatePortInto(errs, p, (path ??= parent.child(key!)), i);
  }
}

// ---------------------------------------------------------------------------------------------
// ICMP

export const icmpFieldsDecoder: Decoder<ICMPFields> = obj({ type: int, code: int });

export function validateICMPFields(icmp: ICMPFields, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (icmp.type !== undefined && (icmp.type < 0 || icmp.type > 254))
    errs.push(invalid(path.child('type'), icmp.type, 'must be between 0 and 254, inclusive'));
  if (icmp.code !== undefined && (icmp.code < 0 || icmp.code > 255))
    errs.push(invalid(path.child('code'), icmp.code, 'must be between 0 and 255, inclusive'));
  if (icmp.code !== undefined && icmp.type === undefined)
    errs.push(invalid(path.child('code'), icmp.code, 'ICMP code specified without an ICMP type'));
  return errs;
}

// ---------------------------------------------------------------------------------------------
// HTTP match

export const httpPathDecoder: Decoder<HTTPPath> = obj({ exact: str, prefix: str });
export const httpMatchDecoder: Decoder<HTTPMatch> = obj({ methods: arr(str), paths: arr(httpPathDecoder) });

export const MAX_HTTP_ITEMS = 20;
const MAX_HTTP_PATH = 1024;

export function validateHTTPMatch(h: HTTPMatch, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const mp = path.child('methods');
  const methods = h.methods ?? [];
  if (methods.length > MAX_HTTP_ITEMS) errs.push(tooMany(mp, methods.length, MAX_HTTP_ITEMS));
  const seen = new Set<string>();
  methods.forEach((m, i) => {
    if (seen.has(m)) errs.push(duplicate(mp.index(i), m));
    seen.add(m);
  });
  const pp = path.child('paths');
  const paths = h.paths ?? [];
  if (paths.length > MAX_HTTP_ITEMS) errs.push(tooMany(pp, paths.length, MAX_HTTP_ITEMS));
  paths.forEach((p, i) => errs.push(...validateHTTPPath(p, pp.index(i))));
  return errs;
}

/** One path match: exactly one of `exact`/`prefix`, starting with `/`, without `?`, `#` or spaces. */
export function validateHTTPPath(p: HTTPPath, path: FieldPath): FieldError[] {
  const exact = p.exact ?? '';
  const prefix = p.prefix ?? '';
  if (exact !== '' && prefix !== '') return [invalid(path, p, 'may not specify both `exact` and `prefix`')];
  if (exact === '' && prefix === '') return [required(path, 'one of `exact` or `prefix` must be set')];
  const field = exact !== '' ? 'exact' : 'prefix';
  const v = exact !== '' ? exact : prefix;
  const errs: FieldError[] = [];
  if (v.length > MAX_HTTP_PATH) errs.push(tooLong(path.child(field), v, MAX_HTTP_PATH));
  if (!v.startsWith('/') || /[? #]/.test(v))
    errs.push(invalid(path.child(field), v, 'must start with `/` and must not contain `?`, `#` or a space'));
  return errs;
}

// ---------------------------------------------------------------------------------------------
// ProtoPort (FelixConfiguration failsafe ports and similar)

export const protoPortDecoder: Decoder<ProtoPort> = obj({ protocol: str, port: int, net: str });

export const PROTO_PORT_PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;

export function validateProtoPort(pp: ProtoPort, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (pp.protocol === undefined) errs.push(required(path.child('protocol'), "protocol must be 'TCP' or 'UDP' or 'SCTP'"));
  else if (!(PROTO_PORT_PROTOCOLS as readonly string[]).includes(pp.protocol))
    errs.push(notSupported(path.child('protocol'), pp.protocol, PROTO_PORT_PROTOCOLS));
  if (pp.port === undefined) errs.push(required(path.child('port')));
  else if (pp.port < 0 || pp.port > 65535)
    errs.push(invalid(path.child('port'), pp.port, 'must be between 0 and 65535, inclusive'));
  if (pp.net !== undefined && pp.net !== '' && parseCidrOrIp(pp.net) === undefined)
    errs.push(invalid(path.child('net'), pp.net, 'must be a valid IP address or CIDR'));
  return errs;
}

// ---------------------------------------------------------------------------------------------
// Selector fields

export const MAX_SELECTOR_LENGTH = 1024;

export const GLOBAL_ONLY_IN_NAMESPACE_SELECTOR = 'global() can only be used in an EntityRule namespaceSelector';
export const GLOBAL_NOT_COMBINED = 'global() cannot be combined with other selectors';

/**
 * How a selector field treats `global()`:
 * - `forbid`: anywhere in the text is an error (Calico checks the raw text, as here);
 * - `whole`: allowed only as the entire selector (EntityRule.namespaceSelector).
 */
export type GlobalRule = 'forbid' | 'whole';


/** Syntax, length and `global()` placement of one selector field. Empty means all(). */
export function validateSelector(sel: string | undefined, path: FieldPath, globalRule: GlobalRule): FieldError[] {
  const errs: FieldError[] = [];
  validateSelectorInto(errs, sel, path, undefined, globalRule);
  return errs;
}

/** validateSelector pushing onto `errs`, at `parent.child(key)` (`parent` when key is undefined), built only on error. */
export function validateSelectorInto(
  errs: FieldError[],
  sel: string | undefined,
  parent: FieldPath,
  key: string | undefined,
  globalRule: GlobalRule,
): void {
  if (sel === undefined || sel === '') return;
  // The field's path is built only when there is something to report.
  let path: FieldPath | undefined = key === undefined ? parent : undefined;
  if (sel.length > MAX_SELECTOR_LENGTH) errs.push(tooLong((path ??= parent.child(key!)), sel, MAX_SELECTOR_LENGTH));
  // The allocation-free scan decides; only a rejected selector is parsed again for its message.
  const shape = scanSelector(sel);
  if (shape === undefined) {
    try {
      checkSelectorSyntax(sel);
    } catch (e) {
      if (e instanceof SelectorParseError) errs.push(invalid((path ??= parent.child(key!)), sel, `invalid selector: ${e.message} (at column ${e.column})`));
      else errs.push(invalid((path ??= parent.child(key!)), sel, `invalid selector: ${e instanceof Error ? e.message : String(e)}`));
    }
  }
  if (globalRule === 'forbid') {
    // Calico: any selector text containing "global()" (it checks the raw string).
    if ((shape !== undefined && shape !== 'plain') || sel.includes('global()')) errs.push(invalid((path ?? parent.child(key!)), sel, GLOBAL_ONLY_IN_NAMESPACE_SELECTOR));
  } else if (shape === 'mixed') {
    // Calico matches the canonical form against `(&&|||) global()|global() (&&|||)`: global() may
    // stand alone or negated, never as an operand of && or ||.
    errs.push(invalid((path ?? parent.child(key!)), sel, GLOBAL_NOT_COMBINED));
  }
}
