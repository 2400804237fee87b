/**
 * @module FelixConfiguration (projectcalico.org/v3, cluster-scoped): decode, default, validate,
 * and the effective configuration Felix would run with.
 *
 * Defaulting: Calico stores FelixConfiguration exactly as written and Felix fills in its own
 * defaults at start-up (felix/config/config_params.go), so `applyDefaults` is the identity and
 * the defaults live in `FELIX_DEFAULTS`, applied by `effectiveFelixConfig(global, perNode)`:
 * Felix defaults, overridden by `default`, overridden by `node.<nodename>`. An empty list
 * (`failsafeInboundHostPorts: []`) is a value: it disables the failsafe ports.
 *
 * Validation follows libcalico-go's validator tags on FelixConfigurationSpec (case-sensitive
 * enumerations, IP families, port ranges, route table ranges, Go duration strings). Where only the
 * CRD schema constrains a field, Tabby applies the CRD's rule. Names: `default` or
 * `node.<nodename>`.
 */
import type { FieldPath } from '../field/path.js';
import { invalid, notSupported, required, tooMany, type FieldError } from '../field/errors.js';
import { arr, bool, int, intOrStr, obj, record, str, type Decoder } from '../decode/decoder.js';
import { defineFragment, defineKind, resourceDecoder, type FragmentInfo, type KindInfo } from '../kind-info.js';
import { isDNS1123Label, isDNS1123Subdomain } from '../validate/names.js';
import { parseCidrOrIp } from '../../lib/net.js';
import { INTERFACE_NAME, goIpVersion, interfaceNameErrors, ipErrors } from './host-endpoint.js';
import { cidrOrIpErrors } from './network-set.js';
import { protoPortDecoder } from './rule.js';
import type {
  FelixConfiguration,
  FelixConfigurationSpec,
  HealthTimeoutOverride,
  NumOrStringPort,
  ProtoPort,
  RouteTableRange,
} from './other-types.js';

// ---------------------------------------------------------------------------------------------
// Shared field checks: Go durations, regular expressions, numorstring.Port

const DURATION_UNIT_NS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3,
  'μs': 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/**
 * Go's time.ParseDuration, in milliseconds (may be fractional or negative): `"90s"` → 90000,
 * `"1m30s"` → 90000, `"0"` → 0, `"1.5h"`, `"-2ms"`. Undefined when Go would reject the string
 * (`""`, `"10"`, `"5 s"`, `"1d"`, overflow past int64 nanoseconds).
 */
export function parseGoDurationMs(s: string): number | undefined {
  let rest = s;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  const re = /^(\d*)(?:\.(\d*))?([a-zµμ]+)/;
  let ns = 0;
  while (rest !== '') {
    const m = re.exec(rest);
    if (!m) return undefined;
    const [whole, intPart = '', frac, unit = ''] = m;
    if (intPart === '' && (frac === undefined || frac === '')) return undefined;
    const scale = DURATION_UNIT_NS[unit];
    if (scale === undefined) return undefined;
    ns += Number(`${intPart === '' ? '0' : intPart}.${frac ?? '0'}`) * scale;
    rest = rest.slice(whole.length);
  }
  if (ns >= 2 ** 63) return undefined; // int64 nanoseconds overflow
  return (sign * ns) / 1e6;
}

export function durationErrors(v: string, path: FieldPath, opts: { allowNegative?: boolean } = {}): FieldError[] {
  const ms = parseGoDurationMs(v);
  if (ms === undefined)
    return [invalid(path, v, 'must be a duration such as `90s`, `1m30s` or `250ms` (units: ns, us, ms, s, m, h)')];
  if (ms < 0 && !opts.allowNegative) return [invalid(path, v, 'must not be negative')];
  return [];
}

/**
 * A Go (RE2) regular expression, checked with the JavaScript engine after mapping RE2-only syntax
 * (`(?i)` flag groups, `(?P<name>`). Lookaround and backreferences, which RE2 rejects, are
 * rejected. An approximation: some exotic RE2/JS differences are not modelled.
 */
