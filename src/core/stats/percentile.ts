/**
 * Percentiles by linear interpolation between closest ranks (numpy's default, Excel's PERCENTILE.INC).
 * An empty sample yields 0, not NaN: reports are stored as JSON, where NaN would silently become null.
 */
export function percentile(values: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile p must be in [0, 100], got ${p}`);
  if (values.length === 0) return 0;
  const sorted = values.slice().sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (rank - lo);
}

export interface LatencySummary {
  p50: number;
  p95: number;
}

export function latencySummary(values: readonly number[]): LatencySummary {
  return { p50: percentile(values, 50), p95: percentile(values, 95) };
}
