/** Pods, host endpoints and network sets; for one endpoint, the policies that apply, in order. */
import { useState } from 'preact/hooks';
import { planFor, type Direction, type Flavour, type HostEndpointInfo, type WorkloadEndpointInfo } from '../../../src/engine/index.js';
import { policyParam } from '../policy-ref.js';
import { Link } from '../router.js';
import { world } from '../store.js';

const MAX_ROWS = 300;

const labelText = (l: Readonly<Record<string, string>>): string =>
  Object.entries(l)
    .filter(([k]) => !k.startsWith('pcns.') && !k.startsWith('pcsa.') && !k.startsWith('projectcalico.org/'))
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');

export function EndpointsPage(props: { query: URLSearchParams }) {
  const snap = world.value!.snapshot;
  const [filter, setFilter] = useState('');
  const [tab, setTab] = useState<'pods' | 'hosts' | 'sets'>('pods');
  const chosen = props.query.get('endpoint');
  const f = filter.toLowerCase();
  const match = (s: string): boolean => f === '' || s.toLowerCase().includes(f);
  const pods = snap.workloads.filter((w) => match(`${w.key} ${w.node} ${labelText(w.labels)} ${w.ips.map((i) => i.text).join(' ')}`));
  const hosts = snap.hostEndpoints.filter((h) => match(`${h.key} ${h.node} ${h.interfaceName} ${labelText(h.labels)}`));
  const sets = snap.networkSets.filter((s) => match(`${s.key} ${labelText(s.labels)}`));
  return (
    <div class="split">
      <section class="list">
        <div class="tabs">
          <button class={tab === 'pods' ? 'active' : ''} onClick={() => setTab('pods')} data-testid="tab-pods">
            Pods ({snap.workloads.length})
          </button>
          <button class={tab === 'hosts' ? 'active' : ''} onClick={() => setTab('hosts')} data-testid="tab-hosts">
            Host endpoints ({snap.hostEndpoints.length})
          </button>
          <button class={tab === 'sets' ? 'active' : ''} onClick={() => setTab('sets')} data-testid="tab-sets">
            Network sets ({snap.networkSets.length})
          </button>
        </div>
        <input class="filter" placeholder="filter by name, node, label or address" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
        {tab === 'pods' && (
          <table class="grid" data-testid="pods">
            <thead>
              <tr>
                <th>pod</th>
                <th>node</th>
                <th>IP</th>
                <th>labels</th>
              </tr>
            </thead>
            <tbody>
              {pods.slice(0, MAX_ROWS).map((w) => (
                <tr class={chosen === w.key ? 'sel' : ''}>
                  <td>
                    <Link to={`/endpoints?endpoint=${encodeURIComponent(w.key)}`}>{w.key}</Link>
                  </td>
                  <td>{w.node}</td>
                  <td>{w.ips.map((i) => i.text).join(', ')}</td>
                  <td class="labels">{labelText(w.labels)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {tab === 'hosts' && (
          <table class="grid" data-testid="hosts">
            <thead>
              <tr>
                <th>host endpoint</th>
                <th>node</th>
                <th>interface</th>
                <th>IPs</th>
                <th>labels</th>
              </tr>
            </thead>
            <tbody>
              {hosts.slice(0, MAX_ROWS).map((h) => (
                <tr class={chosen === h.key ? 'sel' : ''}>
                  <td>
                    <Link to={`/endpoints?endpoint=${encodeURIComponent(h.key)}`}>{h.name}</Link>
                  </td>
                  <td>{h.node}</td>
                  <td>{h.interfaceName || '*'}</td>
                  <td>{h.ips.map((i) => i.text).join(', ')}</td>
                  <td class="labels">{labelText(h.labels)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {tab === 'sets' && (
          <table class="grid" data-testid="sets">
            <thead>
              <tr>
                <th>network set</th>
                <th>nets</th>
                <th>labels</th>
              </tr>
            </thead>
            <tbody>
              {sets.slice(0, MAX_ROWS).map((s) => (
                <tr>
                  <td>{s.key}</td>
                  <td>{s.nets.map((n) => `${n.text}`).join(', ')}</td>
                  <td class="labels">{labelText(s.labels)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {(tab === 'pods' ? pods : tab === 'hosts' ? hosts : sets).length > MAX_ROWS && <p class="muted">Showing the first {MAX_ROWS}; filter to narrow.</p>}
      </section>
      <section class="detail">{chosen !== null ? <EndpointDetail keyText={chosen} /> : <p class="muted">Pick an endpoint to see the policies that apply to it, in evaluation order.</p>}</section>
    </div>
  );
}

function EndpointDetail(props: { keyText: string }) {
  const snap = world.value!.snapshot;
  const ep: WorkloadEndpointInfo | HostEndpointInfo | undefined = snap.workloadByKey.get(props.keyText) ?? snap.hostEndpoints.find((h) => h.key === props.keyText);
  if (ep === undefined) return <p class="muted">No endpoint {props.keyText}.</p>;
  const host = ep.kind === 'host';
  const flavours: readonly Flavour[] = host ? ['untracked', 'preDNAT', 'normal', 'forward'] : ['normal'];
  const dirs: readonly Direction[] = ['ingress', 'egress'];
  return (
    <div data-testid="endpoint-detail">
      <h2>{ep.key}</h2>
      <p>
        Node {ep.node} · {ep.ips.map((i) => i.text).join(', ') || 'no address'} · profiles: {ep.profiles.join(', ') || 'none'}
      </p>
      <p class="labels">{Object.entries(ep.labels).map(([k, v]) => `${k}=${v}`).join(', ')}</p>
      {dirs.map((dir) =>
        flavours.map((fl) => {
          const plan = planFor(snap, snap.enforced, ep, dir, fl, host);
          if (host && plan.length === 0 && fl !== 'normal') return null;
          return (
            <div class="plan">
              <h3>
                {dir === 'ingress' ? 'Ingress' : 'Egress'}
                {host ? ` (${fl === 'normal' ? 'to/from the host' : fl === 'forward' ? 'forwarded' : fl})` : ''}
              </h3>
              {plan.length === 0 ? (
                <p class="muted">No policy applies: {ep.profiles.length > 0 ? `the profiles decide (${ep.profiles.join(', ')})` : host ? 'the host endpoint default applies' : 'allowed (no policy, no profile)'}.</p>
              ) : (
                <ol>
                  {plan.map((t) => (
                    <li>
                      tier <b>{t.tier.name}</b> (end of tier: {t.tier.defaultAction})
                      <ol>
                        {t.policies.map((p) => (
                          <li>
                            <Link to={`/policies?policy=${encodeURIComponent(policyParam(p))}`}>{p.id}</Link> <span class="muted">order {Number.isFinite(p.order) ? p.order : '—'}</span>
                          </li>
                        ))}
                      </ol>
                    </li>
                  ))}
                  {ep.profiles.length > 0 && <li class="muted">then profiles: {ep.profiles.join(', ')} (only when no tier decided)</li>}
                </ol>
              )}
            </div>
          );
        }),
      )}
      <p>
        <Link to={`/trace?from=${encodeURIComponent(host ? `node:${ep.node}` : ep.key)}`}>Trace a flow from here</Link>
      </p>
    </div>
  );
}
