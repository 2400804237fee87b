/**
 * @module The static chains and the hooks into the kernel's built-in chains (Felix
 * `rules/static.go`), for the three tables we program:
 *
 * filter
 *   INPUT → cali-INPUT: `-i cali+ → goto cali-wl-to-host`; accept what raw/mangle policy
 *     accepted; clear marks; `cali-from-host-endpoint`; accept if host endpoint policy accepted.
 *   cali-wl-to-host: (IPv6: accept the ICMPv6 a workload needs from its router: multicast
 *     listener query/report/done 130-132, router solicitation 133, neighbour solicitation and
 *     advertisement 135-136, before any policy, as Felix does), `cali-from-wl-dispatch`, then
 *     DefaultEndpointToHostAction.
 *   FORWARD → cali-FORWARD: clear marks but accept; `cali-from-hep-forward` unless accepted
 *     already; `-i cali+ → cali-from-wl-dispatch`; `-o cali+ → cali-to-wl-dispatch`;
 *     `cali-to-hep-forward`; accept if the accept bit is set. (Felix appends this last rule to
 *     FORWARD itself; with insert mode our jump is first anyway, so it lives in cali-FORWARD and
 *     we need no appended hook.)
 *   OUTPUT → cali-OUTPUT: accept what raw accepted; `-o cali+ → RETURN` (host → workload is not
 *     policed); clear marks; not DNAT → `cali-to-host-endpoint`; accept if accepted.
 *   cali-failsafe-in / cali-failsafe-out: failsafe ports → ACCEPT (a failsafe port with a `net`
 *     only in that net's family; without one in both).
 * raw (untracked policy)
 *   PREROUTING → cali-PREROUTING: clear marks; workload traffic returns; `cali-from-host-endpoint`;
 *     accept if accepted. OUTPUT → cali-OUTPUT: clear marks; `cali-to-host-endpoint`; accept if
 *     accepted. Raw failsafe chains also accept the replies of the other direction's ports (no
 *     conntrack yet).
 * mangle (preDNAT policy)
 *   PREROUTING → cali-PREROUTING: established → ACCEPT; accepted → ACCEPT;
 *   `cali-from-host-endpoint`; accept if accepted.
 */
import type { DesiredFailsafePort, DesiredState } from '../../engine/index.js';
import type { Chain, Insertion, MatchCriterion, Protocol, Rule } from '../model.js';
import { CHAIN, type MarkBits } from './names.js';

const WORKLOAD_IFACES = 'cali+';

const _accepted = (m: MarkBits): MatchCriterion => ({ kind: 'mark', value: m.accept, mask: m.accept });

/** ICMPv6 types a workload may always send to its host (Felix `filterWorkloadToHostChain`). */
export const WORKLOAD_TO_HOST_ICMPV6_TYPES: readonly number[] = [130, 131, 132, 133, 135, 136];

function _inFamily(net: string | undefined, family: 4 | 6): boolean {
  return net === undefined || net.includes(':') === (family === 6);
}

function _failsafeRule(p: DesiredFailsafePort, ports: 'dst' | 'src', netSide: 'src' | 'dst', family: 4 | 6): Rule | undefined {
  if (!_inFamily(p.net, family)) return undefined;
  const match: MatchCriterion[] = [
    { kind: 'protocol', protocol: p.protocol as Protocol },
    { kind: ports === 'dst' ? 'dstPorts' : 'srcPorts', ports: [{ first: p.port, last: p.port }] },
  ];
  if (p.net !== undefined) match.push({ kind: netSide === 'src' ? 'srcNet' : 'dstNet', cidr: p.net });
  return { match, action: { kind: 'accept' } };
}

const _defined = <T>(x: T | undefined): x is T => x !== undefined;

/** Failsafe chains for one table; raw also accepts replies (source ports of the other direction). */
export function renderFailsafeChains(d: DesiredState, table: 'filter' | 'raw' | 'mangle'): Chain[] {
  const f = d.family;
  const inRules = d.failsafeInbound.map((p) => _failsafeRule(p, 'dst', 'src', f)).filter(_defined);
  const outRules = d.failsafeOutbound.map((p) => _failsafeRule(p, 'dst', 'dst', f)).filter(_defined);
  if (table === 'raw') {
    inRules.push(...d.failsafeOutbound.map((p) => _failsafeRule(p, 'src', 'src', f)).filter(_defined));
    outRules.push(...d.failsafeInbound.map((p) => _failsafeRule(p, 'src', 'dst', f)).filter(_defined));
  }
  if (table === 'mangle') return [{ name: CHAIN.failsafeIn, rules: inRules }];
  return [
    { name: CHAIN.failsafeIn, rules: inRules },
    { name: CHAIN.failsafeOut, rules: outRules },
  ];
}

