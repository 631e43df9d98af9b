/** DSPy's LabeledFewShot: the prompt's demos are k labelled examples, sampled or the first k. */
import { z } from 'zod';
import { parseOrThrow } from '../errors';
import type { ProgramSpec } from '../program';
import { createRng } from '../random';
import type { Demo, Example } from '../types';
import { exampleDemo, type CompileContext, type OptimizeResult, type Optimizer } from './types';

export const labeledFewShotConfigSchema = z.strictObject({
  k: z.number().int().min(0).default(16),
  /** Seeded sample of k (true) or the first k examples in order (false). */
  sample: z.boolean().default(true),
});

export type LabeledFewShotConfig = z.output<typeof labeledFewShotConfigSchema>;

export function labeledDemos(trainset: readonly Example[], opts: { k: number; sample: boolean; seed: number }): Demo[] {
  const chosen = opts.sample ? createRng(opts.seed).sample(trainset, opts.k) : trainset.slice(0, opts.k);
  return chosen.map(exampleDemo);
}

export class LabeledFewShot implements Optimizer<LabeledFewShotConfig> {
  readonly name = 'LabeledFewShot';
  readonly config: LabeledFewShotConfig;

  constructor(config: z.input<typeof labeledFewShotConfigSchema> = {}) {
    this.config = parseOrThrow(labeledFewShotConfigSchema, config, 'config');
  }

  async compile(student: ProgramSpec, ctx: Pick<CompileContext, 'trainset' | 'seed'>): Promise<OptimizeResult> {
    const demos = labeledDemos(ctx.trainset, { ...this.config, seed: ctx.seed });
    return { program: { ...student, demos }, candidates: [], traces: 0 };
  }
}
