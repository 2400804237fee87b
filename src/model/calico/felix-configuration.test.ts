// FelixConfiguration through validateResource and validateFragment, plus the effective-config
// and Go-duration helpers. Cases marked [calico] are replayed from libcalico-go validator/v3
// validator_test.go (FelixConfigurationSpec entries).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeResource, validateFragment, validateResource } from '../validate-resource.js';
import { FieldPath } from '../field/path.js';
import { kindByAlias } from '../kinds.js';
import {
  DEFAULT_FAILSAFE_INBOUND_HOST_PORTS,
  DEFAULT_FAILSAFE_OUTBOUND_HOST_PORTS,
  FELIX_DEFAULTS,
  effectiveFelixConfig,
  endpointToHostAction,
  failsafeHostPorts,
  felixConfigForNode,
  parseGoDurationMs,
  regexpErrors,
} from './felix-configuration.js';

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

const felix = (spec: unknown, name = 'default'): unknown => ({
  apiVersion: 'projectcalico.org/v3',
  kind: 'FelixConfiguration',
  metadata: { name },
  spec,
});
/** A FelixConfigurationSpec case; `field` is the one path expected to fail, or undefined for valid. */
const s = (name: string, value: Record<string, unknown>, type?: string, field?: string): Case => ({
  name,
  via: 'FelixConfigurationSpec',
  value,
  want: type === undefined ? [] : [e(type, field ?? Object.keys(value)[0] ?? '')],
});
const ports = (...xs: (number | string)[]): (number | string)[] => xs;