export function regexpErrors(v: string, path: FieldPath): FieldError[] {
  let src = v;
  let flags = '';
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  if (lead) {
    flags = [...new Set((lead[1] ?? '').replace(/U/g, ''))].join('');
    src = src.slice(lead[0].length);
  }
  src = src.replace(/\(\?P</g, '(?<');
  if (/\(\?<?[=!]|\\[1-9]/.test(src))
    return [invalid(path, v, 'must be a valid RE2 regular expression: lookaround and backreferences are not supported')];
  try {
    new RegExp(src, flags);
    return [];
  } catch (e) {
    return [invalid(path, v, `must be a valid regular expression: ${e instanceof Error ? e.message : String(e)}`)];
  }
}

/** A parsed numorstring.Port. */
export type PortSpec = { readonly min: number; readonly max: number } | { readonly name: string };

/** numorstring.Port from JSON: a number, `"80"`, `"min:max"`, or a named port. Undefined when malformed. */
export function parsePortSpec(v: NumOrStringPort): PortSpec | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 && v <= 65535 ? { min: v, max: v } : undefined;
  if (/^\d+$/.test(v)) {
    const n = Number(v);
    return n <= 65535 ? { min: n, max: n } : undefined;
  }
  if (v.includes(':')) {
    const m = /^(\d+):(\d+)$/.exec(v);
    if (!m) return undefined;
    const min = Number(m[1]);
    const max = Number(m[2]);
    return min <= 65535 && max <= 65535 ? { min, max } : undefined;
  }
  return /^[a-zA-Z0-9_.-]{1,128}$/.test(v) ? { name: v } : undefined;
}

/** A port or port range 1-65535 with min ≤ max (validatePort); named ports only when allowed. */
export function portSpecErrors(v: NumOrStringPort, path: FieldPath, allowNamed: boolean): FieldError[] {
  const p = parsePortSpec(v);
  if (!p) return [invalid(path, v, 'must be a port number, a `min:max` port range, or a port name')];
  if ('name' in p) return allowNamed ? [] : [invalid(path, v, 'must be a port number or a `min:max` port range, not a named port')];
  if (p.min < 1 || p.max < 1) return [invalid(path, v, 'port range invalid, port number must be between 1 and 65535')];
  if (p.min > p.max) return [invalid(path, v, 'port range invalid: the minimum is greater than the maximum')];
  return [];
}

// ---------------------------------------------------------------------------------------------
// Failsafe ports (ProtoPort; the ProtoPort fragment itself is registered with the rule parts)

/**
 * A failsafe port entry as Felix reads it: `protocol` `tcp`, `udp` or `sctp` in any case, or empty
 * (meaning `tcp`); `port` 0-65535; `net` a CIDR or IP when set.
 */
export function validateFailsafePort(p: ProtoPort, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const proto = p.protocol ?? '';
  if (proto !== '' && !['tcp', 'udp', 'sctp'].includes(proto.toLowerCase()))
    errs.push(notSupported(path.child('protocol'), proto, ['TCP', 'UDP', 'SCTP']));
  return [...errs, ..._protoPortRest(p, path)];
}

function _protoPortRest(p: ProtoPort, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const port = p.port ?? 0;
  if (port < 0 || port > 65535) errs.push(invalid(path.child('port'), port, 'must be between 0 and 65535, inclusive'));
  if ((p.net ?? '') !== '') errs.push(...cidrOrIpErrors(p.net ?? '', path.child('net')));
  return errs;
}

// ---------------------------------------------------------------------------------------------
// Defaults (felix/config/config_params.go), in API vocabulary

const tcp = (port: number): ProtoPort => ({ protocol: 'TCP', port });
const udp = (port: number): ProtoPort => ({ protocol: 'UDP', port });

/** `tcp:22, udp:68, tcp:179, tcp:2379, tcp:2380, tcp:5473, tcp:6443, tcp:6666, tcp:6667` */
export const DEFAULT_FAILSAFE_INBOUND_HOST_PORTS: readonly ProtoPort[] = [
  tcp(22),
  udp(68),
  tcp(179),
  tcp(2379),
  tcp(2380),
  tcp(5473),
  tcp(6443),
  tcp(6666),
  tcp(6667),
];

/** `udp:53, udp:67, tcp:179, tcp:2379, tcp:2380, tcp:5473, tcp:6443, tcp:6666, tcp:6667` */
export const DEFAULT_FAILSAFE_OUTBOUND_HOST_PORTS: readonly ProtoPort[] = [
  udp(53),
  udp(67),
  tcp(179),
  tcp(2379),
  tcp(2380),
  tcp(5473),
  tcp(6443),
  tcp(6666),
  tcp(6667),
];

/** The settings Felix always has a value for, with Felix's defaults. */
export const FELIX_DEFAULTS = {
  ipv6Support: true,
  routeRefreshInterval: '90s',
  interfaceRefreshInterval: '90s',
  iptablesRefreshInterval: '180s',
  iptablesPostWriteCheckInterval: '5s',
  iptablesLockProbeInterval: '50ms',
  ipsetsRefreshInterval: '90s',
  xdpRefreshInterval: '90s',
  netlinkTimeout: '10s',
  maxIpsetSize: 1048576,
  iptablesBackend: 'Auto',
  metadataAddr: '127.0.0.1',
  metadataPort: 8775,
  interfacePrefix: 'cali',
  interfaceExclude: 'kube-ipvs0',
  chainInsertMode: 'insert',
  defaultEndpointToHostAction: 'Drop',
  iptablesFilterAllowAction: 'Accept',
  iptablesMangleAllowAction: 'Accept',
  iptablesFilterDenyAction: 'Drop',
  logPrefix: 'calico-packet',
  logFilePath: '/var/log/calico/felix.log',
  logSeverityFile: 'Info',
  logSeverityScreen: 'Info',
  logSeveritySys: 'Info',
  vxlanPort: 4789,
  vxlanVNI: 4096,
  reportingInterval: '30s',
  reportingTTL: '90s',
  endpointReportingEnabled: false,
  endpointReportingDelay: '1s',
  iptablesMarkMask: 0xffff0000,
  healthEnabled: false,
  healthHost: 'localhost',
  healthPort: 9099,
  prometheusMetricsEnabled: false,
  prometheusMetricsPort: 9091,
  prometheusGoMetricsEnabled: true,
  prometheusProcessMetricsEnabled: true,
  prometheusWireGuardMetricsEnabled: true,
  failsafeInboundHostPorts: DEFAULT_FAILSAFE_INBOUND_HOST_PORTS,
  failsafeOutboundHostPorts: DEFAULT_FAILSAFE_OUTBOUND_HOST_PORTS,
  kubeNodePortRanges: ['30000:32767'] as readonly NumOrStringPort[],
  usageReportingEnabled: true,
  natOutgoingExclusions: 'IPPoolsOnly',
  deviceRouteProtocol: 3,
  removeExternalRoutes: true,
  ipForwarding: 'Enabled',
  serviceLoopPrevention: 'Drop',
  workloadSourceSpoofing: 'Disabled',
  awsSrcDstCheck: 'DoNothing',
  floatingIPs: 'Disabled',
  routeSource: 'CalicoIPAM',
  bpfEnabled: false,
  nftablesMode: 'Disabled',
  xdpEnabled: true,
  wireguardEnabled: false,
  wireguardEnabledV6: false,
  wireguardListeningPort: 51820,
  wireguardListeningPortV6: 51821,
  wireguardRoutingRulePriority: 99,
  wireguardInterfaceName: 'wireguard.cali',
  wireguardInterfaceNameV6: 'wg-v6.cali',
} as const satisfies { readonly [K in keyof FelixConfigurationSpec]?: unknown };

type DefaultedKey = keyof typeof FELIX_DEFAULTS;

/** FelixConfigurationSpec with every defaulted setting present. */
export type EffectiveFelixConfig = Readonly<Omit<FelixConfigurationSpec, DefaultedKey>> & {
  readonly [K in DefaultedKey]-?: NonNullable<FelixConfigurationSpec[K]> | (typeof FELIX_DEFAULTS)[K];
};

function _overlay(base: Record<string, unknown>, top: FelixConfigurationSpec | undefined): void {
  for (const [k, v] of Object.entries(top ?? {})) {
    if (v === undefined || v === '') continue; // Go omitempty: an empty string is "unset"
    base[k] = v;
  }
}

/**
 * The configuration Felix runs with on one node: Felix defaults, then the `default`
 * FelixConfiguration's spec, then the node's `node.<nodename>` spec, field by field (Felix's
 * config sources: a per-host `node.<nodename>` value wins over the global `default` one, which
 * wins over Felix's own default). Pure; inputs unchanged.
 */
export function effectiveFelixConfig(global?: FelixConfigurationSpec, perNode?: FelixConfigurationSpec): EffectiveFelixConfig {
  const out: Record<string, unknown> = { ...FELIX_DEFAULTS };
  _overlay(out, global);
  _overlay(out, perNode);
  return out as EffectiveFelixConfig;
}

/** The FelixConfiguration name that holds `node`'s own overrides. */
export function perNodeFelixConfigurationName(node: string): string {
  return `node.${node}`;
}

/**
 * THE effective configuration of `node` from a set of (decoded, valid) FelixConfiguration
 * resources: `default` overlaid by `node.<node>`, over Felix's defaults. Other nodes' resources
 * are ignored. Used by the engine (verdicts), the agent and the renderer's inputs alike.
 */
export function felixConfigForNode(
  configs: readonly Pick<FelixConfiguration, 'metadata' | 'spec'>[],
  node: string,
): EffectiveFelixConfig {
  const own = perNodeFelixConfigurationName(node);
  let global: FelixConfigurationSpec | undefined;
  let perNode: FelixConfigurationSpec | undefined;
  for (const c of configs) {
    const name = c.metadata?.name;
    if (name === 'default') global = c.spec;
    else if (node !== '' && name === own) perNode = c.spec;
  }
  return effectiveFelixConfig(global, perNode);
}

/** A failsafe port as Felix programs it: lower-case protocol (`tcp` when unset), a port, maybe a CIDR. */
export interface FailsafeHostPort {
  readonly protocol: string;
  readonly port: number;
  /** A CIDR or IP the peer must be in; absent for any peer. */
  readonly net?: string;
}

/**
 * The failsafe ports of an effective configuration, normalised (`protocol` lower case, `tcp` when
 * empty; entries without a port are dropped). `inbound`: `failsafeInboundHostPorts`.
 */
export function failsafeHostPorts(cfg: Pick<EffectiveFelixConfig, 'failsafeInboundHostPorts' | 'failsafeOutboundHostPorts'>, dir: 'inbound' | 'outbound'): FailsafeHostPort[] {
  const list: readonly ProtoPort[] = dir === 'inbound' ? cfg.failsafeInboundHostPorts : cfg.failsafeOutboundHostPorts;
  const out: FailsafeHostPort[] = [];
  for (const p of list) {
    if (p.port === undefined) continue;
    const protocol = p.protocol === undefined || p.protocol === '' ? 'tcp' : p.protocol.toLowerCase();
    out.push(p.net !== undefined && p.net !== '' ? { protocol, port: p.port, net: p.net } : { protocol, port: p.port });
  }
  return out;
}

/** DefaultEndpointToHostAction of an effective configuration, as Felix reads it (case-insensitive; Drop otherwise). */
export function endpointToHostAction(cfg: Pick<EffectiveFelixConfig, 'defaultEndpointToHostAction'>): 'Drop' | 'Accept' | 'Return' {
  const l = cfg.defaultEndpointToHostAction.toLowerCase();
  return l === 'accept' ? 'Accept' : l === 'return' ? 'Return' : 'Drop';
}

// ---------------------------------------------------------------------------------------------
// Decoding

const dur = str;
const routeTableRangeDecoder: Decoder<RouteTableRange> = obj({ min: int, max: int });
const healthTimeoutOverrideDecoder: Decoder<HealthTimeoutOverride> = obj({ name: str, timeout: dur });

export const felixConfigurationSpecDecoder: Decoder<FelixConfigurationSpec> = obj({
  useInternalDataplaneDriver: bool,
  dataplaneDriver: str,
  dataplaneWatchdogTimeout: dur,
  ipv6Support: bool,
  routeRefreshInterval: dur,
  interfaceRefreshInterval: dur,
  iptablesRefreshInterval: dur,
  iptablesPostWriteCheckInterval: dur,
  iptablesLockFilePath: str,
  iptablesLockTimeout: dur,
  iptablesLockProbeInterval: dur,
  featureDetectOverride: str,
  featureGates: str,
  ipsetsRefreshInterval: dur,
  maxIpsetSize: int,
  iptablesBackend: str,
  xdpRefreshInterval: dur,
  netlinkTimeout: dur,
  metadataAddr: str,
  metadataPort: int,
  openstackRegion: str,
  interfacePrefix: str,
  interfaceExclude: str,
  chainInsertMode: str,
  defaultEndpointToHostAction: str,
  iptablesFilterAllowAction: str,
  iptablesMangleAllowAction: str,
  iptablesFilterDenyAction: str,
  logPrefix: str,
  logFilePath: str,
  logSeverityFile: str,
  logSeverityScreen: str,
  logSeveritySys: str,
  logDebugFilenameRegex: str,
  ipipEnabled: bool,
  ipipMTU: int,
  vxlanEnabled: bool,
  vxlanMTU: int,
  vxlanMTUV6: int,
  vxlanPort: int,
  vxlanVNI: int,
  allowVXLANPacketsFromWorkloads: bool,
  allowIPIPPacketsFromWorkloads: bool,
  reportingInterval: dur,
  reportingTTL: dur,
  endpointReportingEnabled: bool,
  endpointReportingDelay: dur,
  endpointStatusPathPrefix: str,
  iptablesMarkMask: int,
  disableConntrackInvalidCheck: bool,
  healthEnabled: bool,
  healthHost: str,
  healthPort: int,
  healthTimeoutOverrides: arr(healthTimeoutOverrideDecoder),
  prometheusMetricsEnabled: bool,
  prometheusMetricsHost: str,
  prometheusMetricsPort: int,
  prometheusGoMetricsEnabled: bool,
  prometheusProcessMetricsEnabled: bool,
  prometheusWireGuardMetricsEnabled: bool,
  failsafeInboundHostPorts: arr(protoPortDecoder),
  failsafeOutboundHostPorts: arr(protoPortDecoder),
  kubeNodePortRanges: arr(intOrStr),
  policySyncPathPrefix: str,
  usageReportingEnabled: bool,
  usageReportingInitialDelay: dur,
  usageReportingInterval: dur,
  natPortRange: intOrStr,
  natOutgoingAddress: str,
  natOutgoingExclusions: str,
  deviceRouteSourceAddress: str,
  deviceRouteSourceAddressIPv6: str,
  deviceRouteProtocol: int,
  removeExternalRoutes: bool,
  programClusterRoutes: str,
  ipForwarding: str,
  externalNodesList: arr(str),
  debugMemoryProfilePath: str,
  debugDisableLogDropping: bool,
  debugSimulateCalcGraphHangAfter: dur,
  debugSimulateDataplaneHangAfter: dur,
  debugSimulateDataplaneApplyDelay: dur,
  debugHost: str,
  debugPort: int,
  iptablesNATOutgoingInterfaceFilter: str,
  sidecarAccelerationEnabled: bool,
  xdpEnabled: bool,
  genericXDPEnabled: bool,
  nftablesMode: str,
  nftablesRefreshInterval: dur,
  nftablesFilterAllowAction: str,
  nftablesMangleAllowAction: str,
  nftablesFilterDenyAction: str,
  nftablesMarkMask: int,
  bpfEnabled: bool,
  bpfDisableUnprivileged: bool,
  bpfLogLevel: str,
  bpfConntrackLogLevel: str,
  bpfConntrackMode: str,
  bpfConntrackTimeouts: obj({
    creationGracePeriod: str,
    tcpSynSent: str,
    tcpEstablished: str,
    tcpFinsSeen: str,
    tcpResetSeen: str,
    udpTimeout: str,
    genericTimeout: str,
    icmpTimeout: str,
  }),
  bpfLogFilters: record(str),
  bpfCTLBLogFilter: str,
  bpfDataIfacePattern: str,
  bpfL3IfacePattern: str,
  bpfConnectTimeLoadBalancingEnabled: bool,
  bpfConnectTimeLoadBalancing: str,
  bpfHostNetworkedNATWithoutCTLB: str,
  bpfExternalServiceMode: str,
  bpfDSROptoutCIDRs: arr(str),
  bpfExtToServiceConnmark: int,
  bpfKubeProxyIptablesCleanupEnabled: bool,
  bpfKubeProxyMinSyncPeriod: dur,
  bpfKubeProxyEndpointSlicesEnabled: bool,
  bpfPSNATPorts: intOrStr,
  bpfMapSizeNATFrontend: int,
  bpfMapSizeNATBackend: int,
  bpfMapSizeNATAffinity: int,
  bpfMapSizeRoute: int,
  bpfMapSizeConntrack: int,
  bpfMapSizePerCpuConntrack: int,
  bpfMapSizeConntrackScaling: str,
  bpfMapSizeConntrackCleanupQueue: int,
  bpfMapSizeIPSets: int,
  bpfMapSizeIfState: int,
  bpfHostConntrackBypass: bool,
  bpfEnforceRPF: str,
  bpfPolicyDebugEnabled: bool,
  bpfForceTrackPacketsFromIfaces: arr(str),
  bpfDisableGROForIfaces: str,
  bpfExcludeCIDRsFromNAT: arr(str),
  bpfExportBufferSizeMB: int,
  bpfRedirectToPeer: str,
  bpfAttachType: str,
  bpfProfiling: str,
  cgroupV2Path: str,
  flowLogsPolicyEvaluationMode: str,
  flowLogsFlushInterval: dur,
  flowLogsCollectorDebugTrace: bool,
  flowLogsGoldmaneServer: str,
  flowLogsLocalReporter: str,
  routeSource: str,
  routeTableRanges: arr(routeTableRangeDecoder),
  routeTableRange: routeTableRangeDecoder,
  routeSyncDisabled: bool,
  wireguardEnabled: bool,
  wireguardEnabledV6: bool,
  wireguardThreadingEnabled: bool,
  wireguardListeningPort: int,
  wireguardListeningPortV6: int,
  wireguardRoutingRulePriority: int,
  wireguardInterfaceName: str,
  wireguardInterfaceNameV6: str,
  wireguardMTU: int,
  wireguardMTUV6: int,
  wireguardHostEncryptionEnabled: bool,
  wireguardKeepAlive: dur,
  awsSrcDstCheck: str,
  serviceLoopPrevention: str,
  workloadSourceSpoofing: str,
  mtuIfacePattern: str,
  floatingIPs: str,
  windowsManageFirewallRules: str,
  goGCThreshold: int,
  goMemoryLimitMB: int,
  goMaxProcs: int,
  requireMTUFile: bool,
});

// ---------------------------------------------------------------------------------------------
// Validation tables

type StringKey = { [K in keyof FelixConfigurationSpec]-?: FelixConfigurationSpec[K] extends string | undefined ? K : never }[keyof FelixConfigurationSpec];
type NumberKey = { [K in keyof FelixConfigurationSpec]-?: FelixConfigurationSpec[K] extends number | undefined ? K : never }[keyof FelixConfigurationSpec];

const LOG_LEVELS = ['Trace', 'Debug', 'Info', 'Warning', 'Error', 'Fatal'];
const ENABLED_DISABLED = ['Enabled', 'Disabled'];

/** Enumerations; `ci` marks the ones Calico only constrains with a case-insensitive CRD pattern. */
const ENUMS: readonly (readonly [StringKey, readonly string[], 'ci'?])[] = [
  ['iptablesBackend', ['Auto', 'NFT', 'Legacy']],
  ['chainInsertMode', ['insert', 'append'], 'ci'],
  ['defaultEndpointToHostAction', ['Drop', 'Accept', 'Return']],
  ['iptablesFilterAllowAction', ['Accept', 'Return']],
  ['iptablesMangleAllowAction', ['Accept', 'Return']],
  ['iptablesFilterDenyAction', ['Drop', 'Reject']],
  ['nftablesFilterAllowAction', ['Accept', 'Return']],
  ['nftablesMangleAllowAction', ['Accept', 'Return']],
  ['nftablesFilterDenyAction', ['Drop', 'Reject']],
  ['logSeverityFile', LOG_LEVELS],
  ['logSeverityScreen', LOG_LEVELS],
  ['logSeveritySys', LOG_LEVELS],
  ['natOutgoingExclusions', ['IPPoolsOnly', 'IPPoolsAndHostIPs']],
  ['programClusterRoutes', ENABLED_DISABLED],
  ['ipForwarding', ENABLED_DISABLED],
  ['nftablesMode', ['Disabled', 'Enabled', 'Auto']],
  ['bpfLogLevel', ['Debug', 'Info', 'Off']],
  ['bpfConntrackLogLevel', ['Off', 'Debug']],
  ['bpfConntrackMode', ['Auto', 'Userspace', 'BPFProgram']],
  ['bpfConnectTimeLoadBalancing', ['TCP', 'Enabled', 'Disabled']],
  ['bpfHostNetworkedNATWithoutCTLB', ENABLED_DISABLED],
  ['bpfExternalServiceMode', ['Tunnel', 'DSR']],
  ['bpfMapSizeConntrackScaling', ['Disabled', 'DoubleIfFull'], 'ci'],
  ['bpfEnforceRPF', ['Disabled', 'Strict', 'Loose'], 'ci'],
  ['bpfRedirectToPeer', ['Enabled', 'Disabled', 'L2Only']],
  ['bpfAttachType', ['TC', 'TCX']],
  ['bpfProfiling', ENABLED_DISABLED],
  ['flowLogsPolicyEvaluationMode', ['None', 'Continuous']],
  ['flowLogsLocalReporter', ENABLED_DISABLED],
  ['routeSource', ['WorkloadIPs', 'CalicoIPAM'], 'ci'],
  ['awsSrcDstCheck', ['DoNothing', 'Enable', 'Disable']],
  ['serviceLoopPrevention', ['Drop', 'Reject', 'Disabled']],
  ['workloadSourceSpoofing', ['Disabled', 'Any']],
  ['floatingIPs', ENABLED_DISABLED],
  ['windowsManageFirewallRules', ENABLED_DISABLED],
];

const DURATIONS: readonly StringKey[] = [
  'dataplaneWatchdogTimeout',
  'routeRefreshInterval',
  'interfaceRefreshInterval',
  'iptablesRefreshInterval',
  'iptablesPostWriteCheckInterval',
  'iptablesLockTimeout',
  'iptablesLockProbeInterval',
  'ipsetsRefreshInterval',
  'xdpRefreshInterval',
  'netlinkTimeout',
  'reportingInterval',
  'reportingTTL',
  'endpointReportingDelay',
  'usageReportingInitialDelay',
  'usageReportingInterval',
  'debugSimulateCalcGraphHangAfter',
  'debugSimulateDataplaneHangAfter',
  'debugSimulateDataplaneApplyDelay',
  'nftablesRefreshInterval',
  'bpfKubeProxyMinSyncPeriod',
  'flowLogsFlushInterval',
  'wireguardKeepAlive',
];

/** Inclusive ranges; `undefined` bound means unbounded. */
const RANGES: readonly (readonly [NumberKey, number | undefined, number | undefined])[] = [
  ['metadataPort', 0, 65535],
  ['healthPort', 0, 65535],
  ['prometheusMetricsPort', 0, 65535],
  ['debugPort', 0, 65535],
  ['vxlanPort', 0, 65535],
  ['vxlanVNI', 0, 0xffffff],
  ['deviceRouteProtocol', 0, 255],
  ['iptablesMarkMask', 0, 0xffffffff],
  ['nftablesMarkMask', 0, 0xffffffff],
  ['wireguardListeningPort', 1, 65535],
  ['wireguardListeningPortV6', 1, 65535],
  ['wireguardRoutingRulePriority', 1, 32765],
  ['bpfExtToServiceConnmark', 0, 0xffffffff],
  ['bpfMapSizeConntrackCleanupQueue', 1, undefined],
  ['goGCThreshold', -1, undefined],
  ['goMemoryLimitMB', -1, undefined],
  ['goMaxProcs', -1, undefined],
  ['maxIpsetSize', 0, undefined],
  ['ipipMTU', 0, undefined],
  ['vxlanMTU', 0, undefined],
  ['vxlanMTUV6', 0, undefined],
  ['wireguardMTU', 0, undefined],
  ['wireguardMTUV6', 0, undefined],
];

const REGEXPS: readonly StringKey[] = [
  'logDebugFilenameRegex',
  'bpfDataIfacePattern',
  'bpfL3IfacePattern',
  'bpfDisableGROForIfaces',
  'mtuIfacePattern',
];

const PROMETHEUS_HOST = /^[a-zA-Z0-9:._+-]{1,64}$/;
const IFACE_FILTER = /^[a-zA-Z0-9:._+-]{1,15}$/;
const KEY_VALUE_ITEM = /^\s*(\w+)=(.*)$/;
const HEALTH_TIMEOUT_NAME = /^[a-zA-Z0-9_ -]+$/;
const BPF_CT_TIMEOUT_KEYS = [
  'creationGracePeriod',
  'tcpSynSent',
  'tcpEstablished',
  'tcpFinsSeen',
  'tcpResetSeen',
  'udpTimeout',
  'genericTimeout',
  'icmpTimeout',
] as const;
/** OpenStack regions become part of a namespace name `openstack-region-<region>` (≤ 63). */
const MAX_OPENSTACK_REGION = 63 - 'openstack-region-'.length;

function keyValueListErrors(v: string, path: FieldPath): FieldError[] {
  if (v.trim() === '') return [];
  const bad = v.split(',').filter((item) => item !== '' && !KEY_VALUE_ITEM.test(item));
  return bad.length === 0 ? [] : [invalid(path, v, 'must be a comma-separated list of `key=value` pairs')];
}

function routeTableRangeErrors(r: RouteTableRange, path: FieldPath): FieldError[] {
  const min = r.min ?? 0;
  const max = r.max ?? 0;
  return min >= 1 && max >= min && max <= 250
    ? []
    : [invalid(path, r, 'must be a range of route table indices within 1..250 with `min` ≤ `max`')];
}

function routeTableRangesErrors(rs: RouteTableRange[], path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  let tables = 0;
  rs.forEach((r, i) => {
    const p = path.index(i);
    const min = r.min ?? 0;
    const max = r.max ?? 0;
    if (min > max) errs.push(invalid(p, r, 'min value cannot be greater than max value'));
    if (min <= 0) errs.push(invalid(p.child('min'), min, 'cannot target indices < 1'));
    if (max > 0xffffffff) errs.push(invalid(p.child('max'), max, 'max index too high (at most 4294967295)'));
    tables += max - min + 1;
  });
  if (tables > 0xffff) errs.push(invalid(path, tables, 'targets too many tables (at most 65535 in total)'));
  return errs;
}

export function validateHealthTimeoutOverride(h: HealthTimeoutOverride, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const name = h.name ?? '';
  if (name === '') errs.push(required(path.child('name'), 'a health timeout override needs a `name`'));
  else if (!HEALTH_TIMEOUT_NAME.test(name)) errs.push(invalid(path.child('name'), name, 'must match the regex `^[a-zA-Z0-9_ -]+$`'));
  if (h.timeout === undefined) errs.push(required(path.child('timeout'), 'a health timeout override needs a `timeout`'));
  else errs.push(...durationErrors(h.timeout, path.child('timeout')));
  return errs;
}

export function validateFelixConfigurationSpec(spec: FelixConfigurationSpec, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const present = <K extends keyof FelixConfigurationSpec>(k: K): boolean => spec[k] !== undefined && spec[k] !== '';

  for (const [k, values, mode] of ENUMS) {
    const v = spec[k];
    if (v === undefined || v === '') continue;
    const ok = mode === 'ci' ? values.some((x) => x.toLowerCase() === v.toLowerCase()) : values.includes(v);
    if (!ok) errs.push(notSupported(path.child(k), v, values));
  }
  for (const k of DURATIONS) {
    const v = spec[k];
    if (v !== undefined) errs.push(...durationErrors(v, path.child(k)));
  }
  for (const [k, min, max] of RANGES) {
    const v = spec[k];
    if (v === undefined) continue;
    if ((min !== undefined && v < min) || (max !== undefined && v > max))
      errs.push(
        invalid(
          path.child(k),
          v,
          max === undefined ? `must be greater than or equal to ${min}` : `must be between ${min} and ${max}, inclusive`,
        ),
      );
  }
  for (const k of REGEXPS) {
    const v = spec[k];
    if (v !== undefined && v !== '') errs.push(...regexpErrors(v, path.child(k)));
  }

  for (const k of ['featureDetectOverride', 'featureGates'] as const) {
    const v = spec[k];
    if (v !== undefined) errs.push(...keyValueListErrors(v, path.child(k)));
  }
  if (present('prometheusMetricsHost') && !PROMETHEUS_HOST.test(spec.prometheusMetricsHost ?? ''))
    errs.push(invalid(path.child('prometheusMetricsHost'), spec.prometheusMetricsHost, 'must be a host name or IP address of at most 64 characters from `[a-zA-Z0-9:._+-]`'));
  if (present('iptablesNATOutgoingInterfaceFilter') && !IFACE_FILTER.test(spec.iptablesNATOutgoingInterfaceFilter ?? ''))
    errs.push(invalid(path.child('iptablesNATOutgoingInterfaceFilter'), spec.iptablesNATOutgoingInterfaceFilter, 'must be an interface name or iptables wildcard (1-15 characters from `[a-zA-Z0-9:._+-]`)'));
  (spec.bpfForceTrackPacketsFromIfaces ?? []).forEach((v, i) => {
    if (!IFACE_FILTER.test(v))
      errs.push(invalid(path.child('bpfForceTrackPacketsFromIfaces').index(i), v, 'must be an interface name or iptables wildcard (1-15 characters from `[a-zA-Z0-9:._+-]`)'));
  });
  for (const k of ['wireguardInterfaceName', 'wireguardInterfaceNameV6'] as const) {
    const v = spec[k];
    if (v !== undefined && v !== '') errs.push(...interfaceNameErrors(v, path.child(k)));
  }
  for (const k of Object.keys(spec.bpfLogFilters ?? {})) {
    if (!INTERFACE_NAME.test(k))
      errs.push(invalid(path.child('bpfLogFilters'), k, 'keys must be interface names, `all`, `weps` or `heps`'));
  }

  if (present('natOutgoingAddress')) errs.push(...ipErrors(spec.natOutgoingAddress ?? '', path.child('natOutgoingAddress'), 4));
  if (present('deviceRouteSourceAddress'))
    errs.push(...ipErrors(spec.deviceRouteSourceAddress ?? '', path.child('deviceRouteSourceAddress'), 4));
  if (present('deviceRouteSourceAddressIPv6'))
    errs.push(...ipErrors(spec.deviceRouteSourceAddressIPv6 ?? '', path.child('deviceRouteSourceAddressIPv6'), 6));
  (spec.externalNodesList ?? []).forEach((c, i) => {
    const p = path.child('externalNodesList').index(i);
    if (!parseCidrOrIp(c)) errs.push(invalid(p, c, 'has invalid CIDR(s)'));
    else if (goIpVersion(c.split('/')[0] ?? '') !== 4) errs.push(invalid(p, c, 'must be an IPv4 CIDR'));
  });
  for (const k of ['bpfDSROptoutCIDRs', 'bpfExcludeCIDRsFromNAT'] as const)
    (spec[k] ?? []).forEach((c, i) => errs.push(...cidrOrIpErrors(c, path.child(k).index(i))));

  const region = spec.openstackRegion ?? '';
  if (region.length > MAX_OPENSTACK_REGION)
    errs.push(invalid(path.child('openstackRegion'), region, `must be no more than ${MAX_OPENSTACK_REGION} characters`));
  else if (region !== '' && isDNS1123Label(region).length > 0)
    errs.push(invalid(path.child('openstackRegion'), region, 'must be a valid DNS label'));

  const ranges = spec.kubeNodePortRanges;
  if (ranges !== undefined) {
    if (ranges.length > 7) errs.push(tooMany(path.child('kubeNodePortRanges'), ranges.length, 7));
    ranges.forEach((r, i) => errs.push(...portSpecErrors(r, path.child('kubeNodePortRanges').index(i), false)));
  }
  if (spec.natPortRange !== undefined) errs.push(...portSpecErrors(spec.natPortRange, path.child('natPortRange'), false));
  if (spec.bpfPSNATPorts !== undefined) errs.push(...portSpecErrors(spec.bpfPSNATPorts, path.child('bpfPSNATPorts'), false));

  if (spec.routeTableRange !== undefined) {
    errs.push(...routeTableRangeErrors(spec.routeTableRange, path.child('routeTableRange')));
    if (spec.routeTableRanges !== undefined)
      errs.push(invalid(path.child('routeTableRange'), spec.routeTableRange, 'cannot be set when `routeTableRanges` is also set'));
  }
  if (spec.routeTableRanges !== undefined) errs.push(...routeTableRangesErrors(spec.routeTableRanges, path.child('routeTableRanges')));

  (spec.healthTimeoutOverrides ?? []).forEach((h, i) =>
    errs.push(...validateHealthTimeoutOverride(h, path.child('healthTimeoutOverrides').index(i))),
  );

  for (const k of ['failsafeInboundHostPorts', 'failsafeOutboundHostPorts'] as const)
    (spec[k] ?? []).forEach((pp, i) => errs.push(...validateFailsafePort(pp, path.child(k).index(i))));

  const ct = spec.bpfConntrackTimeouts ?? {};
  for (const k of BPF_CT_TIMEOUT_KEYS) {
    const v = ct[k];
    if (v !== undefined && v !== 'Auto' && parseGoDurationMs(v) === undefined)
      errs.push(invalid(path.child('bpfConntrackTimeouts').child(k), v, 'must be `Auto` or a duration such as `30s`'));
  }
  return errs;
}

// ---------------------------------------------------------------------------------------------
// Registry rows

/** `default` (cluster-wide) or `node.<nodename>` (one node). */
export function felixConfigurationNameErrors(name: string): string[] {
  if (name === 'default') return [];
  if (name.startsWith('node.')) {
    const node = name.slice('node.'.length);
    return isDNS1123Subdomain(node).map((m) => `node name part ${m}`);
  }
  return ['must be `default` or `node.<nodename>`'];
}

export const felixConfigurationKind: KindInfo = defineKind<FelixConfiguration>({
  kind: 'FelixConfiguration',
  group: 'projectcalico.org',
  version: 'v3',
  plural: 'felixconfigurations',
  singular: 'felixconfiguration',
  shortNames: ['felixconfig', 'felixconfigs'],
  namespaced: false,
  validateName: felixConfigurationNameErrors,
  decode: resourceDecoder({ spec: felixConfigurationSpecDecoder }) as Decoder<FelixConfiguration>,
  applyDefaults: (o) => o,
  validate: (o, path) => validateFelixConfigurationSpec(o.spec ?? {}, path.child('spec')),
});

export const FELIX_CONFIGURATION_FRAGMENTS: readonly FragmentInfo[] = [
  defineFragment<FelixConfigurationSpec>({
    name: 'FelixConfigurationSpec',
    decode: felixConfigurationSpecDecoder,
    validate: validateFelixConfigurationSpec,
  }),
  defineFragment<HealthTimeoutOverride>({
    name: 'HealthTimeoutOverride',
    decode: healthTimeoutOverrideDecoder,
    validate: validateHealthTimeoutOverride,
  }),
];
