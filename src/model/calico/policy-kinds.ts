/**
 * @module Registry rows for the policy kinds (NetworkPolicy, GlobalNetworkPolicy, their staged
 * forms, Tier) and the policy fragments that validateFragment accepts by their Go struct names.
 * Aliases are calicoctl's (resourcemgr, v3.31.7).
 */
import { defineFragment, defineKind, type FragmentInfo, type KindInfo } from '../kind-info.js';
import type { Decoder } from '../decode/decoder.js';
import { validateAnnotations } from '../validate/names.js';
import type {
  GlobalNetworkPolicy,
  GlobalNetworkPolicySpec,
  NetworkPolicy,
  NetworkPolicySpec,
  StagedGlobalNetworkPolicy,
  StagedGlobalNetworkPolicySpec,
  StagedNetworkPolicy,
  StagedNetworkPolicySpec,
  Tier,
  TierSpec,
} from './types.js';
import {
  defaultPolicyResource,
  defaultPolicySpec,
  globalNetworkPolicyNameProblems,
  globalNetworkPolicySpecDecoder,
  networkPolicyNameProblems,
  networkPolicySpecDecoder,
  stagedGlobalNetworkPolicySpecDecoder,
  stagedNetworkPolicySpecDecoder,
  typedResourceDecoder,
  validatePolicySpec,
} from './policy.js';
import { defaultTier, defaultTierSpec, tierNameProblems, tierSpecDecoder, validateTier, validateTierSpec } from './tier.js';
import {
  entityRuleDecoder,
  httpMatchDecoder,
  httpPathDecoder,
  icmpFieldsDecoder,
  portDecoder,
  protocolDecoder,
  protoPortDecoder,
  ruleDecoder,
  ruleMetadataDecoder,
  serviceAccountMatchDecoder,
  serviceMatchDecoder,
  validateEntityRule,
  validateHTTPMatch,
  validateHTTPPath,
  validateICMPFields,
  validatePort,
  validateProtocol,
  validateProtoPort,
  validateRule,
  validateSelector,
  validateServiceMatch,
} from './rule.js';

const GROUP = 'projectcalico.org';
const VERSION = 'v3';
const NAMESPACED = { global: false, staged: false } as const;
const GLOBAL = { global: true, staged: false } as const;
const STAGED_NAMESPACED = { global: false, staged: true } as const;
const STAGED_GLOBAL = { global: true, staged: true } as const;

export const KINDS: readonly KindInfo[] = [
  defineKind<NetworkPolicy>({
    kind: 'NetworkPolicy',
    group: GROUP,
    version: VERSION,
    plural: 'networkpolicies',
    singular: 'networkpolicy',
    shortNames: ['policy', 'policies', 'np', 'pol', 'pols'],
    namespaced: true,
    validateName: networkPolicyNameProblems,
    decode: typedResourceDecoder<NetworkPolicy>(networkPolicySpecDecoder),
    applyDefaults: defaultPolicyResource,
    validate: (o, path) => validatePolicySpec(o.spec ?? {}, path.child('spec'), NAMESPACED),
  }),
  defineKind<GlobalNetworkPolicy>({
    kind: 'GlobalNetworkPolicy',
    group: GROUP,
    version: VERSION,
    plural: 'globalnetworkpolicies',
    singular: 'globalnetworkpolicy',
    shortNames: ['gnp', 'gnps'],
    namespaced: false,
    validateName: globalNetworkPolicyNameProblems,
    decode: typedResourceDecoder<GlobalNetworkPolicy>(globalNetworkPolicySpecDecoder),
    applyDefaults: defaultPolicyResource,
    validate: (o, path) => validatePolicySpec(o.spec ?? {}, path.child('spec'), GLOBAL),
  }),
  defineKind<StagedNetworkPolicy>({
    kind: 'StagedNetworkPolicy',
    group: GROUP,
    version: VERSION,
    plural: 'stagednetworkpolicies',
    singular: 'stagednetworkpolicy',
    shortNames: ['stagedpolicy', 'stagedpolicies', 'snp', 'spol', 'spols'],
    namespaced: true,
    validateName: networkPolicyNameProblems,
    decode: typedResourceDecoder<StagedNetworkPolicy>(stagedNetworkPolicySpecDecoder),
    applyDefaults: defaultPolicyResource,
    validate: (o, path) => validatePolicySpec(o.spec ?? {}, path.child('spec'), STAGED_NAMESPACED),
  }),
  defineKind<StagedGlobalNetworkPolicy>({
    kind: 'StagedGlobalNetworkPolicy',
    group: GROUP,
    version: VERSION,
    plural: 'stagedglobalnetworkpolicies',
    singular: 'stagedglobalnetworkpolicy',
    shortNames: ['sgnp', 'sgnps'],
    namespaced: false,
    validateName: globalNetworkPolicyNameProblems,
    decode: typedResourceDecoder<StagedGlobalNetworkPolicy>(stagedGlobalNetworkPolicySpecDecoder),
    applyDefaults: defaultPolicyResource,
    validate: (o, path) => validatePolicySpec(o.spec ?? {}, path.child('spec'), STAGED_GLOBAL),
  }),
  defineKind<Tier>({
    kind: 'Tier',
    group: GROUP,
    version: VERSION,
    plural: 'tiers',
    singular: 'tier',
    shortNames: [],
    namespaced: false,
    validateName: tierNameProblems,
    decode: typedResourceDecoder<Tier>(tierSpecDecoder),
    applyDefaults: defaultTier,
    validate: validateTier,
  }),
];

