/**
 * @module projectcalico.org/v3 types for the non-policy kinds (HostEndpoint, GlobalNetworkSet,
 * NetworkSet, Profile, Node, WorkloadEndpoint, FelixConfiguration, KubeControllersConfiguration)
 * and the calicoctl config file (CalicoAPIConfig), with Calico's field names and casing
 * (api/pkg/apis/projectcalico/v3, libcalico-go/lib/apis/v3, libcalico-go/lib/apiconfig).
 *
 * Decoded values: every field optional, as Go's omitempty. Enumerations are typed `string`
 * because decoding checks shape only; validation checks the value.
 */
import type { ObjectMeta } from '../meta.js';
import type { ProtoPort, Rule } from './types.js';

export type { ProtoPort };

/** numorstring.Protocol: a name (`TCP`) or a number 1-255, or a numeric string. */
export type NumOrStringProtocol = number | string;
/** numorstring.Port: a number, a `"min:max"` range, or a named port. */
export type NumOrStringPort = number | string;
/** A Go duration string (`"90s"`, `"1m30s"`, `"250ms"`); metav1.Duration in JSON. */
export type GoDuration = string;

// ---------------------------------------------------------------------------------------------
// HostEndpoint

/** EndpointPort: a named port on a host endpoint. */
export interface EndpointPort {
  name?: string;
  protocol?: NumOrStringProtocol;
  port?: number;
}

export interface HostEndpointSpec {
  node?: string;
  interfaceName?: string;
  expectedIPs?: string[];
  profiles?: string[];
  ports?: EndpointPort[];
}

export interface HostEndpoint {
  apiVersion: string;
  kind: 'HostEndpoint';
  metadata?: ObjectMeta;
  spec?: HostEndpointSpec;
}

// ---------------------------------------------------------------------------------------------
// GlobalNetworkSet / NetworkSet

export interface NetworkSetSpec {
  nets?: string[];
}
export type GlobalNetworkSetSpec = NetworkSetSpec;

export interface NetworkSet {
  apiVersion: string;
  kind: 'NetworkSet';
  metadata?: ObjectMeta;
  spec?: NetworkSetSpec;
}

export interface GlobalNetworkSet {
  apiVersion: string;
  kind: 'GlobalNetworkSet';
  metadata?: ObjectMeta;
  spec?: GlobalNetworkSetSpec;
}

// ---------------------------------------------------------------------------------------------
// Profile

export interface ProfileSpec {
  ingress?: Rule[];
  egress?: Rule[];
  labelsToApply?: Record<string, string>;
}

export interface Profile {
  apiVersion: string;
  kind: 'Profile';
  metadata?: ObjectMeta;
  spec?: ProfileSpec;
}

// ---------------------------------------------------------------------------------------------
// Node (libcalico-go/lib/apis/v3/node.go)

/** numorstring.ASNumber: a number, or a string in plain (`"64512"`) or AS-dot (`"1.10"`) form. */
export type ASNumber = number | string;

export interface NodeBGPSpec {
  asNumber?: ASNumber;
  ipv4Address?: string;
  ipv6Address?: string;
  ipv4IPIPTunnelAddr?: string;
  routeReflectorClusterID?: string;
}

export interface OrchRef {
  nodeName?: string;
  orchestrator?: string;
}

export interface NodeWireguardSpec {
  interfaceIPv4Address?: string;
  interfaceIPv6Address?: string;
}

export type NodeAddressType = 'CalicoNodeIP' | 'InternalIP' | 'ExternalIP';

export interface NodeAddress {
  address?: string;
  type?: NodeAddressType | string;
}

export interface NodeInterface {
  name?: string;
  addresses?: string[];
}

export interface NodeSpec {
  bgp?: NodeBGPSpec;
  ipv4VXLANTunnelAddr?: string;
  vxlanTunnelMACAddr?: string;
  ipv6VXLANTunnelAddr?: string;
  vxlanTunnelMACAddrV6?: string;
  orchRefs?: OrchRef[];
  wireguard?: NodeWireguardSpec;
  addresses?: NodeAddress[];
  interfaces?: NodeInterface[];
}

export interface NodeStatus {
  wireguardPublicKey?: string;
  wireguardPublicKeyV6?: string;
  podCIDRs?: string[];
}

export interface CalicoNode {
  apiVersion: string;
  kind: 'Node';
  metadata?: ObjectMeta;
  spec?: NodeSpec;
  status?: NodeStatus;
}

// ---------------------------------------------------------------------------------------------
// WorkloadEndpoint (libcalico-go/lib/apis/v3/workloadendpoint.go)