const cases: readonly Case[] = [
  // [calico] IptablesBackend, actions
  s('accepts IptablesBackend Legacy [calico]', { iptablesBackend: 'Legacy' }),
  s('accepts IptablesBackend NFT [calico]', { iptablesBackend: 'NFT' }),
  s('accepts IptablesBackend Auto [calico]', { iptablesBackend: 'Auto' }),
  s('rejects IptablesBackend badVal [calico]', { iptablesBackend: 'badVal' }, 'NotSupported'),
  s('accepts DefaultEndpointToHostAction Drop [calico]', { defaultEndpointToHostAction: 'Drop' }),
  s('rejects DefaultEndpointToHostAction drop [calico]', { defaultEndpointToHostAction: 'drop' }, 'NotSupported'),
  s('accepts IptablesFilterAllowAction Accept [calico]', { iptablesFilterAllowAction: 'Accept' }),
  s('accepts IptablesMangleAllowAction Return [calico]', { iptablesMangleAllowAction: 'Return' }),
  s('rejects IptablesMangleAllowAction Drop [calico]', { iptablesMangleAllowAction: 'Drop' }, 'NotSupported'),
  s('accepts IptablesFilterDenyAction Drop [calico]', { iptablesFilterDenyAction: 'Drop' }),
  s('accepts IptablesFilterDenyAction Reject [calico]', { iptablesFilterDenyAction: 'Reject' }),
  s('rejects IptablesFilterDenyAction Accept', { iptablesFilterDenyAction: 'Accept' }, 'NotSupported'),
  s('accepts chainInsertMode Append in any case', { chainInsertMode: 'Append' }),
  s('rejects chainInsertMode prepend', { chainInsertMode: 'prepend' }, 'NotSupported'),

  // [calico] KubeNodePortRanges, ExternalNodesCIDRList
  s('accepts 7 KubeNodePortRanges [calico]', { kubeNodePortRanges: ports('3000:4000', '5000:6000', '7000:8000', '8000:9000', '10000:11000', '12000:13000', 15000) }),
  s(
    'rejects 8 KubeNodePortRanges [calico]',
    { kubeNodePortRanges: ports('3000:4000', '5000:6000', '7000:8000', '8000:9000', '10000:11000', '12000:13000', '14000:15000', '16000:17000') },
    'TooMany',
  ),
  s('rejects a named KubeNodePortRange [calico]', { kubeNodePortRanges: ['testport'] }, 'Invalid', 'kubeNodePortRanges[0]'),
  s('rejects a reversed KubeNodePortRange', { kubeNodePortRanges: ['4000:3000'] }, 'Invalid', 'kubeNodePortRanges[0]'),
  s('rejects port 0 in a KubeNodePortRange', { kubeNodePortRanges: ['0:10'] }, 'Invalid', 'kubeNodePortRanges[0]'),
  s('accepts a valid ExternalNodesCIDRList [calico]', { externalNodesList: ['1.1.1.1', '1.1.1.2/32', '1.1.3.0/23'] }),
  s('rejects an invalid ExternalNodesCIDRList [calico]', { externalNodesList: ['foobar', '1.1.1.1'] }, 'Invalid', 'externalNodesList[0]'),
  {
    name: 'rejects an IPv6 ExternalNodesCIDRList [calico]',
    via: 'FelixConfigurationSpec',
    value: { externalNodesList: ['abcd::1', 'abef::2/128'] },
    want: [e('Invalid', 'externalNodesList[0]'), e('Invalid', 'externalNodesList[1]')],
  },

  // [calico] OpenstackRegion
  s('accepts an empty OpenstackRegion [calico]', { openstackRegion: '' }),
  s('accepts a valid OpenstackRegion [calico]', { openstackRegion: 'foo' }),
  s('rejects an upper-case OpenstackRegion [calico]', { openstackRegion: 'FOO' }, 'Invalid'),
  s('rejects an overlong OpenstackRegion [calico]', { openstackRegion: 'my-region-has-a-very-long-and-extremely-interesting-name' }, 'Invalid'),

  // [calico] log levels, interface filters
  s('rejects LogSeverityScreen badVal [calico]', { logSeverityScreen: 'badVal' }, 'NotSupported'),
  s('rejects LogSeverityFile badVal [calico]', { logSeverityFile: 'badVal' }, 'NotSupported'),
  s('rejects LogSeveritySys badVal [calico]', { logSeveritySys: 'badVal' }, 'NotSupported'),
  s('rejects LogSeveritySys Critical [calico]', { logSeveritySys: 'Critical' }, 'NotSupported'),
  s('accepts LogSeverityScreen Fatal [calico]', { logSeverityScreen: 'Fatal' }),
  s('accepts LogSeverityScreen Warning [calico]', { logSeverityScreen: 'Warning' }),
  s('accepts LogSeverityFile Debug [calico]', { logSeverityFile: 'Debug' }),
  s('accepts LogSeveritySys Info [calico]', { logSeveritySys: 'Info' }),
  s('rejects lower-case info', { logSeverityScreen: 'info' }, 'NotSupported'),
  s('accepts IptablesNATOutgoingInterfaceFilter cali-123 [calico]', { iptablesNATOutgoingInterfaceFilter: 'cali-123' }),
  s('rejects IptablesNATOutgoingInterfaceFilter cali@123 [calico]', { iptablesNATOutgoingInterfaceFilter: 'cali@123' }, 'Invalid'),

  // [calico] BPF
  s('rejects BPFLogLevel badVal [calico]', { bpfLogLevel: 'badVal' }, 'NotSupported'),
  s('accepts BPFLogLevel Info [calico]', { bpfLogLevel: 'Info' }),
  s('accepts BPFLogLevel Debug [calico]', { bpfLogLevel: 'Debug' }),
  s('accepts BPFLogLevel Off [calico]', { bpfLogLevel: 'Off' }),
  s('accepts the Go zero BPFLogLevel (no omitempty upstream)', { bpfLogLevel: '' }),
  s('rejects BPFExternalServiceMode Foo [calico]', { bpfExternalServiceMode: 'Foo' }, 'NotSupported'),
  s('accepts BPFExternalServiceMode Tunnel [calico]', { bpfExternalServiceMode: 'Tunnel' }),
  s('accepts BPFExternalServiceMode DSR [calico]', { bpfExternalServiceMode: 'DSR' }),
  s('rejects a negative BPFExtToServiceConnmark [calico]', { bpfExtToServiceConnmark: -1 }, 'Invalid'),
  s('rejects a 33-bit BPFExtToServiceConnmark [calico]', { bpfExtToServiceConnmark: 0x100000000 }, 'Invalid'),
  s('accepts a zero BPFExtToServiceConnmark [calico]', { bpfExtToServiceConnmark: 0 }),
  s('accepts a 0xffffffff BPFExtToServiceConnmark [calico]', { bpfExtToServiceConnmark: 0xffffffff }),
  s('rejects BPFDataIfacePattern * [calico]', { bpfDataIfacePattern: '*' }, 'Invalid'),
  s('accepts BPFDataIfacePattern eth.* [calico]', { bpfDataIfacePattern: 'eth.*' }),
  s('accepts an RE2 flag group', { bpfDataIfacePattern: '(?i)^(en|eth).*' }),
  s('rejects RE2-unsupported lookahead', { mtuIfacePattern: '^eth(?!0)' }, 'Invalid'),
  s('accepts BPF conntrack timeouts', { bpfConntrackTimeouts: { tcpEstablished: '1h', tcpFinsSeen: 'Auto', udpTimeout: '60s' } }),
  s('rejects a BPF conntrack timeout', { bpfConntrackTimeouts: { icmpTimeout: 'soon' } }, 'Invalid', 'bpfConntrackTimeouts.icmpTimeout'),
  s('rejects a BPF log filter key that is not an interface', { bpfLogFilters: { 'eth0&': 'tcp' } }, 'Invalid', 'bpfLogFilters'),
  s('accepts BPF log filters', { bpfLogFilters: { all: 'host 10.0.0.1', eth0: 'tcp port 80' } }),

  // [calico] route tables
  s('accepts route table range 1-250 [calico]', { routeTableRange: { min: 1, max: 250 } }),
  s('rejects route table range min 0 [calico]', { routeTableRange: { min: 0, max: 250 } }, 'Invalid'),
  s('rejects route table range min negative [calico]', { routeTableRange: { min: -5, max: 250 } }, 'Invalid'),
  s('rejects route table range max < min [calico]', { routeTableRange: { min: 50, max: 45 } }, 'Invalid'),
  s('rejects route table range max too large [calico]', { routeTableRange: { min: 1, max: 253 } }, 'Invalid'),
  s('accepts route table range min == max [calico]', { routeTableRange: { min: 8, max: 8 } }),
  s('accepts route table ranges [calico]', { routeTableRanges: [{ min: 1, max: 10000 }] }),
  s('accepts route table ranges with min == max [calico]', { routeTableRanges: [{ min: 8, max: 8 }] }),
  s('accepts several route table ranges [calico]', { routeTableRanges: [{ min: 8, max: 8 }, { min: 7, max: 7 }] }),
  s('rejects route table ranges min 0 [calico]', { routeTableRanges: [{ min: 0, max: 250 }] }, 'Invalid', 'routeTableRanges[0].min'),
  s('rejects route table ranges min negative [calico]', { routeTableRanges: [{ min: -5, max: 250 }] }, 'Invalid', 'routeTableRanges[0].min'),
  s('rejects route table ranges max < min [calico]', { routeTableRanges: [{ min: 50, max: 45 }] }, 'Invalid', 'routeTableRanges[0]'),
  {
    name: 'rejects route table ranges max too large [calico]',
    via: 'FelixConfigurationSpec',
    value: { routeTableRanges: [{ min: 1, max: 0xf00000000 }] },
    want: [e('Invalid', 'routeTableRanges[0].max'), e('Invalid', 'routeTableRanges')],
  },
  s('rejects a route table range of too many tables [calico]', { routeTableRanges: [{ min: 1, max: 0x10000 }] }, 'Invalid', 'routeTableRanges'),
  s('rejects route table ranges of too many tables in total [calico]', { routeTableRanges: [{ min: 1, max: 2 }, { min: 3, max: 4 }, { min: 5, max: 0x10000 }] }, 'Invalid', 'routeTableRanges'),
  s('rejects both RouteTableRanges and RouteTableRange [calico]', { routeTableRanges: [{ min: 1, max: 250 }], routeTableRange: { min: 1, max: 250 } }, 'Invalid', 'routeTableRange'),

  // [calico] MTU pattern, health timeouts
  s('rejects MTUIfacePattern * [calico]', { mtuIfacePattern: '*' }, 'Invalid'),
  s('accepts MTUIfacePattern eth.* [calico]', { mtuIfacePattern: 'eth.*' }),
  s('allows HealthTimeoutOverride 0 [calico]', { healthTimeoutOverrides: [{ name: 'Valid', timeout: '0s' }] }),
  s('rejects HealthTimeoutOverride -1 [calico]', { healthTimeoutOverrides: [{ name: 'Valid', timeout: '-1ns' }] }, 'Invalid', 'healthTimeoutOverrides[0].timeout'),
  s('rejects HealthTimeoutOverride with a bad name [calico]', { healthTimeoutOverrides: [{ name: '%', timeout: '10ns' }] }, 'Invalid', 'healthTimeoutOverrides[0].name'),
  s('rejects HealthTimeoutOverride with no name [calico]', { healthTimeoutOverrides: [{ name: '', timeout: '10ns' }] }, 'Required', 'healthTimeoutOverrides[0].name'),

  // [calico] addresses, hosts, WireGuard, service loop prevention
  s('rejects an invalid NATOutgoingAddress [calico]', { natOutgoingAddress: '999.999.999.999' }, 'Invalid'),
  s('rejects a masked NATOutgoingAddress [calico]', { natOutgoingAddress: '1.2.3.4/32' }, 'Invalid'),
  s('rejects an IPv6 NATOutgoingAddress [calico]', { natOutgoingAddress: 'aabb:aabb::ffff' }, 'Invalid'),
  s('accepts a NATOutgoingAddress [calico]', { natOutgoingAddress: '1.2.3.4' }),
  s('accepts prometheusMetricsHost localhost [calico]', { prometheusMetricsHost: 'localhost' }),
  s('accepts prometheusMetricsHost 10.0.0.1 [calico]', { prometheusMetricsHost: '10.0.0.1' }),
  s('accepts prometheusMetricsHost IPv6 [calico]', { prometheusMetricsHost: 'fe80::ea7a:70fa:cf74:25d5' }),
  s('rejects prometheusMetricsHost localhost# [calico]', { prometheusMetricsHost: 'localhost#' }, 'Invalid'),
  s("rejects prometheusMetricsHost '0: 1::1' [calico]", { prometheusMetricsHost: '0: 1::1' }, 'Invalid'),
  s('accepts an IPv4 DeviceRouteSourceAddress [calico]', { deviceRouteSourceAddress: '1.2.3.4' }),
  s('rejects an IPv6 DeviceRouteSourceAddress [calico]', { deviceRouteSourceAddress: 'aabb:aabb::ffff' }, 'Invalid'),
  s('rejects an invalid DeviceRouteSourceAddress [calico]', { deviceRouteSourceAddress: '999.999.999.999' }, 'Invalid'),
  s('rejects a masked DeviceRouteSourceAddress [calico]', { deviceRouteSourceAddress: '1.2.3.4/32' }, 'Invalid'),
  s('accepts an IPv6 DeviceRouteSourceAddressIPv6 [calico]', { deviceRouteSourceAddressIPv6: 'aabb:aabb::ffff' }),
  s('rejects an IPv4 DeviceRouteSourceAddressIPv6 [calico]', { deviceRouteSourceAddressIPv6: '1.2.3.4' }, 'Invalid'),
  s('rejects an invalid DeviceRouteSourceAddressIPv6 [calico]', { deviceRouteSourceAddressIPv6: 'xyz:::' }, 'Invalid'),
  s('rejects a masked DeviceRouteSourceAddressIPv6 [calico]', { deviceRouteSourceAddressIPv6: 'aabb:aabb::ffff/128' }, 'Invalid'),
  s('accepts WireguardListeningPort 12345 [calico]', { wireguardListeningPort: 12345 }),
  s('rejects WireguardListeningPort 99999 [calico]', { wireguardListeningPort: 99999 }, 'Invalid'),
  s('accepts WireguardRoutingRulePriority 12345 [calico]', { wireguardRoutingRulePriority: 12345 }),
  s('rejects WireguardRoutingRulePriority 99999 [calico]', { wireguardRoutingRulePriority: 99999 }, 'Invalid'),
  s('accepts WireguardInterfaceName wg0 [calico]', { wireguardInterfaceName: 'wg0' }),
  s('rejects WireguardInterfaceName wg&0 [calico]', { wireguardInterfaceName: 'wg&0' }, 'Invalid'),
  s('accepts ServiceLoopPrevention Drop [calico]', { serviceLoopPrevention: 'Drop' }),
  s('accepts ServiceLoopPrevention Reject [calico]', { serviceLoopPrevention: 'Reject' }),
  s('accepts ServiceLoopPrevention Disabled [calico]', { serviceLoopPrevention: 'Disabled' }),
  s('rejects ServiceLoopPrevention Wibbly [calico]', { serviceLoopPrevention: 'Wibbly' }, 'NotSupported'),

  // Durations
  s('accepts Go durations', { iptablesRefreshInterval: '90s', routeRefreshInterval: '1m30s', ipsetsRefreshInterval: '0', iptablesPostWriteCheckInterval: '1.5s', reportingInterval: '250ms' }),
  s('rejects a bare number as a duration', { iptablesRefreshInterval: '90' }, 'Invalid'),
  s('rejects a day unit', { routeRefreshInterval: '1d' }, 'Invalid'),
  s('rejects a negative interval', { reportingInterval: '-5s' }, 'Invalid'),
  s('rejects an empty duration', { ipsetsRefreshInterval: '' }, 'Invalid'),
  s('rejects a number where a duration string is expected', { iptablesRefreshInterval: 90 }, 'TypeInvalid'),

  // Failsafe ports, marks, ports, key-value lists
  s('accepts failsafe ports in any protocol case, with nets', {
    failsafeInboundHostPorts: [{ protocol: 'tcp', port: 22 }, { protocol: 'UDP', port: 68 }, { port: 179, net: '10.0.0.0/8' }],
    failsafeOutboundHostPorts: [],
  }),
  s('rejects an unknown failsafe protocol', { failsafeOutboundHostPorts: [{ protocol: 'icmp', port: 0 }] }, 'NotSupported', 'failsafeOutboundHostPorts[0].protocol'),
  s('rejects a failsafe port above 65535', { failsafeInboundHostPorts: [{ protocol: 'TCP', port: 65536 }] }, 'Invalid', 'failsafeInboundHostPorts[0].port'),
  s('rejects a failsafe net that is not a CIDR', { failsafeInboundHostPorts: [{ protocol: 'TCP', port: 22, net: 'ten' }] }, 'Invalid', 'failsafeInboundHostPorts[0].net'),
  s('rejects an unknown failsafe field', { failsafeInboundHostPorts: [{ protocol: 'TCP', port: 22, cidr: '10.0.0.0/8' }] }, 'Unknown', 'failsafeInboundHostPorts[0].cidr'),
  s('accepts the default mark mask', { iptablesMarkMask: 0xffff0000 }),
  s('rejects a mark mask above 32 bits', { iptablesMarkMask: 0x1ffff0000 }, 'Invalid'),
  s('rejects healthPort 70000', { healthPort: 70000 }, 'Invalid'),
  s('accepts a NAT port range', { natPortRange: '32768:65000' }),
  s('rejects a named NAT port range', { natPortRange: 'http' }, 'Invalid'),
  s('accepts feature gates', { featureGates: 'BPFConnectTimeLoadBalancingWorkaround=enabled,XyZ=false', featureDetectOverride: 'SNATFullyRandom=true,RestoreSupportsLock=' }),
  s('rejects a feature gate without =', { featureGates: 'Foo' }, 'Invalid'),
  s('rejects an unknown field', { ipv6support: true }, 'Unknown'),
  s('rejects a string for a boolean', { ipv6Support: 'true' }, 'TypeInvalid'),

  // Resource: names
  { name: 'accepts name default', via: 'resource', value: felix({ logPrefix: 'calico-drop' }), want: [] },
  { name: 'accepts a per-node name', via: 'resource', value: felix({ logSeverityScreen: 'Debug' }, 'node.worker-1'), want: [] },
  { name: 'rejects another name', via: 'resource', value: felix({}, 'felix'), want: [e('Invalid', 'metadata.name')] },
  { name: 'rejects a per-node name with a bad node', via: 'resource', value: felix({}, 'node.Worker_1'), want: [e('Invalid', 'metadata.name')] },
  { name: 'reports spec paths on the resource', via: 'resource', value: felix({ defaultEndpointToHostAction: 'ACCEPT' }), want: [e('NotSupported', 'spec.defaultEndpointToHostAction')] },
];

