/**
 * The train/validation split of a cycle's training pool: a seeded shuffle, stratified by label when
 * the task is a classification (like scikit-learn's `train_test_split(stratify=y)`), so a minority
 * label is in the validation split in its share of the pool rather than by luck of the shuffle.
 */
import { createRng } from './random';

export interface SplitOptions<T> {
  /** Share of the pool for validation, in (0, 1). */
  valFraction: number;
  seed: number;
  /** The row's stratum (its label); without it the pool is one stratum: a plain seeded shuffle. */
  labelOf?: (row: T) => string;
  /**
   * At least this many validation rows of a label (by `labelOf`), as far as half the label's rows: a
   * label needs enough rows to be judged on, and its other half still trains (demos come from there).
   */
  minValRows?: Readonly<Record<string, number>>;
}

export interface Split<T> {
  train: T[];
  val: T[];
}

/**
 * Splits `pool` (whose order must not depend on how it was gathered: the result follows it) into
 * train and val. The validation size is `round(valFraction × pool)`, kept within [1, pool − 1] once
 * there are two rows so neither optimizing nor validating starves. Stratified, each label's share of
 * it is its share of the pool by largest-remainder rounding, and a label with two or more rows has
 * at least one on each side (which may take the split a few rows over the fraction when labels
 * outnumber its size); a label with a single row trains unless validation needs it. A `minValRows`
 * label's extra rows come out of the other labels' shares, so the size stays unless their own
 * minimums leave no room. Rows keep the order of one seeded shuffle, so with one stratum this is
 * exactly the plain split `shuffle(pool)` → `[val | train]`.
 */
export function splitTrainVal<T>(pool: readonly T[], { valFraction, seed, labelOf = () => '', minValRows = {} }: SplitOptions<T>): Split<T> {
  const shuffled = createRng(seed).shuffle(pool);
  const sizes = new Map<string, number>();
  for (const row of shuffled) sizes.set(labelOf(row), (sizes.get(labelOf(row)) ?? 0) + 1);
  const valSize = pool.length < 2 ? 0 : Math.min(pool.length - 1, Math.max(1, Math.round(pool.length * valFraction)));
  const quotas = valQuotas(sizes, valSize, minValRows);

  const split: Split<T> = { train: [], val: [] };
  for (const row of shuffled) {
    const label = labelOf(row);
    const left = quotas.get(label) ?? 0;
    quotas.set(label, left - 1);
    (left > 0 ? split.val : split.train).push(row);
  }
  return split;
}

/** How many rows of each label go to validation: largest-remainder shares of `valSize`, within each label's bounds. */
function valQuotas(sizes: ReadonlyMap<string, number>, valSize: number, minValRows: Readonly<Record<string, number>>): Map<string, number> {
  const total = [...sizes.values()].reduce((a, b) => a + b, 0);
  // Sorted by label so ties in the rounding fall the same way whatever order the labels first appeared in.
  const strata = [...sizes]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([label, n]) => ({ label, ideal: total === 0 ? 0 : (valSize * n) / total, min: minQuota(n, minValRows[label] ?? 0), max: n - 1, quota: 0 }));
  const sumOf = (key: 'min' | 'max') => strata.reduce((a, s) => a + s[key], 0);
  const singles = strata.filter((s) => s.max === 0);
  // Minimums take the split past `valSize` only as far as they add up to more; short of that, rows a
  // minimum adds are taken back below from the labels furthest over their share.
  const target = Math.min(Math.max(valSize, sumOf('min')), sumOf('max') + singles.length);
  // A label's only row trains (one row cannot judge it), unless validation cannot be filled otherwise.
  if (sumOf('max') < target) for (const s of singles) s.max = 1;
  for (const s of strata) s.quota = Math.min(Math.max(Math.floor(s.ideal), s.min), s.max);

  // Hand out (or take back) one row at a time where the quota is furthest below (above) its ideal share.
  let sum = strata.reduce((a, s) => a + s.quota, 0);
  const shortfall = (s: (typeof strata)[number]) => s.ideal - s.quota;
  while (sum !== target) {
    const grow = sum < target;
    const open = strata.filter((s) => (grow ? s.quota < s.max : s.quota > s.min));
    const pick = open.reduce((best, s) => (grow ? shortfall(s) > shortfall(best) : shortfall(s) < shortfall(best)) ? s : best);
    pick.quota += grow ? 1 : -1;
    sum += grow ? 1 : -1;
  }
  return new Map(strata.map((s) => [s.label, s.quota]));
}

/**
 * A label's least validation rows: one (so one each side) once it has two, and a requested minimum up
 * to half its rows — whatever the label, it keeps at least as many rows to train on (its demos) as it
 * is judged on, so a thin label is judged on fewer rows rather than learned from none.
 */
function minQuota(n: number, requested: number): number {
  return Math.max(n >= 2 ? 1 : 0, Math.min(requested, Math.floor(n / 2)));
}

/**
 * Fewer validation rows of a label than this cannot judge any recall floor. With n rows and a true
 * recall exactly at the floor f, every row is caught with probability f^n and every row is missed
 * with probability (1 − f)^n; the floor is judged when neither extreme is likely (under 5%) at the
 * floor. The larger of the two is smallest at f = 50%, where it is 0.5^n: 6.3% at n = 4, 3.1% at
 * n = 5. So below 5 rows even the clearest result is consistent with the floor, whatever the floor.
 */
export const MIN_ROWS_TO_JUDGE_RECALL = 5;

/**
 * Why the validation split cannot judge the spec's recall floor, or undefined when it can. `rows`: how
 * many rows carry its label in the validation split and in the whole pool (the split gives the label
 * `MIN_ROWS_TO_JUDGE_RECALL` rows when half the pool's allow, so a shortfall is a thin pool).
 */
export function recallFloorWarning(rows: { val: number; pool: number }, floor: { label: string; min: number }): string | undefined {
  if (rows.val >= MIN_ROWS_TO_JUDGE_RECALL) return undefined;
  const percent = `${Number((floor.min * 100).toFixed(1))}%`;
  return `the validation split holds ${rows.val} row${rows.val === 1 ? '' : 's'} of "${floor.label}" (the pool has ${rows.pool}): the recall floor of ${percent} cannot be judged before the gate`;
}
