/**
 * Paired tests for any statistic of a set of examples — a mean of per-example scores (token F1) or a
 * corpus-level metric (macro-F1, the recall of one label) that is not a mean of anything. Both
 * programs were run on the same examples, so the tests resample whole pairs. Seeded: a report is
 * reproducible.
 */
import { createRng } from '../random';
import { percentile } from './percentile';

export interface Pair<T> {
  baseline: T;
  candidate: T;
}

/** A corpus-level statistic of one program's rows; NaN when undefined on a sample. */
export type Statistic<T> = (rows: readonly T[]) => number;

export interface PairedTestOptions {
  iterations?: number;
  seed?: number;
}

const checkIterations = (iterations: number): void => {
  if (!Number.isSafeInteger(iterations) || iterations < 1) throw new RangeError(`iterations must be a positive integer, got ${iterations}`);
};

export function pairedDelta<T>(pairs: readonly Pair<T>[], statistic: Statistic<T>): number {
  return statistic(pairs.map((p) => p.candidate)) - statistic(pairs.map((p) => p.baseline));
}

/**
 * Two-sided paired permutation (randomisation) test: under H0 the two programs are exchangeable on
 * every example, so each pair's rows are swapped with probability ½ and the delta recomputed.
 * p = (1 + #{|delta*| ≥ |delta|}) / (1 + iterations), never 0 (Phipson & Smyth 2010).
 */
export function pairedPermutationTest<T>(pairs: readonly Pair<T>[], statistic: Statistic<T>, { iterations = 2000, seed = 0 }: PairedTestOptions = {}): number {
  checkIterations(iterations);
  if (pairs.length === 0) throw new RangeError('pairedPermutationTest needs at least one pair');
  const observed = Math.abs(pairedDelta(pairs, statistic));
  // Float noise must not make an identical-by-construction delta count as smaller.
  const bar = observed - 1e-12;
  const rng = createRng(seed);
  let atLeast = 0;
  for (let it = 0; it < iterations; it++) {
    const a: T[] = [];
    const b: T[] = [];
    for (const p of pairs) {
      const swap = rng.next() < 0.5;
      a.push(swap ? p.baseline : p.candidate);
      b.push(swap ? p.candidate : p.baseline);
    }
    if (Math.abs(statistic(a) - statistic(b)) >= bar) atLeast++;
  }
  return (1 + atLeast) / (1 + iterations);
}

/**
 * Percentile-bootstrap interval of the delta of a statistic: resample whole pairs, recompute both
 * programs' statistic on the resample. Resamples where the statistic is undefined (NaN: e.g. no
 * example of a rare label drawn) are skipped.
 */
export function pairedBootstrapDeltaCI<T>(
  pairs: readonly Pair<T>[],
  statistic: Statistic<T>,
  { iterations = 2000, seed = 0, level = 0.95 }: PairedTestOptions & { level?: number } = {},
): [number, number] {
  checkIterations(iterations);
  if (pairs.length === 0) throw new RangeError('pairedBootstrapDeltaCI needs at least one pair');
  if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1), got ${level}`);
  const rng = createRng(seed);
  const n = pairs.length;
  const deltas: number[] = [];
  for (let it = 0; it < iterations; it++) {
    const sample = Array.from({ length: n }, () => pairs[rng.int(n)] as Pair<T>);
    const delta = pairedDelta(sample, statistic);
    if (Number.isFinite(delta)) deltas.push(delta);
  }
  const tail = ((1 - level) / 2) * 100;
  return [percentile(deltas, tail), percentile(deltas, 100 - tail)];
}
