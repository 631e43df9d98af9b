/**
 * What the A/B gate compares on: the pass rate (McNemar), the mean per-example score (token F1), or a
 * corpus-level classification metric (macro-F1, balanced accuracy, the recall of one label), each
 * computed from evaluation rows. Pure: the task spec validates measure names against this file.
 */
import { z } from 'zod';
import { balancedAccuracy, confusionMatrix, labelKey, labelRecall, macroF1, perLabelScores, type LabelPair } from './classification';
import type { Statistic } from './paired';

export const MEASURE_NAMES = ['accuracy', 'mean_score', 'macro_f1', 'balanced_accuracy', 'recall'] as const;
export type MeasureName = (typeof MEASURE_NAMES)[number];

/** A spec's choice of measure; `label` names the class for `recall`. */
export interface MeasureSpec {
  name: MeasureName;
  label?: string;
}

/** Two programs compared on one measure: both values, candidate − baseline, its 95% interval and p-value. */
export const measureComparisonSchema = z.object({
  name: z.enum(MEASURE_NAMES),
  title: z.string(),
  test: z.enum(['McNemar', 'permutation']),
  baseline: z.number(),
  candidate: z.number(),
  delta: z.number(),
  ci95: z.tuple([z.number(), z.number()]),
  pValue: z.number(),
});
export type MeasureComparison = z.output<typeof measureComparisonSchema>;

/** A spec's floor on one label's recall, with both programs' recall on the paired examples. */
export const floorCheckSchema = z.object({ label: z.string(), min: z.number(), baseline: z.number(), candidate: z.number() });
export type FloorCheck = z.output<typeof floorCheckSchema>;

/** One example's result as the measures read it: the per-example score and, for classification, the labels. */
export interface MeasureRow {
  passed: boolean;
  score: number;
  /** The gold label of the scored field (null when the report predates stored gold values). */
  gold: string | null;
  /** The predicted label of the scored field (null when the reply did not parse). */
  predicted: string | null;
}

export interface Measure {
  name: MeasureName;
  /** What the gate's reason calls it: "accuracy", "mean token F1", "macro-F1", `recall of "spam"`. */
  title: string;
  /** McNemar for pass/fail; a paired permutation test for everything else. */
  test: MeasureComparison['test'];
  value: Statistic<MeasureRow>;
}

const METRIC_TITLES: Readonly<Record<string, string>> = { token_f1: 'token F1', exact_match: 'exact match', label_accuracy: 'label accuracy' };

/** The measure a metric is compared on when the spec names none: its mean for graded scores, else pass rate. */
export function defaultMeasure(metricName: string): MeasureSpec {
  return { name: metricName === 'token_f1' ? 'mean_score' : 'accuracy' };
}

const mean = (xs: readonly number[]): number => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

/** The (gold, predicted) labels of rows; an error when a report predates stored gold values. */
export function labelPairs(rows: readonly MeasureRow[]): LabelPair[] {
  return rows.map((r) => {
    if (r.gold === null) throw new Error('the report has no gold labels (it was made before they were stored); evaluate the version again');
    return { gold: r.gold, predicted: r.predicted };
  });
}

/** Recall that is NaN, not an error, on a sample without the label (a bootstrap resample may draw none). */
export function recallOf(label: string): Statistic<MeasureRow> {
  const key = labelKey(label);
  return (rows) => {
    const pairs = labelPairs(rows);
    return pairs.some((p) => labelKey(p.gold) === key) ? labelRecall(pairs, label) : Number.NaN;
  };
}

/**
 * The measure for a spec: `metricName` names the per-example metric (for the title of `mean_score`),
 * `labels` the classes in signature order (so a label never predicted still counts in macro-F1).
 */
export function resolveMeasure(spec: MeasureSpec, metricName: string, labels: readonly string[] = []): Measure {
  const perLabel = (rows: readonly MeasureRow[]) => perLabelScores(confusionMatrix(labelPairs(rows), labels));
  switch (spec.name) {
    case 'accuracy':
      return { name: 'accuracy', title: 'accuracy', test: 'McNemar', value: (rows) => mean(rows.map((r) => Number(r.passed))) };
    case 'mean_score':
      return { name: 'mean_score', title: `mean ${METRIC_TITLES[metricName] ?? metricName}`, test: 'permutation', value: (rows) => mean(rows.map((r) => r.score)) };
    case 'macro_f1':
      return { name: 'macro_f1', title: 'macro-F1', test: 'permutation', value: (rows) => macroF1(perLabel(rows)) };
    case 'balanced_accuracy':
      return { name: 'balanced_accuracy', title: 'balanced accuracy', test: 'permutation', value: (rows) => balancedAccuracy(perLabel(rows)) };
    case 'recall': {
      if (spec.label === undefined) throw new Error('the recall measure needs a label ("label": "spam")');
      return { name: 'recall', title: `recall of "${spec.label}"`, test: 'permutation', value: recallOf(spec.label) };
    }
  }
}
