/** Policies by tier and order, what each selects, staged beside enforced; YAML view and editor. */
import { useEffect, useState } from 'preact/hooks';
import { signal } from '@preact/signals';
import { applyChanges, buildSnapshot, diffVerdicts, enforcedCounterpart, type CompiledPolicy } from '../../../src/engine/index.js';
import type { Resource } from '../../../src/model/meta.js';
import { applyObject, deleteObject } from '../api.js';
import { toYaml, validateText, YamlEditor } from '../editor.js';
import { findPolicy, policyParam, policySource, selectedBy } from '../policy-ref.js';
import { Link, navigate } from '../router.js';
import { findObject, objectsOf, readOnly, world } from '../store.js';

const STAGED_TYPES = ['projectcalico.org/stagedglobalnetworkpolicies', 'projectcalico.org/stagednetworkpolicies', 'projectcalico.org/stagedkubernetesnetworkpolicies'];

const fmtOrder = (n: number): string => (Number.isFinite(n) ? String(n) : '—');
const types = (p: CompiledPolicy): string => [p.ingress ? 'Ingress' : '', p.egress ? 'Egress' : ''].filter(Boolean).join(', ') || '—';

export function PoliciesPage(props: { query: URLSearchParams }) {
  const w = world.value!;
  const snap = w.snapshot;
  const [filter, setFilter] = useState('');
  const selected = props.query.get('policy');
  const staged = props.query.get('staged');
  const byTier = new Map<string, CompiledPolicy[]>();
  for (const p of snap.enforced.policies) {
    if (filter !== '' && !`${p.id} ${p.kind} ${p.selector.text}`.toLowerCase().includes(filter.toLowerCase())) continue;
    let l = byTier.get(p.tier);
    if (l === undefined) byTier.set(p.tier, (l = []));
    l.push(p);
  }
  const tiers = [...snap.tiers.values()].sort((a, b) => (a.order !== b.order ? (a.order < b.order ? -1 : 1) : a.name < b.name ? -1 : 1));
  const stagedObjects = STAGED_TYPES.flatMap((t) => objectsOf(t).map((o) => ({ t, o })));
  return (
    <div class="split">
      <section class="list">
        <h2>Enforced policies</h2>
        <input class="filter" placeholder="filter by name, kind or selector" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} data-testid="policy-filter" />
        {tiers.map((t) => {
          const ps = byTier.get(t.name) ?? [];
          return (
            <div class="tier" data-testid={`tier-${t.name}`}>
              <h3>
                Tier <b>{t.name}</b> <span class="muted">order {fmtOrder(t.order)} · default action {t.defaultAction} · {ps.length} polic{ps.length === 1 ? 'y' : 'ies'}</span>
              </h3>
              {ps.length > 0 && (
                <table class="grid">
                  <thead>
                    <tr>
                      <th>order</th>
                      <th>policy · kind</th>
                      <th class="selector">selector</th>
                      <th>types</th>
                      <th>selects</th>
                    </tr>
                  </thead>
                  <tbody>
                    {ps.map((p) => {
                      const s = selectedBy(snap, p);
                      return (
                        <tr class={selected === policyParam(p) ? 'sel' : ''} data-testid="policy-row" data-policy={p.id}>
                          <td>{fmtOrder(p.order)}</td>
                          <td class="policy">
                            <Link to={`/policies?policy=${encodeURIComponent(policyParam(p))}`}>{p.id}</Link>
                            <div class="small muted">{p.kind}</div>
                          </td>
                          <td class="selector">
                            <code>{p.selector.text || 'all()'}</code>
                          </td>
                          <td>{types(p)}</td>
                          <td class="selects">
                            {s.workloads.length}&nbsp;pod{s.workloads.length === 1 ? '' : 's'} · {s.hosts.length}&nbsp;host{s.hosts.length === 1 ? '' : 's'}
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              )}
            </div>
          );
        })}
        <h2>Staged policies</h2>
        {stagedObjects.length === 0 ? (
          <p class="muted">No staged policies. Stage one (StagedGlobalNetworkPolicy, StagedNetworkPolicy, StagedKubernetesNetworkPolicy) to see what it would change before enforcing it.</p>
        ) : (
          <table class="grid" data-testid="staged">
            <thead>
              <tr>
                <th>policy</th>
                <th>kind</th>
                <th>action</th>
                <th>tier</th>
              </tr>
            </thead>
            <tbody>
              {stagedObjects.map(({ t, o }) => {
                const spec = (o['spec'] ?? {}) as { stagedAction?: string; tier?: string };
                const key = `${t}:${o.metadata.namespace ?? ''}/${o.metadata.name}`;
                return (
                  <tr class={staged === key ? 'sel' : ''}>
                    <td>
                      <Link to={`/policies?staged=${encodeURIComponent(key)}`}>{o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name}</Link>
                    </td>
                    <td>{o.kind}</td>
                    <td>{spec.stagedAction ?? 'Set'}</td>
                    <td>{spec.tier ?? 'default'}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        {w.invalid.length > 0 && (
          <details>
            <summary>{w.invalid.length} stored objects the engine skips (invalid)</summary>
            <ul>
              {w.invalid.map((l) => (
                <li class="error">{l}</li>
              ))}
            </ul>
          </details>
        )}
      </section>
      <section class="detail">{selected !== null ? <PolicyDetail param={selected} /> : staged !== null ? <StagedDetail keyText={staged} /> : <p class="muted">Pick a policy to see its YAML, what it selects, and to edit it.</p>}</section>
    </div>
  );
}

function StagedDetail(props: { keyText: string }) {
  const i = props.keyText.indexOf(':');
  const t = props.keyText.slice(0, i);
  const [ns, name] = props.keyText.slice(i + 1).split('/') as [string, string];
  const o = findObject(t, ns, name);
  if (o === undefined)
    return (
      <div>
        <p class="muted">Gone: {props.keyText}</p>
        {promoted.value.key === props.keyText && <p data-testid="promote-status">{promoted.value.text}</p>}
      </div>
    );
  return (
    <div>
      <Promote raw={o as unknown as Record<string, unknown>} keyText={props.keyText} />
      <ObjectEditor title={`${o.kind} ${ns ? `${ns}/` : ''}${name}`} object={o} />
    </div>
  );
}

/**
 * `tabby promote` in the page: the flows enforcing this staged policy would change (the engine's
 * diff over every pod pair and declared port, in the browser), then, confirmed, the enforced
 * policy written (Set) or deleted (Delete) and the staged one deleted, through the API.
 */
/** The outcome of the last promotion, shown once the staged policy is gone (its page then says so). */
const promoted = signal<{ key: string; text: string }>({ key: '', text: '' });

function Promote(props: { raw: Record<string, unknown>; keyText: string }) {
  const [status, setStatus] = useState('');
  const w = world.value!;
  const raw = props.raw as unknown as Resource;
  const c = enforcedCounterpart(raw);
  if (c === undefined) return <p class="muted">stagedAction {String((props.raw['spec'] as { stagedAction?: unknown } | undefined)?.stagedAction)}: nothing to promote</p>;
  const m = raw.metadata ?? {};
  const enforced = { ...c.resource, metadata: { name: m.name, ...(m.namespace ? { namespace: m.namespace } : {}), ...(m.labels ? { labels: m.labels } : {}), ...(m.annotations ? { annotations: m.annotations } : {}) } } as Resource;
  const after = applyChanges(w.resources, { apply: c.action === 'Set' ? [enforced] : [], remove: c.action === 'Delete' ? [enforced, raw] : [raw] });
  const flips = diffVerdicts(w.snapshot, buildSnapshot(after), w.ports);
  const what = `${c.action === 'Set' ? 'enforce' : 'delete'} ${enforced.kind} ${m.namespace ? `${m.namespace}/` : ''}${m.name ?? ''}`;
  return (
    <div class="promote" data-testid="promote">
      <h3>Promote: {what}</h3>
      {flips.length === 0 ? (
        <p data-testid="promote-flips">no pod → pod flow changes (over {w.ports.length} declared ports)</p>
      ) : (
        <ul data-testid="promote-flips">
          {flips.slice(0, 50).map((f) => (
            <li>
              {f.from} → {f.to} {f.protocol}/{f.port}: {f.before} → {f.after}
            </li>
          ))}
          {flips.length > 50 && <li>… and {flips.length - 50} more</li>}
        </ul>
      )}
      {readOnly.value === undefined && (
        <button
          data-testid="promote-button"
          onClick={() => {
            if (!window.confirm(`${what}? ${flips.length} flow(s) change.`)) return;
            setStatus('promoting…');
            const write = c.action === 'Set' ? applyObject(enforced as unknown as Record<string, unknown>) : deleteObject(enforced as unknown as Record<string, unknown>).then(() => 'deleted');
            write
              .then((r) => {
                const text = `${enforced.kind} ${r}; staged policy deleted`;
                promoted.value = { key: props.keyText, text };
                return deleteObject(props.raw).then(() => setStatus(text));
              })
              .catch((e: unknown) => setStatus(`failed: ${e instanceof Error ? e.message : String(e)}`));
          }}
        >
          Promote
        </button>
      )}
      {status !== '' && <p data-testid="promote-status">{status}</p>}
    </div>
  );
}

function PolicyDetail(props: { param: string }) {
  const snap = world.value!.snapshot;
  const p = findPolicy(snap, props.param);
  if (p === undefined) return <p class="muted">No policy {props.param} (deleted?)</p>;
  const src = policySource(p);
  const s = selectedBy(snap, p);
  return (
    <div data-testid="policy-detail">
      <h2>
        {p.kind} {p.id}
      </h2>
      <p>
        Tier <b>{p.tier}</b>, order {fmtOrder(p.order)}, {types(p)}; {p.ingressRules.length} ingress and {p.egressRules.length} egress rule(s)
        {p.preDNAT ? ', preDNAT' : ''}
        {p.doNotTrack ? ', doNotTrack' : ''}
        {p.applyOnForward ? ', applyOnForward' : ''}.
      </p>
      <p>
        Selects <b>{s.workloads.length}</b> pod(s) and <b>{s.hosts.length}</b> host endpoint(s)
        {s.workloads.length + s.hosts.length > 0 && ': '}
        {[...s.hosts, ...s.workloads].slice(0, 40).map((k, i) => (
          <>
            {i > 0 && ', '}
            <Link to={`/endpoints?endpoint=${encodeURIComponent(k)}`}>{k}</Link>
          </>
        ))}
        {s.workloads.length + s.hosts.length > 40 && ', …'}
      </p>
      {src !== undefined ? <ObjectEditor title="YAML" object={src} /> : <p class="muted">The source object is not in view.</p>}
    </div>
  );
}

function ObjectEditor(props: { title: string; object: object }) {
  const yamlText = toYaml(props.object);
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(yamlText);
  const [status, setStatus] = useState('');
  useEffect(() => {
    if (!editing) setText(yamlText);
  }, [yamlText, editing]);
  const valid = validateText(text).errors.length === 0;
  return (
    <div>
      <h3>
        {props.title}{' '}
        {!editing && (
          <button onClick={() => setEditing(true)} data-testid="edit">
            Edit
          </button>
        )}
      </h3>
      {editing ? (
        <>
          <YamlEditor text={text} onText={setText} />
          <div class="actions">
            {readOnly.value === undefined && <button
              disabled={!valid}
              data-testid="apply"
              onClick={() => {
                setStatus('applying…');
                const docs = validateText(text).resources;
                Promise.all(docs.map((d) => applyObject(d.raw as Record<string, unknown>))).then(
                  (r) => {
                    setStatus(`applied (${r.join(', ')})`);
                    setEditing(false);
                  },
                  (e: unknown) => setStatus(`refused: ${e instanceof Error ? e.message : String(e)}`),
                );
              }}
            >
              Apply
            </button>}
            <button
              title="preview in What-if"
              class="link"
              data-testid="preview-whatif"
              onClick={() => {
                sessionStorage.setItem('tabby.whatif', text);
                navigate('/what-if');
              }}
            >
              Preview in What-if
            </button>
            <button
              class="link"
              onClick={() => {
                setEditing(false);
                setText(yamlText);
              }}
            >
              Cancel
            </button>
          </div>
        </>
      ) : (
        <pre class="yaml" data-testid="yaml-view">
          {yamlText}
        </pre>
      )}
      {status !== '' && <p data-testid="apply-status">{status}</p>}
    </div>
  );
}
