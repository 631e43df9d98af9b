/**
 * Contextual calibration (Zhao et al. 2021, "Calibrate Before Use"): a prompt — instructions, demos,
 * label order — biases a small model towards some labels whatever the input. The bias is estimated
 * by asking the same prompt about content-free inputs ("N/A", "", "[MASK]"), where a fair model would
 * be indifferent; dividing the label probabilities by that estimate takes it out again. It needs an LM
 * that reports label probabilities (the embedded model does; `CompletionOptions.scoreChoices`).
 */
import { z } from 'zod';
import { getAdapter } from './adapters';
import type { Completion, LM } from './lm/types';
import type { ProgramSpec } from './program';
import { parseSignature } from './signature';

export const DEFAULT_CONTENT_FREE_INPUTS: readonly string[] = ['N/A', '', '[MASK]'];

/** A calibration is part of a program version: same prompt + same calibration ⇒ same answers. */
export const calibrationSchema = z.strictObject({
  /** The content-free inputs the bias was estimated from (each fills every input field). */
  contentFree: z.array(z.string()).min(1),
  /** Per label: log of its mean probability over the content-free inputs, subtracted before the argmax. */
  logPrior: z.record(z.string(), z.number()),
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

/**
 * The program with a calibration estimated on its own prompt, or undefined when it has no sole enum
 * output or the LM cannot report label probabilities. Throws what the LM throws.
 */
export async function calibrate(
  program: ProgramSpec,
  lm: LM,
  opts: { contentFree?: readonly string[]; onCompletion?: (completion: Completion) => void } = {},
): Promise<ProgramSpec | undefined> {
  const contentFree = opts.contentFree ?? DEFAULT_CONTENT_FREE_INPUTS;
  const signature = parseSignature(program.signature);
  const [output, ...more] = signature.outputs;
  if (!output?.choices || output.type !== 'enum' || more.length > 0) return undefined;
  const choices = output.choices;
  const adapter = getAdapter(program.adapter);
  const { calibration: _previous, ...uncalibrated } = program;
  const mean = choices.map(() => 0);
  for (const text of contentFree) {
    const inputs = Object.fromEntries(signature.inputs.map((f) => [f.name, text]));
    const completion = await lm.complete(adapter.format(uncalibrated, inputs), { temperature: 0, maxTokens: program.lm.maxTokens, choices, scoreChoices: true });
    opts.onCompletion?.(completion);
    if (!completion.choiceLogProbs || completion.choiceLogProbs.length !== choices.length) return undefined;
    normalise(completion.choiceLogProbs).forEach((lp, i) => (mean[i] = (mean[i] as number) + Math.exp(lp) / contentFree.length));
  }
  const logPrior = Object.fromEntries(choices.map((label, i) => [label, Math.log(Math.max(mean[i] as number, Number.MIN_VALUE))]));
  return { ...uncalibrated, calibration: { contentFree: [...contentFree], logPrior } };
}
