/**
 * Fitted calibration: per-label offsets on the label log-probabilities, chosen to maximise macro-F1 on
 * labelled examples the prompt does not show. Contextual calibration assumes a content-free input
 * reveals the prompt's bias; on small models it often does not (Gemma 3 270M calls 86–89% of
 * content-free e-mails spam whatever the demos, yet ranks real spam above ham). The offsets only move
 * the decision boundary between labels the model already ranks, so a model whose ranking carries no
 * signal gains nothing — and the optimizer's valset and the gate judge a fitted program like any other.
 */
import { labelScorer, type Calibration } from './calibration';
import type { Completion, LM } from './lm/types';
import type { OptimizeProgress } from './optimizers/types';
import type { ProgramSpec } from './program';
import { classificationSummary, labelKey } from './stats/classification';
import type { Example } from './types';

export interface ScoredRow {
  /** Normalised label log-probabilities, in label order. */
  logProbs: readonly number[];
  gold: string;
}

/** Most examples a fit scores: each costs one LM call per candidate program. */
export const MAX_FIT_EXAMPLES = 64;

const argmax = (scores: readonly number[]): number => scores.reduce((best, s, i) => (s > (scores[best] as number) ? i : best), 0);

function macroF1Of(rows: readonly ScoredRow[], labels: readonly string[], offsets: readonly number[]): number {
  const pairs = rows.map((r) => ({ gold: r.gold, predicted: labels[argmax(r.logProbs.map((lp, i) => lp + (offsets[i] as number)))] as string }));
  return classificationSummary(pairs, labels).macroF1;
}

/**
 * Offsets (the first label's fixed at 0) that maximise macro-F1 over the rows, by coordinate ascent:
 * for one label the answers change only where its offset crosses a row's margin, so trying the
 * midpoints between sorted margins is exhaustive for that coordinate. Among equally good offsets the
 * middle one is kept (away from the edges of the best range); a coordinate moves only for a strict gain.
 * A label no row has as gold keeps offset 0: the rows say nothing about where its boundary belongs.
 */
export function fitLabelOffsets(rows: readonly ScoredRow[], labels: readonly string[], rounds = 4): number[] {
  const offsets = labels.map(() => 0);
  const seen = new Set(rows.map((r) => r.gold));
  let best = macroF1Of(rows, labels, offsets);
  for (let round = 0; round < rounds; round++) {
    let moved = false;
    for (let k = 1; k < labels.length; k++) {
      if (!seen.has(labels[k] as string)) continue;
      // Row i answers label k exactly when offsets[k] exceeds its margin.
      const margins = rows
        .map((r) => Math.max(...r.logProbs.map((lp, i) => (i === k ? -Infinity : lp + (offsets[i] as number)))) - (r.logProbs[k] as number))
        .sort((a, b) => a - b);
      const points = [(margins[0] ?? 0) - 1, ...margins.map((m, i) => (i + 1 < margins.length ? (m + (margins[i + 1] as number)) / 2 : m + 1))];
      const scored = points.map((p) => ({ p, f1: macroF1Of(rows, labels, offsets.map((o, i) => (i === k ? p : o))) }));
      const top = Math.max(...scored.map((s) => s.f1));
      if (top <= best + 1e-12) continue;
      const winners = scored.filter((s) => s.f1 === top);
      offsets[k] = (winners[Math.floor((winners.length - 1) / 2)] as { p: number }).p;
      best = top;
      moved = true;
    }
    if (!moved) break;
  }
  return offsets;
}

/** A program's label probabilities on labelled examples, and the two calibrations estimated from them. */
export interface ExampleCalibrations {
  /** Offsets fitted to maximise macro-F1 on the examples (fitLabelOffsets). */
  fitted: ProgramSpec;
  /**
   * Batch calibration (Zhou et al. 2023): the bias is the mean label probability over real inputs rather
   * than content-free ones — no labels used, so it overfits less than a fit on few rows.
   */
  batch: ProgramSpec;
}

/**
 * Both calibrations of a program, estimated on labelled examples whose inputs are not one of its demos
 * (at most MAX_FIT_EXAMPLES, one LM call each); undefined when it has no sole enum output, the LM cannot
 * report label probabilities, or the examples hold fewer than two of its labels. Throws what the LM throws.
 */
export async function calibrateOnExamples(
  program: ProgramSpec,
  lm: LM,
  examples: readonly Example[],
  opts: { onCompletion?: (completion: Completion) => void; onProgress?: (progress: OptimizeProgress) => void } = {},
): Promise<ExampleCalibrations | undefined> {
  const scorer = labelScorer(program, lm, opts.onCompletion);
  if (!scorer) return undefined;
  const { field, choices, uncalibrated } = scorer;
  const shown = new Set(program.demos.map((d) => JSON.stringify(d.inputs)));
  const byKey = new Map(choices.map((label) => [labelKey(label), label]));
  const labelled = examples
    .filter((e) => !shown.has(JSON.stringify(e.inputs)) && byKey.has(labelKey(String(e.outputs[field]))))
    .slice(0, MAX_FIT_EXAMPLES);
  if (new Set(labelled.map((e) => labelKey(String(e.outputs[field])))).size < 2) return undefined;
  const rows: ScoredRow[] = [];
  for (const example of labelled) {
    const logProbs = await scorer.score(example.inputs);
    if (!logProbs) return undefined;
    rows.push({ logProbs, gold: byKey.get(labelKey(String(example.outputs[field]))) as string });
    opts.onProgress?.({ stage: 'calibrate', done: rows.length, total: labelled.length });
  }
  const offsets = fitLabelOffsets(rows, choices);
  const fitted: Calibration = { fittedOn: rows.length, logPrior: Object.fromEntries(choices.map((label, i) => [label, -(offsets[i] as number)])) };
  const meanProb = (i: number) => rows.reduce((sum, r) => sum + Math.exp(r.logProbs[i] as number), 0) / rows.length;
  const batch: Calibration = { batchOf: rows.length, logPrior: Object.fromEntries(choices.map((label, i) => [label, Math.log(Math.max(meanProb(i), Number.MIN_VALUE))])) };
  return { fitted: { ...uncalibrated, calibration: fitted }, batch: { ...uncalibrated, calibration: batch } };
}
