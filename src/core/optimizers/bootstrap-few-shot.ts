/**
 * DSPy's BootstrapFewShot: a teacher (the student with labelled demos, unless given) runs on training
 * examples; the traces whose outputs pass the metric become augmented demos, topped up with labelled
 * examples that were not bootstrapped.
 */
import { z } from 'zod';
import { canonicalJson } from '../canonical';
import type { EvalUsage } from '../evaluate';
import { parseOrThrow } from '../errors';
import type { LM } from '../lm/types';
import type { Metric } from '../metrics';
import { predict, type ProgramSpec } from '../program';
import { createRng } from '../random';
import type { Demo, Example, PredictionFailure } from '../types';
import { labeledDemos } from './labeled-few-shot';
import {
  addUsage,
  deriveSeed,
  emptyUsage,
  exampleDemo,
  predictionUsage,
  type CompileContext,
  type OptimizeResult,
  type Optimizer,
} from './types';

export const bootstrapFewShotConfigSchema = z.strictObject({
  maxBootstrappedDemos: z.number().int().min(0).default(4),
  maxLabeledDemos: z.number().int().min(0).default(16),
  /** Attempts per example; attempts after the first sample at temperature 1.0 past the cache. */
  maxRounds: z.number().int().min(1).default(1),
  /** Accept a trace when its score reaches this (instead of the metric's `passed`). */
  metricThreshold: z.number().optional(),
  /** Teacher LM errors tolerated before compile throws (DSPy's settings default: 10). */
  maxErrors: z.number().int().min(0).default(10),
});

export type BootstrapFewShotConfig = z.output<typeof bootstrapFewShotConfigSchema>;

/** Thrown when the teacher's LM errors exceed `maxErrors`. */
export class TeacherErrorBudgetExceeded extends Error {
  /** True iff every LM error was flagged retryable, so retrying the compile may succeed. */
  readonly retryable: boolean;

  constructor(
    readonly errors: number,
    maxErrors: number,
    lastError: string,
    retryable: boolean,
  ) {
    super(`Bootstrap stopped: ${errors} teacher LM errors exceed the budget of ${maxErrors}; last error: ${lastError}`);
    this.name = 'TeacherErrorBudgetExceeded';
    this.retryable = retryable;
  }
}

/** DSPy compares demos with examples by value; the `augmented` flag is not part of the value. */
const demoKey = (demo: Demo): string => canonicalJson({ inputs: demo.inputs, outputs: demo.outputs });

/** One compile's mutable state: traces collected, errors seen, work done. */
interface BootstrapRun {
  teacher: ProgramSpec;
  teacherLm: LM;
  metric: Metric;
  augmented: Demo[];
  bootstrapped: Set<number>;
  traces: number;
  errors: PredictionFailure[];
  usage: EvalUsage;
}

export class BootstrapFewShot implements Optimizer<BootstrapFewShotConfig> {
  readonly name = 'BootstrapFewShot';
  readonly config: BootstrapFewShotConfig;

  constructor(config: z.input<typeof bootstrapFewShotConfigSchema> = {}) {
    this.config = parseOrThrow(bootstrapFewShotConfigSchema, config, 'config');
  }

  async compile(student: ProgramSpec, ctx: CompileContext): Promise<OptimizeResult> {
    const { maxBootstrappedDemos, maxLabeledDemos, maxRounds } = this.config;
    const { trainset, seed } = ctx;
    const run: BootstrapRun = {
      teacher: this.prepareTeacher(ctx.teacher ?? student, trainset, seed),
      teacherLm: ctx.teacherLm ?? ctx.lm,
      metric: ctx.metric,
      augmented: [],
      bootstrapped: new Set(),
      traces: 0,
      errors: [],
      usage: emptyUsage(),
    };

    // As DSPy: walk the trainset in order; each example gets up to maxRounds attempts (later ones
    // sample afresh) until one passes; stop once maxBootstrappedDemos traces are kept.
    for (let index = 0; index < trainset.length && run.augmented.length < maxBootstrappedDemos; index++) {
      for (let round = 0; round < maxRounds; round++) {
        if (await this.bootstrapOne(run, trainset[index] as Example, index, round)) break;
      }
      ctx.onProgress?.({ stage: 'bootstrap', done: index + 1, total: trainset.length });
    }

    const unbootstrapped = trainset.filter((_, index) => !run.bootstrapped.has(index));
    const labeledCount = Math.max(0, maxLabeledDemos - run.augmented.length);
    const labeled = createRng(deriveSeed(seed, 'labeled-demos')).sample(unbootstrapped, labeledCount).map(exampleDemo);
    return { program: { ...student, demos: [...run.augmented, ...labeled] }, candidates: [], traces: run.traces, usage: run.usage };
  }

  /** A teacher without demos first gets labelled ones, as DSPy compiles it with LabeledFewShot. */
  private prepareTeacher(teacher: ProgramSpec, trainset: readonly Example[], seed: number): ProgramSpec {
    const { maxLabeledDemos } = this.config;
    if (maxLabeledDemos === 0 || teacher.demos.length > 0) return teacher;
    return { ...teacher, demos: labeledDemos(trainset, { k: maxLabeledDemos, sample: true, seed: deriveSeed(seed, 'teacher-demos') }) };
  }

  /** Runs the teacher on one example (never shown that example as a demo) and keeps a passing trace. */
  private async bootstrapOne(run: BootstrapRun, example: Example, index: number, round: number): Promise<boolean> {
    const own = demoKey(exampleDemo(example));
    const teacher = { ...run.teacher, demos: run.teacher.demos.filter((d) => demoKey(d) !== own) };
    // Later rounds sample afresh: a distinct rollout at temperature 1.0 misses the cached greedy reply.
    const sampling = round > 0 ? { rolloutId: String(round), temperature: 1 } : {};
    const prediction = await predict(teacher, example.inputs, run.teacherLm, sampling);
    run.traces += 1;
    addUsage(run.usage, predictionUsage(prediction));

    if (!prediction.ok) {
      if (prediction.error.kind === 'lm') this.countError(run, prediction.error);
      return false;
    }
    const { score, passed } = run.metric(example, prediction.outputs);
    const { metricThreshold } = this.config;
    if (!(metricThreshold !== undefined ? score >= metricThreshold : passed)) return false;
    run.augmented.push({ inputs: example.inputs, outputs: prediction.outputs, augmented: true });
    run.bootstrapped.add(index);
    return true;
  }

  private countError(run: BootstrapRun, failure: PredictionFailure): void {
    run.errors.push(failure);
    const { maxErrors } = this.config;
    if (run.errors.length <= maxErrors) return;
    const retryable = run.errors.every((e) => (e as { retryable?: unknown }).retryable === true);
    throw new TeacherErrorBudgetExceeded(run.errors.length, maxErrors, failure.message, retryable);
  }
}
