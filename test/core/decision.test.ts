import { DEFAULT_RULE, decide, type DecisionInput, type DecisionRule, type FloorInput, type MeasureInput } from '../../src/core/stats/decision';

/** A significant, fast comparison; each test moves one number to a boundary. */
const comparison = (over: Partial<DecisionInput> & { pValue?: number } = {}): DecisionInput => {
  const { pValue = 0.001, ...rest } = over;
  return { n: 200, accuracyDelta: 0.1, p50DeltaMs: 0, mcnemar: { pValue }, ...rest };
};
const action = (over: Partial<DecisionInput> & { pValue?: number }, rule: DecisionRule = DEFAULT_RULE) =>
  decide(comparison(over), rule).action;

describe('decide', () => {
  it('has the seed numbers as the default rule', () => {
    expect(DEFAULT_RULE).toEqual({ minImprovement: 0.05, maxLatencyIncreaseMs: 50, maxAccuracyDrop: 0.05, rejectLatencyIncreaseMs: 100, alpha: 0.05 });
  });

  it('promotes a significant improvement above 5 points with a quantitative reason', () => {
    const d = decide({
      ...comparison({ accuracyDelta: 0.12, p50DeltaMs: 3, pValue: 0.003 }),
      baseline: { accuracy: 0.6 },
      candidate: { accuracy: 0.72 },
      ci95: [0.04, 0.2],
    });
    expect(d).toEqual({
      action: 'promote',
      reason: 'promote: accuracy +12.0 pts (60.0% → 72.0%, 95% CI [+4.0, +20.0], n = 200), McNemar p = 0.003 < 0.05, p50 latency +3 ms (< 50 ms)',
    });
  });

  it('needs strictly more than 5 points: exactly +5 keeps, +5.1 promotes', () => {
    const exactly = decide(comparison({ accuracyDelta: 0.05 }));
    expect(exactly.action).toBe('keep');
    expect(exactly.reason).toMatch(/^keep: improvement ≤ 5 pts/);
    expect(action({ accuracyDelta: 0.051 })).toBe('promote');
  });

  it('treats float noise at the threshold as exact (0.55 − 0.50 is 5 points)', () => {
    expect(0.55 - 0.5).toBeGreaterThan(0.05);
    expect(action({ accuracyDelta: 0.55 - 0.5 })).toBe('keep');
    expect(action({ accuracyDelta: -(0.55 - 0.5) })).toBe('keep');
  });

  it('keeps a large improvement that is not significant, and says so', () => {
    const d = decide(comparison({ accuracyDelta: 0.1, pValue: 0.2 }));
    expect(d.action).toBe('keep');
    expect(d.reason).toContain('not significant');
    expect(d.reason).toContain('McNemar p = 0.2');
    expect(d.reason).not.toContain('improvement ≤');
    expect(action({ pValue: 0.05 })).toBe('keep');
    expect(action({ pValue: 0.0499 })).toBe('promote');
  });

  it('needs p50 latency to grow by strictly less than 50 ms to promote', () => {
    const at50 = decide(comparison({ p50DeltaMs: 50 }));
    expect(at50.action).toBe('keep');
    expect(at50.reason).toMatch(/^keep: latency \+50 ms or more/);
    expect(at50.reason).toContain('p50 latency +50 ms');
    expect(action({ p50DeltaMs: 49 })).toBe('promote');
    expect(action({ p50DeltaMs: 49.9 })).toBe('promote');
  });

  it('rejects a drop of strictly more than 5 points', () => {
    expect(action({ accuracyDelta: -0.05, pValue: 0.01 })).toBe('keep');
    const d = decide(comparison({ accuracyDelta: -0.051, pValue: 0.01 }));
    expect(d.action).toBe('reject');
    expect(d.reason).toBe('reject: accuracy -5.1 pts (n = 200) drops more than 5 pts');
  });

  it('rejects p50 latency growth of strictly more than 100 ms, even with a big improvement', () => {
    expect(action({ p50DeltaMs: 100 })).toBe('keep');
    const d = decide(comparison({ p50DeltaMs: 101 }));
    expect(d.action).toBe('reject');
    expect(d.reason).toBe('reject: p50 latency +101 ms exceeds 100 ms');
  });

  it('names every reason to reject', () => {
    const d = decide(comparison({ accuracyDelta: -0.2, p50DeltaMs: 300 }));
    expect(d.reason).toMatch(/^reject: accuracy -20\.0 pts .* drops more than 5 pts; p50 latency \+300 ms exceeds 100 ms$/);
  });

  it('lists every failed promotion condition when keeping', () => {
    const d = decide(comparison({ accuracyDelta: 0.02, pValue: 0.4, p50DeltaMs: 60 }));
    expect(d.reason).toMatch(/^keep: improvement ≤ 5 pts, not significant \(p ≥ 0\.05\), latency \+50 ms or more — /);
  });

  it('honours a custom rule', () => {
    const strict: DecisionRule = { minImprovement: 0.1, maxLatencyIncreaseMs: 10, maxAccuracyDrop: 0.01, rejectLatencyIncreaseMs: 20, alpha: 0.01 };
    expect(action({ accuracyDelta: 0.1, pValue: 0.001 }, strict)).toBe('keep');
    expect(action({ accuracyDelta: 0.11, pValue: 0.001 }, strict)).toBe('promote');
    expect(action({ accuracyDelta: 0.2, pValue: 0.02 }, strict)).toBe('keep');
    expect(action({ accuracyDelta: 0.2, p50DeltaMs: 10 }, strict)).toBe('keep');
    expect(action({ accuracyDelta: 0.2, p50DeltaMs: 21 }, strict)).toBe('reject');
    expect(action({ accuracyDelta: -0.02 }, strict)).toBe('reject');
    const lenient: DecisionRule = { ...DEFAULT_RULE, maxAccuracyDrop: 0.5, rejectLatencyIncreaseMs: 1000 };
    expect(action({ accuracyDelta: -0.3, p50DeltaMs: 900 }, lenient)).toBe('keep');
    expect(decide(comparison({ accuracyDelta: 0.11 }), strict).reason).toContain('(< 10 ms)');
  });
});

