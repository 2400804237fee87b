/**
 * @module Node (projectcalico.org/v3, cluster-scoped; libcalico-go's Node): decode, default,
 * validate.
 *
 * Upstream validates `spec.bgp` (must not be empty when present; addresses by family), the VXLAN
 * tunnel addresses and MACs, the WireGuard interface addresses and the status public keys.
 * Calico's validator does not descend into `addresses`, `orchRefs` or `interfaces` (no `dive`
 * tag); Tabby checks `addresses` loosely (CIDR or IP, host bits allowed, as calico-node writes
 * them, e.g. `172.17.17.10/24`) and leaves the other two as data.
 */
import type { FieldPath } from '../field/path.js';
import { invalid, notSupported, required, type FieldError } from '../field/errors.js';
import { arr, intOrStr, obj, str, type Decoder } from '../decode/decoder.js';
import { defineFragment, defineKind, resourceDecoder, type FragmentInfo, type KindInfo } from '../kind-info.js';
import { parseCidrOrIp, type IpFamily } from '../../lib/net.js';
import { goIpVersion, ipErrors } from './host-endpoint.js';
import { macErrors } from './workload-endpoint.js';
import type { ASNumber, CalicoNode, NodeBGPSpec, NodeSpec, NodeStatus } from './other-types.js';

export const NODE_ADDRESS_TYPES = ['CalicoNodeIP', 'InternalIP', 'ExternalIP'] as const;

/** numorstring.ASNumber: uint32 as a number, digits, or AS-dot `high.low` (16 bits each). */
export function parseASNumber(v: ASNumber): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 && v <= 0xffffffff ? v : undefined;
  if (/^\d+$/.test(v)) {
    const n = Number(v);
    return n <= 0xffffffff ? n : undefined;
  }
  const m = /^(\d+)\.(\d+)$/.exec(v);
  if (!m) return undefined;
  const hi = Number(m[1]);
  const lo = Number(m[2]);
  return hi <= 0xffff && lo <= 0xffff ? hi * 65536 + lo : undefined;
}

/** A CIDR or IP of one family, host bits allowed (Calico's `cidrv4` / `cidrv6`). */
function cidrOfFamilyErrors(v: string, path: FieldPath, family: IpFamily): FieldError[] {
  const c = parseCidrOrIp(v);
  if (!c) return [invalid(path, v, `must be a valid IPv${family} address or CIDR`)];
  const version = goIpVersion(v.split('/')[0] ?? '') ?? c.family;
  return version === family ? [] : [invalid(path, v, `must be an IPv${family} address or CIDR`)];
}

/** A WireGuard public key: standard base64 of exactly 32 bytes (wgtypes.ParseKey). */
export function isWireguardKey(s: string): boolean {
  return /^[A-Za-z0-9+/]{43}=$/.test(s);
}

// ---------------------------------------------------------------------------------------------
// Decoders

export const nodeBGPSpecDecoder: Decoder<NodeBGPSpec> = obj({
  asNumber: intOrStr,
  ipv4Address: str,
  ipv6Address: str,
  ipv4IPIPTunnelAddr: str,
  routeReflectorClusterID: str,
});

export const nodeSpecDecoder: Decoder<NodeSpec> = obj({
  bgp: nodeBGPSpecDecoder,
  ipv4VXLANTunnelAddr: str,
  vxlanTunnelMACAddr: str,
  ipv6VXLANTunnelAddr: str,
  vxlanTunnelMACAddrV6: str,
  orchRefs: arr(obj({ nodeName: str, orchestrator: str })),
  wireguard: obj({ interfaceIPv4Address: str, interfaceIPv6Address: str }),
  addresses: arr(obj({ address: str, type: str })),
  interfaces: arr(obj({ name: str, addresses: arr(str) })),
});

export const nodeStatusDecoder: Decoder<NodeStatus> = obj({
  wireguardPublicKey: str,
  wireguardPublicKeyV6: str,
  podCIDRs: arr(str),
});

// ---------------------------------------------------------------------------------------------
// Validation

function optional(v: string | undefined, check: (s: string) => FieldError[]): FieldError[] {
  return v === undefined || v === '' ? [] : check(v);
}

