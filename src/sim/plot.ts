/**
 * @module The scale curve as an SVG (pure): three panels over the number of nodes — propagation
 * p99 (ms, with the 1 s goal), API server CPU (% of one core) and API server RSS (MiB, with the
 * 4 GiB goal). Each point is one `tabby sim` run; `docs/scale.md` says how the PNG is made from it.
 */

export interface CurvePoint {
  readonly nodes: number;
  readonly p99Ms: number;
  readonly serverCpuPercent: number;
  readonly serverRssMiB: number;
  /** Short note printed beside the point (e.g. `did not catch up`). */
  readonly note?: string;
}

const W = 1200;
const H = 420;
const _esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const _fmt = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

function _panel(x0: number, title: string, unit: string, pts: readonly { x: number; y: number; note?: string | undefined }[], goal: number | undefined, xs: readonly number[]): string {
  const pw = 340;
  const ph = 280;
  const top = 70;
  const left = x0 + 60;
  const ymax = Math.max(1, ...pts.map((p) => p.y), goal ?? 0) * 1.15;
  const xmin = Math.min(...xs);
  const xmax = Math.max(...xs);
  const lx = (v: number): number => left + (xmax === xmin ? pw / 2 : ((Math.log(v) - Math.log(xmin)) / (Math.log(xmax) - Math.log(xmin))) * pw);
  const ly = (v: number): number => top + ph - (v / ymax) * ph;
  const out: string[] = [];
  out.push(`<text x="${left + pw / 2}" y="40" text-anchor="middle" font-size="17" font-weight="bold">${_esc(title)}</text>`);
  out.push(`<line x1="${left}" y1="${top + ph}" x2="${left + pw}" y2="${top + ph}" stroke="#333"/><line x1="${left}" y1="${top}" x2="${left}" y2="${top + ph}" stroke="#333"/>`);
  for (let k = 0; k <= 4; k++) {
    const v = (ymax * k) / 4;
    out.push(`<line x1="${left}" y1="${ly(v)}" x2="${left + pw}" y2="${ly(v)}" stroke="#ddd"/>`);
    out.push(`<text x="${left - 6}" y="${ly(v) + 4}" text-anchor="end" font-size="12">${_fmt(v)}</text>`);
  }
  for (const x of xs) out.push(`<text x="${lx(x)}" y="${top + ph + 18}" text-anchor="middle" font-size="12">${x}</text>`);
  out.push(`<text x="${left + pw / 2}" y="${top + ph + 38}" text-anchor="middle" font-size="13">nodes (log scale)</text>`);
  out.push(`<text x="${x0 + 14}" y="${top + ph / 2}" text-anchor="middle" font-size="13" transform="rotate(-90 ${x0 + 14} ${top + ph / 2})">${_esc(unit)}</text>`);
  if (goal !== undefined) {
    out.push(`<line x1="${left}" y1="${ly(goal)}" x2="${left + pw}" y2="${ly(goal)}" stroke="#c00" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${left + pw - 4}" y="${ly(goal) - 5}" text-anchor="end" font-size="12" fill="#c00">goal ${_fmt(goal)}</text>`);
  }
  const sorted = [...pts].sort((a, b) => a.x - b.x);
  out.push(`<polyline fill="none" stroke="#1f5fbf" stroke-width="2.5" points="${sorted.map((p) => `${lx(p.x)},${ly(p.y)}`).join(' ')}"/>`);
  for (const p of sorted) {
    out.push(`<circle cx="${lx(p.x)}" cy="${ly(p.y)}" r="5" fill="#1f5fbf"/>`);
    out.push(`<text x="${lx(p.x) + 7}" y="${ly(p.y) - 8}" font-size="12">${_fmt(p.y)}${p.note !== undefined ? ` (${_esc(p.note)})` : ''}</text>`);
  }
  return out.join('\n');
}

/** `failures`: sizes that did not finish (drawn as a red line under the panels: where it broke). */
export function renderScaleSvg(points: readonly CurvePoint[], subtitle: string, failures: readonly string[] = []): string {
  const xs = [...new Set(points.map((p) => p.nodes))].sort((a, b) => a - b);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Arial, sans-serif">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    _panel(0, 'propagation p99 (write → every node)', 'ms', points.map((p) => ({ x: p.nodes, y: p.p99Ms, note: p.note })), 1000, xs),
    _panel(400, 'API server CPU', '% of one core', points.map((p) => ({ x: p.nodes, y: p.serverCpuPercent })), undefined, xs),
    _panel(800, 'API server RSS', 'MiB', points.map((p) => ({ x: p.nodes, y: p.serverRssMiB })), 4096, xs),
    `<text x="${W / 2}" y="${H - 12}" text-anchor="middle" font-size="12" fill="#555">${_esc(subtitle)}</text>`,
    ...failures.map((f, i) => `<text x="${W / 2}" y="${62 + 16 * i}" text-anchor="middle" font-size="13" fill="#c00">did not finish: ${_esc(f.slice(0, 150))}</text>`),
    '</svg>',
    '',
  ].join('\n');
}
