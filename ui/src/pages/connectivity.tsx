/**
 * Connectivity: a namespace (or, when few, pod) graph and a pod × pod matrix for one port,
 * green allow / red deny, filterable. The matrix is one canvas (an ImageData pixel per pair,
 * scaled), never a DOM node per cell, and the engine computes it per equivalence class
 * (verdictMatrix), so 1,000 pods render in well under a second. The page records the time
 * from the data's arrival to the drawn matrix as `window.__tabbyMatrix` and the performance
 * measure `tabby:matrix`.
 */
import { useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { parseMatrixPort, verdictMatrix, type MatrixPort, type VerdictMatrix } from '../../../src/engine/index.js';
import { navigate, navigatedAt } from '../router.js';
import { world } from '../store.js';

export interface MatrixTiming {
  readonly ms: number;
  readonly pods: number;
  readonly shown: number;
  readonly classes: number;
  readonly port: string;
  readonly buildMs: number;
  readonly matrixMs: number;
  readonly drawMs: number;
  readonly version: number;
}

declare global {
  interface Window {
    __tabbyMatrix?: MatrixTiming;
  }
}

const ALLOW = [46, 160, 67];
const DENY = [207, 34, 46];
const GRAPH_PODS = 40;
/** The matrix's largest size on screen (px); labels take ROW_LABEL_PX left and COL_LABEL_PX above. */
const MATRIX_PX = 900;
const ROW_LABEL_PX = 220;
const COL_LABEL_PX = 150;
/** The smallest band (px) that gets a label of its own. */
const MIN_LABEL_PX = 11;

export interface MatrixLabel {
  readonly text: string;
  /** Full name(s) for the tooltip. */
  readonly title: string;
  /** Offset (px on screen) of the band's start and its length, along the axis. */
  readonly at: number;
  readonly len: number;
}

/**
 * The labels of the matrix's rows (and, the same, its columns): one per pod when a cell is tall
 * enough to read, else one per run of pods of one namespace (`ns/ (n pods)`), each only when its
 * band is tall enough. Row i is pod subset[i].
 */
export function matrixLabels(pods: readonly string[], subset: readonly number[], cellPx: number): MatrixLabel[] {
  const out: MatrixLabel[] = [];
  if (cellPx >= MIN_LABEL_PX) {
    subset.forEach((p, i) => out.push({ text: pods[p]!, title: pods[p]!, at: i * cellPx, len: cellPx }));
    return out;
  }
  let start = 0;
  for (let i = 1; i <= subset.length; i++) {
    const ns = (j: number): string => pods[subset[j]!]!.split('/')[0]!;
    if (i < subset.length && ns(i) === ns(start)) continue;
    const count = i - start;
    if (count * cellPx >= MIN_LABEL_PX) out.push({ text: `${ns(start)}/ (${count} pod${count === 1 ? '' : 's'})`, title: `namespace ${ns(start)}: ${count} pod(s)`, at: start * cellPx, len: count * cellPx });
    start = i;
  }
  return out;
}

/** Graph labels: at most this many characters (longer names keep their end), ~6 px each at 10 px. */
const GRAPH_LABEL_CHARS = 40;
const GRAPH_CHAR_PX = 6;

/** Where a node's label goes: outside the circle, anchored away from the centre. */
function _labelPlace(angle: number): { anchor: 'start' | 'end' | 'middle'; dx: number; dy: number } {
  const c = Math.cos(angle);
  const anchor = c > 0.3 ? 'start' : c < -0.3 ? 'end' : 'middle';
  return { anchor, dx: anchor === 'start' ? 12 : anchor === 'end' ? -12 : 0, dy: anchor === 'middle' ? (Math.sin(angle) < 0 ? -14 : 20) : 4 };
}

function GraphLabel(props: { name: string; x: number; y: number; angle: number }) {
  const { anchor, dx, dy } = _labelPlace(props.angle);
  return (
    <text x={props.x + dx} y={props.y + dy} text-anchor={anchor} data-testid="graph-label">
      <title>{props.name}</title>
      {_fit(props.name, GRAPH_LABEL_CHARS)}
    </text>
  );
}

const _fit = (s: string, chars: number): string => (s.length > chars ? `…${s.slice(s.length - chars + 1)}` : s);

const portText = (p: MatrixPort): string => `${p.port}/${p.protocol}`;

export function ConnectivityPage(props: { query: URLSearchParams }) {
  const w = world.value!;
  const snap = w.snapshot;
  const defaultPort = props.query.get('port') ?? (w.ports[0] !== undefined ? portText(w.ports[0]) : '80/TCP');
  const [portInput, setPortInput] = useState(defaultPort);
  const [filter, setFilter] = useState(props.query.get('filter') ?? '');
  const [hover, setHover] = useState<string>('');
  const [lastMs, setLastMs] = useState<number | undefined>(undefined);
  const port = parseMatrixPort(portInput) ?? { protocol: 'TCP', port: 80 };
  const renderStart = performance.now();
  const drawnFor = useRef<unknown>(undefined);

  const computed = useMemo(() => {
    const t0 = performance.now();
    // A matrix for new data counts from the data's arrival (the snapshot build included), or
    // from the navigation here when the data was already in.
    const start = Math.min(t0, Math.max(w.dataAt, navigatedAt));
    const m: VerdictMatrix = verdictMatrix(snap, { protocol: port.protocol, port: port.port });
    return { m, start, matrixMs: performance.now() - t0 };
  }, [snap, port.protocol, port.port, w.dataAt]);
  const { m } = computed;

  const subset = useMemo(() => {
    const f = filter.trim().toLowerCase();
    const idx: number[] = [];
    m.pods.forEach((p, i) => {
      if (f === '' || p.toLowerCase().includes(f)) idx.push(i);
    });
    return idx;
  }, [m, filter]);

  const canvas = useRef<HTMLCanvasElement>(null);
  const n = m.pods.length;
  const k = subset.length;
  // One pixel per pair, scaled up to at most 24 px per cell and MATRIX_PX in all; `shownCell`
  // is the cell's size on screen, which the row and column labels follow.
  const shownCell = k === 0 ? 1 : Math.min(24, MATRIX_PX / k);
  const cell = Math.max(1, Math.floor(shownCell));
  const size = Math.max(1, k * cell);
  const shown = Math.max(1, k * shownCell);
  const labels = useMemo(() => matrixLabels(m.pods, subset, shownCell), [m, subset, shownCell]);

  useLayoutEffect(() => {
    const c = canvas.current;
    if (c === null) return;
    const d0 = performance.now();
    const start = drawnFor.current === computed ? renderStart : computed.start;
    const ctx = c.getContext('2d');
    if (ctx === null) return;
    const img = new ImageData(Math.max(1, k), Math.max(1, k));
    const px = img.data;
    const allowed = m.allowed;
    for (let a = 0; a < k; a++) {
      const row = subset[a]! * n;
      let o = a * k * 4;
      for (let b = 0; b < k; b++) {
        const col = allowed[row + subset[b]!] === 1 ? ALLOW : DENY;
        px[o] = col[0]!;
        px[o + 1] = col[1]!;
        px[o + 2] = col[2]!;
        px[o + 3] = 255;
        o += 4;
      }
    }
    if (cell === 1) ctx.putImageData(img, 0, 0);
    else {
      const off = new OffscreenCanvas(Math.max(1, k), Math.max(1, k));
      off.getContext('2d')!.putImageData(img, 0, 0);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(off, 0, 0, size, size);
    }
    const end = performance.now();
    const timing: MatrixTiming = {
      ms: end - start,
      pods: n,
      shown: k,
      classes: m.classes,
      port: portText(port),
      buildMs: w.buildMs,
      matrixMs: computed.matrixMs,
      drawMs: end - d0,
      version: w.version,
    };
    window.__tabbyMatrix = timing;
    try {
      performance.measure('tabby:matrix', { start, end });
    } catch {
      // measure needs a non-negative range; the timing above is what matters
    }
    c.dataset['renderMs'] = timing.ms.toFixed(1);
    setLastMs(timing.ms);
    drawnFor.current = computed;
  }, [m, subset, cell, size]);

  const allowedCount = useMemo(() => {
    let s = 0;
    for (const a of subset) for (const b of subset) s += m.allowed[a * n + b]!;
    return s;
  }, [m, subset]);

  const at = (e: MouseEvent): [number, number] | undefined => {
    const r = (e.target as HTMLCanvasElement).getBoundingClientRect();
    const x = Math.floor(((e.clientX - r.left) / r.width) * k);
    const y = Math.floor(((e.clientY - r.top) / r.height) * k);
    return x >= 0 && y >= 0 && x < k && y < k ? [y, x] : undefined;
  };

  return (
    <div>
      <div class="toolbar">
        <label>
          Port{' '}
          <input list="ports" value={portInput} onInput={(e) => setPortInput((e.target as HTMLInputElement).value)} data-testid="matrix-port" size={10} />
          <datalist id="ports">
            {w.ports.map((p) => (
              <option value={portText(p)} />
            ))}
          </datalist>
        </label>
        <label>
          Filter{' '}
          <input placeholder="namespace/pod contains…" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} data-testid="matrix-filter" />
        </label>
        <span class="muted" data-testid="matrix-stats">
          {k} of {n} pods · {m.classes} equivalence classes · {allowedCount.toLocaleString()} of {(k * k).toLocaleString()} pairs allowed on {portText(port)} · rendered in{' '}
          {lastMs?.toFixed(0) ?? '…'} ms
        </span>
      </div>
      <div class="connectivity">
        <section>
          <h3>{k <= GRAPH_PODS ? 'Pods' : 'Namespaces'}</h3>
          <Graph m={m} subset={subset} byPod={k <= GRAPH_PODS} />
          <p class="legend">
            <span class="swatch allow" /> allowed <span class="swatch deny" /> denied <span class="swatch partial" /> some pairs allowed
          </p>
        </section>
        <section>
          <h3>
            Matrix <span class="muted">(row: source, column: destination; click a cell to trace it)</span>
          </h3>
          <p class="hover" data-testid="matrix-hover">
            {hover || '\u00a0'}
          </p>
          {k === 0 ? (
            <p class="muted">No pods{filter !== '' ? ' match the filter' : ''}.</p>
          ) : (
            <div class="matrix-grid" style={{ gridTemplateColumns: `${ROW_LABEL_PX}px ${shown}px`, gridTemplateRows: `${COL_LABEL_PX}px ${shown}px` }}>
              <span class="matrix-corner muted">source ↓ · destination →</span>
              <svg width={shown} height={COL_LABEL_PX} class="matrix-labels cols" data-testid="matrix-col-labels">
                {labels.map((l) => (
                  <text transform={`translate(${l.at + l.len / 2 + 4},${COL_LABEL_PX - 4}) rotate(-60)`} data-testid="matrix-col-label">
                    <title>{l.title}</title>
                    {_fit(l.text, 26)}
                  </text>
                ))}
              </svg>
              <svg width={ROW_LABEL_PX} height={shown} class="matrix-labels rows" data-testid="matrix-row-labels">
                {labels.map((l) => (
                  <text x={ROW_LABEL_PX - 6} y={l.at + l.len / 2} text-anchor="end" dominant-baseline="central" data-testid="matrix-row-label">
                    <title>{l.title}</title>
                    {_fit(l.text, 32)}
                  </text>
                ))}
              </svg>
              <canvas
                ref={canvas}
                width={size}
                height={size}
                style={{ width: `${shown}px`, height: `${shown}px` }}
                class="matrix"
                data-testid="matrix"
                onMouseMove={(e) => {
                  const p = at(e);
                  if (p === undefined) return setHover('');
                  const [a, b] = p;
                  const ok = m.allowed[subset[a]! * n + subset[b]!] === 1;
                  setHover(`${m.pods[subset[a]!]} → ${m.pods[subset[b]!]}: ${ok ? 'Allow' : 'Deny'}`);
                }}
                onClick={(e) => {
                  const p = at(e);
                  if (p === undefined) return;
                  navigate(`/trace?from=${encodeURIComponent(m.pods[subset[p[0]]!]!)}&to=${encodeURIComponent(m.pods[subset[p[1]]!]!)}&port=${port.port}&protocol=${port.protocol}`);
                }}
              />
            </div>
          )}
        </section>
      </div>
    </div>
  );
}