for (const c of cases) {
  void test(`FelixConfiguration: ${c.name}`, () => {
    const got = c.via === 'resource' ? validateResource(c.value) : validateFragment(c.via, c.value);
    assert.deepEqual(uniq(got), uniq(c.want), `errors were:\n${got.map((x) => `${x.type} ${x.path}: ${x.message}`).join('\n')}`);
  });
}

// ---------------------------------------------------------------------------------------------
// Defaults: stored as written, effective config computed

void test('FelixConfiguration: applyDefaults leaves the resource as written (Felix defaults at run time)', () => {
  const r = decodeResource(felix({ logPrefix: 'x' }));
  assert.ok(r.ok);
  assert.deepEqual((r.value.resource as { spec?: unknown }).spec, { logPrefix: 'x' });
});

const effective: readonly {
  readonly name: string;
  readonly global?: Record<string, unknown>;
  readonly node?: Record<string, unknown>;
  readonly want: Record<string, unknown>;
}[] = [
  {
    name: 'defaults with no resources',
    want: {
      failsafeInboundHostPorts: DEFAULT_FAILSAFE_INBOUND_HOST_PORTS,
      failsafeOutboundHostPorts: DEFAULT_FAILSAFE_OUTBOUND_HOST_PORTS,
      logPrefix: 'calico-packet',
      defaultEndpointToHostAction: 'Drop',
      iptablesFilterAllowAction: 'Accept',
      iptablesFilterDenyAction: 'Drop',
      iptablesMangleAllowAction: 'Accept',
      chainInsertMode: 'insert',
      iptablesMarkMask: 0xffff0000,
      ipv6Support: true,
      healthPort: 9099,
    },
  },
  { name: 'global overrides a default', global: { logPrefix: 'cali' }, want: { logPrefix: 'cali' } },
  { name: 'node overrides global', global: { logPrefix: 'cali' }, node: { logPrefix: 'node' }, want: { logPrefix: 'node' } },
  { name: 'an empty string does not override', global: { logPrefix: 'cali' }, node: { logPrefix: '' }, want: { logPrefix: 'cali' } },
  { name: 'an empty failsafe list disables failsafe ports', global: { failsafeInboundHostPorts: [] }, want: { failsafeInboundHostPorts: [] } },
  {
    name: 'unrelated settings pass through',
    global: { bpfEnabled: true, wireguardEnabled: true },
    want: { bpfEnabled: true, wireguardEnabled: true, routeRefreshInterval: '90s' },
  },
];
for (const c of effective) {
  void test(`FelixConfiguration: effectiveFelixConfig ${c.name}`, () => {
    const before = JSON.stringify(c.global);
    const got = effectiveFelixConfig(c.global, c.node) as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(c.want)) assert.deepEqual(got[k], v, k);
    assert.equal(JSON.stringify(c.global), before, 'input unchanged');
  });
}

