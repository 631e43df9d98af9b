/**
 * Label-bias calibration. A prompt — instructions, demos, label order — biases a small model towards
 * some labels whatever the input; a calibration takes a per-label offset out of the label
 * log-probabilities before the argmax. Two ways to estimate it:
 * - contextual (Zhao et al. 2021, "Calibrate Before Use"): ask the same prompt about content-free inputs
 *   ("N/A", "", "[MASK]"), where a fair model would be indifferent, and divide that bias out (here);
 * - batch (Zhou et al. 2023): the mean label probability over real inputs (calibration-fit.ts);
 * - fitted: the offsets that maximise macro-F1 on labelled examples the prompt does not show
 *   (calibration-fit.ts), for models whose bias content-free inputs do not reveal.
 * All need an LM that reports label probabilities (`CompletionOptions.scoreChoices`): the embedded model
 * scores whole labels, an OpenAI-compatible endpoint gives its answer token's top log-probabilities.
 */
import { z } from 'zod';
import { getAdapter } from './adapters';
import type { Completion, LM } from './lm/types';
import type { ProgramSpec } from './program';
import type { Fields } from './types';
import { parseSignature, soleEnumChoices } from './signature';

export const DEFAULT_CONTENT_FREE_INPUTS: readonly string[] = ['N/A', '', '[MASK]'];

/** A calibration is part of a program version: same prompt + same calibration ⇒ same answers. */
export const calibrationSchema = z
  .strictObject({
    /** Contextual: the content-free inputs the bias was estimated from (each fills every input field). */
    contentFree: z.array(z.string()).min(1).optional(),
    /** Fitted: how many labelled examples the offsets were chosen on. */
    fittedOn: z.number().int().min(1).optional(),
    /** Batch: how many real inputs the mean label probabilities were taken over. */
    batchOf: z.number().int().min(1).optional(),
    /** Per label: the bias subtracted from its normalised log-probability before the argmax. */
    logPrior: z.record(z.string(), z.number()),
  })
  .refine((c) => [c.contentFree, c.fittedOn, c.batchOf].filter((how) => how !== undefined).length === 1, {
    message: 'a calibration names how it was estimated: exactly one of contentFree, fittedOn or batchOf',
  });

export type Calibration = z.output<typeof calibrationSchema>;

/** Log-probabilities renormalised over the labels (log-softmax), so only their ratios matter. */
function normalise(logProbs: readonly number[]): number[] {
  const top = Math.max(...logProbs);
  const logSum = top + Math.log(logProbs.reduce((sum, lp) => sum + Math.exp(lp - top), 0));
  return logProbs.map((lp) => lp - logSum);
}

/** The label with the highest calibrated score: log p(label | input) − log p(label | content-free). */
export function calibratedChoice(choices: readonly string[], logProbs: readonly number[], calibration: Calibration): string {
  const scores = normalise(logProbs).map((lp, i) => lp - (calibration.logPrior[choices[i] as string] ?? 0));
  const best = scores.reduce((bi, s, i) => (s > (scores[bi] as number) ? i : bi), 0);
  return choices[best] as string;
}

export interface LabelScorer {
  /** The sole enum output's name and labels. */
  field: string;
  choices: string[];
  /** The program without any calibration: what a calibration is estimated on. */
  uncalibrated: ProgramSpec;
  /** Normalised label log-probabilities of the uncalibrated prompt for these inputs; undefined when the LM reports none. */
  score(inputs: Fields): Promise<number[] | undefined>;
}

/** Reads label probabilities of a program's prompt, or undefined when it has no sole enum output. */
export function labelScorer(program: ProgramSpec, lm: LM, onCompletion?: (completion: Completion) => void): LabelScorer | undefined {
  const signature = parseSignature(program.signature);
  const choices = soleEnumChoices(signature);
  const output = signature.outputs[0];
  if (!choices || !output) return undefined;
  const adapter = getAdapter(program.adapter);
  const { calibration: _previous, ...uncalibrated } = program;
  return {
    field: output.name,
    choices,
    uncalibrated,
    async score(inputs) {
      const completion = await lm.complete(adapter.format(uncalibrated, inputs), { temperature: 0, maxTokens: program.lm.maxTokens, choices, scoreChoices: true });
      onCompletion?.(completion);
      const logProbs = completion.choiceLogProbs;
      return logProbs && logProbs.length === choices.length ? normalise(logProbs) : undefined;
    },
  };
}

/**
 * The program with a contextual calibration estimated on its own prompt, or undefined when it has no
 * sole enum output or the LM cannot report label probabilities. Throws what the LM throws.
 */
export async function calibrate(
  program: ProgramSpec,
  lm: LM,
  opts: { contentFree?: readonly string[]; onCompletion?: (completion: Completion) => void } = {},
): Promise<ProgramSpec | undefined> {
  const contentFree = opts.contentFree ?? DEFAULT_CONTENT_FREE_INPUTS;
  const scorer = labelScorer(program, lm, opts.onCompletion);
  if (!scorer) return undefined;
  const inputNames = parseSignature(program.signature).inputs.map((f) => f.name);
  const mean = scorer.choices.map(() => 0);
  for (const text of contentFree) {
    const logProbs = await scorer.score(Object.fromEntries(inputNames.map((name) => [name, text])));
    if (!logProbs) return undefined;
    logProbs.forEach((lp, i) => (mean[i] = (mean[i] as number) + Math.exp(lp) / contentFree.length));
  }
  const logPrior = Object.fromEntries(scorer.choices.map((label, i) => [label, Math.log(Math.max(mean[i] as number, Number.MIN_VALUE))]));
  return { ...scorer.uncalibrated, calibration: { contentFree: [...contentFree], logPrior } };
}
