import type { EvalReport, EvalRow } from '../../src/core/evaluate';
import { pairedBootstrapCI } from '../../src/core/stats/bootstrap';
import { compareReports } from '../../src/core/stats/compare';
import { decide } from '../../src/core/stats/decision';
import { defaultMeasure, resolveMeasure } from '../../src/core/stats/measures';
import { mcnemarExact } from '../../src/core/stats/mcnemar';
import { latencySummary, percentile } from '../../src/core/stats/percentile';

describe('percentile', () => {
  it('interpolates linearly between closest ranks (numpy default)', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([15, 20, 35, 40, 50], 40)).toBe(29);
    expect(percentile([4, 1, 3, 2], 0)).toBe(1);
    expect(percentile([4, 1, 3, 2], 100)).toBe(4);
    expect(percentile([7], 95)).toBe(7);
    expect(latencySummary([...Array(101).keys()].reverse())).toEqual({ p50: 50, p95: 95 });
  });

  it('does not reorder its input', () => {
    const values = [3, 1, 2];
    percentile(values, 50);
    expect(values).toEqual([3, 1, 2]);
  });

  it('returns 0 for an empty sample and rejects p outside [0, 100]', () => {
    expect(percentile([], 50)).toBe(0);
    expect(latencySummary([])).toEqual({ p50: 0, p95: 0 });
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
  });
});

describe('mcnemarExact', () => {
  it('matches textbook exact values', () => {
    expect(mcnemarExact(0, 0)).toBe(1);
    expect(mcnemarExact(1, 9)).toBeCloseTo(0.021484375, 12); // 2·11/1024
    expect(mcnemarExact(3, 12)).toBeCloseTo(0.03515625, 12); // 2·576/32768
    expect(mcnemarExact(10, 10)).toBe(1);
    expect(mcnemarExact(0, 5)).toBeCloseTo(0.0625, 12); // 2·(1/2)^5
    expect(mcnemarExact(5, 0)).toBeCloseTo(0.0625, 12);
    expect(mcnemarExact(2, 8)).toBeCloseTo(0.109375, 12); // 2·(1+10+45)/1024
    expect(mcnemarExact(0, 1)).toBe(1);
  });

  it('stays finite and accurate for thousands of discordant pairs', () => {
    const p = mcnemarExact(1000, 1100);
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThan(1);
    // Exact value from integer arithmetic (Python fractions + math.comb).
    expect(Math.abs(p - 0.030720707864242296) / 0.030720707864242296).toBeLessThan(1e-9);
    expect(Math.abs(mcnemarExact(5000, 5500) - 1.112486328038502e-6) / 1.112486328038502e-6).toBeLessThan(1e-9);
  });

  it('rejects counts that are not non-negative integers', () => {
    expect(() => mcnemarExact(-1, 3)).toThrow(/b must be a non-negative integer/);
    expect(() => mcnemarExact(1, 2.5)).toThrow(/c must be a non-negative integer/);
  });
});

describe('pairedBootstrapCI', () => {
  const diffs = [1, 0, 0, 1, -1, 1, 0, 1, 1, 0, 0, 1, 0, 0, 1, -1, 0, 1, 0, 0];
  const mean = diffs.reduce((a, b) => a + b, 0) / diffs.length;

  it('is reproducible for a seed and varies with it', () => {
    expect(pairedBootstrapCI(diffs, { seed: 3 })).toEqual(pairedBootstrapCI(diffs, { seed: 3 }));
    expect(pairedBootstrapCI(diffs, { seed: 3 })).not.toEqual(pairedBootstrapCI(diffs, { seed: 4 }));
  });

  it('contains the mean, narrows with the level and stays within the data range', () => {
    const [lo, hi] = pairedBootstrapCI(diffs);
    expect(lo).toBeLessThan(mean);
    expect(hi).toBeGreaterThan(mean);
    expect(lo).toBeGreaterThanOrEqual(-1);
    expect(hi).toBeLessThanOrEqual(1);
    const [lo80, hi80] = pairedBootstrapCI(diffs, { level: 0.8 });
    expect(lo80).toBeGreaterThan(lo);
    expect(hi80).toBeLessThan(hi);
    // Standard error of the mean is ~0.14 here; a 95% interval spans roughly ±2 of them.
    expect(hi - lo).toBeGreaterThan(0.35);
    expect(hi - lo).toBeLessThan(0.75);
  });

  it('collapses to a point when every difference is equal', () => {
    expect(pairedBootstrapCI([0.25, 0.25, 0.25], { iterations: 50 })).toEqual([0.25, 0.25]);
  });

  it('rejects empty input and bad options', () => {
    expect(() => pairedBootstrapCI([])).toThrow(/at least one/);
    expect(() => pairedBootstrapCI([1], { level: 1 })).toThrow(RangeError);
    expect(() => pairedBootstrapCI([1], { iterations: 0 })).toThrow(RangeError);
  });
});