// The docs' per-node override (reference/resources/felixconfig: "node.<nodename> contain the
// node-specific overrides"): a node's own resource wins field by field; other nodes' do not apply.
void test('FelixConfiguration: felixConfigForNode overlays node.<name> on default, field by field', () => {
  const configs = [
    { metadata: { name: 'node.worker-1' }, spec: { failsafeInboundHostPorts: [{ protocol: 'TCP', port: 8080 }] } },
    { metadata: { name: 'default' }, spec: { defaultEndpointToHostAction: 'Accept', failsafeOutboundHostPorts: [] } },
    { metadata: { name: 'node.worker-2' }, spec: { defaultEndpointToHostAction: 'Return' } },
  ];
  const w1 = felixConfigForNode(configs, 'worker-1');
  assert.deepEqual(failsafeHostPorts(w1, 'inbound'), [{ protocol: 'tcp', port: 8080 }]);
  assert.deepEqual(failsafeHostPorts(w1, 'outbound'), [], 'from default: an empty list disables');
  assert.equal(endpointToHostAction(w1), 'Accept', 'from default');
  const w2 = felixConfigForNode(configs, 'worker-2');
  assert.equal(endpointToHostAction(w2), 'Return');
  assert.equal(failsafeHostPorts(w2, 'inbound').length, DEFAULT_FAILSAFE_INBOUND_HOST_PORTS.length, 'Felix default');
  const other = felixConfigForNode(configs, 'master');
  assert.equal(endpointToHostAction(other), 'Accept');
  assert.deepEqual(failsafeHostPorts(felixConfigForNode([], ''), 'inbound')[0], { protocol: 'tcp', port: 22 });
  // A node literally named "" never picks up "node." (not a valid name anyway).
  assert.equal(endpointToHostAction(felixConfigForNode([{ metadata: { name: 'node.' }, spec: { defaultEndpointToHostAction: 'Accept' } }], '')), 'Drop');
});

