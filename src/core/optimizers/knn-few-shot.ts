/**
 * DSPy's KNNFewShot (dspy/teleprompt/knn_fewshot.py): every prediction gets as demos the k training
 * examples nearest its inputs by embedding similarity, bootstrapped as BootstrapFewShot would.
 *
 * DSPy retrieves the k neighbours and runs BootstrapFewShot on them inside every forward call; a
 * stored program cannot run a teacher at serving time, so here the teacher runs once per training
 * example at compile time and the program keeps the result as its demo pool (knn.ts): a neighbour
 * whose trace passes the metric is shown as the teacher answered it, the others with their labels —
 * what DSPy's per-call bootstrap shows for the same neighbours with a greedy, cached teacher. The
 * pool's embeddings come from the task's LM (`LM.embed`), which must embed requests too.
 */
import { z } from 'zod';
import { parseOrThrow } from '../errors';
import { knnPool, knnText } from '../knn';
import type { ProgramSpec } from '../program';
import { parseSignature } from '../signature';
import { BootstrapFewShot } from './bootstrap-few-shot';
import { labeledDemos } from './labeled-few-shot';
import { deriveSeed, exampleDemo, type CompileContext, type OptimizeResult, type Optimizer } from './types';

export const knnFewShotConfigSchema = z.strictObject({
  /** Demos per prediction: the nearest k of the pool (DSPy's `k`). */
  k: z.number().int().min(1).default(4),
  /** Run the teacher over the pool (DSPy's bootstrap); false keeps the labelled examples as they are, with no LM calls but embeddings. */
  bootstrap: z.boolean().default(true),
  /** Labelled demos in the default teacher's prompt (BootstrapFewShot's `maxLabeledDemos`). */
  maxLabeledDemos: z.number().int().min(1).default(16),
  maxRounds: z.number().int().min(1).default(1),
  metricThreshold: z.number().optional(),
  maxErrors: z.number().int().min(0).default(10),
});

export type KNNFewShotConfig = z.output<typeof knnFewShotConfigSchema>;

export class KNNFewShot implements Optimizer<KNNFewShotConfig> {
  readonly name = 'KNNFewShot';
  readonly config: KNNFewShotConfig;

  constructor(config: z.input<typeof knnFewShotConfigSchema> = {}) {
    this.config = parseOrThrow(knnFewShotConfigSchema, config, 'config');
  }

  async compile(student: ProgramSpec, ctx: CompileContext): Promise<OptimizeResult> {
    const { k, bootstrap, maxLabeledDemos, maxRounds, metricThreshold, maxErrors } = this.config;
    const { trainset, lm, seed } = ctx;
    if (trainset.length === 0) throw new Error('KNNFewShot needs a non-empty trainset');
    if (!lm.embed) throw new Error(`KNNFewShot needs an LM that can embed (the embedded model, or an endpoint with /v1/embeddings); ${lm.id} cannot`);
    const base = { ...studentWithoutPool(student), demos: [] };

    let pool = trainset.map(exampleDemo);
    let traces = 0;
    let usage;
    if (bootstrap) {
      const teacher = ctx.teacher ?? { ...base, demos: labeledDemos(trainset, { k: maxLabeledDemos, sample: true, seed: deriveSeed(seed, 'teacher-demos') }) };
      // Every example may become a trace; the ones that do not pass stay in the pool with their labels.
      const all = trainset.length;
      const result = await new BootstrapFewShot({ maxBootstrappedDemos: all, maxLabeledDemos: all, maxRounds, metricThreshold, maxErrors }).compile(base, { ...ctx, teacher });
      pool = result.program.demos;
      traces = result.traces;
      usage = result.usage;
    }
    const inputNames = parseSignature(student.signature).inputs.map((f) => f.name);
    ctx.onProgress?.({ stage: 'embed', done: 0, total: pool.length });
    const vectors = await lm.embed(pool.map((demo) => knnText(demo.inputs, inputNames)));
    ctx.onProgress?.({ stage: 'embed', done: pool.length, total: pool.length });
    const program: ProgramSpec = { ...base, knn: { k, pool: knnPool(pool, vectors) } };
    return { program, candidates: [], traces, ...(usage && { usage }) };
  }
}

/** The student as a plain prompt: a KNN program chooses its own demos, so no earlier pool carries over. */
function studentWithoutPool(student: ProgramSpec): ProgramSpec {
  const { knn: _knn, ...rest } = student;
  return rest;
}
