/**
 * @module Calico policies and profiles → compiled form: effective selectors (namespace scoping,
 * `pcns.`/`pcsa.` prefixes, `global()`), rules with parsed nets, ports and protocols.
 *
 * Selector scoping follows libcalico-go updateprocessors (GetEntityRuleSelector):
 * - rule namespaceSelector N given: `pcns.`-prefixed N, with `all()` → `has(projectcalico.org/namespace)`
 *   and `global()` → `!has(projectcalico.org/namespace)`; else in a namespaced policy
 *   `projectcalico.org/namespace == <ns>`;
 * - serviceAccounts: `pcsa.`-prefixed selector AND `projectcalico.org/serviceaccount in {names}`;
 * - the namespace part is ANDed in only when a selector, serviceAccounts, notSelector or
 *   namespaceSelector is present; `notSelector` itself is never namespaced.
 * - policy selector: namespaced policies AND `projectcalico.org/namespace == <ns>`; a GNP
 *   namespaceSelector is prefixed like a rule's; serviceAccountSelector is `pcsa.`-prefixed.
 */
import { parseSelector, prefixLabels, selectorFromAst, type Selector, type SelectorNode } from '../selector/index.js';
import type { EntityRule, Rule } from '../model/calico/types.js';
import { netFromText, type Net } from './ip.js';
import { protocolNumber, type CompiledEntity, type CompiledRule, type PortMatch, type RuleAction, type SelRef } from './match.js';

export const LABEL_NAMESPACE = 'projectcalico.org/namespace';
export const LABEL_ORCHESTRATOR = 'projectcalico.org/orchestrator';
export const LABEL_SERVICE_ACCOUNT = 'projectcalico.org/serviceaccount';
export const LABEL_NAME = 'projectcalico.org/name';
export const NS_PREFIX = 'pcns.';
export const SA_PREFIX = 'pcsa.';

