/**
 * Scores every system's test answers the same way: macro-F1 over the labels for classification (an
 * answer outside the labels, or none, counts as wrong), SQuAD token F1 (best over the accepted answers)
 * for QA; a 95% percentile-bootstrap interval over the test rows, seeded.
 */
import { f1Score } from '../../src/core/metrics';
import { createRng } from '../../src/core/random';
import { classificationSummary, labelKey } from '../../src/core/stats/classification';
import { percentile } from '../../src/core/stats/percentile';
import type { PeerTask } from './tasks';

export interface Score {
  value: number;
  low: number;
  high: number;
  /** Classification: the largest share of answers one label took ÷ its true share (1 = no bias). */
  overAnswer?: number;
  /** Rows without an answer (unparsed or refused). */
  missing: number;
}

const ITERATIONS = 1000;

/** The task's measure over a set of row indices. */
function measureOf(task: PeerTask, predictions: readonly (string | null)[]): (rows: readonly number[]) => number {
  if (task.labels) {
    const labels = task.labels;
    const pairs = task.test.map((e, i) => {
      const p = predictions[i];
      return { gold: String(e.outputs[task.output]), predicted: p === null || p === undefined ? null : labelKey(p) };
    });
    return (rows) =>
      classificationSummary(
        rows.map((i) => pairs[i] as (typeof pairs)[number]),
        labels,
      ).macroF1;
  }
  const f1 = task.test.map((e, i) => {
    const p = predictions[i];
    if (p === null || p === undefined) return 0;
    return Math.max(...(e.alternatives?.[task.output] ?? [String(e.outputs[task.output])]).map((gold) => f1Score(p, gold)));
  });
  return (rows) => rows.reduce((sum, i) => sum + (f1[i] as number), 0) / rows.length;
}

function overAnswer(task: PeerTask, predictions: readonly (string | null)[]): number | undefined {
  if (!task.labels) return undefined;
  const share = (label: string, values: readonly (string | null)[]) => values.filter((v) => v !== null && labelKey(v) === label).length / values.length;
  const gold = task.test.map((e) => String(e.outputs[task.output]));
  return Math.max(...task.labels.filter((l) => share(l, gold) > 0).map((l) => share(l, predictions) / share(l, gold)));
}

export function scoreAnswers(task: PeerTask, predictions: readonly (string | null)[], seed = 0): Score {
  const measure = measureOf(task, predictions);
  const n = task.test.length;
  const all = Array.from({ length: n }, (_, i) => i);
  const rng = createRng(seed);
  const samples: number[] = [];
  for (let it = 0; it < ITERATIONS; it++) samples.push(measure(all.map(() => rng.int(n))));
  const over = overAnswer(task, predictions);
  return {
    value: measure(all),
    low: percentile(samples, 2.5),
    high: percentile(samples, 97.5),
    missing: predictions.filter((p) => p === null).length,
    ...(over !== undefined ? { overAnswer: over } : {}),
  };
}
