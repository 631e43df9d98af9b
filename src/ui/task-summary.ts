/** Terminal tables for a TaskSummary: per-label scores and the confusion matrix, or QA's F1 and EM. */
import type { TaskSummary } from '../core/report-summary';
import type { ClassificationSummary } from '../core/stats/classification';
import { formatPercent, renderTable } from './table';

const score = (x: number): string => x.toFixed(3);

export function renderClassification(s: ClassificationSummary): string {
  const perLabel = renderTable(
    [{ header: 'label' }, { header: 'precision', align: 'right' }, { header: 'recall', align: 'right' }, { header: 'F1', align: 'right' }, { header: 'support', align: 'right' }],
    s.perLabel.map((l) => [l.label, score(l.precision), score(l.recall), score(l.f1), String(l.support)]),
  );
  const confusion = renderTable(
    [{ header: 'gold \\ predicted' }, ...s.confusion.columns.map((c) => ({ header: c, align: 'right' as const }))],
    s.confusion.labels.map((label, i) => [label, ...(s.confusion.counts[i] as number[]).map(String)]),
  );
  return [
    perLabel,
    `macro-F1 ${score(s.macroF1)}, balanced accuracy ${formatPercent(s.balancedAccuracy)}, accuracy ${formatPercent(s.accuracy)} (n = ${s.n})`,
    '',
    confusion,
  ].join('\n');
}

/** The table block for a summary, or null when the field is neither a label nor free text. */
export function renderTaskSummary(summary: TaskSummary): string | null {
  if (summary.classification) return renderClassification(summary.classification);
  if (summary.answers) return `mean token F1 ${score(summary.answers.meanF1)}, exact match ${formatPercent(summary.answers.exactMatch)}`;
  return null;
}
