// Calico Node through validateResource and validateFragment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateFragment, validateResource } from '../validate-resource.js';
import { kindByAlias } from '../kinds.js';
import { isValidMac } from './workload-endpoint.js';
import { parseASNumber } from './node.js';

interface Want {
  readonly type: string;
  readonly path: string;
}
interface Case {
  readonly name: string;
  readonly via: string;
  readonly value: unknown;
  readonly want: readonly Want[];
}

const e = (type: string, path: string): Want => ({ type, path });
const uniq = (ws: readonly Want[]): string[] => [...new Set(ws.map((w) => `${w.type} ${w.path}`))].sort();

const node = (spec: unknown, extra: Record<string, unknown> = {}): unknown => ({
  apiVersion: 'projectcalico.org/v3',
  kind: 'Node',
  metadata: { name: 'node-1' },
  spec,
  ...extra,
});
const r = (name: string, spec: unknown, want: readonly Want[] = []): Case => ({ name, via: 'resource', value: node(spec), want });
const WG_KEY = 'QmFzZTY0RW5jb2RlZFdpcmVndWFyZFB1YmxpY0tleT0=';

const cases: readonly Case[] = [
  // BGP
  r('accepts a typical BGP spec', {
    bgp: { ipv4Address: '10.0.0.1/24', ipv6Address: 'fd00::1/64', asNumber: 64512, ipv4IPIPTunnelAddr: '192.168.0.1', routeReflectorClusterID: '224.0.0.1' },
  }),
  r('accepts an AS number in AS-dot form', { bgp: { asNumber: '1.10' } }),
  r('accepts an AS number as a string', { bgp: { asNumber: '64512' } }),
  r('accepts a bare IPv4 address', { bgp: { ipv4Address: '10.0.0.1' } }),
  r('rejects an empty bgp', { bgp: {} }, [e('Required', 'spec.bgp')]),
  r('rejects a bgp with only empty strings', { bgp: { ipv4Address: '', ipv6Address: '' } }, [e('Required', 'spec.bgp')]),
  r('rejects an IPv6 ipv4Address', { bgp: { ipv4Address: 'fd00::1/64' } }, [e('Invalid', 'spec.bgp.ipv4Address')]),
  r('rejects an IPv4 ipv6Address', { bgp: { ipv6Address: '10.0.0.1' } }, [e('Invalid', 'spec.bgp.ipv6Address')]),
  r('rejects a /33', { bgp: { ipv4Address: '1.2.3.4/33' } }, [e('Invalid', 'spec.bgp.ipv4Address')]),
  r('rejects an AS number above 32 bits', { bgp: { asNumber: 4294967296 } }, [e('Invalid', 'spec.bgp.asNumber')]),
  r('rejects an AS-dot part above 16 bits', { bgp: { asNumber: '65536.1' } }, [e('Invalid', 'spec.bgp.asNumber')]),
  r('rejects a word as AS number', { bgp: { asNumber: 'abc' } }, [e('Invalid', 'spec.bgp.asNumber')]),
  r('rejects an IPv6 route reflector cluster ID', { bgp: { routeReflectorClusterID: 'fd00::1' } }, [e('Invalid', 'spec.bgp.routeReflectorClusterID')]),
  r('rejects a CIDR IPIP tunnel address', { bgp: { ipv4IPIPTunnelAddr: '10.0.0.0/8' } }, [e('Invalid', 'spec.bgp.ipv4IPIPTunnelAddr')]),

  // VXLAN, WireGuard
  r('accepts VXLAN tunnel addresses and MACs', {
    ipv4VXLANTunnelAddr: '10.0.0.5',
    vxlanTunnelMACAddr: '66:de:ad:be:ef:01',
    ipv6VXLANTunnelAddr: 'fd00::5',
    vxlanTunnelMACAddrV6: '66-de-ad-be-ef-02',
  }),
  r('rejects an IPv6 VXLAN v4 address', { ipv4VXLANTunnelAddr: 'fd00::5' }, [e('Invalid', 'spec.ipv4VXLANTunnelAddr')]),
  r('rejects an IPv4 VXLAN v6 address', { ipv6VXLANTunnelAddr: '10.0.0.5' }, [e('Invalid', 'spec.ipv6VXLANTunnelAddr')]),
  r('rejects a short MAC', { vxlanTunnelMACAddr: 'aa:bb:cc:dd:ee' }, [e('Invalid', 'spec.vxlanTunnelMACAddr')]),
  r('accepts WireGuard interface addresses', { wireguard: { interfaceIPv4Address: '10.0.0.9', interfaceIPv6Address: 'fd00::9' } }),
  r('rejects a WireGuard IPv4 address that is IPv6', { wireguard: { interfaceIPv4Address: 'fd00::9' } }, [e('Invalid', 'spec.wireguard.interfaceIPv4Address')]),

  // Addresses, orchRefs, interfaces
  r('accepts addresses as calico-node writes them', {
    addresses: [
      { address: '172.17.17.10/24', type: 'CalicoNodeIP' },
      { address: 'aa:bb:cc::ffff/120', type: 'CalicoNodeIP' },
      { address: '10.0.0.1', type: 'InternalIP' },
      { address: '1.2.3.4', type: 'ExternalIP' },
    ],
  }),
  r('rejects an unknown address type', { addresses: [{ address: '10.0.0.1', type: 'PublicIP' }] }, [e('NotSupported', 'spec.addresses[0].type')]),
  r('rejects an address that is not an IP', { addresses: [{ address: 'node-1.example.com' }] }, [e('Invalid', 'spec.addresses[0].address')]),
  r('rejects a missing address', { addresses: [{ type: 'InternalIP' }] }, [e('Required', 'spec.addresses[0].address')]),
  r('accepts orchRefs and interfaces', { orchRefs: [{ nodeName: 'node-1', orchestrator: 'k8s' }], interfaces: [{ name: 'eth0', addresses: ['10.0.0.1'] }] }),
  r('rejects an unknown orchRef field', { orchRefs: [{ node: 'node-1' }] }, [e('Unknown', 'spec.orchRefs[0].node')]),

  // Status
  { name: 'accepts a WireGuard public key in status', via: 'resource', value: node({}, { status: { wireguardPublicKey: WG_KEY, podCIDRs: ['10.244.0.0/24'] } }), want: [] },
  { name: 'rejects a malformed WireGuard public key', via: 'resource', value: node({}, { status: { wireguardPublicKeyV6: 'abc' } }), want: [e('Invalid', 'status.wireguardPublicKeyV6')] },

  // Strictness
  r('rejects an unknown spec field', { bgp: { ipv4Address: '10.0.0.1' }, asNumber: 1 }, [e('Unknown', 'spec.asNumber')]),
  r('rejects a non-string BGP address', { bgp: { ipv4Address: 167772161 } }, [e('TypeInvalid', 'spec.bgp.ipv4Address')]),

  // Fragments
  { name: 'NodeSpec rejects an empty bgp', via: 'NodeSpec', value: { bgp: {} }, want: [e('Required', 'bgp')] },
  { name: 'NodeSpec accepts an empty spec', via: 'NodeSpec', value: {}, want: [] },
  { name: 'NodeBGPSpec alone may be empty', via: 'NodeBGPSpec', value: {}, want: [] },
  { name: 'NodeBGPSpec checks families', via: 'NodeBGPSpec', value: { ipv4Address: '::1' }, want: [e('Invalid', 'ipv4Address')] },
];

