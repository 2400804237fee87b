/**
 * @module Selectors that select nothing: rule peers (Calico `source`/`destination` selector and
 * namespaceSelector, Kubernetes `from`/`to` podSelector and namespaceSelector) that match no
 * endpoint, network set or namespace, and policies whose own selector matches no endpoint.
 *
 * Label keys are case-sensitive, and the seed's `Tier: frontend` (pods carry `tier`) is the
 * classic slip: when a key of an empty selector is unknown but another key differs from it only
 * in case, the finding says which. Without any endpoint in the input only such case slips are
 * reported (everything else would select nothing trivially).
 */
import { FieldPath } from '../../model/field/path.js';
import type { Resource } from '../../model/meta.js';
import type { LabelSelector } from '../../model/k8s/types.js';
import { selectorMatches } from '../../model/k8s/apps.js';
import { tryParseSelector, type SelectorNode } from '../../selector/index.js';
import { selMatches, type Owner, type SelRef, type CompiledRule } from '../match.js';
import type { CompiledPolicy } from '../compile-policy.js';
import type { Snapshot } from '../snapshot.js';
import { hasCalicoRules, refOfPolicy, refOfResource } from './refs.js';
import type { LintFinding } from './types.js';

const NS_NAME_LABEL = 'kubernetes.io/metadata.name';

interface _Keys {
  /** Keys endpoints (and network sets) carry. */
  readonly endpoint: ReadonlySet<string>;
  /** Keys namespaces carry. */
  readonly namespace: ReadonlySet<string>;
  /** Every key any selector of the input uses. */
  readonly used: ReadonlySet<string>;
}

function _astKeys(n: SelectorNode, out: string[]): string[] {
  switch (n.kind) {
    case 'all':
    case 'global':
      return out;
    case 'not':
      return _astKeys(n.operand, out);
    case 'and':
    case 'or':
      for (const o of n.operands) _astKeys(o, out);
      return out;
    case 'has':
    case 'eq':
    case 'neq':
    case 'contains':
    case 'startsWith':
    case 'endsWith':
    case 'in':
    case 'notIn':
      out.push(n.label);
      return out;
    default: {
      const never: never = n;
      return never;
    }
  }
}

function _calicoKeys(text: string | undefined): string[] {
  if (text === undefined || text.trim() === '') return [];
  const r = tryParseSelector(text);
  return r.ok ? _astKeys(r.value.ast, []) : [];
}

function _labelSelectorKeys(s: LabelSelector | undefined): string[] {
  if (s === undefined) return [];
  return [...Object.keys(s.matchLabels ?? {}), ...(s.matchExpressions ?? []).map((e) => e.key ?? '')];
}

/** `did you mean "tier"?` for keys that exist only in another case. */
function _caseHint(keys: readonly string[], known: ReadonlySet<string>, candidates: Iterable<string>, trusted: boolean): { text: string; key: string } | undefined {
  const cands = [...candidates];
  for (const k of keys) {
    if (known.has(k)) continue;
    // Without endpoints to trust, only the unconventional spelling (capitals) is suspect.
    const c = cands.find((x) => x !== k && x.toLowerCase() === k.toLowerCase() && (trusted || x === x.toLowerCase()));
    if (c !== undefined) return { text: `label keys are case-sensitive: \`${k}\` is not \`${c}\``, key: k };
  }
  return undefined;
}

/** A Kubernetes LabelSelector (matchLabels and matchExpressions) against labels: the model's one matcher. */
export function matchLabelSelector(s: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  return selectorMatches(s, labels);
}

interface _Ctx {
  readonly snap: Snapshot;
  readonly keys: _Keys;
  readonly owners: readonly Owner[];
  readonly namespaces: ReadonlyMap<string, Readonly<Record<string, string>>>;
  readonly anyEndpoint: boolean;
  /** Peers mostly name pods: without any pod, only case slips are reported. */
  readonly anyWorkload: boolean;
  readonly out: LintFinding[];
}

function _anyOwner(ref: SelRef, owners: readonly Owner[]): boolean {
  const one: Owner[] = [];
  for (const o of owners) {
    one[0] = o;
    if (selMatches(ref, one)) return true;
  }
  return false;
}

