/**
 * @module Go's text/tabwriter as calicoctl configures it (`tabwriter.NewWriter(out, 5, 1, 3,
 * ' ', 0)`): every cell is followed by a tab, so every column — the last one too — is padded
 * with spaces to the widest cell plus 3 (at least 5). Lines therefore end in spaces, exactly
 * as calicoctl prints them. Pure.
 */

const MIN_WIDTH = 5;
const PADDING = 3;

/** Width as tabwriter counts it: one per Unicode code point. */
const _width = (s: string): number => [...s].length;

/** Renders rows of tab-terminated cells; all rows have the same number of cells. */
export function tabwrite(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? MIN_WIDTH, _width(cell) + PADDING);
    });
  return rows.map((row) => `${row.map((cell, i) => cell + ' '.repeat((widths[i] ?? MIN_WIDTH) - _width(cell))).join('')}\n`).join('');
}

/**
 * Go's `%v` of a float64 (`strconv.FormatFloat(f, 'g', -1, 64)`): shortest digits, with an
 * exponent when it is below -4 or at least 6 — so 1000000 prints as `1e+06`.
 */
export function goFloat(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'NaN' : n > 0 ? '+Inf' : '-Inf';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const [mant, ex] = n.toExponential().split('e') as [string, string];
  const x = Number(ex);
  if (x < -4 || x >= 6) return `${mant}e${x < 0 ? '-' : '+'}${String(Math.abs(x)).padStart(2, '0')}`;
  return String(n);
}
