/**
 * Exact McNemar test: under H0 each discordant pair is equally likely to favour either program, so the
 * smaller discordant count is Binomial(b + c, 1/2). Summed in log space so b + c in the thousands
 * neither underflows (2^-n) nor overflows (n choose k).
 *
 * @param b pairs the baseline got right and the candidate wrong
 * @param c pairs the baseline got wrong and the candidate right
 * @returns two-sided p-value, min(1, 2 · P[X ≤ min(b, c)]); 1 when there are no discordant pairs
 */
export function mcnemarExact(b: number, c: number): number {
  for (const [name, v] of [['b', b], ['c', c]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`mcnemarExact: ${name} must be a non-negative integer, got ${v}`);
  }
  const n = b + c;
  if (n === 0) return 1;
  const k = Math.min(b, c);

  // log P[X = i], built from P[X = 0] = 2^-n by the ratio P[i+1]/P[i] = (n-i)/(i+1).
  const logPmf: number[] = [];
  let logP = -n * Math.LN2;
  for (let i = 0; i <= k; i++) {
    logPmf.push(logP);
    logP += Math.log((n - i) / (i + 1));
  }
  // k ≤ n/2, where the pmf still rises, so the last term is the largest: factor it out (log-sum-exp).
  const max = logPmf[k] as number;
  const logTail = max + Math.log(logPmf.reduce((sum, l) => sum + Math.exp(l - max), 0));
  return Math.min(1, 2 * Math.exp(logTail));
}
