/**
 * @module HostEndpoint (projectcalico.org/v3, cluster-scoped): decode, default, validate.
 *
 * Also home of the endpoint field checks that WorkloadEndpoint, Node and FelixConfiguration
 * reuse: interface names, named ports, port protocols, IP addresses and resource-name references
 * (libcalico-go/lib/validator/v3 `interface`, `portName`, `ip`, `name` and validateEndpointPort).
 * Every check returns problems as data and never stops at the first one.
 */
import type { FieldPath } from '../field/path.js';
import { invalid, required, type FieldError } from '../field/errors.js';
import { arr, int, intOrStr, obj, str, type Decoder } from '../decode/decoder.js';
import { defineFragment, defineKind, resourceDecoder, type FragmentInfo, type KindInfo } from '../kind-info.js';
import { isDNS1123Subdomain } from '../validate/names.js';
import { parseIp, type IpFamily } from '../../lib/net.js';
import type { EndpointPort, HostEndpoint, HostEndpointSpec, NumOrStringProtocol } from './other-types.js';

// ---------------------------------------------------------------------------------------------
// Shared field checks (each returns FieldErrors at `path`)

/** Linux interface names as Calico accepts them: 1-15 of `[a-zA-Z0-9_.-]`. */
export const INTERFACE_NAME = /^[a-zA-Z0-9_.-]{1,15}$/;

/** `*` or a Linux interface name (Calico's `interface` validator). */
export function interfaceNameErrors(v: string, path: FieldPath): FieldError[] {
  if (v === '*' || INTERFACE_NAME.test(v)) return [];
  return [invalid(path, v, "must be `*` or 1-15 characters from `[a-zA-Z0-9_.-]` (regex used for validation is '^[a-zA-Z0-9_.-]{1,15}$')")];
}

/** A reference to another resource by name (Calico's `name` validator: a DNS-1123 subdomain). */
export function nameRefErrors(v: string, path: FieldPath): FieldError[] {
  return isDNS1123Subdomain(v).map((m) => invalid(path, v, m));
}

/** Kubernetes IsValidPortName (IANA service name): problems as strings, empty when valid. */
export function isValidPortName(v: string): string[] {
  const out: string[] = [];
  if (v.length > 15) out.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(v)) out.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(v)) out.push('must contain at least one letter (a-z)');
  if (v.includes('--')) out.push('must not contain consecutive hyphens');
  if (v.startsWith('-') || v.endsWith('-')) out.push('must not begin or end with a hyphen');
  return out;
}

export function portNameErrors(v: string | undefined, path: FieldPath): FieldError[] {
  if (v === undefined || v === '') return [required(path, 'a named port must have a `name`')];
  return isValidPortName(v).map((m) => invalid(path, v, m));
}

const PROTOCOL_NAMES = ['TCP', 'UDP', 'ICMP', 'ICMPv6', 'SCTP', 'UDPLite'];
const PORT_PROTOCOL_NUMBERS = new Map<number, string>([
  [6, 'TCP'],
  [17, 'UDP'],
  [132, 'SCTP'],
]);

/** The protocol number of a numorstring.Protocol, or undefined for a name. */
function protocolNumber(p: NumOrStringProtocol): number | undefined {
  if (typeof p === 'number') return p;
  return /^\d+$/.test(p) ? Number(p) : undefined;
}

/**
 * An endpoint port's protocol must support ports: `TCP`, `UDP` or `SCTP` (case-sensitive), or
 * their numbers 6, 17, 132 (numorstring.Protocol.SupportsPorts). A missing protocol is the Go zero
 * value (number 0), which is invalid.
 */
export function portProtocolErrors(p: NumOrStringProtocol | undefined, path: FieldPath): FieldError[] {
  if (p === undefined) return [required(path, 'a named port must have a `protocol` (`TCP`, `UDP` or `SCTP`)')];
  const n = protocolNumber(p);
  if (n !== undefined) {
    if (n < 1 || n > 255) return [invalid(path, p, 'protocol number must be between 1 and 255, inclusive')];
    if (PORT_PROTOCOL_NUMBERS.has(n)) return [];
    return [invalid(path, p, 'protocol does not support ports: must be `TCP`, `UDP` or `SCTP`')];
  }
  const s = String(p);
  if (s === 'TCP' || s === 'UDP' || s === 'SCTP') return [];
  if (PROTOCOL_NAMES.includes(s)) return [invalid(path, p, 'protocol does not support ports: must be `TCP`, `UDP` or `SCTP`')];
  return [invalid(path, p, 'must be `TCP`, `UDP` or `SCTP` (protocol names are case-sensitive)')];
}

