/**
 * Flows: the connections the agents saw, aggregated per window (the flows API,
 * `/apis/tabby.dev/v1/flows`), live (polled every 2 s; a record appears when its window closes),
 * filterable (namespace, action, policy, time), each row linked to the policies of its enforced
 * and pending traces and to Trace for the same flow.
 */
import { useEffect, useState } from 'preact/hooks';
import type { CompiledPolicy, Snapshot } from '../../../src/engine/index.js';
import type { FlowDropCounters, FlowEndpoint, FlowPolicyHit, FlowRecord } from '../../../src/model/flows.js';
import { readFlows } from '../api.js';
import { policyParam } from '../policy-ref.js';
import { Link } from '../router.js';
import { world } from '../store.js';

const POLL_MS = 2000;
const SINCE = [
  { value: '', label: 'all kept' },
  { value: '5m', label: 'last 5 minutes' },
  { value: '15m', label: 'last 15 minutes' },
  { value: '1h', label: 'last hour' },
];

/** The compiled policy a trace hit names (its kind, namespace and name as the user wrote it). */
function compiledOf(snap: Snapshot, h: FlowPolicyHit): CompiledPolicy | undefined {
  const is = (p: CompiledPolicy): boolean => p.kind === h.kind && p.namespace === h.namespace && (p.name === h.name || p.name.endsWith(`.${h.name}`));
  return snap.enforced.policies.find(is) ?? snap.stagedView?.policies.find(is);
}

/** How Trace names an endpoint: `ns/pod` for a pod, its address otherwise. */
const traceName = (e: FlowEndpoint): string => (e.kind === 'wep' && e.name !== '' ? `${e.namespace}/${e.name}` : e.ip);

const endpointText = (e: FlowEndpoint): string =>
  e.kind === 'wep' || e.kind === 'networkset' ? `${e.namespace}/${e.name || e.ip}` : e.kind === 'hep' ? `hep:${e.name || e.ip}` : e.kind === 'globalnetworkset' ? `gns:${e.name}` : e.ip || 'outside';

function Hit(props: { hit: FlowPolicyHit }) {
  const h = props.hit;
  const p = compiledOf(world.value!.snapshot, h);
  const who = h.namespace === '' ? h.name : `${h.namespace}/${h.name}`;
  const text = `${who}${h.ruleIndex >= 0 ? ` rule ${h.ruleIndex}` : ''}: ${h.action}`;
  const cls = h.action.endsWith('allow') ? 'allow' : h.action === 'pass' ? 'muted' : 'deny';
  return (
    <div class={cls} data-testid="flow-hit" data-policy={who}>
      {p === undefined ? (
        text
      ) : (
        <Link to={`/policies?policy=${encodeURIComponent(policyParam(p))}`} testid="flow-policy-link">
          {text}
        </Link>
      )}
    </div>
  );
}

function pendingOf(hits: readonly FlowPolicyHit[]): 'allow' | 'deny' | undefined {
  for (let i = hits.length - 1; i >= 0; i--) {
    const a = hits[i]!.action;
    if (a !== 'pass') return a === 'allow' || a === 'profile-allow' ? 'allow' : 'deny';
  }
  return undefined;
}

function dropsText(d: FlowDropCounters | undefined): string {
  if (d === undefined) return '';
  const parts: string[] = [];
  if (d.eventsDropped > 0) parts.push(`${d.eventsDropped} events refused at the memory bound`);
  if (d.recordsEvicted > 0) parts.push(`${d.recordsEvicted} records evicted early`);
  if ((d.eventsLate ?? 0) > 0) parts.push(`${d.eventsLate} events too late for their window`);
  if (d.kernelDropped > 0) parts.push(`${d.kernelDropped} lost in the kernel or agent`);
  return parts.join(', ');
}