export interface IPNAT {
  internalIP?: string;
  externalIP?: string;
  /** `openstack` for OpenStack floating IPs (newer releases). */
  source?: string;
}

export interface WorkloadEndpointPort {
  name?: string;
  protocol?: NumOrStringProtocol;
  port?: number;
  hostPort?: number;
  hostIP?: string;
}

export interface QoSControls {
  ingressBandwidth?: number;
  ingressBurst?: number;
  ingressPeakrate?: number;
  ingressMinburst?: number;
  egressBandwidth?: number;
  egressBurst?: number;
  egressPeakrate?: number;
  egressMinburst?: number;
  ingressPacketRate?: number;
  ingressPacketBurst?: number;
  egressPacketRate?: number;
  egressPacketBurst?: number;
  ingressMaxConnections?: number;
  egressMaxConnections?: number;
  /** numorstring.DSCP: 0-63 or a name such as `AF11`, `EF`. */
  dscp?: number | string;
}

export interface WorkloadEndpointSpec {
  orchestrator?: string;
  workload?: string;
  node?: string;
  containerID?: string;
  pod?: string;
  endpoint?: string;
  serviceAccountName?: string;
  ipNetworks?: string[];
  ipNATs?: IPNAT[];
  ipv4Gateway?: string;
  ipv6Gateway?: string;
  profiles?: string[];
  interfaceName?: string;
  mac?: string;
  ports?: WorkloadEndpointPort[];
  allowSpoofedSourcePrefixes?: string[];
  qosControls?: QoSControls;
}

export interface WorkloadEndpoint {
  apiVersion: string;
  kind: 'WorkloadEndpoint';
  metadata?: ObjectMeta;
  spec?: WorkloadEndpointSpec;
}

// ---------------------------------------------------------------------------------------------
// FelixConfiguration (api/pkg/apis/projectcalico/v3/felixconfig.go)

export interface HealthTimeoutOverride {
  name?: string;
  timeout?: GoDuration;
}

export interface RouteTableRange {
  min?: number;
  max?: number;
}

export interface BPFConntrackTimeouts {
  creationGracePeriod?: string;
  tcpSynSent?: string;
  tcpEstablished?: string;
  tcpFinsSeen?: string;
  tcpResetSeen?: string;
  udpTimeout?: string;
  genericTimeout?: string;
  icmpTimeout?: string;
}