void test('FelixConfiguration: failsafeHostPorts normalises protocol case and keeps nets', () => {
  const cfg = effectiveFelixConfig({ failsafeInboundHostPorts: [{ protocol: 'UDP', port: 53, net: '198.18.0.0/16' }, { port: 22 }, { protocol: 'SCTP', port: 9 }] });
  assert.deepEqual(failsafeHostPorts(cfg, 'inbound'), [
    { protocol: 'udp', port: 53, net: '198.18.0.0/16' },
    { protocol: 'tcp', port: 22 },
    { protocol: 'sctp', port: 9 },
  ]);
});

void test('FelixConfiguration: the default failsafe ports match Felix', () => {
  const render = (xs: readonly { protocol?: string; port?: number }[]): string =>
    xs.map((p) => `${(p.protocol ?? 'tcp').toLowerCase()}:${p.port ?? 0}`).join(',');
  assert.equal(render(FELIX_DEFAULTS.failsafeInboundHostPorts), 'tcp:22,udp:68,tcp:179,tcp:2379,tcp:2380,tcp:5473,tcp:6443,tcp:6666,tcp:6667');
  assert.equal(render(FELIX_DEFAULTS.failsafeOutboundHostPorts), 'udp:53,udp:67,tcp:179,tcp:2379,tcp:2380,tcp:5473,tcp:6443,tcp:6666,tcp:6667');
  assert.equal(validateFragment('FelixConfigurationSpec', { failsafeInboundHostPorts: FELIX_DEFAULTS.failsafeInboundHostPorts }).length, 0);
});