function _report(
  ctx: _Ctx,
  f: Omit<LintFinding, 'message' | 'severity'>,
  what: string,
  keys: readonly string[],
  known: ReadonlySet<string>,
  severity: 'warning' | 'info',
  keyPath?: (key: string) => FieldPath | undefined,
): void {
  const trusted = severity === 'info' ? ctx.anyEndpoint : ctx.anyWorkload;
  const hint = _caseHint(keys, known, [...known, ...ctx.keys.used], trusted);
  if (!trusted && hint === undefined) return;
  const path = (hint !== undefined ? keyPath?.(hint.key) : undefined) ?? f.path;
  ctx.out.push({ ...f, path, severity: hint !== undefined ? 'warning' : severity, message: `${what}${hint !== undefined ? ` (${hint.text})` : ''}` });
}

/** The path of a matchLabels key inside a label selector, when the key is written there. */
function _matchLabelsPath(base: FieldPath, s: LabelSelector | undefined): (key: string) => FieldPath | undefined {
  return (key) => (s?.matchLabels !== undefined && Object.prototype.hasOwnProperty.call(s.matchLabels, key) ? base.child('matchLabels').key(key) : undefined);
}

function _calicoPolicy(ctx: _Ctx, r: Resource, p: CompiledPolicy): void {
  const ref = refOfPolicy(p);
  const spec = ((r as { spec?: Record<string, unknown> }).spec ?? {}) as { selector?: string; ingress?: unknown[]; egress?: unknown[] };
  const sp = FieldPath.root('spec');
  if (!_anyOwner(p.selector, ctx.owners.filter((o) => (o as { kind?: string }).kind !== 'networkSet')))
    _report(ctx, { code: 'policy-selects-nothing', resource: ref, path: sp.child('selector') }, 'the policy selects no endpoint, so it has no effect yet', _calicoKeys(spec.selector), ctx.keys.endpoint, 'info');
  for (const [dir, rules] of [['ingress', p.ingressRules], ['egress', p.egressRules]] as const) {
    const raw = (spec[dir] ?? []) as { source?: Record<string, string>; destination?: Record<string, string> }[];
    (rules as readonly CompiledRule[]).forEach((cr, i) => {
      for (const [side, ent] of [['source', cr.src], ['destination', cr.dst]] as const) {
        if (ent.sel === null) continue;
        const rawEnt = raw[i]?.[side] ?? {};
        if (_anyOwner(ent.sel, ctx.owners)) continue;
        const field = rawEnt['selector'] !== undefined ? 'selector' : rawEnt['namespaceSelector'] !== undefined ? 'namespaceSelector' : 'serviceAccounts';
        const keys = [..._calicoKeys(rawEnt['selector']), ..._calicoKeys(rawEnt['namespaceSelector'])];
        _report(
          ctx,
          { code: 'selector-matches-nothing', resource: ref, path: sp.child(dir).index(i).child(side).child(field) },
          `${side} \`${ent.sel.text}\` selects no endpoint or network set: rule ${i} never matches`,
          keys,
          new Set([...ctx.keys.endpoint, ...ctx.keys.namespace]),
          'warning',
        );
      }
    });
  }
}

interface _KnpPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: unknown;
}

function _knp(ctx: _Ctx, r: Resource): void {
  const ref = refOfResource(r);
  const ns = ref.namespace;
  const spec = ((r as { spec?: Record<string, unknown> }).spec ?? {}) as { podSelector?: LabelSelector; ingress?: { from?: _KnpPeer[] }[]; egress?: { to?: _KnpPeer[] }[] };
  const sp = FieldPath.root('spec');
  const pods = ctx.snap.workloads;
  if (spec.podSelector !== undefined && !pods.some((w) => w.namespace === ns && matchLabelSelector(spec.podSelector!, w.podLabels)))
    _report(ctx, { code: 'policy-selects-nothing', resource: ref, path: sp.child('podSelector') }, `the policy selects no pod in namespace ${ns}, so it has no effect yet`, _labelSelectorKeys(spec.podSelector), ctx.keys.endpoint, 'info', _matchLabelsPath(sp.child('podSelector'), spec.podSelector));
  const peers = (dir: 'ingress' | 'egress', list: readonly { from?: _KnpPeer[]; to?: _KnpPeer[] }[]): void =>
    list.forEach((rule, i) => {
      const field = dir === 'ingress' ? 'from' : 'to';
      (rule[field] ?? []).forEach((peer, j) => {
        if (peer.ipBlock !== undefined || (peer.podSelector === undefined && peer.namespaceSelector === undefined)) return;
        const pp = sp.child(dir).index(i).child(field).index(j);
        const nsOk = (n: string): boolean => (peer.namespaceSelector === undefined ? n === ns : matchLabelSelector(peer.namespaceSelector, ctx.namespaces.get(n) ?? { [NS_NAME_LABEL]: n }));
        if (peer.namespaceSelector !== undefined && ![...ctx.namespaces.keys()].some(nsOk)) {
          _report(ctx, { code: 'selector-matches-nothing', resource: ref, path: pp.child('namespaceSelector') }, `the namespaceSelector selects no namespace: this peer never matches`, _labelSelectorKeys(peer.namespaceSelector), ctx.keys.namespace, 'warning', _matchLabelsPath(pp.child('namespaceSelector'), peer.namespaceSelector));
          return;
        }
        if (peer.podSelector === undefined) return;
        if (pods.some((w) => nsOk(w.namespace) && matchLabelSelector(peer.podSelector!, w.podLabels))) return;
        const where = peer.namespaceSelector === undefined ? `namespace ${ns}` : 'the selected namespaces';
        _report(ctx, { code: 'selector-matches-nothing', resource: ref, path: pp.child('podSelector') }, `the podSelector selects no pod in ${where}: this peer never matches`, _labelSelectorKeys(peer.podSelector), ctx.keys.endpoint, 'warning', _matchLabelsPath(pp.child('podSelector'), peer.podSelector));
      });
    });
  peers('ingress', spec.ingress ?? []);
  peers('egress', spec.egress ?? []);
}

