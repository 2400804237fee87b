/**
 * @module projectcalico.org/v3 NetworkPolicy, GlobalNetworkPolicy, StagedNetworkPolicy and
 * StagedGlobalNetworkPolicy: name rules, strict spec decoders, defaulting and validation.
 *
 * Invariants:
 * - Decoding is strict: a NetworkPolicy spec has no `namespaceSelector`, `doNotTrack`,
 *   `preDNAT` or `applyOnForward` (GlobalNetworkPolicy only), so those are unknown fields.
 * - Defaulting is pure and returns new objects: `tier` → "default"; empty `types` follow the
 *   rules present (Ingress when no egress rules, Egress when only egress rules, both when both);
 *   explicit `types` are never changed; a staged policy with stagedAction Delete has no types
 *   (libcalico-go clientv3 defaultPolicyTypesField and the staged clients).
 * - Validation follows libcalico-go validator/v3 at v3.31.7, with the digest's CRD limits
 *   (≤1024 rules per direction) and the [master] CEL messages for the GlobalNetworkPolicy flags.
 *   In v3.31.7 policy names are not tied to their tier (names.ValidateTieredPolicyName only
 *   rejects an empty name), so `spec.tier` and the name are checked independently.
 */
import type { FieldPath } from '../field/path.js';
import {
  duplicate,
  forbidden,
  invalid,
  notSupported,
  tooMany,
  type FieldError,
} from '../field/errors.js';
import { arr, bool, num, obj, str, type Decoder } from '../decode/decoder.js';
import { resourceDecoder } from '../kind-info.js';
import { isDNS1123Subdomain } from '../validate/names.js';
import type { Resource } from '../meta.js';
import type {
  GlobalNetworkPolicySpec,
  NetworkPolicySpec,
  PolicySpecCommon,
  PolicyType,
  Rule,
  StagedGlobalNetworkPolicySpec,
  StagedNetworkPolicySpec,
} from './types.js';
import { ruleDecoder, validateRuleInto, validateSelectorInto, type RuleContext, type RuleDirection } from './rule.js';

// ---------------------------------------------------------------------------------------------
// Names

const LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const SUBDOMAIN = `${LABEL}(\\.${LABEL})*`;
const NETWORK_POLICY_NAME = new RegExp(`^((${LABEL})(\\.${LABEL})?|((knp|ossg)\\.default\\.(${SUBDOMAIN})))$`);
const GLOBAL_NETWORK_POLICY_NAME = new RegExp(`^(${LABEL}\\.)?${LABEL}$`);
export const MAX_POLICY_NAME_LENGTH = 253;

function tooLongProblem(name: string, max: number): string[] {
  return name.length > max ? [`must be no more than ${max} characters (name is too long by ${name.length - max} bytes)`] : [];
}

/** NetworkPolicy and StagedNetworkPolicy: one DNS label, two joined by a dot, or `knp.default.`/`ossg.default.` + subdomain. */
export function networkPolicyNameProblems(name: string): string[] {
  const out = tooLongProblem(name, MAX_POLICY_NAME_LENGTH);
  if (!NETWORK_POLICY_NAME.test(name))
    out.push(
      "name must consist of lower case alphanumeric characters or '-', as one label or two labels joined by a single '.' (e.g. 'allow-web' or 'tier1.allow-web'), or be 'knp.default.' or 'ossg.default.' followed by a DNS subdomain",
    );
  return out;
}

/** GlobalNetworkPolicy and StagedGlobalNetworkPolicy: one DNS label or exactly two joined by a dot. */
export function globalNetworkPolicyNameProblems(name: string): string[] {
  const out = tooLongProblem(name, MAX_POLICY_NAME_LENGTH);
  if (!GLOBAL_NETWORK_POLICY_NAME.test(name))
    out.push(
      "name must consist of lower case alphanumeric characters or '-', as one label or two labels joined by a single '.' (e.g. 'allow-web' or 'tier1.allow-web')",
    );
  return out;
}

// ---------------------------------------------------------------------------------------------
// Decoders

const commonSpecFields = {
  tier: str,
  order: num,
  ingress: arr(ruleDecoder),
  egress: arr(ruleDecoder),
  selector: str,
  types: arr(str),
  serviceAccountSelector: str,
  performanceHints: arr(str),
};

const globalOnlyFields = {
  namespaceSelector: str,
  doNotTrack: bool,
  preDNAT: bool,
  applyOnForward: bool,
};