// ---------------------------------------------------------------------------------------------
// Helpers

const durations: readonly (readonly [string, number | undefined])[] = [
  ['90s', 90000],
  ['1m30s', 90000],
  ['0', 0],
  ['-0', 0],
  ['1.5h', 5400000],
  ['250ms', 250],
  ['10ns', 0.00001],
  ['2us', 0.002],
  ['2µs', 0.002],
  ['.5s', 500],
  ['1.s', 1000],
  ['-1m', -60000],
  ['+3s', 3000],
  ['', undefined],
  ['10', undefined],
  ['5 s', undefined],
  ['1d', undefined],
  ['.s', undefined],
  ['s', undefined],
  ['1s2', undefined],
  ['9999999999h', undefined],
];
for (const [input, want] of durations) {
  void test(`FelixConfiguration: parseGoDurationMs ${JSON.stringify(input)}`, () => {
    const got = parseGoDurationMs(input);
    if (want === undefined || got === undefined) assert.equal(got, want);
    else assert.ok(Math.abs(got - want) < 1e-9, `${got} != ${want}`);
  });
}

const regexps: readonly (readonly [string, boolean])[] = [
  ['eth.*', true],
  ['^(en|eth)[0-9]+$', true],
  ['(?i)eth', true],
  ['(?P<dev>eth)[0-9]', true],
  ['*', false],
  ['(eth', false],
  ['(?=eth)', false],
  ['(a)\\1', false],
];
for (const [input, ok] of regexps) {
  void test(`FelixConfiguration: regexp ${JSON.stringify(input)}`, () =>
    assert.equal(regexpErrors(input, FieldPath.root('x')).length === 0, ok),
  );
}

void test('FelixConfiguration: calicoctl aliases resolve', () => {
  for (const alias of ['felixconfiguration', 'felixconfigurations', 'felixconfig', 'felixconfigs']) {
    assert.equal(kindByAlias(alias, 'projectcalico.org')?.kind, 'FelixConfiguration', alias);
  }
});