export interface FelixConfigurationSpec {
  useInternalDataplaneDriver?: boolean;
  dataplaneDriver?: string;
  dataplaneWatchdogTimeout?: GoDuration;
  ipv6Support?: boolean;
  routeRefreshInterval?: GoDuration;
  interfaceRefreshInterval?: GoDuration;
  iptablesRefreshInterval?: GoDuration;
  iptablesPostWriteCheckInterval?: GoDuration;
  iptablesLockFilePath?: string;
  iptablesLockTimeout?: GoDuration;
  iptablesLockProbeInterval?: GoDuration;
  featureDetectOverride?: string;
  featureGates?: string;
  ipsetsRefreshInterval?: GoDuration;
  maxIpsetSize?: number;
  iptablesBackend?: string;
  xdpRefreshInterval?: GoDuration;
  netlinkTimeout?: GoDuration;
  metadataAddr?: string;
  metadataPort?: number;
  openstackRegion?: string;
  interfacePrefix?: string;
  interfaceExclude?: string;
  chainInsertMode?: string;
  defaultEndpointToHostAction?: string;
  iptablesFilterAllowAction?: string;
  iptablesMangleAllowAction?: string;
  iptablesFilterDenyAction?: string;
  logPrefix?: string;
  logFilePath?: string;
  logSeverityFile?: string;
  logSeverityScreen?: string;
  logSeveritySys?: string;
  logDebugFilenameRegex?: string;
  ipipEnabled?: boolean;
  ipipMTU?: number;
  vxlanEnabled?: boolean;
  vxlanMTU?: number;
  vxlanMTUV6?: number;
  vxlanPort?: number;
  vxlanVNI?: number;
  allowVXLANPacketsFromWorkloads?: boolean;
  allowIPIPPacketsFromWorkloads?: boolean;
  reportingInterval?: GoDuration;
  reportingTTL?: GoDuration;
  endpointReportingEnabled?: boolean;
  endpointReportingDelay?: GoDuration;
  endpointStatusPathPrefix?: string;
  iptablesMarkMask?: number;
  disableConntrackInvalidCheck?: boolean;
  healthEnabled?: boolean;
  healthHost?: string;
  healthPort?: number;
  healthTimeoutOverrides?: HealthTimeoutOverride[];
  prometheusMetricsEnabled?: boolean;
  prometheusMetricsHost?: string;
  prometheusMetricsPort?: number;
  prometheusGoMetricsEnabled?: boolean;
  prometheusProcessMetricsEnabled?: boolean;
  prometheusWireGuardMetricsEnabled?: boolean;
  failsafeInboundHostPorts?: ProtoPort[];
  failsafeOutboundHostPorts?: ProtoPort[];
  kubeNodePortRanges?: NumOrStringPort[];
  policySyncPathPrefix?: string;
  usageReportingEnabled?: boolean;
  usageReportingInitialDelay?: GoDuration;
  usageReportingInterval?: GoDuration;
  natPortRange?: NumOrStringPort;
  natOutgoingAddress?: string;
  natOutgoingExclusions?: string;
  deviceRouteSourceAddress?: string;
  deviceRouteSourceAddressIPv6?: string;
  deviceRouteProtocol?: number;
  removeExternalRoutes?: boolean;
  programClusterRoutes?: string;
  ipForwarding?: string;
  /** JSON name of Go's ExternalNodesCIDRList. */
  externalNodesList?: string[];
  debugMemoryProfilePath?: string;
  debugDisableLogDropping?: boolean;
  debugSimulateCalcGraphHangAfter?: GoDuration;
  debugSimulateDataplaneHangAfter?: GoDuration;
  debugSimulateDataplaneApplyDelay?: GoDuration;
  debugHost?: string;
  debugPort?: number;
  iptablesNATOutgoingInterfaceFilter?: string;
  sidecarAccelerationEnabled?: boolean;
  xdpEnabled?: boolean;
  genericXDPEnabled?: boolean;
  nftablesMode?: string;
  nftablesRefreshInterval?: GoDuration;
  nftablesFilterAllowAction?: string;
  nftablesMangleAllowAction?: string;
  nftablesFilterDenyAction?: string;
  nftablesMarkMask?: number;
  bpfEnabled?: boolean;
  bpfDisableUnprivileged?: boolean;
  bpfLogLevel?: string;
  bpfConntrackLogLevel?: string;
  /** JSON name of Go's BPFConntrackCleanupMode. */
  bpfConntrackMode?: string;
  bpfConntrackTimeouts?: BPFConntrackTimeouts;
  bpfLogFilters?: Record<string, string>;
  bpfCTLBLogFilter?: string;
  bpfDataIfacePattern?: string;
  bpfL3IfacePattern?: string;
  bpfConnectTimeLoadBalancingEnabled?: boolean;
  bpfConnectTimeLoadBalancing?: string;
  bpfHostNetworkedNATWithoutCTLB?: string;
  bpfExternalServiceMode?: string;
  bpfDSROptoutCIDRs?: string[];
  bpfExtToServiceConnmark?: number;
  bpfKubeProxyIptablesCleanupEnabled?: boolean;
  bpfKubeProxyMinSyncPeriod?: GoDuration;
  bpfKubeProxyEndpointSlicesEnabled?: boolean;
  bpfPSNATPorts?: NumOrStringPort;
  bpfMapSizeNATFrontend?: number;
  bpfMapSizeNATBackend?: number;
  bpfMapSizeNATAffinity?: number;
  bpfMapSizeRoute?: number;
  bpfMapSizeConntrack?: number;
  bpfMapSizePerCpuConntrack?: number;
  bpfMapSizeConntrackScaling?: string;
  bpfMapSizeConntrackCleanupQueue?: number;
  bpfMapSizeIPSets?: number;
  bpfMapSizeIfState?: number;
  bpfHostConntrackBypass?: boolean;
  bpfEnforceRPF?: string;
  bpfPolicyDebugEnabled?: boolean;
  bpfForceTrackPacketsFromIfaces?: string[];
  bpfDisableGROForIfaces?: string;
  bpfExcludeCIDRsFromNAT?: string[];
  bpfExportBufferSizeMB?: number;
  bpfRedirectToPeer?: string;
  bpfAttachType?: string;
  bpfProfiling?: string;
  cgroupV2Path?: string;
  flowLogsPolicyEvaluationMode?: string;
  flowLogsFlushInterval?: GoDuration;
  flowLogsCollectorDebugTrace?: boolean;
  flowLogsGoldmaneServer?: string;
  flowLogsLocalReporter?: string;
  routeSource?: string;
  routeTableRanges?: RouteTableRange[];
  routeTableRange?: RouteTableRange;
  routeSyncDisabled?: boolean;
  wireguardEnabled?: boolean;
  wireguardEnabledV6?: boolean;
  wireguardThreadingEnabled?: boolean;
  wireguardListeningPort?: number;
  wireguardListeningPortV6?: number;
  wireguardRoutingRulePriority?: number;
  wireguardInterfaceName?: string;
  wireguardInterfaceNameV6?: string;
  wireguardMTU?: number;
  wireguardMTUV6?: number;
  wireguardHostEncryptionEnabled?: boolean;
  /** JSON name of Go's WireguardPersistentKeepAlive. */
  wireguardKeepAlive?: GoDuration;
  awsSrcDstCheck?: string;
  serviceLoopPrevention?: string;
  workloadSourceSpoofing?: string;
  mtuIfacePattern?: string;
  floatingIPs?: string;
  windowsManageFirewallRules?: string;
  goGCThreshold?: number;
  goMemoryLimitMB?: number;
  goMaxProcs?: number;
  requireMTUFile?: boolean;
}