export const networkPolicySpecDecoder: Decoder<NetworkPolicySpec> = obj(commonSpecFields);
export const globalNetworkPolicySpecDecoder: Decoder<GlobalNetworkPolicySpec> = obj({
  ...commonSpecFields,
  ...globalOnlyFields,
});
export const stagedNetworkPolicySpecDecoder: Decoder<StagedNetworkPolicySpec> = obj({
  stagedAction: str,
  ...commonSpecFields,
});
export const stagedGlobalNetworkPolicySpecDecoder: Decoder<StagedGlobalNetworkPolicySpec> = obj({
  stagedAction: str,
  ...commonSpecFields,
  ...globalOnlyFields,
});

/**
 * A whole-resource decoder typed as the resource. The registry has already matched apiVersion
 * and kind (lookupKind) before this runs, so the literal `kind` type holds.
 */
export function typedResourceDecoder<T extends Resource>(spec: Decoder<unknown>): Decoder<T> {
  const d = resourceDecoder({ spec });
  return (raw, path, errs) => d(raw, path, errs) as unknown as T | undefined;
}

// ---------------------------------------------------------------------------------------------
// Defaulting

/** Any of the four policy specs, read through one lens (absent fields are simply undefined). */
export type AnyPolicySpec = PolicySpecCommon & Partial<Omit<GlobalNetworkPolicySpec, keyof PolicySpecCommon>> & {
  stagedAction?: string;
};

export const DEFAULT_TIER = 'default';

/** Calico's defaultPolicyTypesField for a spec with empty `types`. */
export function defaultPolicyTypes(spec: AnyPolicySpec): PolicyType[] {
  const ingress = spec.ingress?.length ?? 0;
  const egress = spec.egress?.length ?? 0;
  if (egress === 0 || spec.preDNAT === true) return ['Ingress'];
  if (ingress === 0) return ['Egress'];
  return ['Ingress', 'Egress'];
}

/** Returns a new spec with `tier` and `types` defaulted; the input is unchanged. */
export function defaultPolicySpec<S extends AnyPolicySpec>(spec: S | undefined): S {
  const s = { ...(spec ?? {}) } as S;
  if (s.tier === undefined || s.tier === '') s.tier = DEFAULT_TIER;
  if (s.stagedAction === 'Delete') delete s.types;
  else if (s.types === undefined || s.types.length === 0) s.types = defaultPolicyTypes(s);
  return s;
}

/** applyDefaults for any policy resource: a new object with a defaulted spec. */
export function defaultPolicyResource<T extends Resource & { spec?: AnyPolicySpec }>(res: T): T {
  return { ...res, spec: defaultPolicySpec(res.spec) };
}

// ---------------------------------------------------------------------------------------------
// Validation

export const POLICY_TYPES = ['Ingress', 'Egress'] as const;
export const PERFORMANCE_HINTS = ['AssumeNeededOnEveryNode'] as const;
export const STAGED_ACTIONS = ['Set', 'Delete', 'Learn', 'Ignore'] as const;
export const MAX_RULES = 1024;

export interface PolicySpecOptions {
  /** GlobalNetworkPolicy / StagedGlobalNetworkPolicy. */
  readonly global: boolean;
  /** StagedNetworkPolicy / StagedGlobalNetworkPolicy. */
  readonly staged: boolean;
}

const STAGED_DELETE_MSG = 'Spec fields, except Tier, should all be zero-value if stagedAction is Delete';

/** With stagedAction Delete, every spec field except tier (and stagedAction) must be unset. */
function stagedDeleteErrors(spec: AnyPolicySpec, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const set = (field: keyof AnyPolicySpec): void => {
    errs.push(forbidden(path.child(field), STAGED_DELETE_MSG));
  };
  if (spec.order !== undefined) set('order');
  if (spec.ingress !== undefined) set('ingress');
  if (spec.egress !== undefined) set('egress');
  if ((spec.selector ?? '') !== '') set('selector');
  if (spec.types !== undefined && spec.types.length > 0) set('types');
  if ((spec.serviceAccountSelector ?? '') !== '') set('serviceAccountSelector');
  if (spec.performanceHints !== undefined) set('performanceHints');
  if ((spec.namespaceSelector ?? '') !== '') set('namespaceSelector');
  if (spec.doNotTrack === true) set('doNotTrack');
  if (spec.preDNAT === true) set('preDNAT');
  if (spec.applyOnForward === true) set('applyOnForward');
  return errs;
}