/** A fragment validated as a policy spec; defaults first, as the resource path does. */
function specFragment<S extends object>(
  name: string,
  decode: Decoder<S>,
  opts: { global: boolean; staged: boolean },
): FragmentInfo {
  return defineFragment<S>({
    name,
    decode,
    validate: (v, path) => validatePolicySpec(defaultPolicySpec(v), path, opts),
  });
}

export const FRAGMENTS: readonly FragmentInfo[] = [
  defineFragment({ name: 'Rule', decode: ruleDecoder, validate: (v, p) => validateRule(v, p) }),
  defineFragment({ name: 'EntityRule', decode: entityRuleDecoder, validate: validateEntityRule }),
  defineFragment({ name: 'ProtoPort', decode: protoPortDecoder, validate: validateProtoPort }),
  defineFragment({ name: 'Protocol', decode: protocolDecoder, validate: validateProtocol }),
  defineFragment({ name: 'ICMPFields', decode: icmpFieldsDecoder, validate: validateICMPFields }),
  defineFragment({ name: 'HTTPMatch', decode: httpMatchDecoder, validate: validateHTTPMatch }),
  defineFragment({ name: 'Port', decode: portDecoder, validate: validatePort }),
  defineFragment({ name: 'HTTPPath', decode: httpPathDecoder, validate: validateHTTPPath }),
  defineFragment({
    name: 'ServiceAccountMatch',
    decode: serviceAccountMatchDecoder,
    validate: (v, p) => validateSelector(v.selector, p.child('selector'), 'forbid'),
  }),
  defineFragment({ name: 'ServiceMatch', decode: serviceMatchDecoder, validate: validateServiceMatch }),
  defineFragment({
    name: 'RuleMetadata',
    decode: ruleMetadataDecoder,
    validate: (v, p) => validateAnnotations(v.annotations, p.child('annotations')),
  }),
  specFragment<NetworkPolicySpec>('NetworkPolicySpec', networkPolicySpecDecoder, NAMESPACED),
  specFragment<GlobalNetworkPolicySpec>('GlobalNetworkPolicySpec', globalNetworkPolicySpecDecoder, GLOBAL),
  specFragment<StagedNetworkPolicySpec>('StagedNetworkPolicySpec', stagedNetworkPolicySpecDecoder, STAGED_NAMESPACED),
  specFragment<StagedGlobalNetworkPolicySpec>('StagedGlobalNetworkPolicySpec', stagedGlobalNetworkPolicySpecDecoder, STAGED_GLOBAL),
  defineFragment<TierSpec>({
    name: 'TierSpec',
    decode: tierSpecDecoder,
    validate: (v, p) => validateTierSpec(defaultTierSpec(v), p),
  }),
];
