/**
 * @module Dispatch chains (Felix `rules/dispatch.go`): interface → endpoint chain, by goto, so
 * an endpoint chain's RETURN goes back to the top-level chain that dispatched.
 *
 * Workload dispatch ends with `DROP` (`Unknown interface`): a `cali*` interface we know nothing
 * about (a pod whose endpoint is not in the datastore yet) is fail-closed. Host endpoint
 * dispatch ends by returning: interfaces without a host endpoint are not policed. An
 * all-interfaces host endpoint (`*`) comes last and catches every other interface.
 */
import type { Chain, Rule } from '../model.js';

export interface DispatchTarget {
  /** Interface name, or `*` for every interface. */
  readonly iface: string;
  readonly chain: string;
}

export function renderDispatchChain(name: string, dir: 'in' | 'out', targets: readonly DispatchTarget[], dropUnknown: boolean): Chain {
  const kind = dir === 'in' ? ('inInterface' as const) : ('outInterface' as const);
  const specific = targets.filter((t) => t.iface !== '*');
  const wildcard = targets.filter((t) => t.iface === '*');
  const rules: Rule[] = specific.map((t) => ({ match: [{ kind, name: t.iface }], action: { kind: 'goto', chain: t.chain } }));
  for (const w of wildcard) rules.push({ match: [], action: { kind: 'goto', chain: w.chain } });
  if (dropUnknown) rules.push({ match: [], action: { kind: 'drop' }, comment: 'Unknown interface' });
  return { name, rules };
}
