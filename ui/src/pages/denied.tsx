/**
 * Denied traffic: the lab workers' packet-log lines, live (polled every 2 s), each with the
 * engine's verdict for its flow and the policy and rule that decided it (as `tabby logs`).
 */
import { useEffect, useState } from 'preact/hooks';
import { evaluateFlow } from '../../../src/engine/index.js';
import type { DeniedLine } from '../../../src/web/protocol.js';
import { readDenied } from '../api.js';
import { world } from '../store.js';
import { DecidedBy, decidingStage } from './trace.js';
import { Link } from '../router.js';

const POLL_MS = 2000;
const KEEP = 500;

export function DeniedPage() {
  const [lab, setLab] = useState<boolean | undefined>(undefined);
  const [nodes, setNodes] = useState<readonly string[]>([]);
  const [lines, setLines] = useState<readonly DeniedLine[]>([]);
  const [error, setError] = useState('');
  const [node, setNode] = useState('');
  useEffect(() => {
    let cursor = '';
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = (): void => {
      readDenied(cursor).then(
        (r) => {
          if (stopped) return;
          setError('');
          setLab(r.lab);
          setNodes(r.nodes);
          cursor = r.cursor;
          if (r.lines.length > 0) setLines((old) => [...old, ...r.lines].slice(-KEEP));
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
  }, []);
  const snap = world.value!.snapshot;
  if (lab === undefined) return <p class="muted">Reading the workers' logs…</p>;
  if (!lab)
    return (
      <div class="empty" data-testid="denied-empty">
        <h2>No denied traffic to show</h2>
        <p>
          Denied-traffic logs come from the lab's workers (one ulogd per worker writes the packets that Log rules catch). No lab runs beside this server: start one with{' '}
          <code>sudo tabby up</code>, add a <code>Log</code> rule before a <code>Deny</code>, and the lines appear here live.
        </p>
        {error !== '' && <p class="error">{error}</p>}
      </div>
    );
  const shown = [...lines].reverse().filter((l) => node === '' || l.node === node);
  return (
    <div>
      <div class="toolbar">
        <label>
          Worker{' '}
          <select value={node} onChange={(e) => setNode((e.target as HTMLSelectElement).value)}>
            <option value="">all ({nodes.length})</option>
            {nodes.map((n) => (
              <option value={n}>{n}</option>
            ))}
          </select>
        </label>
        <span class="muted">live · newest first · {lines.length} lines</span>
        {error !== '' && <span class="error">{error}</span>}
      </div>
      {shown.length === 0 ? (
        <p class="muted" data-testid="denied-none">
          No packets logged yet. Log rules (action: Log) write here; put one before a Deny to see what it drops.
        </p>
      ) : (
        <table class="grid" data-testid="denied-lines">
          <thead>
            <tr>
              <th>worker</th>
              <th>flow</th>
              <th>verdict now</th>
              <th>decided by</th>
              <th>log line</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((l) => {
              const f = l.fields;
              const src = f['SRC'];
              const dst = f['DST'];
              const proto = f['PROTO'];
              const v = src !== undefined && dst !== undefined && proto !== undefined ? evaluateFlow(snap, { from: src, to: dst, protocol: proto, ...(f['DPT'] !== undefined ? { port: Number(f['DPT']) } : {}) }) : undefined;
              return (
                <tr>
                  <td>{l.node}</td>
                  <td>
                    {src} → {dst} {proto}
                    {f['DPT'] !== undefined ? `/${f['DPT']}` : ''}
                  </td>
                  <td class={v?.action === 'Allow' ? 'allow' : 'deny'}>{v?.action ?? '?'}</td>
                  <td>
                    {v !== undefined && <DecidedBy stage={decidingStage(v.stages)} />}{' '}
                    {v !== undefined && (
                      <Link to={`/trace?from=${encodeURIComponent(src!)}&to=${encodeURIComponent(dst!)}&port=${f['DPT'] ?? ''}&protocol=${proto}`}>trace</Link>
                    )}
                  </td>
                  <td class="mono small">{l.line}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}
