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
import { arr, int, obj, str, type Decoder } from '../decode/decoder.js';
import { checkSelectorSyntax, SelectorParseError, type SelectorNode } from '../../selector/index.js';
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

const ALL_DIGITS = /^\d+$/;

/**
 * numorstring.Protocol: an integer, or a string. A string of digits that fits in a uint8 is the
 * number (Calico's Uint8OrString.UnmarshalJSON does the same), so `"6"` decodes as `6`.
 */
export const protocolDecoder: Decoder<Protocol> = (raw, path, errs) => {
  if (typeof raw === 'number' && Number.isInteger(raw)) return raw;
  if (typeof raw === 'string') return ALL_DIGITS.test(raw) && Number(raw) <= 255 ? Number(raw) : raw;
  errs.push(typeInvalid(path, raw, 'an integer or a string'));
  return undefined;
};

/** The IP protocol number of a valid protocol value, or undefined for an unknown name. */
export function protocolNumber(p: Protocol): number | undefined {
  if (typeof p === 'number') return p;
  if (ALL_DIGITS.test(p)) return Number(p);
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
  const n = typeof p === 'number' ? p : ALL_DIGITS.test(p) ? Number(p) : undefined;
  if (n !== undefined) {
    return n >= 1 && n <= 255
      ? []
      : [invalid(path, p, 'protocol number invalid: must be between 1 and 255, inclusive')];
  }
  if ((PROTOCOL_NAMES as readonly string[]).includes(p as string)) return [];
  return [
    invalid(
      path,
      p,
      `protocol name invalid: must be one of ${PROTOCOL_NAMES.map((x) => `"${x}"`).join(', ')} (case-sensitive) or a number between 1 and 255`,
    ),
  ];
}

// ---------------------------------------------------------------------------------------------
// Port

/**
 * numorstring.Port: an integer, or a string — a number (`"80"` is 80, as PortFromString), a
 * range `"min:max"`, or a named port.
 */
export const portDecoder: Decoder<Port> = (raw, path, errs) => {
  if (typeof raw === 'number' && Number.isInteger(raw)) return raw;
  if (typeof raw === 'string') return ALL_DIGITS.test(raw) ? Number(raw) : raw;
  errs.push(typeInvalid(path, raw, 'an integer or a string'));
  return undefined;
};

export type ParsedPort =
  | { readonly kind: 'range'; readonly min: number; readonly max: number }
  | { readonly kind: 'named'; readonly name: string };

const PORT_RANGE = /^(\d+):(\d+)$/;
const PORT_NAME = /^[a-zA-Z0-9_.-]{1,128}$/;

/** Reads a port value; numbers and `"min:max"` are ranges, anything else is a name. */
export function parsePort(p: Port): ParsedPort {
  if (typeof p === 'number') return { kind: 'range', min: p, max: p };
  if (ALL_DIGITS.test(p)) return { kind: 'range', min: Number(p), max: Number(p) };
  const m = PORT_RANGE.exec(p);
  if (m) return { kind: 'range', min: Number(m[1]), max: Number(m[2]) };
  return { kind: 'named', name: p };
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
  const parsed = parsePort(p);
  if (parsed.kind === 'range') {
    const errs: FieldError[] = [];
    const inRange = (n: number): boolean => n >= 1 && n <= 65535;
    if (!inRange(parsed.min) || !inRange(parsed.max)) errs.push(invalid(path, p, PORT_RANGE_MSG));
    else if (parsed.min > parsed.max)
      errs.push(
        invalid(path, p, `port range invalid, minimum port number (${parsed.min}) is greater than maximum port number (${parsed.max})`),
      );
    return errs;
  }
  if (!PORT_NAME.test(parsed.name))
    return [invalid(path, p, 'invalid name for named port: must match ^[a-zA-Z0-9_.-]{1,128}$, or be a number or a "min:max" range')];
  return portNameProblems(parsed.name).map((m) => invalid(path, p, `invalid named port: ${m}`));
}

export const MAX_PORTS = 50;

export function validatePorts(ports: readonly Port[] | undefined, path: FieldPath): FieldError[] {
  if (ports === undefined) return [];
  const errs: FieldError[] = [];
  if (ports.length > MAX_PORTS) errs.push(tooMany(path, ports.length, MAX_PORTS));
  ports.forEach((p, i) => errs.push(...validatePort(p, path.index(i))));
  return errs;
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
function _stripNots(n: SelectorNode): SelectorNode {
  return n.kind === 'not' ? _stripNots(n.operand) : n;
}

export function validateSelector(sel: string | undefined, path: FieldPath, globalRule: GlobalRule): FieldError[] {
  if (sel === undefined || sel === '') return [];
  const errs: FieldError[] = [];
  if (sel.length > MAX_SELECTOR_LENGTH) errs.push(tooLong(path, sel, MAX_SELECTOR_LENGTH));
  let parsed: { ast: SelectorNode; hasGlobal: boolean } | undefined;
  try {
    parsed = checkSelectorSyntax(sel);
  } catch (e) {
    if (e instanceof SelectorParseError) errs.push(invalid(path, sel, `invalid selector: ${e.message} (at column ${e.column})`));
    else errs.push(invalid(path, sel, `invalid selector: ${e instanceof Error ? e.message : String(e)}`));
  }
  if (globalRule === 'forbid') {
    // Calico: any selector text containing "global()" (it checks the raw string).
    if (parsed?.hasGlobal || sel.includes('global()')) errs.push(invalid(path, sel, GLOBAL_ONLY_IN_NAMESPACE_SELECTOR));
  } else if (parsed?.hasGlobal && _stripNots(parsed.ast).kind !== 'global') {
    // Calico matches the canonical form against `(&&|||) global()|global() (&&|||)`: global() may
    // stand alone or negated, never as an operand of && or ||.
    errs.push(invalid(path, sel, GLOBAL_NOT_COMBINED));
  }
  return errs;
}
