/**
 * Unpaired two-proportion z-test: two arms that saw different requests (a live canary), each with k
 * successes out of n. Pure and import-free, for the workflow sandbox.
 */

/** erfc(x) for x ≥ 0 (Numerical Recipes' Chebyshev fit, relative error < 1.2e-7, no cancellation in the tail). */
export function erfc(x: number): number {
  const t = 1 / (1 + 0.5 * x);
  const poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return t * Math.exp(-x * x + poly);
}

export interface TwoProportionResult {
  /** pB − pA. */
  delta: number;
  z: number;
  /** Two-sided; 1 when the pooled proportion leaves no variance (both arms all right or all wrong). */
  pValue: number;
}

/** Tests H0: pA = pB with the pooled standard error. */
export function twoProportionTest(a: { n: number; k: number }, b: { n: number; k: number }): TwoProportionResult {
  for (const [name, arm] of [['a', a], ['b', b]] as const) {
    if (!Number.isSafeInteger(arm.n) || arm.n <= 0 || !Number.isSafeInteger(arm.k) || arm.k < 0 || arm.k > arm.n) {
      throw new RangeError(`twoProportionTest: arm ${name} needs integers 0 ≤ k ≤ n, n > 0; got k = ${arm.k}, n = ${arm.n}`);
    }
  }
  const pA = a.k / a.n;
  const pB = b.k / b.n;
  const pooled = (a.k + b.k) / (a.n + b.n);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / a.n + 1 / b.n));
  if (se === 0) return { delta: pB - pA, z: 0, pValue: 1 };
  const z = (pB - pA) / se;
  // Two-sided: P[|Z| ≥ |z|] = erfc(|z| / √2).
  return { delta: pB - pA, z, pValue: Math.min(1, erfc(Math.abs(z) / Math.SQRT2)) };
}
