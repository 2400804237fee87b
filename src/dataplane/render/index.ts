/**
 * @module The renderer: DesiredState → iptables chains and hooks for the raw, mangle and filter
 * tables, and IP sets (Felix's rules renderer). Pure: no I/O; output sorted by chain name and
 * deterministic, so equal desired states give equal (and equally hashed) chains.
 *
 * One call renders one IP family, the DesiredState's (`d.family`): for IPv6 the same chains and
 * hooks go to ip6tables (or nft's `ip6` table), IP sets are `cali60…` `family inet6` sets, ICMP
 * type matches are ICMPv6's, only the family's failsafe nets apply, and workloads may send the
 * ICMPv6 neighbour discovery a router needs (static.ts). A dual-stack node renders twice.
 *
 * Which table: doNotTrack (untracked) policy → raw; preDNAT → mangle; everything else → filter.
 * Only policies and profiles that some endpoint of this node uses get chains, in the tables
 * where they are used, and only for the directions they are used in.
 */
import type { DesiredHostEndpoint, DesiredState, DesiredTier } from '../../engine/index.js';
import type { Chain, Insertion, IpSet, MatchCriterion, Table } from '../model.js';
import { renderDispatchChain, type DispatchTarget } from './dispatch.js';
import { hostChainName, renderEndpointChains, workloadChainName, type EndpointChainType } from './endpoint.js';
import { renderIpSets } from './ipsets.js';
import { CHAIN, markBits, PREFIX, type MarkBits } from './names.js';
import { renderPolicyChain, renderProfileChain, type PolicyRenderContext } from './policy.js';
import { planClasses } from './classes.js';
import { policyDomain, policyPrefilter, type DomainPiece, type PolicyPrefilter } from './prefilter.js';
import { FILTER_HOOKS, MANGLE_HOOKS, RAW_HOOKS, renderFilterStatic, renderMangleStatic, renderRawStatic } from './static.js';

export interface RenderedTable {
  readonly table: Table;
  readonly chains: readonly Chain[];
  readonly hooks: readonly Insertion[];
}

export interface RenderedDataplane {
  /** The IP family of every table and set below. */
  readonly family: 4 | 6;
  readonly filter: RenderedTable;
  readonly raw: RenderedTable;
  readonly mangle: RenderedTable;
  readonly ipSets: readonly IpSet[];
}

/** Collects the chains of one table and the policies/profiles they reference. */
class _TableBuilder {
  readonly chains: Chain[] = [];
  readonly policies = { ingress: new Set<string>(), egress: new Set<string>() };
  readonly profiles = { ingress: new Set<string>(), egress: new Set<string>() };
  private readonly classChains = new Map<string, Chain>();
  constructor(
    private readonly marks: MarkBits,
    private readonly prefilters: _Prefilters,
    private readonly flowLogs = false,
    private readonly classForm: 'map' | 'tree',
  ) {}

  endpoint(
    name: string,
    direction: 'ingress' | 'egress',
    type: EndpointChainType,
    tiers: readonly DesiredTier[],
    extra: { profiles?: readonly string[]; failsafe?: string } = {},
  ): void {
    for (const t of tiers) for (const p of t.policies) this.policies[direction].add(p);
    for (const p of extra.profiles ?? []) this.profiles[direction].add(p);
    const prefilter = (key: string): readonly MatchCriterion[] | undefined => this.prefilters.get(direction, key)?.match;
    const classes = planClasses(tiers.flatMap((t) => t.policies), (key) => this.prefilters.domain(direction, key), this.prefilters.family);
    const [chain, ...classChains] = renderEndpointChains({
      name,
      direction,
      type,
      tiers,
      marks: this.marks,
      prefilter,
      ...extra,
      ...(this.flowLogs ? { flowLogs: true } : {}),
      ...(classes !== undefined ? { classes, classForm: this.classForm, family: this.prefilters.family } : {}),
    });
    this.chains.push(chain!);
    // Class (and class tree) chains are named by their content: endpoints with the same tiers share them.
    for (const c of classChains) this.classChains.set(c.name, c);
  }