/** A report holding just these rows (the comparison reads rows only). */
const report = (rows: EvalRow[]): EvalReport => ({
  n: rows.length,
  meanScore: 0,
  passRate: 0,
  rows,
  latency: { p50: 0, p95: 0 },
  usage: { predictions: rows.length, promptTokens: 0, completionTokens: 0, cacheHits: 0, errors: 0 },
  errors: 0,
});

describe('compareReports', () => {
  const row = (id: string, passed: boolean, latencyMs: number, cached = false): EvalRow => ({
    id,
    outputs: { answer: passed ? 'right' : 'wrong' },
    score: passed ? 1 : 0,
    passed,
    latencyMs,
    cached,
  });
  /** Pass/fail patterns over 20 examples: 11 of baseline's, 13 of candidate's pass. */
  const pattern = (s: string, latency: (i: number) => number) =>
    [...s].map((ch, i) => row(`ex${i}`, ch === '1', latency(i)));
  const baseline = report(pattern('11111111110000000001', (i) => 100 + i));
  const candidate = report(pattern('11111111001111100000', (i) => 110 + i));

  it('pairs by id and computes accuracy, McNemar counts, interval and latency deltas', () => {
    const c = compareReports(baseline, candidate, { seed: 1 });
    expect(c.n).toBe(20);
    expect(c.baseline.accuracy).toBeCloseTo(11 / 20, 12);
    expect(c.candidate.accuracy).toBeCloseTo(13 / 20, 12);
    expect(c.accuracyDelta).toBe(0.1);
    // b: ex8, ex9, ex19 (baseline right, candidate wrong); c: ex10..ex14.
    expect(c.mcnemar).toEqual({ b: 3, c: 5, pValue: mcnemarExact(3, 5) });
    expect(c.ci95[0]).toBeLessThan(0.1);
    expect(c.ci95[1]).toBeGreaterThan(0.1);
    expect(c.ci95).toEqual(compareReports(baseline, candidate, { seed: 1 }).ci95);
    expect(c.baseline.p50Ms).toBe(109.5);
    expect(c.p50DeltaMs).toBe(10);
    expect(c.p95DeltaMs).toBeCloseTo(10, 9);
  });

  it('uses only the ids both reports have, whatever their order', () => {
    const shuffled = report([...candidate.rows].reverse().slice(0, 10).concat(row('only-candidate', true, 1)));
    const c = compareReports(baseline, shuffled);
    expect(c.n).toBe(10);
    // ex10..ex19 paired: baseline passes ex19 only; candidate passes ex10..ex14.
    expect(c.mcnemar).toMatchObject({ b: 1, c: 5 });
    expect(c.baseline.accuracy).toBe(0.1);
    expect(c.candidate.accuracy).toBe(0.5);
  });

  it('counts cache hits with the latency they carry and leaves LM-error rows out', () => {
    const fresh = compareReports(baseline, candidate);
    const cachedCandidate = report(candidate.rows.map((r, i) => (i < 12 ? { ...r, cached: true } : r)));
    expect(compareReports(baseline, cachedCandidate).candidate.p50Ms).toBe(fresh.candidate.p50Ms);
    const withOutage = report(candidate.rows.map((r, i) => (i >= 10 ? { ...r, latencyMs: 1, errorKind: 'lm' as const, passed: false } : r)));
    // ex10..ex19 failed at the LM: only ex0..ex9 (110..119 ms) were answered.
    expect(compareReports(baseline, withOutage).candidate.p50Ms).toBe(114.5);
  });

  it('fails clearly when the reports share no example', () => {
    expect(() => compareReports(baseline, report([row('other', true, 1)]))).toThrow(/share no example ids/);
    expect(() => compareReports(report([row('a', true, 1), row('a', false, 1)]), baseline)).toThrow(/baseline report has duplicate example id "a"/);
  });
});

