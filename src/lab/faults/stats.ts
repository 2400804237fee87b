/**
 * @module Percentiles for the fault suite's figures (nearest rank, as the benches use).
 */

/** The `p`-th percentile (0-100) of `xs` by nearest rank; NaN for no samples. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))]!;
}