  finish(d: DesiredState, ctx: PolicyRenderContext): Chain[] {
    for (const dir of ['ingress', 'egress'] as const) {
      for (const key of this.policies[dir]) {
        const p = d.policies.get(key);
        if (p !== undefined) this.chains.push(renderPolicyChain(p, dir, ctx));
      }
      for (const name of this.profiles[dir]) {
        const p = d.profiles.get(name);
        if (p !== undefined) this.chains.push(renderProfileChain(p, dir, ctx));
      }
    }
    const byName = new Map<string, Chain>();
    for (const c of [...this.chains, ...this.classChains.values()]) {
      if (byName.has(c.name)) throw new Error(`renderer produced chain ${c.name} twice`);
      byName.set(c.name, c);
    }
    return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

/** The policies' prefilters (prefilter.ts), computed once per policy and direction, and the IP sets the rendered jumps use. */
class _Prefilters {
  private readonly _cache = new Map<string, PolicyPrefilter | null>();
  private readonly _domains = new Map<string, readonly DomainPiece[] | null>();
  constructor(private readonly d: DesiredState) {}

  get family(): 4 | 6 {
    return this.d.family;
  }

  /** The policy's match domain in `dir` (prefilter.ts `policyDomain`); undefined when unbounded or unknown. */
  domain(dir: 'ingress' | 'egress', key: string): readonly DomainPiece[] | undefined {
    const k = `${dir} ${key}`;
    let v = this._domains.get(k);
    if (v === undefined) {
      const p = this.d.policies.get(key);
      v = (p === undefined ? undefined : policyDomain(p, dir, this.d)) ?? null;
      this._domains.set(k, v);
    }
    return v ?? undefined;
  }

  get(dir: 'ingress' | 'egress', key: string): PolicyPrefilter | undefined {
    const k = `${dir} ${key}`;
    let v = this._cache.get(k);
    if (v === undefined) {
      const p = this.d.policies.get(key);
      v = (p === undefined ? undefined : policyPrefilter(p, dir, this.d)) ?? null;
      this._cache.set(k, v);
    }
    return v ?? undefined;
  }

  /** The IP sets of every prefilter some jump uses, sorted by name. */
  sets(): IpSet[] {
    const out: IpSet[] = [];
    for (const v of this._cache.values()) if (v?.set !== undefined) out.push(v.set);
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

const _target = (h: DesiredHostEndpoint, prefix: string): DispatchTarget => ({ iface: h.iface, chain: hostChainName(prefix, h.iface) });

/**
 * What the rendering is for (default iptables). Both dispatch an endpoint chain's policies by
 * class (classes.ts): nft with one verdict map, iptables, which has none, with a search tree of
 * goto chains (class-tree.ts).
 */
export interface RenderOptions {
  readonly target?: 'iptables' | 'nft';
}

export function render(d: DesiredState, opts: RenderOptions = {}): RenderedDataplane {
  const classForm = opts.target === 'nft' ? 'map' : 'tree';
  const marks = markBits(d.markMask);
  const ctx: PolicyRenderContext = { marks, log: d.log, family: d.family };
  const prefilters = new _Prefilters(d);

  // ---- filter (the only table with flow-log marks: Felix logs neither untracked nor preDNAT verdicts)
  const filter = new _TableBuilder(marks, prefilters, d.flowLogs === true, classForm);
  filter.chains.push(...renderFilterStatic(d, marks));
  for (const w of d.workloads) {
    filter.endpoint(workloadChainName('ingress', w.iface), 'ingress', 'normal', w.ingress, { profiles: w.profiles });
    filter.endpoint(workloadChainName('egress', w.iface), 'egress', 'normal', w.egress, { profiles: w.profiles });
  }
  for (const h of d.hostEndpoints) {
    filter.endpoint(hostChainName(PREFIX.fromHostEndpoint, h.iface), 'ingress', 'normal', h.normal.ingress, { profiles: h.profiles, failsafe: CHAIN.failsafeIn });
    filter.endpoint(hostChainName(PREFIX.toHostEndpoint, h.iface), 'egress', 'normal', h.normal.egress, { profiles: h.profiles, failsafe: CHAIN.failsafeOut });
    filter.endpoint(hostChainName(PREFIX.fromHostEndpointForward, h.iface), 'ingress', 'forward', h.forward.ingress);
    filter.endpoint(hostChainName(PREFIX.toHostEndpointForward, h.iface), 'egress', 'forward', h.forward.egress);
  }
  const wlIn = d.workloads.map((w) => ({ iface: w.iface, chain: workloadChainName('egress', w.iface) }));
  const wlOut = d.workloads.map((w) => ({ iface: w.iface, chain: workloadChainName('ingress', w.iface) }));
  filter.chains.push(
    renderDispatchChain(CHAIN.fromWorkloadDispatch, 'in', wlIn, true),
    renderDispatchChain(CHAIN.toWorkloadDispatch, 'out', wlOut, true),
    renderDispatchChain(CHAIN.fromHostEndpoint, 'in', d.hostEndpoints.map((h) => _target(h, PREFIX.fromHostEndpoint)), false),
    renderDispatchChain(CHAIN.toHostEndpoint, 'out', d.hostEndpoints.map((h) => _target(h, PREFIX.toHostEndpoint)), false),
    renderDispatchChain(CHAIN.fromHostEndpointForward, 'in', d.hostEndpoints.map((h) => _target(h, PREFIX.fromHostEndpointForward)), false),
    renderDispatchChain(CHAIN.toHostEndpointForward, 'out', d.hostEndpoints.map((h) => _target(h, PREFIX.toHostEndpointForward)), false),
  );

  // ---- raw (untracked)
  const raw = new _TableBuilder(marks, prefilters, false, classForm);
  raw.chains.push(...renderRawStatic(d, marks));
  for (const h of d.hostEndpoints) {
    raw.endpoint(hostChainName(PREFIX.fromHostEndpoint, h.iface), 'ingress', 'untracked', h.untracked.ingress, { failsafe: CHAIN.failsafeIn });
    raw.endpoint(hostChainName(PREFIX.toHostEndpoint, h.iface), 'egress', 'untracked', h.untracked.egress, { failsafe: CHAIN.failsafeOut });
  }
  raw.chains.push(
    renderDispatchChain(CHAIN.fromHostEndpoint, 'in', d.hostEndpoints.map((h) => _target(h, PREFIX.fromHostEndpoint)), false),
    renderDispatchChain(CHAIN.toHostEndpoint, 'out', d.hostEndpoints.map((h) => _target(h, PREFIX.toHostEndpoint)), false),
  );

  // ---- mangle (preDNAT)
  const mangle = new _TableBuilder(marks, prefilters, false, classForm);
  mangle.chains.push(...renderMangleStatic(d, marks));
  for (const h of d.hostEndpoints)
    mangle.endpoint(hostChainName(PREFIX.fromHostEndpoint, h.iface), 'ingress', 'preDNAT', h.preDNAT.ingress, { failsafe: CHAIN.failsafeIn });
  mangle.chains.push(renderDispatchChain(CHAIN.fromHostEndpoint, 'in', d.hostEndpoints.map((h) => _target(h, PREFIX.fromHostEndpoint)), false));

  return {
    family: d.family,
    filter: { table: 'filter', chains: filter.finish(d, d.flowLogs === true ? { ...ctx, flowLogs: true } : ctx), hooks: FILTER_HOOKS },
    raw: { table: 'raw', chains: raw.finish(d, ctx), hooks: RAW_HOOKS },
    mangle: { table: 'mangle', chains: mangle.finish(d, ctx), hooks: MANGLE_HOOKS },
    ipSets: [...renderIpSets(d), ...prefilters.sets()],
  };
}

export { chainName, ipSetName, markBits, CHAIN, PREFIX } from './names.js';
export type { MarkBits } from './names.js';
export { renderPolicyChain, renderProfileChain, renderRule, splitPorts, expandLogPrefix } from './policy.js';
export { renderEndpointChain, renderEndpointChains, workloadChainName, hostChainName } from './endpoint.js';
export { planClasses, MIN_CLASS_POLICIES, MAX_CLASS_ENTRIES, MAX_CLASSES, type ClassPlan } from './classes.js';
export { renderClassTree, TREE_FANOUT, type ClassTree } from './class-tree.js';
export { renderDispatchChain } from './dispatch.js';
export * from './flow-log.js';
export { renderIpSets } from './ipsets.js';
export { policyDomain, policyPrefilter, prefilterSetId, MAX_PREFILTER_MEMBERS, MIN_PREFILTER_RULES, type PolicyPrefilter } from './prefilter.js';