export function renderFilterStatic(d: DesiredState, m: MarkBits): Chain[] {
  const e2h: Rule =
    d.defaultEndpointToHostAction === 'Accept'
      ? { match: [], action: { kind: 'accept' }, comment: 'Configured DefaultEndpointToHostAction' }
      : d.defaultEndpointToHostAction === 'Return'
        ? { match: [], action: { kind: 'return' }, comment: 'Configured DefaultEndpointToHostAction' }
        : { match: [], action: { kind: 'drop' }, comment: 'Configured DefaultEndpointToHostAction' };
  const hostAccepted: Rule = { match: [_accepted(m)], action: { kind: 'accept' }, comment: 'Host endpoint policy accepted packet.' };
  return [
    {
      name: CHAIN.filterInput,
      rules: [
        { match: [{ kind: 'inInterface', name: WORKLOAD_IFACES }], action: { kind: 'goto', chain: CHAIN.workloadToHost } },
        { match: [_accepted(m)], action: { kind: 'accept' }, comment: 'Accepted by untracked or preDNAT policy' },
        { match: [], action: { kind: 'clearMark', mask: m.all } },
        { match: [], action: { kind: 'jump', chain: CHAIN.fromHostEndpoint } },
        hostAccepted,
      ],
    },
    {
      name: CHAIN.workloadToHost,
      rules: [
        ...(d.family === 6
          ? WORKLOAD_TO_HOST_ICMPV6_TYPES.map(
              (type): Rule => ({ match: [{ kind: 'protocol', protocol: 'icmpv6' }, { kind: 'icmpType', family: 6, type }], action: { kind: 'accept' } }),
            )
          : []),
        { match: [], action: { kind: 'jump', chain: CHAIN.fromWorkloadDispatch } },
        e2h,
      ],
    },
    {
      name: CHAIN.filterForward,
      rules: [
        { match: [], action: { kind: 'clearMark', mask: (m.all & ~m.accept) >>> 0 } },
        { match: [{ kind: 'mark', value: 0, mask: m.accept }], action: { kind: 'jump', chain: CHAIN.fromHostEndpointForward } },
        { match: [{ kind: 'inInterface', name: WORKLOAD_IFACES }], action: { kind: 'jump', chain: CHAIN.fromWorkloadDispatch } },
        { match: [{ kind: 'outInterface', name: WORKLOAD_IFACES }], action: { kind: 'jump', chain: CHAIN.toWorkloadDispatch } },
        { match: [], action: { kind: 'jump', chain: CHAIN.toHostEndpointForward } },
        { match: [_accepted(m)], action: { kind: 'accept' }, comment: 'Policy explicitly accepted packet.' },
      ],
    },
    {
      name: CHAIN.filterOutput,
      rules: [
        { match: [_accepted(m)], action: { kind: 'accept' }, comment: 'Accepted by untracked policy' },
        { match: [{ kind: 'outInterface', name: WORKLOAD_IFACES }], action: { kind: 'return' } },
        { match: [], action: { kind: 'clearMark', mask: m.all } },
        { match: [{ kind: 'conntrackState', states: ['DNAT'], negated: true }], action: { kind: 'jump', chain: CHAIN.toHostEndpoint } },
        hostAccepted,
      ],
    },
    ...renderFailsafeChains(d, 'filter'),
  ];
}

export function renderRawStatic(d: DesiredState, m: MarkBits): Chain[] {
  return [
    {
      name: CHAIN.rawPrerouting,
      rules: [
        { match: [], action: { kind: 'clearMark', mask: m.all } },
        { match: [{ kind: 'inInterface', name: WORKLOAD_IFACES }], action: { kind: 'return' } },
        { match: [], action: { kind: 'jump', chain: CHAIN.fromHostEndpoint } },
        { match: [_accepted(m)], action: { kind: 'accept' } },
      ],
    },
    {
      name: CHAIN.rawOutput,
      rules: [
        { match: [], action: { kind: 'clearMark', mask: m.all } },
        { match: [], action: { kind: 'jump', chain: CHAIN.toHostEndpoint } },
        { match: [_accepted(m)], action: { kind: 'accept' } },
      ],
    },
    ...renderFailsafeChains(d, 'raw'),
  ];
}

export function renderMangleStatic(d: DesiredState, m: MarkBits): Chain[] {
  return [
    {
      name: CHAIN.manglePrerouting,
      rules: [
        { match: [{ kind: 'conntrackState', states: ['RELATED', 'ESTABLISHED'] }], action: { kind: 'accept' } },
        { match: [_accepted(m)], action: { kind: 'accept' } },
        { match: [], action: { kind: 'jump', chain: CHAIN.fromHostEndpoint } },
        { match: [_accepted(m)], action: { kind: 'accept' }, comment: 'Host endpoint policy accepted packet.' },
      ],
    },
    ...renderFailsafeChains(d, 'mangle'),
  ];
}

const _jump = (chain: string): Rule => ({ match: [], action: { kind: 'jump', chain } });

export const FILTER_HOOKS: readonly Insertion[] = [
  { chain: 'INPUT', rules: [_jump(CHAIN.filterInput)] },
  { chain: 'FORWARD', rules: [_jump(CHAIN.filterForward)] },
  { chain: 'OUTPUT', rules: [_jump(CHAIN.filterOutput)] },
];
export const RAW_HOOKS: readonly Insertion[] = [
  { chain: 'PREROUTING', rules: [_jump(CHAIN.rawPrerouting)] },
  { chain: 'OUTPUT', rules: [_jump(CHAIN.rawOutput)] },
];
export const MANGLE_HOOKS: readonly Insertion[] = [{ chain: 'PREROUTING', rules: [_jump(CHAIN.manglePrerouting)] }];