export interface FelixConfiguration {
  apiVersion: string;
  kind: 'FelixConfiguration';
  metadata?: ObjectMeta;
  spec?: FelixConfigurationSpec;
}

// ---------------------------------------------------------------------------------------------
// KubeControllersConfiguration (api/pkg/apis/projectcalico/v3/kubecontrollersconfig.go)

export interface AutoHostEndpointTemplate {
  generateName?: string;
  interfaceCIDRs?: string[];
  interfacePattern?: string;
  labels?: Record<string, string>;
  nodeSelector?: string;
}

export interface AutoHostEndpointConfig {
  autoCreate?: string;
  createDefaultHostEndpoint?: string;
  templates?: AutoHostEndpointTemplate[];
}

export interface NodeControllerConfig {
  reconcilerPeriod?: GoDuration;
  syncLabels?: string;
  hostEndpoint?: AutoHostEndpointConfig;
  leakGracePeriod?: GoDuration;
}

/** Policy, WorkloadEndpoint, ServiceAccount and Namespace controllers share this shape. */
export interface ReconcilerControllerConfig {
  reconcilerPeriod?: GoDuration;
}

export interface LoadBalancerControllerConfig {
  assignIPs?: string;
}

export interface MigrationControllerConfig {
  enabled?: string;
}

export interface ControllersConfig {
  node?: NodeControllerConfig;
  policy?: ReconcilerControllerConfig;
  workloadEndpoint?: ReconcilerControllerConfig;
  serviceAccount?: ReconcilerControllerConfig;
  namespace?: ReconcilerControllerConfig;
  loadBalancer?: LoadBalancerControllerConfig;
  policyMigration?: MigrationControllerConfig;
}

export interface KubeControllersConfigurationSpec {
  logSeverityScreen?: string;
  healthChecks?: string;
  etcdV3CompactionPeriod?: GoDuration;
  prometheusMetricsPort?: number;
  controllers?: ControllersConfig;
  debugProfilePort?: number;
}

export interface KubeControllersConfigurationStatus {
  runningConfig?: KubeControllersConfigurationSpec;
  environmentVars?: Record<string, string>;
}

export interface KubeControllersConfiguration {
  apiVersion: string;
  kind: 'KubeControllersConfiguration';
  metadata?: ObjectMeta;
  spec?: KubeControllersConfigurationSpec;
  status?: KubeControllersConfigurationStatus;
}

// ---------------------------------------------------------------------------------------------
// CalicoAPIConfig (libcalico-go/lib/apiconfig/apiconfig.go): the calicoctl config file

/** `embedded` is a Tabby addition (a local SQLite datastore at `embeddedPath`). */
export type DatastoreType = 'etcdv3' | 'kubernetes' | 'embedded';

export interface CalicoAPIConfigSpec {
  datastoreType?: DatastoreType | string;
  etcdEndpoints?: string;
  etcdDiscoverySrv?: string;
  etcdUsername?: string;
  etcdPassword?: string;
  etcdKeyFile?: string;
  etcdCertFile?: string;
  etcdCACertFile?: string;
  etcdKey?: string;
  etcdCert?: string;
  etcdCACert?: string;
  kubeconfig?: string;
  k8sAPIEndpoint?: string;
  k8sKeyFile?: string;
  k8sCertFile?: string;
  k8sCAFile?: string;
  k8sAPIToken?: string;
  k8sInsecureSkipTLSVerify?: boolean;
  k8sDisableNodePoll?: boolean;
  /** JSON name of Go's K8sUsePodCIDR. */
  usePodCIDR?: boolean;
  kubeconfigInline?: string;
  k8sClientQPS?: number;
  k8sCurrentContext?: string;
  calicoAPIGroup?: string;
  /** Tabby addition: path of the embedded datastore file. */
  embeddedPath?: string;
}

export interface CalicoAPIConfig {
  apiVersion: string;
  kind: 'CalicoAPIConfig';
  metadata?: ObjectMeta;
  spec?: CalicoAPIConfigSpec;
}
