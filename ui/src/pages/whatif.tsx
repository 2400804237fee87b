/**
 * What-if: paste or edit YAML → the pod-to-pod flows it would newly allow or deny (over every
 * declared port, plus any port named), before applying it. Same engine (applyChanges +
 * diffVerdicts, as `tabby diff`), run in the browser on the live snapshot.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { applyChanges, buildSnapshot, diffVerdicts, parseMatrixPort, promoteStaged, type MatrixPort, type VerdictChange } from '../../../src/engine/index.js';
import type { Resource } from '../../../src/model/meta.js';
import { applyObject, deleteObject } from '../api.js';
import { validateText, YamlEditor } from '../editor.js';
import { Link } from '../router.js';
import { readOnly, world } from '../store.js';

const EXAMPLE = `# Paste one or more resources; the preview shows what they would change.
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: deny-all-ingress
spec:
  order: 10
  selector: all()
  types: [Ingress]
  ingress:
  - action: Deny
`;

const MAX_SHOWN = 500;

interface Preview {
  readonly changes: readonly VerdictChange[];
  readonly ports: readonly MatrixPort[];
  readonly ms: number;
  readonly label: string;
  /** The editor text the preview was computed from (undefined: not from the text). */
  readonly text?: string;
}

export function WhatIfPage() {
  const w = world.value!;
  const [text, setText] = useState(() => sessionStorage.getItem('tabby.whatif') ?? EXAMPLE);
  const [remove, setRemove] = useState(false);
  const [extraPorts, setExtraPorts] = useState('');
  const [preview, setPreview] = useState<Preview | undefined>(undefined);
  const [status, setStatus] = useState('');
  const parsed = useMemo(() => validateText(text), [text]);
  // A preview next to a new validation error would describe text that is no longer there.
  const invalid = parsed.errors.length > 0;
  useEffect(() => {
    if (invalid) setPreview(undefined);
  }, [invalid, text]);
  const ports = useMemo(() => {
    const extra = extraPorts
      .split(/[\s,]+/)
      .filter((s) => s !== '')
      .map((s) => parseMatrixPort(s))
      .filter((p): p is MatrixPort => p !== undefined);
    const seen = new Map<string, MatrixPort>();
    for (const p of [...w.ports, ...extra]) seen.set(`${p.protocol}/${p.port}`, p);
    if (seen.size === 0) seen.set('TCP/80', { protocol: 'TCP', port: 80 });
    return [...seen.values()];
  }, [w.ports, extraPorts]);

  const run = (after: Resource[], label: string, from?: string): void => {
    const t0 = performance.now();
    const changes = diffVerdicts(w.snapshot, buildSnapshot(after), ports);
    setPreview({ changes, ports, ms: performance.now() - t0, label, ...(from === undefined ? {} : { text: from }) });
  };
  const newlyAllowed = preview?.changes.filter((c) => c.after === 'Allow') ?? [];
  const newlyDenied = preview?.changes.filter((c) => c.after === 'Deny') ?? [];
  const ok = parsed.errors.length === 0 && parsed.resources.length > 0;
  return (
    <div class="split">
      <section class="list">
        <h2>What-if</h2>
        <YamlEditor text={text} onText={(t) => {
          setText(t);
          sessionStorage.setItem('tabby.whatif', t);
        }} testid="whatif-yaml" />
        <div class="actions">
          <label>
            <input type="checkbox" checked={remove} onChange={(e) => setRemove((e.target as HTMLInputElement).checked)} /> delete these instead of applying them
          </label>
          <label>
            extra ports <input value={extraPorts} placeholder="e.g. 443/TCP 53/UDP" onInput={(e) => setExtraPorts((e.target as HTMLInputElement).value)} size={16} />
          </label>
        </div>
        <div class="actions">
          <button
            disabled={!ok}
            data-testid="whatif-run"
            onClick={() => {
              const docs = parsed.resources.map((r) => r.resource);
              run(applyChanges(w.resources, remove ? { remove: docs } : { apply: docs }), remove ? 'deleting the documents' : 'applying the documents', text);
            }}
          >
            Preview
          </button>
          <button data-testid="whatif-staged" onClick={() => run(promoteStaged(w.resources), 'enforcing every staged policy')}>
            Preview enforcing the staged policies
          </button>
          {readOnly.value === undefined && <button
            disabled={!ok || preview === undefined}
            data-testid="whatif-apply"
            onClick={() => {
              setStatus(remove ? 'deleting…' : 'applying…');
              const raws = parsed.resources.map((r) => r.raw as Record<string, unknown>);
              Promise.all(raws.map((r) => (remove ? deleteObject(r).then(() => 'deleted') : applyObject(r)))).then(
                (r) => setStatus(`done: ${r.join(', ')}`),
                (e: unknown) => setStatus(`refused: ${e instanceof Error ? e.message : String(e)}`),
              );
            }}
          >
            {remove ? 'Delete' : 'Apply'} for real
          </button>}
        </div>
        {status !== '' && <p data-testid="whatif-status">{status}</p>}
      </section>
      <section class="detail" data-testid="whatif-result">
        {preview === undefined ? (
          <p class="muted">Preview shows the pod-to-pod flows whose verdict would change, over the ports the pods declare ({ports.map((p) => `${p.port}/${p.protocol}`).join(', ')}).</p>
        ) : (
          <>
            <h2 data-testid="whatif-summary">
              {label(preview)}: {newlyAllowed.length} newly allowed, {newlyDenied.length} newly denied
            </h2>
            {preview.text !== undefined && preview.text !== text && (
              <p class="warning" data-testid="whatif-stale">
                The text changed since this preview; press Preview again.
              </p>
            )}
            <p class="muted">
              over {preview.ports.map((p) => `${p.port}/${p.protocol}`).join(', ')} · {w.snapshot.workloads.length} pods · computed in {preview.ms.toFixed(0)} ms
            </p>
            <Changes title="Newly denied" cls="deny" list={newlyDenied} />
            <Changes title="Newly allowed" cls="allow" list={newlyAllowed} />
          </>
        )}
      </section>
    </div>
  );
}

const label = (p: Preview): string => `${p.label[0]!.toUpperCase()}${p.label.slice(1)}`;

function Changes(props: { title: string; cls: string; list: readonly VerdictChange[] }) {
  if (props.list.length === 0) return null;
  return (
    <div>
      <h3 class={props.cls}>
        {props.title} ({props.list.length})
      </h3>
      <table class="grid" data-testid={`whatif-${props.cls}`}>
        <thead>
          <tr>
            <th>from</th>
            <th>to</th>
            <th>port</th>
            <th>before → after</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {props.list.slice(0, MAX_SHOWN).map((c) => (
            <tr>
              <td>{c.from}</td>
              <td>{c.to}</td>
              <td>
                {c.port}/{c.protocol}
              </td>
              <td>
                {c.before} → <span class={props.cls}>{c.after}</span>
              </td>
              <td>
                <Link to={`/trace?from=${encodeURIComponent(c.from)}&to=${encodeURIComponent(c.to)}&port=${c.port}&protocol=${c.protocol}`}>trace now</Link>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {props.list.length > MAX_SHOWN && <p class="muted">and {props.list.length - MAX_SHOWN} more</p>}
    </div>
  );
}
