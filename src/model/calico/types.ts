/**
 * @module projectcalico.org/v3 policy types, with Calico's field names and casing
 * (api/pkg/apis/projectcalico/v3). Decoded values: every field optional, as Go's omitempty.
 */
import type { ObjectMeta } from '../meta.js';

export type Action = 'Allow' | 'Deny' | 'Log' | 'Pass';
export type PolicyType = 'Ingress' | 'Egress';
/** numorstring.Protocol: a name (`TCP`) or a number 1-255, or a numeric string. */
export type Protocol = string | number;
/** numorstring.Port: a number, `"min:max"` range, or a named port. */
export type Port = number | string;

export interface ICMPFields {
  type?: number;
  code?: number;
}

export interface ServiceAccountMatch {
  names?: string[];
  selector?: string;
}

export interface ServiceMatch {
  name?: string;
  namespace?: string;
}

export interface EntityRule {
  nets?: string[];
  selector?: string;
  namespaceSelector?: string;
  ports?: Port[];
  notNets?: string[];
  notSelector?: string;
  notPorts?: Port[];
  serviceAccounts?: ServiceAccountMatch;
  services?: ServiceMatch;
}

export interface HTTPPath {
  exact?: string;
  prefix?: string;
}

export interface HTTPMatch {
  methods?: string[];
  paths?: HTTPPath[];
}

/** ProtoPort (FelixConfiguration failsafe ports): protocol TCP/UDP/SCTP, port 0-65535, optional CIDR. */
export interface ProtoPort {
  protocol?: string;
  port?: number;
  net?: string;
}

export interface RuleMetadata {
  annotations?: Record<string, string>;
}

export interface Rule {
  action?: Action | string;
  ipVersion?: number;
  protocol?: Protocol;
  icmp?: ICMPFields;
  notProtocol?: Protocol;
  notICMP?: ICMPFields;
  source?: EntityRule;
  destination?: EntityRule;
  http?: HTTPMatch;
  metadata?: RuleMetadata;
}

export interface PolicySpecCommon {
  tier?: string;
  order?: number;
  ingress?: Rule[];
  egress?: Rule[];
  selector?: string;
  types?: (PolicyType | string)[];
  serviceAccountSelector?: string;
  performanceHints?: string[];
}

export type NetworkPolicySpec = PolicySpecCommon;

export interface GlobalNetworkPolicySpec extends PolicySpecCommon {
  namespaceSelector?: string;
  doNotTrack?: boolean;
  preDNAT?: boolean;
  applyOnForward?: boolean;
}

export interface NetworkPolicy {
  apiVersion: string;
  kind: 'NetworkPolicy';
  metadata?: ObjectMeta;
  spec?: NetworkPolicySpec;
}

export interface GlobalNetworkPolicy {
  apiVersion: string;
  kind: 'GlobalNetworkPolicy';
  metadata?: ObjectMeta;
  spec?: GlobalNetworkPolicySpec;
}

export type StagedAction = 'Set' | 'Delete' | 'Learn' | 'Ignore';

export type StagedNetworkPolicySpec = NetworkPolicySpec & { stagedAction?: StagedAction | string };
export type StagedGlobalNetworkPolicySpec = GlobalNetworkPolicySpec & { stagedAction?: StagedAction | string };

export interface StagedNetworkPolicy {
  apiVersion: string;
  kind: 'StagedNetworkPolicy';
  metadata?: ObjectMeta;
  spec?: StagedNetworkPolicySpec;
}

export interface StagedGlobalNetworkPolicy {
  apiVersion: string;
  kind: 'StagedGlobalNetworkPolicy';
  metadata?: ObjectMeta;
  spec?: StagedGlobalNetworkPolicySpec;
}

export interface TierSpec {
  order?: number;
  defaultAction?: 'Deny' | 'Pass' | string;
}

export interface Tier {
  apiVersion: string;
  kind: 'Tier';
  metadata?: ObjectMeta;
  spec?: TierSpec;
}
