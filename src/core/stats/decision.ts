/**
 * The A/B gate's decision rule. Pure and import-free: workflows load this file inside the Temporal
 * sandbox, so it must stay deterministic and dependency-free (the task spec validates the numbers).
 */

export interface DecisionRule {
  /**
   * Promote only when the gate's measure (accuracy unless the spec names another) improves by strictly
   * more than this (fraction: 0.05 = 5 points).
   */
  minImprovement: number;
  /** Promote only when p50 latency grows by strictly less than this. */
  maxLatencyIncreaseMs: number;
  /** Reject when the gate's measure drops by strictly more than this (fraction). */
  maxAccuracyDrop: number;
  /** Reject when p50 latency grows by strictly more than this. */
  rejectLatencyIncreaseMs: number;
  /** Promote only when the paired test's p-value (McNemar, or permutation) is strictly below this. */
  alpha: number;
}

export const DEFAULT_RULE: DecisionRule = {
  minImprovement: 0.05,
  maxLatencyIncreaseMs: 50,
  maxAccuracyDrop: 0.05,
  rejectLatencyIncreaseMs: 100,
  alpha: 0.05,
};

/** The comparison on the measure the gate decides on (accuracy, mean token F1, macro-F1, a label's recall…). */
export interface MeasureInput {
  /** What the reason calls it: "accuracy", "mean token F1", "macro-F1". */
  title: string;
  /** The paired test behind `pValue`: "McNemar", "permutation". */
  test: string;
  baseline: number;
  candidate: number;
  /** candidate − baseline, as a fraction. */
  delta: number;
  ci95: readonly [number, number];
  pValue: number;
}

/** A spec's floor on one label's recall, with both programs' recall on the paired examples. */
export interface FloorInput {
  label: string;
  min: number;
  baseline: number;
  candidate: number;
}

/**
 * What the rule reads from a `Comparison`. Without `measure` it decides on accuracy (the fields
 * below; the optional ones only enrich the reason), as it always has.
 */
export interface DecisionInput {
  n: number;
  accuracyDelta: number;
  p50DeltaMs: number;
  mcnemar: { pValue: number };
  baseline?: { accuracy: number };
  candidate?: { accuracy: number };
  ci95?: readonly [number, number];
  measure?: MeasureInput;
  floor?: FloorInput;
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
export const settle = (x: number): number => Math.round(x * 1e9) / 1e9;

export const pts = (fraction: number): string => {
  const points = settle(fraction * 100);
  return `${points >= 0 ? '+' : ''}${points.toFixed(1)}`;
};
/** Whole milliseconds when whole, else one decimal (so 49.6 ms is never shown as "50 ms < 50 ms"). */
export const ms = (x: number): string => {
  const r = Number(x.toFixed(1));
  return `${r >= 0 ? '+' : ''}${r} ms`;
};
/** Three significant digits, without trailing zeros (0.003, 0.0495, 1.2e-7). */
export const pValueText = (p: number): string => String(Number(p.toPrecision(3)));

const percent = (fraction: number): string => `${(fraction * 100).toFixed(1)}%`;

/** The measure as the rule reads it: the spec's, or accuracy from the comparison's own fields. */
interface Measured {
  title: string;
  test: string;
  delta: number;
  pValue: number;
  arms?: [number, number];
  ci95?: readonly [number, number];
}

function measured(c: DecisionInput): Measured {
  if (c.measure) return { ...c.measure, arms: [c.measure.baseline, c.measure.candidate] };
  return {
    title: 'accuracy',
    test: 'McNemar',
    delta: c.accuracyDelta,
    pValue: c.mcnemar.pValue,
    arms: c.baseline && c.candidate ? [c.baseline.accuracy, c.candidate.accuracy] : undefined,
    ci95: c.ci95,
  };
}

function measureText(m: Measured, n: number): string {
  const detail: string[] = [];
  if (m.arms) detail.push(`${percent(m.arms[0])} → ${percent(m.arms[1])}`);
  if (m.ci95) detail.push(`95% CI [${pts(m.ci95[0])}, ${pts(m.ci95[1])}]`);
  detail.push(`n = ${n}`);
  return `${m.title} ${pts(m.delta)} pts (${detail.join(', ')})`;
}

/** A candidate under the floor is refused whatever else it gains: a spam filter that stops catching spam regressed. */
function floorText(f: FloorInput): string | null {
  if (settle(f.candidate) >= settle(f.min)) return null;
  return `recall of "${f.label}" ${percent(f.candidate)} is under the floor of ${percent(f.min)} (baseline ${percent(f.baseline)})`;
}

export function decide(c: DecisionInput, rule: DecisionRule = DEFAULT_RULE): Decision {
  const m = measured(c);
  const deltaPts = settle(m.delta * 100);
  const latency = settle(c.p50DeltaMs);
  const pValue = m.pValue;
  const pText = `${m.test} p = ${pValueText(pValue)}`;
  const latencyText = `p50 latency ${ms(c.p50DeltaMs)}`;
  const measuredText = (): string => measureText(m, c.n);

  const maxDropPts = settle(rule.maxAccuracyDrop * 100);
  const rejections: string[] = [];
  const underFloor = c.floor ? floorText(c.floor) : null;
  if (underFloor) rejections.push(underFloor);
  if (deltaPts < -maxDropPts) rejections.push(`${measuredText()} drops more than ${maxDropPts} pts`);
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
      reason: `promote: ${measuredText()}, ${pText} < ${rule.alpha}, ${latencyText} (< ${rule.maxLatencyIncreaseMs} ms)`,
    };
  }

  const failed: string[] = [];
  if (!improved) failed.push(`improvement ≤ ${minPts} pts`);
  if (!significant) failed.push(`not significant (p ≥ ${rule.alpha})`);
  if (!fastEnough) failed.push(`latency +${rule.maxLatencyIncreaseMs} ms or more`);
  return { action: 'keep', reason: `keep: ${failed.join(', ')} — ${measuredText()}, ${pText}, ${latencyText}` };
}