for (const c of cases) {
  void test(`Node: ${c.name}`, () => {
    const got = c.via === 'resource' ? validateResource(c.value) : validateFragment(c.via, c.value);
    assert.deepEqual(uniq(got), uniq(c.want), `errors were:\n${got.map((x) => `${x.type} ${x.path}: ${x.message}`).join('\n')}`);
  });
}

const asNumbers: readonly (readonly [number | string, number | undefined])[] = [
  [0, 0],
  [64512, 64512],
  [4294967295, 4294967295],
  ['1.10', 65546],
  ['65535.65535', 4294967295],
  ['1.2.3', undefined],
  ['-1', undefined],
  [1.5, undefined],
];
for (const [input, want] of asNumbers) void test(`Node: parseASNumber ${String(input)}`, () => assert.equal(parseASNumber(input), want));

const macs: readonly (readonly [string, boolean])[] = [
  ['aa:bb:cc:dd:ee:ff', true],
  ['AA-BB-CC-DD-EE-FF', true],
  ['aabb.ccdd.eeff', true],
  ['00:00:00:00:fe:80:00:00', true],
  ['aa:bb-cc:dd:ee:ff', false],
  ['aa:bb:cc:dd:ee:fg', false],
  ['aabb.ccdd.ee', false],
  ['', false],
];
for (const [input, want] of macs) void test(`Node: MAC ${JSON.stringify(input)}`, () => assert.equal(isValidMac(input), want));

void test('Node: calicoctl aliases resolve to the Calico Node', () => {
  for (const alias of ['node', 'nodes', 'no', 'nos']) {
    const k = kindByAlias(alias, 'projectcalico.org');
    assert.equal(k?.kind, 'Node', alias);
    assert.equal(k?.group, 'projectcalico.org', alias);
  }
});
