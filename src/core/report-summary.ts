/**
 * The numbers a report should show for its task: per-label precision / recall / F1, macro-F1,
 * balanced accuracy and the confusion matrix when the scored field is a label; mean token F1 and
 * exact match for free-text answers (QA). Computed from an evaluation's rows and its examples.
 */
import type { EvalRow } from './evaluate';
import { exactMatch, tokenF1 } from './metrics';
import type { Signature } from './signature';
import { classificationSummary, type ClassificationSummary } from './stats/classification';
import { measureRow } from './stats/compare';
import { labelPairs } from './stats/measures';
import type { Example } from './types';

export interface AnswerScores {
  /** SQuAD token F1, best over the gold alternatives, averaged over examples. */
  meanF1: number;
  /** Share of answers equal to a gold alternative after SQuAD normalisation. */
  exactMatch: number;
}

export interface TaskSummary {
  field: string;
  classification?: ClassificationSummary;
  answers?: AnswerScores;
}

/** Summarises rows for the scored field (default: the first output); rows and examples pair by id. */
export function summarizeForTask(rows: readonly EvalRow[], examples: readonly Example[], signature: Signature, field?: string): TaskSummary {
  const spec = signature.outputs.find((f) => f.name === (field ?? signature.outputs[0]?.name));
  if (!spec) throw new Error(`"${field}" is not an output field of the signature`);
  if (spec.type === 'enum') {
    return { field: spec.name, classification: classificationSummary(labelPairs(rows.map((r) => measureRow(r, spec.name))), spec.choices) };
  }
  if (spec.type !== 'string') return { field: spec.name };
  const byId = new Map(examples.map((e) => [e.id, e]));
  const f1 = tokenF1(spec.name);
  const em = exactMatch(spec.name);
  let f1Sum = 0;
  let emSum = 0;
  for (const row of rows) {
    const example = byId.get(row.id);
    if (!example) throw new Error(`row ${row.id} has no example to score against`);
    const outputs = row.outputs ?? {};
    f1Sum += f1(example, outputs).score;
    emSum += em(example, outputs).score;
  }
  const n = rows.length || 1;
  return { field: spec.name, answers: { meanF1: f1Sum / n, exactMatch: emSum / n } };
}
