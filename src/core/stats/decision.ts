/**
 * The A/B gate's decision rule. Pure and import-free: workflows load this file inside the Temporal
 * sandbox, so it must stay deterministic and dependency-free (the task spec validates the numbers).
 */

export interface DecisionRule {
  /** Promote only when accuracy improves by strictly more than this (fraction: 0.05 = 5 points). */
  minImprovement: number;
  /** Promote only when p50 latency grows by strictly less than this. */
  maxLatencyIncreaseMs: number;
  /** Reject when accuracy drops by strictly more than this (fraction). */
  maxAccuracyDrop: number;
  /** Reject when p50 latency grows by strictly more than this. */
  rejectLatencyIncreaseMs: number;
  /** Promote only when the paired McNemar p-value is strictly below this. */
  alpha: number;
}

export const DEFAULT_RULE: DecisionRule = {
  minImprovement: 0.05,
  maxLatencyIncreaseMs: 50,
  maxAccuracyDrop: 0.05,
  rejectLatencyIncreaseMs: 100,
  alpha: 0.05,
};

/** What the rule reads from a `Comparison`; the optional parts only enrich the reason. */
export interface DecisionInput {
  n: number;
  accuracyDelta: number;
  p50DeltaMs: number;
  mcnemar: { pValue: number };
  baseline?: { accuracy: number };
  candidate?: { accuracy: number };
  ci95?: readonly [number, number];
}

export type DecisionAction = 'promote' | 'reject' | 'keep';

export interface Decision {
  action: DecisionAction;
  reason: string;
}

/**
 * Accuracies are k/n fractions, so 0.55 − 0.50 is 5.000000000000004 points; rounding to 1e-9 makes
 * "exactly at the threshold" mean exactly, as the rule's strict inequalities intend.
 */
const settle = (x: number): number => Math.round(x * 1e9) / 1e9;

const pts = (fraction: number): string => {
  const points = settle(fraction * 100);
  return `${points >= 0 ? '+' : ''}${points.toFixed(1)}`;
};
/** Whole milliseconds when whole, else one decimal (so 49.6 ms is never shown as "50 ms < 50 ms"). */
const ms = (x: number): string => {
  const r = Number(x.toFixed(1));
  return `${r >= 0 ? '+' : ''}${r} ms`;
};
/** Three significant digits, without trailing zeros (0.003, 0.0495, 1.2e-7). */
const pValueText = (p: number): string => String(Number(p.toPrecision(3)));

function accuracyText(c: DecisionInput): string {
  const detail: string[] = [];
  if (c.baseline && c.candidate) {
    detail.push(`${(c.baseline.accuracy * 100).toFixed(1)}% → ${(c.candidate.accuracy * 100).toFixed(1)}%`);
  }
  if (c.ci95) detail.push(`95% CI [${pts(c.ci95[0])}, ${pts(c.ci95[1])}]`);
  detail.push(`n = ${c.n}`);
  return `accuracy ${pts(c.accuracyDelta)} pts (${detail.join(', ')})`;
}

export function decide(c: DecisionInput, rule: DecisionRule = DEFAULT_RULE): Decision {
  const deltaPts = settle(c.accuracyDelta * 100);
  const latency = settle(c.p50DeltaMs);
  const pValue = c.mcnemar.pValue;
  const pText = `McNemar p = ${pValueText(pValue)}`;
  const latencyText = `p50 latency ${ms(c.p50DeltaMs)}`;

  const maxDropPts = settle(rule.maxAccuracyDrop * 100);
  const rejections: string[] = [];
  if (deltaPts < -maxDropPts) rejections.push(`${accuracyText(c)} drops more than ${maxDropPts} pts`);
  if (latency > rule.rejectLatencyIncreaseMs) {
    rejections.push(`${latencyText} exceeds ${rule.rejectLatencyIncreaseMs} ms`);
  }
  if (rejections.length > 0) return { action: 'reject', reason: `reject: ${rejections.join('; ')}` };

  const minPts = settle(rule.minImprovement * 100);
  const improved = deltaPts > minPts;
  const significant = pValue < rule.alpha;
  const fastEnough = latency < rule.maxLatencyIncreaseMs;
  if (improved && significant && fastEnough) {
    return {
      action: 'promote',
      reason: `promote: ${accuracyText(c)}, ${pText} < ${rule.alpha}, ${latencyText} (< ${rule.maxLatencyIncreaseMs} ms)`,
    };
  }

  const failed: string[] = [];
  if (!improved) failed.push(`improvement ≤ ${minPts} pts`);
  if (!significant) failed.push(`not significant (p ≥ ${rule.alpha})`);
  if (!fastEnough) failed.push(`latency +${rule.maxLatencyIncreaseMs} ms or more`);
  return { action: 'keep', reason: `keep: ${failed.join(', ')} — ${accuracyText(c)}, ${pText}, ${latencyText}` };
}
