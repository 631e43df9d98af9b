/** DSPy's LabeledFewShot: the prompt's demos are k labelled examples, sampled or the first k. */
import { z } from 'zod';
import { calibrateOnExamples } from '../calibration-fit';
import { parseOrThrow } from '../errors';
import type { ProgramSpec } from '../program';
import { createRng } from '../random';
import type { Demo, Example } from '../types';
import { balancedPick, labelReader, type LabelReader } from './balance';
import { addUsage, completionUsage, emptyUsage, exampleDemo, type CompileContext, type OptimizeResult, type Optimizer } from './types';

export const labeledFewShotConfigSchema = z.strictObject({
  k: z.number().int().min(0).default(16),
  /** Seeded sample of k (true) or the first k examples in order (false). */
  sample: z.boolean().default(true),
  /** Kkachi's addition: as many demos of each label as the trainset allows, labels interleaved (enum outputs only). */
  balanceLabels: z.boolean().optional(),
  /**
   * Kkachi's addition: fit a label-bias calibration on the trainset rows the demos do not show
   * (calibration-fit.ts; one LM call each). Needs an enum output and an LM that reports label
   * probabilities; elsewhere the program stays uncalibrated.
   */
  fitCalibration: z.boolean().optional(),
});

export type LabeledFewShotConfig = z.output<typeof labeledFewShotConfigSchema>;

export interface LabeledDemoOptions {
  k: number;
  sample: boolean;
  seed: number;
  /** Present to balance labels: how to read an example's label (see `labelReader`). */
  balance?: LabelReader;
}

export function labeledDemos(trainset: readonly Example[], opts: LabeledDemoOptions): Demo[] {
  const rng = opts.sample ? createRng(opts.seed) : undefined;
  if (opts.balance) return balancedPick(trainset, opts.k, opts.balance, { rng }).map(exampleDemo);
  const chosen = rng ? rng.sample(trainset, opts.k) : trainset.slice(0, opts.k);
  return chosen.map(exampleDemo);
}

export class LabeledFewShot implements Optimizer<LabeledFewShotConfig> {
  readonly name = 'LabeledFewShot';
  readonly config: LabeledFewShotConfig;

  constructor(config: z.input<typeof labeledFewShotConfigSchema> = {}) {
    this.config = parseOrThrow(labeledFewShotConfigSchema, config, 'config');
  }

  async compile(student: ProgramSpec, ctx: Pick<CompileContext, 'trainset' | 'seed'> & Partial<Pick<CompileContext, 'lm' | 'onProgress'>>): Promise<OptimizeResult> {
    const { k, sample, balanceLabels, fitCalibration: fit } = this.config;
    const balance = balanceLabels ? labelReader(student.signature) : undefined;
    const program = { ...student, demos: labeledDemos(ctx.trainset, { k, sample, seed: ctx.seed, balance }) };
    if (!fit) return { program, candidates: [], traces: 0 };
    if (!ctx.lm) throw new Error('LabeledFewShot with fitCalibration needs an LM to score the trainset');
    const usage = emptyUsage();
    const calibrated = await calibrateOnExamples(program, ctx.lm, ctx.trainset, { onCompletion: (c) => addUsage(usage, completionUsage(c)), onProgress: ctx.onProgress });
    return { program: calibrated?.fitted ?? program, candidates: [], traces: 0, usage };
  }
}
