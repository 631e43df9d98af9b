import { createRng } from '../random';
import { percentile } from './percentile';

export interface BootstrapOptions {
  iterations?: number;
  /** Confidence level in (0, 1). */
  level?: number;
  seed?: number;
}

/**
 * Percentile-bootstrap confidence interval for the mean of paired differences (candidate − baseline
 * per example). Resampling whole pairs keeps the pairing, which is what makes the interval narrow
 * when both programs succeed and fail on the same examples. Seeded, so a report is reproducible.
 */
export function pairedBootstrapCI(
  diffs: readonly number[],
  { iterations = 2000, level = 0.95, seed = 0 }: BootstrapOptions = {},
): [number, number] {
  if (diffs.length === 0) throw new RangeError('pairedBootstrapCI needs at least one paired difference');
  if (!Number.isSafeInteger(iterations) || iterations < 1) throw new RangeError(`iterations must be a positive integer, got ${iterations}`);
  if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1), got ${level}`);

  const rng = createRng(seed);
  const n = diffs.length;
  const means: number[] = [];
  for (let it = 0; it < iterations; it++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += diffs[rng.int(n)] as number;
    means.push(sum / n);
  }
  const tail = ((1 - level) / 2) * 100;
  return [percentile(means, tail), percentile(means, 100 - tail)];
}