function validateUniqueEnumInto(
  errs: FieldError[],
  values: readonly string[] | undefined,
  parent: FieldPath,
  key: string | undefined,
  allowed: readonly string[],
  knownPath?: FieldPath,
): void {
  if (values === undefined) return;
  const n = values.length;
  // Duplicates: small lists scan the earlier entries; long ones use a set (same answer).
  const seen = n > 8 ? new Set<string>() : undefined;
  let path: FieldPath | undefined = knownPath ?? (key === undefined ? parent : undefined);
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (!allowed.includes(v)) errs.push(notSupported((path ??= parent.child(key!)).index(i), v, allowed));
    else if (seen !== undefined ? seen.has(v) : values.indexOf(v) < i) errs.push(duplicate((path ??= parent.child(key!)).index(i), v));
    seen?.add(v);
  }
}

function validateRulesInto(
  errs: FieldError[],
  rules: readonly Rule[] | undefined,
  parent: FieldPath,
  key: string,
  direction: RuleDirection,
  global: boolean,
): void {
  if (rules === undefined) return;
  const path = parent.child(key);
  if (rules.length > MAX_RULES) errs.push(tooMany(path, rules.length, MAX_RULES));
  const ctx: RuleContext = { policy: { direction, global } };
  for (let i = 0; i < rules.length; i++) validateRuleInto(errs, rules[i]!, path.index(i), ctx);
}

function _tierErrors(errs: FieldError[], tier: string, path: FieldPath): void {
  const problems = isDNS1123Subdomain(tier);
  if (problems.length === 0) return;
  const tp = path.child('tier');
  for (const m of problems) errs.push(invalid(tp, tier, m));
}

/** Every problem with one policy spec (after defaulting). */
export function validatePolicySpec(spec: AnyPolicySpec, path: FieldPath, opts: PolicySpecOptions): FieldError[] {
  const errs: FieldError[] = [];

  if (opts.staged) {
    const action = spec.stagedAction;
    if (action !== undefined && action !== '' && !(STAGED_ACTIONS as readonly string[]).includes(action))
      errs.push(notSupported(path.child('stagedAction'), action, STAGED_ACTIONS));
    if (action === 'Delete') {
      errs.push(...stagedDeleteErrors(spec, path));
      if (spec.tier !== undefined && spec.tier !== '') _tierErrors(errs, spec.tier, path);
      return errs;
    }
  }

  if (spec.tier !== undefined && spec.tier !== '') _tierErrors(errs, spec.tier, path);

  validateSelectorInto(errs, spec.selector, path, 'selector', 'forbid');
  validateSelectorInto(errs, spec.serviceAccountSelector, path, 'serviceAccountSelector', 'forbid');
  if (opts.global) validateSelectorInto(errs, spec.namespaceSelector, path, 'namespaceSelector', 'forbid');

  let tp: FieldPath | undefined;
  if (spec.types !== undefined && spec.types.length > POLICY_TYPES.length)
    errs.push(tooMany((tp ??= path.child('types')), spec.types.length, POLICY_TYPES.length));
  validateUniqueEnumInto(errs, spec.types, path, 'types', POLICY_TYPES, tp);
  validateUniqueEnumInto(errs, spec.performanceHints, path, 'performanceHints', PERFORMANCE_HINTS);

  validateRulesInto(errs, spec.ingress, path, 'ingress', 'ingress', opts.global);
  validateRulesInto(errs, spec.egress, path, 'egress', 'egress', opts.global);

  if (opts.global) {
    const preDNAT = spec.preDNAT === true;
    const doNotTrack = spec.doNotTrack === true;
    if (preDNAT && doNotTrack) errs.push(forbidden(path.child('preDNAT'), 'preDNAT and doNotTrack cannot both be true'));
    if (preDNAT && (spec.egress?.length ?? 0) > 0)
      errs.push(forbidden(path.child('egress'), 'preDNAT policy cannot have any egress rules'));
    if (preDNAT && (spec.types ?? []).includes('Egress'))
      errs.push(forbidden(path.child('types'), "preDNAT policy cannot have 'Egress' type"));
    if ((preDNAT || doNotTrack) && spec.applyOnForward !== true)
      errs.push(
        invalid(path.child('applyOnForward'), spec.applyOnForward ?? false, 'applyOnForward must be true if either preDNAT or doNotTrack is true'),
      );
  }
  return errs;
}