const _isKnp = (r: Resource): boolean => r.kind === 'NetworkPolicy' && r.apiVersion.startsWith('networking.k8s.io/');

/** Selector findings for every policy of the input. */
export function lintSelectors(resources: readonly Resource[], snap: Snapshot): LintFinding[] {
  const namespaces = new Map<string, Record<string, string>>();
  for (const r of resources) if (r.kind === 'Namespace') namespaces.set(r.metadata?.name ?? '', { [NS_NAME_LABEL]: r.metadata?.name ?? '', ...(r.metadata?.labels ?? {}) });
  for (const w of snap.workloads) if (!namespaces.has(w.namespace)) namespaces.set(w.namespace, { [NS_NAME_LABEL]: w.namespace });
  const endpoint = new Set<string>();
  for (const w of snap.workloads) for (const k of Object.keys(w.podLabels)) endpoint.add(k);
  for (const h of snap.hostEndpoints) for (const k of Object.keys(h.labels)) endpoint.add(k);
  for (const s of snap.networkSets) for (const k of Object.keys(s.labels)) endpoint.add(k);
  const namespace = new Set<string>();
  for (const l of namespaces.values()) for (const k of Object.keys(l)) namespace.add(k);
  const used = new Set<string>();
  for (const r of resources) {
    const s = (r as { spec?: Record<string, unknown> }).spec;
    if (s === undefined) continue;
    if (_isKnp(r)) {
      const k = s as { podSelector?: LabelSelector; ingress?: { from?: _KnpPeer[] }[]; egress?: { to?: _KnpPeer[] }[] };
      for (const x of _labelSelectorKeys(k.podSelector)) used.add(x);
      for (const rule of k.ingress ?? []) for (const p of rule.from ?? []) for (const x of _labelSelectorKeys(p.podSelector)) used.add(x);
      for (const rule of k.egress ?? []) for (const p of rule.to ?? []) for (const x of _labelSelectorKeys(p.podSelector)) used.add(x);
    } else if (typeof s['selector'] === 'string') for (const x of _calicoKeys(s['selector'])) used.add(x);
  }
  const owners: Owner[] = [...snap.workloads, ...snap.hostEndpoints, ...snap.networkSets];
  const ctx: _Ctx = { snap, keys: { endpoint, namespace, used }, owners, namespaces, anyEndpoint: snap.workloads.length + snap.hostEndpoints.length > 0, anyWorkload: snap.workloads.length > 0, out: [] };
  const compiled = new Map<string, CompiledPolicy>();
  for (const set of snap.stagedView === null ? [snap.enforced] : [snap.enforced, snap.stagedView]) for (const p of set.policies) compiled.set(`${p.kind}|${p.namespace}|${p.name}`, p);
  for (const r of resources) {
    if (_isKnp(r)) {
      _knp(ctx, r);
      continue;
    }
    if (!r.apiVersion.startsWith('projectcalico.org/')) continue;
    const ref = refOfResource(r);
    const p = compiled.get(`${r.kind}|${r.kind.includes('Global') ? '' : ref.namespace}|${ref.name}`);
    if (p !== undefined && hasCalicoRules(p)) _calicoPolicy(ctx, r, p);
  }
  return ctx.out;
}
