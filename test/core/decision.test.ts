import { DEFAULT_RULE, decide, type DecisionInput, type DecisionRule } from '../../src/core/stats/decision';

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