describe('decide on the measure the spec names', () => {
  const f1 = (over: Partial<MeasureInput> = {}): MeasureInput => ({
    title: 'mean token F1',
    test: 'permutation',
    baseline: 0.41,
    candidate: 0.53,
    delta: 0.12,
    ci95: [0.05, 0.19],
    pValue: 0.0005,
    ...over,
  });

  it('names what is measured and its test, not "accuracy"/McNemar', () => {
    // Pass rate barely moved and McNemar says nothing: the decision is on mean F1.
    const d = decide({ ...comparison({ accuracyDelta: 0.01, pValue: 0.9 }), measure: f1() });
    expect(d).toEqual({
      action: 'promote',
      reason: 'promote: mean token F1 +12.0 pts (41.0% → 53.0%, 95% CI [+5.0, +19.0], n = 200), permutation p = 0.0005 < 0.05, p50 latency +0 ms (< 50 ms)',
    });
    expect(decide({ ...comparison(), measure: f1({ delta: -0.08, candidate: 0.33 }) }).reason).toMatch(/^reject: mean token F1 -8\.0 pts .* drops more than 5 pts$/);
    expect(decide({ ...comparison(), measure: f1({ pValue: 0.2 }) }).reason).toMatch(/^keep: not significant \(p ≥ 0\.05\) — mean token F1 \+12\.0 pts .*, permutation p = 0\.2/);
  });

  it('refuses a candidate under the recall floor even when everything else improves', () => {
    const floor: FloorInput = { label: 'spam', min: 0.5, baseline: 0.62, candidate: 0.19 };
    const d = decide({ ...comparison({ accuracyDelta: 0.2, pValue: 1e-6 }), floor });
    expect(d.action).toBe('reject');
    expect(d.reason).toBe('reject: recall of "spam" 19.0% is under the floor of 50.0% (baseline 62.0%)');
    // At the floor is not under it.
    expect(decide({ ...comparison(), floor: { ...floor, candidate: 0.5 } }).action).toBe('promote');
  });
});