export function FlowsPage(props: { query: URLSearchParams }) {
  const q = props.query;
  const [namespace, setNamespace] = useState(q.get('namespace') ?? '');
  const [action, setAction] = useState(q.get('action') ?? '');
  const [policy, setPolicy] = useState(q.get('policy') ?? '');
  const [since, setSince] = useState(q.get('since') ?? '');
  const [flows, setFlows] = useState<readonly FlowRecord[] | undefined>(undefined);
  const [drops, setDrops] = useState<FlowDropCounters | undefined>(undefined);
  const [error, setError] = useState('');
  useEffect(() => {
    const params = new URLSearchParams();
    if (namespace !== '') params.set('namespace', namespace);
    if (action !== '') params.set('action', action);
    if (policy.trim() !== '') params.set('policy', policy.trim());
    if (since !== '') params.set('since', since);
    params.set('limit', '500');
    window.history.replaceState(null, '', `/ui/flows${params.size > 1 ? `?${[...params].filter(([k]) => k !== 'limit').map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}` : ''}`);
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = (): void => {
      readFlows(params).then(
        (r) => {
          if (stopped) return;
          setError('');
          setFlows(r.items);
          setDrops(r.drops);
          timer = setTimeout(poll, POLL_MS);
        },
        (e: unknown) => {
          if (stopped) return;
          setError(e instanceof Error ? e.message : String(e));
          timer = setTimeout(poll, POLL_MS * 2);
        },
      );
    };
    poll();
    return () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [namespace, action, policy, since]);
  const snap = world.value!.snapshot;
  const namespaces = [...new Set(snap.workloads.map((w) => w.namespace))].sort();
  const lost = dropsText(drops);
  return (
    <div>
      <form class="toolbar" onSubmit={(e) => e.preventDefault()}>
        <label>
          Namespace{' '}
          <select value={namespace} onChange={(e) => setNamespace((e.target as HTMLSelectElement).value)} data-testid="flows-namespace">
            <option value="">all</option>
            {namespaces.map((n) => (
              <option value={n}>{n}</option>
            ))}
          </select>
        </label>
        <label>
          Action{' '}
          <select value={action} onChange={(e) => setAction((e.target as HTMLSelectElement).value)} data-testid="flows-action">
            <option value="">all</option>
            <option value="allow">allow</option>
            <option value="deny">deny</option>
          </select>
        </label>
        <label>
          Policy <input value={policy} placeholder="name, ns/name or tier.name" onChange={(e) => setPolicy((e.target as HTMLInputElement).value)} data-testid="flows-policy" />
        </label>
        <label>
          Time{' '}
          <select value={since} onChange={(e) => setSince((e.target as HTMLSelectElement).value)} data-testid="flows-since">
            {SINCE.map((s) => (
              <option value={s.value}>{s.label}</option>
            ))}
          </select>
        </label>
      </form>
      {error !== '' && <p class="error">{error}</p>}
      {lost !== '' && (
        <p class="error" data-testid="flows-drops">
          Incomplete: {lost}.
        </p>
      )}
      {flows === undefined ? (
        <p class="muted">Reading the flows…</p>
      ) : flows.length === 0 ? (
        <div class="empty" data-testid="flows-empty">
          <h2>No flows yet</h2>
          <p>
            The agents report every connection their policy rules saw; a record appears here when its window (15 s by default) closes. In the lab (<code>sudo tabby up</code>), make a connection
            and wait one window. The same records: <code>tabby flows</code>.
          </p>
        </div>
      ) : (
        <table class="grid" data-testid="flows-table">
          <thead>
            <tr>
              <th>window</th>
              <th>reporter</th>
              <th>source</th>
              <th>destination</th>
              <th>port</th>
              <th>action</th>
              <th>connections</th>
              <th>packets out/in</th>
              <th>bytes out/in</th>
              <th>enforced</th>
              <th>pending (staged)</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {flows.map((r) => {
              const pa = pendingOf(r.pending);
              return (
                <tr data-testid="flow-row" data-action={r.action} data-pending={pa ?? ''}>
                  <td class="muted">{new Date(r.startTime).toLocaleTimeString()}</td>
                  <td>{r.reporter}</td>
                  <td>{endpointText(r.source)}</td>
                  <td>{endpointText(r.dest)}</td>
                  <td>
                    {String(r.protocol)}
                    {r.destPort > 0 ? `/${r.destPort}` : ''}
                  </td>
                  <td class={r.action}>{r.action}</td>
                  <td>{r.connections}</td>
                  <td>
                    {r.packetsOut}/{r.packetsIn}
                  </td>
                  <td>
                    {r.bytesOut}/{r.bytesIn}
                  </td>
                  <td>
                    {r.enforced.map((h) => (
                      <Hit hit={h} />
                    ))}
                  </td>
                  <td>
                    {pa === undefined ? (
                      <span class="muted">—</span>
                    ) : (
                      <div>
                        <b class={pa} data-testid="flow-pending">
                          would {pa}
                        </b>
                        {r.pending.map((h) => (
                          <Hit hit={h} />
                        ))}
                      </div>
                    )}
                  </td>
                  <td>
                    <Link
                      to={`/trace?from=${encodeURIComponent(traceName(r.source))}&to=${encodeURIComponent(traceName(r.dest))}&port=${r.destPort}&protocol=${encodeURIComponent(String(r.protocol).toUpperCase())}`}
                      testid="flow-trace-link"
                    >
                      Trace
                    </Link>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}