/** A port number 1-65535 (`port` of an endpoint port; Go uint16 with `gt=0`). */
export function portNumberErrors(v: number | undefined, path: FieldPath, what = 'port'): FieldError[] {
  if (v === undefined) return [required(path, `a ${what} number between 1 and 65535 is required`)];
  if (v < 1 || v > 65535) return [invalid(path, v, 'must be between 1 and 65535, inclusive')];
  return [];
}

/**
 * IP version as Go's net.ParseIP + To4 see it: an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`)
 * counts as IPv4. Undefined when not an IP address.
 */
export function goIpVersion(s: string): IpFamily | undefined {
  const ip = parseIp(s);
  if (!ip) return undefined;
  if (ip.family === 6 && ip.value >> 32n === 0xffffn) return 4;
  return ip.family;
}

/** A bare IP address (Calico's `ip` validator), optionally of one version (`ipv4`, `ipv6`). */
export function ipErrors(v: string, path: FieldPath, version?: IpFamily): FieldError[] {
  const got = goIpVersion(v);
  if (got === undefined)
    return [invalid(path, v, version === undefined ? 'must be a valid IP address' : `must be a valid IPv${version} address`)];
  if (version !== undefined && got !== version) return [invalid(path, v, `must be an IPv${version} address`)];
  return [];
}

// ---------------------------------------------------------------------------------------------
// EndpointPort

export const endpointPortDecoder: Decoder<EndpointPort> = obj({ name: str, protocol: intOrStr, port: int });

export function validateEndpointPort(p: EndpointPort, path: FieldPath): FieldError[] {
  return [
    ...portNameErrors(p.name, path.child('name')),
    ...portProtocolErrors(p.protocol, path.child('protocol')),
    ...portNumberErrors(p.port, path.child('port')),
  ];
}

// ---------------------------------------------------------------------------------------------
// HostEndpointSpec

export const hostEndpointSpecDecoder: Decoder<HostEndpointSpec> = obj({
  node: str,
  interfaceName: str,
  expectedIPs: arr(str),
  profiles: arr(str),
  ports: arr(endpointPortDecoder),
});

export function validateHostEndpointSpec(spec: HostEndpointSpec, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const node = spec.node ?? '';
  if (node === '') errs.push(required(path.child('node'), 'a host endpoint must specify the `node` it belongs to'));
  else errs.push(...nameRefErrors(node, path.child('node')));

  const iface = spec.interfaceName ?? '';
  const ips = spec.expectedIPs ?? [];
  if (iface === '' && ips.length === 0)
    errs.push(required(path.child('interfaceName'), 'at least one of `interfaceName` or `expectedIPs` must be specified'));
  if (iface !== '') errs.push(...interfaceNameErrors(iface, path.child('interfaceName')));
  ips.forEach((ip, i) => errs.push(...ipErrors(ip, path.child('expectedIPs').index(i))));
  (spec.profiles ?? []).forEach((p, i) => errs.push(...nameRefErrors(p, path.child('profiles').index(i))));
  (spec.ports ?? []).forEach((p, i) => errs.push(...validateEndpointPort(p, path.child('ports').index(i))));
  return errs;
}

// ---------------------------------------------------------------------------------------------
// Registry rows

export const hostEndpointKind: KindInfo = defineKind<HostEndpoint>({
  kind: 'HostEndpoint',
  group: 'projectcalico.org',
  version: 'v3',
  plural: 'hostendpoints',
  singular: 'hostendpoint',
  shortNames: ['hep', 'heps'],
  namespaced: false,
  decode: resourceDecoder({ spec: hostEndpointSpecDecoder }) as Decoder<HostEndpoint>,
  applyDefaults: (o) => o,
  validate: (o, path) => validateHostEndpointSpec(o.spec ?? {}, path.child('spec')),
});

export const HOST_ENDPOINT_FRAGMENTS: readonly FragmentInfo[] = [
  defineFragment<HostEndpointSpec>({ name: 'HostEndpointSpec', decode: hostEndpointSpecDecoder, validate: validateHostEndpointSpec }),
  defineFragment<EndpointPort>({ name: 'EndpointPort', decode: endpointPortDecoder, validate: validateEndpointPort }),
];
