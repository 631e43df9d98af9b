/** The live canary's pure parts: sticky routing by key, the unpaired two-proportion test, the verdict. */
import { canaryBucket, pickVersion } from '../../src/core/canary';
import { decideCanary, type CanaryArm } from '../../src/core/stats/canary';
import { twoProportionTest } from '../../src/core/stats/two-proportion';

describe('routing', () => {
  const keys = Array.from({ length: 2_000 }, (_, i) => `user-${i}`);

  it.each([0.05, 0.1, 0.25, 0.5])('sends %p of 2,000 keys to the canary, within ±3 points', (share) => {
    const routing = { active: 'v-active', canary: { versionId: 'v-canary', share } };
    const onCanary = keys.filter((k) => pickVersion(routing, k) === 'v-canary').length / keys.length;
    expect(Math.abs(onCanary - share)).toBeLessThanOrEqual(0.03);
  });

  it('is sticky: a key lands on the same arm every time, and on the same arm as the share grows', () => {
    const at = (share: number) => keys.map((k) => pickVersion({ active: 'a', canary: { versionId: 'c', share } }, k));
    expect(at(0.2)).toEqual(at(0.2));
    const small = at(0.1);
    const large = at(0.3);
    expect(small.every((v, i) => v === 'a' || large[i] === 'c')).toBe(true);
  });

  it('draws a different cohort for each canary version', () => {
    const cohort = (versionId: string) => new Set(keys.filter((k) => canaryBucket(k, versionId) < 0.1));
    const first = cohort('v1');
    const overlap = [...cohort('v2')].filter((k) => first.has(k)).length;
    // Independent 10% cohorts share about 1% of keys (20), far from all 200.
    expect(overlap).toBeLessThan(60);
  });

  it('without a canary (or an active version) every key gets the active version', () => {
    expect(pickVersion({ active: 'a', canary: null }, 'k')).toBe('a');
    expect(pickVersion({ active: null, canary: { versionId: 'c', share: 1 } }, 'k')).toBeNull();
  });
});

describe('two-proportion test', () => {
  it('matches the textbook pooled z-test', () => {
    const r = twoProportionTest({ n: 100, k: 45 }, { n: 100, k: 60 });
    expect(r.delta).toBeCloseTo(0.15, 12);
    expect(r.z).toBeCloseTo(2.1239769762, 6);
    expect(r.pValue).toBeCloseTo(0.0336720689, 6);
  });

  it('keeps tiny p-values accurate (no 1 − x cancellation) and is symmetric', () => {
    const r = twoProportionTest({ n: 450, k: 360 }, { n: 50, k: 20 });
    expect(r.pValue / 3.325102890921006e-10).toBeCloseTo(1, 4);
    expect(twoProportionTest({ n: 50, k: 20 }, { n: 450, k: 360 }).pValue).toBe(r.pValue);
    expect(twoProportionTest({ n: 1_000, k: 500 }, { n: 1_000, k: 700 }).pValue / 6.932079668133903e-20).toBeCloseTo(1, 4);
  });

  it('gives p = 1 when there is no variance, and refuses impossible counts', () => {
    expect(twoProportionTest({ n: 10, k: 10 }, { n: 5, k: 5 }).pValue).toBe(1);
    expect(() => twoProportionTest({ n: 10, k: 11 }, { n: 5, k: 5 })).toThrow(/arm a needs integers 0 ≤ k ≤ n/);
    expect(() => twoProportionTest({ n: 10, k: 1 }, { n: 0, k: 0 })).toThrow(/arm b/);
  });
});

describe('canary verdict', () => {
  const rule = { minSamples: 20, alpha: 0.05, rejectLatencyIncreaseMs: 100 };
  const arm = (versionId: string, n: number, correct: number, p50Ms: number | null = 100): CanaryArm => ({ versionId, n, correct, p50Ms });

  it('rolls back a canary significantly worse live, and says why', () => {
    const v = decideCanary(arm('a', 450, 360), arm('c', 50, 20), rule);
    expect(v.action).toBe('rollback');
    expect(v.reason).toBe('canary rolled back: live accuracy -40.0 pts (canary 40.0% on 50 vs active 80.0% on 450), two-proportion p = 3.33e-10 < 0.05');
  });

  it('promotes a canary that is better, or not significantly worse', () => {
    expect(decideCanary(arm('a', 450, 315), arm('c', 50, 45), rule)).toMatchObject({ action: 'promote', reason: expect.stringMatching(/^canary passed: live accuracy \+20\.0 pts .* p50 latency \+0 ms \(≤ 100 ms\)$/) });
    expect(decideCanary(arm('a', 100, 80), arm('c', 30, 22), rule).action).toBe('promote');
  });

  it('rolls back a canary whose p50 latency grows past the reject limit, with minSamples records on each arm', () => {
    expect(decideCanary(arm('a', 100, 80, 100), arm('c', 30, 29, 250), rule).reason).toBe('canary rolled back: p50 latency +150 ms exceeds 100 ms');
    // On fewer records a p50 is noise: the offline gate's latency check stands.
    expect(decideCanary(arm('a', 5, 4, 100), arm('c', 3, 3, 250), rule)).toMatchObject({
      action: 'promote',
      reason: 'canary promoted without live evidence: 3 records on the canary, 5 on the active version (minSamples 20); p50 latency +150 ms, not judged on so few',
    });
  });

  it('says "without live evidence" when an arm has fewer than minSamples records', () => {
    expect(decideCanary(arm('a', 100, 80), arm('c', 3, 0, null), rule)).toEqual({
      action: 'promote',
      reason: 'canary promoted without live evidence: 3 records on the canary, 100 on the active version (minSamples 20); p50 latency n/a',
      accuracyDelta: null,
      pValue: null,
      p50DeltaMs: null,
    });
  });
});
