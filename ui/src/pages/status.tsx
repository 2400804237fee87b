/**
 * Enforcement status: per node, the datastore revision its agent has programmed (the
 * `tabby.dev/programmed-revision` annotation the agent writes on the projectcalico.org/v3 Node),
 * against the newest revision of the cluster's policy-relevant state.
 */
import { DASHBOARD_TYPES } from '../../../src/web/protocol.js';
import { latestRevision, objectsOf, recentChanges } from '../store.js';

const A = {
  revision: 'tabby.dev/programmed-revision',
  at: 'tabby.dev/programmed-at',
  count: 'tabby.dev/policy-count',
  policies: 'tabby.dev/programmed-policies',
} as const;

export function StatusPage() {
  const calico = new Map(objectsOf('projectcalico.org/nodes').map((n) => [n.metadata.name, n]));
  const names = [...new Set([...objectsOf('nodes').map((n) => n.metadata.name), ...calico.keys()])].sort();
  // The newest revision among what agents program from (their own status writes on Calico Nodes excluded).
  let latest = 0n;
  for (const t of DASHBOARD_TYPES) {
    if (t.id === 'projectcalico.org/nodes') continue;
    for (const o of objectsOf(t.id)) {
      const rv = o.metadata.resourceVersion;
      if (rv !== undefined && /^\d+$/.test(rv) && BigInt(rv) > latest) latest = BigInt(rv);
    }
  }
  return (
    <div>
      <h2>Enforcement</h2>
      <p>
        The dashboard reflects revision <b data-testid="latest-revision">{latestRevision.value}</b>; the newest policy-relevant change is revision <b>{latest.toString()}</b>. A change written at revision R is enforced on a node once its programmed revision is ≥ R.
      </p>
      {names.length === 0 ? (
        <p class="muted">No nodes.</p>
      ) : (
        <table class="grid" data-testid="status-nodes">
          <thead>
            <tr>
              <th>node</th>
              <th>programmed revision</th>
              <th>programmed at</th>
              <th>policies</th>
              <th>state</th>
            </tr>
          </thead>
          <tbody>
            {names.map((name) => {
              const ann = calico.get(name)?.metadata.annotations ?? {};
              const rev = ann[A.revision];
              const state = rev === undefined ? 'no agent' : /^\d+$/.test(rev) && BigInt(rev) >= latest ? 'current' : 'behind';
              return (
                <tr>
                  <td>{name}</td>
                  <td>{rev ?? '—'}</td>
                  <td>{ann[A.at] ?? '—'}</td>
                  <td title={ann[A.policies] ?? ''}>{ann[A.count] ?? '—'}</td>
                  <td class={state === 'current' ? 'allow' : state === 'behind' ? 'partial' : 'muted'}>
                    {state === 'no agent' ? 'no agent has reported (policies stored, not enforced)' : state === 'behind' ? `behind (${latest - BigInt(rev!)} revisions; programming or a revision that did not touch this node)` : 'current'}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <h3>Recent changes (live)</h3>
      {recentChanges.value.length === 0 ? (
        <p class="muted">None since the page opened.</p>
      ) : (
        <ul data-testid="recent-changes">
          {recentChanges.value.map((c) => (
            <li>
              rev {c.revision}: {c.type.toLowerCase()} {c.kind} {c.name}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
