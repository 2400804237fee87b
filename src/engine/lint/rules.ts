/**
 * @module Rules nothing reaches.
 * - Within a policy: rule j is shadowed when an earlier non-Log rule i matches every packet j
 *   matches (a conservative containment test on the compiled criteria: equal selectors, nets
 *   inside nets, ports inside ports, …). A shadowed Log rule is `log-unreachable`.
 * - Across policies (Log rules only): for every endpoint the policy selects, evaluation ends
 *   before the policy — an earlier policy of the same tier has a rule that matches everything,
 *   or an earlier tier applies and has no Pass (its end-of-tier Deny drops what it did not allow).
 */
import { FieldPath } from '../../model/field/path.js';
import type { CompiledEntity, CompiledRule, Owner, PortMatch } from '../match.js';
import type { Net } from '../ip.js';
import type { CompiledPolicy } from '../compile-policy.js';
import { planFor, type Direction } from '../resolve.js';
import { selMatches } from '../match.js';
import type { Snapshot } from '../snapshot.js';
import { hasCalicoRules, refOfPolicy } from './refs.js';
import type { LintFinding } from './types.js';

function _netIn(inner: Net, outer: Net): boolean {
  if (inner.family !== outer.family) return false;
  if (inner.family === 4) return (inner.mask4 & outer.mask4) >>> 0 === outer.mask4 >>> 0 && ((inner.base4 & outer.mask4) >>> 0) === outer.base4 >>> 0;
  return (inner.mask6 & outer.mask6) === outer.mask6 && (inner.base6 & outer.mask6) === outer.base6;
}

function _portIn(p: PortMatch, list: readonly PortMatch[]): boolean {
  return list.some((q) => (p.name !== undefined ? q.name === p.name : q.name === undefined && q.min <= p.min && p.max <= q.max));
}

const _texts = (l: readonly { text: string }[] | null): string => (l === null ? '' : l.map((x) => x.text).sort().join(','));
const _portsText = (l: readonly PortMatch[] | null): string => (l === null ? '' : l.map((p) => (p.name !== undefined ? p.name : `${p.min}:${p.max}`)).sort().join(','));

/** Every packet `b` accepts on this side is accepted by `a`. */
function _entityCovers(a: CompiledEntity, b: CompiledEntity): boolean {
  if (a.nets !== null && (b.nets === null || !b.nets.every((n) => a.nets!.some((m) => _netIn(n, m))))) return false;
  if (a.notNets !== null && _texts(a.notNets) !== _texts(b.notNets)) return false;
  if (a.sel !== null && (b.sel === null || b.sel.id !== a.sel.id)) return false;
  if (a.notSel !== null && (b.notSel === null || b.notSel.id !== a.notSel.id)) return false;
  if (a.ports !== null && (b.ports === null || !b.ports.every((p) => _portIn(p, a.ports!)))) return false;
  if (a.notPorts !== null && _portsText(a.notPorts) !== _portsText(b.notPorts)) return false;
  if (a.service !== null && (b.service === null || a.service.namespace !== b.service.namespace || a.service.name !== b.service.name)) return false;
  return true;
}

/** Rule `a` matches every packet rule `b` matches. */
export function ruleCovers(a: CompiledRule, b: CompiledRule): boolean {
  if (a.invalid !== null || a.http) return false;
  if (a.proto !== -1 && a.proto !== b.proto) return false;
  if (a.notProto !== -1 && a.notProto !== b.notProto && (b.proto === -1 || b.proto === a.notProto)) return false;
  if (a.icmpType !== -1 && (a.icmpType !== b.icmpType || (a.icmpCode !== -1 && a.icmpCode !== b.icmpCode))) return false;
  if (a.notIcmpType !== -1 && (a.notIcmpType !== b.notIcmpType || a.notIcmpCode !== b.notIcmpCode)) return false;
  if (a.ipVersion !== 0 && a.ipVersion !== b.ipVersion) return false;
  return _entityCovers(a.src, b.src) && _entityCovers(a.dst, b.dst);
}