/** Distinct selectors of one snapshot, by canonical text; the id indexes owner memo arrays. */
export class SelectorRegistry {
  readonly #byText = new Map<string, SelRef>();
  register(sel: Selector): SelRef {
    const text = sel.toString();
    let ref = this.#byText.get(text);
    if (ref === undefined) {
      ref = { id: this.#byText.size, sel, text };
      this.#byText.set(text, ref);
    }
    return ref;
  }
  get size(): number {
    return this.#byText.size;
  }
  all(): IterableIterator<SelRef> {
    return this.#byText.values();
  }
}

const _has = (label: string): SelectorNode => ({ kind: 'has', label });
const _eq = (label: string, value: string): SelectorNode => ({ kind: 'eq', label, value });

export function andNodes(nodes: readonly SelectorNode[]): SelectorNode {
  const ns = nodes.filter((n) => n.kind !== 'all');
  const [a, b, ...rest] = ns;
  if (a === undefined) return { kind: 'all' };
  if (b === undefined) return a;
  return { kind: 'and', operands: [a, b, ...rest] };
}

/** `all()` → has(projectcalico.org/namespace), `global()` → !has(projectcalico.org/namespace), throughout. */
function _nsAllGlobal(n: SelectorNode): SelectorNode {
  switch (n.kind) {
    case 'all':
      return _has(LABEL_NAMESPACE);
    case 'global':
      return { kind: 'not', operand: _has(LABEL_NAMESPACE) };
    case 'not':
      return { kind: 'not', operand: _nsAllGlobal(n.operand) };
    case 'and':
    case 'or': {
      const [a, b, ...rest] = n.operands;
      return { kind: n.kind, operands: [_nsAllGlobal(a), _nsAllGlobal(b), ...rest.map(_nsAllGlobal)] };
    }
    case 'has':
    case 'eq':
    case 'neq':
    case 'contains':
    case 'startsWith':
    case 'endsWith':
    case 'in':
    case 'notIn':
      return n;
    default: {
      const never: never = n;
      return never;
    }
  }
}

/** A namespaceSelector as Calico rewrites it. */
export function namespaceSelectorNode(text: string): SelectorNode {
  return _nsAllGlobal(prefixLabels(parseSelector(text), NS_PREFIX).ast);
}

function _nonEmpty(s: string | undefined): s is string {
  return s !== undefined && s.trim() !== '';
}

function _serviceAccountNode(sa: NonNullable<EntityRule['serviceAccounts']>): SelectorNode | undefined {
  const parts: SelectorNode[] = [];
  if (_nonEmpty(sa.selector)) parts.push(prefixLabels(parseSelector(sa.selector), SA_PREFIX).ast);
  if (sa.names !== undefined && sa.names.length > 0) {
    const values = [...new Set(sa.names)].sort();
    parts.push({ kind: 'in', label: LABEL_SERVICE_ACCOUNT, values });
  }
  return parts.length === 0 ? undefined : andNodes(parts);
}

/** GetEntityRuleSelector: the rule side's effective selector, or undefined for none. */
export function entitySelectorNode(er: EntityRule, ns: string): SelectorNode | undefined {
  let nsNode: SelectorNode | undefined;
  if (_nonEmpty(er.namespaceSelector)) nsNode = namespaceSelectorNode(er.namespaceSelector);
  else if (ns !== '') nsNode = _eq(LABEL_NAMESPACE, ns);
  const sels: SelectorNode[] = [];
  if (er.serviceAccounts !== undefined) {
    const s = _serviceAccountNode(er.serviceAccounts);
    if (s) sels.push(s);
  }
  if (_nonEmpty(er.selector)) sels.push(parseSelector(er.selector).ast);
  const hasSel = sels.length > 0;
  const selector = hasSel ? (sels.length === 1 ? sels[0]! : andNodes(sels)) : undefined;
  if (nsNode !== undefined && (hasSel || _nonEmpty(er.notSelector) || _nonEmpty(er.namespaceSelector))) {
    return selector === undefined ? nsNode : { kind: 'and', operands: [nsNode, selector] };
  }
  return selector;
}

/** numorstring.Port → PortMatch; undefined when it cannot be parsed. */
export function parsePort(p: number | string): PortMatch | undefined {
  if (typeof p === 'number') return Number.isInteger(p) && p >= 0 && p <= 65535 ? { min: p, max: p } : undefined;
  const t = p.trim();
  const m = /^(\d+)(?::(\d+))?$/.exec(t);
  if (m) {
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : Number(m[2]);
    return min <= max && max <= 65535 ? { min, max } : undefined;
  }
  return /^[a-zA-Z0-9_.-]{1,128}$/.test(t) ? { name: t } : undefined;
}

export interface CompileContext {
  readonly registry: SelectorRegistry;
  /** Namespace of the policy ('' for global policies and profiles). */
  readonly namespace: string;
  /**
   * Keep each rule's `metadata.annotations.name` as CompiledRule.name: set for the policies
   * converted from AdminNetworkPolicy/BaselineAdminNetworkPolicy, whose converter puts the ANP
   * rule's name there (Calico's AdminPolicyRuleNameLabel), so traces can name the rule.
   */
  readonly ruleNames?: boolean;
}

function _nets(list: readonly string[] | undefined, problems: string[], field: string): readonly Net[] | null {
  if (list === undefined || list.length === 0) return null;
  const out: Net[] = [];
  for (const s of list) {
    const n = netFromText(s);
    if (n) out.push(n);
    else problems.push(`${field}: invalid CIDR ${JSON.stringify(s)}`);
  }
  return out;
}

function _ports(list: readonly (number | string)[] | undefined, problems: string[], field: string): readonly PortMatch[] | null {
  if (list === undefined || list.length === 0) return null;
  const out: PortMatch[] = [];
  for (const p of list) {
    const m = parsePort(p);
    if (m) out.push(m);
    else problems.push(`${field}: invalid port ${JSON.stringify(p)}`);
  }
  return out;
}

function _entity(er: EntityRule | undefined, ctx: CompileContext, problems: string[], side: string): CompiledEntity {
  const e = er ?? {};
  const selNode = entitySelectorNode(e, ctx.namespace);
  const sel = selNode === undefined ? null : ctx.registry.register(selectorFromAst(selNode));
  const notSel = _nonEmpty(e.notSelector) ? ctx.registry.register(parseSelector(e.notSelector)) : null;
  const svc = e.services;
  return {
    nets: _nets(e.nets, problems, `${side}.nets`),
    notNets: _nets(e.notNets, problems, `${side}.notNets`),
    sel,
    notSel,
    ports: _ports(e.ports, problems, `${side}.ports`),
    notPorts: _ports(e.notPorts, problems, `${side}.notPorts`),
    service:
      svc !== undefined && _nonEmpty(svc.name)
        ? { namespace: _nonEmpty(svc.namespace) ? svc.namespace : ctx.namespace, name: svc.name }
        : null,
  };
}

const _ACTIONS: readonly string[] = ['Allow', 'Deny', 'Pass', 'Log'];

export function compileRule(r: Rule, index: number, ctx: CompileContext): CompiledRule {
  const problems: string[] = [];
  const proto = r.protocol === undefined ? -1 : protocolNumber(r.protocol);
  const notProto = r.notProtocol === undefined ? -1 : protocolNumber(r.notProtocol);
  if (proto === undefined) problems.push(`unknown protocol ${JSON.stringify(r.protocol)}`);
  if (notProto === undefined) problems.push(`unknown notProtocol ${JSON.stringify(r.notProtocol)}`);
  const action = (_ACTIONS.includes(r.action ?? '') ? r.action : 'Deny') as RuleAction;
  if (!_ACTIONS.includes(r.action ?? '')) problems.push(`invalid action ${JSON.stringify(r.action)}`);
  let src: CompiledEntity;
  let dst: CompiledEntity;
  try {
    src = _entity(r.source, ctx, problems, 'source');
    dst = _entity(r.destination, ctx, problems, 'destination');
  } catch (e) {
    problems.push(`invalid selector: ${(e as Error).message}`);
    const none: CompiledEntity = { nets: null, notNets: null, sel: null, notSel: null, ports: null, notPorts: null, service: null };
    src = none;
    dst = none;
  }
  return {
    index,
    action,
    proto: proto ?? -1,
    notProto: notProto ?? -1,
    icmpType: r.icmp?.type ?? -1,
    icmpCode: r.icmp?.code ?? -1,
    notIcmpType: r.notICMP?.type ?? -1,
    notIcmpCode: r.notICMP?.code ?? -1,
    ipVersion: r.ipVersion === 4 || r.ipVersion === 6 ? r.ipVersion : 0,
    src,
    dst,
    http: r.http !== undefined && ((r.http.methods?.length ?? 0) > 0 || (r.http.paths?.length ?? 0) > 0),
    invalid: problems.length > 0 ? `rule not rendered: ${problems.join('; ')}` : null,
    name: ctx.ruleNames === true ? (r.metadata?.annotations?.['name'] ?? null) : null,
  };
}

export function compileRules(rules: readonly Rule[] | undefined, ctx: CompileContext): readonly CompiledRule[] {
  return (rules ?? []).map((r, i) => compileRule(r, i, ctx));
}

export type PolicyKind =
  | 'NetworkPolicy'
  | 'GlobalNetworkPolicy'
  | 'StagedNetworkPolicy'
  | 'StagedGlobalNetworkPolicy'
  | 'KubernetesNetworkPolicy'
  | 'StagedKubernetesNetworkPolicy'
  | 'AdminNetworkPolicy'
  | 'BaselineAdminNetworkPolicy';

export interface CompiledPolicy {
  /** Trace name: `<ns>/<name>` for namespaced policies, `<name>` for global ones. */
  readonly id: string;
  readonly kind: PolicyKind;
  readonly namespace: string;
  readonly name: string;
  readonly tier: string;
  /** Infinity when unset. */
  readonly order: number;
  readonly selector: SelRef;
  readonly ingress: boolean;
  readonly egress: boolean;
  readonly ingressRules: readonly CompiledRule[];
  readonly egressRules: readonly CompiledRule[];
  readonly preDNAT: boolean;
  readonly doNotTrack: boolean;
  readonly applyOnForward: boolean;
  readonly staged: boolean;
}

export interface PolicyLike {
  readonly kind: PolicyKind;
  readonly namespace: string;
  readonly name: string;
  readonly spec: {
    tier?: string;
    order?: number;
    selector?: string;
    namespaceSelector?: string;
    serviceAccountSelector?: string;
    types?: string[];
    ingress?: Rule[];
    egress?: Rule[];
    preDNAT?: boolean;
    doNotTrack?: boolean;
    applyOnForward?: boolean;
  };
  readonly staged: boolean;
}

/** Compiles one policy; throws on an unparsable policy selector (the caller reports it). */
export function compilePolicy(p: PolicyLike, registry: SelectorRegistry): CompiledPolicy {
  const s = p.spec;
  const parts: SelectorNode[] = [];
  if (p.namespace !== '') parts.push(_eq(LABEL_NAMESPACE, p.namespace));
  else if (_nonEmpty(s.namespaceSelector)) parts.push(namespaceSelectorNode(s.namespaceSelector));
  if (_nonEmpty(s.selector)) parts.push(parseSelector(s.selector).ast);
  if (_nonEmpty(s.serviceAccountSelector)) parts.push(prefixLabels(parseSelector(s.serviceAccountSelector), SA_PREFIX).ast);
  const selector = registry.register(selectorFromAst(andNodes(parts)));
  const ctx: CompileContext = { registry, namespace: p.namespace, ruleNames: p.kind === 'AdminNetworkPolicy' || p.kind === 'BaselineAdminNetworkPolicy' };
  const types = s.types ?? [];
  return {
    id: p.namespace === '' ? p.name : `${p.namespace}/${p.name}`,
    kind: p.kind,
    namespace: p.namespace,
    name: p.name,
    tier: _nonEmpty(s.tier) ? s.tier : 'default',
    order: typeof s.order === 'number' && Number.isFinite(s.order) ? s.order : Infinity,
    selector,
    ingress: types.includes('Ingress'),
    egress: types.includes('Egress') && s.preDNAT !== true,
    ingressRules: compileRules(s.ingress, ctx),
    egressRules: compileRules(s.egress, ctx),
    preDNAT: s.preDNAT === true,
    doNotTrack: s.doNotTrack === true,
    applyOnForward: s.applyOnForward === true || s.preDNAT === true || s.doNotTrack === true,
    staged: p.staged,
  };
}

/** Felix's policy order within a tier: order ascending (unset last), then name. */
export function comparePolicies(a: CompiledPolicy, b: CompiledPolicy): number {
  if (a.order !== b.order) return a.order < b.order ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
