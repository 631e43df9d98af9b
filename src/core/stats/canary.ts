/**
 * The live canary's verdict at the end of its window: the arms saw different requests, so accuracy is
 * compared with an unpaired two-proportion test. The offline gate already asked for a significant
 * improvement and checked latency on its held-out rows; live, the candidate is rolled back when it is
 * significantly worse than the active version or its p50 latency grows past the gate's reject limit,
 * and promoted otherwise. Live numbers overrule the gate only with minSamples records on each arm: a
 * p50 of five requests on a shared CPU can swing by seconds (the QA demo's full run measured a canary
 * 5.8 s slower live on 6 requests that the gate had measured 3.9 s faster on 100 rows). Pure and
 * import-free beyond ./ (workflow sandbox).
 */
import { ms, pts, pValueText, settle } from './decision';
import { twoProportionTest } from './two-proportion';

export interface CanaryArm {
  versionId: string;
  /** Feedback records on this arm since the canary started, and how many confirmed the answer. */
  n: number;
  correct: number;
  /** p50 latency of this arm's predictions since the canary started; null when none were logged. */
  p50Ms: number | null;
}

export interface CanaryRule {
  /** Records each arm needs before the test may roll back. */
  minSamples: number;
  alpha: number;
  /** Roll back when the canary's p50 latency exceeds the active version's by strictly more than this. */
  rejectLatencyIncreaseMs: number;
}

export interface CanaryVerdict {
  action: 'promote' | 'rollback';
  reason: string;
  accuracyDelta: number | null;
  pValue: number | null;
  p50DeltaMs: number | null;
}

const pct = (arm: CanaryArm): string => `${((arm.correct / arm.n) * 100).toFixed(1)}% on ${arm.n}`;

export function decideCanary(active: CanaryArm, canary: CanaryArm, rule: CanaryRule): CanaryVerdict {
  const p50DeltaMs = active.p50Ms === null || canary.p50Ms === null ? null : canary.p50Ms - active.p50Ms;
  const latencyText = p50DeltaMs === null ? 'p50 latency n/a' : `p50 latency ${ms(p50DeltaMs)}`;
  const slower = p50DeltaMs !== null && settle(p50DeltaMs) > rule.rejectLatencyIncreaseMs;

  const evidence = Math.min(active.n, canary.n) >= rule.minSamples;
  if (!evidence) {
    const shortText = `${canary.n} records on the canary, ${active.n} on the active version (minSamples ${rule.minSamples})`;
    return { action: 'promote', reason: `canary promoted without live evidence: ${shortText}; ${latencyText}${slower ? ', not judged on so few' : ''}`, accuracyDelta: null, pValue: null, p50DeltaMs };
  }

  const test = twoProportionTest({ n: active.n, k: active.correct }, { n: canary.n, k: canary.correct });
  const accuracyText =
    `live accuracy ${pts(test.delta)} pts (canary ${pct(canary)} vs active ${pct(active)}), ` + `two-proportion p = ${pValueText(test.pValue)}`;
  const worse = test.delta < 0 && test.pValue < rule.alpha;
  const verdict = { accuracyDelta: test.delta, pValue: test.pValue, p50DeltaMs };
  if (worse || slower) {
    const why = [
      ...(worse ? [`${accuracyText} < ${rule.alpha}`] : []),
      ...(slower ? [`${latencyText} exceeds ${rule.rejectLatencyIncreaseMs} ms`] : []),
    ];
    return { action: 'rollback', reason: `canary rolled back: ${why.join('; ')}`, ...verdict };
  }
  return { action: 'promote', reason: `canary passed: ${accuracyText}, not significantly worse; ${latencyText} (≤ ${rule.rejectLatencyIncreaseMs} ms)`, ...verdict };
}