const _none: CompiledEntity = { nets: null, notNets: null, sel: null, notSel: null, ports: null, notPorts: null, service: null };
const _catchAll: CompiledRule = { index: -1, action: 'Allow', proto: -1, notProto: -1, icmpType: -1, icmpCode: -1, notIcmpType: -1, notIcmpCode: -1, ipVersion: 0, src: _none, dst: _none, http: false, invalid: null };

/** A rule that matches every packet. */
export function isCatchAll(r: CompiledRule): boolean {
  return ruleCovers(r, _catchAll);
}

function _rules(p: CompiledPolicy, dir: Direction): readonly CompiledRule[] {
  return dir === 'ingress' ? p.ingressRules : p.egressRules;
}

/** Why evaluation never reaches `p` for endpoint `ep`, or undefined when it can. */
function _blocked(snap: Snapshot, p: CompiledPolicy, ep: Owner, host: boolean, dir: Direction): string | undefined {
  const plan = planFor(snap, snap.enforced, ep, dir, 'normal', host);
  for (const tp of plan) {
    if (tp.tier.name === p.tier) {
      for (const q of tp.policies) {
        if (q === p) return undefined;
        const stop = _rules(q, dir).find((r) => r.action !== 'Log' && isCatchAll(r));
        if (stop !== undefined) return `policy ${q.id} (tier ${q.tier}) ends evaluation first with rule ${stop.index}: ${stop.action}`;
      }
      return undefined;
    }
    const passes = tp.tier.defaultAction === 'Pass' || tp.policies.some((q) => _rules(q, dir).some((r) => r.action === 'Pass'));
    if (!passes) return `tier ${tp.tier.name} applies first and has no Pass rule, so its end-of-tier Deny drops what it does not allow`;
  }
  return undefined;
}

export function lintRules(snap: Snapshot): LintFinding[] {
  const out: LintFinding[] = [];
  const owners: { ep: Owner; host: boolean }[] = [...snap.workloads.map((ep) => ({ ep, host: false })), ...snap.hostEndpoints.map((ep) => ({ ep, host: true }))];
  const one: Owner[] = [];
  for (const p of snap.enforced.policies) {
    if (!hasCalicoRules(p)) continue;
    const ref = refOfPolicy(p);
    for (const dir of ['ingress', 'egress'] as const) {
      const rules = _rules(p, dir);
      const shadowed = new Set<number>();
      rules.forEach((r, j) => {
        for (let i = 0; i < j && !shadowed.has(j); i++) {
          const e = rules[i]!;
          if (e.action === 'Log' || !ruleCovers(e, r)) continue;
          shadowed.add(j);
          const code = r.action === 'Log' ? 'log-unreachable' : 'rule-shadowed';
          const what = r.action === e.action ? 'redundant' : 'never reached';
          out.push({
            code,
            severity: 'warning',
            resource: ref,
            path: FieldPath.root('spec').child(dir).index(j),
            message: `rule ${j} (${r.action}) is ${what}: rule ${i} (${e.action}) matches every packet it matches`,
          });
        }
      });
      const applies = dir === 'ingress' ? p.ingress : p.egress;
      if (!applies || p.preDNAT || p.doNotTrack) continue;
      rules.forEach((r, j) => {
        if (r.action !== 'Log' || shadowed.has(j)) return;
        let selected = 0;
        let reason: string | undefined;
        let reached = false;
        for (const { ep, host } of owners) {
          one[0] = ep;
          if (!selMatches(p.selector, one)) continue;
          selected++;
          const why = _blocked(snap, p, ep, host, dir);
          if (why === undefined) {
            reached = true;
            break;
          }
          reason ??= `${ep.key}: ${why}`;
        }
        if (selected > 0 && !reached)
          out.push({
            code: 'log-unreachable',
            severity: 'warning',
            resource: ref,
            path: FieldPath.root('spec').child(dir).index(j),
            message: `Log rule ${j} is never reached on any of the ${selected} endpoint(s) the policy selects (${reason})`,
          });
      });
    }
  }
  return out;
}

