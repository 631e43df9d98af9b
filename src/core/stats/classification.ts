/**
 * Corpus-level classification metrics from (gold, predicted) label pairs: the confusion matrix,
 * per-label precision / recall / F1, macro-F1 and balanced accuracy. Pure, so the gate, reports and
 * the demo tables compute the same numbers. Accuracy alone hides a program that answers the majority
 * label for everything; these do not.
 */

/** One scored prediction of a label; `predicted` is null when the reply had no parsable label. */
export interface LabelPair {
  gold: string;
  predicted: string | null;
}

/** Column for predictions that are not one of the labels (parse failures, out-of-set answers). */
export const OTHER_LABEL = '(other)';

export interface ConfusionMatrix {
  /** Row and column order; the last column is `OTHER_LABEL` when any prediction fell outside. */
  labels: string[];
  columns: string[];
  /** counts[gold index][predicted column index]. */
  counts: number[][];
}

export interface LabelScores {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** Examples whose gold label is this one. */
  support: number;
  /** Predictions of this label. */
  predicted: number;
}

export interface ClassificationSummary {
  n: number;
  accuracy: number;
  macroF1: number;
  balancedAccuracy: number;
  perLabel: LabelScores[];
  confusion: ConfusionMatrix;
}

/** Labels compare trimmed and case-insensitively, like `labelAccuracy`. */
export const labelKey = (label: string): string => label.trim().toLowerCase();

/**
 * The label set: the given one (a signature's enum choices) in its order, then any gold label not in
 * it, in order of first appearance — a gold label is never dropped from the matrix.
 */
export function labelSet(pairs: readonly LabelPair[], known: readonly string[] = []): string[] {
  const labels = [...known];
  const keys = new Set(known.map(labelKey));
  for (const { gold } of pairs) {
    if (!keys.has(labelKey(gold))) {
      keys.add(labelKey(gold));
      labels.push(gold);
    }
  }
  return labels;
}

export function confusionMatrix(pairs: readonly LabelPair[], known: readonly string[] = []): ConfusionMatrix {
  const labels = labelSet(pairs, known);
  const index = new Map(labels.map((l, i) => [labelKey(l), i]));
  const other = labels.length;
  const counts = labels.map(() => new Array<number>(other + 1).fill(0));
  for (const { gold, predicted } of pairs) {
    const row = counts[index.get(labelKey(gold)) as number] as number[];
    const column = predicted === null ? other : (index.get(labelKey(predicted)) ?? other);
    row[column] = (row[column] as number) + 1;
  }
  const anyOther = counts.some((row) => (row[other] as number) > 0);
  return {
    labels,
    columns: anyOther ? [...labels, OTHER_LABEL] : labels,
    counts: anyOther ? counts : counts.map((row) => row.slice(0, other)),
  };
}

/** 0 when the denominator is 0 (no prediction of a label has precision 0, as in scikit-learn's `zero_division=0`). */
const ratio = (num: number, den: number): number => (den === 0 ? 0 : num / den);

export function perLabelScores(confusion: ConfusionMatrix): LabelScores[] {
  return confusion.labels.map((label, i) => {
    const row = confusion.counts[i] as number[];
    const tp = row[i] as number;
    const support = row.reduce((a, b) => a + b, 0);
    const predicted = confusion.counts.reduce((sum, r) => sum + (r[i] as number), 0);
    const precision = ratio(tp, predicted);
    const recall = ratio(tp, support);
    return { label, precision, recall, f1: ratio(2 * precision * recall, precision + recall), support, predicted };
  });
}

/** Labels that occur as gold: a label with no examples has no recall to average. */
const present = (scores: readonly LabelScores[]): LabelScores[] => scores.filter((s) => s.support > 0);
const mean = (xs: readonly number[]): number => ratio(xs.reduce((a, b) => a + b, 0), xs.length);

/** Unweighted mean of per-label F1 over the labels that occur as gold. */
export const macroF1 = (scores: readonly LabelScores[]): number => mean(present(scores).map((s) => s.f1));

/** Mean per-label recall over the labels that occur as gold (always answering one label scores 1/k). */
export const balancedAccuracy = (scores: readonly LabelScores[]): number => mean(present(scores).map((s) => s.recall));

/** Recall of one label; a label that never occurs as gold has no recall (an error, not a silent 0). */
export function labelRecall(pairs: readonly LabelPair[], label: string): number {
  const key = labelKey(label);
  const gold = pairs.filter((p) => labelKey(p.gold) === key);
  if (gold.length === 0) throw new Error(`no example has the gold label "${label}", so its recall is undefined`);
  return gold.filter((p) => p.predicted !== null && labelKey(p.predicted) === key).length / gold.length;
}

export function classificationSummary(pairs: readonly LabelPair[], known: readonly string[] = []): ClassificationSummary {
  const confusion = confusionMatrix(pairs, known);
  const perLabel = perLabelScores(confusion);
  const correct = confusion.labels.reduce((sum, _, i) => sum + ((confusion.counts[i] as number[])[i] as number), 0);
  return {
    n: pairs.length,
    accuracy: ratio(correct, pairs.length),
    macroF1: macroF1(perLabel),
    balancedAccuracy: balancedAccuracy(perLabel),
    perLabel,
    confusion,
  };
}