/** Field checks of a NodeBGPSpec; emptiness is the enclosing NodeSpec's rule. */
export function validateNodeBGPSpec(bgp: NodeBGPSpec, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (bgp.asNumber !== undefined && parseASNumber(bgp.asNumber) === undefined)
    errs.push(invalid(path.child('asNumber'), bgp.asNumber, 'must be an AS number between 0 and 4294967295, or in AS-dot form `high.low`'));
  errs.push(...optional(bgp.ipv4Address, (v) => cidrOfFamilyErrors(v, path.child('ipv4Address'), 4)));
  errs.push(...optional(bgp.ipv6Address, (v) => cidrOfFamilyErrors(v, path.child('ipv6Address'), 6)));
  errs.push(...optional(bgp.ipv4IPIPTunnelAddr, (v) => ipErrors(v, path.child('ipv4IPIPTunnelAddr'), 4)));
  errs.push(...optional(bgp.routeReflectorClusterID, (v) => ipErrors(v, path.child('routeReflectorClusterID'), 4)));
  return errs;
}

export function validateNodeSpec(spec: NodeSpec, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (spec.bgp) {
    const b = spec.bgp;
    if (b.asNumber === undefined && !b.ipv4Address && !b.ipv6Address && !b.ipv4IPIPTunnelAddr && !b.routeReflectorClusterID)
      errs.push(
        required(
          path.child('bgp'),
          '`bgp` must not be empty when present: set `ipv4Address`, `ipv6Address`, `asNumber`, `ipv4IPIPTunnelAddr` or `routeReflectorClusterID`',
        ),
      );
    errs.push(...validateNodeBGPSpec(b, path.child('bgp')));
  }
  errs.push(...optional(spec.ipv4VXLANTunnelAddr, (v) => ipErrors(v, path.child('ipv4VXLANTunnelAddr'), 4)));
  errs.push(...optional(spec.ipv6VXLANTunnelAddr, (v) => ipErrors(v, path.child('ipv6VXLANTunnelAddr'), 6)));
  errs.push(...optional(spec.vxlanTunnelMACAddr, (v) => macErrors(v, path.child('vxlanTunnelMACAddr'))));
  errs.push(...optional(spec.vxlanTunnelMACAddrV6, (v) => macErrors(v, path.child('vxlanTunnelMACAddrV6'))));
  if (spec.wireguard) {
    const wp = path.child('wireguard');
    errs.push(...optional(spec.wireguard.interfaceIPv4Address, (v) => ipErrors(v, wp.child('interfaceIPv4Address'), 4)));
    errs.push(...optional(spec.wireguard.interfaceIPv6Address, (v) => ipErrors(v, wp.child('interfaceIPv6Address'), 6)));
  }
  (spec.addresses ?? []).forEach((a, i) => {
    const ap = path.child('addresses').index(i);
    const addr = a.address ?? '';
    if (addr === '') errs.push(required(ap.child('address'), 'a node address needs an `address`'));
    else if (!parseCidrOrIp(addr)) errs.push(invalid(ap.child('address'), addr, 'must be a valid IP address or CIDR'));
    if (a.type !== undefined && a.type !== '' && !(NODE_ADDRESS_TYPES as readonly string[]).includes(a.type))
      errs.push(notSupported(ap.child('type'), a.type, NODE_ADDRESS_TYPES));
  });
  return errs;
}

export function validateNodeStatus(st: NodeStatus, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ['wireguardPublicKey', 'wireguardPublicKeyV6'] as const) {
    const v = st[f];
    if (v !== undefined && v !== '' && !isWireguardKey(v))
      errs.push(invalid(path.child(f), v, 'must be a base64-encoded 32-byte WireGuard public key'));
  }
  return errs;
}

// ---------------------------------------------------------------------------------------------
// Registry rows

export const nodeKind: KindInfo = defineKind<CalicoNode>({
  kind: 'Node',
  group: 'projectcalico.org',
  version: 'v3',
  plural: 'nodes',
  singular: 'node',
  shortNames: ['no', 'nos'],
  namespaced: false,
  decode: resourceDecoder({ spec: nodeSpecDecoder, status: nodeStatusDecoder }) as Decoder<CalicoNode>,
  applyDefaults: (o) => o,
  validate: (o, path) => [
    ...validateNodeSpec(o.spec ?? {}, path.child('spec')),
    ...validateNodeStatus(o.status ?? {}, path.child('status')),
  ],
});

export const NODE_FRAGMENTS: readonly FragmentInfo[] = [
  defineFragment<NodeSpec>({ name: 'NodeSpec', decode: nodeSpecDecoder, validate: validateNodeSpec }),
  defineFragment<NodeBGPSpec>({ name: 'NodeBGPSpec', decode: nodeBGPSpecDecoder, validate: validateNodeBGPSpec }),
];
