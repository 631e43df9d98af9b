import { pairedBootstrapDeltaCI, pairedDelta, pairedPermutationTest, type Pair } from '../../src/core/stats/paired';

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const pairsOf = (baseline: number[], candidate: number[]): Pair<number>[] => baseline.map((b, i) => ({ baseline: b, candidate: candidate[i] as number }));

/** The exact two-sided permutation p-value over all 2^n swaps (small n only). */
function exactP(pairs: Pair<number>[]): number {
  const observed = Math.abs(pairedDelta(pairs, mean));
  let atLeast = 0;
  const total = 2 ** pairs.length;
  for (let mask = 0; mask < total; mask++) {
    const swapped = pairs.map((p, i) => ((mask >> i) & 1 ? { baseline: p.candidate, candidate: p.baseline } : p));
    if (Math.abs(pairedDelta(swapped, mean)) >= observed - 1e-12) atLeast++;
  }
  return atLeast / total;
}

describe('pairedPermutationTest', () => {
  const f1 = pairsOf([0.2, 0.5, 0.1, 0.4, 0.0, 0.3, 0.6, 0.2, 0.1, 0.5], [0.6, 0.7, 0.1, 0.9, 0.4, 0.3, 0.8, 0.1, 0.5, 0.9]);

  it('approximates the exact permutation p-value', () => {
    const exact = exactP(f1);
    const p = pairedPermutationTest(f1, mean, { iterations: 20_000, seed: 1 });
    expect(exact).toBeGreaterThan(0.001);
    expect(Math.abs(p - exact)).toBeLessThan(0.01);
  });

  it('is 1 for identical programs, never 0, and reproducible by seed', () => {
    const same = pairsOf([0.1, 0.5, 0.9], [0.1, 0.5, 0.9]);
    expect(pairedPermutationTest(same, mean)).toBe(1);
    const strong = pairsOf(Array(40).fill(0), Array(40).fill(1));
    const p = pairedPermutationTest(strong, mean, { iterations: 999 });
    expect(p).toBe(1 / 1000);
    expect(pairedPermutationTest(f1, mean, { seed: 7 })).toBe(pairedPermutationTest(f1, mean, { seed: 7 }));
  });

  it('rejects bad options', () => {
    expect(() => pairedPermutationTest([], mean)).toThrow(RangeError);
    expect(() => pairedPermutationTest(f1, mean, { iterations: 0 })).toThrow(RangeError);
  });
});

describe('pairedBootstrapDeltaCI', () => {
  it('brackets the observed delta of any statistic and skips undefined resamples', () => {
    const pairs = pairsOf([0.2, 0.5, 0.1, 0.4, 0.0, 0.3], [0.6, 0.7, 0.1, 0.9, 0.4, 0.3]);
    const [lo, hi] = pairedBootstrapDeltaCI(pairs, mean, { seed: 3 });
    const delta = pairedDelta(pairs, mean);
    expect(lo).toBeLessThanOrEqual(delta);
    expect(hi).toBeGreaterThanOrEqual(delta);
    expect(lo).toBeGreaterThan(0);
    // A statistic undefined on half the resamples still yields an interval from the others.
    // (Both arms hold 0.1 only in pair 2, which a third of the resamples miss.)
    const sometimes = (rows: readonly number[]) => (rows.includes(0.1) ? mean(rows) : Number.NaN);
    const [a, b] = pairedBootstrapDeltaCI(pairs, sometimes, { seed: 3 });
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(a);
  });
});