describe('compareReports on the measure the spec names', () => {
  const scored = (scores: number[]) =>
    report(scores.map((score, i) => ({ id: `q${i}`, outputs: { answer: 'x' }, expected: { answer: 'y' }, score, passed: score >= 0.5, latencyMs: 10, cached: false })));

  it('compares mean token F1 with a permutation test when the pass rate hides the gain', () => {
    // Every answer stays under 0.5 F1 (same pass rate), but F1 rises on 30 of 40 questions.
    const before = scored(Array.from({ length: 40 }, (_, i) => (i % 4 === 0 ? 0.3 : 0.1)));
    const after = scored(Array.from({ length: 40 }, () => 0.4));
    const measure = resolveMeasure(defaultMeasure('token_f1'), 'token_f1');
    const c = compareReports(before, after, { seed: 2, measure });
    expect(c.accuracyDelta).toBe(0);
    expect(c.measure).toMatchObject({ name: 'mean_score', title: 'mean token F1', test: 'permutation' });
    expect(c.measure.baseline).toBeCloseTo(0.15, 12);
    expect(c.measure.candidate).toBeCloseTo(0.4, 12);
    expect(c.measure.delta).toBeCloseTo(0.25, 12);
    expect(c.measure.pValue).toBeLessThan(0.001);
    expect(c.measure.ci95[0]).toBeGreaterThan(0.2);
    expect(decide(c).reason).toMatch(/^promote: mean token F1 \+25\.0 pts \(15\.0% → 40\.0%/);
  });

  const labelled = (gold: string[], predicted: (string | null)[]) =>
    report(
      gold.map((g, i) => {
        const p = predicted[i] as string | null;
        return { id: `m${i}`, outputs: p === null ? null : { spam: p }, expected: { spam: g }, score: Number(p === g), passed: p === g, latencyMs: 10, cached: false };
      }),
    );

  it('decides on macro-F1 and checks a recall floor from the gold labels in the rows', () => {
    const gold = [...Array(10).fill('spam'), ...Array(40).fill('ham')];
    // Baseline flags everything as spam; the candidate learned to say "ham" (accuracy 20% → 80%).
    const before = labelled(gold, gold.map(() => 'spam'));
    const after = labelled(gold, gold.map(() => 'ham'));
    const labels = ['spam', 'ham'];
    const macro = compareReports(before, after, { measure: resolveMeasure({ name: 'macro_f1' }, 'label_accuracy', labels), recallFloor: { label: 'spam', min: 0.5 } });
    expect(macro.accuracyDelta).toBeCloseTo(0.6, 12);
    expect(macro.measure.baseline).toBeCloseTo(1 / 6, 12);
    expect(macro.measure.candidate).toBeCloseTo(4 / 9, 12);
    expect(macro.floor).toEqual({ label: 'spam', min: 0.5, baseline: 1, candidate: 0 });
    expect(decide(macro).reason).toBe('reject: recall of "spam" 0.0% is under the floor of 50.0% (baseline 100.0%)');
    // Balanced accuracy sees no gain at all (0.5 → 0.5), so without a floor the candidate is kept.
    const balanced = compareReports(before, after, { measure: resolveMeasure({ name: 'balanced_accuracy' }, 'label_accuracy', labels) });
    expect(balanced.measure.delta).toBe(0);
    expect(decide(balanced).action).toBe('keep');
    expect(() => compareReports(before, after, { recallFloor: { label: 'phishing', min: 0.5 } })).toThrow(/no example has the gold label "phishing"/);
  });

  it('needs stored gold labels for corpus measures', () => {
    const old = report([{ id: 'a', outputs: { spam: 'ham' }, score: 1, passed: true, latencyMs: 1, cached: false }]);
    expect(() => compareReports(old, old, { measure: resolveMeasure({ name: 'macro_f1' }, 'label_accuracy') })).toThrow(/no gold labels/);
  });
});