function Graph(props: { m: VerdictMatrix; subset: readonly number[]; byPod: boolean }) {
  const { m, subset, byPod } = props;
  const n = m.pods.length;
  const groups = useMemo(() => {
    const names: string[] = [];
    const of = new Map<string, number>();
    const groupOf = new Int32Array(subset.length);
    subset.forEach((i, s) => {
      const key = byPod ? m.pods[i]! : m.pods[i]!.split('/')[0]!;
      let g = of.get(key);
      if (g === undefined) {
        g = names.length;
        of.set(key, g);
        names.push(key);
      }
      groupOf[s] = g;
    });
    const g = names.length;
    const allow = new Float64Array(g * g);
    const total = new Float64Array(g * g);
    for (let a = 0; a < subset.length; a++) {
      const ga = groupOf[a]! * g;
      const row = subset[a]! * n;
      for (let b = 0; b < subset.length; b++) {
        const cell = ga + groupOf[b]!;
        total[cell]!++;
        allow[cell]! += m.allowed[row + subset[b]!]!;
      }
    }
    return { names, allow, total };
  }, [m, subset, byPod]);
  const g = groups.names.length;
  // Nodes on a circle; each label sits outside its node, anchored away from the centre, and the
  // drawing is padded by the longest label so no name is cut off at the edge.
  const R = 150;
  const angle = (i: number): number => (2 * Math.PI * i) / Math.max(1, g) - Math.PI / 2;
  let padX = 16;
  let padY = 28;
  groups.names.forEach((name, i) => {
    const { anchor, dx, dy } = _labelPlace(angle(i));
    const w = Math.min(GRAPH_LABEL_CHARS, name.length) * GRAPH_CHAR_PX;
    const x = R * Math.cos(angle(i)) + dx;
    const [left, right] = anchor === 'start' ? [x, x + w] : anchor === 'end' ? [x - w, x] : [x - w / 2, x + w / 2];
    padX = Math.max(padX, right - R + 8, -left - R + 8);
    const y = R * Math.sin(angle(i)) + dy;
    padY = Math.max(padY, y + 6 - R, -(y - 12) - R);
  });
  const W = 2 * (R + padX);
  const H = 2 * (R + padY);
  const pos = groups.names.map((_, i) => [W / 2 + R * Math.cos(angle(i)), H / 2 + R * Math.sin(angle(i))] as const);
  const edges = [];
  for (let a = 0; a < g; a++)
    for (let b = 0; b < g; b++) {
      if (a === b) continue;
      const t = groups.total[a * g + b]!;
      if (t === 0) continue;
      const al = groups.allow[a * g + b]!;
      const cls = al === t ? 'allow' : al === 0 ? 'deny' : 'partial';
      const [x1, y1] = pos[a]!;
      const [x2, y2] = pos[b]!;
      // offset each direction a little so a→b and b→a do not overlap
      const dx = y2 - y1;
      const dy = x1 - x2;
      const len = Math.hypot(dx, dy) || 1;
      const o = 3;
      edges.push(
        <line class={`edge ${cls}`} x1={x1 + (dx / len) * o} y1={y1 + (dy / len) * o} x2={x2 + (dx / len) * o} y2={y2 + (dy / len) * o} marker-end={`url(#arrow-${cls})`}>
          <title>{`${groups.names[a]} → ${groups.names[b]}: ${al}/${t} allowed`}</title>
        </line>,
      );
    }
  return (
    <svg width={W} height={H} viewBox={`0 0 ${W} ${H}`} class="graph" data-testid="graph">
      <defs>
        {['allow', 'deny', 'partial'].map((c) => (
          <marker id={`arrow-${c}`} viewBox="0 0 10 10" refX="18" refY="5" markerWidth="5" markerHeight="5" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" class={`arrowhead ${c}`} />
          </marker>
        ))}
      </defs>
      {edges}
      {groups.names.map((name, i) => {
        const self = groups.total[i * g + i]!;
        const selfAllow = groups.allow[i * g + i]!;
        const cls = self === 0 ? '' : selfAllow === self ? 'allow' : selfAllow === 0 ? 'deny' : 'partial';
        return (
          <g>
            <circle cx={pos[i]![0]} cy={pos[i]![1]} r={8} class={`node ${cls}`}>
              <title>{`${name}: ${selfAllow}/${self} pairs within allowed`}</title>
            </circle>
            <GraphLabel name={name} x={pos[i]![0]} y={pos[i]![1]} angle={angle(i)} />
          </g>
        );
      })}
    </svg>
  );
}
