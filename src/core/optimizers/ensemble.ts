/**
 * DSPy's Ensemble teleprompter, fed by a random search: the best `size` candidates with distinct
 * prompts (demos and instructions) of a BootstrapFewShotWithRandomSearch vote on every input
 * (ensemble.ts). DSPy leaves the voters to the caller; here they are the search's best, and the
 * ensemble's own valset score is reported beside theirs so the choice stays visible. Like DSPy's, it
 * always returns the ensemble; the gate judges it.
 */
import { z } from 'zod';
import { canonicalJson } from '../canonical';
import { ensembleOf } from '../ensemble';
import { parseOrThrow } from '../errors';
import type { ProgramSpec } from '../program';
import { BootstrapFewShotWithRandomSearch, randomSearchConfigSchema, scoreOnValset, summary } from './random-search';
import type { CompileContext, OptimizeResult, Optimizer } from './types';

export const ensembleConfigSchema = randomSearchConfigSchema.extend({
  /** Voters: the best `size` candidates with distinct prompts (DSPy's `size`). */
  size: z.number().int().min(2).default(3),
});

export type EnsembleConfig = z.output<typeof ensembleConfigSchema>;

export class Ensemble implements Optimizer<EnsembleConfig> {
  readonly name = 'Ensemble';
  readonly config: EnsembleConfig;

  constructor(config: z.input<typeof ensembleConfigSchema> = {}) {
    this.config = parseOrThrow(ensembleConfigSchema, config, 'config');
  }

  async compile(student: ProgramSpec, ctx: CompileContext): Promise<OptimizeResult> {
    const { size, ...searchConfig } = this.config;
    const { ranked, traces, usage } = await new BootstrapFewShotWithRandomSearch(searchConfig).search(student, ctx);
    // One voter per prompt: a calibrated twin re-weighs the same model output, so its errors are its
    // prompt's errors and a vote among twins evens out nothing. Each prompt votes with its best variant.
    const seen = new Set<string>();
    const voters = ranked.filter((c) => {
      const { calibration: _calibration, ...prompt } = c.program;
      const key = canonicalJson(prompt);
      return !seen.has(key) && seen.add(key);
    }).slice(0, size);
    if (voters.length < 2) throw new Error(`Ensemble needs at least 2 candidates with distinct prompts; the search produced ${voters.length}`);
    const program = ensembleOf(voters.map((v) => v.program));
    const score = await scoreOnValset(program, ctx, usage, { numThreads: searchConfig.numThreads, maxErrors: searchConfig.maxErrors });
    const label = `ensemble of ${voters.map((v) => v.label).join(', ')}`;
    const demos = voters.reduce((sum, v) => sum + v.program.demos.length, 0);
    return { program, candidates: [{ label, seed: 0, score, demos }, ...ranked.map(summary)].sort((a, b) => b.score - a.score), traces, usage };
  }
}
