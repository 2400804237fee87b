/**
 * @module The fail-closed rules both drivers install before their first real apply (pure).
 *
 * `cali-fail-closed-in`, hooked first in INPUT, and `cali-fail-closed-fw`, hooked first in
 * FORWARD, accept RELATED/ESTABLISHED connections and drop everything else; the INPUT one also
 * accepts loopback and the node's inbound failsafe ports (FelixConfiguration
 * `failsafeInboundHostPorts`, Felix's defaults when unset: tcp 22, 179, 2379, 2380, 5473, 6443,
 * 6666, 6667 and udp 68), so the host stays reachable for SSH, DHCP, BGP, etcd and the API
 * server. OUTPUT is left open so the agent can reach its datastore.
 *
 * For IPv6 (`family` 6, the ip6tables filter table or the nft `ip6` table of a dual-stack node)
 * only failsafe ports without a net or with an IPv6 one apply, and the INPUT chain also accepts
 * ICMPv6 neighbour discovery (router solicitation/advertisement, neighbour solicitation/
 * advertisement, 133-136), without which the node could not reach its neighbours at all.
 *
 * The iptables driver installs these chains in its filter table; the nft driver translates the
 * same chains into its table (nft/render.ts). The first successful apply replaces them in one
 * transaction, so there is never a moment with no policy at all.
 */
import { FELIX_DEFAULTS, failsafeHostPorts, type FailsafeHostPort } from '../../model/calico/felix-configuration.js';
import type { Chain, Insertion, IpFamily, Protocol, Rule } from '../model.js';

export const FAIL_CLOSED_INPUT_CHAIN = 'cali-fail-closed-in';
export const FAIL_CLOSED_FORWARD_CHAIN = 'cali-fail-closed-fw';

/** The fail-closed chains (filter table) and their hooks. */
export interface FailClosedRules {
  readonly chains: readonly Chain[];
  readonly hooks: readonly Insertion[];
}

/** Entries of the family only (an IPv6 `net` belongs to the IPv6 tables, an IPv4 one to the IPv4 ones). */
const _inFamily = (net: string | undefined, family: IpFamily): boolean => net === undefined || net === '' || net.includes(':') === (family === 6);

/** ICMPv6 neighbour discovery (router and neighbour solicitation and advertisement). */
export const NDP_ICMPV6_TYPES: readonly number[] = [133, 134, 135, 136];

function _failsafeRule(p: FailsafeHostPort, family: IpFamily): Rule | undefined {
  if (!_inFamily(p.net, family)) return undefined;
  return {
    match: [
      { kind: 'protocol', protocol: p.protocol as Protocol },
      { kind: 'dstPorts', ports: [{ first: p.port, last: p.port }] },
      ...(p.net !== undefined ? [{ kind: 'srcNet' as const, cidr: p.net }] : []),
    ],
    action: { kind: 'accept' },
    comment: 'failsafe',
  };
}

/**
 * The fail-closed rules for these inbound failsafe ports (`failsafeHostPorts(cfg, 'inbound')` of
 * the node's effective FelixConfiguration; Felix's defaults when omitted), for IPv4 or IPv6.
 */
export function failClosedRules(inbound: readonly FailsafeHostPort[] = failsafeHostPorts(FELIX_DEFAULTS, 'inbound'), family: IpFamily = 4): FailClosedRules {
  const established: Rule = { match: [{ kind: 'conntrackState', states: ['RELATED', 'ESTABLISHED'] }], action: { kind: 'accept' } };
  const drop: Rule = { match: [], action: { kind: 'drop' }, comment: 'fail closed until the first successful apply' };
  const failsafe = inbound.map((p) => _failsafeRule(p, family)).filter((r): r is Rule => r !== undefined);
  const ndp: Rule[] =
    family === 6 ? NDP_ICMPV6_TYPES.map((type) => ({ match: [{ kind: 'protocol', protocol: 'icmpv6' }, { kind: 'icmpType', family: 6, type }], action: { kind: 'accept' } })) : [];
  const input: Chain = {
    name: FAIL_CLOSED_INPUT_CHAIN,
    rules: [established, { match: [{ kind: 'inInterface', name: 'lo' }], action: { kind: 'accept' } }, ...ndp, ...failsafe, drop],
  };
  const forward: Chain = { name: FAIL_CLOSED_FORWARD_CHAIN, rules: [established, drop] };
  return {
    chains: [input, forward],
    hooks: [
      { chain: 'INPUT', rules: [{ match: [], action: { kind: 'jump', chain: FAIL_CLOSED_INPUT_CHAIN } }] },
      { chain: 'FORWARD', rules: [{ match: [], action: { kind: 'jump', chain: FAIL_CLOSED_FORWARD_CHAIN } }] },
    ],
  };
}
